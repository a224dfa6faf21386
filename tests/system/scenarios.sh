# scenarios.sh: the system suite's guest scenarios, run by sh inside the
# test host (or directly on a host with hardware KVM) from a directory
# holding husk (in PATH), vmlinuz, vmlinux, initramfs.cpio.gz, tiny.elf and
# check_tiny.  Each scenario's console output is framed by
#   === BEGIN name            and            === END name rc=N
# for check_system.c to judge.  Every run is bounded twice: husk --timeout
# and busybox timeout.

CMD="console=ttyS0 quiet"

scenario() { # name cmd...
    name=$1
    shift
    echo "=== BEGIN $name"
    timeout 240 "$@" </dev/null 2>&1
    rc=$?
    echo "=== END $name rc=$rc"
}

linux() { # name kernel extra-husk-args... -- husk.run command
    name=$1
    kernel=$2
    shift 2
    args=
    extra=
    while [ $# -gt 0 ] && [ "$1" != "--" ]; do
        if [ "$1" = --cmdline-extra ]; then
            extra="$extra $2"
            shift 2
            continue
        fi
        args="$args $1"
        shift
    done
    shift
    # shellcheck disable=SC2086
    scenario "$name" husk run --kernel "$kernel" --initrd initramfs.cpio.gz \
        --timeout 200 $args --cmdline "$CMD$extra husk.run=\"$*\""
}

scenario tiny-suite ./check_tiny "$(command -v husk)" tiny.elf
linux bzimage vmlinuz -- "echo HUSK-RUN-OK; uname -r"
linux pvh vmlinux -- "echo HUSK-RUN-OK; uname -r"
linux cpus2 vmlinuz --cpus 2 -- "echo CPUS=\$(grep -c ^processor /proc/cpuinfo)"
linux mem512 vmlinuz --memory 512M -- "grep MemTotal /proc/meminfo"
linux mem3584 vmlinuz --memory 3584M -- "grep MemTotal /proc/meminfo"
linux exit3 vmlinuz -- "exit 3"
linux panic vmlinuz -- "echo c > /proc/sysrq-trigger"
linux reboot vmlinuz -- "reboot -f"
linux timeout vmlinuz --timeout 30 -- "sleep 600"
linux poweroff vmlinuz -- "poweroff -f"

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

# No husk.run: init starts a shell on the serial console.  Type into it
# through husk's stdin, every 2 s until it is read (input sent before the
# guest's serial driver starts is flushed by the driver), until the VM ends.
echo "=== BEGIN console-input"
(while :; do echo 'echo TYPED-$((6*7)); poweroff -f'; sleep 2; done) |
    timeout 240 husk run --kernel vmlinuz --initrd initramfs.cpio.gz \
        --timeout 200 --cmdline "$CMD" 2>&1
echo "=== END console-input rc=$?"

# --console virtio: the shell runs on /dev/hvc0; typed input reaches it and
# its output comes back through virtio-console.
echo "=== BEGIN hvc-console"
(while :; do echo 'echo HVC-TYPED-$((6*7)) $(cat /sys/class/tty/console/active); poweroff -f'; sleep 2; done) |
    timeout 240 husk run --kernel vmlinuz --initrd initramfs.cpio.gz \
        --console virtio --timeout 200 2>&1
echo "=== END hvc-console rc=$?"
