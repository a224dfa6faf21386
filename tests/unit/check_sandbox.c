/*
 * check_sandbox.c: the sandbox (vmm/sandbox.h) without KVM.  Each case
 * forks a child that enters a role's filter (or the jail) and does one
 * thing; the parent checks how the child ended and what it printed.
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <linux/kvm.h>
#include <seccomp.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "harness/check_run.h"
#include "lib/error.h"
#include "vmm/sandbox.h"

typedef void (*child_fn)(void *arg);

/* Runs fn in a child with stderr captured; returns its wait status. */
static int in_child(child_fn fn, void *arg, char **err_out)
{
    int p[2], status;
    pid_t pid;
    GString *out = g_string_new(NULL);
    char buf[512];
    ssize_t n;

    ck_assert_int_eq(pipe(p), 0);
    pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        dup2(p[1], STDERR_FILENO);
        close(p[0]);
        fn(arg);
        _exit(0);
    }
    close(p[1]);
    while ((n = read(p[0], buf, sizeof(buf))) > 0) {
        g_string_append_len(out, buf, n);
    }
    close(p[0]);
    ck_assert_int_eq(waitpid(pid, &status, 0), pid);
    *err_out = g_string_free(out, FALSE);
    return status;
}

static void enter(enum sandbox_mode mode,
                  enum sandbox_role role,
                  const char *name)
{
    g_autoptr(GError) err = NULL;

    if (!sandbox_prepare(mode, ~0u, &err)) {
        fprintf(stderr, "prepare: %s\n", err->message);
        _exit(99);
    }
    if (sandbox_enter(role, name) < 0) {
        _exit(98);
    }
}

static void open_passwd(void *arg)
{
    enter(SANDBOX_ON, (enum sandbox_role)(long)arg,
          (long)arg == SANDBOX_VCPU    ? "vcpu3"
          : (long)arg == SANDBOX_MAIN  ? "main"
          : (long)arg == SANDBOX_SLIRP ? "slirp"
                                       : "api");
    if (write(STDERR_FILENO, "allowed write\n", 14) != 14) {
        _exit(97);
    }
    if ((long)arg == SANDBOX_SLIRP || (long)arg == SANDBOX_API) {
        char *const argv[] = {"/bin/true", NULL};

        execv(argv[0], argv);
    } else {
        (void)!open("/etc/passwd", O_RDONLY);
    }
    _exit(0); /* not reached: the filter stops the call */
}

/* A forbidden call ends husk with 159 and one line naming thread and
 * call; an allowed one works. */
START_TEST(forbidden_call_stops_with_report)
{
    for (long role = 0; role < SANDBOX_NR_ROLES; role++) {
        g_autofree char *err = NULL;
        int st = in_child(open_passwd, (void *)role, &err);

        ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == HUSK_EXIT_SANDBOX,
                      "status 0x%x, stderr: %s", st, err);
        ck_assert_msg(strstr(err, "allowed write"), "%s", err);
        const char *want[] = {
            [SANDBOX_MAIN] =
                "the main thread made a forbidden system call: "
                "openat (",
            [SANDBOX_VCPU] =
                "the vcpu3 thread made a forbidden system call: "
                "openat (",
            /* husk-slirp may open (its Landlock allows resolv.conf only),
             * not exec. */
            [SANDBOX_SLIRP] =
                "the slirp thread made a forbidden system "
                "call: execve (",
            /* husk-api creates snapshot files, never runs anything. */
            [SANDBOX_API] =
                "the api thread made a forbidden system call: execve (",
        };

        ck_assert_msg(strstr(err, want[role]), "%s", err);
    }
}
END_TEST

static void log_mode_open(void *arg)
{
    enter(SANDBOX_LOG, SANDBOX_VCPU, "vcpu0");
    _exit(open("/etc/passwd", O_RDONLY) >= 0 ? 0 : 1);
}

/* HUSK_SANDBOX=log: calls outside the list still work (the kernel logs
 * them); off: nothing is filtered. */
