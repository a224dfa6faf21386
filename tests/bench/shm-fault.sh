#!/bin/sh
# shm-fault.sh [SIZE_MIB] [RUNS]: the host kernel's cost of a first touch
# per 4 KiB page, anonymous private memory against a shared memfd (what
# --net user makes guest RAM), interleaved, on this machine; medians via
# summarize.sh.  No KVM involved: this is the host side of every page the
# guest touches for the first time.
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cc -O2 -o "$tmp/shm-fault" "$top/tests/tools/shm-fault.c"
"$tmp/shm-fault" "${1:-256}" "${2:-5}" > "$tmp/out"
cat "$tmp/out"
echo "--- medians (microseconds per page, lower is better)"
sh "$top/tests/bench/summarize.sh" "$tmp/out"
