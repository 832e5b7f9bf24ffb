#!/usr/bin/env bash
# Host-side tests of `make install`/`uninstall`, the Debian packages and the
# DKMS configuration (DKMS builds the packaged sources for the testbed
# kernel). The testbed installs haxm-tools and applies the udev rule's
# permissions (tests/testbed/payload/pkg.sh).
# Prints PASS/FAIL lines, then "pkg: N passed, N failed"; adds the counts to
# $SUMMARY ("passed failed") when set.
set -uo pipefail
TOP=$(cd "$(dirname "$0")/../.." && pwd)
cd "$TOP"
VERSION=$(sed -n 's/^#define HAXM_VERSION "\(.*\)"/\1/p' platform/linux/main.c)
KDIR=$(tests/testbed/kernel.sh --print-kdir)
KVER=$(/sbin/modinfo -F vermagic haxm.ko | cut -d' ' -f1)
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
passed=0 failed=0

t() { # NAME CMD...: one test
    local name=$1 out
    shift
    if out=$("$@" 2>&1); then
        echo "PASS: $name"; passed=$((passed + 1))
    else
        echo "FAIL: $name"; echo "$out" | tail -n 20 | sed 's/^/    /'; failed=$((failed + 1))
    fi
}

files() { (cd "$1" && find . \( -type f -o -type l \) | sed 's|^\./|/|' | LC_ALL=C sort); }

