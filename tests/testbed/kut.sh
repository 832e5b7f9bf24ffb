#!/usr/bin/env bash
# kvm-unit-tests (../shared/peer, never copied into the tree) in the testbed:
# unmodified QEMU 7.2 with -accel hax on haxm.ko and -accel kvm on kvm_intel,
# one QEMU per test (tests/testbed/kut/run); issue 20.
#   kut.sh payload OUTDIR QEMU_PAYLOAD  the suite built (cached in
#       ${HAXM_CACHE:-~/.cache/haxm}/kut), OUTDIR = the QEMU payload + the
#       .flat files, kut/tests.list (from x86/unittests.cfg), kut/ci.list,
#       kut/reasons and run
#   kut.sh test INITRAMFS MODE [RESULTS.md]  boot the testbed with
#       haxm.test=MODE (ci, all, or test names), print the side-by-side table;
#       with RESULTS.md write it there (docs/conformance.md). KUT_CPUS=N: the
#       testbed's CPUs (2 by default; 1 runs single-vCPU tests about twice as
#       fast). The testbed has 3 GiB of RAM (KUT_MEM=MiB): asyncpf and the
#       vmx tests give their guest -m 2048 or more, which QEMU under kvm
#       touches
# Without the peer tarball both print a SKIP line and succeed.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
CACHE=${HAXM_CACHE:-$HOME/.cache/haxm}
# KUT_TAR: the Makefile's find (PEER=); else ../shared/peer from the root
TAR=${KUT_TAR:-$(ls "$ROOT"/../shared/peer/kvm-unit-tests-*.tar.gz 2>/dev/null | head -n 1 || true)}
if [ -z "$TAR" ] || [ ! -f "$TAR" ]; then
    echo "SKIP: kut: ../shared/peer/kvm-unit-tests-*.tar.gz not found (a clone without the peer suites)"
    exit 0
fi

# The suite, built once per tarball (x86_64 .flat files)
build_suite() {
    local sum dir
    sum=$(sha256sum "$TAR" | cut -c1-16)
    dir=$CACHE/kut/$sum
    if [ ! -f "$dir/.built" ]; then
        rm -rf "$dir" "$dir.tmp"
        mkdir -p "$dir.tmp"
        tar -xzf "$TAR" -C "$dir.tmp"
        (cd "$dir.tmp"/kvm-unit-tests && ./configure >/dev/null && make -j2 >/dev/null) \
            || { echo "kut: building kvm-unit-tests failed" >&2; exit 1; }
        mv "$dir.tmp" "$dir"
        touch "$dir/.built"
    fi
    echo "$dir/kvm-unit-tests"
}

case ${1:-} in
payload)
    OUT=$(realpath -m "$2") QP=$3
    SRC=$(build_suite)
    rm -rf "$OUT"
    cp -a "$QP" "$OUT"
    rm -f "$OUT"/qemu/bzImage "$OUT"/qemu/guest.cpio "$OUT"/qemu/disk.img
    # -kernel with a multiboot image (the .flat files) needs this option ROM
    cp -L /usr/share/qemu/multiboot_dma.bin "$OUT/qemu/share/"
    mkdir -p "$OUT/kut"
    install -m 755 "$HERE/kut/run" "$OUT/run"
    cp "$HERE/kut/ci.list" "$HERE/kut/reasons" "$OUT/kut/"
    python3 "$HERE/kut.py" list "$SRC/x86/unittests.cfg" "$SRC/x86" > "$OUT/kut/tests.list"
    # the haxm commit the payload's haxm.ko is built from, for the results' rows
    git -C "$ROOT" describe --always --dirty > "$OUT/kut/version" 2>/dev/null || echo '?' > "$OUT/kut/version"
    cut -d'|' -f2 "$OUT/kut/tests.list" | sort -u | while read -r f; do
        cp "$SRC/x86/$f" "$OUT/kut/"
    done
    echo "kut: wrote $OUT ($(wc -l < "$OUT/kut/tests.list") tests, $(du -sh "$OUT" | cut -f1))"
    ;;
test)
    INITRD=$2 MODE=$3 RESULTS=${4:-}
    LOGDIR=$(dirname "$INITRD")
    rc=0
    "$HERE/run.sh" --cpus "${KUT_CPUS:-2}" --mem "${KUT_MEM:-3072}" --timeout 14400 --initramfs "$INITRD" --append "haxm.test=$MODE" \
        --log "$LOGDIR/testbed-kut.log" | tee "$LOGDIR/testbed-kut.out" | grep -v '^DMESG:' || rc=1
    # the rows of the tests that ran, also from a boot that did not finish
    python3 "$HERE/kut.py" report "$LOGDIR/testbed-kut.out" "$HERE/kut/reasons" ${RESULTS:+"$RESULTS"}
    [ $rc -eq 0 ] && tail -n 1 "$LOGDIR/testbed-kut.out" | grep -q ' 0 failed'
    ;;
*)
    echo "usage: $0 payload OUTDIR QEMU_PAYLOAD | test INITRAMFS MODE [RESULTS.md]" >&2
    exit 2
    ;;
esac
