#!/usr/bin/env bash
# Build an uncompressed newc initramfs: busybox, /init, KVM modules, PAYLOAD_DIR as /payload.
# Usage: [TESTBED_MODULES=DIR] mkinitramfs.sh OUT.cpio PAYLOAD_DIR
# TESTBED_MODULES: the kernel modules (*.ko) of another kernel than the
# testbed's (distro.sh: Debian's kvm, kvm-intel and their dependencies).
set -euo pipefail

[ $# -eq 2 ] || { echo "usage: $0 OUT.cpio PAYLOAD_DIR" >&2; exit 2; }
HERE=$(cd "$(dirname "$0")" && pwd)
OUT=$(realpath -m "$1"); PAYLOAD=$(realpath "$2")
KDIR=$("$HERE/kernel.sh" --print-kdir)
BUSYBOX=/bin/busybox   # from busybox-static
[ -x "$BUSYBOX" ] || { echo "mkinitramfs: busybox-static not installed (run deps.sh)" >&2; exit 1; }

ROOT=$(mktemp -d)
trap 'rm -rf "$ROOT"' EXIT

# Directory skeleton and busybox (applet symlinks are made by /init)
mkdir -p "$ROOT"/{bin,sbin,proc,sys,dev,tmp,payload,lib/modules-haxm}
cp "$BUSYBOX" "$ROOT/bin/busybox"
ln -s busybox "$ROOT/bin/sh"
install -m 755 "$HERE/init" "$ROOT/init"

install -m 644 "$HERE/testbed-lib.sh" "$ROOT/lib/testbed.sh"

# All modules of the testbed kernel (kvm, kvm-intel, irqbypass, ...), flat
[ -f "$KDIR/modules.order" ] || { echo "mkinitramfs: kernel not built (run kernel.sh)" >&2; exit 1; }
if [ -n "${TESTBED_MODULES:-}" ]; then
    cp "$TESTBED_MODULES"/*.ko "$ROOT/lib/modules-haxm/"
else
    while read -r m; do cp "$KDIR/${m%.*}.ko" "$ROOT/lib/modules-haxm/"; done < "$KDIR/modules.order"
fi

# Payload
cp -a "$PAYLOAD/." "$ROOT/payload/"

# Archive, all files owned by root
(cd "$ROOT" && find . -mindepth 1 | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet) > "$OUT"
# Device nodes without needing root: append a second archive made by the
# kernel's gen_init_cpio (the kernel unpacks concatenated archives)
printf 'nod /dev/console 0600 0 0 c 5 1\nnod /dev/null 0666 0 0 c 1 3\n' > "$ROOT.list"
"$KDIR/usr/gen_init_cpio" "$ROOT.list" >> "$OUT"
rm -f "$ROOT.list"
echo "mkinitramfs: wrote $OUT ($(du -h "$OUT" | cut -f1))"
