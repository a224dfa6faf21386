/*
 * slirp_helper.c: husk-slirp, the user-mode network stack behind
 * `husk run --net user`.  husk starts it with one end of a SOCK_SEQPACKET
 * socketpair as descriptor 3; each message is one Ethernet frame, guest to
 * slirp and slirp to guest.  It exits when husk closes its end.
 *
 *   husk-slirp --fd=3 [--restrict] [--no-ipv6] [--hostfwd=RULE]...
 *   husk-slirp --version
 *
 * Before the first frame it sends "R" (running, every forwarding rule
 * listening) or "E", an exit-status byte and a message (net_user.c).
 * Nothing here trusts a frame: slirp parses them (with its protocol
 * emulation off), this file only moves bytes.
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

#include "devices/backend/slirp_stack.h"
#include "vmm/error.h"

#define RX_BUDGET 64

struct helper {
    int fd;
    struct slirp_stack *stack;
    GMainLoop *loop;
    bool blocked;           /* husk's side is full: wait for POLLOUT */
    uint8_t buf[SLIRP_STACK_MAX_FRAME + 1];
};

static gboolean on_writable(gint fd, GIOCondition c, gpointer opaque)
{
    struct helper *h = opaque;

    h->blocked = false;
    slirp_stack_resume(h->stack);
    return G_SOURCE_REMOVE;
}

/* slirp -> husk.  0 (keep it) while husk's socket is full. */
static int output(void *opaque, const void *frame, size_t len)
{
    struct helper *h = opaque;
    ssize_t r;

    if (h->blocked) {
        return 0;
    }
    do {
        r = send(h->fd, frame, len, MSG_DONTWAIT | MSG_NOSIGNAL);
    } while (r < 0 && errno == EINTR);
    if (r < 0 && (errno == EAGAIN || errno == ENOBUFS)) {
        h->blocked = true;
        g_unix_fd_add(h->fd, G_IO_OUT, on_writable, h);
        return 0;
    }
    if (r < 0) {
        g_main_loop_quit(h->loop); /* husk is gone */
    }
    return 1;
}

/* husk -> slirp. */
static gboolean on_readable(gint fd, GIOCondition c, gpointer opaque)
{
    struct helper *h = opaque;

    for (int i = 0; i < RX_BUDGET; i++) {
        ssize_t r = recv(fd, h->buf, sizeof(h->buf), MSG_DONTWAIT);

        if (r < 0 && errno == EINTR) {
            continue;
        }
        if (r < 0 && errno == EAGAIN) {
            return G_SOURCE_CONTINUE;
        }
        if (r <= 0) {
            g_main_loop_quit(h->loop); /* EOF: husk exited */
            return G_SOURCE_REMOVE;
        }
        slirp_stack_input(h->stack, h->buf, (size_t)r);
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
    static struct helper h = { .fd = -1 };
    struct net_user_opts o = { .ipv6 = true };
    g_autoptr(GError) err = NULL;

    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];

        if (g_str_has_prefix(a, "--fd=")) {
            h.fd = atoi(a + 5);
        } else if (!strcmp(a, "--restrict")) {
            o.restrict_ = true;
        } else if (!strcmp(a, "--no-ipv6")) {
            o.ipv6 = false;
        } else if (g_str_has_prefix(a, "--hostfwd=")) {
            const char *why;

            if (o.nr_fwd == NET_USER_MAX_FWD ||
                !net_user_parse_fwd(a + 10, &o.fwd[o.nr_fwd], &why)) {
                fail(h.fd, HUSK_EXIT_USAGE, "bad --hostfwd");
            }
            o.nr_fwd++;
        } else if (!strcmp(a, "--version")) {
            printf("husk-slirp %s, libslirp %s\n", HUSK_VERSION,
                   slirp_stack_version());
            return 0;
        } else {
            fail(h.fd, HUSK_EXIT_USAGE, "unknown option (this program is "
                                        "started by husk run --net user)");
        }
    }
    if (h.fd < 0 || fcntl(h.fd, F_GETFD) < 0) {
        fail(-1, HUSK_EXIT_USAGE, "needs --fd=N, a SOCK_SEQPACKET socket "
                                  "(started by husk run --net user)");
    }
    /* Never outlive husk, even if the socket were somehow kept open. */
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() == 1) {
        return 0;
    }
    signal(SIGPIPE, SIG_IGN);
    h.loop = g_main_loop_new(NULL, FALSE);
    h.stack = slirp_stack_new(&o, NULL, output, &h, &err);
    if (!h.stack) {
        fail(h.fd, err->code, err->message);
    }
    say(h.fd, "R", 1);
    g_unix_fd_add(h.fd, G_IO_IN | G_IO_HUP | G_IO_ERR, on_readable, &h);
    g_main_loop_run(h.loop);
    slirp_stack_free(h.stack);
    return 0;
}
