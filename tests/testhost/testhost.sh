#!/bin/sh
# testhost.sh: boot a nested KVM test host under QEMU's software emulation
# (TCG with AMD SVM + nested paging) and run a scenario script inside it.
#
#   testhost.sh --husk BUILD/husk --scenario FILE [--file SRC[:DEST]]...
#               [--timeout SECS] [--smp N] [--mem MiB]
#
# The test host is Debian's generic kernel (which has kvm-amd) with a
# busybox initramfs built here: it loads irqbypass, ccp, kvm and kvm-amd,
# so /dev/kvm inside is real (nested) KVM, then runs FILE with sh in /husk,
# where husk is bin/husk (with the libraries ldd lists) and each --file is
# copied (to DEST under /husk, default its basename).  The scenario's
# output appears on stdout; the script exits with the scenario's status,
# or 125 if the test host failed or timed out.  See docs/testing.md.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
cache=${HUSK_CACHE:-$HOME/.cache/husk}
husk=
scenario=
timeout=600
# One CPU: with two, the nested host wedged about once in 35-80 VM boots
# (both CPUs spinning, interrupts off); with one, 80 of 80 boots were clean.
smp=1
mem=2048
files=
while [ $# -gt 0 ]; do
    case "$1" in
    --husk) husk=$2; shift 2 ;;
    --scenario) scenario=$2; shift 2 ;;
    --file) files="$files
$2"; shift 2 ;;
    --timeout) timeout=$2; shift 2 ;;
    --smp) smp=$2; shift 2 ;;
    --mem) mem=$2; shift 2 ;;
    *) echo "testhost.sh: unknown argument $1" >&2; exit 125 ;;
    esac
done
[ -n "$husk" ] && [ -n "$scenario" ] || { echo "testhost.sh: need --husk and --scenario" >&2; exit 125; }
command -v qemu-system-x86_64 >/dev/null || { echo "testhost.sh: qemu-system-x86 is not installed" >&2; exit 125; }

kdir=$("$top/guest-images/fetch-kernel.sh" generic)
kver=$(cat "$kdir/kernel-release")

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
root=$tmp/root
mkdir -p "$root/bin" "$root/sbin" "$root/proc" "$root/sys" "$root/dev" \
         "$root/tmp" "$root/lib/modules" "$root/husk/bin" "$root/etc"
cp /bin/busybox "$root/bin/busybox"
for app in $(/bin/busybox --list); do
    [ "$app" = busybox ] || ln -sf busybox "$root/bin/$app"
done
for m in virt/lib/irqbypass.ko drivers/crypto/ccp/ccp.ko \
         arch/x86/kvm/kvm.ko arch/x86/kvm/kvm-amd.ko \
         drivers/net/tun.ko net/llc/llc.ko net/802/stp.ko net/bridge/bridge.ko; do
    cp "$kdir/modules/kernel/$m" "$root/lib/modules/"
done

# husk, plus every shared library it needs, at the same paths.
copy_with_libs() {
    cp "$1" "$2"
    for lib in $(ldd "$1" 2>/dev/null | grep -o '/[^ ]*'); do
        mkdir -p "$root$(dirname "$lib")"
        cp -L "$lib" "$root$lib"
    done
}
copy_with_libs "$husk" "$root/husk/bin/husk"
# --net user's helper process sits next to husk.
if [ -x "$(dirname "$husk")/husk-slirp" ]; then
    copy_with_libs "$(dirname "$husk")/husk-slirp" "$root/husk/bin/husk-slirp"
fi
# The control socket's helper (--api-socket, husk ctl), next to husk.
if [ -x "$(dirname "$husk")/husk-api" ]; then
    copy_with_libs "$(dirname "$husk")/husk-api" "$root/husk/bin/husk-api"
fi
# husk exec's guest init, where husk looks for it (next to husk).
if [ -x "$(dirname "$husk")/husk-init" ]; then
    cp "$(dirname "$husk")/husk-init" "$root/husk/bin/husk-init"
fi
# The vhost-user backends husk starts, where husk looks for them:
# virtiofsd for --share (virtiofsd.c), qemu-storage-daemon for qcow2
# disks (qsd.c).
if [ -x /usr/lib/qemu/virtiofsd ]; then
    mkdir -p "$root/usr/lib/qemu"
    copy_with_libs /usr/lib/qemu/virtiofsd "$root/usr/lib/qemu/virtiofsd"
fi
if [ -x /usr/bin/qemu-storage-daemon ]; then
    mkdir -p "$root/usr/bin"
    copy_with_libs /usr/bin/qemu-storage-daemon "$root/usr/bin/qemu-storage-daemon"
