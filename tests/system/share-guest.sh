# share-guest.sh: the guest's side of the virtio-fs scenarios (shares.sh).
# It arrives in the guest on the read-only share "tools" (/mnt/tools) and
# is run from a copy in /tmp, so the shares can be unmounted under it.
#   share-guest.sh tree    sums the tree on /mnt/src as tree-sum does on
#                          the host; writes /mnt/src/from-guest; tries to
#                          write the read-only share; unbinds and binds the
#                          virtio-fs driver and sums the tree again
#   share-guest.sh killed  tells the host it is ready, then reads until a
#                          read fails (virtiofsd was killed)
# Lines KEY=VALUE are for check_system.c.  shares.sh sources it with
# share_guest_mode=functions for tree_sum alone.

tree_sum() { # DIR: a sum over names, file contents, links and a big dir
    (
        cd "$1" || exit 1
        find . -path ./dir1000 -prune -o -path ./from-guest -prune -o \
            -type f -print | LC_ALL=C sort | while IFS= read -r f; do
            echo "F $f $(sha256sum < "$f" | cut -d' ' -f1)"
        done
        find . -type l | LC_ALL=C sort | while IFS= read -r f; do
            echo "L $f $(readlink "$f")"
        done
        echo "D $(ls dir1000 | wc -l) $(ls dir1000 | LC_ALL=C sort | sha256sum | cut -d' ' -f1)"
    ) | sha256sum | cut -d' ' -f1
}

case "${share_guest_mode:-$1}" in
tree)
    echo "GUEST-TREE-SUM=$(tree_sum /mnt/src)"
    dd if=/dev/urandom of=/mnt/src/from-guest bs=64K count=16 2>/dev/null
    sync
    echo "GUEST-WROTE-SHA=$(sha256sum < /mnt/src/from-guest | cut -d' ' -f1)"
    if echo x > /mnt/tools/not-here 2>/dev/null; then
        echo "RO-SHARE=written"
    else
        echo "RO-SHARE=refused"
    fi
    # The driver let go of both devices and took them again: the shares
    # mount anew and read the same.
    umount /mnt/src /mnt/tools
    n=0
    for d in /sys/bus/virtio/drivers/virtiofs/virtio*; do
        dev=${d##*/}
        echo "$dev" > /sys/bus/virtio/drivers/virtiofs/unbind
        echo "$dev" > /sys/bus/virtio/drivers/virtiofs/bind
        n=$((n + 1))
    done
    echo "REBOUND=$n"
    mount -t virtiofs src /mnt/src && mount -t virtiofs -o ro tools /mnt/tools
    echo "GUEST-TREE-SUM-AGAIN=$(tree_sum /mnt/src)"
    ;;
killed)
    # Reading while virtiofsd is killed: the read in flight and those
    # after it fail (husk answers them), none hangs.
    cat /mnt/src/big > /dev/null && echo "READ-BEFORE=ok"
    : > /mnt/src/ready
    i=0
    while [ $i -lt 600 ]; do
        if ! cat /mnt/src/big > /dev/null 2>&1; then
            echo "READ-AFTER=error"
            break
        fi
        i=$((i + 1))
    done
    ls /mnt/src > /dev/null 2>&1 || echo "LS-AFTER=error"
    echo "GUEST-STILL-RUNNING"
    ;;
esac
