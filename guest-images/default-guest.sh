#!/bin/sh
# default-guest.sh: makes sure the default guest exists in the cache and
# prints its directory, holding vmlinuz (Debian's stock cloud kernel,
# bzImage), vmlinux (the same kernel as a PVH ELF) and initramfs.cpio.gz.
# Keyed by the kernel package version and the hash of every input file, so
# a second run does nothing.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
cache=${HUSK_CACHE:-$HOME/.cache/husk}
kdir=$("$here/fetch-kernel.sh" cloud)
bbver=$(dpkg-query -W -f '${Version}' busybox-static 2>/dev/null || echo none)
key=$( (basename "$kdir"; echo "$bbver"; cat "$here/build-initramfs.sh" "$here"/initramfs/* \
        "$here/extract-vmlinux.sh") | sha256sum | cut -c1-16)
dir="$cache/guest/default-$key"
if [ ! -f "$dir/.done" ]; then
    mkdir -p "$dir"
    "$here/build-initramfs.sh" "$kdir" "$dir"
    cp "$kdir/vmlinuz" "$dir/vmlinuz"
    "$here/extract-vmlinux.sh" "$dir/vmlinuz" "$dir/vmlinux"
    touch "$dir/.done"
fi
echo "$dir"
