#!/usr/bin/env bash
# Boot the testbed kernel + an initramfs in Bochs, stream the serial console, judge the log.
# Usage: run.sh [--cpus N] [--cores] [--mem MIB] [--timeout SECONDS] [--cpu-model MODEL]
#               [--log FILE] [--kernel BZIMAGE] --initramfs FILE [--append "extra cmdline"]
# --cores: the N CPUs are N cores of one package (Bochs count=1:N:1), not N
# one-core packages (count=N); see "Distro kernels in the testbed" in docs/design.md.
# --mem: the testbed's RAM (default 512 MiB; at most 3072, below the PCI hole;
# Bochs holds at most 2048 MiB in host memory and pages the rest to a file).
# Env: TESTBED_KEEP=1 keeps the temp dir (bochsrc, ISO, bochs.log); TESTBED_IPS sets ips.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
IPS=${TESTBED_IPS:-100000000}   # emulated instructions per second (= TSC rate)
CPUS=1 TIMEOUT=600 MODEL=corei7_skylake_x LOG= INITRD= APPEND= KERNEL= CORES= MEM=512
usage() { sed -n '2,8p' "$0" >&2; exit 2; }
while [ $# -gt 0 ]; do
    case "$1" in
        --cpus) CPUS=$2; shift 2 ;;
        --cores) CORES=1; shift ;;
        --mem) MEM=$2; shift 2 ;;
        --timeout) TIMEOUT=$2; shift 2 ;;
        --cpu-model) MODEL=$2; shift 2 ;;
        --log) LOG=$2; shift 2 ;;
        --initramfs) INITRD=$2; shift 2 ;;
        --kernel) KERNEL=$2; shift 2 ;;
        --append) APPEND="$APPEND $2"; shift 2 ;;   # cumulative
        *) usage ;;
    esac
done
[ -n "$INITRD" ] && [ -f "$INITRD" ] || usage
case "$MEM" in ''|*[!0-9]*) usage ;; esac
[ "$MEM" -ge 64 ] && [ "$MEM" -le 3072 ] || usage

# Kernel: the testbed's (idempotent; seconds when up to date) or --kernel
if [ -z "$KERNEL" ]; then
    KDIR=$("$HERE/kernel.sh" | tail -n1)
    KERNEL=$KDIR/arch/x86/boot/bzImage
fi
[ -f "$KERNEL" ] || usage

# Base command line: serial console, fast TSC setup (Bochs' TSC counts instructions),
# no panic reboot (the harness spots the panic and stops Bochs). clearcpuid: Bochs
# reports a wrong compacted XSAVE size with AVX-512 (CPUID.(0xd,1).EBX), which makes
# the kernel WARN in xstate.c; without XSAVEC/XSAVES it uses the standard layout.
# haxm.quirk_vid_vectoring=1: Bochs' IDT-vectoring field after an exit
# during virtual-interrupt delivery is stale (core/vmx/run.c)
CMDLINE="console=ttyS0,115200 tsc_early_khz=$((IPS / 1000)) loglevel=4 panic=0 clearcpuid=xsavec,xsaves haxm.quirk_vid_vectoring=1 $APPEND"

