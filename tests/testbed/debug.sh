#!/usr/bin/env bash
# `make test-debug`: the whole in-guest suite (2 CPUs) on the debug kernel
# flavour (KASAN, lockdep, DEBUG_ATOMIC_SLEEP, kmemleak). haxm.ko is built
# from a copy of the sources against that kernel (Kbuild builds in the source
# tree, which holds the objects for the normal kernel). With RESULTS=FILE the
# outcome is written there (docs/debug-kernel.md is the checked-in record).
# Usage: debug.sh BUILD_DIR PAYLOAD_DIR
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
TOP=$(cd "$HERE/../.." && pwd)
B=$1 PAYLOAD=$2
export HAXM_KERNEL=debug

echo "test-debug: building the debug kernel (once; ~5 minutes)"
KDIR=$("$HERE/kernel.sh" | tail -n1)
rm -rf "$B/src" "$B/payload" && mkdir -p "$B/src"
cp -r "$TOP/Kbuild" "$TOP/core" "$TOP/platform" "$TOP/include" "$B/src/"
make -s -C "$KDIR" M="$(cd "$B/src" && pwd)" modules
cp -r "$PAYLOAD" "$B/payload" && cp "$B/src/haxm.ko" "$B/payload/"
"$HERE/mkinitramfs.sh" "$B/testbed.cpio" "$B/payload"
start=$(date +%s)
rc=0
"$HERE/run.sh" --cpus 2 --timeout 2400 --initramfs "$B/testbed.cpio" \
    --append "haxm.kvm=1 kmemleak=on" --log "$B/testbed.log" | tee "$B/testbed.out" || rc=$?
secs=$(( $(date +%s) - start ))
if [ -n "${RESULTS:-}" ]; then
    {
        echo "# The suite on the debug kernel"
        echo
        echo "\`make test-debug\` boots the testbed (Bochs, corei7_skylake_x, 2 CPUs) with the"
        echo "debug flavour of the testbed kernel (tests/testbed/kernel-debug.config: KASAN,"
        echo "PROVE_LOCKING, DEBUG_ATOMIC_SLEEP, kmemleak, DEBUG_LIST) and runs the whole in-guest"
        echo "suite, the short fuzzer and a kmemleak scan. The harness fails on any KASAN,"
        echo "lockdep, BUG or WARNING report in the guest's dmesg. It takes too long for"
        echo "\`make test\` (CI runs that); this file records the last run."
        echo
        echo "- date: $(date -u +%Y-%m-%d), commit $(git -C "$TOP" rev-parse --short HEAD)"
        echo "- $(grep -m1 'boot to' "$B/testbed.out" || echo 'boot time: not reported')"
        echo "- wall time: ${secs} s, exit status $rc"
        echo "- result: $(tail -n1 "$B/testbed.out")"
    } > "$RESULTS"
fi
exit $rc
