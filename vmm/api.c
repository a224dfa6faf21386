/*
 * api.c: the control socket, husk's side (api.h).
 */
#define G_LOG_DOMAIN "husk"
#include "vmm/api.h"

#include <errno.h>
#include <fcntl.h>
#include <glib-unix.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib/error.h"
#include "lib/paths.h"
#include "vmm/snapshot.h"
#include "vmm/vm.h"

#define API_READY_MS 5000 /* the helper's start, until it listens */
#define API_PAUSE_MS 2000
#define API_STOP_MS 1000 /* its last words to its clients at exit */
#define API_SNAP_FDS 3

static void child_setup(gpointer data)
{
    /* The helper goes when husk goes, however husk ends. */
    prctl(PR_SET_PDEATHSIG, SIGKILL);
}

static bool send_record(int fd, const struct api_response *r)
{
    ssize_t n = send(fd, r, sizeof(*r), MSG_DONTWAIT | MSG_NOSIGNAL);

    return n == (ssize_t)sizeof(*r);
}

void api_event(struct api *a,
               enum api_event ev,
               const char *text,
               uint64_t v0,
               uint64_t v1)
{
    struct api_response r = {.magic = API_MAGIC, .kind = API_EVENT};

    if (a->fd < 0) {
        return;
    }
    r.event = ev;
    r.paused = a->vm->paused;
    r.value[0] = v0;
    r.value[1] = v1;
    g_strlcpy(r.text, text ? text : "", sizeof(r.text));
    if (!send_record(a->fd, &r)) {
        g_debug("api: event %u dropped: %s", ev, g_strerror(errno));
    }
}

static void reply(struct api *a,
                  const struct api_request *q,
                  int error,
                  const char *msg,
                  uint64_t v0,
                  uint64_t v1)
{
    struct api_response r = {.magic = API_MAGIC, .kind = API_REPLY};

    r.tag = q->tag;
    r.error = error;
    r.paused = a->vm->paused;
    r.value[0] = v0;
    r.value[1] = v1;
    g_strlcpy(r.text, msg ? msg : "", sizeof(r.text));
    if (!send_record(a->fd, &r)) {
        g_debug("api: reply dropped: %s", g_strerror(errno));
    }
}

static void do_snapshot(struct api *a,
                        const struct api_request *q,
                        const int *fds)
{
    g_autoptr(GError) err = NULL;
    struct snap_files f = {g_strdup(q->text), fds[0], fds[1], fds[2]};
    gint64 t0 = g_get_monotonic_time();
    uint64_t us;

    /* A paused VM stays paused; a running one runs on afterwards. */
    if (!snap_take(a->vm, &f, a->vm->paused, &err)) {
        reply(a, q, err->code, err->message, 0, 0);
        snap_files_close(&f);
        return;
    }
    us = (uint64_t)(g_get_monotonic_time() - t0);
    /* The event first, as for pause: a client that has the reply has
     * the event too. */
    api_event(a, API_EV_SNAPSHOT_DONE, q->text, us, a->vm->snap_last_data);
    reply(a, q, 0, NULL, us, a->vm->snap_last_data);
    snap_files_close(&f);
}

static void dispatch(struct api *a,
                     const struct api_request *q,
                     const int *fds,
                     unsigned nfds)
{
    struct vm *vm = a->vm;

    switch (q->cmd) {
    case API_CMD_QUERY_STATUS:
        reply(a, q, 0, NULL, 0, 0);
        break;
    case API_CMD_PAUSE:
        if (!vm->paused) {
            int r = vcpu_pause_all(vm, API_PAUSE_MS);

            if (r < 0) {
                reply(a, q, HUSK_EXIT_SOFTWARE,
                      "the vCPUs did not stop in time", 0, 0);
                break;
            }
            vm->paused = true;
            api_event(a, API_EV_STOP, NULL, 0, 0);
        }
        reply(a, q, 0, NULL, 0, 0);
        break;
    case API_CMD_RESUME:
        if (vm->paused) {
            vcpu_resume_all(vm);
            vm->paused = false;
            api_event(a, API_EV_RESUME, NULL, 0, 0);
        }
        reply(a, q, 0, NULL, 0, 0);
        break;
    case API_CMD_SNAPSHOT:
        if (nfds != API_SNAP_FDS) {
            reply(a, q, HUSK_EXIT_USAGE, "snapshot: no files given", 0, 0);
            break;
        }
        do_snapshot(a, q, fds);
        return; /* the files are closed there */
    case API_CMD_POWERDOWN:
        /* Like a press of the button: whether and how the guest shuts
         * down is the guest's (its SHUTDOWN event says when). */
        if (!vm_powerdown(vm)) {
            reply(a, q, HUSK_EXIT_UNAVAILABLE,
                  "powerdown: this machine has no power button", 0, 0);
            break;
        }
        reply(a, q, 0, NULL, 0, 0);
        break;
    case API_CMD_QUIT:
        reply(a, q, 0, NULL, 0, 0);
        vm->ctl.request_exit(&vm->ctl, VM_EXIT_QUIT, 0);
        break;
    }
    for (unsigned i = 0; i < nfds; i++) {
        close(fds[i]);
    }
}

