#!/usr/bin/env bash
# The testbed part of `make test`: one boot with 1 CPU and one with 2 CPUs,
# each running the whole in-guest suite; with QEMU_INITRD set, one more boot
# (2 CPUs) running the CI set of the QEMU tests; with KUT_INITRD set, one
# more (2 CPUs) running kvm-unit-tests' CI subset (tests/testbed/kut/ci.list)
# under QEMU hax and kvm. Prints the totals last.
# Usage: [QEMU_INITRD=FILE] [KUT_INITRD=FILE] suite.sh INITRAMFS [UNIT_PASSED UNIT_FAILED]
set -uo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
INITRD=$1 PASSED=${2:-0} FAILED=${3:-0}
LOGDIR=$(dirname "$INITRD")

RUNS="1cpu 2cpu ${QEMU_INITRD:+qemu} ${KUT_INITRD:+kut}"
for run in $RUNS; do
    cpus=${run%cpu} initrd=$INITRD append=haxm.kvm=1 timeout=600
    # 2 CPUs: every entry/exit mitigation forced on (the testbed's CPU needs none)
    [ "$run" = 2cpu ] && append="haxm.kvm=1 haxm.force_mitigations=1"
    [ "$run" = qemu ] && cpus=2 initrd=$QEMU_INITRD append= timeout=1800
    [ "$run" = kut ] && cpus=2 initrd=$KUT_INITRD append=haxm.test=ci timeout=3600
    echo "== testbed: $run"
    "$HERE/run.sh" --cpus "$cpus" --timeout "$timeout" --initramfs "$initrd" --append "$append" \
        --log "$LOGDIR/testbed-$run.log" | tee "$LOGDIR/testbed-$run.out"
    out=$(tail -n 1 "$LOGDIR/testbed-$run.out")
    p=$(sed -n 's/^\([0-9]*\) passed, \([0-9]*\) failed.*/\1/p' <<<"$out")
    f=$(sed -n 's/^\([0-9]*\) passed, \([0-9]*\) failed.*/\2/p' <<<"$out")
    if [ -z "$p" ]; then p=0 f=1; echo "FAIL: testbed-$run: no result line"; fi
    PASSED=$((PASSED + p)) FAILED=$((FAILED + f))
done
for run in $RUNS; do
    sed -n "s/^testbed: boot to/testbed ($run): boot to/p" "$LOGDIR/testbed-$run.out"
done
echo "$PASSED passed, $FAILED failed"
[ "$FAILED" -eq 0 ] && [ "$PASSED" -gt 0 ]
