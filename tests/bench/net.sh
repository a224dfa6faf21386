#!/bin/sh
# net.sh [RUNS]: virtio-net throughput and latency, husk vs QEMU microvm,
# side by side in one run, same kernel, initramfs, memory (512M), 1 vCPU.
# Two back ends each: user-mode networking (husk --net user, QEMU -netdev
# user: the same libslirp) and a TAP device on a bridge, four ways: husk
# on vhost-net (its default where /dev/vhost-net works) and with
# vhost=off (its own frame path), QEMU with vhost=on and without.  husk's user-mode link runs with its
# default MTU (32768) and again with mtu=1500, QEMU's, to show how much
# of the difference is the MTU.  Per run (husk-netbench in the guest):
#   H2G  host to guest: the guest downloads 64 MiB from a busybox httpd on
#        the host (10.0.2.2 through slirp, the bridge address through TAP);
#   RTT  20 pings from the guest to that address, average ms;
#   G2H  guest to host: the host downloads 64 MiB from a busybox httpd in
#        the guest (through hostfwd for slirp, directly for TAP), timed here;
#        a fetch that gets nothing is retried (twice) and, if it still
#        fails, shown as G2H=fail and left out of the median.
# With HUSK_BEFORE=BUILD-DIR (an earlier build's husk and husk-slirp), that
# husk's user-mode link runs too, as husk-before-user, to compare a change
# side by side.  Medians per system.  Hardware KVM: directly; else inside
# the test host.
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
runs=${1:-5}
b=${BUILD:-$top/build}
g=$("$top/guest-images/default-guest.sh")
scen=$(mktemp)
trap 'rm -f "$scen"' EXIT
before_files=
before=
if [ -n "${HUSK_BEFORE:-}" ]; then
    before_files="--file $HUSK_BEFORE/husk:before/husk --file $HUSK_BEFORE/husk-slirp:before/husk-slirp"
    before=1
fi
cat > "$scen" <<SCEN
out=/tmp/net.txt
: > \$out
mkdir -p /tmp/www
dd if=/dev/urandom of=/tmp/www/big bs=1M count=64 2>/dev/null
httpd -p 127.0.0.1:8000 -h /tmp/www
brctl addbr br0
ip addr add 192.168.77.254/24 dev br0
ip link set br0 up
tunctl -t tap0 >/dev/null
brctl addif br0 tap0
ip link set tap0 up
httpd -p 192.168.77.254:8000 -h /tmp/www
# In the test host, vhost-net's modules come with it but are not loaded
# (testhost.sh); on another host they are the user's to load.
for m in vhost_iotlb vhost tap vhost_net; do
    [ -e /lib/modules/\$m.ko ] && insmod /lib/modules/\$m.ko 2>/dev/null
