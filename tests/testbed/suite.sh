#!/usr/bin/env bash
# The testbed part of `make test`: one boot with 1 CPU and one with 2 CPUs,
# each running the whole in-guest suite. Prints the totals last.
# Usage: suite.sh INITRAMFS [UNIT_PASSED UNIT_FAILED]
set -uo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
INITRD=$1 PASSED=${2:-0} FAILED=${3:-0}
LOGDIR=$(dirname "$INITRD")

for cpus in 1 2; do
    echo "== testbed: $cpus CPU(s)"
    "$HERE/run.sh" --cpus "$cpus" --initramfs "$INITRD" --append "haxm.kvm=1" \
        --log "$LOGDIR/testbed-${cpus}cpu.log" | tee "$LOGDIR/testbed-${cpus}cpu.out"
    out=$(tail -n 1 "$LOGDIR/testbed-${cpus}cpu.out")
    p=$(sed -n 's/^\([0-9]*\) passed, \([0-9]*\) failed.*/\1/p' <<<"$out")
    f=$(sed -n 's/^\([0-9]*\) passed, \([0-9]*\) failed.*/\2/p' <<<"$out")
    if [ -z "$p" ]; then p=0 f=1; echo "FAIL: testbed-${cpus}cpu: no result line"; fi
    PASSED=$((PASSED + p)) FAILED=$((FAILED + f))
done
for cpus in 1 2; do
    sed -n "s/^testbed: boot to/testbed ($cpus CPU): boot to/p" "$LOGDIR/testbed-${cpus}cpu.out"
done
echo "$PASSED passed, $FAILED failed"
[ "$FAILED" -eq 0 ] && [ "$PASSED" -gt 0 ]
