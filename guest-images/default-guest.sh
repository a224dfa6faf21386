#!/bin/sh
# default-guest.sh [ARCH]: makes sure the default guest for ARCH (amd64,
# the default, or arm64) exists in the cache and prints its directory,
# holding vmlinuz (Debian's stock cloud kernel: a bzImage, or on arm64 an
# uncompressed Image), on amd64 vmlinux (the same kernel as a PVH ELF),
# initramfs.cpio.gz and root.img.  Keyed by the architecture, the kernel
# package version, busybox's and the hash of every input file, so a
# second run does nothing.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
arch=${1:-amd64}
cache=${HUSK_CACHE:-$HOME/.cache/husk}
kdir=$("$here/fetch-kernel.sh" cloud "$arch")
bb=$("$here/fetch-busybox.sh" "$arch")
# arm64's path names its version; amd64's is the installed package's.
bbver="$bb $(dpkg-query -W -f '${Version}' busybox-static 2>/dev/null || echo none)"
key=$( (basename "$kdir"; echo "$arch $bbver"; cat "$here/build-initramfs.sh" "$here"/initramfs/* \
        "$here/extract-vmlinux.sh" "$here/fetch-busybox.sh" "$here"/exec/husk-init.h \
        "$here"/exec/husk-init_*.c "$top"/lib/layout_*.h "$top/devices/sysctl_arm64.h") |
      sha256sum | cut -c1-16)
if [ "$arch" = amd64 ]; then
    dir="$cache/guest/default-$key"
else
    dir="$cache/guest/default-$arch-$key"
fi
if [ ! -f "$dir/.done" ]; then
    mkdir -p "$dir"
    "$here/build-initramfs.sh" "$kdir" "$dir" "$arch"
    cp "$kdir/vmlinuz" "$dir/vmlinuz"
    if [ "$arch" = amd64 ]; then
        "$here/extract-vmlinux.sh" "$dir/vmlinuz" "$dir/vmlinux"
    fi
    touch "$dir/.done"
fi
echo "$dir"
