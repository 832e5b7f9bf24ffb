#!/usr/bin/env bash
# Smoke test of the testbed alone: boot with 1 and 2 CPUs, load KVM, check VMX.
# Usage: selftest.sh [extra run.sh args...]
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
"$HERE/kernel.sh" >/dev/null
TMP=$(mktemp -d /tmp/haxm-selftest.XXXXXX)
trap 'rm -rf "$TMP"' EXIT
# Payload: selftest/ plus the statically linked KVM smoke test
cp -a "$HERE/selftest" "$TMP/payload"
gcc -static -O2 -Wall -o "$TMP/payload/kvm-smoke" "$TMP/payload/kvm-smoke.c"
rm "$TMP/payload/kvm-smoke.c"
"$HERE/mkinitramfs.sh" "$TMP/initramfs.cpio" "$TMP/payload"

rc=0
for n in 1 2; do
    echo "selftest: --cpus $n"
    # haxm.test=N tells the payload how many CPUs to expect
    "$HERE/run.sh" --cpus "$n" --timeout 300 --initramfs "$TMP/initramfs.cpio" \
        --append "haxm.test=$n" "$@" || rc=1
done
[ $rc -eq 0 ] && echo "selftest: all runs passed" || echo "selftest: FAILED"
exit $rc
