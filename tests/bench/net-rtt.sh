#!/bin/sh
# net-rtt.sh [RUNS] [COUNT]: round-trip latency of small requests over
# user-mode networking, husk vs QEMU microvm (-netdev user: the same
# libslirp), side by side in one run, same kernel, initramfs, 1 vCPU.
# Per boot (husk-rr, netperf's TCP_RR on one connection, 1-byte messages):
#   G2H_RR  the guest's requests to an echo server on the host's loopback
#           through 10.0.2.2: median and 99th percentile of COUNT round
#           trips, in microseconds;
#   H2G_RR  the host's requests to an echo server in the guest, through a
#           forwarded port;
#   PING    50 pings to 10.0.2.2 (answered by slirp itself), average ms.
# husk runs with its default MTU and with mtu=1500 (QEMU's).  With
# HUSK_BEFORE=BUILD-DIR (an earlier build's husk and husk-slirp), that husk
# runs too, as husk-before-user, to compare a change side by side.  Prints
# medians over RUNS boots per system (summarize.sh).  Hardware KVM:
# directly; else inside the test host.
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
runs=${1:-5}
count=${2:-500}
g=$("$top/guest-images/default-guest.sh")
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cc -static -O2 -o "$tmp/husk-rr" "$top/guest-images/initramfs/husk-rr.c"
before_files=
before=
if [ -n "${HUSK_BEFORE:-}" ]; then
    before_files="--file $HUSK_BEFORE/husk:before/husk --file $HUSK_BEFORE/husk-slirp:before/husk-slirp"
    before=1
fi
cat > "$tmp/scen" <<SCEN
out=/tmp/rtt.txt
: > \$out
husk-rr server 7777 &
QEMU="qemu-system-x86_64 -L qemu-data -M microvm -accel kvm -cpu host,pmu=off -m 256M -smp 1 -nodefaults -no-user-config -nographic -display none -serial stdio -device isa-debug-exit,iobase=0xf4,iosize=4 -kernel vmlinuz -initrd initramfs.cpio.gz"
HUSK="husk run --kernel vmlinuz --initrd initramfs.cpio.gz --memory 256M --timeout 280"
CMD='console=ttyS0 quiet husk.run="husk-rr client 10.0.2.2 7777 $count; echo PING=\$(ping -c 50 -i 0.05 10.0.2.2 | sed -n s,.*=.[0-9.]*/,,p | cut -d/ -f1); husk-rr server 7 & echo GUEST-SERVING; nc -l -p 81 </dev/null >/dev/null"'
one() {
    name=\$1
    shift
    : > /tmp/run.log
    timeout 300 "\$@" </dev/null > /tmp/run.log 2>&1 &
    pid=\$!
    w=0
    while ! grep -q GUEST-SERVING /tmp/run.log && [ \$w -lt 280 ] && kill -0 \$pid 2>/dev/null; do
        sleep 1
        w=\$((w + 1))
    done
    h2g=\$(husk-rr client 127.0.0.1 8080 $count | sed 's/RR_/H2G_RR_/g')
    echo stop | timeout 10 nc 127.0.0.1 8081 >/dev/null 2>&1
    wait \$pid || true
    g2h=\$(tr -d '\r' < /tmp/run.log | grep -E '^RR_' | sed 's/RR_/G2H_RR_/g')
    ping=\$(tr -d '\r' < /tmp/run.log | grep -E '^PING=')
    echo "\$name \$g2h \$h2g \$ping" | tee -a \$out
}
FWD=hostfwd=tcp::8080-:7,hostfwd=tcp::8081-:81
i=0
while [ \$i -lt $runs ]; do
    one husk-user \$HUSK --net user,\$FWD --cmdline "\$CMD"
    one husk-user1500 \$HUSK --net user,mtu=1500,\$FWD --cmdline "\$CMD"
    if [ -n "$before" ]; then
        one husk-before-user ./before/\$HUSK --net user,\$FWD --cmdline "\$CMD"
    fi
    one qemu-user \$QEMU -netdev user,id=n0,hostfwd=tcp:127.0.0.1:8080-:7,hostfwd=tcp:127.0.0.1:8081-:81 \
        -device virtio-net-device,netdev=n0 -append "\$CMD"
    i=\$((i + 1))
done
echo "--- medians over boots (microseconds; PING in ms; lower is better)"
sh summarize.sh \$out
SCEN
"$top/tests/bench/run-scenario.sh" net-rtt "$tmp/scen" --qemu --netns --mem 2048 \
    --timeout 3600 --file "$tmp/husk-rr:bin/husk-rr" $before_files \
    --file "$g/vmlinuz:vmlinuz" --file "$g/initramfs.cpio.gz:initramfs.cpio.gz"
