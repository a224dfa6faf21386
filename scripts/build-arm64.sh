#!/bin/sh
# build-arm64.sh [DIR]: cross-compiles husk and its helpers for aarch64
# on this x86_64 machine into DIR (default build-arm64), static like the
# x86 build: `make build-arm64` (docs/arm64.md).
#
# The cross toolchain and the arm64 libraries come from Debian (multiarch:
# dpkg --add-architecture arm64).  libfdt-dev is the one library Debian
# cannot install for two architectures at once, so its arm64 package is
# unpacked (never installed) into the husk cache, keyed by its version.
# The cross file is written next to it; meson runs the build-time
# generators built for arm64 (the seccomp filters) through qemu-user.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-build-arm64}
cache=${HUSK_CACHE:-$HOME/.cache/husk}

if ! dpkg --print-foreign-architectures | grep -qx arm64; then
    if [ "$(id -u)" != 0 ]; then
        echo "build-arm64: run: sudo dpkg --add-architecture arm64 && sudo apt-get update" >&2
        exit 1
    fi
    dpkg --add-architecture arm64
    apt-get update -q >/dev/null
fi
"$top/scripts/install-deps.sh" meson ninja-build pkg-config gcc-aarch64-linux-gnu \
    libc6-dev-arm64-cross qemu-user-static libglib2.0-dev:arm64 \
    liburing-dev:arm64 libseccomp-dev:arm64 libslirp-dev:arm64 \
    libjson-glib-dev:arm64

ver=$(apt-cache policy libfdt-dev:arm64 | sed -n 's/^ *Candidate: //p')
[ -n "$ver" ] && [ "$ver" != "(none)" ] ||
    { echo "build-arm64: no libfdt-dev:arm64 in the archive (apt-get update?)" >&2; exit 1; }
fdt="$cache/arm64-sysroot/libfdt-dev-$ver"
if [ ! -f "$fdt/.done" ]; then
    mkdir -p "$cache/arm64-sysroot"
    tmp=$(mktemp -d "$cache/arm64-sysroot/tmp.XXXXXX")
    (cd "$tmp" && apt-get download "libfdt-dev:arm64=$ver" >/dev/null 2>&1) ||
        { rm -rf "$tmp"; echo "build-arm64: cannot download libfdt-dev:arm64" >&2; exit 1; }
    dpkg-deb -x "$tmp"/*.deb "$tmp/root"
    rm -rf "$fdt"
    mv "$tmp/root" "$fdt"
    rm -rf "$tmp"
    touch "$fdt/.done"
fi
cross="$cache/arm64-sysroot/cross-$ver.ini"
cat > "$cross.tmp" <<INI
[binaries]
c = 'aarch64-linux-gnu-gcc'
ar = 'aarch64-linux-gnu-ar'
strip = 'aarch64-linux-gnu-strip'
pkgconfig = 'aarch64-linux-gnu-pkg-config'
exe_wrapper = 'qemu-aarch64-static'

[built-in options]
c_args = ['-I$fdt/usr/include']
c_link_args = ['-L$fdt/usr/lib/aarch64-linux-gnu']

[properties]
# libfdt's arm64 package, unpacked (scripts/build-arm64.sh)
fdt_libdir = '$fdt/usr/lib/aarch64-linux-gnu'

[host_machine]
system = 'linux'
cpu_family = 'aarch64'
cpu = 'aarch64'
endian = 'little'
INI
mv "$cross.tmp" "$cross"
cd "$top"
if [ ! -f "$out/build.ninja" ]; then
    meson setup "$out" --cross-file "$cross" -Dtests=disabled >/dev/null
fi
ninja -C "$out"
