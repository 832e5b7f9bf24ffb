#!/usr/bin/env bash
# The build matrix: haxm.ko built out of tree, warnings as errors
# (HAXM_WERROR=1), against the kernels Debian 12 users have (stock 6.1,
# its PREEMPT_RT and cloud flavours, 6.12 from bookworm-backports), each
# checked by that kernel's own objtool; then core/ compiled freestanding for
# a second host (64-bit Windows kernel mode, x86_64-w64-mingw32-gcc).
# Missing headers and compilers are installed once (apt-get, as root or
# with sudo). One result line per kernel and host, then
# "build: N passed, N failed"; the counts are added to $SUMMARY ("passed
# failed") when it is set, as tests/pkg/test-install.sh does.
# Usage: [JOBS=2] [KERNELS="6.1.0-57-amd64 ..."] matrix.sh
set -uo pipefail
TOP=$(cd "$(dirname "$0")/../.." && pwd)
JOBS=${JOBS:-2}
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
passed=0 failed=0 t0=$(date +%s)
SUDO=
[ "$(id -u)" -eq 0 ] || SUDO=sudo
APT=(${SUDO:+$SUDO} env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 -qq)

result() { # OK NAME SECONDS [DETAIL]
    if [ "$1" = 1 ]; then
        echo "PASS: $2 ($3 s)" && passed=$((passed + 1))
    else
        echo "FAIL: $2 ($3 s)${4:+: $4}" && failed=$((failed + 1))
    fi
}

# ---- the headers: installed once ----------------------------------------

BACKPORTS=/etc/apt/sources.list.d/haxm-backports.sources
add_backports() {
    [ -f "$BACKPORTS" ] && return 0
    echo "matrix: adding bookworm-backports ($BACKPORTS)"
    $SUDO tee "$BACKPORTS" >/dev/null <<'EOF'
Types: deb
URIs: http://deb.debian.org/debian
Suites: bookworm-backports
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF
    "${APT[@]}" update
}

installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q '^install ok installed'; }

# The kernel release a stock metapackage (linux-headers-amd64 ...) points
# at, installing it first when missing.
stock_release() { # METAPACKAGE
    if ! installed "$1"; then
        echo "matrix: installing $1" >&2
        "${APT[@]}" update && "${APT[@]}" install -y --no-install-recommends "$1" >&2 || return 1
    fi
    dpkg-query -W -f='${Depends}' "$1" | grep -o 'linux-headers-[^ ,]*' | head -n 1 |
        sed 's/^linux-headers-//'
}

# The newest 6.12 of bookworm-backports: the one installed, or else the
# newest one the archive has.
backports_release() {
    local r
    r=$(dpkg-query -W -f='${Package} ${Status}\n' 'linux-headers-6.12.*+deb12-amd64' 2>/dev/null |
        awk '/install ok installed/ { sub(/^linux-headers-/, "", $1); print $1 }' | sort -V | tail -n 1)
    if [ -z "$r" ]; then
        add_backports >&2 || return 1
        r=$(apt-cache search --names-only '^linux-headers-6\.12\.[0-9]+\+deb12-amd64$' |
            awk '{ sub(/^linux-headers-/, "", $1); print $1 }' | sort -V | tail -n 1)
        [ -n "$r" ] || return 1
        echo "matrix: installing linux-headers-$r (it depends on its linux-image)" >&2
        "${APT[@]}" install -y --no-install-recommends "linux-headers-$r" >&2 || return 1
    fi
    echo "$r"
}

if [ -z "${KERNELS:-}" ]; then
    KERNELS=
    for m in linux-headers-amd64 linux-headers-rt-amd64 linux-headers-cloud-amd64; do
        r=$(stock_release "$m") && [ -n "$r" ] || { result 0 "build-$m" 0 "headers not installable"; continue; }
        KERNELS+=" $r"
    done
    if r=$(backports_release) && [ -n "$r" ]; then
        KERNELS+=" $r"
    else
        result 0 build-6.12-backports 0 "headers not installable"
    fi
fi

# ---- objtool --------------------------------------------------------------

