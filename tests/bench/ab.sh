#!/bin/sh
# ab.sh OLD_HUSK [RUNS] [HUSK-OPTION...]: the current build's husk against
# another husk binary (say, the build before a change; a husk-slirp next to
# it goes with it, for --net user; AB_SHMEM_THP below), booting the default
# guest (stock cloud kernel, default initramfs, 256M) to HUSK-GUEST-READY,
# interleaved in one run.  Per binary: medians (min..max) of time to the
# marker and to exit, CPU time and peak RSS (runstat), and of the timeline
# phases up to the first KVM_RUN (husk's own start-up work), all through
# summarize.sh.
# Hardware KVM: directly; else inside the nested test host.
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
[ $# -ge 1 ] && [ -x "$1" ] || { echo "usage: ab.sh OLD_HUSK [RUNS] [HUSK-OPTION...]" >&2; exit 64; }
old=$1
shift
runs=10
case ${1:-} in
[0-9]*) runs=$1; shift ;;
esac
opts="$*"
# AB_SHMEM_THP=advise (say): the test host's shmem THP setting for the run
# (guest RAM shared with husk-slirp is shmem: with --net user it gets
# transparent huge pages only if this allows).
shmem_thp=${AB_SHMEM_THP:-}
g=$("$top/guest-images/default-guest.sh")
scen=$(mktemp)
trap 'rm -f "$scen"' EXIT
cat > "$scen" <<SCEN
CMD='console=ttyS0 quiet husk.run=true'
ARGS="run --kernel vmlinuz --initrd initramfs.cpio.gz --memory 256M --timeout 120 --boot-timeline=/tmp/tl.json $opts"
out=/tmp/ab.txt
: > \$out
thp=/sys/kernel/mm/transparent_hugepage
[ -n "$shmem_thp" ] && echo "$shmem_thp" > \$thp/shmem_enabled
echo "THP: enabled \$(cat \$thp/enabled); shmem_enabled \$(cat \$thp/shmem_enabled)"
ev() { sed -n "s/.*\\"event\\": \\"\$1\\".*\\"t_ms\\": \\([0-9.]*\\).*/\\1/p" /tmp/tl.json; }
one() { # name binary
    r=\$(runstat -m HUSK-GUEST-READY -- "\$2" \$ARGS --cmdline "\$CMD" </dev/null 2>/dev/null)
    echo "\$1 \$r vm_created_ms=\$(ev vm-created) memory_ready_ms=\$(ev memory-ready) kernel_loaded_ms=\$(ev kernel-loaded) first_run_ms=\$(ev first-kvm-run)" | tee -a \$out
}
i=0
while [ \$i -lt $runs ]; do
    one old ./husk-old
    one new husk
    i=\$((i + 1))
done
echo "--- summary (marker_ms: launch to HUSK-GUEST-READY; wall_ms: launch to exit)"
sh ./summarize.sh \$out
SCEN
# The old husk finds its own husk-slirp next to itself (./husk-slirp) when
# one sits beside OLD_HUSK: the two speak the same protocol.
helper=$(dirname "$old")/husk-slirp
set --
[ -x "$helper" ] && set -- --file "$helper:husk-slirp"
"$top/tests/bench/run-scenario.sh" ab "$scen" --file "$old:husk-old" "$@" \
    --file "$g/vmlinuz:vmlinuz" --file "$g/initramfs.cpio.gz:initramfs.cpio.gz"