START_TEST(log_and_off_modes_do_not_stop)
{
    g_autofree char *err = NULL;
    int st = in_child(log_mode_open, NULL, &err);

    ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0, "0x%x %s", st, err);
}
END_TEST

struct ioctl_case {
    unsigned long req;
    enum sandbox_role role;
};

static void do_ioctl(void *arg)
{
    struct ioctl_case *c = arg;
    struct termios t;
    int fd = open("/dev/null", O_RDWR);

    enter(SANDBOX_ON, c->role, "main");
    /* The answer does not matter (ENOTTY on /dev/null), only whether the
     * call gets to the kernel. */
    (void)!syscall(SYS_ioctl, fd, c->req, &t);
    _exit(0);
}

/* ioctl passes only with a listed request, compared on the 32 bits the
 * kernel reads: TIOCSTI (typing into the terminal husk was started from)
 * is stopped, also with high bits set to dodge the comparison. */
START_TEST(ioctl_requests_filtered)
{
    const struct ioctl_case cases[] = {
        {TCGETS, SANDBOX_MAIN},  /* listed */
        {TIOCSTI, SANDBOX_MAIN}, /* not listed */
        {0xdead000000000000UL | TIOCSTI, SANDBOX_MAIN},
        {0xdead000000000000UL | TCGETS, SANDBOX_MAIN}, /* kernel: TCGETS */
        {KVM_RUN, SANDBOX_MAIN},                       /* vCPU only */
        {KVM_RUN, SANDBOX_VCPU},
    };
    const bool allowed[] = {true, false, false, true, false, true};

    for (unsigned i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autofree char *err = NULL;
        int st = in_child(do_ioctl, (void *)&cases[i], &err);

        if (allowed[i]) {
            ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0,
                          "case %u: 0x%x %s", i, st, err);
        } else {
            ck_assert_msg(WIFEXITED(st) &&
                              WEXITSTATUS(st) == HUSK_EXIT_SANDBOX &&
                              strstr(err, "forbidden system call: ioctl"),
                          "case %u: 0x%x %s", i, st, err);
        }
    }
}
END_TEST

/* Every name in the lists is a system call of this architecture, none
 * twice; the counts husk check prints match the lists. */
START_TEST(lists_resolve)
{
    g_autoptr(GError) err = NULL;

    ck_assert_msg(sandbox_prepare(SANDBOX_ON, ~0u, &err), "%s",
                  err ? err->message : "");
    for (int r = 0; r < SANDBOX_NR_ROLES; r++) {
        g_autoptr(GHashTable) seen = g_hash_table_new(g_str_hash, g_str_equal);
        unsigned n = 0;

        /* The shared list and the architecture's: one list to the
         * filter, so no call in both. */
        const char *const *lists[2] = {sandbox_syscalls[r],
                                       sandbox_arch_syscalls[r]};

        for (unsigned l = 0; l < 2; l++) {
            for (const char *const *c = lists[l]; *c; c++, n++) {
                ck_assert_msg(
                    seccomp_syscall_resolve_name(*c) != __NR_SCMP_ERROR, "%s",
                    *c);
                ck_assert_msg(strcmp(*c, "ioctl") != 0,
                              "ioctl must go through sandbox_ioctls");
                ck_assert_msg(g_hash_table_add(seen, (gpointer)*c),
                              "%s listed twice", *c);
            }
        }
        /* Each call with argument rules counts once; rules of one call
         * stand together. */
        for (const struct sandbox_arg_rule *a = sandbox_arg_rules[r]; a->name;
             a++) {
            ck_assert_msg(!g_hash_table_contains(seen, a->name) ||
                              !strcmp(a[-1].name, a->name),
                          "%s both listed and in the argument rules, or its "
                          "rules apart",
                          a->name);
            if (g_hash_table_add(seen, (gpointer)a->name)) {
                n++;
            }
        }
        ck_assert_uint_eq(sandbox_allowed_count(r), n + 1);
    }
}
END_TEST

struct jail_case {
    const char *allowed_path;
};