# The exact set of files `make install install-dkms` stages.
expected_install() {
    {
        printf '%s\n' /lib/modules/"$KVER"/extra/haxm.ko /usr/bin/haxm /usr/include/haxm/haxm.h \
            /usr/include/haxm/libhaxm.h /usr/lib/libhaxm.a /usr/lib/pkgconfig/libhaxm.pc \
            /usr/share/man/man1/haxm.1 /usr/share/man/man3/libhaxm.3 \
            /usr/lib/udev/rules.d/60-haxm.rules /usr/lib/sysusers.d/haxm.conf \
            /usr/lib/modules-load.d/haxm.conf /usr/src/haxm-"$VERSION"/dkms.conf
        for f in Kbuild core/*.[chS] core/*/*.[chS] platform/linux/*.[chS] include/uapi/*.h; do
            echo "/usr/src/haxm-$VERSION/$f"
        done
    } | LC_ALL=C sort
}

install_staged() {
    make -s --no-print-directory install install-dkms DESTDIR="$W/root" PREFIX=/usr &&
        diff -u <(expected_install) <(files "$W/root")
}

# A client built against the staged headers and library through pkg-config.
client_builds() {
    local pc
    cat > "$W/client.c" <<'C'
#include <stdio.h>
#include <libhaxm.h>
int main(void) { return puts(hax_exit_status_name(HAX_EXIT_IO)) < 0; }
C
    pc=$(PKG_CONFIG_SYSROOT_DIR="$W/root" PKG_CONFIG_LIBDIR="$W/root/usr/lib/pkgconfig" \
        pkg-config --cflags --libs libhaxm) &&
        [ "$(PKG_CONFIG_LIBDIR="$W/root/usr/lib/pkgconfig" pkg-config --modversion libhaxm)" = \
          "$VERSION" ] &&
        cc "$W/client.c" $pc -o "$W/client" && [ "$("$W/client")" = IO ]
}

uninstall_staged() {
    make -s --no-print-directory uninstall DESTDIR="$W/root" PREFIX=/usr &&
        [ -z "$(files "$W/root")" ]
}

man_pages_render() {
    local p
    for p in docs/man/haxm.1 docs/man/libhaxm.3; do
        [ -z "$(LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -l "$p" 2>&1 >/dev/null)" ] || return 1
    done
}

deb_contents() { # DEB PATH...: the package has these files
    local deb=$1 p list
    shift
    list=$(dpkg-deb -c "$deb" | awk '{print $6}' | sed 's|^\./|/|')
    for p in "$@"; do grep -qx "$p" <<<"$list" || { echo "$deb: no $p"; return 1; }; done
}

debs_built() {
    local tools=build/deb/haxm-tools_${VERSION}_amd64.deb dkms=build/deb/haxm-dkms_${VERSION}_all.deb
    deb_contents "$tools" /usr/bin/haxm /usr/lib/libhaxm.a /usr/include/haxm/libhaxm.h \
        /usr/lib/pkgconfig/libhaxm.pc /usr/share/man/man1/haxm.1.gz \
        /usr/share/man/man3/libhaxm.3.gz /usr/share/doc/haxm-tools/copyright &&
    deb_contents "$dkms" /usr/src/haxm-"$VERSION"/dkms.conf /usr/src/haxm-"$VERSION"/Kbuild \
        /usr/lib/udev/rules.d/60-haxm.rules /usr/lib/sysusers.d/haxm.conf &&
    [ "$(dpkg-deb -f "$tools" Package Version Architecture)" = \
      "$(printf 'Package: haxm-tools\nVersion: %s\nArchitecture: amd64' "$VERSION")" ] &&
    [ "$(dpkg-deb -f "$dkms" Package Architecture Depends)" = \
      "$(printf 'Package: haxm-dkms\nArchitecture: all\nDepends: dkms (>= 2.1.0.0), adduser')" ] &&
    dpkg-deb --ctrl-tarfile "$dkms" | tar -tf - | grep -x './postinst' >/dev/null && # reads all
    # the packaged tool runs
    mkdir -p "$W/deb" && dpkg-deb -x "$tools" "$W/deb" && "$W/deb/usr/bin/haxm" --help |
        grep '^  stat ' >/dev/null # reads all: no SIGPIPE under pipefail
}

# DKMS (the real dkms, in a private tree) builds the packaged sources for
# the testbed kernel: the module it makes is haxm for that kernel.
dkms_builds() {
    local src="$W/dkmsdeb" tree="$W/dkmstree" ko
    command -v dkms >/dev/null || { echo "dkms is not installed (make deps)"; return 1; }
    mkdir -p "$src" "$tree" && dpkg-deb -x build/deb/haxm-dkms_${VERSION}_all.deb "$src" &&
    dkms add --dkmstree "$tree" --sourcetree "$src/usr/src" -m haxm -v "$VERSION" &&
    dkms build --dkmstree "$tree" --sourcetree "$src/usr/src" -m haxm -v "$VERSION" \
        -k "$KVER" --kernelsourcedir "$KDIR" -j 2 &&
    ko=$(find "$tree/haxm/$VERSION/$KVER" -name 'haxm.ko*' | head -n 1) && [ -n "$ko" ] &&
    [ "$(/sbin/modinfo -F vermagic "$ko" | cut -d' ' -f1)" = "$KVER" ] &&
    [ "$(/sbin/modinfo -F version "$ko")" = "$VERSION" ] &&
    # a user's build never turns warnings into errors (only HAXM_WERROR=1 does)
    ! grep -E 'HAXM_WERROR|-Werror' "$src/usr/src/haxm-$VERSION/dkms.conf"
}

udev_rule_fields() {
    # The rule the testbed applies: /dev/HAX root:haxm 0660, misc subsystem.
    grep -Eq '^KERNEL=="HAX", SUBSYSTEM=="misc", OWNER="root", GROUP="haxm", MODE="0660"$' \
        packaging/60-haxm.rules
}

t pkg-install-staged install_staged
t pkg-libhaxm-client-builds client_builds
t pkg-uninstall-removes-all uninstall_staged
t pkg-man-pages-render man_pages_render
t pkg-debs-built debs_built
t pkg-dkms-builds dkms_builds
t pkg-udev-rule udev_rule_fields

if [ -n "${SUMMARY:-}" ] && [ -f "$SUMMARY" ]; then
    read -r p f < "$SUMMARY"
    echo "$((p + passed)) $((f + failed))" > "$SUMMARY"
fi
echo "pkg: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
