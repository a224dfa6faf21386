# exec-tree.sh: sourced; sets W and makes $W/ktree, a fake kernel build
# tree (Makefile, modules.order, the modules at their paths and the
# kernel as arch/x86/boot/bzImage) from vmlinuz and exec-modules.tar
# (exec-modules.sh: some of the cloud kernel's modules), with no
# modules.dep: husk exec stages it and runs depmod (busybox's in the test
# host).  $W/ktree-nofs is the same without virtiofs.ko.
# W is where the guest sees it through the shared root: not under /tmp or
# /run, which are the guest's own (the scenario's directory is /husk in
# the test host, a scratch directory under /tmp on a host with hardware
# KVM).
case $(pwd) in
/tmp/* | /run/*) W=/var/tmp/husk-exec-work-$$ ;;
*) W=$(pwd)/exec-work ;;
esac
rm -rf "$W"
mkdir -p "$W/ktree/arch/x86/boot" "$W/xd"
tar -xf exec-modules.tar -C "$W/ktree"
(cd "$W/ktree" && sed -n 's|^kernel/||p' modules.order > o &&
    mv o modules.order && mv kernel/* . && rmdir kernel)
echo "# a kernel build tree, as far as husk exec looks" > "$W/ktree/Makefile"
cp vmlinuz "$W/ktree/arch/x86/boot/bzImage"
mkdir -p "$W/ktree-nofs"
(cd "$W/ktree" && tar -cf - .) | tar -xf - -C "$W/ktree-nofs"
rm -f "$W/ktree-nofs/fs/fuse/virtiofs.ko"
