#!/bin/sh
# exec.sh [RUNS]: `husk exec -- true` from launch to exit, against the same
# workflow done by QEMU microvm the way virtme-ng does it: the same kernel
# and modules (exec-tree.sh's fake build tree of the cloud kernel), the
# same initramfs (husk's cached one: husk-init and its modules, with the
# same run description appended), the same virtiofsd started the same way
# for / and for the modules (chroot sandbox, --thread-pool-size=0), the
# same three console ports (QEMU: virtio-serial-device, virtserialport by
# name), the kernel's log off the terminal.  QEMU's side is a script that
# starts both virtiofsd, waits for their sockets, runs QEMU and stops
# them, so each side pays for its daemons.  Medians over RUNS of each,
# interleaved, each on scrubbed pages in the test host (tests/testhost/
# scrub.sh); then one husk run's boot timeline (where its time goes).
# Hardware KVM: directly; else inside the nested KVM test host.
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
runs=${1:-10}
b=${BUILD:-$top/build}
kdir=$("$top/guest-images/fetch-kernel.sh" cloud)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$top/tests/system/exec-modules.sh" "$kdir" "$tmp/exec-modules.tar"
cat > "$tmp/qemu-exec.sh" <<'QEXEC'
# qemu-exec.sh KERNEL INITRD MODULES: the vng-style run of COMMAND.
VFSD=/usr/lib/qemu/virtiofsd
rm -f /tmp/q-root.sock /tmp/q-mods.sock
$VFSD --socket-path=/tmp/q-root.sock -o source=/ -o sandbox=chroot \
    -o log_level=err --thread-pool-size=0 &
r=$!
$VFSD --socket-path=/tmp/q-mods.sock -o source="$3" -o sandbox=chroot \
    -o log_level=err --thread-pool-size=0 &
m=$!
n=0
while { [ ! -S /tmp/q-root.sock ] || [ ! -S /tmp/q-mods.sock ]; } && [ $n -lt 1000 ]; do
    sleep 0.01
    n=$((n + 1))
done
qemu-system-x86_64 -L qemu-data -M microvm,memory-backend=mem -accel kvm \
    -cpu host,pmu=off -object memory-backend-memfd,id=mem,size=512M,share=on \
    -global virtio-mmio.force-legacy=false -m 512M -smp 1 -nodefaults \
    -no-user-config -nographic -display none -serial file:/tmp/q-klog \
    -device isa-debug-exit,iobase=0xf4,iosize=4 \
    -kernel "$1" -initrd "$2" -append "console=ttyS0 panic=-1 rdinit=/init quiet" \
    -chardev socket,id=root,path=/tmp/q-root.sock \
    -device vhost-user-fs-device,chardev=root,tag=husk-root \
    -chardev socket,id=mods,path=/tmp/q-mods.sock \
    -device vhost-user-fs-device,chardev=mods,tag=husk-modules \
    -device virtio-serial-device,max_ports=4 \
    -chardev null,id=in -device virtserialport,chardev=in,name=husk.stdin \
    -chardev file,id=out,path=/dev/stdout \
    -device virtserialport,chardev=out,name=husk.stdout \
    -chardev file,id=err,path=/dev/stderr \
    -device virtserialport,chardev=err,name=husk.stderr
rc=$?
kill $r $m 2>/dev/null
wait $r $m 2>/dev/null
exit $rc
QEXEC
scen=$tmp/scen.sh
cat > "$scen" <<SCEN
. ./exec-tree.sh
export HOME=/root
mkdir -p /root
K=\$W/ktree/arch/x86/boot/bzImage
HUSK="husk exec --kernel \$K --memory 512M --timeout 60 -- true"
# Warm-up, not counted: builds husk's cached initramfs and staged modules.
\$HUSK </dev/null
base=\$(ls /root/.cache/husk/exec/initramfs-*.cpio | head -n1)
mods=\$(ls -d /root/.cache/husk/exec-modules/*/lib/modules/* | head -n1)
# The run description husk gives its init for "true" here.
mkdir -p /tmp/spec/etc
printf 'arg=true\0env=PATH=/bin:/sbin:/husk/bin\0env=HOME=/root\0cwd=%s\0uid=0\0gid=0\0modules=husk-modules\0' "\$(pwd)" > /tmp/spec/etc/husk-exec
(cd /tmp/spec && find etc | cpio -o -H newc 2>/dev/null) > /tmp/spec.cpio
cat "\$base" /tmp/spec.cpio > /tmp/qemu-initrd
QEMU="sh ./qemu-exec.sh \$K /tmp/qemu-initrd \$mods"
\$QEMU </dev/null >/dev/null 2>&1
scrub() { command -v testhost-scrub >/dev/null && testhost-scrub; true; }
out=/tmp/exec.txt
: > \$out
i=0
while [ \$i -lt $runs ]; do
    scrub
    echo "husk \$(runstat -- \$HUSK </dev/null 2>/dev/null)" | tee -a \$out
    scrub
    echo "qemu-microvm \$(runstat -- \$QEMU </dev/null 2>/dev/null)" | tee -a \$out
    i=\$((i + 1))
done
echo "--- summary (statuses: husk 0, QEMU (0<<1)|1 = 1)"
sh ./summarize.sh \$out
echo "--- ratio of medians, QEMU/husk wall time"
awk '\$1 == "husk" || \$1 == "qemu-microvm" { split(\$2, kv, "="); w[\$1, ++n[\$1]] = kv[2] }
     function med(s, k, a, i, j, t) { for (i = 1; i <= n[s]; i++) a[i] = w[s, i]; for (i = 2; i <= n[s]; i++) { t = a[i]; for (j = i - 1; j >= 1 && a[j] > t; j--) a[j+1] = a[j]; a[j+1] = t }; k = n[s]; return k % 2 ? a[(k+1)/2] : (a[k/2] + a[k/2+1]) / 2 }
     END { printf "qemu/husk %.2f (husk %.1f ms, qemu-microvm %.1f ms)\n", med("qemu-microvm") / med("husk"), med("husk"), med("qemu-microvm") }' \$out
echo "--- where husk's time goes (one run, --boot-timeline)"
scrub
husk exec --kernel \$K --memory 512M --timeout 60 --boot-timeline -- true </dev/null 2>/tmp/tl.txt
cat /tmp/tl.txt
SCEN
"$top/tests/bench/run-scenario.sh" exec "$scen" --qemu --timeout 2400 \
    --file "$kdir/vmlinuz:vmlinuz" \
    --file "$tmp/exec-modules.tar:exec-modules.tar" \
    --file "$top/tests/system/exec-tree.sh:exec-tree.sh" \
    --file "$tmp/qemu-exec.sh:qemu-exec.sh"
