#!/bin/sh
# boot.sh [RUNS]: boot to the initramfs marker with Debian's stock cloud
# kernel (bzImage) and the default initramfs, husk vs QEMU microvm, side by
# side in one run, same kernel, initramfs, memory (256M) and vCPUs (1).
# The guest's init prints HUSK-GUEST-READY, runs `true` and ends the VM
# through port 0xf4.  Reported per system: time to the marker and to exit,
# CPU time and peak RSS of the VMM process (medians, min, max).
# QEMU runs twice: as configured by default (-M microvm) and with the
# legacy devices the stock kernel probes turned off (rtc=off, pit=off,
# pic=off), the configuration QEMU's microvm docs recommend for speed.
# Every run is bounded (120 s); a run that hits it shows status 124.  In
# the test host each boot starts on scrubbed pages (tests/testhost/
# scrub.sh), so neither VMM inherits translated code from the other.
# Runs on hardware KVM directly, otherwise inside the nested test host.
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
runs=${1:-10}
b=${BUILD:-$top/build}
g=$("$top/guest-images/default-guest.sh")
scen=$(mktemp)
trap 'rm -f "$scen"' EXIT
cat > "$scen" <<SCEN
CMD='console=ttyS0 quiet husk.run=true'
HUSK="timeout 150 husk run --kernel vmlinuz --initrd initramfs.cpio.gz --memory 256M --cpus 1 --timeout 120 --cmdline"
QEMU="timeout 120 qemu-system-x86_64 -L qemu-data -accel kvm -cpu host,pmu=off -m 256M -smp 1 -nodefaults -no-user-config -nographic -display none -serial stdio -device isa-debug-exit,iobase=0xf4,iosize=4 -kernel vmlinuz -initrd initramfs.cpio.gz"
scrub() { command -v testhost-scrub >/dev/null && testhost-scrub; true; }
out=/tmp/boot.txt
: > \$out
i=0
while [ \$i -lt $runs ]; do
    scrub
    echo "husk \$(runstat -m HUSK-GUEST-READY -- \$HUSK "\$CMD" </dev/null 2>/dev/null)" | tee -a \$out
    scrub
    echo "qemu-microvm \$(runstat -m HUSK-GUEST-READY -- \$QEMU -M microvm -append "\$CMD" </dev/null 2>/dev/null)" | tee -a \$out
    scrub
    echo "qemu-microvm-lean \$(runstat -m HUSK-GUEST-READY -- \$QEMU -M microvm,rtc=off,pit=off,pic=off -append "\$CMD" </dev/null 2>/dev/null)" | tee -a \$out
    i=\$((i + 1))
done
echo "--- summary (marker_ms: launch to HUSK-GUEST-READY; wall_ms: launch to exit)"
echo "--- statuses: husk 0, QEMU isa-debug-exit (0<<1)|1 = 1"
sh ./summarize.sh \$out
SCEN
"$top/tests/bench/run-scenario.sh" boot "$scen" --qemu \
    --file "$g/vmlinuz:vmlinuz" --file "$g/initramfs.cpio.gz:initramfs.cpio.gz"
