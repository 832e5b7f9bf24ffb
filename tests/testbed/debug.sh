#!/usr/bin/env bash
# `make test-debug`: the whole in-guest suite (2 CPUs), the short ABI fuzzer
# and a kmemleak scan on the debug kernel flavour (KASAN, lockdep,
# DEBUG_ATOMIC_SLEEP, kmemleak). `make test-kcsan`: the same on the KCSAN
# flavour (HAXM_KERNEL=kcsan; no kmemleak there). haxm.ko is built from a
# copy of the sources against that kernel (Kbuild builds in the source tree,
# which holds the objects for the normal kernel). TEST=prefix,... runs only
# those tests (as make test-testbed; "fuzz-short" is the short fuzzer). With
# RESULTS=FILE the outcome replaces the section of FILE headed
# RESULTS_SECTION (default "## Last run") up to the next "## " heading, or is
# appended (docs/debug-kernel.md is the checked-in record).
# Usage: [HAXM_KERNEL=debug|kcsan] [TEST=...] debug.sh BUILD_DIR PAYLOAD_DIR
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
TOP=$(cd "$HERE/../.." && pwd)
B=$1 PAYLOAD=$2
export HAXM_KERNEL=${HAXM_KERNEL:-debug}
SECTION=${RESULTS_SECTION:-## Last run}
APPEND="haxm.kvm=1"
[ "$HAXM_KERNEL" = kcsan ] || APPEND="$APPEND kmemleak=on"
[ -z "${TEST:-}" ] || APPEND="$APPEND haxm.test=$TEST"
# the sources under test (they may change while the run takes its hour)
COMMIT=$(git -C "$TOP" rev-parse --short HEAD)
git -C "$TOP" diff --quiet HEAD -- core platform include tests lib tools || COMMIT="$COMMIT + changes"

echo "test-debug: building the $HAXM_KERNEL kernel (once; ~5 minutes)"
KDIR=$("$HERE/kernel.sh" | tail -n1)
rm -rf "$B/src" "$B/payload" && mkdir -p "$B/src"
cp -r "$TOP/Kbuild" "$TOP/core" "$TOP/platform" "$TOP/include" "$B/src/"
make -s -C "$KDIR" M="$(cd "$B/src" && pwd)" HAXM_WERROR=1 modules
cp -r "$PAYLOAD" "$B/payload" && cp "$B/src/haxm.ko" "$B/payload/"
"$HERE/mkinitramfs.sh" "$B/testbed.cpio" "$B/payload"
start=$(date +%s)
rc=0
"$HERE/run.sh" --cpus 2 --timeout 5400 --initramfs "$B/testbed.cpio" \
    --append "$APPEND" --log "$B/testbed.log" | tee "$B/testbed.out" || rc=$?
secs=$(( $(date +%s) - start ))
if [ -n "${RESULTS:-}" ]; then
    out=$B/testbed.out
    {
        echo "$SECTION (written by \`make test-$HAXM_KERNEL\`)"
        echo
        echo "- date: $(date -u '+%Y-%m-%d %H:%M UTC'), commit $COMMIT"
        echo "- kernel: $(grep -m1 -o 'Linux version [^ ]*' "$out" || echo '?'), configured by"
        echo "  tests/testbed/kernel.config + tests/testbed/kernel-$HAXM_KERNEL.config"
        echo "- Bochs, corei7_skylake_x, 2 CPUs; $(grep -m1 -o 'boot to /init took.*' "$out" || echo 'boot time: not reported')"
        if [ -n "${TEST:-}" ]; then echo "- tests: the subset TEST=$TEST"; else echo "- tests: the whole suite"; fi
        echo "- wall time: ${secs} s (boot, tests, dmesg dump), exit status $rc"
        echo "- in-guest tests: $(grep -m1 -o 'haxm-test: [0-9]* passed, [0-9]* failed' "$out" || echo 'no summary')"
        echo "- fuzzer: $(grep -m1 -o 'FUZZ: [0-9]* calls, [0-9]* guest runs.*' "$out" || echo 'not run')"
        echo "- kmemleak scan: $(grep -m1 -o '^[A-Z]*: kmemleak-clean' "$out" || echo 'not run')"
        echo "- kernel reports (KASAN, KCSAN, lockdep, BUG, WARNING) in the console and dmesg:" \
            "$(grep -cE 'KASAN:|KCSAN:|BUG:|WARNING:|possible circular|inconsistent lock' "$out" || true)"
        echo "- FAIL lines: $(grep -c '^FAIL' "$out" || true)"
        grep '^FAIL' "$out" | sed 's/^/  - /' || true
        echo "- result: $(tail -n1 "$out")"
    } > "$RESULTS.section"
    # the file with the section replaced (or added at the end)
    if [ -f "$RESULTS" ]; then
        awk -v head="$SECTION" -v sec="$RESULTS.section" '
            function put() { while ((getline l < sec) > 0) print l; done = 1 }
            index($0, head) == 1 { put(); skip = 1; next }
            skip && /^## / { skip = 0; print "" }
            !skip { print }
            END { if (!done) { print ""; put() } }' "$RESULTS" > "$RESULTS.tmp"
    else
        { echo "# The suite on the debug kernels"; echo; cat "$RESULTS.section"; } > "$RESULTS.tmp"
    fi
    rm -f "$RESULTS.section"
    mv "$RESULTS.tmp" "$RESULTS"
fi
exit $rc
