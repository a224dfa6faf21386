/*
 * sandbox_x86.c: the seccomp allow-lists of husk's threads on x86_64
 * (system call names as in the x86_64 syscall table; an arm64 sibling
 * will differ: no poll, open, ...).  Why each call is there is noted
 * beside it; everything else stops husk (sandbox.h).
 *
 * Checked against real boots: the system suite runs with the sandbox on,
 * and HUSK_SANDBOX=log reports calls outside the lists without stopping.
 */
#include <linux/kvm.h>
#include <linux/fs.h>
#include <linux/if_tun.h>
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
    "poll", "ppoll", /* the glib main loop */
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
    "poll", "ppoll", "close", "fcntl",
    "connect", "bind", "listen", "accept", "accept4",
    "shutdown", "setsockopt", "getsockopt", "getsockname", "getpeername",
    "sendmsg", "recvmsg", "sendto", "recvfrom",
    "openat", "stat", /* /etc/resolv.conf */
    NULL,
};

/* husk-api: its clients' connections and husk's socket pair, and a
 * snapshot's directory and files, created for a client (anywhere the
 * user may write: no Landlock); the socket's name removed at the end. */
static const char *const api_calls[] = {
    COMMON_CALLS,
    "poll", "ppoll", "close", "fcntl",
    "accept", "accept4", "shutdown", "getsockopt",
    "sendmsg", "recvmsg", "sendto", "recvfrom",
    "openat", "mkdir", "stat", "unlink",
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
    /* A snapshot reads every vCPU's state and the VM's (snapshot_x86.c). */
    KVM_GET_MP_STATE,
    KVM_GET_REGS,
    KVM_GET_SREGS,
    KVM_GET_XSAVE,
    KVM_GET_XSAVE2,
    KVM_GET_XCRS,
    KVM_GET_DEBUGREGS,
    KVM_GET_LAPIC,
    KVM_GET_MSRS,
    KVM_GET_VCPU_EVENTS,
    KVM_GET_TSC_KHZ,
    KVM_GET_IRQCHIP,
    KVM_GET_CLOCK,
    TUNSETOFFLOAD, /* the guest's offloads, once it has negotiated */
    BLKDISCARD,
    BLKZEROOUT, /* discard, write-zeroes on a block device */
    TERMINAL_IOCTLS,
    0,
};

/* KVM_IRQFD: cutting off a vhost-user backend that floods interrupts
 * (an InterruptStatus read finds it out, vhost_user_dev.c). */
static const unsigned long vcpu_ioctls[] = {
    KVM_RUN,         KVM_GET_REGS, KVM_IRQ_LINE,
    TUNSETOFFLOAD,   BLKDISCARD,   BLKZEROOUT,
    TERMINAL_IOCTLS, KVM_IRQFD,    0,
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
