#!/bin/sh
# net-mtu.sh [MTU...]: host-to-guest TCP over husk's user-mode network at
# each MTU (default: 65520 32768 16384 9000 1500).  One VM per MTU
# downloads 64 MiB from a busybox httpd on the host's loopback (through
# 10.0.2.2) four times in a row and prints each transfer's start and end
# (guest uptime, s); then the guest's TCP counters (RetransSegs) and
# husk-slirp's dropped-frame count.  Used to pick --net user's default MTU.
# Hardware KVM: directly; else inside the nested test host.
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
mtus=${*:-65520 32768 16384 9000 1500}
g=$("$top/guest-images/default-guest.sh")
scen=$(mktemp)
trap 'rm -f "$scen"' EXIT
cat > "$scen" <<SCEN
mkdir -p /tmp/www
dd if=/dev/urandom of=/tmp/www/big bs=1M count=64 2>/dev/null
httpd -p 127.0.0.1:8000 -h /tmp/www
for mtu in $mtus; do
    echo "--- mtu \$mtu"
    HUSK_SLIRP_STATS=1 husk run --kernel vmlinuz --initrd initramfs.cpio.gz --memory 512M --timeout 250 --net user,mtu=\$mtu --cmdline 'console=ttyS0 quiet husk.run="for i in 1 2 3 4; do t0=\$(cut -d\\  -f1 /proc/uptime); wget -q -O /dev/null http://10.0.2.2:8000/big; t1=\$(cut -d\\  -f1 /proc/uptime); echo MTU-RUN \$i \$t0 \$t1; done; grep -A1 ^Tcp: /proc/net/snmp"' </dev/null 2>/tmp/mtu.err | tr -d '\r' | grep -E "MTU-RUN|Tcp" |
        awk '/MTU-RUN/ { printf "run %s: %.2f s, %.1f MB/s\n", \$2, \$4 - \$3, 67.108864 / (\$4 - \$3); next } { print }'
    grep husk-slirp /tmp/mtu.err >&2 || true
done
SCEN
"$top/tests/bench/run-scenario.sh" net-mtu "$scen" --netns --mem 3072 \
    --file "$g/vmlinuz:vmlinuz" --file "$g/initramfs.cpio.gz:initramfs.cpio.gz"
