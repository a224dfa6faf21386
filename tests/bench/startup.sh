#!/bin/sh
# startup.sh [RUNS]: VMM start-up overhead, husk vs QEMU microvm, side by
# side in one run: the tiny PVH guest that only writes the exit port
# (guest-images/tiny, scenario "e").  Runs on this host's /dev/kvm when it
# is hardware backed, otherwise inside the nested KVM test host.  Reports
# medians of wall time, CPU time and peak RSS, and strace -T timings of
# husk's KVM ioctls (the floor KVM itself imposes).
#   needs: make build (build/husk, build/husk-runstat)
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
runs=${1:-15}
b=${BUILD:-$top/build}
scen=$(mktemp)
trap 'rm -f "$scen"' EXIT
cat > "$scen" <<SCEN
QEMU="timeout 60 qemu-system-x86_64 -L qemu-data -M microvm -accel kvm -cpu host,pmu=off -m 256M -smp 1 -nodefaults -no-user-config -nographic -display none -device isa-debug-exit,iobase=0xf4,iosize=4 -kernel tiny.elf -append e"
HUSK="timeout 60 husk run --kernel tiny.elf --cmdline e --memory 256M --timeout 60"
out=/tmp/startup.txt
: > \$out
# warm-up, not counted
\$HUSK </dev/null >/dev/null 2>&1; \$QEMU </dev/null >/dev/null 2>&1
i=0
while [ \$i -lt $runs ]; do
    echo "husk \$(runstat -- \$HUSK </dev/null 2>/dev/null)" >> \$out
    echo "qemu-microvm \$(runstat -- \$QEMU </dev/null 2>/dev/null)" >> \$out
    i=\$((i + 1))
done
cat \$out
echo "--- summary (statuses: husk 42, QEMU (42<<1)|1 = 85)"
sh ./summarize.sh \$out
echo "--- husk's KVM ioctls (strace -T, one run)"
strace -f -T -o /tmp/strace.txt -e trace=ioctl,mmap,execve \$HUSK </dev/null >/dev/null 2>/dev/null
grep -E "KVM_|execve|mmap\(NULL, 268435456" /tmp/strace.txt | sed 's/^\[pid *[0-9]*\] //' | awk '{print}' | tail -n 30
SCEN
"$top/tests/bench/run-scenario.sh" startup "$scen" --qemu --timeout 1200 \
    --file "$b/guest-images/tiny/tiny.elf:tiny.elf" \
    --file "$(command -v strace):bin/strace"
