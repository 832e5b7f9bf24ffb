#!/usr/bin/env bash
# `make bench`: haxm-bench (haxm and kvm_intel side by side) in two testbed
# boots, one with the kernel's default mitigations (what users run; both
# hypervisors with their defaults) and one with mitigations=off. With a file
# argument, write the table there with the date, the testbed configuration
# and the mitigations each side had on; with --short, a quick run of both
# boots that only proves it works (the table on stdout). --only=a,b runs the
# workloads whose names start with a or b, in the first boot only (no file);
# "restore" (payload/run's bench_restore: haxm run --restore against a cold
# boot of the same Linux guest) is one, with its own table in the file, and
# "migrate" (payload/run's bench_migrate: haxm run --migrate-to a second
# haxm run while the guest writes memory) another.
# LINUX_INITRAMFS (with a file): QEMU -accel hax vs kvm booting Linux
# (bench/linux-run), for the linux-boot row, with the default mitigations
# and then (unless BENCH_LINUX_OFF=0) with mitigations=off.
# BENCH_APPEND: more kernel command line for every boot (haxm.X=Y,
# kvm_intel.X=Y and kvm.X=Y set those modules' parameters there).
# The testbed gets 3 GiB of RAM (BENCH_MEM MiB): the restore workload's
# 2 GiB guest must fit in the testbed with its snapshot file.
# Usage: bench.sh INITRAMFS (--short | --only=a,b | RESULTS.md [LINUX_INITRAMFS])
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
INITRD=$1 OUT=$2 LINUX=${3:-}
LOGDIR=$(dirname "$INITRD")
MODE=bench
[ "$OUT" = --short ] && MODE=bench-short
case "$OUT" in --only=*) MODE="bench:${OUT#--only=}" ;; esac
EXTRA=${BENCH_APPEND:-}
MEM=${BENCH_MEM:-3072}

# boot NAME INITRAMFS TIMEOUT PASS-LINE APPEND: one testbed boot, its
# console in $LOGDIR/NAME.out; fails unless the PASS line is there
boot() {
    echo "bench: $1 (cmdline +\"$5\")"
    "$HERE/run.sh" --cpus 1 --mem "$MEM" --timeout "$3" --initramfs "$2" --append "$5" \
        --log "$LOGDIR/$1.log" | tee "$LOGDIR/$1.out" | grep -v '^DMESG:'
    grep -qE "^PASS: $4[[:space:]]*\$" "$LOGDIR/$1.out" || { echo "bench: $1 failed"; exit 1; }
}

# The table: the rows of the first boot's files ($1, mitigations on) with
# the figures of the second's ($2, mitigations=off) in three more columns.
# A row the second boot lacks shows "not measured" there.
table() {
    awk -F'|' -v off="$2" '
        function trim(s) { gsub(/^[ \t]+|[ \t\r]+$/, "", s); return s }
        BEGIN {
            n = split(off, f, " ")
            for (i = 1; i <= n; i++)
                while ((getline l < f[i]) > 0)
                    if (l ~ /^BENCH: \| /) {
                        split(l, c, "|"); w = trim(c[2])
                        if (w == "workload" || w ~ /^-/) continue
                        oh[w] = trim(c[4]); ok[w] = trim(c[5]); or[w] = trim(c[6])
                    }
            print "| workload | unit | haxm ticks/unit | kvm ticks/unit | haxm/kvm | target" \
                " | haxm, mitigations=off | kvm, mitigations=off | haxm/kvm, mitigations=off |"
            print "|---|---|---:|---:|---:|---|---:|---:|---:|"
        }
        /^BENCH: \| / {
            w = trim($2)
            if (w == "workload" || w ~ /^-/) next
            if (w in oh) o = oh[w] " | " ok[w] " | " or[w]
            else o = "not measured | not measured | -"
            printf "| %s | %s | %s | %s | %s | %s | %s |\n", w, trim($3), trim($4), trim($5),
                trim($6), trim($7), o
        }' $1
}

