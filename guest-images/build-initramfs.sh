#!/bin/sh
# build-initramfs.sh KERNEL_DIR OUT_DIR [ARCH]
# Builds the default guest's root tree for ARCH (amd64, the default, or
# arm64, cross-compiled; guest-images/fetch-busybox.sh gives its busybox)
# (busybox-static, the virtio and pvpanic modules of the kernel in
# KERNEL_DIR, init, husk-exit) into
# OUT_DIR/initramfs.cpio.gz, and the same tree as an ext4 disk image
# OUT_DIR/root.img (mke2fs -d: no root privileges, no loop mounts), without
# touching the host system.  OUT_DIR is keyed by the caller on every input,
# so a second build does nothing.
set -eu
kdir=$1
out=$2
arch=${3:-amd64}
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
if [ -f "$out/initramfs.cpio.gz" ] && [ -f "$out/root.img" ]; then
    exit 0
fi
mke2fs=$(command -v mke2fs || echo /sbin/mke2fs)
[ -x "$mke2fs" ] || { echo "build-initramfs.sh: needs mke2fs (apt-get install e2fsprogs)" >&2; exit 1; }
busybox=$("$here/fetch-busybox.sh" "$arch")
# The guest's programs: for the guest's architecture (husk-init_ARCH.c
# is the machine side of husk-exit and husk-mark), run here only through
# qemu-user when it is not the host's.
case "$arch" in
amd64) cc=${CC:-cc} march=x86 run= ;;
arm64) cc=aarch64-linux-gnu-gcc march=arm64 run=qemu-aarch64-static ;;
*) echo "build-initramfs.sh: unknown architecture '$arch'" >&2; exit 2 ;;
esac
command -v "$cc" >/dev/null || { echo "build-initramfs.sh: needs $cc" >&2; exit 1; }
modinfo=$(command -v modinfo || echo /sbin/modinfo)
[ -x "$modinfo" ] || { echo "build-initramfs.sh: needs modinfo (apt-get install kmod)" >&2; exit 1; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
root=$tmp/root
mkdir -p "$root/bin" "$root/sbin" "$root/usr/bin" "$root/usr/sbin" "$root/proc" \
         "$root/sys" "$root/dev" "$root/etc" "$root/lib/modules" "$root/tmp" \
         "$root/root" "$root/usr/share/udhcpc" "$root/mnt"
cp "$busybox" "$root/bin/busybox"
for app in $($run "$busybox" --list); do
    [ "$app" = busybox ] || ln -sf busybox "$root/bin/$app"
done
cp "$here/initramfs/init" "$root/init"
chmod 755 "$root/init"
io="-I$top $here/exec/husk-init_$march.c"
# shellcheck disable=SC2086
"$cc" -static -Os -s -o "$root/bin/husk-exit" "$here/initramfs/husk-exit.c" $io
# shellcheck disable=SC2086
"$cc" -static -Os -s -o "$root/bin/husk-mark" "$here/initramfs/husk-mark.c" $io
"$cc" -static -O2 -s -o "$root/bin/husk-randread" "$here/initramfs/husk-randread.c"
"$cc" -static -O2 -s -o "$root/bin/husk-rr" "$here/initramfs/husk-rr.c"
"$cc" -static -O2 -s -o "$root/bin/husk-records" "$here/initramfs/husk-records.c"
"$cc" -static -O2 -s -o "$root/bin/husk-vsock" "$here/initramfs/husk-vsock.c"
install -m 755 "$here/initramfs/husk-diskbench" "$root/bin/husk-diskbench"
install -m 755 "$here/initramfs/husk-netbench" "$root/bin/husk-netbench"
install -m 755 "$here/initramfs/husk-sharebench" "$root/bin/husk-sharebench"

# Modules, dependencies first (modinfo's "depends" field, resolved by name).
# (arm64's Debian kernels have no pvpanic, nor an ACPI power button.)
mods="virtio_mmio virtio_blk virtio_net virtio_console virtio-rng vmw_vsock_virtio_transport"
power="button evdev"
if [ "$arch" = amd64 ]; then
    mods="$mods pvpanic-mmio"
else
    power=
fi
find "$kdir/modules/kernel" -name '*.ko' > "$tmp/all"
order=
add_mod() { # NAME [LIST]: the module and its dependencies, into LIST
    local name path deps dep list
    list=${2:-husk-modules}
    name=$(echo "$1" | tr - _)
    case " $order " in *" $name "*) return 0 ;; esac
    path=$(grep -E "/($1|$(echo "$1" | tr _ -)|$name)\.ko$" "$tmp/all" | head -n1)
    [ -n "$path" ] || { echo "build-initramfs.sh: module $1 not found" >&2; exit 1; }
    deps=$("$modinfo" -F depends "$path") || exit 1
    for dep in $(echo "$deps" | tr , ' '); do
        add_mod "$dep" "$list"
    done
    case " $order " in *" $name "*) return 0 ;; esac
    order="$order $name"
    cp "$path" "$root/lib/modules/$name.ko"
    echo "$name.ko" >> "$root/etc/$list"
}
: > "$root/etc/husk-modules"
: > "$root/etc/husk-modules-virtiofs"
: > "$root/etc/husk-modules-power"
for m in $mods; do add_mod "$m"; done
# The ACPI power button (husk ctl SOCKET powerdown): loaded by init in the
# background, so the boot does not wait for it.
for m in $power; do add_mod "$m" husk-modules-power; done
# virtio-fs (--share): loaded by init only when a share is named, so a
# boot without one does not pay for it.
for m in virtiofs; do add_mod "$m" husk-modules-virtiofs; done

cat > "$root/usr/share/udhcpc/default.script" <<'SCRIPT'
#!/bin/sh
case "$1" in
bound|renew)
    ip addr flush dev "$interface"
    ip addr add "$ip/${mask:-24}" dev "$interface"
    [ -n "$router" ] && ip route add default via "${router%% *}" dev "$interface"
    : > /etc/resolv.conf
    for d in $dns; do echo "nameserver $d" >> /etc/resolv.conf; done
    ;;
esac
exit 0
SCRIPT
chmod 755 "$root/usr/share/udhcpc/default.script"
echo "root:x:0:0:root:/root:/bin/sh" > "$root/etc/passwd"

mkdir -p "$out"
(cd "$root" && find . | sort | cpio -o -H newc --quiet -R 0:0) | gzip -1 > "$tmp/initramfs.cpio.gz"
# The disk flavour: the same tree, marked so init knows it is the root.
echo "husk root filesystem" > "$root/etc/husk-rootfs"
"$mke2fs" -q -t ext4 -L huskroot -d "$root" -E root_owner=0:0 "$tmp/root.img" 32M >/dev/null 2>&1 ||
    { echo "build-initramfs.sh: mke2fs failed" >&2; exit 1; }
mv "$tmp/initramfs.cpio.gz" "$out/initramfs.cpio.gz"
mv "$tmp/root.img" "$out/root.img"
