/*
 * sandbox_lists.c: the seccomp allow-lists of husk's threads, the calls
 * every architecture has (names as in the kernel's syscall tables); each
 * architecture adds its own (sandbox_x86.c: poll, stat...; sandbox_arm64.c:
 * none of those exist there).  Why each call is there is noted beside
 * it; everything else stops husk (sandbox.h).
 *
 * Checked against real boots: the system suite runs with the sandbox on,
 * and HUSK_SANDBOX=log reports calls outside the lists without stopping.
 */
#include <linux/kvm.h>
#include <linux/fs.h>
#include <linux/if_tun.h>
#include <linux/vhost.h>
#include <stddef.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>

#include "vmm/sandbox.h"

/* The lists are read as lists: one group of calls a line, with why. */
// clang-format off
/* Every role: memory, locks, time, signals, thread and process end
 * (mmap, mprotect and tgkill with their arguments checked: below). */
#define COMMON_CALLS                                                       \
    "brk", "munmap", "mremap", "madvise", /* malloc */                     \
    "futex", "sched_yield", "clock_gettime", "clock_nanosleep",            \
    "nanosleep", "gettimeofday", "getpid", "gettid",                       \
    "rt_sigprocmask", "rt_sigreturn", "rt_sigaction", /* fatal signals */  \
    "sigaltstack", /* the sanitizers' signal handling */                   \
    "exit", "exit_group", "restart_syscall",                               \
    "write", "writev", /* console output, eventfds, messages */            \
    "read", "readv", "pread64", /* eventfds, /proc/self/stat */            \
    "getrandom", /* virtio-rng, glib's hash seeds */                       \
    "fstat", "newfstatat", "lseek" /* stdio */

/* Device work: the main thread does it for queues kicked through
 * ioeventfd, a vCPU thread for those kicked by an MMIO exit. */
#define DEVICE_CALLS                                                       \
    "preadv", "pwritev", "preadv2", "pwritev2", "pwrite64",                \
    "fdatasync", "fsync", "fallocate", /* virtio-blk */                    \
    "io_uring_enter", /* the io_uring disk engine */                       \
    "sendmsg", "recvmsg", "sendto", "recvfrom", /* virtio-net backends */ \
    "pidfd_send_signal", /* stopping a backend that hangs (only it) */

static const char *const main_calls[] = {
    COMMON_CALLS,
    DEVICE_CALLS
    "ppoll", /* the glib main loop */
    "close", /* shutdown */
    "waitid", /* reaping a backend husk started (virtiofsd) at exit */
    "mincore", "getrusage", /* --boot-timeline's memory figures */
    "ftruncate", /* a snapshot's files */
    "fcntl",
    NULL,
};

static const char *const vcpu_calls[] = {
    COMMON_CALLS,
    DEVICE_CALLS
    NULL,
};

/* husk-slirp: libslirp's sockets to the outside world and the frames
 * to and from husk; it reads /etc/resolv.conf again when it changes
 * (Landlock leaves that file only). */
static const char *const slirp_calls[] = {
    COMMON_CALLS,
    "ppoll", "close", "fcntl",
    "connect", "bind", "listen", "accept", "accept4",
    "shutdown", "setsockopt", "getsockopt", "getsockname", "getpeername",
    "sendmsg", "recvmsg", "sendto", "recvfrom",
    "openat", /* /etc/resolv.conf */
    NULL,
};

/* husk-api: its clients' connections and husk's socket pair, and a
 * snapshot's directory and files, created for a client (anywhere the
 * user may write: no Landlock); the socket's name removed at the end. */
static const char *const api_calls[] = {
    COMMON_CALLS,
    "ppoll", "close", "fcntl",
    "accept", "accept4", "shutdown", "getsockopt",
    "sendmsg", "recvmsg", "sendto", "recvfrom",
    "openat",
    NULL,
};

// clang-format on

const char *const *const sandbox_syscalls[SANDBOX_NR_ROLES] = {
    [SANDBOX_MAIN] = main_calls,
    [SANDBOX_VCPU] = vcpu_calls,
    [SANDBOX_SLIRP] = slirp_calls,
    [SANDBOX_API] = api_calls,
};

