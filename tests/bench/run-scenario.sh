#!/bin/sh
# run-scenario.sh NAME SCENARIO [--qemu] [--netns] [--mem MiB]
#                 [--timeout SECS] [--arch arm64] [--file SRC:DEST]...
# Runs a benchmark's scenario script where a Linux guest can boot: on this
# host when its /dev/kvm is hardware backed, otherwise inside the nested
# KVM test host (tests/testhost/testhost.sh).  Either way the scenario runs
# in a directory holding each --file at DEST (bin/ is on PATH), with husk,
# runstat and summarize.sh available; --qemu adds qemu-system-x86_64 and
# its microvm firmware as qemu-data/; --netns runs it in a fresh network
# namespace on this host (the test host is one already).  BUILD selects the
# build directory (default build/; build-arm64/ with --arch arm64, which
# always runs in the nested arm64 test host).
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
name=$1
scen=$2
shift 2
qemu= netns= mem= timeout=3000 arch=amd64 extra=
while [ $# -gt 0 ]; do
    case $1 in
    --arch) arch=$2; shift 2 ;;
    --qemu) qemu=1; shift ;;
    --netns) netns=1; shift ;;
    --mem) mem=$2; shift 2 ;;
    --timeout) timeout=$2; shift 2 ;;
    --file) extra="$extra
$2"; shift 2 ;;
    *) echo "run-scenario.sh: unknown option $1" >&2; exit 64 ;;
    esac
done
if [ "$arch" = arm64 ]; then
    b=${BUILD:-$top/build-arm64}
else
    b=${BUILD:-$top/build}
fi
files="$b/husk-runstat:bin/runstat
$top/tests/bench/summarize.sh:summarize.sh$extra"
if [ -n "$qemu" ]; then
    files="$files
$(command -v qemu-system-x86_64):bin/qemu-system-x86_64
/usr/share/qemu/bios-microvm.bin:qemu-data/bios-microvm.bin
/usr/share/qemu/linuxboot_dma.bin:qemu-data/linuxboot_dma.bin
/usr/share/qemu/pvh.bin:qemu-data/pvh.bin"
fi

if [ "$arch" = amd64 ] && "$top/scripts/have-hw-kvm.sh"; then
    d=$(mktemp -d)
    trap 'rm -rf "$d"' EXIT
    echo "$files" | while IFS= read -r spec; do
        mkdir -p "$d/$(dirname "${spec#*:}")"
        ln -s "${spec%%:*}" "$d/${spec#*:}"
    done
    cd "$d"
    export PATH="$d/bin:$b:$PATH"
    if [ -n "$netns" ]; then
        unshare -n sh -c "ip link set lo up; sh $scen"
    else
        sh "$scen"
    fi
    exit
fi
echo "$name: no hardware KVM here; measuring inside the nested KVM test host"
set -- --husk "$b/husk" --scenario "$scen" --timeout "$timeout" --arch "$arch"
[ -z "$mem" ] || set -- "$@" --mem "$mem"
# One --file per line of $files (paths hold no newlines).
old_ifs=$IFS
IFS='
'
for spec in $files; do
    set -- "$@" --file "$spec"
done
IFS=$old_ifs
# The test host's status, not the filter's: a stalled or failed host is
# the benchmark's failure (it used to end with grep's 0).
st=$(mktemp)
trap 'rm -f "$st"' EXIT
{ "$top/tests/testhost/testhost.sh" "$@"; echo $? > "$st"; } |
    tr -d '\r' | grep -v -e '^\[' -e SeaBIOS -e 'Booting from ROM' || true
exit "$(cat "$st")"