static void jailed(void *arg)
{
    struct jail_case *c = arg;
    struct sandbox_file f = {c->allowed_path, true};
    struct rlimit rl;
    g_autoptr(GError) err = NULL;
    int fd, top = -1;
    GDir *d = g_dir_open("/proc/self/fd", 0, NULL);
    const char *e;

    /* What is open now (the harness may have inherited high ones). */
    while (d && (e = g_dir_read_name(d))) {
        top = MAX(top, atoi(e));
    }
    if (d) {
        g_dir_close(d);
    }
    if (!sandbox_prepare(SANDBOX_ON, ~0u, &err) ||
        !sandbox_jail(&f, 1, SANDBOX_JAIL_LIMIT_FDS | SANDBOX_JAIL_NO_NET,
                      &err)) {
        fprintf(stderr, "jail: %s\n", err->message);
        _exit(99);
    }
    if (prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) != 1) {
        _exit(10);
    }
    if (top < 0 || getrlimit(RLIMIT_NOFILE, &rl) ||
        rl.rlim_max > (rlim_t)top + 1 + 8) {
        _exit(11);
    }
    fd = open(c->allowed_path, O_RDWR);
    if (fd < 0) {
        _exit(12);
    }
    close(fd);
    if (sandbox_landlock_abi() > 0) {
        fd = open("/etc/passwd", O_RDONLY);
        if (fd >= 0 || errno != EACCES) {
            _exit(13);
        }
    }
    _exit(0);
}

/* The jail: no_new_privs, a descriptor limit near what is open, and
 * (where the kernel has Landlock) only the given files reachable. */
START_TEST(jail_limits_files_and_descriptors)
{
    g_autofree char *path =
        g_build_filename(g_get_tmp_dir(), "husk-sandbox-XXXXXX", NULL);
    struct jail_case c = {path};
    g_autofree char *err = NULL;
    int fd = g_mkstemp(path), st;

    ck_assert_int_ge(fd, 0);
    close(fd);
    st = in_child(jailed, &c, &err);
    g_unlink(path);
    ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0,
                  "child exit %d (see jailed()), stderr: %s",
                  WIFEXITED(st) ? WEXITSTATUS(st) : -1, err);
}
END_TEST

/* TCP connect to a listener on this host's loopback from a child in a
 * jail: for husk's own (network closed where Landlock has ABI 4+) and for
 * husk-slirp's (slirp must reach the world).  0, or the errno. */
static int port_for_child;

static void jailed_connect(void *arg)
{
    unsigned flags = (unsigned)(long)arg;
    g_autoptr(GError) err = NULL;
    struct sockaddr_in sa = {.sin_family = AF_INET,
                             .sin_port = htons((uint16_t)port_for_child),
                             .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    int fd;

    if (!sandbox_prepare(SANDBOX_ON, ~0u, &err) ||
        !sandbox_jail(NULL, 0, flags, &err)) {
        fprintf(stderr, "jail: %s\n", err->message);
        _exit(99);
    }
    fd = socket(AF_INET, SOCK_STREAM, 0);
    _exit(connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0 ? 0 : errno);
}

START_TEST(jail_network_per_role)
{
    int l = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET,
                             .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof(sa);
    g_autofree char *e1 = NULL, *e2 = NULL;
    int st;

    ck_assert_int_eq(bind(l, (struct sockaddr *)&sa, sizeof(sa)), 0);
    ck_assert_int_eq(listen(l, 4), 0);
    ck_assert_int_eq(getsockname(l, (struct sockaddr *)&sa, &len), 0);
    port_for_child = ntohs(sa.sin_port);
    /* husk-slirp's jail: files closed, the network open. */
    st = in_child(jailed_connect, (void *)(long)SANDBOX_JAIL_SCOPE, &e1);
    ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0,
                  "husk-slirp's jail refused a TCP connect: %s (%s)",
                  WIFEXITED(st) ? g_strerror(WEXITSTATUS(st)) : "?", e1);
    /* husk's own: no TCP where Landlock can say so (ABI 4). */
    st = in_child(jailed_connect, (void *)(long)SANDBOX_JAIL_NO_NET, &e2);
    ck_assert(WIFEXITED(st));
    if (sandbox_landlock_abi() >= 4) {
        ck_assert_msg(WEXITSTATUS(st) == EACCES, "husk connected: %d %s",
                      WEXITSTATUS(st), e2);
    }
    close(l);
}
END_TEST