/* W^X: memory is mapped or re-protected only without PROT_EXEC (husk
 * is static and loads nothing once the guest runs; husk-slirp's
 * libraries are loaded before its filter).  tgkill only within this
 * process: kicking a vCPU, re-raising a fatal signal. */
#define COMMON_ARG_RULES                                      \
    {"mmap", 2, PROT_EXEC, 0}, {"mprotect", 2, PROT_EXEC, 0}, \
    {                                                         \
        "tgkill", 0, 0xffffffffUL, SANDBOX_SELF_PID           \
    }

static const struct sandbox_arg_rule husk_rules[] = {
    COMMON_ARG_RULES,
    {NULL, 0, 0, 0},
};

/* slirp's host sockets are IPv4 and IPv6 (TCP, UDP, ICMP): no packet,
 * netlink or UNIX sockets (its one UNIX socket, to husk, it inherits). */
static const struct sandbox_arg_rule slirp_rules[] = {
    COMMON_ARG_RULES,
    {"socket", 0, 0xffffffffUL, AF_INET},
    {"socket", 0, 0xffffffffUL, AF_INET6},
    {NULL, 0, 0, 0},
};

const struct sandbox_arg_rule *const sandbox_arg_rules[SANDBOX_NR_ROLES] = {
    [SANDBOX_MAIN] = husk_rules,
    [SANDBOX_VCPU] = husk_rules,
    [SANDBOX_SLIRP] = slirp_rules,
    [SANDBOX_API] = husk_rules,
};

#define TERMINAL_IOCTLS TCGETS, TCSETS, TCSETSW, TCSETSF /* raw mode */

static const unsigned long main_ioctls[] = {
    KVM_IRQ_LINE, /* the UART's interrupt */
    /* The kernel's vhost rings stopped at exit (vhost_user_dev.c). */
    VHOST_GET_VRING_BASE,
    VHOST_VSOCK_SET_RUNNING,
    VHOST_NET_SET_BACKEND,
    TUNSETOFFLOAD, /* the guest's offloads, once it has negotiated */
    BLKDISCARD,
    BLKZEROOUT, /* discard, write-zeroes on a block device */
    TERMINAL_IOCTLS,
    0,
};

/* KVM_IRQFD: cutting off a vhost-user backend that floods interrupts
 * (an InterruptStatus read finds it out, vhost_user_dev.c). */
/* vhost-vsock (--vsock), vhost-net (TAP): the driver's DRIVER_OK and reset are
 * MMIO writes, which vCPU threads handle: they hand the rings to the kernel and
 * take them back (vhost_kernel.c). */
#define VHOST_RING_IOCTLS                                                 \
    VHOST_SET_FEATURES, VHOST_SET_MEM_TABLE, VHOST_SET_VRING_NUM,         \
        VHOST_SET_VRING_BASE, VHOST_SET_VRING_ADDR, VHOST_SET_VRING_KICK, \
        VHOST_SET_VRING_CALL, VHOST_SET_VRING_ERR, VHOST_GET_VRING_BASE,  \
        VHOST_VSOCK_SET_RUNNING, VHOST_NET_SET_BACKEND

static const unsigned long vcpu_ioctls[] = {
    KVM_RUN,         KVM_IRQ_LINE, TUNSETOFFLOAD,     BLKDISCARD, BLKZEROOUT,
    TERMINAL_IOCTLS, KVM_IRQFD,    VHOST_RING_IOCTLS, 0,
};

static const unsigned long slirp_ioctls[] = {
    FIONREAD, /* how much a UDP socket holds */
    FIONBIO,
    0,
};

static const unsigned long api_ioctls[] = {0};

const unsigned long *const sandbox_ioctls[SANDBOX_NR_ROLES] = {
    [SANDBOX_MAIN] = main_ioctls,
    [SANDBOX_VCPU] = vcpu_ioctls,
    [SANDBOX_SLIRP] = slirp_ioctls,
    [SANDBOX_API] = api_ioctls,
};
