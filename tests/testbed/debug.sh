#!/usr/bin/env bash
# `make test-debug`: the whole in-guest suite (2 CPUs), the short ABI fuzzer
# and a kmemleak scan on the debug kernel flavour (KASAN, lockdep,
# DEBUG_ATOMIC_SLEEP, kmemleak). haxm.ko is built from a copy of the sources
# against that kernel (Kbuild builds in the source tree, which holds the
# objects for the normal kernel). With RESULTS=FILE the outcome replaces the
# part of FILE from the line "## Last run" on (docs/debug-kernel.md is the
# checked-in record; what is above that line is kept).
# Usage: debug.sh BUILD_DIR PAYLOAD_DIR
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
TOP=$(cd "$HERE/../.." && pwd)
B=$1 PAYLOAD=$2
export HAXM_KERNEL=debug
# the sources under test (they may change while the run takes its hour)
COMMIT=$(git -C "$TOP" rev-parse --short HEAD)
git -C "$TOP" diff --quiet HEAD -- core platform include tests lib tools || COMMIT="$COMMIT + changes"

echo "test-debug: building the debug kernel (once; ~5 minutes)"
KDIR=$("$HERE/kernel.sh" | tail -n1)
rm -rf "$B/src" "$B/payload" && mkdir -p "$B/src"
cp -r "$TOP/Kbuild" "$TOP/core" "$TOP/platform" "$TOP/include" "$B/src/"
make -s -C "$KDIR" M="$(cd "$B/src" && pwd)" HAXM_WERROR=1 modules
cp -r "$PAYLOAD" "$B/payload" && cp "$B/src/haxm.ko" "$B/payload/"
"$HERE/mkinitramfs.sh" "$B/testbed.cpio" "$B/payload"
start=$(date +%s)
rc=0
"$HERE/run.sh" --cpus 2 --timeout 5400 --initramfs "$B/testbed.cpio" \
    --append "haxm.kvm=1 kmemleak=on" --log "$B/testbed.log" | tee "$B/testbed.out" || rc=$?
secs=$(( $(date +%s) - start ))
if [ -n "${RESULTS:-}" ]; then
    out=$B/testbed.out
    {
        if [ -f "$RESULTS" ] && grep -q '^## Last run' "$RESULTS"; then
            sed '/^## Last run/,$d' "$RESULTS"
        else
            echo "# The suite on the debug kernel"
            echo
        fi
        echo "## Last run (written by \`make test-debug\`)"
        echo
        echo "- date: $(date -u '+%Y-%m-%d %H:%M UTC'), commit $COMMIT"
        echo "- kernel: $(grep -m1 -o 'Linux version [^ ]*' "$out" || echo '?'), configured by"
        echo "  tests/testbed/kernel.config + tests/testbed/kernel-debug.config"
        echo "- Bochs, corei7_skylake_x, 2 CPUs; $(grep -m1 -o 'boot to /init took.*' "$out" || echo 'boot time: not reported')"
        echo "- wall time: ${secs} s (boot, suite, fuzzer, kmemleak scan, dmesg dump), exit status $rc"
        echo "- in-guest tests: $(grep -m1 -o 'haxm-test: [0-9]* passed, [0-9]* failed' "$out" || echo 'no summary')"
        echo "- fuzzer: $(grep -m1 -o 'FUZZ: [0-9]* calls, [0-9]* guest runs.*' "$out" || echo 'no summary')"
        echo "- kmemleak scan: $(grep -m1 -o '^[A-Z]*: kmemleak-clean' "$out" || echo 'not run')"
        echo "- kernel reports (KASAN, lockdep, BUG, WARNING) in the console and dmesg:" \
            "$(grep -cE 'KASAN|BUG:|WARNING:|possible circular|inconsistent lock' "$out" || true)"
        echo "- FAIL lines: $(grep -c '^FAIL' "$out" || true)"
        grep '^FAIL' "$out" | sed 's/^/  - /' || true
        echo "- result: $(tail -n1 "$out")"
    } > "$RESULTS.tmp"
    mv "$RESULTS.tmp" "$RESULTS"
fi
exit $rc
