#!/bin/sh
# scrub.sh (testhost-scrub in the test host): write over the test host's
# free memory, so that the next VM started there gets pages in which no
# earlier VM ran code.  The outer QEMU (TCG) keeps the code it translated
# keyed by the test host's physical pages; a VM given pages where another
# VM ran code was seen to spend 8-17 s more before its kernel's clock
# started (../shared/ENVIRONMENT.md, "Fair timing in the emulated test
# host").  A side-by-side benchmark in the test host runs this before each
# boot of either VMM, so both boot on scrubbed pages.  Caches are dropped,
# then a tmpfs file of MemAvailable less 300 MiB is written and removed.
# testhost.sh installs it as /husk/bin/testhost-scrub; on any other host
# it is not there, and the benchmarks do without.
set -u
sync
echo 3 > /proc/sys/vm/drop_caches
d=$(mktemp -d /tmp/scrub.XXXXXX)
if mount -t tmpfs -o size=95% none "$d" 2>/dev/null; then
    mb=$(awk '/^MemAvailable/ {print int($2 / 1024) - 300}' /proc/meminfo)
    [ "$mb" -gt 0 ] && dd if=/dev/zero of="$d/fill" bs=1M count="$mb" 2>/dev/null
    rm -f "$d/fill"
    umount "$d"
fi
rmdir "$d"
exit 0
