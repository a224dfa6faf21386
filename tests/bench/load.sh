#!/bin/sh
# load.sh [COUNTS]: how many VMs this machine boots at once.  For each N
# in COUNTS (default "8 16 24 32"), N guests (default initramfs, 1 vCPU,
# 96 MiB each) are started together; prints how many booted and exited
# cleanly, the time until the last one ended, and husk's own memory per
# VM (peak RSS less the guest RAM it touched, --boot-timeline).  Stops
# at the first N where not all came through.  Hardware KVM: directly;
# else inside the test host (one CPU; LOAD_MEM MiB, default 3072).
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
counts=${1:-8 16 24 32}
g=$("$top/guest-images/default-guest.sh")
scen=$(mktemp)
trap 'rm -f "$scen"' EXIT
cat > "$scen" <<SCEN
now() { cut -d' ' -f1 /proc/uptime; }
for n in $counts; do
    i=0 pids=
    t0=\$(now)
    while [ \$i -lt \$n ]; do
        timeout 900 husk run --kernel vmlinuz --initrd initramfs.cpio.gz --memory 96M \
            --timeout 880 --boot-timeline --cmdline "console=ttyS0 quiet husk.run=\"echo VM-OK\"" \
            </dev/null >/tmp/l\$i.log 2>&1 &
        pids="\$pids \$!"
        i=\$((i + 1))
    done
    clean=0
    # A line a minute: the test host's watchdog stops it after 300 s
    # without console output.
    ( while sleep 60; do echo "  \$n VMs: \$(grep -l VM-OK /tmp/l*.log 2>/dev/null | wc -l) done"; done ) &
    ticker=\$!
    for p in \$pids; do wait \$p && clean=\$((clean + 1)); done
    kill \$ticker
    t1=\$(now)
    mem=\$(sed -n 's/.*memory: peak RSS.* + husk \([0-9.]*\) MiB.*/\1/p' /tmp/l*.log | sort -n | tr '\n' ' ')
    echo "VMS=\$n CLEAN=\$clean SECONDS=\$(echo \$t0 \$t1 | awk '{print \$2 - \$1}') HUSK_MIB_PER_VM=[\$mem]"
    rm -f /tmp/l*.log
    [ \$clean = \$n ] || break
done
SCEN
"$top/tests/bench/run-scenario.sh" load "$scen" --mem "${LOAD_MEM:-3072}" --timeout 5400 \
    --file "$g/vmlinuz:vmlinuz" --file "$g/initramfs.cpio.gz:initramfs.cpio.gz"
