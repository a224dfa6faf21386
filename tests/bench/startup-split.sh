#!/bin/sh
# startup-split.sh [RUNS]: where a VMM's start-up time goes, husk against
# QEMU microvm, side by side in one run, with the tiny PVH guest that only
# writes the exit port (guest-images/tiny, scenario "e", 256 MiB).  Per
# VMM: the median wall time from exec to exit (husk-runstat, no tracing),
# and from strace -f -T runs of the same command the time spent inside
# KVM's ioctls (all but KVM_RUN, the guest's own time) and closing the VM
# descriptor at exit (KVM tears the VM down there): "KVM's share".  The
# VMM's own share is the wall time less that.  Runs on this host when its
# /dev/kvm can run the tiny guest (hardware or PVM), else in the test host.
# kvmtool is not in Debian 12, so it is not in the comparison.
#   needs: make build (build/husk, build/husk-runstat), qemu-system-x86,
#   strace
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
runs=${1:-20}
b=${BUILD:-$top/build}
cpu=host
if [ -e /sys/module/kvm_pvm ] && ! "$top/scripts/have-hw-kvm.sh"; then
    cpu=qemu64 # PVM refuses QEMU's -cpu host (MSR 0x10a)
fi
scen=$(mktemp)
trap 'rm -f "$scen"' EXIT
cat > "$scen" <<SCEN
QEMU="timeout 60 qemu-system-x86_64 -L qemu-data -M microvm -accel kvm -cpu $cpu,pmu=off -m 256M -smp 1 -nodefaults -no-user-config -nographic -display none -device isa-debug-exit,iobase=0xf4,iosize=4 -kernel tiny.elf -append e"
HUSK="timeout 60 husk run --kernel tiny.elf --cmdline e --memory 256M --timeout 60"
out=/tmp/startup-split.txt
: > \$out
# KVM's share of one traced run, in ms: KVM ioctls but KVM_RUN, and the
# close of the VM descriptor.
kvm_ms() {
    strace -f -T -y -o /tmp/st.txt -e trace=ioctl,close "\$@" </dev/null >/dev/null 2>&1 || true
    awk '/ioctl\(.*KVM_/ && !/KVM_RUN/ || /close\([0-9]+<anon_inode:kvm-vm>\)/ {
            if (match(\$0, /<[0-9.]+>\$/)) t += substr(\$0, RSTART + 1, RLENGTH - 2)
         } END { printf "%.2f", t * 1000 }' /tmp/st.txt
}
\$HUSK </dev/null >/dev/null 2>&1 || true; \$QEMU </dev/null >/dev/null 2>&1 || true
i=0
while [ \$i -lt $runs ]; do
    echo "husk \$(runstat -- \$HUSK </dev/null 2>/dev/null) kvm_ms=\$(kvm_ms \$HUSK)" >> \$out
    echo "qemu-microvm \$(runstat -- \$QEMU </dev/null 2>/dev/null) kvm_ms=\$(kvm_ms \$QEMU)" >> \$out
    i=\$((i + 1))
done
cat \$out
echo "--- summary (medians; statuses: husk 42, QEMU (42<<1)|1 = 85)"
sh ./summarize.sh \$out
echo "--- split (median wall, median KVM share, the VMM's own = the difference)"
for vmm in husk qemu-microvm; do
    grep "^\$vmm " \$out | awk -v n=\$vmm '
        function med(a, k,   i, j, t) { for (i = 2; i <= k; i++) { t = a[i]; for (j = i - 1; j >= 1 && a[j] > t; j--) a[j+1] = a[j]; a[j+1] = t } return k % 2 ? a[(k+1)/2] : (a[k/2] + a[k/2+1]) / 2 }
        { for (f = 2; f <= NF; f++) { split(\$f, kv, "="); if (kv[1] == "wall_ms") w[++nw] = kv[2]; if (kv[1] == "kvm_ms") k[++nk] = kv[2] } }
        END { mw = med(w, nw); mk = med(k, nk); printf "%-14s wall %.1f ms = KVM %.1f ms + own %.1f ms\n", n, mw, mk, mw - mk }'
done
SCEN
if [ -r /dev/kvm ] && [ -w /dev/kvm ]; then
    # The tiny guest runs on any KVM, hardware or PVM: measure here.
    dir=$(mktemp -d)
    trap 'rm -f "$scen"; rm -rf "$dir"' EXIT
    mkdir -p "$dir/bin"
    cp "$b/husk" "$b/husk-runstat" "$dir/bin/"
    mv "$dir/bin/husk-runstat" "$dir/bin/runstat"
    cp "$b/guest-images/tiny/tiny.elf" "$top/tests/bench/summarize.sh" "$dir/"
    ln -s /usr/share/qemu "$dir/qemu-data"
    echo "startup-split: on this host ($(uname -r), /dev/kvm: $("$b/husk" check 2>/dev/null | sed -n 's/^kvm backed by: *//p'))"
    (cd "$dir" && PATH="$dir/bin:$PATH" sh "$scen")
else
    "$top/tests/bench/run-scenario.sh" startup-split "$scen" --qemu --timeout 1800 \
        --file "$b/guest-images/tiny/tiny.elf:tiny.elf" \
        --file "$(command -v strace):bin/strace"
fi
