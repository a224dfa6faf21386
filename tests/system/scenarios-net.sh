# scenarios-net.sh: the system suite's scenarios, part 4 of 5: the
# consoles, virtio-net (user, hostfwd, restrict, TAP with and without
# vhost-net, husk-slirp under QEMU) and virtio-vsock (see scenarios.sh for
# the directory they run in).

CMD="console=ttyS0 quiet"

# scenario NAME CMD... and linux NAME KERNEL ARGS... -- COMMAND
. "$(dirname "$0")/scenario-lib.sh"

# No husk.run: init starts a shell on the serial console.  Type into it
# through husk's stdin, every 2 s until it is read (input sent before the
# guest's serial driver starts is flushed by the driver), until the VM ends.
echo "=== BEGIN console-input"
(while :; do echo 'echo TYPED-$((6*7)); poweroff -f'; sleep 2; done) |
    timeout 240 husk run --kernel vmlinuz --initrd initramfs.cpio.gz \
        --timeout 200 --cmdline "$CMD" 2>&1
echo "=== END console-input rc=$?"

# --console virtio: the shell runs on /dev/hvc0; typed input reaches it and
# its output comes back through virtio-console.
echo "=== BEGIN hvc-console"
(while :; do echo 'echo HVC-TYPED-$((6*7)) $(cat /sys/class/tty/console/active); poweroff -f'; sleep 2; done) |
    timeout 240 husk run --kernel vmlinuz --initrd initramfs.cpio.gz \
        --console virtio --timeout 200 2>&1
echo "=== END hvc-console rc=$?"

# ---- virtio-net -----------------------------------------------------------
# This side's loopback services: a 32 MiB file and a small page, on
# 127.0.0.1:8000, which the guest reaches as 10.0.2.2:8000.
mkdir -p /tmp/www
echo hello-from-the-host > /tmp/www/hello
dd if=/dev/urandom of=/tmp/www/big bs=1M count=32 2>/dev/null
echo "BIG-HOST-SHA=$(sha256sum /tmp/www/big | cut -d' ' -f1)"
httpd -p 127.0.0.1:8000 -h /tmp/www

# --net user: a DHCP lease (init runs udhcpc), DNS from slirp, and the
# 32 MiB download through 10.0.2.2 with its sha256.
linux net-user vmlinuz --net user -- \
    "ip -4 addr show eth0; ip route; cat /etc/resolv.conf; wget -q -O - http://10.0.2.2:8000/hello; echo BIG-GUEST-SHA=\$(wget -q -O - http://10.0.2.2:8000/big | sha256sum | cut -d' ' -f1)"

# The driver resets the NIC (unbind, bind: a virtio reset and a new
# DRIVER_OK): husk stops husk-slirp's queue work and starts it again on
# the new rings; the network works after each of two resets.  3584M: guest
# RAM in both regions (below and above 4 GiB), which the helper maps.
linux net-reset vmlinuz --memory 3584M --net user -- \
    "d=\$(basename \$(readlink /sys/class/net/eth0/device)); for i in 1 2; do echo \$d > /sys/bus/virtio/drivers/virtio_net/unbind; echo \$d > /sys/bus/virtio/drivers/virtio_net/bind; ip link set eth0 up; udhcpc -i eth0 -q -n -t 3 -T 1 -s /usr/share/udhcpc/default.script >/dev/null 2>&1; wget -q -O - http://10.0.2.2:8000/hello && echo NET-AFTER-RESET-\$i; done"

