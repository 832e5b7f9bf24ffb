#!/usr/bin/env bash
# `make bench`: one testbed boot running haxm-bench (haxm and kvm_intel side
# by side). With a file argument, write the table there with the date and the
# testbed configuration; with --short, a quick run that only proves it works.
# Usage: bench.sh INITRAMFS (--short | RESULTS.md)
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
INITRD=$1 OUT=$2
LOGDIR=$(dirname "$INITRD")
MODE=bench
[ "$OUT" = --short ] && MODE=bench-short
APPEND="haxm.kvm=1 haxm.test=$MODE mitigations=off"

"$HERE/run.sh" --cpus 1 --initramfs "$INITRD" --append "$APPEND" \
    --log "$LOGDIR/bench.log" | tee "$LOGDIR/bench.out" | grep -v '^DMESG:'
grep -q '^PASS: bench' "$LOGDIR/bench.out" || { echo "bench: failed"; exit 1; }
[ "$MODE" = bench-short ] && exit 0

{
    echo "# haxm vs kvm_intel: benchmark results"
    echo
    echo "Written by \`make bench\` on $(date -u +%Y-%m-%d) from haxm $(git -C "$HERE" describe --always --dirty 2>/dev/null || echo '?')."
    echo
    model=$(sed -n 's/^testbed: booting \(.*\), timeout.*/\1/p' "$LOGDIR/bench.out")
    kver=$(sed -n 's/^DMESG: .*Linux version \([^ ]*\).*/\1/p' "$LOGDIR/bench.out" | head -n 1)
    echo "Testbed: Bochs $(dpkg-query -W -f='${Version}' bochs 2>/dev/null) as $model, kernel $kver."
    echo "Kernel command line: \`$(sed -n 's/^testbed: booting .*cmdline: //p' "$LOGDIR/bench.out")\`;"
    echo "kvm_intel loaded with \`vmentry_l1d_flush=never\` (haxm flushes no L1D either)."
    echo
    echo "Time base: the testbed's TSC, which Bochs advances per emulated instruction"
    echo "(\`clock: sync=none\`), read by the VMM around whole runs: figures are"
    echo "deterministic and count host plus guest instructions, including the VM"
    echo "exit and entry themselves. Ratio = haxm/KVM, lower is better for haxm."
    echo
    sed -n 's/^BENCH: \(|.*\)/\1/p' "$LOGDIR/bench.out"
    echo
    cat "$HERE/bench/NOTES.md"
} > "$OUT"
echo "bench: wrote $OUT"
