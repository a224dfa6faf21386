# scenarios.sh: the system suite's guest scenarios, part 1 of 5 (boots,
# memory, exit statuses, timeline, bench, disks; then scenarios-backends.sh:
# shares, qcow2; scenarios-exec.sh: husk exec, snapshots; scenarios-net.sh:
# consoles, networks, vsock; scenarios-load.sh: durability, disk errors,
# load), each in a test host of its own, run by sh inside the
# test host (or directly on a host with hardware KVM) from a directory
# holding husk (in PATH), vmlinuz, vmlinux, initramfs.cpio.gz, tiny.elf and
# check_tiny.  Each scenario's console output is framed by
#   === BEGIN name            and            === END name rc=N
# for check_system.c to judge; a command's stderr (husk's diagnostics)
# follows its stdout (the guest's console, where the markers are) after a
# line "=== STDERR name", never interleaved with it.  Every run is bounded
# twice: husk --timeout and busybox timeout.

CMD="console=ttyS0 quiet"

# scenario NAME CMD... and linux NAME KERNEL ARGS... -- COMMAND
. "$(dirname "$0")/scenario-lib.sh"

scenario tiny-suite ./check_tiny "$(command -v husk)" tiny.elf
linux bzimage vmlinuz -- "echo HUSK-RUN-OK; uname -r"
linux pvh vmlinux -- "echo HUSK-RUN-OK; uname -r"
linux cpus2 vmlinuz --cpus 2 -- "echo CPUS=\$(grep -c ^processor /proc/cpuinfo)"
linux mem512 vmlinuz --memory 512M -- "grep MemTotal /proc/meminfo"
linux mem3584 vmlinuz --memory 3584M -- "grep MemTotal /proc/meminfo"
# Guest RAM on 2 MiB huge pages: with 160 reserved on this side, a 256M
# guest holds 128 of them (allocated or reserved) while it runs.
echo 160 > /proc/sys/vm/nr_hugepages
hp_avail() { awk '/^HugePages_Free/ {f = $2} /^HugePages_Rsvd/ {r = $2} END {print f - r}' /proc/meminfo; }
linux hugepages vmlinuz --memory 256M,hugepages=on -- \
    "grep MemTotal /proc/meminfo; sleep 8" > /tmp/hugepages.log &
sleep 3
echo "HOST-HUGEPAGES-AVAILABLE-DURING=$(hp_avail)"
wait
cat /tmp/hugepages.log
echo "HOST-HUGEPAGES-AVAILABLE-AFTER=$(hp_avail)"
echo 0 > /proc/sys/vm/nr_hugepages
linux exit3 vmlinuz -- "exit 3"
# 64 KiB printed just before the VM ends: the last line still arrives (with
# two vCPUs the exit port used to beat the tty layer and cut it off).
linux output-tail vmlinuz --cpus 2 -- "dd if=/dev/zero bs=1024 count=64 2>/dev/null | tr '\\000' x; echo; echo LAST-LINE-ARRIVED"
linux panic vmlinuz -- "echo c > /proc/sysrq-trigger"
linux reboot vmlinuz -- "reboot -f"
linux timeout vmlinuz --timeout 30 -- "sleep 600"
linux poweroff vmlinuz -- "poweroff -f"
# --boot-timeline on a real boot: the table on stderr, the JSON shown as a
# scenario of its own for check_system.c to check.
linux timeline vmlinuz --boot-timeline=/tmp/tl.json -- "echo HUSK-RUN-OK"
scenario timeline-json cat /tmp/tl.json
# husk bench boot, 3 runs: husk and the container runtimes shipped here
# (runc, crun; cgroup v2 mounted for them); its JSON and SVG are shown as
# scenarios of their own for check_system.c.
mkdir -p /sys/fs/cgroup /run
mount -t cgroup2 none /sys/fs/cgroup 2>/dev/null
scenario bench-boot sh husk-bench boot --runs 3 --kernel vmlinuz \
    --initrd initramfs.cpio.gz --out /tmp/hb
scenario bench-boot-json cat /tmp/hb/boot.json
scenario bench-boot-svg cat /tmp/hb/boot.svg

# What husk says about this host (the disk engine it picks).
scenario husk-check husk check
# virtio-blk: 64 MiB of random data written with fsync, then compared with
# the image's sha256 on this side after the VM is gone; once per engine.
for aio in io_uring sync; do
    dd if=/dev/zero of=/tmp/disk.img bs=1M count=64 2>/dev/null
    linux disk-write-$aio vmlinuz --disk /tmp/disk.img,aio=$aio -- \
        "dd if=/dev/urandom of=/dev/vda bs=1M count=64 conv=fsync 2>/dev/null && echo GUEST-SHA=\$(dd if=/dev/vda bs=1M count=64 2>/dev/null | sha256sum | cut -d' ' -f1)"
    echo "HOST-SHA-$aio=$(sha256sum /tmp/disk.img | cut -d' ' -f1)"
    rm -f /tmp/disk.img
done
# Boot from an ext4 root disk (root=/dev/vda): create a file there; the
# host reads it back from the image with debugfs after the VM is gone.
cp root.img /tmp/root.img
linux rootfs vmlinuz --disk /tmp/root.img --cmdline-extra root=/dev/vda -- \
    "echo written-by-the-guest > /from-guest.txt; sync; cat /etc/husk-rootfs"
echo "ROOTFS-HOST=$(debugfs -R 'cat /from-guest.txt' /tmp/root.img 2>/dev/null)"
rm -f /tmp/root.img
# virtio-rng (on by default): /dev/hwrng exists and gives bytes; with
# --no-rng there is no hardware RNG.
linux rng vmlinuz -- \
    "echo RNG=\$(cat /sys/class/misc/hw_random/rng_current); echo HWRNG-BYTES=\$(dd if=/dev/hwrng bs=64 count=4 2>/dev/null | wc -c)"
linux no-rng vmlinuz --no-rng -- \
    "echo RNG=\$(cat /sys/class/misc/hw_random/rng_current 2>/dev/null || echo none)"
# A read-only disk refuses writes, and the image stays as it was.
dd if=/dev/zero of=/tmp/ro.img bs=1M count=4 2>/dev/null
linux disk-ro vmlinuz --disk /tmp/ro.img,ro -- \
    "echo data | dd of=/dev/vda conv=fsync 2>/dev/null || echo RO-WRITE-REFUSED; dd if=/dev/vda bs=512 count=1 2>/dev/null | wc -c"
echo "RO-HOST-SHA=$(sha256sum /tmp/ro.img | cut -d' ' -f1)"
rm -f /tmp/ro.img
