#!/bin/sh
# small-kernel.sh: builds (once) a small guest kernel from Debian's
# linux-source-6.1 package: `make tinyconfig` plus the fragment
# small-kernel/husk-small.config (virtio-mmio, 8250 console, ext4, ACPI,
# PVH built in; no modules).  Prints the directory holding vmlinuz
# (bzImage), vmlinux (a PVH ELF) and config.  Cached under
# ~/.cache/husk/kernel/small-<key>, keyed by the source package version and
# the hash of this script and the fragment.  Needs the packages
# linux-source-6.1 (downloaded, not installed), build-essential, bc, flex,
# bison, libelf-dev and lz4; `make small-kernel` installs them.
# Takes a few minutes on 2 cores.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
cache=${HUSK_CACHE:-$HOME/.cache/husk}
frag=$here/small-kernel/husk-small.config
pkg=linux-source-6.1
ver=$(apt-cache policy "$pkg" | sed -n 's/^ *Candidate: //p')
[ -n "$ver" ] && [ "$ver" != "(none)" ] || {
    echo "small-kernel.sh: no $pkg package known (apt-get update?)" >&2
    exit 1
}
key=$( (echo "$ver"; cat "$0" "$frag") | sha256sum | cut -c1-16)
dir=$cache/kernel/small-$key
if [ -f "$dir/.done" ]; then
    echo "$dir"
    exit 0
fi
mkdir -p "$cache/kernel"
tmp=$(mktemp -d "$cache/kernel/tmp.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && apt-get download "$pkg=$ver" >/dev/null)
dpkg-deb -x "$tmp"/*.deb "$tmp/pkg"
tar -C "$tmp" -xaf "$tmp"/pkg/usr/src/linux-source-6.1.tar.*
src=$(ls -d "$tmp"/linux-source-6.1)
jobs=${HUSK_KERNEL_JOBS:-$(nproc)}
{
    make -C "$src" ARCH=x86_64 tinyconfig
    "$src/scripts/kconfig/merge_config.sh" -m -O "$src" "$src/.config" "$frag"
    make -C "$src" ARCH=x86_64 olddefconfig
} >"$tmp/config.log" 2>&1 || { cat "$tmp/config.log" >&2; exit 1; }
# Every symbol the fragment asks for must have survived.
missing=$(grep '^CONFIG_' "$frag" | while IFS= read -r line; do
    grep -qx "$line" "$src/.config" || echo "$line"
done)
if [ -n "$missing" ]; then
    echo "small-kernel.sh: Kconfig dropped:" $missing >&2
    exit 1
fi
make -C "$src" ARCH=x86_64 -j"$jobs" bzImage >"$tmp/build.log" 2>&1 ||
    { tail -n 40 "$tmp/build.log" >&2; exit 1; }
rm -rf "$dir"
mkdir -p "$dir"
cp "$src/arch/x86/boot/bzImage" "$dir/vmlinuz"
cp "$src/vmlinux" "$dir/vmlinux"
cp "$src/.config" "$dir/config"
make -C "$src" -s kernelrelease > "$dir/kernel-release" 2>/dev/null || true
touch "$dir/.done"
echo "$dir"
