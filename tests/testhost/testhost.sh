#!/bin/sh
# testhost.sh: boot a nested KVM test host under QEMU's software emulation
# (TCG with AMD SVM + nested paging) and run a scenario script inside it.
#
#   testhost.sh --husk BUILD/husk --scenario FILE [--file SRC[:DEST]]...
#               [--timeout SECS] [--smp N] [--mem MiB] [--arch arm64]
#
# --arch arm64: an arm64 test host instead (qemu-system-aarch64 -M
# virt,virtualization=on -cpu max,pauth=off: TCG with EL2, where KVM comes
# up in VHE mode; ../shared/testhost-arm64/recipe.sh measured it), with
# Debian's generic arm64 kernel (KVM built in) and busybox-static:arm64;
# husk is then build-arm64/husk, and dynamic arm64 programs get their
# libraries from this host's multiarch arm64 packages.
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
arch=amd64
while [ $# -gt 0 ]; do
    case "$1" in
    --arch) arch=$2; shift 2 ;;
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
case "$arch" in
amd64) qemu=qemu-system-x86_64 qpkg=qemu-system-x86 ;;
arm64) qemu=qemu-system-aarch64 qpkg=qemu-system-arm ;;
*) echo "testhost.sh: unknown --arch $arch (amd64|arm64)" >&2; exit 125 ;;
esac
command -v $qemu >/dev/null || { echo "testhost.sh: $qpkg is not installed" >&2; exit 125; }

kdir=$("$top/guest-images/fetch-kernel.sh" generic "$arch")
kver=$(cat "$kdir/kernel-release")

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
root=$tmp/root
mkdir -p "$root/bin" "$root/sbin" "$root/proc" "$root/sys" "$root/dev" \
         "$root/tmp" "$root/lib/modules" "$root/husk/bin" "$root/etc"
busybox=$("$top/guest-images/fetch-busybox.sh" "$arch")
run=
[ "$arch" = amd64 ] || run=qemu-aarch64-static
cp "$busybox" "$root/bin/busybox"
for app in $($run "$busybox" --list); do
    [ "$app" = busybox ] || ln -sf busybox "$root/bin/$app"
done
# arm64's generic kernel has KVM built in; x86's needs kvm-amd.
mods="drivers/net/tun.ko net/llc/llc.ko net/802/stp.ko net/bridge/bridge.ko
    net/vmw_vsock/vsock.ko net/vmw_vsock/vmw_vsock_virtio_transport_common.ko
    drivers/vhost/vhost_iotlb.ko drivers/vhost/vhost.ko drivers/vhost/vhost_vsock.ko
    drivers/net/tap.ko drivers/vhost/vhost_net.ko"
[ "$arch" = amd64 ] && mods="virt/lib/irqbypass.ko drivers/crypto/ccp/ccp.ko
    arch/x86/kvm/kvm.ko arch/x86/kvm/kvm-amd.ko $mods"
for m in $mods; do
    cp "$kdir/modules/kernel/$m" "$root/lib/modules/"
done

# The shared libraries a program needs (arm64: its DT_NEEDED closure in
# this host's multiarch arm64 libraries, and its interpreter).
libs_of() {
    if [ "$arch" = amd64 ]; then
        ldd "$1" 2>/dev/null | grep -o '/[^ ]*'
        return
    fi
    interp=$(readelf -l "$1" 2>/dev/null | sed -n 's/.*Requesting program interpreter: \(.*\)]/\1/p')
    [ -n "$interp" ] || return 0
    echo "$interp"
    "$top/tests/tools/elf-closure.sh" / "$1" | while read -r _ path; do
        echo "$path"
    done
}

