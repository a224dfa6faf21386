#!/bin/sh
# disk.sh [RUNS]: virtio-blk throughput, husk vs QEMU microvm, side by side
# in one run, same kernel, initramfs, memory and a 256 MiB raw image on the
# same (tmpfs) filesystem, both with host page cache (QEMU's default
# cache=writeback, husk's buffered backend); each with its io_uring engine
# and its other one (husk aio=sync, QEMU aio=threads).  In the guest, with
# O_DIRECT: sequential write and read of 256 MiB (dd, 1 MiB blocks) and
# 2000 random 4 KiB reads at queue depth 1 and 4 (husk-diskbench and
# husk-randread, in the default initramfs).  Then the same raw image served
# by qemu-storage-daemon as a vhost-user-blk export (writeback, aio
# io_uring), to husk (--disk vhost-user=SOCKET) and to QEMU microvm
# (vhost-user-blk with shared memfd RAM): the backend's data path against
# husk's own engine, and husk against QEMU on the same export.  Medians of
# MB/s and IOPS per system.  Hardware KVM: directly; else inside the test
# host.
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
runs=${1:-5}
b=${BUILD:-$top/build}
g=$("$top/guest-images/default-guest.sh")
scen=$(mktemp)
trap 'rm -f "$scen"' EXIT
cat > "$scen" <<SCEN
CMD="console=ttyS0 quiet husk.run=husk-diskbench"
out=/tmp/disk.txt
: > \$out
QEMU="qemu-system-x86_64 -L qemu-data -M microvm -accel kvm -cpu host,pmu=off \
    -m 512M -smp 1 -nodefaults -no-user-config -nographic -display none -serial stdio \
    -device isa-debug-exit,iobase=0xf4,iosize=4 -kernel vmlinuz -initrd initramfs.cpio.gz \
    -device virtio-blk-device,drive=d0"
# The test host carries it at Debian's path, which is not on its PATH.
QSD=\$(command -v qemu-storage-daemon || echo /usr/bin/qemu-storage-daemon)
QEMU_VU="qemu-system-x86_64 -L qemu-data -M microvm,memory-backend=mem -accel kvm -cpu host,pmu=off \
    -object memory-backend-memfd,id=mem,size=512M,share=on -global virtio-mmio.force-legacy=false \
    -m 512M -smp 1 -nodefaults -no-user-config -nographic -display none -serial stdio \
    -device isa-debug-exit,iobase=0xf4,iosize=4 -kernel vmlinuz -initrd initramfs.cpio.gz"
# one NAME COMMAND...: a fresh zeroed image, one guest run, its figures.
one() {
    name=\$1
    shift
    [ \$name = husk-qsd ] || [ \$name = qemu-microvm-qsd ] ||
        dd if=/dev/zero of=/tmp/disk.img bs=1M count=256 2>/dev/null
    r=\$(timeout 300 "\$@" </dev/null 2>/tmp/one.err | tr -d '\r' | grep -E '^(SEQ|RAND)' | tr '\n' ' ')
    [ -n "\$r" ] || sed "s/^/\$name: /" /tmp/one.err >&2
    echo "\$name \$r" | tee -a \$out
}
i=0
while [ \$i -lt $runs ]; do
    for aio in io_uring sync; do
        one husk-\$aio husk run --kernel vmlinuz --initrd initramfs.cpio.gz --memory 512M \
            --disk /tmp/disk.img,aio=\$aio --timeout 280 --cmdline "\$CMD"
    done
    for aio in io_uring threads; do
        one qemu-microvm-\$aio \$QEMU -drive id=d0,file=/tmp/disk.img,format=raw,if=none,aio=\$aio \
            -append "\$CMD"
    done
    for sys in husk-qsd qemu-microvm-qsd; do
        dd if=/dev/zero of=/tmp/disk.img bs=1M count=256 2>/dev/null
        rm -f /tmp/qsd.sock
        \$QSD --blockdev driver=file,node-name=f,filename=/tmp/disk.img,aio=io_uring \
            --blockdev driver=raw,node-name=d,file=f \
            --export type=vhost-user-blk,id=e,node-name=d,addr.type=unix,addr.path=/tmp/qsd.sock,writable=on &
        qpid=\$!
        n=0
        while [ ! -S /tmp/qsd.sock ] && [ \$n -lt 100 ]; do sleep 0.1; n=\$((n + 1)); done
        if [ \$sys = husk-qsd ]; then
            one husk-qsd husk run --kernel vmlinuz --initrd initramfs.cpio.gz --memory 512M \
                --disk vhost-user=/tmp/qsd.sock --timeout 280 --cmdline "\$CMD"
        else
            one qemu-microvm-qsd \$QEMU_VU -chardev socket,id=vb,path=/tmp/qsd.sock \
                -device vhost-user-blk,chardev=vb -append "\$CMD"
        fi
        kill \$qpid 2>/dev/null
        wait \$qpid 2>/dev/null
    done
    i=\$((i + 1))
done
rm -f /tmp/disk.img
echo "--- medians (MB/s for SEQ*, IOPS for RANDREAD*)"
for sys in husk-io_uring husk-sync qemu-microvm-io_uring qemu-microvm-threads husk-qsd qemu-microvm-qsd; do
    line="\$sys"
    for k in SEQWRITE SEQREAD RANDREAD RANDREAD4; do
        m=\$(grep "^\$sys " \$out | tr ' ' '\n' | sed -n "s/^\$k=//p" | sort -n | awk '{a[NR]=\$1} END {if (NR%2) print a[(NR+1)/2]; else print (a[NR/2]+a[NR/2+1])/2}')
        line="\$line \$k=\$m"
    done
    echo "\$line"
done
SCEN
"$top/tests/bench/run-scenario.sh" disk "$scen" --qemu --mem 3072 \
    --file "$g/vmlinuz:vmlinuz" --file "$g/initramfs.cpio.gz:initramfs.cpio.gz"