# fwd NAME HUSK-NET-OPTION EXTRA-GUEST-COMMAND: a guest serving a page on
# port 80 (forwarded to this side's 8080) until this side connects to its
# port 81 (forwarded to 8081); this side fetches the page meanwhile.
fwd() {
    name=$1
    netopt=$2
    extra=$3
    echo "=== BEGIN $name"
    timeout 240 husk run --kernel vmlinuz --initrd initramfs.cpio.gz \
        --timeout 200 --net "$netopt" \
        --cmdline "$CMD husk.run=\"mkdir -p /www; echo served-by-the-guest > /www/index.html; httpd -p 80 -h /www; $extra echo GUEST-HTTPD-UP; nc -l -p 81 </dev/null >/dev/null; echo GUEST-DONE\"" \
        </dev/null > /tmp/$name.log 2>&1 &
    pid=$!
    i=0
    while ! grep -q GUEST-HTTPD-UP /tmp/$name.log && [ $i -lt 200 ] && kill -0 $pid 2>/dev/null; do
        sleep 1
        i=$((i + 1))
    done
    echo "HOSTFWD-GOT=$(timeout 20 wget -O - http://127.0.0.1:8080/ 2>/dev/null)"
    echo stop | timeout 10 nc 127.0.0.1 8081 >/dev/null 2>&1
    wait $pid
    rc=$?
    cat /tmp/$name.log
    echo "=== END $name rc=$rc"
}
fwd net-hostfwd "user,hostfwd=tcp::8080-:80,hostfwd=tcp::8081-:81" ""
# restrict=on: the host's other ports are out of reach (10.0.2.2:8000),
# forwarded ports still work.
fwd net-restrict "user,restrict=on,hostfwd=tcp::8080-:80,hostfwd=tcp::8081-:81" \
    "timeout 5 wget -q -O - http://10.0.2.2:8000/hello; r=\$?; [ \$r = 0 ] && echo RESTRICT-LEAK || echo RESTRICT-BLOCKED-rc\$r;"
# husk-slirp under QEMU (-netdev vhost-user): slirp-qemu.sh.
. ./slirp-qemu.sh

# Two VMs with TAP devices on a bridge (inside this test host) ping each
# other, static addresses (husk.net=off: no DHCP on a bare bridge).
brctl addbr br0 && ip link set br0 up
for t in tap0 tap1; do
    tunctl -t $t >/dev/null && brctl addif br0 $t && ip link set $t up
done
tapvm() { # TAP IP PEER NETOPT: ping the peer; .1 serves 8 MiB, .2 fetches it
    timeout 240 husk run --kernel vmlinuz --initrd initramfs.cpio.gz --timeout 200 \
        --net tap=$1$4 --cmdline "$CMD husk.net=off husk.run=\"ip addr add $2/24 dev eth0; ip link set eth0 up; i=0; until ping -c 1 -W 1 $3 >/dev/null 2>&1; do i=\$((i+1)); [ \$i -lt 60 ] || exit 1; done; ping -c 3 $3 | grep -q ' 0% packet loss' && echo TAP-PING-OK-$2; if [ $2 = 192.168.77.1 ]; then mkdir -p /www; dd if=/dev/zero of=/www/f bs=1M count=8 2>/dev/null; httpd -p 80 -h /www; sleep 25; else sleep 3; echo TAP-XFER-SHA=\$(wget -q -O - http://$3/f | sha256sum | cut -d' ' -f1); fi; sleep 2\"" \
        </dev/null 2>&1
}
# tap_pair NAME NETOPT [NETOPT1]: the two VMs at once (the second with
# NETOPT1 if given); how many husk processes hold /dev/vhost-net while
# they run (vhost-net serving their queues).
tap_pair() {
    echo "=== BEGIN $1"
    tapvm tap0 192.168.77.1 192.168.77.2 "$2" > /tmp/tap0.log &
    p0=$!
    tapvm tap1 192.168.77.2 192.168.77.1 "${3-$2}" > /tmp/tap1.log &
    p1=$!
    sleep 5
    n=0
    for p in $(pidof husk); do
        n=$((n + $(ls -l /proc/$p/fd 2>/dev/null | grep -c vhost-net)))
    done
    echo "VHOST-NET-FDS=$n"
    wait $p0
    r0=$?
    wait $p1
    r1=$?
    cat /tmp/tap0.log /tmp/tap1.log
    echo "=== END $1 rc=$((r0 + r1))"
}
# vhost_net not loaded yet: husk falls back to its own path.
tap_pair net-tap ""
# ... and vhost=on asked for is an error before the guest, with the fix.
scenario vhost-on-refused husk run --kernel vmlinuz --initrd initramfs.cpio.gz \
    --timeout 60 --net tap=tap0,vhost=on
# vhost_net loaded: the first VM's NIC is the kernel's by default, the
# second stays on husk's path with vhost=off, and they talk to each other.
for m in vhost_iotlb vhost tap vhost_net; do
    insmod /lib/modules/$m.ko 2>/dev/null
done
tap_pair net-tap-vhost "" ",vhost=off"