done
ls /dev/vhost-net >/dev/null 2>&1 || echo "net.sh: no /dev/vhost-net here: the vhost rows will fail" >&2
now() { cut -d' ' -f1 /proc/uptime; }
QEMU="qemu-system-x86_64 -L qemu-data -M microvm -accel kvm -cpu host,pmu=off -m 512M -smp 1 -nodefaults -no-user-config -nographic -display none -serial stdio -device isa-debug-exit,iobase=0xf4,iosize=4 -kernel vmlinuz -initrd initramfs.cpio.gz"
HUSK="husk run --kernel vmlinuz --initrd initramfs.cpio.gz --memory 512M --timeout 280"
USERCMD='console=ttyS0 quiet husk.run="husk-netbench http://10.0.2.2:8000/big 10.0.2.2"'
TAPCMD='console=ttyS0 quiet husk.net=off husk.run="ip addr add 192.168.77.1/24 dev eth0; ip link set eth0 up; husk-netbench http://192.168.77.254:8000/big 192.168.77.254"'
# one NAME G2H-URL STOP-HOST STOP-PORT COMMAND...
one() {
    name=\$1 url=\$2 host=\$3 port=\$4
    shift 4
    # Empty the log first: the redirection below happens in the child, and
    # a GUEST-SERVING left from the previous run made the wait loop end at
    # once (the "flaky" guest-to-host fetches: refused, then reset, while
    # the new VM was still booting).
    : > /tmp/run.log
    timeout 300 "\$@" </dev/null > /tmp/run.log 2>&1 &
    pid=\$!
    w=0
    while ! grep -q GUEST-SERVING /tmp/run.log && [ \$w -lt 280 ] && kill -0 \$pid 2>/dev/null; do
        sleep 1
        w=\$((w + 1))
    done
    # Up to three tries: a fetch that gets nothing is reported, not timed.
    for try in 1 2 3; do
        t0=\$(now)
        n=\$(timeout 120 wget -O - "\$url" 2>/tmp/wget.err | wc -c)
        t1=\$(now)
        [ "\$n" -gt 0 ] && break
        echo "\$name: guest-to-host fetch \$try got nothing: \$(tail -n 1 /tmp/wget.err)"
        sleep 2
    done
    echo stop | timeout 10 nc "\$host" "\$port" >/dev/null 2>&1
    wait \$pid || true
    g2h=\$(awk -v a="\$t0" -v b="\$t1" -v n="\$n" 'BEGIN { d = b - a; if (d <= 0) d = 0.01; if (n == 0) print "fail"; else printf "%.1f", n / d / 1e6 }')
    r=\$(tr -d '\r' < /tmp/run.log | grep -E '^(H2G|RTT)=' | tr '\n' ' ')
    echo "\$name \$r G2H=\$g2h G2H_BYTES=\$n" | tee -a \$out
}
i=0
while [ \$i -lt $runs ]; do
    one husk-user http://127.0.0.1:8080/big 127.0.0.1 8081 \
        \$HUSK --net user,hostfwd=tcp::8080-:80,hostfwd=tcp::8081-:81 --cmdline "\$USERCMD"
    one husk-user1500 http://127.0.0.1:8080/big 127.0.0.1 8081 \
        \$HUSK --net user,mtu=1500,hostfwd=tcp::8080-:80,hostfwd=tcp::8081-:81 --cmdline "\$USERCMD"
    if [ -n "$before" ]; then
        one husk-before-user http://127.0.0.1:8080/big 127.0.0.1 8081 \
            ./before/\$HUSK --net user,hostfwd=tcp::8080-:80,hostfwd=tcp::8081-:81 --cmdline "\$USERCMD"
    fi
    one qemu-user http://127.0.0.1:8080/big 127.0.0.1 8081 \
        \$QEMU -netdev user,id=n0,hostfwd=tcp:127.0.0.1:8080-:80,hostfwd=tcp:127.0.0.1:8081-:81 \
        -device virtio-net-device,netdev=n0 -append "\$USERCMD"
    one husk-tap-vhost http://192.168.77.1/big 192.168.77.1 81 \
        \$HUSK --net tap=tap0,vhost=on --cmdline "\$TAPCMD"
    one husk-tap http://192.168.77.1/big 192.168.77.1 81 \
        \$HUSK --net tap=tap0,vhost=off --cmdline "\$TAPCMD"
    one qemu-tap-vhost http://192.168.77.1/big 192.168.77.1 81 \
        \$QEMU -netdev tap,id=n0,ifname=tap0,script=no,downscript=no,vhost=on \
        -device virtio-net-device,netdev=n0 -append "\$TAPCMD"
    one qemu-tap http://192.168.77.1/big 192.168.77.1 81 \
        \$QEMU -netdev tap,id=n0,ifname=tap0,script=no,downscript=no \
        -device virtio-net-device,netdev=n0 -append "\$TAPCMD"
    i=\$((i + 1))
done
echo "--- medians (H2G, G2H: MB/s, higher is better; RTT: ms, lower is better)"
for sys in husk-user husk-user1500 ${before:+husk-before-user} qemu-user husk-tap-vhost husk-tap qemu-tap-vhost qemu-tap; do
    line="\$sys"
    for k in H2G G2H RTT; do
        m=\$(grep "^\$sys " \$out | tr ' ' '\n' | sed -n "s/^\$k=//p" | grep -v fail | sort -n | awk '{a[NR]=\$1} END {if (NR == 0) print "-"; else if (NR%2) print a[(NR+1)/2]; else print (a[NR/2]+a[NR/2+1])/2}')
        line="\$line \$k=\$m"
    done
    echo "\$line"
done
SCEN
"$top/tests/bench/run-scenario.sh" net "$scen" --qemu --netns --mem 3072 \
    --timeout 3600 $before_files --file "$g/vmlinuz:vmlinuz" \
    --file "$g/initramfs.cpio.gz:initramfs.cpio.gz"