/* The helper hung up or broke the protocol: no more control socket. */
static void lose_helper(struct api *a, const char *why)
{
    g_printerr("husk: control socket: %s; the VM runs on without it\n", why);
    if (a->src) {
        g_source_destroy(a->src);
        g_source_unref(a->src);
        a->src = NULL;
    }
    close(a->fd);
    a->fd = -1;
}

static gboolean on_request(gint fd, GIOCondition cond, gpointer opaque)
{
    struct api *a = opaque;
    struct api_request q;
    union {
        struct cmsghdr h;
        char buf[CMSG_SPACE(sizeof(int) * API_SNAP_FDS)];
    } c;
    struct iovec iov = {&q, sizeof(q)};
    struct msghdr m = {.msg_iov = &iov,
                       .msg_iovlen = 1,
                       .msg_control = c.buf,
                       .msg_controllen = sizeof(c.buf)};
    int fds[API_SNAP_FDS];
    unsigned nfds = 0;
    ssize_t n = recvmsg(fd, &m, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);

    if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
        return G_SOURCE_CONTINUE;
    }
    if (n <= 0) {
        lose_helper(a, "its helper went away");
        return G_SOURCE_REMOVE;
    }
    for (struct cmsghdr *h = CMSG_FIRSTHDR(&m); h; h = CMSG_NXTHDR(&m, h)) {
        if (h->cmsg_level == SOL_SOCKET && h->cmsg_type == SCM_RIGHTS) {
            unsigned k = (unsigned)((h->cmsg_len - CMSG_LEN(0)) / sizeof(int));
            const int *p = (const int *)CMSG_DATA(h);

            for (unsigned i = 0; i < k; i++) {
                if (nfds < API_SNAP_FDS) {
                    fds[nfds++] = p[i];
                } else {
                    close(p[i]);
                }
            }
        }
    }
    /* Everything in the record is checked before it is used. */
    if (n != (ssize_t)sizeof(q) || (m.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) ||
        q.magic != API_MAGIC || q.cmd < 1 || q.cmd > API_CMD_MAX ||
        !memchr(q.text, '\0', sizeof(q.text)) ||
        (nfds && q.cmd != API_CMD_SNAPSHOT)) {
        for (unsigned i = 0; i < nfds; i++) {
            close(fds[i]);
        }
        lose_helper(a, "its helper sent a malformed request");
        return G_SOURCE_REMOVE;
    }
    for (unsigned i = 0; i < nfds; i++) {
        struct stat st;

        if (fstat(fds[i], &st) < 0 || !S_ISREG(st.st_mode) ||
            (fcntl(fds[i], F_GETFL) & O_ACCMODE) != O_RDWR) {
            for (unsigned j = 0; j < nfds; j++) {
                close(fds[j]);
            }
            reply(a, &q, HUSK_EXIT_USAGE,
                  "snapshot: the files given are not writable regular files", 0,
                  0);
            return G_SOURCE_CONTINUE;
        }
    }
    dispatch(a, &q, fds, nfds);
    return G_SOURCE_CONTINUE;
}

