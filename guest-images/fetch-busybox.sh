#!/bin/sh
# fetch-busybox.sh [ARCH]: prints the path of a static busybox for ARCH
# (amd64, the default: the host's own /bin/busybox from busybox-static;
# arm64: Debian's busybox-static:arm64, downloaded (never installed) and
# unpacked into the husk cache, keyed by its version).
set -eu
arch=${1:-amd64}
cache=${HUSK_CACHE:-$HOME/.cache/husk}
case "$arch" in
amd64)
    if [ ! -x /bin/busybox ] || ldd /bin/busybox >/dev/null 2>&1; then
        echo "fetch-busybox.sh: needs busybox-static (apt-get install busybox-static)" >&2
        exit 1
    fi
    echo /bin/busybox
    ;;
arm64)
    ver=$(apt-cache policy busybox-static:arm64 2>/dev/null | sed -n 's/^ *Candidate: //p')
    if [ -z "$ver" ] || [ "$ver" = "(none)" ]; then
        echo "fetch-busybox.sh: no busybox-static:arm64 (dpkg --add-architecture arm64; apt-get update)" >&2
        exit 1
    fi
    dir="$cache/busybox/arm64-$ver"
    if [ ! -f "$dir/.done" ]; then
        mkdir -p "$cache/busybox"
        tmp=$(mktemp -d "$cache/busybox/tmp.XXXXXX")
        trap 'rm -rf "$tmp"' EXIT
        (cd "$tmp" && apt-get download "busybox-static:arm64=$ver" >/dev/null 2>&1) ||
            { echo "fetch-busybox.sh: cannot download busybox-static:arm64" >&2; exit 1; }
        dpkg-deb -x "$tmp"/*.deb "$tmp/root"
        rm -rf "$dir"
        mkdir -p "$dir"
        mv "$tmp/root/bin/busybox" "$dir/busybox"
        touch "$dir/.done"
    fi
    echo "$dir/busybox"
    ;;
*)
    echo "fetch-busybox.sh: unknown architecture '$arch' (amd64|arm64)" >&2
    exit 2
    ;;
esac
