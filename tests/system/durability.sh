#!/bin/sh
# durability.sh KILLS: the SIGKILL durability scenario, KILLS times.  A
# Linux guest writes numbered 4 KiB records with O_DIRECT and a FLUSH
# after each (husk-records), printing "ACK i" once the flush returned;
# husk is killed with SIGKILL at a random moment 0-2.9 s after the first
# ACK, alternating the io_uring and sync engines; husk-records verify then
# checks that every acknowledged record is in the image.  Prints a line
# per kill and "DURABILITY kills=K acked=A lost=L".  Runs in a directory
# holding husk (in PATH), vmlinuz, initramfs.cpio.gz and husk-records:
# the system suite's (20 kills) and tests/bench/soak.sh's (500).
kills_wanted=${1:-20}
CMD="console=ttyS0 quiet"
acked=0 lost=0 kills=0 n=0
while [ $n -lt "$kills_wanted" ]; do
    engine=io_uring
    [ $((n % 2)) = 1 ] && engine=sync
    rm -f /tmp/dur.img
    dd if=/dev/zero of=/tmp/dur.img bs=1M count=0 seek=32 2>/dev/null
    # Emptied here: the redirection below happens in the child, and the
    # last run's ACKs would end the wait at once.
    : > /tmp/dur.log
    husk run --kernel vmlinuz --initrd initramfs.cpio.gz --timeout 200 \
        --disk /tmp/dur.img,aio=$engine \
        --cmdline "$CMD husk.run=\"husk-records write /dev/vda\"" \
        </dev/null >/tmp/dur.log 2>/tmp/dur.err &
    pid=$!
    w=0
    while ! grep -q '^ACK' /tmp/dur.log && [ $w -lt 1800 ] && kill -0 $pid 2>/dev/null; do
        sleep 0.1
        w=$((w + 1))
    done
    rnd=$(od -An -N2 -tu2 /dev/urandom | tr -d ' ')
    sleep "$((rnd % 3)).$((rnd / 3 % 10))"
    kill -9 $pid 2>/dev/null && kills=$((kills + 1))
    wait $pid
    last=$(tr -d '\r' < /tmp/dur.log | grep '^ACK [0-9]*$' | tail -n 1 | cut -d' ' -f2)
    r=$(./husk-records verify /tmp/dur.img "${last:-0}")
    echo "kill $n ($engine): $r"
    acked=$((acked + ${last:-0}))
    l=$(echo "$r" | sed -n 's/.*RECORDS-LOST=\([0-9]*\).*/\1/p')
    lost=$((lost + ${l:-1}))
    n=$((n + 1))
done
rm -f /tmp/dur.img
echo "DURABILITY kills=$kills acked=$acked lost=$lost"
