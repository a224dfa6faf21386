/*
 * sandbox.h: what a compromised husk may still do once the guest runs.
 *
 *  - seccomp-BPF (libseccomp compiles at build time, the kernel enforces;
 *    seccomp(2)): one
 *    allow-list per thread role (sandbox_lists.c and the architecture's
 * sandbox_x86.c or sandbox_arm64.c), loaded in each thread before the first
 * KVM_RUN.  Anything else traps: husk prints which thread made which call and
 * exits HUSK_EXIT_SANDBOX at once.
 *  - no_new_privs (prctl(2)): nothing husk could exec gains privileges.
 *  - Landlock (landlock(7), when the kernel has it): file access limited to
 *    the kernel, initrd and disk images on the command line, in the modes
 *    husk opened them; with ABI 4, no TCP bind or connect either.  This
 *    also covers what seccomp cannot see: io_uring requests.
 *  - W^X: no executable mapping once a thread is filtered (mmap and
 *    mprotect are allowed only without PROT_EXEC); signals only to
 *    husk's own process (tgkill's tgid is checked).
 *  - rlimits: no more descriptors than husk holds after setup (plus a
 *    little).  No RLIMIT_FSIZE: the console may be redirected to a file
 *    that grows past any disk's size; disk writes are range-checked
 *    against the image instead, and Landlock keeps other files out.
 *
 * husk-slirp, the user-mode network stack, runs under a list of its own
 * (IPv4 and IPv6 sockets only, no files but /etc/resolv.conf, no KVM),
 * scoped by Landlock (no signals or abstract sockets outside itself) and,
 * when started as root, as the unprivileged user nobody.
 *
 * Order (vm_run): sandbox_jail() in the main thread before any vCPU
 * thread exists (Landlock and no_new_privs are inherited), each vCPU
 * thread sandbox_enter(SANDBOX_VCPU) first thing, then the main thread
 * sandbox_enter(SANDBOX_MAIN).  Setup (files, KVM, devices, the helper
 * process) happens before; nothing here runs in the unit tests' devices.
 */
#ifndef HUSK_SANDBOX_H
#define HUSK_SANDBOX_H

#include <glib.h>
#include <stdbool.h>

enum sandbox_role {
    SANDBOX_MAIN,  /* the main thread: I/O loop, signals, exit */
    SANDBOX_VCPU,  /* a vCPU thread: KVM_RUN and the exits it handles */
    SANDBOX_SLIRP, /* the husk-slirp helper process (one thread) */
    SANDBOX_API,   /* the husk-api helper process (one thread) */
    SANDBOX_NR_ROLES
};

#define SANDBOX_ROLE_BIT(r) (1u << (r))
#define SANDBOX_HUSK_ROLES \
    (SANDBOX_ROLE_BIT(SANDBOX_MAIN) | SANDBOX_ROLE_BIT(SANDBOX_VCPU))

enum sandbox_mode {
    SANDBOX_ON,  /* the default */
    SANDBOX_OFF, /* --no-sandbox: for debugging */
    SANDBOX_LOG, /* HUSK_SANDBOX=log: allow, but let the kernel log each
                  * call outside the lists (audit type 1326): how the
                  * lists are checked against a real boot */
};

/* A file the guest's devices or the loader use: Landlock lets husk reach
 * it afterwards (and only it), read-only unless writable. */
struct sandbox_file {
    const char *path;
    bool writable;
};

/* Readies the filters of these roles (SANDBOX_ROLE_BIT()s) to install
 * without allocating, and the SIGSYS report.  Errors: HUSK_EXIT_OSERR. */
bool sandbox_prepare(enum sandbox_mode mode, unsigned roles, GError **errp);

/* What sandbox_jail closes besides files. */
#define SANDBOX_JAIL_LIMIT_FDS 1u /* RLIMIT_NOFILE just above what is open */
/* No signals outside this process (Landlock ABI 6): husk-slirp.  Not
 * husk, which stops the backends it started (a pidfd signal) and has
 * them die with it (PR_SET_PDEATHSIG, sent in husk's name). */
#define SANDBOX_JAIL_SCOPE_SIGNALS 2u
/* No TCP bind/connect (Landlock ABI 4): husk, not husk-slirp. */
#define SANDBOX_JAIL_NO_TCP 4u
/* No abstract UNIX sockets outside this process (Landlock ABI 6). */
#define SANDBOX_JAIL_SCOPE_SOCKETS 8u
#define SANDBOX_JAIL_SCOPE \
    (SANDBOX_JAIL_SCOPE_SIGNALS | SANDBOX_JAIL_SCOPE_SOCKETS)
/* husk's own: nothing network-like but its descriptors. */
#define SANDBOX_JAIL_NO_NET (SANDBOX_JAIL_SCOPE_SOCKETS | SANDBOX_JAIL_NO_TCP)

/* Before the threads that inherit it start: no_new_privs, and Landlock
 * over files (nothing reachable but these) plus what flags add.  Errors:
 * HUSK_EXIT_OSERR. */
bool sandbox_jail(const struct sandbox_file *files,
                  unsigned nr_files,
                  unsigned flags,
                  GError **errp);

/* Installs this thread's filter (after sandbox_prepare).  0 or -errno.
 * role_name is what a violation report calls the thread ("vcpu0"). */
int sandbox_enter(enum sandbox_role role, const char *role_name);

/* How many system calls a role's list allows (husk check, tests). */
unsigned sandbox_allowed_count(enum sandbox_role role);

/* The Landlock ABI this kernel offers, 0 if none (husk check). */
int sandbox_landlock_abi(void);

/* The filters, generated at build time (sandbox_gen.c): BPF with TRAP
 * as the default action, their lengths, allowed counts, and syscall
 * names by number for reports. */
#define SANDBOX_MAX_SYSCALL_NR 512
struct sock_filter;
extern const struct sock_filter *const sandbox_bpf[SANDBOX_NR_ROLES];
extern const unsigned short sandbox_bpf_len[SANDBOX_NR_ROLES];
extern const unsigned sandbox_allowed[SANDBOX_NR_ROLES];
extern const char *const sandbox_syscall_name[SANDBOX_MAX_SYSCALL_NR];

/* The per-role lists (sandbox_lists.c): names, NULL-terminated, and
 * SANDBOX_ARCH, the architecture built for.  ioctl is
 * not in them; it is allowed only with the request numbers of
 * sandbox_ioctls (0-terminated). */
extern const char *const *const sandbox_syscalls[SANDBOX_NR_ROLES];
#if defined(__aarch64__)
#define SANDBOX_ARCH "arm64"
#else
#define SANDBOX_ARCH "x86"
#endif
extern const unsigned long *const sandbox_ioctls[SANDBOX_NR_ROLES];
/* What the architecture adds to both (sandbox_x86.c, sandbox_arm64.c). */
extern const char *const *const sandbox_arch_syscalls[SANDBOX_NR_ROLES];
extern const unsigned long *const sandbox_arch_ioctls[SANDBOX_NR_ROLES];

/* Calls allowed only with an argument of a given value: (arg & mask) ==
 * value, one rule each; several rules for one call are alternatives.
 * Terminated by name NULL.  A call here is not in sandbox_syscalls. */
struct sandbox_arg_rule {
    const char *name;
    unsigned arg;
    unsigned long mask, value;
};
extern const struct sandbox_arg_rule *const sandbox_arg_rules[SANDBOX_NR_ROLES];

/* The value standing for this process's id in a rule (tgkill's tgid):
 * the generated filters hold it, sandbox_prepare writes in getpid(). */
#define SANDBOX_SELF_PID 0x7e1f5e1fUL

#endif
