#!/bin/sh
# soak.sh [KILLS]: the durability scenario of the system suite
# (tests/system/durability.sh) run KILLS times (default 500) in one go,
# for the records lost under SIGKILL (goal: 0).  Hardware KVM: directly;
# else inside the nested test host.  About 8 s a kill there.
#   make soak   (or: tests/bench/soak.sh 500)
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
kills=${1:-500}
b=${BUILD:-$top/build}
g=$("$top/guest-images/default-guest.sh")
scen=$(mktemp)
trap 'rm -f "$scen"' EXIT
cat > "$scen" <<SCEN
sh ./durability.sh $kills
SCEN
"$top/tests/bench/run-scenario.sh" soak "$scen" --timeout $((kills * 30 + 600)) \
    --file "$g/vmlinuz:vmlinuz" --file "$g/initramfs.cpio.gz:initramfs.cpio.gz" \
    --file "$b/guest-images/husk-records:husk-records" \
    --file "$top/tests/system/durability.sh:durability.sh"
