#!/usr/bin/env bash
# Build an unmodified QEMU 7.2 (Debian bookworm's `qemu` source package) for
# x86_64-softmmu with the HAX accelerator, cached in ${HAXM_CACHE:-~/.cache/haxm}/qemu.
# The build is keyed by the source package version, the release and the
# configure flags; a second run with the same key is a no-op.  Prints the
# install prefix last (bin/qemu-system-x86_64 under it).
#
# QEMU_RELEASE=7.2.21 (the default) is Debian's package with its last upstream
# point release, v7.2.22.diff, applied in reverse: 7.2.22 (upstream df32e5c568c9)
# no longer clears CPU_INTERRUPT_SIPI in apic_sipi() for accelerators other than
# TCG, so every -smp guest under hax hangs (docs/design.md, "QEMU in the
# testbed"). QEMU_RELEASE=7.2.22 builds the package as Debian ships it, the
# known-bad client, into .../qemu/install-7.2.22.
# Usage: qemu.sh [--print-prefix]
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
CACHE=${HAXM_CACHE:-$HOME/.cache/haxm}
QROOT=$CACHE/qemu
RELEASE=${QEMU_RELEASE:-7.2.21}
case "$RELEASE" in
    7.2.21) PREFIX=$QROOT/install ;;
    7.2.22) PREFIX=$QROOT/install-7.2.22 ;;
    *) echo "qemu: QEMU_RELEASE=$RELEASE: want 7.2.21 or 7.2.22" >&2; exit 2 ;;
esac
log() { echo "qemu: $*"; }

# (fdt: x86_64-softmmu requires libfdt for the microvm machine.)
# A -nographic serial boot needs none of QEMU's optional features; kvm and tcg
# are there for the accelerator comparison.  slirp is the user-mode network
# (-netdev user) of the virtio-net tests: QEMU 7.2 no longer bundles it, so it
# links the system libslirp (libslirp-dev), which qemu-payload.sh's ldd copy
# carries into the testbed.  Debian's own patch series already
# drops pc-bios/meson.build (skip-meson-pc-bios.diff), so the DFSG tarball's
# missing firmware blobs are never referenced; firmware comes from Debian's
# seabios and qemu-system-data packages at run time.
FLAGS=(--target-list=x86_64-softmmu --without-default-features --enable-hax
       --enable-kvm --enable-tcg --enable-fdt=system --enable-slirp --disable-docs --disable-werror
       --disable-install-blobs --meson=/usr/bin/meson)

if [ "${1:-}" = "--print-prefix" ]; then echo "$PREFIX"; exit 0; fi

# Build dependencies (deps.sh style: install only what is missing)
PKGS=(meson ninja-build pkg-config python3 gcc libc6-dev dpkg-dev
      libglib2.0-dev libpixman-1-dev zlib1g-dev libfdt-dev libslirp-dev seabios qemu-system-data)