# What each side had on in a boot's log, as a Markdown list item: haxm's
# choices (its mitigations parameter; how its L1D flush runs), kvm_intel's
# vmentry_l1d_flush, the kernel's vulnerabilities lines (those not "Not
# affected"), and how often haxm ran each over the whole boot (debugfs).
mitigations() {
    sed -n 's/^BENCH-MIT\(-DONE\)\{0,1\}: /&/p' "$1" | tr -d '\r' | awk -v what="$2" '
        $1 == "BENCH-MIT:" && $2 == "haxm" && $4 == "on" { h = h (h ? ", " : "") $3 }
        $1 == "BENCH-MIT:" && /haxm: mitigation l1d: (cond|always)/ {
            sub(/.*haxm: mitigation l1d: /, ""); l1d = $0
        }
        $1 == "BENCH-MIT:" && $2 == "kvm_intel" { k = "vmentry_l1d_flush=" $4 k }
        $1 == "BENCH-MIT:" && $2 == "kvm" { k = k ", kvm nx_huge_pages=" $4 }
        $1 == "BENCH-MIT:" && $2 == "kernel" && !/:Not affected$/ {
            sub(/^BENCH-MIT: kernel /, ""); v = $0; sub(/:.*/, "", v)
            if (!(v in seen)) { seen[v] = 1; sub(/:/, ": "); kern = kern "\n  - " $0 }
        }
        $1 == "BENCH-MIT-DONE:" && $4 == "on" { d = d (d ? ", " : "") $3 " " $5 }
        END {
            if (l1d != "") sub(/l1d/, "l1d (" l1d ")", h)
            printf "- **%s**: haxm: %s; kvm_intel: %s.\n", what, h == "" ? "none" : h,
                k == "" ? "?" : k
            printf "  haxm ran them (whole boot; entries, flushes): %s.\n", d == "" ? "none" : d
            printf "  The kernel'\''s vulnerabilities files, with kvm_intel loaded:%s\n",
                kern == "" ? " ?" : kern
        }'
}

# The restore workload's table, from a boot's BENCH-RESTORE: lines (guest
# RAM, cold boot ticks, restore ticks; or the RAM and "n/a (why)").
restore_table() {
    echo "| guest RAM | cold boot to the shell, ticks | restore to the first RUN, ticks | restore/cold | target |"
    echo "|---|---:|---:|---:|---|"
    sed -n 's/^BENCH-RESTORE: //p' "$1" | tr -d '\r' | awk '
        $2 ~ /^[0-9]+$/ && $3 ~ /^[0-9]+$/ {
            r = $3 / $2
            printf "| %s | %d | %d | %.4f | <= 0.01 %s |\n", $1, $2, $3, r,
                r <= 0.01 ? "met" : "missed"
            next
        }
        { ram = $1; $1 = ""; sub(/^ /, ""); printf "| %s | %s | - | - | <= 0.01 |\n", ram, $0 }'
}

# The migrate workload's table, from a boot's BENCH-MIGRATE: lines (guest
# RAM, rounds, pages, total and downtime in ticks then ms; or "n/a (why)").
migrate_table() {
    echo "| guest RAM | rounds | pages sent | total, ticks | downtime, ticks | total, ms | downtime, ms |"
    echo "|---|---:|---:|---:|---:|---:|---:|"
    sed -n 's/^BENCH-MIGRATE: //p' "$1" | tr -d '\r' | awk '
        $2 ~ /^[0-9]+$/ { printf "| %s | %d | %d | %d | %d | %s | %s |\n", $1, $2, $3, $4, $5, $6, $7; next }
        { ram = $1; $1 = ""; sub(/^ /, ""); printf "| %s | %s | - | - | - | - | - |\n", ram, $0 }'
}

boot bench "$INITRD" 600 bench "haxm.kvm=1 haxm.test=$MODE${EXTRA:+ $EXTRA}"
case "$MODE" in bench:*) exit 0 ;; esac
boot bench-off "$INITRD" 600 bench "haxm.kvm=1 haxm.test=$MODE mitigations=off${EXTRA:+ $EXTRA}"
if [ "$MODE" = bench-short ]; then
    table "$LOGDIR/bench.out" "$LOGDIR/bench-off.out"
    mitigations "$LOGDIR/bench.out" "mitigations on"
    mitigations "$LOGDIR/bench-off.out" "mitigations=off"
    exit 0
