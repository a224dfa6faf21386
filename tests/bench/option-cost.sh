#!/bin/sh
# option-cost.sh [RUNS] OPTION...: what a husk option costs at boot.  Boots
# the default guest (stock cloud kernel, default initramfs, 256M, 1 vCPU)
# to its HUSK-GUEST-READY marker with and without OPTION..., interleaved in
# one run, and prints per variant the medians (min..max) of time to the
# marker, time to exit, CPU time and peak RSS of husk (runstat).  Used to
# decide defaults, e.g.  option-cost.sh 15 --rng
# Runs on hardware KVM directly, otherwise inside the nested test host.
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
runs=10
case ${1:-} in
[0-9]*) runs=$1; shift ;;
esac
[ $# -gt 0 ] || { echo "usage: option-cost.sh [RUNS] OPTION..." >&2; exit 64; }
opts="$*"
b=${BUILD:-$top/build}
g=$("$top/guest-images/default-guest.sh")
scen=$(mktemp)
trap 'rm -f "$scen"' EXIT
cat > "$scen" <<SCEN
CMD='console=ttyS0 quiet husk.run=true'
HUSK="timeout 150 husk run --kernel vmlinuz --initrd initramfs.cpio.gz --memory 256M --cpus 1 --timeout 120"
out=/tmp/opt.txt
: > \$out
i=0
while [ \$i -lt $runs ]; do
    echo "husk \$(runstat -m HUSK-GUEST-READY -- \$HUSK --cmdline "\$CMD" </dev/null 2>/dev/null)" | tee -a \$out
    echo "husk_$(echo "$opts" | tr -c 'a-zA-Z0-9\n' _) \$(runstat -m HUSK-GUEST-READY -- \$HUSK $opts --cmdline "\$CMD" </dev/null 2>/dev/null)" | tee -a \$out
    i=\$((i + 1))
done
echo "--- summary (marker_ms: launch to HUSK-GUEST-READY; wall_ms: launch to exit)"
sh ./summarize.sh \$out
SCEN
"$top/tests/bench/run-scenario.sh" option-cost "$scen" \
    --file "$g/vmlinuz:vmlinuz" --file "$g/initramfs.cpio.gz:initramfs.cpio.gz"