/* One call in a role's filter: which, and whether it must pass. */
struct call_case {
    enum sandbox_role role;
    const char *what;
    bool allowed;
};

static void do_call(void *arg)
{
    const struct call_case *c = arg;
    pid_t parent = getppid();
    long r = 0;

    enter(SANDBOX_ON, c->role, "main");
    if (!strcmp(c->what, "mmap rw")) {
        r = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
                 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0) == MAP_FAILED;
    } else if (!strcmp(c->what, "mmap rwx")) {
        r = mmap(NULL, 4096, PROT_READ | PROT_WRITE | PROT_EXEC,
                 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0) == MAP_FAILED;
    } else if (!strcmp(c->what, "mprotect x")) {
        static char page[4096] __attribute__((aligned(4096)));

        r = mprotect(page, sizeof(page), PROT_READ | PROT_EXEC);
    } else if (!strcmp(c->what, "tgkill self")) {
        r = syscall(SYS_tgkill, getpid(), gettid(), 0);
    } else if (!strcmp(c->what, "tgkill parent")) {
        r = syscall(SYS_tgkill, parent, parent, 0);
    } else if (!strcmp(c->what, "socket inet")) {
        r = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0) < 0;
    } else if (!strcmp(c->what, "socket inet6")) {
        r = socket(AF_INET6, SOCK_STREAM | SOCK_NONBLOCK, 0) < 0;
    } else if (!strcmp(c->what, "socket packet")) {
        r = socket(AF_PACKET, SOCK_RAW, 0);
    } else if (!strcmp(c->what, "socket netlink")) {
        r = socket(AF_NETLINK, SOCK_RAW, 0);
    } else if (!strcmp(c->what, "socket unix")) {
        r = socket(AF_UNIX, SOCK_STREAM, 0);
    }
    _exit(r ? 1 : 0);
}

/* W^X in every role (no executable memory once the guest runs), signals
 * only to husk's own process, and husk-slirp's sockets only of the
 * families slirp needs (not AF_PACKET, netlink or UNIX). */
START_TEST(argument_rules)
{
    static const struct call_case cases[] = {
        {SANDBOX_MAIN, "mmap rw", true},
        {SANDBOX_MAIN, "mmap rwx", false},
        {SANDBOX_VCPU, "mmap rwx", false},
        {SANDBOX_SLIRP, "mmap rwx", false},
        {SANDBOX_MAIN, "mprotect x", false},
        {SANDBOX_VCPU, "mprotect x", false},
        {SANDBOX_SLIRP, "mprotect x", false},
        {SANDBOX_MAIN, "tgkill self", true},
        {SANDBOX_VCPU, "tgkill self", true},
        {SANDBOX_SLIRP, "tgkill self", true},
        {SANDBOX_VCPU, "tgkill parent", false},
        {SANDBOX_SLIRP, "tgkill parent", false},
        {SANDBOX_SLIRP, "socket inet", true},
        {SANDBOX_SLIRP, "socket inet6", true},
        {SANDBOX_SLIRP, "socket packet", false},
        {SANDBOX_SLIRP, "socket netlink", false},
        {SANDBOX_SLIRP, "socket unix", false},
    };

    for (unsigned i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autofree char *err = NULL;
        int st = in_child(do_call, (void *)&cases[i], &err);
        const char *call = cases[i].what;
        g_autofree char *want = g_strdup_printf("forbidden system call: %.*s",
                                                (int)strcspn(call, " "), call);

        if (cases[i].allowed) {
            ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0,
                          "role %d %s: 0x%x %s", cases[i].role, call, st, err);
        } else {
            ck_assert_msg(WIFEXITED(st) &&
                              WEXITSTATUS(st) == HUSK_EXIT_SANDBOX &&
                              strstr(err, want),
                          "role %d %s: 0x%x %s", cases[i].role, call, st, err);
        }
    }
}
END_TEST

