#!/usr/bin/env bash
# `make demo`: run a guest under haxm. On a Linux host with VT-x and root,
# load the module here; otherwise boot the emulated VT-x testbed.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
TOP=$(cd "$HERE/../.." && pwd)
cd "$TOP"

if grep -qw vmx /proc/cpuinfo && [ "$(id -u)" = 0 ] && [ -d "/lib/modules/$(uname -r)/build" ]; then
    echo "demo: this host has VT-x: building haxm.ko for $(uname -r) and loading it"
    make -s KDIR="/lib/modules/$(uname -r)/build" haxm.ko build/haxm-test build/haxm build/vmm/mb.elf
    insmod haxm.ko
    trap 'rmmod haxm' EXIT
    build/haxm-test demo_guest_prints
    build/haxm run --cpus 2 --stats --multiboot build/vmm/mb.elf --append "exit=0 demo"
    exit
fi
echo "demo: no VT-x here; booting the emulated Intel machine (Bochs) of tests/testbed"
make -s all build/testbed.cpio
"$HERE/run.sh" --initramfs build/testbed.cpio --append "haxm.test=demo" --log build/demo.log
