/*
 * net_stream.c: length-prefixed frames on a stream socket, as a network
 * backend.  Same back-pressure rules as net_fd.c: a frame the guest has no
 * room for stays at the head of the read buffer and the socket is not read
 * until the guest adds buffers; when the write buffer is full, send says
 * -EAGAIN and the device keeps the frame until the socket drains.
 */
#define G_LOG_DOMAIN "husk"
#include "devices/backend/net_stream.h"

#include <errno.h>
#include <unistd.h>

#include "devices/backend/frame_stream.h"

#define FILL_BUDGET 8   /* reads per wakeup before other sources run */

struct net_stream;

struct ns_source {
    GSource source;
    struct net_stream *ns;
};

struct net_stream {
    struct net_backend be;
    struct frame_stream fs;
    GSource *src;
    gpointer tag;
    GIOCondition cur_ev;    /* what the source watches now */
    bool rx_held;       /* the frame at the head waits for RX buffers */
    bool tx_blocked;    /* send said -EAGAIN: resume when there is room */
    bool dead;          /* EOF or a broken stream: the link is unplugged */
};

static void set_events(struct net_stream *n)
{
    GIOCondition ev = 0;

    if (!n->rx_held && !n->dead) {
        ev |= G_IO_IN;
    }
    if (n->fs.wlen && !n->dead) {
        ev |= G_IO_OUT;
    }
    /* Only on change: every modification wakes the context. */
    if (ev != n->cur_ev) {
        n->cur_ev = ev;
        g_source_modify_unix_fd(n->src, n->tag, ev);
    }
}

static void die(struct net_stream *n, const char *why)
{
    if (!n->dead) {
        n->dead = true;
        g_warning("network backend '%s' went away: %s", n->be.kind, why);
    }
}

/* Hands complete frames to the guest until it has no room. */
static void deliver(struct net_stream *n)
{
    const uint8_t *f;
    size_t len;
    int err;

    while ((f = fs_peek(&n->fs, &len, &err))) {
        struct iovec iov = { (void *)f, len };

        if (!vnet_receive(n->be.dev, &iov, 1)) {
            n->rx_held = true;
            return;
        }
        fs_consume(&n->fs, len);
    }
    if (err) {
        die(n, "malformed frame length");
    }
}

static void rx(struct net_stream *n)
{
    for (int i = 0; i < FILL_BUDGET && !n->rx_held && !n->dead; i++) {
        long r = fs_fill(&n->fs);

        if (r == 0) {
            die(n, "end of stream");
        }
        if (r <= 0) {
            break;
        }
        deliver(n);
    }
}

static bool has_room(struct net_stream *n)
{
    return fs_can_send(&n->fs, FS_MAX_FRAME);
}

static gboolean ns_dispatch(GSource *src, GSourceFunc cb, gpointer data)
{
    struct net_stream *n = ((struct ns_source *)src)->ns;
    GIOCondition rev = g_source_query_unix_fd(src, n->tag);

    if (rev & G_IO_OUT) {
        int r = fs_flush(&n->fs);

        if (r < 0 && r != -EAGAIN) {
            die(n, g_strerror(-r));
        }
    }
    if (n->tx_blocked && (has_room(n) || n->dead)) {
        n->tx_blocked = false;
        vnet_tx_resume(n->be.dev);
    }
    if (rev & (G_IO_IN | G_IO_HUP | G_IO_ERR)) {
        rx(n);
    }
    set_events(n);
    return G_SOURCE_CONTINUE;
}

static GSourceFuncs ns_funcs = {
    .dispatch = ns_dispatch,
};

static int ns_send(struct net_backend *be, const struct iovec *iov, int cnt)
{
    struct net_stream *n = (struct net_stream *)be;
    int r;

    if (n->dead) {
        return 0; /* unplugged: frames fall on the floor */
    }
    r = fs_queue(&n->fs, iov, cnt);
    if (r == -EAGAIN) {
        n->tx_blocked = true;
        set_events(n);
        return -EAGAIN;
    }
    if (r < 0) {
        if (r != -EMSGSIZE) {
            die(n, g_strerror(-r));
        }
    }
    return 0; /* ns_flush writes it, with the rest of the run */
}

static void ns_flush(struct net_backend *be)
{
    struct net_stream *n = (struct net_stream *)be;
    int r;

    if (n->dead) {
        return;
    }
    r = fs_flush(&n->fs);
    if (r < 0 && r != -EAGAIN) {
        die(n, g_strerror(-r));
    }
    set_events(n); /* what is left goes out when the socket drains */
}

static void ns_rx_ready(struct net_backend *be)
{
    struct net_stream *n = (struct net_stream *)be;

    n->rx_held = false;
    deliver(n);
    if (!n->rx_held) {
        rx(n);
    }
    set_events(n);
}

static void ns_close(struct net_backend *be)
{
    struct net_stream *n = (struct net_stream *)be;

    g_source_destroy(n->src);
    g_source_unref(n->src);
    close(n->fs.fd);
    fs_free(&n->fs);
    g_free(n);
}

static const struct net_backend_ops ns_ops = {
    .send = ns_send,
    .flush = ns_flush,
    .rx_ready = ns_rx_ready,
    .close = ns_close,
};

struct net_backend *net_stream_new(int fd, const char *kind,
                                   GMainContext *ctx)
{
    struct net_stream *n = g_new0(struct net_stream, 1);

    n->be.ops = &ns_ops;
    n->be.kind = kind;
    fs_init(&n->fs, fd);
    n->src = g_source_new(&ns_funcs, sizeof(struct ns_source));
    ((struct ns_source *)n->src)->ns = n;
    g_source_set_name(n->src, kind);
    n->tag = g_source_add_unix_fd(n->src, fd, G_IO_IN);
    n->cur_ev = G_IO_IN;
    g_source_attach(n->src, ctx);
    return &n->be;
}