missing=()
for p in "${PKGS[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
SUDO=; [ "$(id -u)" -eq 0 ] || SUDO=sudo
if [ ${#missing[@]} -gt 0 ]; then
    log "installing ${missing[*]}"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}"
fi

# `apt-get source` needs a deb-src entry for bookworm
if ! apt-get source --print-uris -qq qemu >/dev/null 2>&1; then
    log "adding a deb-src entry for bookworm"
    $SUDO tee /etc/apt/sources.list.d/haxm-src.sources >/dev/null <<'EOF'
Types: deb-src
URIs: http://deb.debian.org/debian
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb-src
URIs: http://deb.debian.org/debian-security
Suites: bookworm-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF
    $SUDO apt-get update -qq
fi

mkdir -p "$QROOT"
exec 9>"$CACHE/qemu.lock"
flock 9

# The source version apt would fetch (the .dsc name: qemu_<version>.dsc)
DSC=$(apt-get source --print-uris -qq qemu | awk '$2 ~ /\.dsc$/ { print $2 }')
[ -n "$DSC" ] || { echo "qemu: apt-get source knows no qemu source package" >&2; exit 1; }
SRC_VER=${DSC#qemu_}; SRC_VER=${SRC_VER%.dsc}
KEY="$SRC_VER release $RELEASE ${FLAGS[*]}"
if [ -f "$PREFIX/.haxm-stamp" ] && [ "$(cat "$PREFIX/.haxm-stamp")" = "$KEY" ] \
   && [ -x "$PREFIX/bin/qemu-system-x86_64" ]; then
    log "up to date ($SRC_VER)"
    echo "$PREFIX"
    exit 0
fi

# Fetch and unpack (Debian's patches applied) once per source version
SRC=$QROOT/src-$SRC_VER
if [ ! -f "$SRC/.haxm-unpacked" ]; then
    log "fetching the qemu $SRC_VER source package"
    rm -rf "$QROOT/dl.tmp"; mkdir -p "$QROOT/dl.tmp"
    (cd "$QROOT/dl.tmp" && apt-get source -qq qemu >fetch.log 2>&1) \
        || { cat "$QROOT/dl.tmp/fetch.log" >&2; exit 1; }
    rm -rf "$SRC"
    mv "$QROOT/dl.tmp/$(cd "$QROOT/dl.tmp" && ls -d qemu-*/ | head -1)" "$SRC"
    touch "$SRC/.haxm-unpacked"
    rm -rf "$QROOT/dl.tmp"
fi

# 7.2.21: a copy of the tree with Debian's v7.2.22.diff taken back out
if [ "$RELEASE" = 7.2.21 ]; then
    RSRC=$SRC-7.2.21
    if [ ! -f "$RSRC/.haxm-unpacked" ]; then
        log "reverting debian/patches/v7.2.22.diff (QEMU 7.2.21)"
        rm -rf "$RSRC.tmp"; cp -a "$SRC" "$RSRC.tmp"
        (cd "$RSRC.tmp" && patch -R -s -p1 < debian/patches/v7.2.22.diff && echo 7.2.21 > VERSION) \
            || { echo "qemu: v7.2.22.diff does not revert cleanly" >&2; exit 1; }
        rm -rf "$RSRC"; mv "$RSRC.tmp" "$RSRC"
    fi
    SRC=$RSRC
fi

BUILD=$QROOT/build-$RELEASE
rm -rf "$BUILD" "$PREFIX"; mkdir -p "$BUILD"
log "configuring: ${FLAGS[*]}"
(cd "$BUILD" && nice -n 10 "$SRC/configure" --prefix="$PREFIX" "${FLAGS[@]}") \
    >"$QROOT/configure.log" 2>&1 \
    || { tail -30 "$QROOT/configure.log" >&2; echo "qemu: configure failed, see $QROOT/configure.log" >&2; exit 1; }

log "building with nice -n 10 ninja -j$(nproc) (long: ~20-40 min on 2 shared cores)"
start=$(date +%s)
# ninja prints [n/total] per step; show every 100th step, full log in build.log
if ! (cd "$BUILD" && nice -n 10 ninja -j"$(nproc)" qemu-system-x86_64) 2>&1 \
        | tee "$QROOT/build.log" \
        | awk '/^\[[0-9]+\/[0-9]+\]/ { n++; if (n % 100) next } { print "qemu: " $0; fflush() }'; then
    echo "qemu: build failed, see $QROOT/build.log" >&2; exit 1
fi
secs=$(( $(date +%s) - start ))
log "build took $secs s"

mkdir -p "$PREFIX/bin"
cp "$BUILD/qemu-system-x86_64" "$PREFIX/bin/"
strip "$PREFIX/bin/qemu-system-x86_64"
echo "$secs" > "$PREFIX/.haxm-build-seconds"
echo "$KEY" > "$PREFIX/.haxm-stamp"
echo "$PREFIX"
