#!/bin/sh
# vsock.sh [RUNS]: virtio-vsock, husk (--vsock, the kernel's vhost-vsock)
# against QEMU microvm (-device vhost-vsock-device, the same kernel
# module), side by side in one run, same kernel, initramfs, memory (512M),
# 1 vCPU.  Per run, this side to the guest's husk-vsock echo:
#   MBPS  64 MiB out and back at once (husk-vsock bulk), both ways' bytes;
#   RR    2000 1-byte round trips (husk-vsock rr), mean microseconds.
# Runs alternate; medians per system.  Hardware KVM: directly; else inside
# the test host (which loads vhost_vsock).
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
runs=${1:-5}
b=${BUILD:-$top/build}
g=$("$top/guest-images/default-guest.sh")
scen=$(mktemp)
trap 'rm -f "$scen"' EXIT
cat > "$scen" <<SCEN
out=/tmp/vsock.txt
: > \$out
# The test host loads vhost-vsock only for those who need it (testhost.sh);
# on hardware the host's modprobe has done it, or husk says how.
for m in vsock vmw_vsock_virtio_transport_common vhost_iotlb vhost vhost_vsock; do
    [ -e /lib/modules/\$m.ko ] && insmod /lib/modules/\$m.ko 2>/dev/null
done
CMD='console=ttyS0 quiet husk.net=off husk.run="husk-vsock listen 1234 echo 2; sleep 1"'
QCMD='console=ttyS0 quiet husk.net=off husk.run="husk-vsock listen 1234 echo 2; poweroff -f"'
HUSK="timeout 300 husk run --kernel vmlinuz --initrd initramfs.cpio.gz --memory 512M --cpus 1 --timeout 280"
QEMU="timeout 300 qemu-system-x86_64 -L qemu-data -M microvm -accel kvm -cpu host,pmu=off -m 512M -smp 1 -nodefaults -no-user-config -nographic -display none -serial stdio -kernel vmlinuz -initrd initramfs.cpio.gz"
# one NAME CID VMM...: boot it, wait for the guest's listener, measure.
one() {
    name=\$1 cid=\$2
    shift 2
    # Emptied here, not by the VM's own redirection: that one runs in the
    # child, after the wait below may already have read the last run's
    # "listening" and connected to a CID not yet there (ENODEV).
    : > /tmp/vm.out
    "\$@" </dev/null >> /tmp/vm.out 2>/tmp/vm.err &
    pid=\$!
    w=0
    until grep -q listening /tmp/vm.out || [ \$w -ge 900 ] || ! kill -0 \$pid 2>/dev/null; do
        sleep 0.2
        w=\$((w + 1))
    done
    m=\$(husk-vsock bulk \$cid 1234 64 | sed -n 's/^mb_per_s=//p')
    r=\$(husk-vsock rr \$cid 1234 2000 | sed -n 's/^rr_us=//p')
    wait \$pid
    st=\$?
    echo "\$name MBPS=\${m:-fail} RR=\${r:-fail} status=\$st" | tee -a \$out
    # A failed run's diagnostics (stderr: never parsed, shown).
    [ -n "\$m" ] || { tail -5 /tmp/vm.err; tail -3 /tmp/vm.out; } >&2
}
i=0
while [ \$i -lt $runs ]; do
    one husk 3 \$HUSK --vsock 3 --cmdline "\$CMD"
    one qemu 4 \$QEMU -device vhost-vsock-device,guest-cid=4 -append "\$QCMD"
    i=\$((i + 1))
done
echo "--- medians (MBPS: MB/s both ways, higher is better; RR: us, lower is better)"
for sys in husk qemu; do
    line="\$sys"
    for k in MBPS RR; do
        m=\$(grep "^\$sys " \$out | tr ' ' '\n' | sed -n "s/^\$k=//p" | grep -v fail | sort -n | awk '{a[NR]=\$1} END {if (NR == 0) print "-"; else if (NR%2) print a[(NR+1)/2]; else print (a[NR/2]+a[NR/2+1])/2}')
        line="\$line \$k=\$m"
    done
    echo "\$line"
done
SCEN
"$top/tests/bench/run-scenario.sh" vsock "$scen" --qemu --timeout 3600 \
    --file "$b/guest-images/husk-vsock:bin/husk-vsock" \
    --file "$g/vmlinuz:vmlinuz" --file "$g/initramfs.cpio.gz:initramfs.cpio.gz"