# husk, plus every shared library it needs, at the same paths.
copy_with_libs() {
    cp "$1" "$2"
    for lib in $(libs_of "$1"); do
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
if [ "$arch" = amd64 ] && [ -x /usr/lib/qemu/virtiofsd ]; then
    mkdir -p "$root/usr/lib/qemu"
    copy_with_libs /usr/lib/qemu/virtiofsd "$root/usr/lib/qemu/virtiofsd"
fi
if [ "$arch" = amd64 ] && [ -x /usr/bin/qemu-storage-daemon ]; then
    mkdir -p "$root/usr/bin"
    copy_with_libs /usr/bin/qemu-storage-daemon "$root/usr/bin/qemu-storage-daemon"
fi
echo "$files" | while IFS= read -r spec; do
    [ -n "$spec" ] || continue
    src=${spec%%:*}
    dest=${spec#*:}
    [ "$dest" != "$spec" ] || dest=$(basename "$src")
    mkdir -p "$root/husk/$(dirname "$dest")"
    if [ -x "$src" ] && [ -n "$(libs_of "$src")" ]; then
        copy_with_libs "$src" "$root/husk/$dest"
    else
        cp "$src" "$root/husk/$dest"
    fi
done
# Fair timing for side-by-side benchmarks (scrub.sh).
cp "$here/scrub.sh" "$root/husk/bin/testhost-scrub"
cp "$scenario" "$root/scenario.sh"
# Scenario files source their framing from beside themselves.
if [ -f "$(dirname "$scenario")/scenario-lib.sh" ]; then
    cp "$(dirname "$scenario")/scenario-lib.sh" "$root/scenario-lib.sh"
fi

cat > "$root/init" <<'INIT'
#!/bin/sh
export PATH=/bin:/sbin:/husk/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mount -t tmpfs tmpfs /tmp
ip link set lo up
# The watchdog's nudges are serial breaks: not input for anyone here.
stty ignbrk < /dev/console 2>/dev/null
# Memory compaction for huge pages wedged this host under TCG (soft
# lockups in kcompactd while nested guests ran): no THP, no proactive
# compaction.
echo 0 > /proc/sys/vm/compaction_proactiveness 2>/dev/null
for m in irqbypass ccp kvm kvm-amd; do
    [ -e /lib/modules/$m.ko ] || continue # arm64: KVM is built in
    insmod /lib/modules/$m.ko || echo "testhost: insmod $m failed"
done
# TAP devices and a bridge for the network tests.  vhost-vsock's and
# vhost-net's modules are here too, loaded only by the scenarios that use
# them (--vsock, TAP with vhost-net), so the others see a host without.
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
# Nudges: the emulated x86 host (QEMU 7.2's TCG with nested SVM) loses
# interrupts.  Seen from its monitor when "wedged": CPU halted with
# interrupts enabled, the local APIC timer's vector pending in IRR
# (ISR empty, PPR below it), timer expired, so nothing would ever wake
# it; the outer QEMU idle at 0% CPU.  Any new interrupt makes QEMU look
# at the APIC again and the host runs on: a serial break on its console
# (chardev-send-break, through a monitor on a pipe) revived it at once.
# So after $nudge seconds without console output, and every $nudge
# seconds after that, the watchdog sends the console a break (the host's
# tty ignores breaks: init sets ignbrk).  A break costs a quiet but live
# host one interrupt.
nudge=${TESTHOST_NUDGE:-30}
# Stall watchdog: if the console stays silent for $stall seconds in spite
# of the nudges, kill the host: the caller sees 125 and "stalled" instead
# of waiting for the overall timeout.  600 s: the slowest quiet scenario
# (a 256 KiB UART flood under load) was seen silent for over 300 s.
stall=${TESTHOST_STALL:-600}
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
mkfifo "$tmp/mon.in" "$tmp/mon.out"
# The monitor's replies are drained into a file (diagnostics only).
cat "$tmp/mon.out" > "$tmp/mon.log" 2>/dev/null &
drain=$!
(
    last=-1
    idle=0
    nudged=0
    # Breaks sent in the current silence: the next is due at
    # (k + 1) * $nudge seconds of it, whatever $nudge is.
    k=0
    while sleep 10; do
        size=$(wc -c < "$tmp/out" 2>/dev/null || echo 0)
        if [ "$size" = "$last" ]; then
            idle=$((idle + 10))
        else
            [ "$nudged" = 1 ] && echo revived >> "$tmp/nudges"
            idle=0
            k=0
            last=$size
        fi
        nudged=0
        if [ "$idle" -ge $(((k + 1) * nudge)) ]; then
            k=$((k + 1))
            # Bounded: opening the FIFO would block if QEMU were gone.
            timeout 5 sh -c "echo 'chardev-send-break serial0' > '$tmp/mon.in'" 2>/dev/null &&
                echo sent >> "$tmp/nudges" && nudged=1
        fi
        if [ "$idle" -ge "$stall" ]; then
            echo "stalled" > "$tmp/stalled"
            pkill -f "$qemu.*$tmp/host.cpio" 2>/dev/null
            break
        fi
    done
) &
watchdog=$!
trap 'kill $watchdog $drain 2>/dev/null || true; rm -rf "$tmp"' EXIT
if [ "$arch" = amd64 ]; then
    machine="-M q35,accel=tcg -cpu EPYC,+svm,+npt"
    console=ttyS0
else
    # EL2 for KVM; pauth=off: emulated pointer authentication made
    # everything 4-6x slower (recipe.sh).
    machine="-M virt,virtualization=on,gic-version=3 -cpu max,pauth=off"
    console=ttyAMA0
fi
# shellcheck disable=SC2086
# shellcheck disable=SC2086
timeout --kill-after=10 "$timeout" $qemu $monitor \
    -chardev pipe,id=wd,path="$tmp/mon" -mon chardev=wd,mode=readline $machine -m "$mem" -smp "$smp" \
    -nographic -no-reboot -nodefaults -serial stdio \
    -kernel "$kdir/vmlinuz" -initrd "$tmp/host.cpio" \
    -append "console=$console panic=-1 quiet transparent_hugepage=$thp" 2>"$tmp/qemu.err" | tee "$tmp/out" \
    | grep -v '^TESTHOST-RESULT' || true
rc=$(sed -n 's/^TESTHOST-RESULT: \([0-9]*\).*/\1/p' "$tmp/out" | tail -n1)
if [ -s "$tmp/nudges" ]; then
    echo "testhost.sh: $(grep -c sent "$tmp/nudges") serial breaks sent after ${nudge}s of console silence; output resumed right after $(grep -c revived "$tmp/nudges") of them" >&2
fi
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