fi
echo "$files" | while IFS= read -r spec; do
    [ -n "$spec" ] || continue
    src=${spec%%:*}
    dest=${spec#*:}
    [ "$dest" != "$spec" ] || dest=$(basename "$src")
    mkdir -p "$root/husk/$(dirname "$dest")"
    if [ -x "$src" ] && ldd "$src" >/dev/null 2>&1; then
        copy_with_libs "$src" "$root/husk/$dest"
    else
        cp "$src" "$root/husk/$dest"
    fi
done
cp "$scenario" "$root/scenario.sh"

cat > "$root/init" <<'INIT'
#!/bin/sh
export PATH=/bin:/sbin:/husk/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mount -t tmpfs tmpfs /tmp
ip link set lo up
# Memory compaction for huge pages wedged this host under TCG (soft
# lockups in kcompactd while nested guests ran): no THP, no proactive
# compaction.
echo 0 > /proc/sys/vm/compaction_proactiveness 2>/dev/null
for m in irqbypass ccp kvm kvm-amd; do
    insmod /lib/modules/$m.ko || echo "testhost: insmod $m failed"
done
# TAP devices and a bridge for the network tests.
for m in tun llc stp bridge; do
    insmod /lib/modules/$m.ko 2>/dev/null
done
mkdir -p /dev/net
[ -e /dev/net/tun ] || mknod /dev/net/tun c 10 200
echo "TESTHOST-THP: $(sed 's/.*\[\(.*\)\].*/\1/' /sys/kernel/mm/transparent_hugepage/enabled 2>/dev/null)"
if [ -e /dev/kvm ]; then
    echo "TESTHOST-READY: nested KVM available"
    cd /husk
    sh /scenario.sh
    rc=$?
else
    echo "TESTHOST-ERROR: no /dev/kvm in the test host"
    rc=125
fi
echo "TESTHOST-RESULT: $rc"
poweroff -f
INIT
chmod 755 "$root/init"
(cd "$root" && find . | cpio -o -H newc --quiet -R 0:0) > "$tmp/host.cpio"

# TESTHOST_MONITOR=PATH: a QEMU monitor socket, to inspect a stuck host.
monitor=${TESTHOST_MONITOR:+-monitor unix:$TESTHOST_MONITOR,server,nowait}
# Stall watchdog: the nested host (KVM on QEMU's emulated SVM) has been
# seen to wedge with both CPUs spinning and its clock stopped, so no
# timeout inside it fires.  If the console stays silent for $stall
# seconds, kill it: the caller sees 125 and "stalled" instead of waiting
# for the overall timeout.
stall=${TESTHOST_STALL:-300}
# TESTHOST_THP=never|madvise|always: the test host's transparent huge page
# mode (its kernel's transparent_hugepage=).  never by default: with
# compaction for huge pages, the emulated host once wedged in kcompactd.
# The mode is printed first ("TESTHOST-THP: ..."), so every benchmark's
# output says which it ran under.
thp=${TESTHOST_THP:-never}
case $thp in
never|madvise|always) ;;
*) echo "testhost.sh: TESTHOST_THP must be never, madvise or always" >&2; exit 125 ;;
esac
: > "$tmp/out"
(
    last=-1
    idle=0
    while sleep 10; do
        size=$(wc -c < "$tmp/out" 2>/dev/null || echo 0)
        if [ "$size" = "$last" ]; then
            idle=$((idle + 10))
        else
            idle=0
            last=$size
        fi
        if [ "$idle" -ge "$stall" ]; then
            echo "stalled" > "$tmp/stalled"
            pkill -f "qemu-system-x86_64.*$tmp/host.cpio" 2>/dev/null
            break
        fi
    done
) &
watchdog=$!
trap 'kill $watchdog 2>/dev/null; rm -rf "$tmp"' EXIT
# shellcheck disable=SC2086
timeout --kill-after=10 "$timeout" qemu-system-x86_64 $monitor \
    -M q35,accel=tcg -cpu EPYC,+svm,+npt -m "$mem" -smp "$smp" \
    -nographic -no-reboot -nodefaults -serial stdio \
    -kernel "$kdir/vmlinuz" -initrd "$tmp/host.cpio" \
    -append "console=ttyS0 panic=-1 quiet transparent_hugepage=$thp" 2>"$tmp/qemu.err" | tee "$tmp/out" \
    | grep -v '^TESTHOST-RESULT' || true
rc=$(sed -n 's/^TESTHOST-RESULT: \([0-9]*\).*/\1/p' "$tmp/out" | tail -n1)
if [ -z "$rc" ]; then
    if [ -e "$tmp/stalled" ]; then
        echo "testhost.sh: the test host stalled (no console output for ${stall}s) and was stopped" >&2
        exit 125
    fi
    echo "testhost.sh: the test host did not finish (timeout ${timeout}s or crash)" >&2
    grep -v "TCG doesn't support" "$tmp/qemu.err" >&2 || true
    exit 125
fi
exit "$rc"