/* The helper's first record: listening, or why not. */
static bool wait_ready(struct api *a, GError **errp)
{
    struct api_response r;
    struct pollfd p = {a->fd, POLLIN, 0};
    int n = poll(&p, 1, API_READY_MS);
    ssize_t got = n > 0 ? recv(a->fd, &r, sizeof(r), 0) : -1;

    if (got != (ssize_t)sizeof(r) || r.magic != API_MAGIC ||
        r.kind != API_REPLY || !memchr(r.text, '\0', sizeof(r.text))) {
        g_set_error(errp, HUSK_ERROR, HUSK_EXIT_UNAVAILABLE,
                    "--api-socket: the husk-api helper did not start");
        return false;
    }
    if (r.error) {
        g_set_error(errp, HUSK_ERROR,
                    r.error > 0 && r.error < 256 ? r.error : HUSK_EXIT_OSERR,
                    "--api-socket: %s", r.text);
        return false;
    }
    return true;
}

bool api_start(struct api *a, struct vm *vm, const char *path, GError **errp)
{
    g_autofree char *prog = husk_find_program("HUSK_API", "husk-api");
    g_autofree char *sock_arg = g_strdup_printf("--socket=%s", path);
    const char *argv[] = {prog,
                          "serve",
                          "--fd=3",
                          sock_arg,
                          vm->cfg.sandbox == SANDBOX_OFF   ? "--sandbox=off"
                          : vm->cfg.sandbox == SANDBOX_LOG ? "--sandbox=log"
                                                           : NULL,
                          NULL};
    g_autoptr(GError) e = NULL;
    int sp[2];
    GPid pid;

    memset(a, 0, sizeof(*a));
    a->vm = vm;
    a->fd = -1;
    if (!prog) {
        g_set_error(errp, HUSK_ERROR, HUSK_EXIT_UNAVAILABLE,
                    "--api-socket: the husk-api helper is not next to husk "
                    "or in %s (set HUSK_API=PATH)",
                    HUSK_LIBEXECDIR);
        return false;
    }
    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp) < 0) {
        g_set_error(errp, HUSK_ERROR, HUSK_EXIT_OSERR,
                    "--api-socket: socketpair: %s", g_strerror(errno));
        return false;
    }
    {
        gint src[] = {sp[1]}, dst[] = {3};

        if (!g_spawn_async_with_pipes_and_fds(
                NULL, argv, NULL, G_SPAWN_DO_NOT_REAP_CHILD, child_setup, NULL,
                -1, -1, -1, src, dst, 1, &pid, NULL, NULL, NULL, &e)) {
            close(sp[0]);
            close(sp[1]);
            g_set_error(errp, HUSK_ERROR, HUSK_EXIT_UNAVAILABLE,
                        "--api-socket: cannot start %s: %s", prog, e->message);
            return false;
        }
    }
    close(sp[1]);
    a->fd = sp[0];
    a->pid = pid;
    if (!wait_ready(a, errp)) {
        api_stop(a);
        return false;
    }
    a->src = g_unix_fd_source_new(a->fd, G_IO_IN | G_IO_HUP | G_IO_ERR);
    g_source_set_callback(a->src, G_SOURCE_FUNC(on_request), a, NULL);
    g_source_attach(a->src, vm->ctx);
    return true;
}

void api_stop(struct api *a)
{
    gint64 deadline = g_get_monotonic_time() + API_STOP_MS * 1000;

    if (a->src) {
        g_source_destroy(a->src);
        g_source_unref(a->src);
        a->src = NULL;
    }
    if (a->fd >= 0) {
        close(a->fd);
        a->fd = -1;
    }
    if (a->pid <= 0) {
        return;
    }
    /* It ends on its own once our end is closed, after its clients have
     * the last events.  Not waited for beyond the bound: one that hangs
     * gets SIGKILL when husk ends (PR_SET_PDEATHSIG).  waitid, not
     * waitpid: that is what the sandbox allows. */
    for (;;) {
        siginfo_t si = {0};

        if (waitid(P_PID, (id_t)a->pid, &si, WEXITED | WNOHANG) < 0 ||
            si.si_pid == a->pid || g_get_monotonic_time() > deadline) {
            break;
        }
        g_usleep(2000);
    }
    a->pid = 0;
}
