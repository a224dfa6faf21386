#!/bin/sh
# elf-closure.sh ROOT FILE: the shared libraries an arm64 program needs,
# its DT_NEEDED closure resolved in ROOT's multiarch library directories
# (ROOT/lib/aarch64-linux-gnu, ROOT/usr/lib/aarch64-linux-gnu), one line
# "SONAME PATH" each, for programs that cannot be asked through ldd on
# this x86_64 machine.  A library not found is skipped (the loader says
# so when the program runs).  Used by testhost.sh --arch arm64 and
# tests/bench/fetch-qemu-arm64.sh.
set -eu
root=${1%/}
queue=$2
seen=" "
while [ -n "$queue" ]; do
    f=${queue%% *}
    queue=${queue#"$f"}
    queue=${queue# }
    for n in $(readelf -d "$f" 2>/dev/null | sed -n 's/.*Shared library: \[\(.*\)\]/\1/p'); do
        case "$seen" in *" $n "*) continue ;; esac
        seen="$seen$n "
        for d in "$root/lib/aarch64-linux-gnu" "$root/usr/lib/aarch64-linux-gnu"; do
            if [ -e "$d/$n" ]; then
                echo "$n $d/$n"
                queue="$queue $(readlink -f "$d/$n")"
                break
            fi
        done
    done
    queue=${queue# }
done
