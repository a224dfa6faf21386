#!/bin/sh
# tuning.sh [RUNS]: host tuning a user can apply, measured: the default
# guest (stock cloud kernel, default initramfs, 256M) booted to its
# HUSK-GUEST-READY marker with
#   base       --memory 256M, 1 vCPU
#   huge       --memory 256M,hugepages=on (2 MiB pages, reserved first)
#   prefault   --memory 256M,prefault=on
#   huge+pf    --memory 256M,hugepages=on,prefault=on
#   cpus2      --cpus 2
#   cpus4      --cpus 4
# interleaved in one run; per variant the medians (min..max) of time to the
# marker and to exit, husk's CPU time and peak RSS (runstat), and the
# median husk timeline phase "kernel-loaded" (loading touches the guest
# RAM the kernel and initrd land in).  Hardware KVM: directly; else inside
# the nested test host.
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
runs=${1:-5}
g=$("$top/guest-images/default-guest.sh")
scen=$(mktemp)
trap 'rm -f "$scen"' EXIT
cat > "$scen" <<SCEN
CMD='console=ttyS0 quiet husk.run=true'
HUSK="timeout 150 husk run --kernel vmlinuz --initrd initramfs.cpio.gz --timeout 120 --boot-timeline=/tmp/tl.json"
echo 300 > /proc/sys/vm/nr_hugepages
echo "hugepages reserved: \$(sed -n 's/^HugePages_Total: *//p' /proc/meminfo)"
out=/tmp/tuning.txt
: > \$out
one() { # name husk-options...
    name=\$1
    shift
    r=\$(runstat -m HUSK-GUEST-READY -- \$HUSK "\$@" --cmdline "\$CMD" </dev/null 2>/dev/null)
    kl=\$(sed -n 's/.*"event": "kernel-loaded".*"t_ms": \([0-9.]*\).*/\1/p' /tmp/tl.json)
    fr=\$(sed -n 's/.*"event": "first-kvm-run".*"t_ms": \([0-9.]*\).*/\1/p' /tmp/tl.json)
    echo "\$name \$r kernel_loaded_ms=\$kl first_run_ms=\$fr" | tee -a \$out
}
i=0
while [ \$i -lt $runs ]; do
    one base --memory 256M
    one huge --memory 256M,hugepages=on
    one prefault --memory 256M,prefault=on
    one huge+pf --memory 256M,hugepages=on,prefault=on
    one cpus2 --memory 256M --cpus 2
    one cpus4 --memory 256M --cpus 4
    i=\$((i + 1))
done
echo "--- summary (marker_ms: launch to HUSK-GUEST-READY; wall_ms: launch to exit)"
sh ./summarize.sh \$out
SCEN
"$top/tests/bench/run-scenario.sh" tuning "$scen" \
    --file "$g/vmlinuz:vmlinuz" --file "$g/initramfs.cpio.gz:initramfs.cpio.gz"
