#!/bin/sh
# extract-vmlinux.sh BZIMAGE OUT: writes the ELF vmlinux inside a bzImage
# whose payload is LZ4 (Debian's kernels), for booting through PVH.
set -eu
in=$1
out=$2
off=$(grep -obUaP '\x02\x21\x4c\x18' "$in" | head -n1 | cut -d: -f1)
[ -n "$off" ] || { echo "extract-vmlinux.sh: no LZ4 stream in $in" >&2; exit 1; }
tail -c +"$((off + 1))" "$in" | lz4 -dc > "$out.tmp" 2>/dev/null || true
head -c 4 "$out.tmp" | grep -q ELF || { echo "extract-vmlinux.sh: no ELF in the LZ4 stream" >&2; rm -f "$out.tmp"; exit 1; }
mv "$out.tmp" "$out"
