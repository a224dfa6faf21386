/*
 * backend_proc.c: starting and stopping backend programs (see
 * backend_proc.h; vhost-user.rst "Backend program conventions").
 */
#define G_LOG_DOMAIN "husk"
#include "vmm/backend_proc.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>

#ifndef P_PIDFD
#define P_PIDFD 3
#endif
#include <unistd.h>

#include <glib-unix.h>

#include "lib/error.h"

struct child_setup {
    const char *ro_dir;
    pid_t parent;
};

static void child_say(const char *what, const char *dir)
{
    char msg[512];
    int n = snprintf(msg, sizeof(msg), "husk: cannot %s %s: %s\n", what, dir,
                     strerror(errno));

    if (n > 0 && write(2, msg, (size_t)MIN(n, (int)sizeof(msg) - 1)) < 0) {
        /* nothing more to do in a child about to exit */
    }
}

/* Between fork and exec (async-signal-safe calls only). */
static void child_setup(gpointer opaque)
{
    const struct child_setup *cs = opaque;
    struct mount_attr ro = {.attr_set = MOUNT_ATTR_RDONLY};

    /* If husk dies, so does the backend; and if it already has: exit. */
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != cs->parent) {
        _exit(1);
    }
    if (!cs->ro_dir) {
        return;
    }
    /* The backend's own view of the tree: the directory bind-mounted on
     * itself, read-only with everything under it, in a mount namespace
     * nobody else shares.  Its writes get EROFS from the host kernel. */
    if (unshare(CLONE_NEWNS) < 0) {
        child_say("make a mount namespace for", cs->ro_dir);
        _exit(HUSK_EXIT_OSERR);
    }
    if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0 ||
        mount(cs->ro_dir, cs->ro_dir, NULL, MS_BIND | MS_REC, NULL) < 0 ||
        syscall(SYS_mount_setattr, AT_FDCWD, cs->ro_dir, AT_RECURSIVE, &ro,
                sizeof(ro)) < 0) {
        child_say("make a read-only view of", cs->ro_dir);
        _exit(HUSK_EXIT_OSERR);
    }
}

/* A listening socket in a new 0700 directory: *dir and *path to remove. */
static int listen_private(char **dir, char **path, GError **errp)
{
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    g_autoptr(GError) err = NULL;
    int fd;

    *path = NULL;
    *dir = g_dir_make_tmp("husk-vu-XXXXXX", &err);
    if (!*dir) {
        g_set_error(errp, HUSK_ERROR, HUSK_EXIT_OSERR,
                    "cannot make a directory for a backend socket: %s",
                    err->message);
        return -1;
    }
    *path = g_build_filename(*dir, "s", NULL);
    if (strlen(*path) >= sizeof(sa.sun_path)) {
        errno = ENAMETOOLONG;
        goto fail;
    }
    strcpy(sa.sun_path, *path);
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        goto fail;
    }
    if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, 1) < 0) {
        int e = errno;

        close(fd);
        errno = e;
        goto fail;
    }
    return fd;
fail:
    g_set_error(errp, HUSK_ERROR, HUSK_EXIT_OSERR,
                "cannot make a backend socket in %s: %s", *dir,
                g_strerror(errno));
    return -1;
}

static void remove_private(char *dir, char *path)
{
    if (path) {
        unlink(path);
    }
    if (dir) {
        rmdir(dir);
    }
    g_free(path);
    g_free(dir);
}

