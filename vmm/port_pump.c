/*
 * port_pump.c: a console port joined to a host descriptor (port_pump.h).
 */
#define G_LOG_DOMAIN "husk"
#include "vmm/port_pump.h"

#include <errno.h>
#include <glib-unix.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "lib/util.h"

static gboolean on_readable(gint fd, GIOCondition cond, gpointer opaque);

static void unwatch(struct pump *p)
{
    if (p->src) {
        g_source_destroy(p->src);
        g_source_unref(p->src);
        p->src = NULL;
    }
}

static void watch(struct pump *p, GIOCondition cond, GSourceFunc fn)
{
    if (p->src) {
        return;
    }
    p->src = g_unix_fd_source_new(p->fd, cond);
    g_source_set_callback(p->src, fn, p, NULL);
    g_source_attach(p->src, p->ctx);
}

/* Offers what was read to the guest; true when all of it was taken.
 * After end of file and the last byte, the host's side closes. */
static bool deliver(struct pump *p)
{
    while (p->off < p->len) {
        size_t took =
            vcon_port_input(p->con, p->port, p->buf + p->off, p->len - p->off);

        if (took == 0) {
            return false; /* sink->rx_ready comes when it can take more */
        }
        p->off += took;
    }
    p->off = p->len = 0;
    if (p->eof) {
        vcon_port_set_host_open(p->con, p->port, false);
    }
    return true;
}

static gboolean on_readable(gint fd, GIOCondition cond, gpointer opaque)
{
    struct pump *p = opaque;
    ssize_t n = read(fd, p->buf, sizeof(p->buf));

    if (n < 0 && (errno == EINTR || errno == EAGAIN)) {
        return G_SOURCE_CONTINUE;
    }
    g_source_unref(p->src);
    p->src = NULL;
    if (n <= 0) {
        p->eof = true; /* a read error ends the input too */
        n = 0;
    }
    p->len = (size_t)n;
    p->off = 0;
    if (deliver(p) && !p->eof) {
        watch(p, G_IO_IN | G_IO_HUP | G_IO_ERR, G_SOURCE_FUNC(on_readable));
    }
    return G_SOURCE_REMOVE;
}

static gboolean resume_input(gpointer opaque)
{
    struct pump *p = opaque;

    if (p->con && deliver(p) && !p->eof) {
        watch(p, G_IO_IN | G_IO_HUP | G_IO_ERR, G_SOURCE_FUNC(on_readable));
    }
    return G_SOURCE_REMOVE;
}

/* Called with the device's lock held (a kick, a PORT_OPEN): the work is
 * done later on the I/O thread, where vcon_port_input takes it again. */
static void sink_rx_ready(struct vcon_sink *s)
{
    struct pump *p = container_of(s, struct pump, sink);
    GSource *src = g_idle_source_new();

    g_source_set_callback(src, resume_input, p, NULL);
    g_source_attach(src, p->ctx);
    g_source_unref(src);
}

static ssize_t sink_write(struct vcon_sink *s, const void *buf, size_t len)
{
    struct pump *p = container_of(s, struct pump, sink);
    struct pollfd pfd = {.fd = p->fd, .events = POLLOUT};
    ssize_t n;

    if (p->gone) {
        return (ssize_t)len;
    }
    if (poll(&pfd, 1, 0) <= 0 || !(pfd.revents & (POLLOUT | POLLERR))) {
        return -EAGAIN;
    }
    n = write(p->fd, buf, MIN(len, (size_t)4096));
    if (n < 0 && (errno == EINTR || errno == EAGAIN)) {
        return -EAGAIN;
    }
    if (n <= 0) {
        /* EPIPE and the like: nobody reads any more. */
        p->gone = true;
        if (p->ctl) {
            p->ctl->request_exit(p->ctl, VM_EXIT_SIGNAL, SIGPIPE);
        }
        return (ssize_t)len;
    }
    return n;
}

static gboolean on_writable(gint fd, GIOCondition cond, gpointer opaque)
{
    struct pump *p = opaque;

    g_source_unref(p->src);
    p->src = NULL;
    vcon_port_tx_resume(p->con, p->port);
    return G_SOURCE_REMOVE;
}

static void sink_wait_writable(struct vcon_sink *s)
{
    struct pump *p = container_of(s, struct pump, sink);

    watch(p, G_IO_OUT | G_IO_ERR, G_SOURCE_FUNC(on_writable));
}

static void sink_nothing(struct vcon_sink *s)
{
}

void pump_init(struct pump *p,
               GMainContext *ctx,
               int fd,
               bool input,
               struct vm_ctl *ctl)
{
    memset(p, 0, sizeof(*p));
    p->ctl = ctl;
    p->ctx = ctx;
    p->fd = fd;
    p->input = input;
    p->sink.write = input ? NULL : sink_write;
    p->sink.wait_writable = input ? sink_nothing : sink_wait_writable;
    p->sink.rx_ready = input ? sink_rx_ready : sink_nothing;
}

struct vcon_sink *pump_sink(struct pump *p)
{
    return &p->sink;
}

void pump_start(struct pump *p, struct vcon *con, unsigned port)
{
    p->con = con;
    p->port = port;
    if (p->input) {
        watch(p, G_IO_IN | G_IO_HUP | G_IO_ERR, G_SOURCE_FUNC(on_readable));
    }
}

void pump_finish(struct pump *p, int idle_ms)
{
    unwatch(p);
    if (p->input || !p->con) {
        return;
    }
    for (;;) {
        const struct vcon_port *pt = &p->con->port[p->port];
        unsigned long before = pt->tx_bytes;
        struct pollfd pfd = {.fd = p->fd, .events = POLLOUT};

        /* Takes what the guest queued, until the descriptor is full. */
        vcon_port_tx_resume(p->con, p->port);
        unwatch(p); /* the resume may have asked to wait: done here */
        if (!pt->tx_pending && pt->tx_bytes == before) {
            return; /* all out */
        }
        if (pt->tx_pending && poll(&pfd, 1, idle_ms) <= 0) {
            g_printerr(
                "husk: the reader of %s stopped reading; the "
                "rest of the guest's output is lost\n",
                pt->name);
            return;
        }
    }
}

void pump_cleanup(struct pump *p)
{
    unwatch(p);
}