# ---- virtio-vsock (--vsock CID, the kernel's vhost-vsock) -------------------
# vsock_vm NAME CID GUEST-COMMAND: a VM in the background whose command
# listens on vsock; returns once its console says "listening" (at most
# 120 s).  Its framing is written when it ends (vsock_end NAME).
vsock_vm() {
    timeout 240 husk run --kernel vmlinuz --initrd initramfs.cpio.gz \
        --timeout 200 --vsock "$2" \
        --cmdline "$CMD husk.net=off husk.run=\"$3\"" \
        </dev/null >"/tmp/vs-$1.out" 2>"/tmp/vs-$1.err" &
    eval "vs_pid_$(echo "$1" | tr -c 'a-z0-9\n' _)=\$!"
    i=0
    until grep -q listening "/tmp/vs-$1.out" || [ $i -ge 600 ]; do
        sleep 0.2
        i=$((i + 1))
    done
}
vsock_end() {
    eval "wait \$vs_pid_$(echo "$1" | tr -c 'a-z0-9\n' _)"
    rc=$?
    echo "=== BEGIN $1"
    cat "/tmp/vs-$1.out"
    echo "=== STDERR $1"
    cat "/tmp/vs-$1.err"
    echo "=== END $1 rc=$rc"
}
# vhost-vsock on this side, loaded for these scenarios only (testhost.sh).
for m in vsock vmw_vsock_virtio_transport_common vhost_iotlb vhost vhost_vsock; do
    insmod /lib/modules/$m.ko 2>/dev/null
done
head -c 16777216 /dev/urandom > /tmp/vs.bin
echo "VSOCK-HOST-SHA=$(sha256sum /tmp/vs.bin | cut -d' ' -f1)"
# This side to the guest: 16 MiB echoed back byte-exact.
vsock_vm vsock-echo 3 "husk-vsock listen 1234 echo"
echo "VSOCK-ECHO-SHA=$(timeout 120 husk-vsock connect 3 1234 < /tmp/vs.bin | sha256sum | cut -d' ' -f1)"
vsock_end vsock-echo
# The guest to this side (CID 2): 16 MiB it made, echoed back here.
timeout 200 husk-vsock listen 5000 echo 2>/tmp/vs-host.err &
host_pid=$!
linux vsock-to-host vmlinuz --vsock 4 -- \
    "dd if=/dev/urandom of=/tmp/g bs=1M count=16 2>/dev/null; echo G-SHA=\$(sha256sum /tmp/g | cut -d' ' -f1); echo G-BACK-SHA=\$(husk-vsock connect 2 5000 < /tmp/g | sha256sum | cut -d' ' -f1)"
wait $host_pid
echo "VSOCK-HOST-LISTENER-RC=$?"
# Two VMs at once on CIDs 5 and 6; a third asking for 5 is refused before
# its guest starts; each of the two answers on its own CID.
vsock_vm vsock-a 5 "echo VM-A; husk-vsock listen 1 echo"
vsock_vm vsock-b 6 "echo VM-B; husk-vsock listen 1 echo"
scenario vsock-taken husk run --kernel vmlinuz --initrd initramfs.cpio.gz \
    --timeout 60 --vsock 5
echo "VSOCK-A-REPLY=$(echo hello-a | timeout 60 husk-vsock connect 5 1)"
echo "VSOCK-B-REPLY=$(echo hello-b | timeout 60 husk-vsock connect 6 1)"
vsock_end vsock-a
vsock_end vsock-b
# The guest's driver resets the device twice (unbind, bind); it works after.
vsock_vm vsock-reset 7 "d=\$(basename \$(ls -d /sys/bus/virtio/drivers/vmw_vsock_virtio_transport/virtio*)); for i in 1 2; do echo \$d > /sys/bus/virtio/drivers/vmw_vsock_virtio_transport/unbind; echo \$d > /sys/bus/virtio/drivers/vmw_vsock_virtio_transport/bind; done; echo RESET-DONE; husk-vsock listen 1234 echo"
echo "VSOCK-RESET-SHA=$(timeout 120 husk-vsock connect 7 1234 < /tmp/vs.bin | sha256sum | cut -d' ' -f1)"
vsock_end vsock-reset
# No such device on this side is one line before the guest (vhost_vsock
# unloaded would do; a CID out of range is the option's own error).
scenario vsock-bad-cid husk run --kernel vmlinuz --initrd initramfs.cpio.gz \
    --vsock 2
rm -f /tmp/vs.bin
