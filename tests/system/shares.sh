# shares.sh: the system suite's virtio-fs scenarios (husk run --share with
# virtiofsd), sourced by scenarios.sh inside the test host; needs its
# scenario() and linux() and share-guest.sh next to it.

# The tree: a big file, an empty one, a symlink, a name with spaces and
# UTF-8, a directory of 1,000 entries.
host_tree_sum() {
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
echo "HOST-TREE-SUM=$(host_tree_sum /tmp/share)"
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
    pkill -9 -f 'virtiofsd.*source=/tmp/share'
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