TMP=$(mktemp -d /tmp/haxm-testbed.XXXXXX)
BOCHS_PID=
cleanup() {
    # Never leave a Bochs behind
    if [ -n "$BOCHS_PID" ] && kill -0 "$BOCHS_PID" 2>/dev/null; then
        kill "$BOCHS_PID" 2>/dev/null || true; sleep 0.5; kill -9 "$BOCHS_PID" 2>/dev/null || true
    fi
    if [ -n "${TESTBED_KEEP:-}" ]; then echo "testbed: kept $TMP"; else rm -rf "$TMP"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Bootable ISO with isolinux
mkdir -p "$TMP/iso/isolinux"
cp /usr/lib/ISOLINUX/isolinux.bin /usr/lib/syslinux/modules/bios/ldlinux.c32 "$TMP/iso/isolinux/"
cp "$KERNEL" "$TMP/iso/bzimage"
cp "$INITRD" "$TMP/iso/initrd"
cat > "$TMP/iso/isolinux/isolinux.cfg" <<CFG
DEFAULT testbed
PROMPT 0
TIMEOUT 0
LABEL testbed
  KERNEL /bzimage
  INITRD /initrd
  APPEND $CMDLINE
CFG
xorriso -as mkisofs -quiet -o "$TMP/boot.iso" -b isolinux/isolinux.bin -c isolinux/boot.cat \
    -no-emul-boot -boot-load-size 4 -boot-info-table "$TMP/iso" 2>"$TMP/xorriso.log" \
    || { cat "$TMP/xorriso.log" >&2; exit 1; }

# Bochs configuration (options=fastboot skips the BIOS' 3 s "Press F12" wait)
cat > "$TMP/bochsrc" <<RC
display_library: rfb, options="timeout=0"
romimage: file=/usr/share/bochs/BIOS-bochs-latest, options=fastboot
vgaromimage: file=/usr/share/vgabios/vgabios.bin
memory: guest=$MEM, host=$((MEM < 2048 ? MEM : 2048))
cpu: model=$MODEL, count=${CORES:+1:}$CPUS${CORES:+:1}, ips=$IPS, ignore_bad_msrs=1
clock: sync=none
ata0-master: type=cdrom, path=$TMP/boot.iso, status=inserted
boot: cdrom
ata1: enabled=0
com1: enabled=1, mode=file, dev=$TMP/serial.log
speaker: enabled=0
sound: driver=dummy
log: $TMP/bochs.log
panic: action=fatal
error: action=report
info: action=ignore
debug: action=ignore
RC
echo c > "$TMP/bochs.rc"   # built-in debugger: just continue
: > "$TMP/serial.log"

LOG=${LOG:-$TMP/console.log}
: > "$LOG"
echo "testbed: booting $MODEL x$CPUS${CORES:+ (cores of one package)}, timeout ${TIMEOUT}s, cmdline: $CMDLINE"
START=$(date +%s.%N)
timeout -k 5 "$TIMEOUT" bochs -q -f "$TMP/bochsrc" -rc "$TMP/bochs.rc" </dev/null >"$TMP/bochs.out" 2>&1 &
BOCHS_PID=$!

# Stream the console live; note when /init starts; stop Bochs early on a panic.
tail -n +1 -F --pid="$BOCHS_PID" -s 0.2 "$TMP/serial.log" 2>/dev/null | while IFS= read -r line; do
    printf '%s\n' "$line" | tee -a "$LOG"
    # The first line: BIOS, boot loader and the kernel's decompression are over
    # (with earlyprintk; otherwise when the serial console is registered)
    if [ ! -f "$TMP/first-line" ]; then
        awk -v s="$START" -v e="$(date +%s.%N)" 'BEGIN { printf "testbed: first console line after %.1f s\n", e - s }' \
            | tee "$TMP/first-line"
    fi
    case "$line" in
        *"HAXM-TESTBED: init"*)
            # A second /init means the guest rebooted (e.g. triple fault): stop
            if [ -f "$TMP/boot-time" ]; then
                echo "FAIL: harness: guest rebooted" | tee -a "$LOG"
                touch "$TMP/stopped"; kill "$BOCHS_PID" 2>/dev/null || true
            fi
            awk -v s="$START" -v e="$(date +%s.%N)" 'BEGIN { printf "testbed: boot to /init took %.1f s\n", e - s }' \
                | tee "$TMP/boot-time" ;;
        *"end Kernel panic"*)
            echo "testbed: kernel panic, stopping Bochs"
            touch "$TMP/stopped"; kill "$BOCHS_PID" 2>/dev/null || true ;;
    esac
done || true
wait "$BOCHS_PID" && RC=0 || RC=$?
BOCHS_PID=
ELAPSED=$(awk -v s="$START" -v e="$(date +%s.%N)" 'BEGIN { printf "%.1f", e - s }')
echo "testbed: bochs exited with $RC after ${ELAPSED} s"

# Judge: 1 is Bochs' normal exit on guest poweroff, 124/137 a timeout;
# if we stopped Bochs ourselves the reason is already in the log.
HARNESS=()
[ -f "$TMP/stopped" ] && RC=1
case $RC in
    0|1) ;;
    124|137) HARNESS+=(--harness-fail "timeout: no poweroff within ${TIMEOUT}s") ;;
    *) HARNESS+=(--harness-fail "bochs exited with status $RC") ;;
esac
# Bochs' own last words, e.g. "[ACPI  ] ACPI control: soft power off"
MSG=$(grep -A1 'Bochs is exiting with the following message' "$TMP/bochs.out" | tail -n1 || true)
[ -z "$MSG" ] || echo "testbed: bochs says: $MSG"
[ -f "$TMP/boot-time" ] || echo "testbed: guest never reached /init"
"$HERE/parse.py" "$LOG" "${HARNESS[@]}"
