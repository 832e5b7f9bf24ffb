#!/usr/bin/env bash
# Compile every core/*.c and core/*/*.c for a second host, as a 64-bit
# Windows kernel-mode driver would have them: x86_64-w64-mingw32-gcc (LLP64),
# -ffreestanding with no C library and no Linux header (-nostdinc; only the
# compiler's own stdint.h/stdbool.h), kernel code generation (no red zone,
# general registers only), warnings as errors; os_types.h from
# tests/build/win/. It proves the core stays portable; nothing is linked.
# -Wno-unused-parameter as the kernel's W=1 and the unit tests: the exit and
# MSR handler tables give every handler the same parameters.
# Usage: win-core.sh OUTDIR (objects there, and the seconds it took)
set -uo pipefail
TOP=$(cd "$(dirname "$0")/../.." && pwd)
OUT=${1:?usage: win-core.sh OUTDIR}
CC=x86_64-w64-mingw32-gcc
start=$(date +%s)
mkdir -p "$OUT"

if ! command -v $CC >/dev/null; then
    SUDO=
    [ "$(id -u)" -eq 0 ] || SUDO=sudo
    echo "win-core: installing gcc-mingw-w64-x86-64"
    $SUDO env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 -qq install -y \
        --no-install-recommends gcc-mingw-w64-x86-64 || exit 1
fi

CFLAGS=(-std=gnu11 -O2 -ffreestanding -nostdinc -isystem "$($CC -print-file-name=include)"
    -mno-red-zone -mgeneral-regs-only -fno-stack-protector -Wall -Wextra -Wno-unused-parameter
    -Werror -I"$TOP/tests/build/win" -I"$TOP/core")
n=0 bad=0
cd "$TOP" || exit 1
for f in core/*.c core/*/*.c; do
    n=$((n + 1))
    o=$OUT/$(echo "${f%.c}" | tr / _).o
    if ! out=$($CC "${CFLAGS[@]}" -c "$f" -o "$o" 2>&1); then
        bad=$((bad + 1))
        echo "    $f:" && echo "$out" | grep -E 'error|warning' | head -n 10 | sed 's/^/      /'
    fi
done
echo $(($(date +%s) - start)) >"$OUT/seconds"
echo "win-core: $((n - bad)) of $n files compiled"
[ "$bad" -eq 0 ] && [ "$n" -gt 0 ]
