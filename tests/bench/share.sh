#!/bin/sh
# share.sh [RUNS]: virtio-fs, husk vs QEMU microvm, side by side in one
# run with the same virtiofsd (Debian's, started the same way: chroot
# sandbox, --thread-pool-size=0, log_level=err), kernel, initramfs, 512 MiB
# of shared memory (QEMU: memory-backend-memfd,share=on), and the same
# directory on the same (tmpfs) filesystem.  In the guest
# (husk-sharebench): 64 MiB sequential write with fsync, sequential read
# of a 64 MiB file, find + stat over a 10,000-file tree, tar c of that tree;
# each after dropping the guest's caches.  Medians per system, and husk's
# ratio to QEMU (throughput: husk/QEMU; times: QEMU/husk; >= 1 is husk
# as fast or faster).  Hardware KVM: directly; else inside the test host.
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
runs=${1:-5}
g=$("$top/guest-images/default-guest.sh")
scen=$(mktemp)
trap 'rm -f "$scen"' EXIT
cat > "$scen" <<SCEN
CMD="console=ttyS0 quiet husk.share=src husk.run=husk-sharebench"
out=/tmp/share.txt
: > \$out
VFSD=/usr/lib/qemu/virtiofsd
# The tree: 100 directories of 100 files of 1 to 4 KiB, written with the
# shell's own printf (no process per file: the emulated test host is
# slow to fork), a line of progress per 10 directories (its watchdog
# stops a host that stays silent).
rm -rf /tmp/share
mkdir -p /tmp/share/tree
dd if=/dev/urandom of=/tmp/share/big bs=1M count=64 2>/dev/null
c1=\$(head -c 768 /dev/urandom | base64 | tr -d '\\n')
c2=\$c1\$c1
c3=\$c2\$c1
c4=\$c2\$c2
i=0
while [ \$i -lt 100 ]; do
    mkdir /tmp/share/tree/d\$i
    j=0
    while [ \$j -lt 100 ]; do
        case \$((j % 4)) in
        0) printf '%s' "\$c1" > /tmp/share/tree/d\$i/f\$j ;;
        1) printf '%s' "\$c2" > /tmp/share/tree/d\$i/f\$j ;;
        2) printf '%s' "\$c3" > /tmp/share/tree/d\$i/f\$j ;;
        *) printf '%s' "\$c4" > /tmp/share/tree/d\$i/f\$j ;;
        esac
        j=\$((j + 1))
    done
    i=\$((i + 1))
    [ \$((i % 10)) = 0 ] && echo "tree: \${i}00 files"
done
QEMU="qemu-system-x86_64 -L qemu-data -M microvm,memory-backend=mem -accel kvm -cpu host,pmu=off \
    -object memory-backend-memfd,id=mem,size=512M,share=on \
    -global virtio-mmio.force-legacy=false \
    -m 512M -smp 1 -nodefaults -no-user-config -nographic -display none -serial stdio \
    -device isa-debug-exit,iobase=0xf4,iosize=4 -kernel vmlinuz -initrd initramfs.cpio.gz"
one() { # NAME COMMAND...: one guest run, its figures
    name=\$1
    shift
    # Each figure on the console as it comes (the test host's watchdog
    # stops a host that stays quiet for minutes), then collected.
    r=\$(timeout 600 "\$@" </dev/null 2>/tmp/one.err | tee /dev/stderr | tr -d '\r' | grep -E '^(SEQ|FINDSTAT|TAR)' | tr '\n' ' ')
    [ -n "\$r" ] || sed "s/^/\$name: /" /tmp/one.err >&2
    echo "\$name \$r" | tee -a \$out
}
i=0
while [ \$i -lt $runs ]; do
    one husk husk run --kernel vmlinuz --initrd initramfs.cpio.gz --memory 512M \
        --share /tmp/share,tag=src --timeout 580 --cmdline "console=ttyS0 quiet husk.run=husk-sharebench"
    rm -f /tmp/vfsd.sock
    \$VFSD --socket-path=/tmp/vfsd.sock -o source=/tmp/share -o sandbox=chroot \
        -o log_level=err --thread-pool-size=0 &
    vpid=\$!
    n=0
    while [ ! -S /tmp/vfsd.sock ] && [ \$n -lt 100 ]; do sleep 0.1; n=\$((n + 1)); done
    one qemu-microvm \$QEMU -chardev socket,id=vfs,path=/tmp/vfsd.sock \
        -device vhost-user-fs-device,chardev=vfs,tag=src -append "\$CMD"
    kill \$vpid 2>/dev/null
    wait \$vpid 2>/dev/null
    i=\$((i + 1))
done
echo "--- medians (MB/s for SEQ*, ms for FINDSTAT and TAR)"
med() { # SYS KEY
    grep "^\$1 " \$out | tr ' ' '\n' | sed -n "s/^\$2=//p" | sort -n |
        awk '{a[NR]=\$1} END {if (NR == 0) print "nan"; else if (NR%2) print a[(NR+1)/2]; else print (a[NR/2]+a[NR/2+1])/2}'
}
for sys in husk qemu-microvm; do
    echo "\$sys SEQWRITE=\$(med \$sys SEQWRITE) SEQREAD=\$(med \$sys SEQREAD) FINDSTAT=\$(med \$sys FINDSTAT) TAR=\$(med \$sys TAR)"
done
for k in SEQWRITE SEQREAD; do
    echo "ratio \$k husk/qemu \$(awk -v h=\$(med husk \$k) -v q=\$(med qemu-microvm \$k) 'BEGIN { printf "%.2f", h / q }')"
done
for k in FINDSTAT TAR; do
    echo "ratio \$k qemu/husk \$(awk -v h=\$(med husk \$k) -v q=\$(med qemu-microvm \$k) 'BEGIN { printf "%.2f", q / h }')"
done
SCEN
"$top/tests/bench/run-scenario.sh" share "$scen" --qemu --mem 3072 \
    --file "$g/vmlinuz:vmlinuz" --file "$g/initramfs.cpio.gz:initramfs.cpio.gz"
