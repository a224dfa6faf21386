/*
 * slirp_helper.c: husk-slirp, the user-mode network stack behind
 * `husk run --net user`.  husk starts it with one end of a SOCK_STREAM
 * socketpair as descriptor 3, carrying length-prefixed Ethernet frames
 * both ways (frame_stream.h).  It exits when husk closes its end.
 *
 *   husk-slirp --fd=3 [--restrict] [--no-ipv6] [--mtu=N] [--hostfwd=RULE]...
 *              [--sandbox=off|log]
 *   husk-slirp --version
 *
 * Before the first frame it writes 'R' (running, every forwarding rule
 * listening), or 'E', an exit-status byte and a message (net_user.c).
 * Nothing here trusts a frame: slirp parses them (with its protocol
 * emulation off), this file only moves bytes.  Once slirp runs and the
 * forwarded ports listen, the helper enters its sandbox (sandbox.h, role
 * SANDBOX_SLIRP): sockets yes, exec and KVM no, no file but
 * /etc/resolv.conf.
 */
#define G_LOG_DOMAIN "husk-slirp"
#include <errno.h>
#include <fcntl.h>
#include <glib-unix.h>
#include <glib.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "devices/backend/frame_stream.h"
#include "devices/backend/slirp_stack.h"
#include "vmm/error.h"
#include "vmm/sandbox.h"

#define FILL_BUDGET 8

struct helper {
    struct frame_stream fs;
    struct slirp_stack *stack;
    GMainLoop *loop;
    bool blocked;           /* the write buffer was full: slirp waits */
    guint out_watch;        /* waiting for the socket to drain */
};

static gboolean on_writable(gint fd, GIOCondition c, gpointer opaque)
{
    struct helper *h = opaque;
    int r = fs_flush(&h->fs);

    if (r < 0 && r != -EAGAIN) {
        g_main_loop_quit(h->loop); /* husk is gone */
        h->out_watch = 0;
        return G_SOURCE_REMOVE;
    }
    if (h->blocked && fs_can_send(&h->fs, FS_MAX_FRAME)) {
        h->blocked = false;
        slirp_stack_resume(h->stack);
    }
    if (h->fs.wlen) {
        return G_SOURCE_CONTINUE;
    }
    h->out_watch = 0;
    return G_SOURCE_REMOVE;
}

static void watch_out(struct helper *h)
{
    if (!h->out_watch) {
        h->out_watch = g_unix_fd_add(h->fs.fd, G_IO_OUT, on_writable, h);
    }
}

/* slirp -> husk.  0 (slirp keeps it) while the write buffer is full.
 * Frames are only queued here; flush_prepare writes them. */
static int output(void *opaque, const void *frame, size_t len)
{
    struct helper *h = opaque;
    struct iovec iov = { (void *)frame, len };
    int r;

    if (h->blocked) {
        return 0;
    }
    r = fs_queue(&h->fs, &iov, 1);
    if (r == -EAGAIN) {
        h->blocked = true;
        watch_out(h);
        return 0;
    }
    if (r < 0 && r != -EMSGSIZE) {
        g_main_loop_quit(h->loop); /* husk is gone */
    }
    return 1;
}

/*
 * glib prepares every source before it polls: the point where this loop
 * iteration's callbacks (slirp's sockets and timers, husk's frames) have
 * all run.  Writing the frames they queued here makes one send(2) per
 * burst, and nothing waits past the moment the helper would sleep.
 */
struct flush_source {
    GSource source;
    struct helper *h;
};

static gboolean flush_prepare(GSource *src, gint *timeout)
{
    struct helper *h = ((struct flush_source *)src)->h;

    *timeout = -1;
    if (h->fs.wlen) {
        int r = fs_flush(&h->fs);

        if (r < 0 && r != -EAGAIN) {
            g_main_loop_quit(h->loop); /* husk is gone */
        } else if (h->fs.wlen) {
            watch_out(h);
        }
    }
    return FALSE;
}

static GSourceFuncs flush_funcs = {
    .prepare = flush_prepare,
};

/* husk -> slirp. */
static gboolean on_readable(gint fd, GIOCondition c, gpointer opaque)
{
    struct helper *h = opaque;

    for (int i = 0; i < FILL_BUDGET; i++) {
        long r = fs_fill(&h->fs);
        const uint8_t *f;
        size_t len;
        int err;

        if (r == -EAGAIN) {
            return G_SOURCE_CONTINUE;
        }
        if (r <= 0) {
            g_main_loop_quit(h->loop); /* EOF: husk exited */
            return G_SOURCE_REMOVE;
        }
        while ((f = fs_peek(&h->fs, &len, &err))) {
            slirp_stack_input(h->stack, f, len);
            fs_consume(&h->fs, len);
        }
        if (err) {
            g_main_loop_quit(h->loop); /* not husk speaking */
            return G_SOURCE_REMOVE;
        }
    }
    return G_SOURCE_CONTINUE;
}

