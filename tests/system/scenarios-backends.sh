# scenarios-backends.sh: the system suite's scenarios, part 2 of 5: the
# vhost-user backends husk starts (virtiofsd, qemu-storage-daemon) (see
# scenarios.sh for the directory they run in; each part boots a test host
# of its own, so a test host that wedges costs one part's rerun).

CMD="console=ttyS0 quiet"

# scenario NAME CMD... and linux NAME KERNEL ARGS... -- COMMAND
. "$(dirname "$0")/scenario-lib.sh"

# virtio-fs (--share, virtiofsd): shares.sh.
. ./shares.sh
# qcow2 disks (qemu-storage-daemon): qcow2.sh.
. ./qcow2.sh
