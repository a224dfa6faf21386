/*
 * exec_proto.h: what `husk exec` (vmm/exec.c) and its guest init
 * (guest-images/exec/husk-init.c) agree on.  Both sides include it; it
 * holds only constants.
 *
 * - The run's description is the file EXEC_SPEC_PATH in the initramfs:
 *   records "KEY=VALUE", each ended by a NUL byte, so arguments and
 *   values may hold any other byte.  Keys: arg (COMMAND and its
 *   arguments, in order), env (NAME=VALUE), cwd, uid, gid, net (1: set up
 *   eth0 for --net user), mount (TAG:PATH or TAG:PATH:ro: a virtio-fs
 *   share mounted over PATH in the guest), modules (TAG: a share mounted
 *   read-only at /lib/modules/RELEASE).
 * - The modules the init loads first, in order, are listed one per line
 *   in EXEC_MODULES_PATH, and lie in EXEC_MODULES_DIR.
 * - COMMAND's streams are three virtio-console ports named
 *   EXEC_PORT_STDIN/STDOUT/STDERR.
 * - The init writes EXEC_MARK_COMMAND to the debug port (0x80) just
 *   before it starts COMMAND: the exit status that follows is COMMAND's.
 *   A status written without it is the init's own failure, one of enum
 *   exec_failure, which husk turns into one line and its own status.
 */
#ifndef HUSK_EXEC_PROTO_H
#define HUSK_EXEC_PROTO_H

#define EXEC_SPEC_PATH "/etc/husk-exec"
#define EXEC_MODULES_PATH "/etc/husk-exec-modules"
#define EXEC_MODULES_DIR "/lib/husk-modules"
#define EXEC_ROOT_TAG "husk-root"
#define EXEC_MODULES_TAG "husk-modules"

#define EXEC_PORT_STDIN "husk.stdin"
#define EXEC_PORT_STDOUT "husk.stdout"
#define EXEC_PORT_STDERR "husk.stderr"

#define EXEC_MARK_COMMAND 0x61
/* Progress markers on the same port, for husk's boot timeline: the init
 * started (the default guest's "user space" 0x60), its modules loaded,
 * the console ports found, the root and overlay mounted. */
#define EXEC_MARK_INIT 0x60
#define EXEC_MARK_MODULES 0x62
#define EXEC_MARK_PORTS 0x63
#define EXEC_MARK_ROOT 0x64

enum exec_failure {
    EXEC_FAIL_NONE = 0,
    EXEC_FAIL_SPEC = 1,     /* EXEC_SPEC_PATH missing or malformed */
    EXEC_FAIL_DEVTMPFS = 2, /* no devtmpfs (CONFIG_DEVTMPFS) */
    EXEC_FAIL_VIRTIO = 3,   /* no virtio device found: virtio-mmio/ACPI */
    EXEC_FAIL_VIRTIOFS = 4, /* no virtiofs file system (CONFIG_VIRTIO_FS) */
    EXEC_FAIL_ROOT = 5,     /* the root share would not mount */
    EXEC_FAIL_OVERLAY = 6,  /* no overlay file system (CONFIG_OVERLAY_FS) */
    EXEC_FAIL_PORTS = 7,    /* no console ports (CONFIG_VIRTIO_CONSOLE) */
    EXEC_FAIL_SETUP = 8,    /* another step of the setup failed */
    EXEC_FAIL_MAX = 8,
};

#endif
