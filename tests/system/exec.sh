# exec.sh: the system suite's husk exec scenarios, sourced by scenarios.sh
# inside the test host (whose own root, a busybox initramfs, is "the
# host's root" here); needs its scenario(), vmlinuz, exec-modules.tar and
# exec-tree.sh.

. ./exec-tree.sh
mkdir -p $W/xd/rw $W/xd/cwd
dd if=/dev/urandom of=$W/xd/a bs=1M count=1 2>/dev/null
dd if=/dev/urandom of=$W/xd/b bs=1M count=1 2>/dev/null
echo "HOST-A-SHA=$(sha256sum < $W/xd/a | cut -d' ' -f1)"
echo "HOST-B-SHA=$(sha256sum < $W/xd/b | cut -d' ' -f1)"
export HOME=/root
mkdir -p /root
X="husk exec --kernel $W/ktree/arch/x86/boot/bzImage --timeout 200"

scenario exec-uname $X -- uname -r
# No --kernel: the newest cloud kernel in husk's cache (HUSK_CACHE here),
# with the modules beside it (an unpacked package: no modules.dep).
mkdir -p $W/cache/kernel/linux-image-test-cloud-amd64-1/modules
cp vmlinuz $W/cache/kernel/linux-image-test-cloud-amd64-1/vmlinuz
tar -xf exec-modules.tar -C $W/cache/kernel/linux-image-test-cloud-amd64-1/modules
scenario exec-default-kernel env HUSK_CACHE=$W/cache husk exec --timeout 200 \
    -- sh -c 'echo "RELEASE=$(uname -r)"; ls /lib/modules/$(uname -r)/modules.dep'
scenario exec-exit3 $X -- sh -c 'exit 3'
scenario exec-not-found $X -- no-such-command
# 1 MiB on stdout and another on stderr, byte for byte and apart.
echo "=== BEGIN exec-streams"
$X -- sh -c "cat $W/xd/a; cat $W/xd/b >&2" \
    > /tmp/exec-out 2> /tmp/exec-err </dev/null
rc=$?
echo "EXEC-OUT-SHA=$(sha256sum < /tmp/exec-out | cut -d' ' -f1)"
echo "EXEC-ERR-SHA=$(sha256sum < /tmp/exec-err | cut -d' ' -f1)"
echo "=== END exec-streams rc=$rc"
# A reader that stops reading ends COMMAND as a pipe would (141).
echo "=== BEGIN exec-sigpipe"
({ $X -- yes; echo "HUSK-RC=$?" >&2; } | head -n 1) 2>&1
echo "=== END exec-sigpipe rc=$?"
# stdin: a NUL byte and end of file (od ends only on EOF).
echo "=== BEGIN exec-stdin"
printf 'a\0b' | $X -- od -An -c
echo "=== END exec-stdin rc=$?"
# Writes: to / they stay in the guest's overlay; to --rw they reach here.
scenario exec-overlay $X --rw $W/xd/rw -- sh -c \
    "echo guest > $W/xd/overlay-file && cat $W/xd/overlay-file &&
     echo through > $W/xd/rw/file && echo WROTE"
echo "HOST-OVERLAY-FILE=$([ -e $W/xd/overlay-file ] && echo present || echo absent)"
echo "HOST-RW-FILE=$(cat $W/xd/rw/file 2>/dev/null || echo absent)"
# --share DIR,ro: at its own path, and read-only.
mkdir -p $W/xd/ro
echo kept > $W/xd/ro/file
scenario exec-share-ro $X --share $W/xd/ro,ro -- sh -c \
    "cat $W/xd/ro/file; echo x > $W/xd/ro/file 2>/dev/null || echo RO-REFUSED"
echo "HOST-EXEC-RO-FILE=$(cat $W/xd/ro/file)"
# --net user: eth0 is up with husk-slirp's address; the host's loopback
# is 10.0.2.2.
(echo HELLO-FROM-HOST | timeout 120 nc -l -p 18123 >/dev/null) &
scenario exec-net $X --net user -- sh -c \
    "cat /etc/resolv.conf; sleep 2 | nc 10.0.2.2 18123"
wait
# --disk: the guest's /dev/vda.
printf 'DISK-SECTOR-0' > /tmp/exec-disk.img
dd if=/dev/zero bs=1M count=1 >> /tmp/exec-disk.img 2>/dev/null
scenario exec-disk $X --disk /tmp/exec-disk.img,ro -- sh -c \
    "head -c 13 /dev/vda; echo"
rm -f /tmp/exec-disk.img
# The caller's working directory, and --env.
echo "=== BEGIN exec-cwd"
(cd $W/xd/cwd && $X --env HUSK_TEST=yes -- sh -c 'echo "CWD=$(pwd) HUSK_TEST=$HUSK_TEST"')
echo "=== END exec-cwd rc=$?"
# A module of the build tree, by modprobe (the tree found from the kernel's
# path; --modules names it explicitly).
scenario exec-modprobe $X --modules $W/ktree -- sh -c \
    'modprobe dummy && grep -q "^dummy " /proc/modules && echo MODPROBE-OK'
scenario exec-panic $X -- sh -c 'echo c > /proc/sysrq-trigger'
# Without pvpanic's driver a panic is a reboot (panic=-1): still 120.
mkdir -p $W/ktree-nopvpanic
(cd $W/ktree && tar -cf - .) | tar -xf - -C $W/ktree-nopvpanic
rm -rf $W/ktree-nopvpanic/drivers/misc/pvpanic
scenario exec-panic-reboot $X --modules $W/ktree-nopvpanic -- sh -c \
    'echo c > /proc/sysrq-trigger'
scenario exec-timeout husk exec --kernel $W/ktree/arch/x86/boot/bzImage \
    --timeout 40 -- sleep 600
scenario exec-no-virtiofs husk exec --kernel $W/ktree/arch/x86/boot/bzImage \
    --modules $W/ktree-nofs --timeout 200 -- true
# Before any guest: one line and husk's own status.
scenario exec-no-command husk exec --kernel $W/ktree/arch/x86/boot/bzImage
scenario exec-bad-modules husk exec --kernel $W/ktree/arch/x86/boot/bzImage \
    --modules $W/xd -- true
rm -rf "$W"
