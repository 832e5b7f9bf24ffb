#!/usr/bin/env bash
# Install every Debian package the testbed needs, only if missing.
set -euo pipefail

PKGS=(bochs bochsbios vgabios bochs-term linux-source-6.1 busybox-static cpio
      isolinux syslinux-common xorriso bc bison flex libelf-dev libssl-dev lz4
      dwarves libcmocka-dev make gcc libc6-dev xz-utils util-linux coreutils python3
      dkms pkg-config)

missing=()
for p in "${PKGS[@]}"; do
    # dpkg -s fails for packages that are not installed
    dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "deps: installing ${missing[*]}"
SUDO=; [ "$(id -u)" -eq 0 ] || SUDO=sudo
# apt-get update once, only because something is missing
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}"
