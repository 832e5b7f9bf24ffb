#!/usr/bin/env bash
# Assemble the payload of the QEMU tests (it becomes /payload in the testbed):
# QEMU (qemu.sh's build) with its shared libraries and the loader, the
# firmware it needs from Debian's seabios and qemu-system-data, the testbed
# bzImage and a small busybox initramfs to boot inside QEMU, a SeaBIOS disk
# image, a qcow2 image for the snapshot tests, the monitor client qmon,
# haxm.ko and the tests (qemu/run).
# Usage: qemu-payload.sh OUTDIR HAXM_KO
set -euo pipefail

[ $# -eq 2 ] || { echo "usage: $0 OUTDIR HAXM_KO" >&2; exit 2; }
HERE=$(cd "$(dirname "$0")" && pwd)
OUT=$(realpath -m "$1"); KO=$(realpath "$2")
PREFIX=$("$HERE/qemu.sh" | tail -n1)
KDIR=$("$HERE/kernel.sh" --print-kdir)
QEMU=$PREFIX/bin/qemu-system-x86_64

rm -rf "$OUT"
mkdir -p "$OUT/qemu/bin" "$OUT/qemu/lib" "$OUT/qemu/share"
cp "$KO" "$OUT/"
install -m 755 "$HERE/qemu/run" "$OUT/run"
install -m 644 "$HERE/qemu/monitor.sh" "$OUT/monitor.sh"
install -m 644 "$HERE/qemu/virtio.sh" "$OUT/virtio.sh"
cp "$QEMU" "$OUT/qemu/bin/"

# Shared libraries, the loader included: the testbed root has no /lib64, so
# the wrapper starts QEMU through the loader with --library-path.
ldd "$QEMU" | awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }' \
    | while read -r lib; do cp -L "$lib" "$OUT/qemu/lib/"; done
[ -f "$OUT/qemu/lib/ld-linux-x86-64.so.2" ] || { echo "qemu-payload: no loader in ldd output" >&2; exit 1; }
cat > "$OUT/qemu-system-x86_64" <<'SH'
#!/bin/sh
# QEMU through the loader, with its libraries and firmware from /payload/qemu
d=/payload/qemu
exec $d/lib/ld-linux-x86-64.so.2 --library-path $d/lib $d/bin/qemu-system-x86_64 -L $d/share "$@"
SH
chmod 755 "$OUT/qemu-system-x86_64"

# The known-bad client, QEMU 7.2.22 as Debian ships it, when it has been
# built (make test-qemu-known-bad; qemu/run's knownbad_test): its own
# wrapper, the libraries of the build above (the same configuration)
BAD=$(QEMU_RELEASE=7.2.22 "$HERE/qemu.sh" --print-prefix)/bin/qemu-system-x86_64
if [ -x "$BAD" ]; then
    cp "$BAD" "$OUT/qemu/bin/qemu-system-x86_64-7.2.22"
    sed 's|bin/qemu-system-x86_64 |bin/qemu-system-x86_64-7.2.22 |' "$OUT/qemu-system-x86_64" \
        > "$OUT/qemu-7.2.22"
    chmod 755 "$OUT/qemu-7.2.22"
fi

# Firmware for the pc machine: SeaBIOS, the -kernel option ROM, the vapic ROM
for f in /usr/share/seabios/bios-256k.bin /usr/share/qemu/linuxboot_dma.bin \
         /usr/share/qemu/kvmvapic.bin; do
    cp -L "$f" "$OUT/qemu/share/"
done

# What QEMU boots: the testbed kernel and a busybox initramfs whose /init
# gives the serial console a shell
cp "$KDIR/arch/x86/boot/bzImage" "$OUT/qemu/bzImage"
ROOT=$(mktemp -d)
trap 'rm -rf "$ROOT" "$ROOT.list"' EXIT
mkdir -p "$ROOT"/{bin,proc,sys,dev,tmp}
cp /bin/busybox "$ROOT/bin/busybox"
install -m 755 "$HERE/qemu/qsum" "$ROOT/bin/qsum"
install -m 755 "$HERE/qemu/qexec" "$ROOT/bin/qexec"
install -m 755 "$HERE/qemu/qvirtio" "$ROOT/bin/qvirtio"
gcc -static -O2 -Wall -o "$ROOT/bin/qmark" "$HERE/qemu/qmark.c"
install -m 755 "$HERE/qemu/guest-init" "$ROOT/init"
(cd "$ROOT" && find . -mindepth 1 | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet) > "$OUT/qemu/guest.cpio"
printf 'nod /dev/console 0600 0 0 c 5 1\nnod /dev/null 0666 0 0 c 1 3\n' > "$ROOT.list"
"$KDIR/usr/gen_init_cpio" "$ROOT.list" >> "$OUT/qemu/guest.cpio"

# The SeaBIOS disk: a boot sector that reads its second sector through int 0x13
gcc -c "$HERE/qemu/mbr.S" -o "$ROOT/mbr.o"
ld -Ttext=0x7c00 --oformat=binary "$ROOT/mbr.o" -o "$OUT/qemu/disk.img"
truncate -s 1M "$OUT/qemu/disk.img"

# The monitor's client (busybox nc has no unix sockets), static
gcc -static -O2 -Wall -o "$OUT/qmon" "$HERE/qemu/qmon.c"

# savevm needs a writable disk that takes snapshots: an empty qcow2 (the
# guest has no disk driver; the image holds the VM state). qemu-img comes
# from Debian's qemu-utils (our build is qemu-system-x86_64 alone).
if ! command -v qemu-img >/dev/null; then
    SUDO=; [ "$(id -u)" -eq 0 ] || SUDO=sudo
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq qemu-utils
fi
qemu-img create -q -f qcow2 "$OUT/qemu/snap.qcow2" 64M

echo "qemu-payload: wrote $OUT ($(du -sh "$OUT" | cut -f1))"
