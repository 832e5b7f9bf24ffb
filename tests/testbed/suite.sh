#!/usr/bin/env bash
# The testbed part of `make test`: one boot with 1 CPU and one with 2 CPUs,
# each running the whole in-guest suite; with QEMU_INITRD set, one more boot
# (2 CPUs) running the CI set of the QEMU tests; with DISTRO_PAYLOAD set (a
# payload dir), one boot of Debian's stock 6.1 kernel (distro.sh) running
# DISTRO_TEST, the CI subset of the suite, and with QEMU_PAYLOAD set too (the
# QEMU tests' payload dir) then, in that boot, DISTRO_QEMU_TEST: unmodified
# QEMU booting Linux with 1 and 2 vCPUs on that kernel; with KUT_INITRD set,
# one more (2 CPUs) running kvm-unit-tests' CI subset (tests/testbed/kut/
# ci.list) under QEMU hax and kvm (1 CPU: no test of the subset needs two,
# and Bochs runs one CPU about twice as fast per testbed second). Two lanes
# of boots run side by side, the 2-CPU and QEMU boots in one, the others in
# the other (SUITE_LANES=1: one after the other). Prints the failures again,
# then the totals last.
# Usage: [QEMU_INITRD=FILE] [DISTRO_PAYLOAD=DIR [QEMU_PAYLOAD=DIR]] [KUT_INITRD=FILE]
#        suite.sh INITRAMFS [UNIT_PASSED UNIT_FAILED]
set -uo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
INITRD=$1 PASSED=${2:-0} FAILED=${3:-0}
LOGDIR=$(dirname "$INITRD")

# The distro boot's subset: the FPU state copies (FORTIFY), guest memory and
# huge pages (hardened usercopy, init_on_alloc), the ioctl ABI, interrupts,
# two VMs at once, the SYSCALL MSRs and host debug registers around guest
# runs, NMIs, the entry/exit mitigations, haxm check and haxm run, the
# packages.
DISTRO_TEST=${DISTRO_TEST:-fpu,mem,huge,bad_pointers,ioctl,intr,two_vms,life,msr_syscall,debug_host,nmi,mitigations,vmm_check,vmm_multiboot_smp,pkg}
# ...then QEMU -accel hax booting Linux to a shell with -smp 1 and 2 (qemu/run)
DISTRO_QEMU_TEST=${DISTRO_QEMU_TEST:-boot,smp2}
RUNS="1cpu 2cpu ${QEMU_INITRD:+qemu} ${DISTRO_PAYLOAD:+distro} ${KUT_INITRD:+kut}"
# Bochs runs on one host thread: two lanes of about the same length (measured
# in make test on a 2-core host at 1215479: 2cpu 913 s + qemu 236 s beside
# 1cpu 212 s + distro 327 s + kut 679 s) finish on two host cores in about
# the time of the longer one.
# SUITE_LANES=1 runs them one after the other.
LANES=${SUITE_LANES:-2}
LANE1="2cpu ${QEMU_INITRD:+qemu}"
LANE2="1cpu ${DISTRO_PAYLOAD:+distro} ${KUT_INITRD:+kut}"

boot() {
    local run=$1 cpus=${1%cpu} initrd=$INITRD append=haxm.kvm=1 timeout=1500
    # 2 CPUs: every entry/exit mitigation forced on (the testbed's CPU needs none)
    [ "$run" = 2cpu ] && append="haxm.kvm=1 haxm.force_mitigations=1" timeout=2400
    [ "$run" = qemu ] && cpus=2 initrd=$QEMU_INITRD append= timeout=1800
    [ "$run" = kut ] && cpus=1 initrd=$KUT_INITRD append=haxm.test=ci timeout=3600
    echo "== testbed: $run"
    if [ "$run" = distro ]; then
        "$HERE/distro.sh" boot 6.1 "$DISTRO_PAYLOAD" "$LOGDIR/distro-ci" --cpus 2 --timeout 1800 \
            --append "haxm.kvm=1 haxm.test=$DISTRO_TEST${QEMU_PAYLOAD:+ haxm.qemu=$DISTRO_QEMU_TEST}" \
            --log "$LOGDIR/testbed-$run.log"
    else
        "$HERE/run.sh" --cpus "$cpus" --timeout "$timeout" --initramfs "$initrd" --append "$append" \
            --log "$LOGDIR/testbed-$run.log"
    fi 2>&1 | tee "$LOGDIR/testbed-$run.out"
}

# A lane's output is prefixed with its boot's name while both lanes print.
lane() {
    local run
    for run in "$@"; do
        if [ "$LANES" -gt 1 ]; then boot "$run" | sed -u "s/^/[$run] /"; else boot "$run"; fi
    done
}

START=$SECONDS
if [ "$LANES" -gt 1 ]; then
    # shellcheck disable=SC2086 # lists of boot names
    lane $LANE1 &
    # shellcheck disable=SC2086
    lane $LANE2
    wait
else
    lane $RUNS
fi
echo "testbed: all boots took $((SECONDS - START)) s in $LANES lane(s)"

for run in $RUNS; do
    out=$(tail -n 1 "$LOGDIR/testbed-$run.out")
    p=$(sed -n 's/^\([0-9]*\) passed, \([0-9]*\) failed.*/\1/p' <<<"$out")
    f=$(sed -n 's/^\([0-9]*\) passed, \([0-9]*\) failed.*/\2/p' <<<"$out")
    if [ -z "$p" ]; then p=0 f=1; echo "FAIL: testbed-$run: no result line"; fi
    PASSED=$((PASSED + p)) FAILED=$((FAILED + f))
done
for run in $RUNS; do
    sed -n "s/^testbed: boot to/testbed ($run): boot to/p" "$LOGDIR/testbed-$run.out"
done
# what failed, again: a CI log's tail then names it
for run in $RUNS; do
    grep -h '^FAIL: ' "$LOGDIR/testbed-$run.out" | sed "s/^/testbed ($run): /"
done
echo "$PASSED passed, $FAILED failed"
[ "$FAILED" -eq 0 ] && [ "$PASSED" -gt 0 ]
