/*
 * net_fd.c: frames on a descriptor, one per read(2)/writev(2).
 *
 * Back-pressure both ways instead of loss: when the guest has no RX
 * buffers the frame just read is held and the descriptor is not read again
 * until the guest adds buffers (rx_ready), so the kernel queues (TAP) or
 * the peer blocks (socket); when the descriptor is full, send says -EAGAIN
 * and the device keeps the frame until the descriptor is writable
 * (CVE-2020-16843: an ingress path that stalled for good).
 */
#define G_LOG_DOMAIN "husk"
#include "devices/backend/net_fd.h"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

/* Frames read per wakeup before other sources get a turn. */
#define RX_BUDGET 64

struct net_fd_state;

struct net_fd_source {
    GSource source;
    struct net_fd_state *st;
};

struct net_fd_state {
    struct net_backend be;
    int fd;
    GSource *src;
    gpointer tag;
    GIOCondition cur_ev; /* what the source watches now */
    uint8_t *buf;        /* one frame read from fd */
    size_t held;         /* bytes of a frame waiting for RX buffers */
    bool tx_blocked;
    bool eof_logged;
    net_fd_offload_fn set_offloads;
};

static void set_events(struct net_fd_state *s)
{
    GIOCondition ev = 0;

    if (!s->held) {
        ev |= G_IO_IN;
    }
    if (s->tx_blocked) {
        ev |= G_IO_OUT;
    }
    /* Only on change: every modification wakes the context. */
    if (ev != s->cur_ev) {
        s->cur_ev = ev;
        g_source_modify_unix_fd(s->src, s->tag, ev);
    }
}

/* Offers the held frame to the guest; true if it was taken. */
static bool deliver_held(struct net_fd_state *s)
{
    struct iovec iov = {s->buf, s->held};

    if (!vnet_receive(s->be.dev, &iov, 1)) {
        return false;
    }
    s->held = 0;
    return true;
}

static void rx(struct net_fd_state *s)
{
    for (int i = 0; i < RX_BUDGET && !s->held; i++) {
        ssize_t r = read(s->fd, s->buf, NET_HDR_LEN + NET_MAX_FRAME);

        if (r < 0 && errno == EINTR) {
            continue;
        }
        if (r == 0 && !s->eof_logged) {
            /* The other side closed (husk-slirp died): the guest's link is
             * as good as unplugged.  Said once; husk keeps running. */
            s->eof_logged = true;
            g_warning("network backend '%s' went away", s->be.kind);
        }
        if (r <= 0) {
            break; /* EAGAIN, or a peer that went away: nothing to read */
        }
        s->held = (size_t)r;
        deliver_held(s);
    }
}

static gboolean fd_dispatch(GSource *src, GSourceFunc cb, gpointer data)
{
    struct net_fd_state *s = ((struct net_fd_source *)src)->st;
    GIOCondition rev = g_source_query_unix_fd(src, s->tag);

    if ((rev & G_IO_OUT) && s->tx_blocked) {
        s->tx_blocked = false;
        vnet_tx_resume(s->be.dev);
    }
    if (rev & (G_IO_IN | G_IO_HUP | G_IO_ERR)) {
        rx(s);
    }
    set_events(s);
    return G_SOURCE_CONTINUE;
}

static GSourceFuncs fd_funcs = {
    .dispatch = fd_dispatch,
};

static int fd_send(struct net_backend *be, const struct iovec *iov, int n)
{
    struct net_fd_state *s = (struct net_fd_state *)be;
    ssize_t r;

    do {
        r = writev(s->fd, iov, n);
    } while (r < 0 && errno == EINTR);
    if (r < 0 && (errno == EAGAIN || errno == ENOBUFS)) {
        s->tx_blocked = true;
        set_events(s);
        return -EAGAIN;
    }
    if (r < 0) {
        /* The frame is lost to the host (link down, peer gone): like a
         * cable that drops it.  Logged, never fatal. */
        g_debug("%s: frame dropped: %s", be->kind, g_strerror(errno));
    }
    return 0;
}

static void fd_rx_ready(struct net_backend *be)
{
    struct net_fd_state *s = (struct net_fd_state *)be;

    if (s->held && !deliver_held(s)) {
        return;
    }
    rx(s);
    set_events(s);
}

static void fd_set_offloads(struct net_backend *be, uint64_t features)
{
    struct net_fd_state *s = (struct net_fd_state *)be;

    if (s->set_offloads) {
        s->set_offloads(s->fd, features);
    }
}

static void fd_close(struct net_backend *be)
{
    struct net_fd_state *s = (struct net_fd_state *)be;

    g_source_destroy(s->src);
    g_source_unref(s->src);
    close(s->fd);
    g_free(s->buf);
    g_free(s);
}

static const struct net_backend_ops fd_ops = {
    .send = fd_send,
    .rx_ready = fd_rx_ready,
    .set_offloads = fd_set_offloads,
    .close = fd_close,
};

struct net_backend *net_fd_new(int fd,
                               bool vnet_hdr,
                               uint64_t offloads,
                               net_fd_offload_fn set_offloads,
                               const char *kind,
                               GMainContext *ctx)
{
    struct net_fd_state *s = g_new0(struct net_fd_state, 1);
    int fl = fcntl(fd, F_GETFL);

    if (fl >= 0) {
        fcntl(fd, F_SETFL, fl | O_NONBLOCK);
    }
    s->be.ops = &fd_ops;
    s->be.vnet_hdr = vnet_hdr;
    s->be.offloads = offloads;
    s->be.kind = kind;
    s->set_offloads = set_offloads;
    s->fd = fd;
    s->buf = g_malloc(NET_HDR_LEN + NET_MAX_FRAME);
    s->src = g_source_new(&fd_funcs, sizeof(struct net_fd_source));
    ((struct net_fd_source *)s->src)->st = s;
    g_source_set_name(s->src, kind);
    s->tag = g_source_add_unix_fd(s->src, fd, G_IO_IN);
    s->cur_ev = G_IO_IN;
    g_source_attach(s->src, ctx);
    return &s->be;
}
