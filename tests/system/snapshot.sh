# snapshot.sh: the system suite's snapshot scenarios, sourced by
# scenarios.sh inside the test host: a real Linux guest (the default
# guest: initramfs, stock kernel) snapshotted at a marker and restored,
# in a row and four at once, each running the command it is given on its
# console after the restore; a counter that goes on; pause and resume and
# the power button through the control socket; a disk written after
# restore; two busy vCPUs.  Needs scenarios.sh's scenario(), linux() and
# CMD.

SN=/tmp/snap
rm -rf $SN
mkdir -p $SN
# At the marker the guest waits for one line on its console and runs it.
# (No double quote in a husk.run= command: init ends it at the first.)
WAITCMD='husk-mark debug 0x70; read -r c; eval $c'

# A snapshot at the marker: husk ends (0) once it is written.
linux snap-take vmlinuz --snapshot-on 0x70=$SN/a,exit -- "uptime; $WAITCMD"
echo "SNAP-MEMORY-ALLOC=$(du -k $SN/a/memory | cut -f1)"
echo "SNAP-MEMORY-SIZE=$(stat -c %s $SN/a/memory)"

# Three restores in a row, each given its own command.
for i in 1 2 3; do
    echo "=== BEGIN snap-restore-$i"
    echo "echo RESTORED-$i; cat /proc/uptime; exit $((40 + i))" |
        timeout 240 husk restore $SN/a --timeout 200 2>/tmp/snap-err
    rc=$?
    echo "=== STDERR snap-restore-$i"
    cat /tmp/snap-err
    echo "=== END snap-restore-$i rc=$rc"
done

# Four at once from the one snapshot; their memory shares its pages.
for i in 1 2 3 4; do
    (
        echo "sleep 2; echo PARALLEL-$i; exit $((50 + i))" |
            timeout 240 husk restore $SN/a --timeout 200 >/tmp/par-$i.out 2>&1
        echo "PARALLEL-RC-$i=$?" >>/tmp/par-$i.out
    ) &
done
wait
echo "=== BEGIN snap-parallel"
cat /tmp/par-1.out /tmp/par-2.out /tmp/par-3.out /tmp/par-4.out
echo "=== END snap-parallel rc=0"

# A counter printed every 100 ms goes on from where the snapshot took it.
TICKS='i=0; while [ $i -lt 60 ]; do echo TICK-$i; [ $i = 20 ] && husk-mark debug 0x71; i=$((i + 1)); sleep 0.1; done; exit 7'
linux snap-ticks-take vmlinuz --snapshot-on 0x71=$SN/t,exit -- "$TICKS"
scenario snap-ticks-restore husk restore $SN/t --timeout 200

# The control socket: pause holds the counter, resume lets it go on;
# then a snapshot through the socket, and the power button.
TICKS2='i=0; while [ $i -lt 100 ]; do echo TICK-$i; i=$((i + 1)); sleep 0.1; done; exit 9'
echo "=== BEGIN snap-api-pause"
rm -f /tmp/api.sock
husk run --kernel vmlinuz --initrd initramfs.cpio.gz --timeout 200 \
    --api-socket /tmp/api.sock --cmdline "$CMD husk.run=\"$TICKS2\"" \
    </dev/null >/tmp/api-out 2>/tmp/api-err &
vm=$!
n=0
while ! grep -q TICK-10 /tmp/api-out 2>/dev/null && [ $n -lt 1200 ]; do
    sleep 0.1
    n=$((n + 1))
done
husk ctl /tmp/api.sock pause
echo "PAUSE-RC=$?"
sleep 1
a=$(grep -c TICK /tmp/api-out)
sleep 3
b=$(grep -c TICK /tmp/api-out)
echo "TICKS-WHILE-PAUSED=$((b - a))"
husk ctl /tmp/api.sock query-status
husk ctl /tmp/api.sock snapshot $SN/api
echo "API-SNAPSHOT-RC=$?"
husk ctl /tmp/api.sock resume
echo "RESUME-RC=$?"
wait $vm
echo "API-VM-RC=$?"
echo "TICKS-TOTAL=$(grep -c TICK /tmp/api-out)"
echo "=== STDERR snap-api-pause"
cat /tmp/api-err
echo "=== END snap-api-pause rc=0"
scenario snap-api-restore husk restore $SN/api --timeout 200

