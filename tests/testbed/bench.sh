#!/usr/bin/env bash
# `make bench`: one testbed boot running haxm-bench (haxm and kvm_intel side
# by side). With a file argument, write the table there with the date and the
# testbed configuration; with --short, a quick run that only proves it works.
# --only=a,b runs the workloads whose names start with a or b (no file).
# LINUX_INITRAMFS (with a file): a second boot, QEMU -accel hax vs kvm
# booting Linux (bench/linux-run), for the linux-boot row.
# Usage: bench.sh INITRAMFS (--short | --only=a,b | RESULTS.md [LINUX_INITRAMFS])
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
INITRD=$1 OUT=$2 LINUX=${3:-}
LOGDIR=$(dirname "$INITRD")
MODE=bench
[ "$OUT" = --short ] && MODE=bench-short
case "$OUT" in --only=*) MODE="bench:${OUT#--only=}" ;; esac
APPEND="haxm.kvm=1 haxm.test=$MODE mitigations=off"

"$HERE/run.sh" --cpus 1 --initramfs "$INITRD" --append "$APPEND" \
    --log "$LOGDIR/bench.log" | tee "$LOGDIR/bench.out" | grep -v '^DMESG:'
grep -q '^PASS: bench' "$LOGDIR/bench.out" || { echo "bench: failed"; exit 1; }
[ "$MODE" = bench ] || exit 0
: > "$LOGDIR/bench-linux.out"
if [ -n "$LINUX" ]; then
    "$HERE/run.sh" --cpus 1 --timeout 5400 --initramfs "$LINUX" --append "mitigations=off" \
        --log "$LOGDIR/bench-linux.log" | tee "$LOGDIR/bench-linux.out" | grep -v '^DMESG:'
    grep -qE '^PASS: bench-linux[[:space:]]*$' "$LOGDIR/bench-linux.out" || { echo "bench: linux-boot failed"; exit 1; }
fi

# before "$OUT" is truncated: it is in the tree too
ver=$(git -C "$HERE" describe --always --dirty 2>/dev/null || echo '?')
{
    echo "# haxm vs kvm_intel: benchmark results"
    echo
    echo "Written by \`make bench\` on $(date -u +%Y-%m-%d) from haxm $ver."
    echo
    model=$(sed -n 's/^testbed: booting \(.*\), timeout.*/\1/p' "$LOGDIR/bench.out")
    kver=$(sed -n 's/^DMESG: .*Linux version \([^ ]*\).*/\1/p' "$LOGDIR/bench.out" | head -n 1)
    echo "Testbed: Bochs $(dpkg-query -W -f='${Version}' bochs 2>/dev/null) as $model, kernel $kver."
    echo "Kernel command line: \`$(sed -n 's/^testbed: booting .*cmdline: //p' "$LOGDIR/bench.out")\`;"
    echo "kvm_intel loaded with \`vmentry_l1d_flush=never\` (haxm flushes no L1D either)."
    qemu=$(sed -n 's/^BENCH-QEMU: //p' "$LOGDIR/bench-linux.out")
    [ -n "$qemu" ] && echo "linux-boot: $qemu, in a second testbed boot like the first."
    echo
    echo "Time base: the testbed's TSC, which Bochs advances per emulated instruction"
    echo "(\`clock: sync=none\`), read by the VMM around whole runs: figures are"
    echo "deterministic and count host plus guest instructions, including the VM"
    echo "exit and entry themselves. Ratio = haxm/KVM, lower is better for haxm."
    echo
    sed -n 's/^BENCH: \(|.*\)/\1/p' "$LOGDIR/bench.out" "$LOGDIR/bench-linux.out"
    echo
    side=$(sed -n 's/^BOOT: haxm-run //p' "$LOGDIR/bench.out" | tr -d '\r')
    echo "Side figure: \`haxm run\` (haxm's own VMM) boots the same kernel to its"
    echo "/init's first line in ${side:-n/a} ticks (\`-m 256M\`, no LAPIC/IO-APIC; no KVM"
    echo "counterpart: haxm run has no KVM backend)."
    echo
    cat "$HERE/bench/NOTES.md"
} | sed 's/\r$//' > "$OUT"
echo "bench: wrote $OUT"