int bproc_start(struct backend_proc *p,
                const char *name,
                const char *const *argv,
                const struct bproc_opts *o,
                GError **errp)
{
    struct child_setup cs = {o->ro_dir, getpid()};
    g_autoptr(GError) err = NULL;
    char *dir = NULL, *path = NULL;
    int lfd, target = 3, sock = -1;
    struct sockaddr_un sa = {.sun_family = AF_UNIX};

    memset(p, 0, sizeof(*p));
    p->pidfd = -1;
    p->err_fd = -1;
    g_strlcpy(p->name, name, sizeof(p->name));
    lfd = listen_private(&dir, &path, errp);
    if (lfd < 0) {
        remove_private(dir, path);
        return -1;
    }
    /* Connected before the program runs: the connection waits in the
     * listening socket's backlog.  Connecting after it started lost to a
     * program that failed at once (a busy port) and closed the socket:
     * "connection refused" instead of its own reason. */
    strcpy(sa.sun_path, path);
    sock = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (sock < 0 || connect(sock, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
        g_set_error(errp, HUSK_ERROR, HUSK_EXIT_OSERR,
                    "%s: cannot connect to its socket: %s", name,
                    g_strerror(errno));
        if (sock >= 0) {
            close(sock);
        }
        close(lfd);
        remove_private(dir, path);
        return -1;
    }
    remove_private(dir, path);
    if (!g_spawn_async_with_pipes_and_fds(
            NULL, argv, NULL, G_SPAWN_DO_NOT_REAP_CHILD | G_SPAWN_CLOEXEC_PIPES,
            child_setup, &cs, -1, -1, -1, &lfd, &target, 1, &p->pid, NULL, NULL,
            o->capture_stderr ? &p->err_fd : NULL, &err)) {
        g_set_error(errp, HUSK_ERROR, HUSK_EXIT_UNAVAILABLE,
                    "%s: cannot start %s: %s", name, argv[0], err->message);
        close(lfd);
        close(sock);
        return -1;
    }
    close(lfd);
    p->pidfd = bproc_pidfd(p);
    return sock;
}

int bproc_pidfd(const struct backend_proc *p)
{
    return p->pid > 0 ? (int)syscall(SYS_pidfd_open, p->pid, 0) : -1;
}

pid_t bproc_server_pid(const struct backend_proc *p)
{
    g_autofree char *path = NULL, *children = NULL;
    char *end;
    long child;

    if (p->pid <= 0) {
        return -1;
    }
    /* virtiofsd's namespace sandbox forks into a new PID namespace and
     * waits there: the child serves, and is who must be stopped. */
    path =
        g_strdup_printf("/proc/%d/task/%d/children", (int)p->pid, (int)p->pid);
    if (g_file_get_contents(path, &children, NULL, NULL)) {
        child = strtol(children, &end, 10);
        if (end != children && child > 0 && !strchr(g_strstrip(end), ' ') &&
            !*end) {
            return (pid_t)child;
        }
    }
    return p->pid;
}

int bproc_server_pidfd(const struct backend_proc *p)
{
    pid_t pid = bproc_server_pid(p);

    return pid > 0 ? (int)syscall(SYS_pidfd_open, pid, 0) : -1;
}

/* Waits up to ms for the process to end, and reaps it; true if it did. */
static bool reap_within(struct backend_proc *p, unsigned ms)
{
    struct pollfd pfd = {.fd = p->pidfd, .events = POLLIN};
    siginfo_t si = {0};
    int r;

    do {
        r = poll(&pfd, 1, (int)ms);
    } while (r < 0 && errno == EINTR);
    if (r <= 0) {
        return false;
    }
    if (waitid(P_PIDFD, (id_t)p->pidfd, &si, WEXITED | WNOHANG) < 0 &&
        errno != ECHILD) {
        return false;
    }
    return true;
}

int bproc_exit_status(struct backend_proc *p, unsigned ms)
{
    struct pollfd pfd = {.fd = p->pidfd, .events = POLLIN};
    siginfo_t si = {0};

    if (p->pid <= 0 || p->pidfd < 0 || poll(&pfd, 1, (int)ms) <= 0 ||
        waitid(P_PIDFD, (id_t)p->pidfd, &si, WEXITED | WNOHANG) < 0 ||
        si.si_pid == 0) {
        return -1;
    }
    close(p->pidfd);
    p->pidfd = -1;
    p->pid = 0;
    return si.si_code == CLD_EXITED ? si.si_status : -1;
}

void bproc_stop(struct backend_proc *p, unsigned grace_ms)
{
    if (p->pid <= 0) {
        return;
    }
    if (p->pidfd < 0) {
        /* No pidfd (an old kernel): the child is left to init. */
        kill(p->pid, SIGKILL);
    } else {
        syscall(SYS_pidfd_send_signal, p->pidfd, SIGTERM, NULL, 0);
        if (!reap_within(p, grace_ms)) {
            syscall(SYS_pidfd_send_signal, p->pidfd, SIGKILL, NULL, 0);
            if (!reap_within(p, 1000)) {
                g_warning("%s did not end after SIGKILL (pid %d)", p->name,
                          (int)p->pid);
            }
        }
    }
    if (p->pidfd >= 0) {
        close(p->pidfd);
    }
    p->pidfd = -1;
    p->pid = 0;
    if (p->err_src) {
        g_source_destroy(p->err_src);
        g_source_unref(p->err_src);
        p->err_src = NULL;
    }
    if (p->err_fd >= 0) {
        close(p->err_fd);
        p->err_fd = -1;
    }
}

char *bproc_stderr_last_line(struct backend_proc *p, unsigned ms)
{
    GString *all = g_string_new(NULL);
    gint64 end = g_get_monotonic_time() + (gint64)ms * 1000;
    struct pollfd pfd = {.fd = p->err_fd, .events = POLLIN};
    g_auto(GStrv) lines = NULL;
    char buf[4096];
    char *last = NULL, *plain = NULL;

    while (p->err_fd >= 0 && all->len < 65536) {
        gint64 left = (end - g_get_monotonic_time()) / 1000;
        ssize_t n;

        if (left <= 0 || poll(&pfd, 1, (int)left) <= 0) {
            break;
        }
        n = read(p->err_fd, buf, sizeof(buf));
        if (n <= 0) {
            break;
        }
        g_string_append_len(all, buf, n);
    }
    lines = g_strsplit(all->str, "\n", -1);
    /* The last "PROGRAM: message" line is the error; lines after it are
     * its hints (QEMU's "Is another process using the image?"): one line
     * of both. */
    for (char **l = lines; *l; l++) {
        char *colon = strstr(g_strstrip(*l), ": ");

        if (!**l) {
            continue;
        }
        if (colon && !memchr(*l, ' ', (size_t)(colon - *l))) {
            g_free(last);
            last = g_strdup(colon + 2);
        } else if (last) {
            char *joined = g_strdup_printf("%s (%s)", last, *l);

            g_free(last);
            last = joined;
        } else {
            plain = *l;
        }
    }
    if (!last && plain) {
        last = g_strdup(plain);
    }
    for (char *c = last; c && *c; c++) {
        if ((unsigned char)*c < 0x20 || *c == 0x7f) {
            *c = '?';
        }
    }
    g_string_free(all, TRUE);
    return last;
}

static gboolean on_stderr(gint fd, GIOCondition cond, gpointer opaque)
{
    struct backend_proc *p = opaque;
    char buf[1024];
    ssize_t n = read(fd, buf, sizeof(buf) - 1);
    g_auto(GStrv) lines = NULL;

    if (n <= 0) {
        return G_SOURCE_REMOVE;
    }
    buf[n] = '\0';
    lines = g_strsplit(buf, "\n", -1);
    for (char **l = lines; *l; l++) {
        if (**l) {
            g_printerr("husk: %s: %s\n", p->name, *l);
        }
    }
    return G_SOURCE_CONTINUE;
}

void bproc_stderr_forward(struct backend_proc *p, GMainContext *ctx)
{
    if (p->err_fd < 0) {
        return;
    }
    p->err_src = g_unix_fd_source_new(p->err_fd, G_IO_IN | G_IO_HUP);
    g_source_set_callback(p->err_src, G_SOURCE_FUNC(on_stderr), p, NULL);
    g_source_attach(p->err_src, ctx);
}
