#!/bin/sh
# exec-modules.sh KDIR OUT: a tar of some of the cloud kernel's modules
# (those husk exec's init loads, what they need, and dummy.ko for a
# modprobe test) with the tree's modules.order and modules.builtin*, for
# exec.sh's fake kernel build tree.  KDIR is fetch-kernel.sh's directory.
set -eu
kdir=$1
out=$2
modinfo=$(command -v modinfo || echo /sbin/modinfo)
cd "$kdir/modules"
list=
add() {
    local p d
    p=$(grep -E "/($1|$(echo "$1" | tr _ -))\.ko$" modules.order | head -n1)
    [ -n "$p" ] || { echo "exec-modules.sh: no module $1" >&2; exit 1; }
    case " $list " in *" $p "*) return 0 ;; esac
    list="$list $p"
    for d in $("$modinfo" -F depends "$p" | tr , ' '); do
        add "$d"
    done
}
for m in virtio_mmio virtiofs overlay virtio_console pvpanic_mmio virtio_net \
         virtio_blk virtio_rng dummy; do
    add "$m"
done
# shellcheck disable=SC2086
tar -cf "$out" modules.order modules.builtin modules.builtin.modinfo $list
