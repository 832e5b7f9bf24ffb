#!/usr/bin/env bash
# Build the Debian packages haxm-dkms (module sources for DKMS, udev rule,
# sysusers and modules-load files) and haxm-tools (the haxm tool, libhaxm,
# man pages) with dpkg-deb; no root needed.
# Usage: mkdeb.sh OUTDIR VERSION
set -euo pipefail
[ $# -eq 2 ] || { echo "usage: $0 OUTDIR VERSION" >&2; exit 2; }
TOP=$(cd "$(dirname "$0")/.." && pwd)
OUT=$(realpath -m "$1") VERSION=$2
STAGE=$(mktemp -d)
trap 'rm -rf "$STAGE"' EXIT
MAINT="haxm developers <haxm@localhost>"
mkdir -p "$OUT"

# Control files and maintainer scripts: packaging/debian/<package>.<file>,
# with @VERSION@ substituted.
debian_files() { # PACKAGE ROOT
    local f name
    mkdir -p "$2/DEBIAN"
    for f in "$TOP"/packaging/debian/"$1".*; do
        name=${f##*/"$1".}
        sed "s|@VERSION@|$VERSION|g; s|@MAINT@|$MAINT|g" "$f" > "$2/DEBIAN/$name"
        case $name in postinst|prerm|postrm|preinst) chmod 755 "$2/DEBIAN/$name" ;; esac
    done
    mkdir -p "$2/usr/share/doc/$1"
    cp "$TOP/packaging/debian/copyright" "$2/usr/share/doc/$1/copyright"
}

build() { # PACKAGE ROOT DEB
    debian_files "$1" "$2"
    (cd "$2" && find . -type f ! -path './DEBIAN/*' -printf '%P\0' | LC_ALL=C sort -z |
        xargs -0 md5sum) > "$2/DEBIAN/md5sums"
    # gzip: busybox's dpkg (the testbed's) reads it
    dpkg-deb --root-owner-group -Zgzip --build "$2" "$3" >/dev/null
    echo "mkdeb: $3"
}

# haxm-tools: /usr/bin/haxm, libhaxm (static), headers, pkg-config, man pages
T=$STAGE/tools
make -s -C "$TOP" --no-print-directory install-tools DESTDIR="$T" PREFIX=/usr
gzip -9n "$T"/usr/share/man/man*/*
build haxm-tools "$T" "$OUT/haxm-tools_${VERSION}_amd64.deb"

# haxm-dkms: /usr/src/haxm-VERSION, the udev rule, the haxm group, load at boot
D=$STAGE/dkms
make -s -C "$TOP" --no-print-directory install-dkms install-udev DESTDIR="$D"
build haxm-dkms "$D" "$OUT/haxm-dkms_${VERSION}_all.deb"
