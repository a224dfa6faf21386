#!/bin/sh
# snapshot.sh [RUNS]: what snapshots cost and save, with the default guest
# (stock cloud kernel, default initramfs, 1 vCPU), in one run:
#  1. snapshot time and size, 256 MiB and 2 GiB guests, at the guest's
#     marker once its init is up (RUNS each; medians): husk's own figure
#     ("snapshot written to DIR (N ms)", stderr: diagnostics, read here
#     only as a number husk prints) and the memory file's allocated and
#     apparent sizes;
#  2. memory: eight VMs restored at once from one 256 MiB snapshot against
#     eight booted cold, all idle in the same guest command: the sum of
#     their RSS, of their proportional sets (Pss: shared pages split
#     between their users) and of their shared pages (smaps_rollup).
# Runs on hardware KVM directly, otherwise inside the nested test host.
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
runs=${1:-3}
g=$("$top/guest-images/default-guest.sh")
scen=$(mktemp)
trap 'rm -f "$scen"' EXIT
cat > "$scen" <<SCEN
K="--kernel vmlinuz --initrd initramfs.cpio.gz --timeout 300"
WAIT='console=ttyS0 quiet husk.run="husk-mark debug 0x70; sleep 120"'
median() { sort -n | awk '{ a[NR] = \$1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
for mem in 256M 2G; do
    : > /tmp/snap-ms
    : > /tmp/snap-kib
    i=0
    while [ \$i -lt $runs ]; do
        rm -rf /tmp/sb
        husk run \$K --memory \$mem --snapshot-on 0x70=/tmp/sb,exit \\
            --cmdline "\$WAIT" </dev/null >/dev/null 2>/tmp/sb.err
        sed -n 's/.*snapshot written to .* (\\([0-9.]*\\) ms).*/\\1/p' /tmp/sb.err >>/tmp/snap-ms
        du -k /tmp/sb/memory | cut -f1 >>/tmp/snap-kib
        i=\$((i + 1))
    done
    echo "SNAPSHOT mem=\$mem runs=$runs ms_median=\$(median </tmp/snap-ms) ms_all=\$(tr '\n' ' ' </tmp/snap-ms) memory_alloc_kib=\$(median </tmp/snap-kib) memory_size=\$(stat -c %s /tmp/sb/memory) state_bytes=\$(stat -c %s /tmp/sb/state)"
done

# Eight at once, each idle in its guest's sleep: cold boots, then
# restores of one snapshot taken at the same point.
rss() { # pids: the sums of Rss, Pss and Shared_* over their husk processes
    for p in "\$@"; do cat /proc/\$p/smaps_rollup; done |
        awk '/^Rss:/ { r += \$2 } /^Pss:/ { p += \$2 } /^Shared_(Clean|Dirty):/ { s += \$2 }
             END { printf "rss_kib=%d pss_kib=%d shared_kib=%d", r, p, s }'
}
settle() { # files: wait until each VM printed its marker, then a moment
    for f in "\$@"; do
        n=0
        while ! grep -q HUSK-GUEST-READY "\$f" 2>/dev/null && [ \$n -lt 3000 ]; do
            sleep 0.1; n=\$((n + 1))
        done
    done
    sleep 5
}
pids=
for i in 1 2 3 4 5 6 7 8; do
    husk run \$K --memory 256M --cmdline "\$WAIT" </dev/null >/tmp/cold-\$i.out 2>/dev/null &
    pids="\$pids \$!"
done
settle /tmp/cold-*.out
echo "MEMORY eight=cold \$(rss \$pids)"
kill \$pids 2>/dev/null; wait 2>/dev/null || true
rm -rf /tmp/sb
husk run \$K --memory 256M --snapshot-on 0x70=/tmp/sb,exit --cmdline "\$WAIT" \\
    </dev/null >/dev/null 2>&1
pids=
for i in 1 2 3 4 5 6 7 8; do
    # Restored after the marker: each says so itself for settle().
    (echo HUSK-GUEST-READY; exec husk restore /tmp/sb --timeout 300 </dev/null) \\
        >/tmp/rest-\$i.out 2>/dev/null &
    pids="\$pids \$!"
done
sleep 1
settle /tmp/rest-*.out
# (Each subshell exec'd husk: its pid is husk's.)
echo "MEMORY eight=restored \$(rss \$pids)"
kill \$pids 2>/dev/null; wait 2>/dev/null || true
SCEN
"$top/tests/bench/run-scenario.sh" snapshot "$scen" --timeout 2400 --mem 6144 \
    --file "$g/vmlinuz:vmlinuz" --file "$g/initramfs.cpio.gz:initramfs.cpio.gz" |
    grep -E '^(SNAPSHOT|MEMORY|TESTHOST-THP)'
