#!/usr/bin/env bash
# Debian's own prebuilt kernels in the testbed.
#
# Usage: distro.sh fetch DISTRO            fetch the kernel once; print its cache dir
#        distro.sh dkms DISTRO DEB OUT.ko  haxm.ko for it, built by DKMS from the
#                                          haxm-dkms package DEB
#        distro.sh kver DISTRO             print the kernel version DISTRO names
#        distro.sh boot DISTRO PAYLOAD OUTDIR [run.sh options]
#                  boot it with PAYLOAD (a testbed payload dir) in which haxm.ko
#                  is replaced by the one DKMS builds from PAYLOAD's haxm-dkms
#                  (or from HAXM_DKMS_DEB: a payload without one, e.g. QEMU's);
#                  with QEMU_PAYLOAD=DIR (qemu-payload.sh's) the QEMU tests are
#                  added to PAYLOAD: haxm.qemu=a,b on the command line runs
#                  them after the suite, in the same boot
# DISTRO: 6.1   the kernel of the installed linux-headers-amd64 (else bookworm's)
#         6.12  bookworm-backports' linux-image-amd64 (adds that apt source)
#         or a Debian kernel version such as 6.1.0-57-amd64.
#
# fetch: `apt-get download` + `dpkg-deb -x` of linux-image-KVER (the signed
# image users boot), linux-headers-KVER, its -common and linux-kbuild
# packages into $HAXM_CACHE/distro/KVER: nothing is installed on the host.
# The cache is keyed by the package version (.stamp). It holds
#   vmlinuz, config      the image's /boot files, unmodified
#   modules/*.ko         kvm-intel.ko and what it depends on, uncompressed
#   headers/             the header packages; build/ -> the kernel's headers
# dkms: `dkms add` + `dkms build` of the package's /usr/src/haxm-VERSION in
# a private DKMS tree, with /var/lib/dkms (where DKMS makes its module
# signing key) on a tmpfs of a private mount namespace: the host's DKMS
# state is not touched, and the module is what `apt install haxm-dkms*.deb`
# builds, signed by a throw-away key as on a machine without a MOK.
# boot: kernels since 6.9 get their CPUs as cores of one package (run.sh
# --cores): with Bochs' default of one-core packages, CPUID leaf 0xB has no
# valid level and the kernel's legacy topology parser WARNs (docs/design.md).
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
HAXM_CACHE=${HAXM_CACHE:-$HOME/.cache/haxm}
SUDO=; [ "$(id -u)" -eq 0 ] || SUDO=sudo
BPO_LIST=/etc/apt/sources.list.d/haxm-bookworm-backports.sources
die() { echo "distro: $*" >&2; exit 1; }

# The bookworm-backports apt source (deb.debian.org, the archive keyring).
backports_source() {
    apt-cache policy 2>/dev/null | grep -q 'bookworm-backports/main amd64' && return 0
    echo "distro: adding bookworm-backports ($BPO_LIST)" >&2
    printf '%s\n' 'Types: deb' 'URIs: http://deb.debian.org/debian' \
        'Suites: bookworm-backports' 'Components: main' \
        'Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg' | $SUDO tee "$BPO_LIST" >/dev/null
    $SUDO apt-get update -qq >&2
}

# Version of an installed package, else apt's candidate.
pkg_version() {
    dpkg-query -W -f '${Status} ${Version}\n' "$1" 2>/dev/null |
        sed -n 's/^install ok installed //p' | grep . && return 0
    apt-cache policy "$1" | sed -n 's/^ *Candidate: //p' | grep -v '(none)'
}

# The kernel version DISTRO names.
kver() {
    local v
    case $1 in
    6.1)
        v=$(dpkg-query -W -f '${Depends}' linux-headers-amd64 2>/dev/null ||
            apt-cache show "linux-headers-amd64=$(pkg_version linux-headers-amd64)" |
            sed -n 's/^Depends: //p')
        sed -n 's/.*linux-headers-\([^ ,]*\).*/\1/p' <<<"$v" ;;
    6.12)
        backports_source
        v=$(apt-cache madison linux-image-amd64 | awk -F' *[|] *' '/bookworm-backports/ { print $2; exit }')
        [ -n "$v" ] || die "no linux-image-amd64 in bookworm-backports"
        apt-cache show "linux-image-amd64=$v" |
            sed -n 's/^Depends: .*linux-image-\(6\.12[^ ,]*\).*/\1/p' | head -n1 ;;
    [0-9]*-*) echo "$1" ;;
    *) die "unknown DISTRO '$1' (6.1, 6.12 or a kernel version)" ;;
    esac
}

