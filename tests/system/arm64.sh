# arm64.sh: the arm64 system suite's scenarios, run by sh inside the
# nested arm64 test host (testhost.sh --arch arm64) from a directory
# holding husk (build-arm64's, in PATH) and the arm64 default guest
# (vmlinuz: Debian's stock cloud arm64 Image, initramfs.cpio.gz).
# Framing: scenario-lib.sh; judged by check_system_arm64.c.

CMD="console=ttyS0 quiet"

. "$(dirname "$0")/scenario-lib.sh"

scenario husk-check husk check
linux boot vmlinuz -- "echo HUSK-RUN-OK; echo ARCH=\$(uname -m); uname -r; echo CPUS=\$(grep -c ^processor /proc/cpuinfo)"
linux cpus2 vmlinuz --cpus 2 -- "echo CPUS=\$(grep -c ^processor /proc/cpuinfo)"
linux mem512 vmlinuz --memory 512M -- "grep MemTotal /proc/meminfo"
linux exit3 vmlinuz -- "exit 3"
linux reboot vmlinuz -- "reboot -f"
linux poweroff vmlinuz -- "poweroff -f"
linux timeout vmlinuz --timeout 20 -- "sleep 600"
# A panic: no pvpanic in Debian's arm64 kernels, husk reads the console.
linux panic vmlinuz -- "echo c > /proc/sysrq-trigger"

# virtio-blk: 16 MiB of random data written with fsync, compared with the
# image's sha256 on this side after the VM is gone.
dd if=/dev/zero of=/tmp/disk.img bs=1M count=16 2>/dev/null
linux disk-write vmlinuz --disk /tmp/disk.img -- \
    "dd if=/dev/urandom of=/dev/vda bs=1M count=16 conv=fsync 2>/dev/null && echo GUEST-SHA=\$(dd if=/dev/vda bs=1M count=16 2>/dev/null | sha256sum | cut -d' ' -f1)"
echo "HOST-SHA=$(sha256sum /tmp/disk.img | cut -d' ' -f1)"
rm -f /tmp/disk.img

# --net user: a DHCP lease and a 4 MiB download from this side's
# loopback (10.0.2.2 in the guest), with its sha256.
mkdir -p /tmp/www
echo hello-from-the-host > /tmp/www/hello
dd if=/dev/urandom of=/tmp/www/big bs=1M count=4 2>/dev/null
echo "BIG-HOST-SHA=$(sha256sum /tmp/www/big | cut -d' ' -f1)"
httpd -p 127.0.0.1:8000 -h /tmp/www
linux net-user vmlinuz --net user -- \
    "ip -4 addr show eth0; ip route; cat /etc/resolv.conf; wget -q -O - http://10.0.2.2:8000/hello; echo BIG-GUEST-SHA=\$(wget -q -O - http://10.0.2.2:8000/big | sha256sum | cut -d' ' -f1)"

# virtio-rng and virtio-console (hvc0 reaches husk's stdout).
linux rng vmlinuz -- \
    "echo RNG=\$(cat /sys/class/misc/hw_random/rng_current); echo HWRNG-BYTES=\$(dd if=/dev/hwrng bs=64 count=4 2>/dev/null | wc -c)"
linux vcon vmlinuz --console virtio -- \
    "echo VIA-HVC\$((1 + 1)) > /dev/hvc0"

# The control socket (husk-api under arm64's seccomp lists): status,
# pause, resume, powerdown refused (no power button), quit.
echo "=== BEGIN api"
husk run --kernel vmlinuz --initrd initramfs.cpio.gz --timeout 120 \
    --api-socket /tmp/api.sock --cmdline "$CMD husk.run=\"sleep 600\"" \
    </dev/null >/tmp/api.out 2>/tmp/api.err &
pid=$!
i=0
until [ -S /tmp/api.sock ] || [ $i -ge 100 ]; do sleep 0.1; i=$((i + 1)); done
grep -q HUSK-GUEST-READY /tmp/api.out || sleep 5
husk ctl /tmp/api.sock pause; echo "CTL-PAUSE=$?"
husk ctl /tmp/api.sock query-status
husk ctl /tmp/api.sock resume; echo "CTL-RESUME=$?"
husk ctl /tmp/api.sock powerdown; echo "CTL-POWERDOWN=$?"
husk ctl /tmp/api.sock quit; echo "CTL-QUIT=$?"
wait $pid
rc=$?
echo "=== STDERR api"
cat /tmp/api.err
echo "=== END api rc=$rc"

# What arm64 does not do yet is refused before the guest starts.
scenario snapshot-refused husk run --kernel vmlinuz --initrd initramfs.cpio.gz \
    --snapshot-on 0x70=/tmp/snap --timeout 20

# A bad Image is refused before anything runs, with the x86 statuses.
head -c 100 vmlinuz > /tmp/short.img
scenario bad-image husk run --kernel /tmp/short.img --timeout 20
printf 'not a kernel at all, just text' > /tmp/text.img
scenario not-a-kernel husk run --kernel /tmp/text.img --timeout 20
