/*
 * sandbox.c: seccomp filters per thread role, no_new_privs, Landlock and
 * rlimits (see sandbox.h; the lists are in sandbox_ARCH.c, compiled to BPF
 * at build time by sandbox_gen.c).  Kernel interfaces: seccomp(2)
 * SECCOMP_SET_MODE_FILTER, landlock(7) ABI 1-6, prctl(2)
 * PR_SET_NO_NEW_PRIVS, setrlimit(2).
 */
#define G_LOG_DOMAIN "husk"
#include "vmm/sandbox.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/landlock.h>
#include <linux/seccomp.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "lib/error.h"
#include "vmm/term.h"

/* Landlock's constants past the oldest header this builds with. */
#ifndef LANDLOCK_ACCESS_FS_REFER
#define LANDLOCK_ACCESS_FS_REFER (1ULL << 13)
#endif
#ifndef LANDLOCK_ACCESS_FS_TRUNCATE
#define LANDLOCK_ACCESS_FS_TRUNCATE (1ULL << 14)
#endif
#ifndef LANDLOCK_ACCESS_FS_IOCTL_DEV
#define LANDLOCK_ACCESS_FS_IOCTL_DEV (1ULL << 15)
#endif
#ifndef LANDLOCK_ACCESS_NET_BIND_TCP
#define LANDLOCK_ACCESS_NET_BIND_TCP (1ULL << 0)
#define LANDLOCK_ACCESS_NET_CONNECT_TCP (1ULL << 1)
#endif
#ifndef LANDLOCK_SCOPE_ABSTRACT_UNIX_SOCKET
#define LANDLOCK_SCOPE_ABSTRACT_UNIX_SOCKET (1ULL << 0)
#define LANDLOCK_SCOPE_SIGNAL (1ULL << 1)
#endif

/* Descriptors husk may still create after setup: none are expected (the
 * lists allow no call that makes one); a margin so a missed path fails
 * with EMFILE rather than crossing the limit silently. */
#define NOFILE_SLACK 8

static enum sandbox_mode sb_mode = SANDBOX_OFF;
static struct sock_fprog progs[SANDBOX_NR_ROLES];
static __thread char thread_role[16];

unsigned sandbox_allowed_count(enum sandbox_role role)
{
    return sandbox_allowed[role];
}

/* Async-signal-safe: only write(2), term_restore's tcsetattr and
 * exit_group, all on both lists. */
static void put(char **p, const char *end, const char *s)
{
    while (*s && *p < end) {
        *(*p)++ = *s++;
    }
}

