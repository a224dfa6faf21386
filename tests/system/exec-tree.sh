# exec-tree.sh: sourced with W set; makes $W/ktree, a fake kernel build
# tree (Makefile, modules.order, the modules at their paths and the
# kernel as arch/x86/boot/bzImage) from vmlinuz and exec-modules.tar
# (exec-modules.sh: some of the cloud kernel's modules), with no
# modules.dep: husk exec stages it and runs depmod (busybox's in the test
# host).  $W/ktree-nofs is the same without virtiofs.ko.
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