fi
: > "$LOGDIR/bench-linux.out"
: > "$LOGDIR/bench-linux-off.out"
if [ -n "$LINUX" ]; then
    boot bench-linux "$LINUX" 5400 bench-linux "$EXTRA"
    [ "${BENCH_LINUX_OFF:-1}" = 0 ] ||
        boot bench-linux-off "$LINUX" 5400 bench-linux "mitigations=off${EXTRA:+ $EXTRA}"
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
    echo "Testbed: Bochs $(dpkg-query -W -f='${Version}' bochs 2>/dev/null) as $model with $MEM MiB, kernel $kver"
    echo "(built with Debian's mitigation options: retpolines, return thunks, PTI...)."
    echo "Kernel command line: \`$(sed -n 's/^testbed: booting .*cmdline: //p' "$LOGDIR/bench.out")\`;"
    echo "the mitigations=off columns come from a second boot with \`mitigations=off\`"
    echo "added. haxm and kvm_intel are loaded with their default parameters in both."
    qemu=$(sed -n 's/^BENCH-QEMU: //p' "$LOGDIR/bench-linux.out" | tr -d '\r')
    [ -n "$qemu" ] && echo "linux-boot: $qemu, in a third boot (and a fourth with mitigations=off)."
    echo
    echo "Time base: the testbed's TSC, which Bochs advances per emulated instruction"
    echo "(\`clock: sync=none\`), read by the VMM around whole runs: figures are"
    echo "deterministic and count host plus guest instructions, including the VM"
    echo "exit and entry themselves. Ratio = haxm/KVM, lower is better for haxm;"
    echo "the target judges the ratio with the mitigations on."
    echo
    table "$LOGDIR/bench.out $LOGDIR/bench-linux.out" "$LOGDIR/bench-off.out $LOGDIR/bench-linux-off.out"
    echo
    echo "Mitigations in force, from the boots' logs (haxm's \`mitigations\` parameter"
    echo "and \`haxm: mitigation\` lines, kvm_intel's \`vmentry_l1d_flush\`, the"
    echo "kernel's /sys/devices/system/cpu/vulnerabilities). kvm_intel has no switch"
    echo "of its own for VERW, the RSB fill or IBRS: its entry path follows the"
    echo "kernel's choices, as haxm's does (docs/threat-model.md)."
    echo
    mitigations "$LOGDIR/bench.out" "mitigations on (first boot, linux-boot's third)"
    mitigations "$LOGDIR/bench-off.out" "mitigations=off (second boot, linux-boot's fourth)"
    echo
    side=$(sed -n 's/^BOOT: haxm-run //p' "$LOGDIR/bench.out" | tr -d '\r')
    side_off=$(sed -n 's/^BOOT: haxm-run //p' "$LOGDIR/bench-off.out" | tr -d '\r')
    echo "Side figure: \`haxm run\` (haxm's own VMM) boots the same kernel to its"
    echo "/init's first line in ${side:-n/a} ticks (mitigations=off: ${side_off:-n/a};"
    echo "\`-m 256M\`, no LAPIC/IO-APIC; no KVM counterpart: haxm run has no KVM backend)."
    echo
    echo "## Restore (haxm run --save / --restore)"
    echo
    echo "\`haxm run\` restoring a snapshot of its Linux guest taken at the shell,"
    echo "against a cold boot of the same guest to the same shell, in the first boot"
    echo "(mitigations on; the restore workload below; no KVM counterpart)."
    echo
    restore_table "$LOGDIR/bench.out"
    echo
    echo "## Live migration (haxm run --migrate-to / --migrate-listen)"
    echo
    echo "\`haxm run\` moving its multiboot guest's memtest (4 MiB written and"
    echo "checked pass after pass) to another \`haxm run\` while it runs, in the first"
    echo "boot (mitigations on; the migrate workload below; no KVM counterpart)."
    echo
    migrate_table "$LOGDIR/bench.out"
    echo
    cat "$HERE/bench/NOTES.md"
} | sed 's/\r$//' > "$OUT"
echo "bench: wrote $OUT"