static void scoped_kill_parent(void *arg)
{
    g_autoptr(GError) err = NULL;

    if (!sandbox_prepare(SANDBOX_ON, ~0u, &err) ||
        !sandbox_jail(NULL, 0, (unsigned)(long)arg, &err)) {
        fprintf(stderr, "jail: %s\n", err->message);
        _exit(99);
    }
    _exit(kill(getppid(), 0) == 0 ? 0 : errno);
}

/* husk-slirp's jail scopes signals (and abstract sockets) to itself where
 * Landlock can (ABI 6): it cannot signal husk. */
START_TEST(slirp_jail_is_scoped)
{
    g_autofree char *e = NULL;
    int st = in_child(scoped_kill_parent, (void *)(long)SANDBOX_JAIL_SCOPE, &e);

    ck_assert(WIFEXITED(st));
    if (sandbox_landlock_abi() >= 6) {
        ck_assert_msg(WEXITSTATUS(st) == EPERM, "signalled its parent: %d %s",
                      WEXITSTATUS(st), e);
    } else {
        ck_assert_int_eq(WEXITSTATUS(st), 0);
    }
}
END_TEST

/* husk's own jail (the flags vm.c passes) still lets it signal the
 * backends it started before the jail (virtiofsd, qemu-storage-daemon,
 * husk-slirp): stopping one is a pidfd signal.  With signals scoped
 * (Landlock ABI 6+) every stop took the 2 s of both waits, and a hung
 * backend was never killed. */
static void jailed_stop_backend(void *arg)
{
    g_autoptr(GError) err = NULL;
    pid_t backend = fork();
    int pidfd;

    if (backend == 0) {
        /* Holds no end of the test's pipe (a failing test then ends at
         * once), and should end with the test's child. */
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        for (int fd = STDERR_FILENO; fd < 1024; fd++) {
            close(fd);
        }
        for (;;) {
            pause();
        }
    }
    pidfd = (int)syscall(SYS_pidfd_open, backend, 0);
    if (backend < 0 || pidfd < 0 || !sandbox_prepare(SANDBOX_ON, ~0u, &err) ||
        !sandbox_jail(NULL, 0, SANDBOX_JAIL_LIMIT_FDS | SANDBOX_JAIL_NO_NET,
                      &err)) {
        fprintf(stderr, "setup: %s\n", err ? err->message : g_strerror(errno));
        _exit(99);
    }
    if (syscall(SYS_pidfd_send_signal, pidfd, SIGKILL, NULL, 0) < 0) {
        _exit(errno);
    }
    _exit(waitpid(backend, NULL, 0) == backend ? 0 : 98);
}

START_TEST(husk_jail_can_stop_its_backends)
{
    g_autofree char *e = NULL;
    int st = in_child(jailed_stop_backend, NULL, &e);

    ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0,
                  "stopping a backend from husk's jail: %d (errno) %s",
                  WIFEXITED(st) ? WEXITSTATUS(st) : -1, e);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("sandbox");
    TCase *tc = tcase_create("sandbox");

    tcase_add_test(tc, lists_resolve);
    tcase_add_test(tc, forbidden_call_stops_with_report);
    tcase_add_test(tc, log_and_off_modes_do_not_stop);
    tcase_add_test(tc, ioctl_requests_filtered);
    tcase_add_test(tc, jail_limits_files_and_descriptors);
    tcase_add_test(tc, jail_network_per_role);
    tcase_add_test(tc, argument_rules);
    tcase_add_test(tc, slirp_jail_is_scoped);
    tcase_add_test(tc, husk_jail_can_stop_its_backends);
    suite_add_tcase(s, tc);
    return check_run(s);
}
