#!/bin/sh
# fetch-qemu-arm64.sh: Debian's arm64 qemu-system-aarch64, the peer that
# tests/bench/boot-arm64.sh measures husk against inside the arm64 test
# host.  Its package and every arm64 library package it depends on are
# downloaded (never installed: the arm64 and amd64 qemu-system-arm cannot
# both be) and unpacked into the husk cache, keyed by its version; the
# binary and the libraries it loads are packed as qemu-arm64.tar
# (qemu/qemu-system-aarch64, qemu/lib/*).  Prints the tar's path.
set -eu
cache=${HUSK_CACHE:-$HOME/.cache/husk}
ver=$(apt-cache policy qemu-system-arm:arm64 2>/dev/null | sed -n 's/^ *Candidate: //p')
if [ -z "$ver" ] || [ "$ver" = "(none)" ]; then
    echo "fetch-qemu-arm64.sh: no qemu-system-arm:arm64 (dpkg --add-architecture arm64; apt-get update)" >&2
    exit 1
fi
dir="$cache/qemu-arm64/$(echo "$ver" | tr ':' '_')"
if [ -f "$dir/.done" ]; then
    echo "$dir/qemu-arm64.tar"
    exit 0
fi
mkdir -p "$cache/qemu-arm64"
tmp=$(mktemp -d "$cache/qemu-arm64/tmp.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
# The library packages of its dependency closure (no recommends).
apt-cache depends --recurse --no-recommends --no-suggests --no-conflicts \
    --no-breaks --no-replaces --no-enhances --no-pre-depends \
    "qemu-system-arm:arm64=$ver" 2>/dev/null |
    grep -v '^ ' | grep -E '^(lib[^ ]*|zlib1g):arm64$' | sort -u > "$tmp/pkgs"
(cd "$tmp" && apt-get download "qemu-system-arm:arm64=$ver" $(cat "$tmp/pkgs") >/dev/null 2>&1) ||
    { echo "fetch-qemu-arm64.sh: download failed" >&2; exit 1; }
mkdir -p "$tmp/root" "$tmp/out/qemu/lib"
for f in "$tmp"/*.deb; do
    dpkg-deb -x "$f" "$tmp/root"
done
cp "$tmp/root/usr/bin/qemu-system-aarch64" "$tmp/out/qemu/"
# The binary's DT_NEEDED closure, each by its soname (the loader finds
# them through LD_LIBRARY_PATH=qemu/lib).
"$(dirname "$0")/../tools/elf-closure.sh" "$tmp/root" \
    "$tmp/root/usr/bin/qemu-system-aarch64" | while read -r soname path; do
    cp -L "$path" "$tmp/out/qemu/lib/$soname"
done
(cd "$tmp/out" && tar cf "$tmp/qemu-arm64.tar" qemu)
rm -rf "$dir"
mkdir -p "$dir"
mv "$tmp/qemu-arm64.tar" "$dir/"
echo "$ver" > "$dir/version"
touch "$dir/.done"
echo "$dir/qemu-arm64.tar"
