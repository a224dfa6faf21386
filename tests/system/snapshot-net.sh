# snapshot-net.sh: a snapshot of a guest on user networking (husk-slirp,
# vhost-user): after the restore the NIC works on a fresh stack (the
# guest's address stays; connections do not survive).  Sourced by
# snapshot.sh.
mkdir -p /tmp/www-snap
echo hello-after-restore > /tmp/www-snap/hello
httpd -p 127.0.0.1:8931 -h /tmp/www-snap
linux snap-net-take vmlinuz --net user --snapshot-on 0x70=$SN/n,exit -- \
    "ip addr show eth0 | grep -c 10.0.2.15; $WAITCMD"
echo "=== BEGIN snap-net-restore"
echo 'wget -q -O - http://10.0.2.2:8931/hello; ip addr show eth0 | grep -c 10.0.2.15; exit 0' |
    timeout 240 husk restore $SN/n --timeout 200 2>/tmp/snap-err
rc=$?
echo "=== STDERR snap-net-restore"
cat /tmp/snap-err
echo "=== END snap-net-restore rc=$rc"