static void on_sigsys(int sig, siginfo_t *si, void *uc)
{
    char msg[256], num[16], *p = msg, *q = num + sizeof(num);
    const char *end = msg + sizeof(msg) - 1;
    int nr = si->si_syscall;
    unsigned v = nr < 0 ? 0 : (unsigned)nr;

    *--q = '\0';
    do {
        *--q = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    put(&p, end, "\r\nhusk: sandbox: the ");
    put(&p, end, thread_role[0] ? thread_role : "unnamed");
    put(&p, end, " thread made a forbidden system call: ");
    put(&p, end,
        nr >= 0 && nr < SANDBOX_MAX_SYSCALL_NR && sandbox_syscall_name[nr]
            ? sandbox_syscall_name[nr]
            : "?");
    put(&p, end, " (");
    put(&p, end, q);
    put(&p, end, "); husk stops (--no-sandbox turns the sandbox off)\n");
    (void)!write(STDERR_FILENO, msg, (size_t)(p - msg));
    term_restore();
    syscall(SYS_exit_group, HUSK_EXIT_SANDBOX);
}

bool sandbox_prepare(enum sandbox_mode mode, unsigned roles, GError **errp)
{
    struct sigaction sa = {.sa_sigaction = on_sigsys, .sa_flags = SA_SIGINFO};

    sb_mode = mode;
    if (mode == SANDBOX_OFF) {
        return true;
    }
    /* Load now what the C library and glib open on first use: the
     * message catalogue behind strerror and the iconv configuration
     * behind g_strerror's conversion to UTF-8.  Later an open would stop
     * husk (an error message about to be printed, say). */
    (void)g_strerror(EIO);
    g_free(g_locale_to_utf8("husk", -1, NULL, NULL, NULL));
    for (int r = 0; r < SANDBOX_NR_ROLES; r++) {
        struct sock_filter *f;

        if (!(roles & SANDBOX_ROLE_BIT(r))) {
            continue;
        }
        /* A copy: this process's id goes where the rules say "self"
         * (SANDBOX_SELF_PID, compared as a constant); in LOG mode, LOG
         * for the default action (TRAP appears in the generated filters
         * only as that). */
        f = g_memdup2(sandbox_bpf[r], sandbox_bpf_len[r] * sizeof(*f));
        for (unsigned i = 0; i < sandbox_bpf_len[r]; i++) {
            if (BPF_CLASS(f[i].code) == BPF_JMP &&
                BPF_SRC(f[i].code) == BPF_K &&
                f[i].k == (uint32_t)SANDBOX_SELF_PID) {
                f[i].k = (uint32_t)getpid();
            }
            if (mode == SANDBOX_LOG && f[i].code == (BPF_RET | BPF_K) &&
                (f[i].k & SECCOMP_RET_ACTION_FULL) == SECCOMP_RET_TRAP) {
                f[i].k = SECCOMP_RET_LOG;
            }
        }
        g_free((void *)progs[r].filter);
        progs[r].len = sandbox_bpf_len[r];
        progs[r].filter = f;
    }
    sigemptyset(&sa.sa_mask);
    if (sigaction(SIGSYS, &sa, NULL) < 0) {
        g_set_error(errp, HUSK_ERROR, HUSK_EXIT_OSERR,
                    "sandbox: sigaction(SIGSYS): %s", g_strerror(errno));
        return false;
    }
    return true;
}

int sandbox_landlock_abi(void)
{
    long abi = syscall(SYS_landlock_create_ruleset, NULL, 0,
                       LANDLOCK_CREATE_RULESET_VERSION);

    return abi < 0 ? 0 : (int)abi;
}

/* The rights a ruleset of this ABI handles (denies unless a rule gives). */
static uint64_t landlock_fs_rights(int abi)
{
    uint64_t r = (LANDLOCK_ACCESS_FS_MAKE_SYM << 1) - 1; /* ABI 1 */

    if (abi >= 2) {
        r |= LANDLOCK_ACCESS_FS_REFER;
    }
    if (abi >= 3) {
        r |= LANDLOCK_ACCESS_FS_TRUNCATE;
    }
    if (abi >= 5) {
        r |= LANDLOCK_ACCESS_FS_IOCTL_DEV;
    }
    return r;
}

struct ruleset_attr {
    uint64_t handled_access_fs;
    uint64_t handled_access_net; /* ABI 4 */
    uint64_t scoped;             /* ABI 6 */
};

static bool landlock(const struct sandbox_file *files,
                     unsigned n,
                     unsigned flags,
                     GError **errp)
{
    int abi = sandbox_landlock_abi(), fd;
    struct ruleset_attr attr = {.handled_access_fs = landlock_fs_rights(abi)};
    size_t size = sizeof(uint64_t);

    if (abi <= 0) {
        return true; /* not in this kernel: husk check says so */
    }
    /* husk itself connects and binds nothing (slirp is in husk-slirp,
     * whose jail leaves TCP open: slirp must reach the world). */
    if (abi >= 4 && (flags & SANDBOX_JAIL_NO_TCP)) {
        attr.handled_access_net =
            LANDLOCK_ACCESS_NET_BIND_TCP | LANDLOCK_ACCESS_NET_CONNECT_TCP;
        size = 2 * sizeof(uint64_t);
    }
    if (abi >= 6 && (flags & SANDBOX_JAIL_SCOPE)) {
        attr.scoped =
            ((flags & SANDBOX_JAIL_SCOPE_SOCKETS)
                 ? LANDLOCK_SCOPE_ABSTRACT_UNIX_SOCKET
                 : 0) |
            ((flags & SANDBOX_JAIL_SCOPE_SIGNALS) ? LANDLOCK_SCOPE_SIGNAL : 0);
        size = sizeof(attr);
    }
    fd = (int)syscall(SYS_landlock_create_ruleset, &attr, size, 0);
    if (fd < 0) {
        g_set_error(errp, HUSK_ERROR, HUSK_EXIT_OSERR,
                    "sandbox: landlock_create_ruleset: %s", g_strerror(errno));
        return false;
    }
    for (unsigned i = 0; i < n; i++) {
        int pfd = open(files[i].path, O_PATH | O_CLOEXEC);
        struct landlock_path_beneath_attr pb = {
            .allowed_access =
                LANDLOCK_ACCESS_FS_READ_FILE |
                (files[i].writable ? LANDLOCK_ACCESS_FS_WRITE_FILE : 0),
            .parent_fd = pfd,
        };

        if (pfd < 0 || syscall(SYS_landlock_add_rule, fd,
                               LANDLOCK_RULE_PATH_BENEATH, &pb, 0) < 0) {
            g_set_error(errp, HUSK_ERROR, HUSK_EXIT_OSERR,
                        "sandbox: Landlock rule for %s: %s", files[i].path,
                        g_strerror(errno));
            if (pfd >= 0) {
                close(pfd);
            }
            close(fd);
            return false;
        }
        close(pfd);
    }
    if (syscall(SYS_landlock_restrict_self, fd, 0) < 0) {
        g_set_error(errp, HUSK_ERROR, HUSK_EXIT_OSERR,
                    "sandbox: landlock_restrict_self: %s", g_strerror(errno));
        close(fd);
        return false;
    }
    close(fd);
    return true;
}

/* The highest descriptor open now, from /proc/self/fd; -1 if unknown. */
static int highest_fd(void)
{
    DIR *d = opendir("/proc/self/fd");
    struct dirent *e;
    int max = -1;

    if (!d) {
        return -1;
    }
    while ((e = readdir(d))) {
        int fd = atoi(e->d_name);

        if (fd > max && fd != dirfd(d)) {
            max = fd;
        }
    }
    closedir(d);
    return max;
}

bool sandbox_jail(const struct sandbox_file *files,
                  unsigned nr_files,
                  unsigned flags,
                  GError **errp)
{
    int top;

    if (sb_mode == SANDBOX_OFF) {
        return true;
    }
    /* First, while /proc can still be read. */
    top = (flags & SANDBOX_JAIL_LIMIT_FDS) ? highest_fd() : -1;
    if (top >= 0) {
        struct rlimit rl;

        if (getrlimit(RLIMIT_NOFILE, &rl) == 0 &&
            rl.rlim_max > (rlim_t)(top + 1 + NOFILE_SLACK)) {
            rl.rlim_cur = rl.rlim_max = (rlim_t)(top + 1 + NOFILE_SLACK);
            if (setrlimit(RLIMIT_NOFILE, &rl) < 0) {
                g_set_error(errp, HUSK_ERROR, HUSK_EXIT_OSERR,
                            "sandbox: setrlimit(NOFILE): %s",
                            g_strerror(errno));
                return false;
            }
        }
    }
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) {
        g_set_error(errp, HUSK_ERROR, HUSK_EXIT_OSERR,
                    "sandbox: no_new_privs: %s", g_strerror(errno));
        return false;
    }
    if (!landlock(files, nr_files, flags, errp)) {
        return false;
    }
    /* Test hook (tests/kvm): show that a file not given is out of reach. */
    if (!g_strcmp0(g_getenv("HUSK_SANDBOX_SELFTEST"), "landlock")) {
        int fd = open("/bin/sh", O_RDONLY | O_CLOEXEC);

        g_printerr("husk: sandbox selftest: open /bin/sh: %s\n",
                   fd < 0 ? g_strerror(errno) : "allowed");
        if (fd >= 0) {
            close(fd);
        }
    }
    return true;
}

int sandbox_enter(enum sandbox_role role, const char *role_name)
{
    const char *self = NULL;

    g_strlcpy(thread_role, role_name, sizeof(thread_role));
    if (sb_mode == SANDBOX_OFF) {
        return 0;
    }
    /* Read before the filter: getenv makes no call, but keep it simple. */
    self = g_getenv("HUSK_SANDBOX_SELFTEST");
    if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &progs[role]) < 0) {
        return -errno;
    }
    /* Test hook (tests/kvm): a forbidden call from this role must stop
     * husk with the report above. */
    if (self && !strcmp(self, role == SANDBOX_MAIN    ? "main"
                              : role == SANDBOX_VCPU  ? "vcpu"
                              : role == SANDBOX_SLIRP ? "slirp"
                                                      : "api")) {
        if (role == SANDBOX_SLIRP || role == SANDBOX_API) {
            char *const argv[] = {"/bin/true", NULL};

            execv(argv[0], argv); /* husk-slirp may open, not exec */
        }
        (void)!open("/etc/passwd", O_RDONLY | O_CLOEXEC);
    }
    return 0;
}
