#!/bin/sh
# fetch-kernel.sh FLAVOUR [ARCH]: download (never install) the current Debian
# kernel package of FLAVOUR ("cloud" -> linux-image-cloud-amd64, "generic" ->
# linux-image-amd64) for ARCH (amd64, the default, or arm64: the arm64
# package, which needs `dpkg --add-architecture arm64` and an apt-get
# update) and unpack it into the husk cache, keyed by the exact package
# version.  Prints the unpacked directory.  A second run with the same
# version does nothing.
set -eu
flavour=${1:-cloud}
arch=${2:-amd64}
case "$arch" in
    amd64) sfx= ;;
    arm64) sfx=:arm64 ;;
    *) echo "fetch-kernel.sh: unknown architecture '$arch' (amd64|arm64)" >&2; exit 2 ;;
esac
case "$flavour" in
    cloud) meta=linux-image-cloud-$arch$sfx ;;
    generic) meta=linux-image-$arch$sfx ;;
    *) echo "fetch-kernel.sh: unknown flavour '$flavour' (cloud|generic)" >&2; exit 2 ;;
esac
cache=${HUSK_CACHE:-$HOME/.cache/husk}
# The meta package depends on exactly one versioned image package.
pkg=$(apt-cache depends "$meta" 2>/dev/null | sed -n 's/^ *Depends: \(linux-image-[0-9].*\)$/\1/p' | head -n1)
if [ -z "$pkg" ]; then
    echo "fetch-kernel.sh: cannot resolve $meta (run apt-get update?)" >&2
    exit 1
fi
pkg=${pkg%:*}$sfx
ver=$(apt-cache policy "$pkg" | sed -n 's/^ *Candidate: //p')
dir="$cache/kernel/${pkg%:*}-$ver"
if [ -f "$dir/.done" ]; then
    echo "$dir"
    exit 0
fi
tmp=$(mktemp -d "$cache/tmp.XXXXXX" 2>/dev/null || { mkdir -p "$cache"; mktemp -d "$cache/tmp.XXXXXX"; })
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && apt-get download "$pkg" >/dev/null)
dpkg-deb -x "$tmp"/*.deb "$tmp/root"
kver=$(ls "$tmp/root/lib/modules")
rm -rf "$dir"
mkdir -p "$dir"
mv "$tmp/root/boot/vmlinuz-$kver" "$dir/vmlinuz"
mv "$tmp/root/lib/modules/$kver" "$dir/modules"
echo "$kver" > "$dir/kernel-release"
touch "$dir/.done"
echo "$dir"
