# shares.sh: the system suite's virtio-fs scenarios (husk run --share with
# virtiofsd), sourced by scenarios.sh inside the test host; needs its
# scenario() and linux() and share-guest.sh next to it.

# tree_sum, the same function the guest runs (share-guest.sh, sourced for
# its functions only).
share_guest_mode=functions
. ./share-guest.sh
unset share_guest_mode

# The tree: a big file, an empty one, a symlink, a name with spaces and
# UTF-8, a directory of 1,000 entries.
rm -rf /tmp/share /tmp/tools
mkdir -p /tmp/share/dir1000 /tmp/share/sub /tmp/tools
dd if=/dev/urandom of=/tmp/share/big bs=1M count=16 2>/dev/null
: > /tmp/share/empty
echo "spaces and UTF-8" > "/tmp/share/sub/a name with spaces – ünïcødé.txt"
ln -s big /tmp/share/link-to-big
i=0
while [ $i -lt 1000 ]; do
    : > /tmp/share/dir1000/entry-$i
    i=$((i + 1))
done
cp share-guest.sh /tmp/tools/share-guest.sh
echo "HOST-TREE-SUM=$(tree_sum /tmp/share)"
linux share-tree vmlinuz --share /tmp/share,tag=src --share /tmp/tools,ro -- \
    "cp /mnt/tools/share-guest.sh /tmp/g.sh && sh /tmp/g.sh tree"
echo "HOST-SAW-SHA=$(sha256sum < /tmp/share/from-guest | cut -d' ' -f1)"
echo "HOST-RO-FILE=$([ -e /tmp/tools/not-here ] && echo present || echo absent)"

# virtiofsd killed while the guest uses the share: the guest's reads fail,
# husk says which backend failed and the guest runs on to its end.
rm -f /tmp/share/ready
(
    i=0
    while [ ! -e /tmp/share/ready ] && [ $i -lt 400 ]; do
        sleep 0.5
        i=$((i + 1))
    done
    # The virtiofsd serving /tmp/share (busybox here has no pkill).
    for p in /proc/[0-9]*; do
        if tr '\0' ' ' < "$p/cmdline" 2>/dev/null | grep -q 'virtiofsd.*source=/tmp/share '; then
            echo "KILLED-VIRTIOFSD=${p#/proc/}"
            kill -9 "${p#/proc/}"
        fi
    done
) &
linux share-killed vmlinuz --share /tmp/share,tag=src --share /tmp/tools,ro -- \
    "cp /mnt/tools/share-guest.sh /tmp/g.sh && sh /tmp/g.sh killed"
wait

# Before the guest starts: one line and the documented status each.
scenario share-missing-dir husk run --kernel vmlinuz --share /tmp/no-such-dir
scenario share-tag-taken husk run --kernel vmlinuz --share /tmp/share \
    --share /tmp/tools,tag=share
scenario share-no-virtiofsd husk run --kernel vmlinuz --share /tmp/share \
    --virtiofsd /tmp/no-such-virtiofsd
