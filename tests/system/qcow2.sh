# qcow2.sh: the system suite's scenarios for disks served by
# qemu-storage-daemon (husk run --disk IMAGE.qcow2), sourced by
# scenarios.sh inside the test host; needs its scenario() and linux(), and
# qemu-img and qemu-io in PATH.

ones_sha() { # MiB: sha256 of that many MiB of the byte 'a' (0x61)
    dd if=/dev/zero bs=1M count="$1" 2>/dev/null | tr '\000' a | sha256sum | cut -d' ' -f1
}

# An image made and written by QEMU's tools; the guest reads it, writes
# 4 MiB with fsync at 8 MiB; qemu-img reads that back after husk exits.
rm -f /tmp/q.qcow2 /tmp/q.raw
qemu-img create -q -f qcow2 /tmp/q.qcow2 64M
qemu-io -f qcow2 -c 'write -q -P 0x61 0 1M' /tmp/q.qcow2
echo "QCOW-HOST-WROTE=$(ones_sha 1)"
linux qcow2-rw vmlinuz --disk /tmp/q.qcow2 -- \
    "echo GUEST-READ=\$(dd if=/dev/vda bs=1M count=1 2>/dev/null | sha256sum | cut -d' ' -f1); dd if=/dev/urandom of=/tmp/r bs=1M count=4 2>/dev/null; dd if=/tmp/r of=/dev/vda bs=1M seek=8 conv=fsync 2>/dev/null && echo GUEST-WROTE=\$(sha256sum < /tmp/r | cut -d' ' -f1)"
qemu-img convert -f qcow2 -O raw /tmp/q.qcow2 /tmp/q.raw
echo "QCOW-HOST-READ=$(dd if=/tmp/q.raw bs=1M skip=8 count=4 2>/dev/null | sha256sum | cut -d' ' -f1)"
echo "QCOW-CHECK=$(qemu-img check -q /tmp/q.qcow2 >/dev/null 2>&1 && echo clean || echo errors)"
rm -f /tmp/q.raw

# A backing chain: the overlay (format=qcow2 given) reads its base's data.
rm -f /tmp/base.qcow2 /tmp/top.qcow2
qemu-img create -q -f qcow2 /tmp/base.qcow2 16M
qemu-io -f qcow2 -c 'write -q -P 0x61 0 1M' /tmp/base.qcow2
qemu-img create -q -f qcow2 -b /tmp/base.qcow2 -F qcow2 /tmp/top.qcow2
linux qcow2-chain vmlinuz --disk /tmp/top.qcow2,format=qcow2,ro -- \
    "echo CHAIN-READ=\$(dd if=/dev/vda bs=1M count=1 2>/dev/null | sha256sum | cut -d' ' -f1); echo x | dd of=/dev/vda conv=fsync 2>/dev/null || echo CHAIN-RO-REFUSED"

# --disk vhost-user=SOCKET: a qemu-storage-daemon someone else started;
# what the guest writes with fsync, qemu-io reads after the daemon ends.
rm -f /tmp/vu.qcow2 /tmp/vu.sock
qemu-img create -q -f qcow2 /tmp/vu.qcow2 32M
/usr/bin/qemu-storage-daemon --blockdev driver=file,node-name=f,filename=/tmp/vu.qcow2 \
    --blockdev driver=qcow2,node-name=d,file=f \
    --export type=vhost-user-blk,id=e,node-name=d,addr.type=unix,addr.path=/tmp/vu.sock,writable=on \
    2>/tmp/vu-qsd.err &
qpid=$!
n=0
while [ ! -S /tmp/vu.sock ] && [ $n -lt 100 ]; do
    sleep 0.1
    n=$((n + 1))
done
linux vu-socket vmlinuz --disk vhost-user=/tmp/vu.sock -- \
    "echo vu-data | dd of=/dev/vda conv=fsync 2>/dev/null && echo VU-WROTE; echo VU-READ=\$(dd if=/dev/vda bs=7 count=1 2>/dev/null)"
kill $qpid
wait $qpid
echo "VU-HOST-READ=$(qemu-io -f qcow2 -c 'read -v 0 7' /tmp/vu.qcow2 | head -n1)"
rm -f /tmp/vu.qcow2 /tmp/vu.sock

# Before the guest starts: a corrupt header, a chain found by content
# alone.
# magic, version 63, no backing file, then noise
printf 'QFI\373\000\000\000\077\000\000\000\000\000\000\000\000' > /tmp/bad.qcow2
dd if=/dev/urandom bs=4k count=1 >> /tmp/bad.qcow2 2>/dev/null
scenario qcow2-corrupt husk run --kernel vmlinuz --disk /tmp/bad.qcow2
scenario qcow2-chain-unasked husk run --kernel vmlinuz --disk /tmp/top.qcow2
rm -f /tmp/q.qcow2 /tmp/base.qcow2 /tmp/top.qcow2 /tmp/bad.qcow2