static void say(int fd, const char *msg, size_t len)
{
    if (send(fd, msg, len, MSG_NOSIGNAL) < 0) {
        _exit(HUSK_EXIT_OSERR);
    }
}

static void fail(int fd, int status, const char *text)
{
    g_autofree char *m = g_strdup_printf("E%c%s", status, text);

    if (fd >= 0) {
        say(fd, m, strlen(m));
    } else {
        fprintf(stderr, "husk-slirp: %s\n", text);
    }
    exit(status);
}

int main(int argc, char **argv)
{
    static struct helper h;
    int fd = -1;
    struct net_user_opts o = { .ipv6 = true, .mtu = NET_USER_MTU_DEFAULT };
    g_autoptr(GError) err = NULL;
    GSource *flusher;
    enum sandbox_mode sandbox = SANDBOX_ON;

    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];

        if (g_str_has_prefix(a, "--fd=")) {
            fd = atoi(a + 5);
        } else if (!strcmp(a, "--restrict")) {
            o.restrict_ = true;
        } else if (!strcmp(a, "--no-ipv6")) {
            o.ipv6 = false;
        } else if (g_str_has_prefix(a, "--mtu=")) {
            o.mtu = (unsigned)atoi(a + 6);
            if (o.mtu < NET_USER_MTU_MIN || o.mtu > NET_USER_MTU_MAX) {
                fail(fd, HUSK_EXIT_USAGE, "bad --mtu");
            }
        } else if (g_str_has_prefix(a, "--hostfwd=")) {
            const char *why;

            if (o.nr_fwd == NET_USER_MAX_FWD ||
                !net_user_parse_fwd(a + 10, &o.fwd[o.nr_fwd], &why)) {
                fail(fd, HUSK_EXIT_USAGE, "bad --hostfwd");
            }
            o.nr_fwd++;
        } else if (!strcmp(a, "--sandbox=off")) {
            sandbox = SANDBOX_OFF;
        } else if (!strcmp(a, "--sandbox=log")) {
            sandbox = SANDBOX_LOG;
        } else if (!strcmp(a, "--version")) {
            printf("husk-slirp %s, libslirp %s\n", HUSK_VERSION,
                   slirp_stack_version());
            return 0;
        } else {
            fail(fd, HUSK_EXIT_USAGE, "unknown option (this program is "
                                        "started by husk run --net user)");
        }
    }
    if (fd < 0 || fcntl(fd, F_GETFD) < 0) {
        fail(-1, HUSK_EXIT_USAGE, "needs --fd=N, a stream socket "
                                  "(started by husk run --net user)");
    }
    /* Never outlive husk, even if the socket were somehow kept open. */
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() == 1) {
        return 0;
    }
    signal(SIGPIPE, SIG_IGN);
    h.loop = g_main_loop_new(NULL, FALSE);
    fs_init(&h.fs, fd);
    h.stack = slirp_stack_new(&o, NULL, output, &h, &err);
    if (!h.stack) {
        fail(fd, err->code, err->message);
    }
    {
        struct sandbox_file resolv = { "/etc/resolv.conf", false };
        bool have = g_file_test(resolv.path, G_FILE_TEST_EXISTS);
        int r;

        if (!sandbox_prepare(sandbox, SANDBOX_ROLE_BIT(SANDBOX_SLIRP), &err) ||
            !sandbox_jail(&resolv, have ? 1 : 0, 0, &err)) {
            fail(fd, err->code, err->message);
        }
        r = sandbox_enter(SANDBOX_SLIRP, "slirp");
        if (r < 0) {
            fail(fd, HUSK_EXIT_OSERR, "cannot enter the sandbox");
        }
    }
    say(fd, "R", 1);
    flusher = g_source_new(&flush_funcs, sizeof(struct flush_source));
    ((struct flush_source *)flusher)->h = &h;
    g_source_attach(flusher, NULL);
    g_unix_fd_add(fd, G_IO_IN | G_IO_HUP | G_IO_ERR, on_readable, &h);
    g_main_loop_run(h.loop);
    /* Frames are dropped only when the queue for a guest without RX room
     * overflows: rare, and worth a line when it happens. */
    if (slirp_stack_dropped(h.stack) || g_getenv("HUSK_SLIRP_STATS")) {
        fprintf(stderr, "husk-slirp: %lu frames for the guest dropped "
                        "(queue full)\n",
                slirp_stack_dropped(h.stack));
    }
    if (slirp_stack_fragments(h.stack) || g_getenv("HUSK_SLIRP_STATS")) {
        fprintf(stderr, "husk-slirp: %lu IPv4 fragments from the guest "
                        "dropped (libslirp cannot take them safely)\n",
                slirp_stack_fragments(h.stack));
    }
    slirp_stack_free(h.stack);
    fs_free(&h.fs);
    return 0;
}