# Copy the module named by PATH (relative to lib/modules/KVER, maybe .xz)
# from the image tree IMG into DIR, uncompressed (busybox insmod).
copy_module() {
    local img=$1 rel=$2 dir=$3 name=${2##*/}
    case $name in
    *.ko.xz) xz -dc "$img/$rel" > "$dir/${name%.xz}" ;;
    *.ko.zst) zstd -qdc "$img/$rel" > "$dir/${name%.zst}" ;;
    *.ko.gz) gzip -dc "$img/$rel" > "$dir/${name%.gz}" ;;
    *.ko) cp "$img/$rel" "$dir/" ;;
    *) die "unexpected module file $rel" ;;
    esac
}

fetch() {
    local k=$1 d=$HAXM_CACHE/distro/$1 ver dl img hdr common kbuild m deps rel
    # (not in bookworm: maybe in bookworm-backports)
    ver=$(pkg_version "linux-headers-$k") || { backports_source && ver=$(pkg_version "linux-headers-$k"); } ||
        die "no package linux-headers-$k"
    [ "$(cat "$d/.stamp" 2>/dev/null)" = "$ver" ] && { echo "$d"; return; }
    echo "distro: fetching linux-image-$k $ver into $d" >&2
    rm -rf "$d" && mkdir -p "$d/modules" "$d/headers"
    dl=$(mktemp -d) && chmod 755 "$dl"   # apt's _apt user writes there
    # Depends: linux-headers-KVER-common (= VER), linux-kbuild-X.Y (>= VER), ...
    common=$(apt-cache show "linux-headers-$k=$ver" | sed -n 's/^Depends: .*\(linux-headers-[^ ,]*-common\) .*/\1/p')
    kbuild=$(apt-cache show "linux-headers-$k=$ver" | sed -n 's/^Depends: .*\(linux-kbuild-[^ ,]*\).*/\1/p')
    [ -n "$common" ] && [ -n "$kbuild" ] || die "cannot read the dependencies of linux-headers-$k"
    (cd "$dl" && apt-get download -q "linux-image-$k=$ver" "linux-headers-$k=$ver" \
        "$common=$ver" "$kbuild=$ver" 2>&1 | grep -v '^W: Download is performed unsandboxed' >&2)

    # The image: /boot and, of /lib/modules, kvm-intel and its dependencies
    img=$dl/image
    mkdir -p "$img"
    dpkg-deb -x "$dl"/linux-image-"$k"_*.deb "$img"
    cp "$img/boot/vmlinuz-$k" "$d/vmlinuz"
    cp "$img/boot/config-$k" "$d/config"
    m=$img/lib/modules/$k
    # (the package has no modules.dep: depmod makes it on install)
    deps=kvm-intel
    # shellcheck disable=SC2086
    while set -- $deps && [ $# -gt 0 ]; do
        rel=$(cd "$m" && find kernel -name "$1.ko*" -o -name "${1//_/-}.ko*" | head -n1)
        [ -n "$rel" ] || die "module $1 not in linux-image-$k"
        shift
        deps="$* $(modinfo -F depends "$m/$rel" | tr , ' ')"
        [ -e "$d/modules/${rel##*/}" ] || copy_module "$m" "$rel" "$d/modules"
    done

    # The headers: build/ as /lib/modules/KVER/build would be. Its Makefile
    # includes the -common one by absolute path: point it at ours.
    for p in "$dl"/linux-headers-*.deb "$dl"/linux-kbuild-*.deb; do dpkg-deb -x "$p" "$d/headers"; done
    hdr=$d/headers/usr/src/linux-headers-$k
    sed -i "s|^include /usr/src/|include $d/headers/usr/src/|" "$hdr/Makefile"
    ln -s "headers/usr/src/linux-headers-$k" "$d/build"
    rm -rf "$dl"
    echo "$ver" > "$d/.stamp"
    echo "distro: $k: $(ls "$d/modules" | tr '\n' ' ')" >&2
    echo "$d"
}

# haxm.ko for KVER, built by DKMS from the haxm-dkms package DEB.
dkms_build() {
    local k=$1 deb=$2 out=$3 d tmp name ver
    d=$(fetch_locked "$k")
    tmp=$(mktemp -d)
    trap "rm -rf '$tmp'" EXIT
    dpkg-deb -x "$deb" "$tmp/root"
    name=$(ls "$tmp/root/usr/src")   # haxm-VERSION
    ver=${name#haxm-}
    mkdir -p "$tmp/dkms"
    # shellcheck disable=SC2016
    $SUDO unshare -m sh -ec 'mount -t tmpfs dkms /var/lib/dkms
        t="--dkmstree $1 --sourcetree $2"
        dkms add $t -m haxm -v "$3"
        dkms build $t -m haxm -v "$3" -k "$4" --kernelsourcedir "$5"' \
        sh "$tmp/dkms" "$tmp/root/usr/src" "$ver" "$k" "$(realpath "$d/build")" \
        > "$tmp/dkms.log" 2>&1 || {
        cat "$tmp/dkms.log" "$tmp"/dkms/haxm/"$ver"/build/make.log >&2 2>/dev/null
        die "dkms build of haxm $ver for $k failed"
    }
    grep -E '^(Sign|Signing|Building)' "$tmp/dkms.log" | sed 's/^/dkms: /' >&2
    mkdir -p "$(dirname "$out")"
    cp "$tmp/dkms/haxm/$ver/$k/x86_64/module/haxm.ko" "$out"
    echo "distro: $out: $(modinfo -F vermagic "$out")" >&2
}

# The testbed boot on KVER: PAYLOAD with haxm.ko built by DKMS from the
# payload's own haxm-dkms package, the kernel's kvm modules in the
# initramfs, run.sh with the image's vmlinuz.
boot() {
    local k=$1 payload=$2 out=$3 d deb
    shift 3
    d=$(fetch_locked "$k")
    deb=${HAXM_DKMS_DEB:-$(ls "$payload"/haxm-dkms_*_all.deb)} || die "no haxm-dkms package in $payload"
    rm -rf "$out/payload" && mkdir -p "$out" && cp -a "$payload" "$out/payload"
    [ -z "${QEMU_PAYLOAD:-}" ] || merge_qemu "$QEMU_PAYLOAD" "$out/payload"
    dkms_build "$k" "$deb" "$out/payload/haxm.ko"
    TESTBED_MODULES=$d/modules "$HERE/mkinitramfs.sh" "$out/testbed.cpio" "$out/payload"
    # cryptomgr.notests: the crypto self-tests are half of this kernel's
    # initcall time in Bochs (7.4 of 15.7 s); they test no code haxm uses.
    # Since 6.12 kvm holds VMX from its load on (enable_virt_at_load=1):
    # the suite's kvm_intel, loaded next to haxm, must not (docs/design.md).
    args="earlyprintk=serial,ttyS0,115200 cryptomgr.notests"
    if modinfo -F parm "$d/modules/kvm.ko" | grep -q '^enable_virt_at_load:'; then
        args="$args kvm.enable_virt_at_load=0"
    fi
    # 6.9's topology rework: a Bochs CPU whose leaf 0xB is invalid (one-core
    # packages) is parsed from leaves 1 and 4, which disagree: a WARN.
    if [ "$(printf '%s\n' 6.9 "${k%%-*}" | sort -V | head -n1)" = 6.9 ]; then
        set -- "$@" --cores
    fi
    "$HERE/run.sh" --kernel "$d/vmlinuz" --initramfs "$out/testbed.cpio" --append "$args" "$@"
}

# Add the QEMU tests' payload QDIR to the payload dir OUT: its files, its
# run as qemu-run (the suite's run calls it for haxm.qemu=), not its haxm.ko
# (OUT's is the DKMS one). Nothing of OUT may be overwritten.
merge_qemu() {
    local q=$1 out=$2 f
    [ -x "$q/run" ] && [ -x "$q/qemu-system-x86_64" ] || die "$q is not a QEMU payload"
    for f in $(cd "$q" && ls -A); do
        case $f in run|haxm.ko) continue ;; esac
        [ ! -e "$out/$f" ] || die "QEMU payload file $f already in $out"
        cp -a "$q/$f" "$out/"
    done
    cp -a "$q/run" "$out/qemu-run"
}

# fetch under the cache's lock (make may run boots for two kernels).
fetch_locked() {
    mkdir -p "$HAXM_CACHE/distro"
    (flock 9 && fetch "$1") 9>"$HAXM_CACHE/distro/.lock"
}

[ $# -ge 2 ] || { sed -n '4,13p' "$0" >&2; exit 2; }
KVER=$(kver "$2")
[ -n "$KVER" ] || die "cannot tell the kernel version of '$2'"
case $1 in
kver) echo "$KVER" ;;
fetch) fetch_locked "$KVER" ;;
boot) [ $# -ge 4 ] || die "usage: $0 boot DISTRO PAYLOAD OUTDIR [run.sh options]"
    boot "$KVER" "$3" "$(realpath -m "$4")" "${@:5}" ;;
dkms) [ $# -eq 4 ] || die "usage: $0 dkms DISTRO DEB OUT.ko"; dkms_build "$KVER" "$3" "$(realpath -m "$4")" ;;
*) die "unknown command '$1'" ;;
esac