echo "=== BEGIN snap-powerdown"
rm -f /tmp/api.sock
husk run --kernel vmlinuz --initrd initramfs.cpio.gz --timeout 200 \
    --api-socket /tmp/api.sock --cmdline "$CMD" \
    </dev/null >/tmp/pd-out 2>/tmp/pd-err &
vm=$!
n=0
while ! grep -q HUSK-GUEST-READY /tmp/pd-out 2>/dev/null && [ $n -lt 1200 ]; do
    sleep 0.1
    n=$((n + 1))
done
sleep 2
husk ctl /tmp/api.sock powerdown
echo "POWERDOWN-RC=$?"
wait $vm
echo "PD-VM-RC=$?"
cat /tmp/pd-out | grep -a 'power button'
echo "=== STDERR snap-powerdown"
cat /tmp/pd-err
echo "=== END snap-powerdown rc=0"

# A disk written after the restore holds what the guest wrote (and
# flushed) once husk has ended.  The clone runs on a copy.
dd if=/dev/zero of=/tmp/snapdisk.img bs=1M count=8 2>/dev/null
linux snap-disk-take vmlinuz --disk /tmp/snapdisk.img \
    --snapshot-on 0x70=$SN/d,exit -- "$WAITCMD"
cp /tmp/snapdisk.img /tmp/snapclone.img
echo "=== BEGIN snap-disk-restore"
echo 'dd if=/dev/urandom of=/dev/vda bs=1M count=4 conv=fsync 2>/dev/null; echo GUEST-SHA=$(dd if=/dev/vda bs=1M count=4 2>/dev/null | sha256sum | cut -d" " -f1); exit 0' |
    timeout 240 husk restore $SN/d --disk /tmp/snapclone.img --timeout 200 \
        2>/tmp/snap-err
rc=$?
echo "HOST-SHA=$(head -c 4194304 /tmp/snapclone.img | sha256sum | cut -d' ' -f1)"
echo "ORIGINAL-SHA=$(sha256sum </tmp/snapdisk.img | cut -d' ' -f1)"
echo "ZERO-SHA=$(head -c 8388608 /dev/zero | sha256sum | cut -d' ' -f1)"
echo "=== STDERR snap-disk-restore"
cat /tmp/snap-err
echo "=== END snap-disk-restore rc=$rc"
rm -f /tmp/snapdisk.img /tmp/snapclone.img

# Two vCPUs busy in user space at the snapshot: both go on.
BUSY='(n=0; while :; do n=$((n + 1)); echo $n >/tmp/c1; done) & (n=0; while :; do n=$((n + 1)); echo $n >/tmp/c2; done) & sleep 1; '"$WAITCMD"
linux snap-smp-take vmlinuz --cpus 2 --snapshot-on 0x70=$SN/s,exit -- "$BUSY"
echo "=== BEGIN snap-smp-restore"
# (A counter file is empty for a moment while its loop rewrites it.)
echo 'r() { v=; while [ -z "$v" ]; do v=$(cat $1); done; echo $v; }; a1=$(r /tmp/c1); a2=$(r /tmp/c2); sleep 2; b1=$(r /tmp/c1); b2=$(r /tmp/c2); echo "COUNTERS $a1 $b1 $a2 $b2"; [ "$b1" -gt "$a1" ] && [ "$b2" -gt "$a2" ] && echo BOTH-RUNNING; echo CPUS=$(grep -c ^processor /proc/cpuinfo); exit 0' |
    timeout 240 husk restore $SN/s --timeout 200 2>/tmp/snap-err
rc=$?
echo "=== STDERR snap-smp-restore"
cat /tmp/snap-err
echo "=== END snap-smp-restore rc=$rc"
# User networking (vhost-user, husk-slirp): snapshot-net.sh.
. ./snapshot-net.sh
rm -rf $SN
