#!/bin/sh
# boot-arm64.sh [RUNS]: arm64, husk against QEMU, side by side in one run
# inside the nested arm64 test host (testhost.sh --arch arm64):
#  - boot to the initramfs marker with Debian's stock cloud arm64 kernel
#    and the arm64 default initramfs, same kernel, initramfs, memory
#    (256M) and vCPUs (1); QEMU is Debian's arm64 qemu-system-aarch64
#    (-M virt,gic-version=3 -enable-kvm -cpu host; fetch-qemu-arm64.sh).
#    The guest's init prints HUSK-GUEST-READY, runs `true` and ends the
#    VM (husk: its exit device; QEMU: poweroff, PSCI SYSTEM_OFF).
#  - VMM start-up and teardown with a tiny guest (guest-images/tiny/
#    tiny_arm64.S: an Image that asks PSCI for SYSTEM_OFF at once).
# Runs alternate (husk, QEMU, husk...), and before each Linux boot the
# test host's free memory is written over (tests/testhost/scrub.sh): the
# outer QEMU keeps code it translated keyed by physical pages, and a VM
# given pages where another VM ran code was seen to take 8-17 s longer;
# each VMM boots on scrubbed pages.  Reported per system: time to the marker
# and to exit, CPU time and peak RSS (medians, min, max).  Every run is
# bounded (120 s).  husk for arm64: make build-arm64.
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
runs=${1:-10}
"$top/scripts/build-arm64.sh" >/dev/null
g=$("$top/guest-images/default-guest.sh" arm64)
qtar=$("$top/tests/bench/fetch-qemu-arm64.sh")
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
aarch64-linux-gnu-gcc -nostdlib -static -Wl,-Ttext=0 -Wl,--build-id=none \
    -o "$tmp/tiny.elf" "$top/guest-images/tiny/tiny_arm64.S"
aarch64-linux-gnu-objcopy -O binary "$tmp/tiny.elf" "$tmp/tiny.img"
cat > "$tmp/scen" <<SCEN
tar xf qemu.tar
scrub() { testhost-scrub; }
HUSK="timeout 150 husk run --memory 256M --cpus 1 --timeout 120"
QEMU="timeout 120 env LD_LIBRARY_PATH=qemu/lib qemu/qemu-system-aarch64 -M virt,gic-version=3 -enable-kvm -cpu host -m 256M -smp 1 -nodefaults -no-user-config -nographic -display none -serial stdio -no-reboot"
out=/tmp/boot.txt
: > \$out
i=0
while [ \$i -lt $runs ]; do
    scrub
    echo "husk \$(runstat -m HUSK-GUEST-READY -- \$HUSK --kernel vmlinuz --initrd initramfs.cpio.gz --cmdline 'console=ttyS0 quiet husk.run=true' </dev/null 2>/dev/null)" | tee -a \$out
    scrub
    echo "qemu-virt \$(runstat -m HUSK-GUEST-READY -- \$QEMU -kernel vmlinuz -initrd initramfs.cpio.gz -append 'console=ttyAMA0 quiet husk.run=true' </dev/null 2>/dev/null)" | tee -a \$out
    echo "husk-tiny \$(runstat -- \$HUSK --kernel tiny.img </dev/null 2>/dev/null)" | tee -a \$out
    echo "qemu-virt-tiny \$(runstat -- \$QEMU -kernel tiny.img </dev/null 2>/dev/null)" | tee -a \$out
    i=\$((i + 1))
done
echo "--- summary (marker_ms: launch to HUSK-GUEST-READY; wall_ms: launch to exit)"
echo "--- statuses: husk 0 (exit device), QEMU 0 (PSCI SYSTEM_OFF)"
sh ./summarize.sh \$out
SCEN
"$top/tests/bench/run-scenario.sh" boot-arm64 "$tmp/scen" --arch arm64 \
    --file "$g/vmlinuz:vmlinuz" --file "$g/initramfs.cpio.gz:initramfs.cpio.gz" \
    --file "$qtar:qemu.tar" --file "$tmp/tiny.img:tiny.img"
