# scenarios-load.sh: the system suite's scenarios, part 5 of 5:
# durability under SIGKILL, the disk error matrix and load (see
# scenarios.sh for the directory they run in).

CMD="console=ttyS0 quiet"

# scenario NAME CMD... and linux NAME KERNEL ARGS... -- COMMAND
. "$(dirname "$0")/scenario-lib.sh"

# This side's page for load-net, reached as 10.0.2.2:8000.
mkdir -p /tmp/www
echo hello-from-the-host > /tmp/www/hello
httpd -p 127.0.0.1:8000 -h /tmp/www

# Durability: a guest writes numbered 4 KiB records to /dev/vda,
# each followed by fdatasync (a virtio-blk FLUSH), printing "ACK i" when
# it returned; husk is killed with SIGKILL at a random moment after the
# first ACK (0 to 2.5 s); every acknowledged record must be in the image.
# 20 kills, the two disk engines in turn.
echo "=== BEGIN durability"
sh ./durability.sh 20
echo "=== END durability rc=0"

# Disk error matrix: host errors reach the guest as I/O errors,
# and nothing is reported written that was not.  EIO is injected into the
# preadv/pwritev engine's calls by husk-fault (a seccomp errno filter
# around husk); ENOSPC is real: a sparse 64 MiB image on a 2 MiB tmpfs,
# with each engine.  After each run the host checks the image.
errcase() { # name image engine fault|- guest-command
    name=$1 img=$2 engine=$3 fault=$4
    shift 4
    pre=
    [ "$fault" != - ] && pre="./husk-fault $fault --"
    echo "=== BEGIN $name"
    # shellcheck disable=SC2086
    timeout 240 $pre husk run --kernel vmlinuz --initrd initramfs.cpio.gz \
        --timeout 200 --disk "$img,aio=$engine" \
        --cmdline "$CMD husk.run=\"$*; echo GUEST-ALIVE\"" </dev/null 2>&1 |
        tee /tmp/err.log
    rc=$?
    last=$(tr -d '\r' < /tmp/err.log | grep '^ACK [0-9]*$' | tail -n 1 | cut -d' ' -f2)
    ./husk-records verify "$img" "${last:-0}"
    echo "=== END $name rc=$rc"
}
dd if=/dev/zero of=/tmp/err.img bs=1M count=0 seek=16 2>/dev/null
errcase err-read-eio /tmp/err.img sync preadv=EIO "husk-records read /dev/vda"
errcase err-write-eio /tmp/err.img sync pwritev=EIO "husk-records write /dev/vda"
errcase err-flush-eio /tmp/err.img sync fdatasync=EIO "husk-records write /dev/vda"
rm -f /tmp/err.img
mkdir -p /tmp/small
mount -t tmpfs -o size=2M tmpfs /tmp/small
for e in io_uring sync; do
    rm -f /tmp/small/img
    dd if=/dev/zero of=/tmp/small/img bs=1M count=0 seek=64 2>/dev/null
    errcase err-enospc-$e /tmp/small/img $e - "husk-records write /dev/vda"
done
umount /tmp/small

# ---- load ---------------------------------------------------------------
husk_mem() { # the "husk N MiB" of a --boot-timeline memory line in FILE
    sed -n 's/.*memory: peak RSS.* + husk \([0-9.]*\) MiB.*/\1/p' "$1" | tail -n 1
}
# Many VMs at once: 8 guests of 128 MiB started together on this one-CPU
# test host; all must boot and exit cleanly.
echo "=== BEGIN load-many"
n=8 i=0 pids=
while [ $i -lt $n ]; do
    timeout 280 husk run --kernel vmlinuz --initrd initramfs.cpio.gz --memory 128M \
        --timeout 260 --boot-timeline --cmdline "$CMD husk.run=\"echo VM-OK-$i\"" \
        </dev/null >/tmp/load$i.log 2>&1 &
    pids="$pids $!"
    i=$((i + 1))
done
clean=0
for p in $pids; do
    wait "$p" && clean=$((clean + 1))
done
okl=$(cat /tmp/load*.log | tr -d '\r' | grep -c '^VM-OK-[0-9]*$')
echo "LOAD-MANY started=$n clean=$clean ok-lines=$okl"
echo "LOAD-MANY husk MiB per VM: $(for f in /tmp/load*.log; do husk_mem $f; done | sort -n | tr '\n' ' ')"
rm -f /tmp/load*.log
echo "=== END load-many rc=0"

