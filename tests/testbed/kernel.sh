#!/usr/bin/env bash
# Build the testbed kernel (bzImage + modules) in ${HAXM_CACHE:-~/.cache/haxm}/linux.
# HAXM_KERNEL=debug builds the debug flavour (kernel.config + kernel-debug.config:
# KASAN, lockdep, kmemleak, ...) in .../linux-debug instead; HAXM_KERNEL=kcsan
# the data-race flavour (kernel-kcsan.config) in .../linux-kcsan.
# Usage: kernel.sh [--print-kdir]
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
CACHE=${HAXM_CACHE:-$HOME/.cache/haxm}
FLAVOUR=${HAXM_KERNEL:-}
case "$FLAVOUR" in
    '') KDIR=$CACHE/linux ;;
    debug|kcsan) KDIR=$CACHE/linux-$FLAVOUR ;;
    *) echo "kernel: unknown HAXM_KERNEL flavour '$FLAVOUR' (want: debug, kcsan)" >&2; exit 2 ;;
esac
SRC_TAR=/usr/src/linux-source-6.1.tar.xz
# The fragment: kernel.config, then the flavour's lines (a later line for the
# same symbol wins).
FRAG=$CACHE/kernel${FLAVOUR:+-$FLAVOUR}.config

# --print-kdir: just tell where the build tree is
if [ "${1:-}" = "--print-kdir" ]; then echo "$KDIR"; exit 0; fi

"$HERE/deps.sh"
log() { echo "kernel: $*"; }

# One builder per flavour at a time (parallel test runs may all call us)
mkdir -p "$CACHE"
exec 9>"$CACHE/kernel${FLAVOUR:+-$FLAVOUR}.lock"
flock 9
cat "$HERE/kernel.config" ${FLAVOUR:+"$HERE/kernel-$FLAVOUR.config"} \
    | awk '/^CONFIG_/ { sym = $0; sub(/=.*/, "", sym); if (!(sym in at)) order[n++] = sym; at[sym] = $0 }
           END { for (i = 0; i < n; i++) print at[order[i]] }' > "$FRAG.tmp"
mv "$FRAG.tmp" "$FRAG"

# The stamp covers the fragment, this script and the source package's version
# (the module is built against this very tree, so they always match).
SRC_VER=$(dpkg-query -W -f='${Version}' linux-source-6.1)
STAMP_WANT=$( { cat "$FRAG" "$0"; echo "$SRC_VER"; } | sha256sum | cut -d' ' -f1)
if [ -f "$KDIR/.haxm-stamp" ] && [ "$(cat "$KDIR/.haxm-stamp")" = "$STAMP_WANT" ] \
   && [ -f "$KDIR/arch/x86/boot/bzImage" ] && [ -f "$KDIR/Module.symvers" ]; then
    log "up to date"
    echo "$KDIR"
    exit 0
fi

# Extract the source once per source package version
if [ ! -f "$KDIR/Makefile" ] || [ "$(cat "$KDIR/.haxm-srcver" 2>/dev/null)" != "$SRC_VER" ]; then
    rm -rf "$KDIR"
    log "extracting $SRC_TAR into $KDIR"
    rm -rf "$KDIR.tmp"; mkdir -p "$KDIR.tmp"
    tar -xJf "$SRC_TAR" -C "$KDIR.tmp" --strip-components=1
    echo "$SRC_VER" > "$KDIR.tmp/.haxm-srcver"
    mv "$KDIR.tmp" "$KDIR"
fi

cd "$KDIR"
rm -f .haxm-stamp   # an interrupted or failed run must not look up to date
# Configure: tinyconfig + our fragment, then resolve dependencies
log "configuring (tinyconfig + kernel.config)"
{ make -s tinyconfig && scripts/kconfig/merge_config.sh -m .config "$FRAG" && make -s olddefconfig; } \
    >config.log 2>&1 || { cat config.log >&2; echo "kernel: configuration failed" >&2; exit 1; }

# Verify every fragment option ended up as requested
bad=0
while IFS= read -r line; do
    case "$line" in ''|'#'*) continue ;; esac
    sym=${line%%=*}; val=${line#*=}
    if [ "$val" = n ]; then
        # "=n" means absent or "is not set"
        if grep -q "^$sym=" .config; then
            echo "kernel: ERROR: $sym wanted n, got $(grep "^$sym=" .config)" >&2; bad=1
        fi
    elif ! grep -qxF "$sym=$val" .config; then
        echo "kernel: ERROR: $sym wanted $val, got $(grep -E "^(# )?$sym[= ]" .config || echo 'nothing')" >&2; bad=1
    fi
done < "$FRAG"
[ $bad -eq 0 ] || { echo "kernel: config fragment not honoured (see above)" >&2; exit 1; }

# Build; make prints one line per object so progress is visible
log "building bzImage and modules with -j$(nproc) (a few minutes)"
start=$(date +%s)
# Show every 200th make step plus errors/warnings; full log in $KDIR/build.log
if ! make -j"$(nproc)" bzImage modules 2>&1 | tee build.log \
    | awk '{ n++ } /(^|[^a-z_])[Ee]rror[: ]|warning:|Kernel: |MODPOST/ || n % 200 == 0 { print "kernel: [" n "] " $0; fflush() }'; then
    echo "kernel: build failed, see $KDIR/build.log" >&2; exit 1
fi
log "build took $(( $(date +%s) - start )) s"

echo "$STAMP_WANT" > .haxm-stamp
echo "$KDIR"