# Print "OBJECT: message" for every objtool warning about the module built
# in SRC: the ones the kernel's build printed (per object, or for the whole
# module when the kernel's config delays objtool to the link: IBT, LTO),
# then the ones objtool finds in the objects the build did not hand it
# (OBJECT_FILES_NON_STANDARD), run here with the arguments the build gave
# their siblings.
objtool_warnings() { # KDIR SRC BUILDLOG
    local kdir=$1 src=$2 log=$3 o cmd args sym owner m
    sed -n 's/^\(\/[^:]*\.o\): warning: objtool: \(.*\)$/\1 \2/p' "$log" |
        while read -r o m; do
            if [ "$o" = "$src/haxm.o" ]; then # the linked module: find the object by symbol
                sym=${m%%[+:]*} owner=
                for f in $(cat "$src/haxm.mod"); do
                    nm --defined-only "$f" 2>/dev/null | grep -q " $sym\$" && owner=$f && break
                done
                o=${owner:-$o}
            fi
            echo "${o#"$src/"}: $m"
        done
    grep -q 'tools/objtool/objtool' "$src/.haxm.o.cmd" && return 0
    args=
    for o in $(cat "$src/haxm.mod"); do
        cmd=$(dirname "$o")/.$(basename "$o").cmd
        args=$(sed -n 's/.*; *\(\S*tools\/objtool\/objtool .*\) \S*\.o *$/\1/p' "$cmd" | head -n 1)
        [ -n "$args" ] && break
    done
    [ -n "$args" ] || return 0 # this kernel's config has no objtool
    for o in $(cat "$src/haxm.mod"); do
        cmd=$(dirname "$o")/.$(basename "$o").cmd
        grep -q 'tools/objtool/objtool' "$cmd" && continue
        cp "$o" "$W/objtool.o"
        (cd "$kdir" && $args "$W/objtool.o" 2>&1) |
            sed -n "s|^$W/objtool.o: warning: objtool: |${o#"$src/"}: |p"
    done
}

# ---- the kernels -------------------------------------------------------

for kver in $KERNELS; do
    kdir=/usr/src/linux-headers-$kver
    src=$W/$kver
    start=$(date +%s)
    mkdir -p "$src" && cp -r "$TOP/Kbuild" "$TOP/core" "$TOP/platform" "$TOP/include" "$src/"
    echo "== $kver"
    if ! make -C "$kdir" M="$src" HAXM_WERROR=1 -j"$JOBS" modules >"$W/build.log" 2>&1; then
        grep -E 'error|warning' "$W/build.log" | head -n 20 | sed 's/^/    /'
        result 0 "build-$kver" $(($(date +%s) - start)) "the build failed"
        continue
    fi
    # HAXM_WERROR=1 reached the compiler (a user's build goes without it)
    if ! grep -qE ' -Werror( |$)' "$src/core/.vm.o.cmd"; then
        result 0 "build-$kver" $(($(date +%s) - start)) "built without -Werror"
        continue
    fi
    # the warnings -Werror does not stop: modpost's, the assembler's...
    grep -i 'warning' "$W/build.log" | grep -v ': warning: objtool: ' >"$W/other.out"
    sed 's/^/    /' "$W/other.out"
    objtool_warnings "$kdir" "$src" "$W/build.log" >"$W/objtool.out"
    sed 's/^/    objtool: /' "$W/objtool.out"
    n=$(wc -l <"$W/objtool.out") m=$(wc -l <"$W/other.out")
    [ "$n" -eq 0 ] && [ "$m" -eq 0 ] && ok=1 || ok=0
    result $ok "build-$kver" $(($(date +%s) - start)) "$n objtool warnings, $m other warnings"
    rm -rf "$src"
done

# ---- core/ for a second host: Windows x64 kernel mode ---------------------

"$TOP/tests/build/win-core.sh" "$W/win"
rc=$?
[ $rc -eq 0 ] && ok=1 || ok=0
result $ok core-win64-freestanding "$(cat "$W/win/seconds" 2>/dev/null || echo 0)"

if [ -n "${SUMMARY:-}" ] && [ -f "$SUMMARY" ]; then
    read -r p f <"$SUMMARY"
    echo "$((p + passed)) $((f + failed))" >"$SUMMARY"
fi
echo "matrix: $(($(date +%s) - t0)) s in all"
echo "build: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