# Console floods: 64 MiB through virtio-console, 256 KiB through the UART
# (an exit per byte), stdout a pipe; husk's own memory (peak RSS less the
# guest RAM it touched, --boot-timeline) against a run that prints nothing.
flood() { # name console-args guest-command
    name=$1 cargs=$2
    shift 2
    timeout 280 husk run --kernel vmlinuz --initrd initramfs.cpio.gz \
        --timeout 260 --boot-timeline $cargs \
        --cmdline "console=ttyS0 quiet husk.run=\"$*; echo; echo FLOOD-DONE > /dev/ttyS0\"" \
        </dev/null 2>/tmp/$name.err | tail -c 100000 | tr -d '\r\0' | grep -c '^FLOOD-DONE$' > /tmp/$name.done
    echo "$name done=$(cat /tmp/$name.done) husk_mib=$(husk_mem /tmp/$name.err)"
}
echo "=== BEGIN load-console"
flood quiet "--console virtio" "true"
flood hvc64m "--console virtio" "head -c 67108864 /dev/zero > /dev/hvc0"
flood uart256k "" "head -c 262144 /dev/zero > /dev/ttyS0"
echo "=== END load-console rc=0"

# Network flood: 10 s of UDP from this side into the guest through a
# forwarded port (nobody listens there), then the guest's network must
# still work; husk's and husk-slirp's memory during and after.
echo "=== BEGIN load-net"
: > /tmp/nf.log
timeout 280 husk run --kernel vmlinuz --initrd initramfs.cpio.gz --timeout 260 \
    --boot-timeline \
    --net user,hostfwd=udp::5555-:5555,hostfwd=tcp::8091-:81 \
    --cmdline "$CMD husk.run=\"echo GUEST-UP; nc -l -p 81 </dev/null >/dev/null; wget -q -O - http://10.0.2.2:8000/hello && echo NET-STILL-WORKS\"" \
    </dev/null >/tmp/nf.log 2>&1 &
nfpid=$!
w=0
while ! grep -q GUEST-UP /tmp/nf.log && [ $w -lt 250 ]; do sleep 1; w=$((w + 1)); done
hpid=$(for p in /proc/[0-9]*; do [ "$(cat $p/comm 2>/dev/null)" = husk-slirp ] && echo ${p#/proc/}; done | head -n 1)
# The helper's own memory: anonymous pages (guest RAM it writes into is
# shared memory, counted as RssShmem, not here).
rss() { sed -n 's/^RssAnon:[[:space:]]*\([0-9]*\) kB/\1/p' /proc/$1/status 2>/dev/null; }
echo "slirp_rss_before_kb=$(rss "$hpid")"
./husk-rr udpflood 127.0.0.1 5555 10
echo "slirp_rss_after_kb=$(rss "$hpid")"
echo go | timeout 20 nc 127.0.0.1 8091 >/dev/null 2>&1
wait $nfpid
echo "net rc=$?"
tr -d '\r' < /tmp/nf.log | grep -E '^NET-STILL-WORKS|memory:'
echo "netflood husk_mib=$(husk_mem /tmp/nf.log)"
echo "=== END load-net rc=0"

# A guest that does nothing but kick (tiny guest 'q': QueueNotify in a
# loop) next to a Linux guest writing 32 MiB to its disk: the writer is
# slowed by sharing the one CPU, not starved.
echo "=== BEGIN load-kicks"
dd if=/dev/zero of=/tmp/kick.img bs=1M count=0 seek=64 2>/dev/null
kw() {
    husk run --kernel vmlinuz --initrd initramfs.cpio.gz --timeout 250 \
        --disk /tmp/kick.img --cmdline "$CMD husk.run=\"a=\$(cut -d' ' -f1 /proc/uptime); dd if=/dev/zero of=/dev/vda bs=1M count=32 conv=fsync 2>/dev/null; b=\$(cut -d' ' -f1 /proc/uptime); echo WRITE-SECONDS=\$(echo \$a \$b | awk '{print \$2 - \$1}')\"" \
        </dev/null 2>/tmp/kw.err | tr -d '\r' | grep '^WRITE-SECONDS=' || cat /tmp/kw.err >&2
}
alone=$(kw)
timeout 200 husk run --kernel tiny.elf --cmdline q --timeout 180 </dev/null >/dev/null 2>&1 &
kpid=$!
sleep 2
beside=$(kw)
kill $kpid 2>/dev/null
wait $kpid
rm -f /tmp/kick.img
echo "KICKS alone:$alone beside:$beside"
echo "=== END load-kicks rc=0"
