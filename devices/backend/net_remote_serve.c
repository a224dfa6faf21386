/*
 * net_remote_serve.c: the helper's end of net_remote.h: husk-slirp maps
 * guest RAM and runs husk's virtio-net (net.c) and virtqueue code against
 * the slirp stack in its own process.  Kicks come from the eventfds KVM
 * signals; interrupts go out through the irqfd, after the queue bit is
 * set in the shared ISR word.
 *
 * Everything in the rings is guest data and goes through the same checks
 * as in husk (virtqueue.c, net.c); a malformed ring stops the queues here
 * and is reported to husk, which sets NEEDS_RESET.
 */
#define G_LOG_DOMAIN "husk-slirp"
#include "devices/backend/net_remote_serve.h"

#include <errno.h>
#include <glib-unix.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "devices/backend/net_remote.h"
#include "devices/virtio/net.h"
#include "lib/iov.h"
#include "lib/util.h"

struct netr_server {
    struct net_backend be; /* the in-process slirp backend */
    struct slirp_stack *stack;
    struct vnet net;
    struct guest_mem gm;
    struct irq_line irq;
    int ctl, evt;
    GMainContext *ctx;
    /* While started: */
    bool started, reported;
    uint32_t gen;
    int fd[NETR_START_FDS];
    uint32_t *isr; /* NULL when not mapped */
    GSource *kick_src[2];
    uint8_t frame[NET_MAX_FRAME]; /* a TX frame made contiguous for slirp */
};

static void irq_raise(struct irq_line *l, bool level)
{
    struct netr_server *s = container_of(l, struct netr_server, irq);
    uint64_t one = 1;

    if (level && s->started &&
        write(s->fd[NETR_FD_IRQ], &one, sizeof(one)) < 0 && errno != EAGAIN) {
        g_debug("irqfd: %s", g_strerror(errno));
    }
}

/* Tells husk once per START that the rings are malformed. */
static void report_broken(struct netr_server *s)
{
    struct netr_broken b = {NETR_BROKEN, s->gen, ""};

    if (s->reported || !(s->net.vdev.status & VIRTIO_S_NEEDS_RESET)) {
        return;
    }
    s->reported = true;
    g_strlcpy(b.why, "malformed virtqueue", sizeof(b.why));
    netr_send(s->evt, &b, sizeof(b), NULL, 0);
}

/* guest -> slirp.  slirp parses frames from one buffer. */
static int be_send(struct net_backend *be, const struct iovec *iov, int n)
{
    struct netr_server *s = container_of(be, struct netr_server, be);
    size_t len = iov_to_buf(iov, (unsigned)n, 0, s->frame, sizeof(s->frame));

    slirp_stack_input(s->stack, s->frame, len);
    return 0;
}

static void be_rx_ready(struct net_backend *be)
{
    struct netr_server *s = container_of(be, struct netr_server, be);

    slirp_stack_resume(s->stack);
}

static void be_close(struct net_backend *be)
{
}

static const struct net_backend_ops be_ops = {
    .send = be_send,
    .rx_ready = be_rx_ready,
    .close = be_close,
};

int netr_server_output(void *opaque, const void *frame, size_t len)
{
    struct netr_server *s = opaque;
    struct iovec iov = {(void *)frame, len};
    int r = vnet_receive(&s->net, &iov, 1);

    report_broken(s);
    return r;
}

/* A kick: the eventfd's count is read, then the queue runs. */
static gboolean on_kick(gint fd, GIOCondition c, gpointer opaque)
{
    struct netr_server *s = opaque;
    uint64_t n;
    unsigned q = fd == s->fd[NETR_FD_KICK0] ? 0 : 1;

    if (read(fd, &n, sizeof(n)) < 0 && errno != EAGAIN) {
        return G_SOURCE_CONTINUE;
    }
    virtio_dev_queue_notify(&s->net.vdev, q);
    report_broken(s);
    return G_SOURCE_CONTINUE;
}

/* vnet's "more TX than one pass": kick ourselves. */
static void self_kick(struct virtio_dev *d, unsigned q)
{
    struct netr_server *s = d->kick_opaque;
    uint64_t one = 1;

    if (write(s->fd[NETR_FD_KICK0 + q], &one, sizeof(one)) < 0) {
        g_debug("kick: %s", g_strerror(errno));
    }
}

/* Unmaps guest RAM (gm's regions are the mappings) and the ISR word, and
 * closes what START passed. */
static void release(struct netr_server *s)
{
    for (unsigned i = 0; i < s->gm.nr; i++) {
        munmap(s->gm.r[i].hva, s->gm.r[i].size);
    }
    s->gm.nr = 0;
    if (s->isr) {
        munmap(s->isr, 4096);
        s->isr = NULL;
    }
    for (unsigned i = 0; i < NETR_START_FDS; i++) {
        close(s->fd[i]);
    }
}

static void stop(struct netr_server *s)
{
    struct virtio_dev *d = &s->net.vdev;

    if (!s->started) {
        return;
    }
    for (unsigned q = 0; q < 2; q++) {
        g_source_destroy(s->kick_src[q]);
        g_source_unref(s->kick_src[q]);
    }
    g_mutex_lock(&d->lock);
    vnet_ops.reset(d);
    for (unsigned q = 0; q < 2; q++) {
        vq_reset(&d->vq[q]);
    }
    d->status = 0;
    d->guest_features = 0;
    d->isr_shared = NULL;
    g_mutex_unlock(&d->lock);
    s->started = false;
    release(s);
}

/* Maps what START describes; -errno if husk's message does not hold. */
static int map_memory(struct netr_server *s, const struct netr_start *m)
{
    struct stat st;
    long page = sysconf(_SC_PAGESIZE);
    void *p;

    if (m->nr_regions == 0 || m->nr_regions > GM_MAX_REGIONS ||
        fstat(s->fd[NETR_FD_MEM], &st) < 0) {
        return -EINVAL;
    }
    s->gm.nr = 0;
    for (unsigned i = 0; i < m->nr_regions; i++) {
        const struct netr_region *r = &m->region[i];

        /* Past the file's end a touch would be SIGBUS. */
        if (r->size == 0 || r->offset % (uint64_t)page ||
            r->offset > (uint64_t)st.st_size ||
            r->size > (uint64_t)st.st_size - r->offset) {
            return -EINVAL;
        }
        p = mmap(NULL, r->size, PROT_READ | PROT_WRITE, MAP_SHARED,
                 s->fd[NETR_FD_MEM], (off_t)r->offset);
        if (p == MAP_FAILED) {
            return -errno;
        }
        if (gm_add_region(&s->gm, r->gpa, r->size, p) < 0) {
            munmap(p, r->size);
            return -EINVAL;
        }
    }
    p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, s->fd[NETR_FD_ISR],
             0);
    if (p == MAP_FAILED) {
        return -errno;
    }
    s->isr = p;
    return 0;
}

static int start(struct netr_server *s, const struct netr_start *m)
{
    struct virtio_dev *d = &s->net.vdev;
    int r = map_memory(s, m);

    if (r < 0) {
        release(s);
        return r;
    }
    g_mutex_lock(&d->lock);
    d->guest_features = m->features;
    d->isr_shared = s->isr;
    d->kick = self_kick;
    d->kick_opaque = s;
    for (unsigned q = 0; q < 2; q++) {
        struct virtqueue *vq = &d->vq[q];

        vq_reset(vq);
        if (!m->q[q].size) {
            continue; /* not made ready by the driver */
        }
        vq->size = (uint16_t)MIN(m->q[q].size, UINT16_MAX);
        vq->desc_gpa = m->q[q].desc;
        vq->avail_gpa = m->q[q].avail;
        vq->used_gpa = m->q[q].used;
        vq->ready = true;
        if (m->q[q].size > vq->max_size ||
            vq_activate(vq, virtio_has_feature(d, VIRTIO_F_EVENT_IDX),
                        virtio_has_feature(d, VIRTIO_F_INDIRECT_DESC)) < 0) {
            r = -EINVAL; /* husk checked it already: not expected */
        }
    }
    d->status = VIRTIO_S_ACKNOWLEDGE | VIRTIO_S_DRIVER | VIRTIO_S_FEATURES_OK |
                VIRTIO_S_DRIVER_OK;
    g_mutex_unlock(&d->lock);
    s->gen = m->gen;
    s->reported = false;
    s->started = true;
    for (unsigned q = 0; q < 2; q++) {
        s->kick_src[q] =
            g_unix_fd_source_new(s->fd[NETR_FD_KICK0 + q], G_IO_IN);
        g_source_set_callback(s->kick_src[q], G_SOURCE_FUNC(on_kick), s, NULL);
        g_source_attach(s->kick_src[q], s->ctx);
    }
    if (r < 0) {
        stop(s);
    }
    return r;
}

bool netr_server_control(struct netr_server *s)
{
    struct netr_start m; /* the largest message */
    struct netr_done done = {NETR_DONE, 0, 0};
    int fds[NETR_START_FDS];
    unsigned nfds = NETR_START_FDS;
    ssize_t n = netr_recv(s->ctl, &m, sizeof(m), fds, &nfds);

    if (n == -EAGAIN) {
        return true;
    }
    if (n < (ssize_t)sizeof(struct netr_stop)) {
        for (unsigned i = 0; i < nfds; i++) {
            close(fds[i]);
        }
        return false; /* EOF: husk exited; or not husk speaking */
    }
    if (m.msg == NETR_START && n == sizeof(m) && nfds == NETR_START_FDS) {
        stop(s);
        memcpy(s->fd, fds, sizeof(fds));
        done.err = start(s, &m);
    } else if (m.msg == NETR_STOP) {
        for (unsigned i = 0; i < nfds; i++) {
            close(fds[i]);
        }
        stop(s);
    } else {
        for (unsigned i = 0; i < nfds; i++) {
            close(fds[i]);
        }
        return false;
    }
    done.gen = m.gen;
    return netr_send(s->ctl, &done, sizeof(done), NULL, 0) == 0;
}

struct netr_server *netr_server_new(int ctl,
                                    int evt,
                                    uint16_t mtu,
                                    GMainContext *ctx)
{
    struct netr_server *s = g_new0(struct netr_server, 1);
    static const uint8_t no_mac[6];

    s->ctl = ctl;
    s->evt = evt;
    s->ctx = ctx;
    s->be = (struct net_backend){
        .ops = &be_ops,
        .rx_csum_valid = true, /* slirp computes every checksum it sends */
        .kind = "user",
    };
    s->irq.set = irq_raise;
    /* Config space stays in husk: mac here is never read. */
    vnet_init(&s->net, &s->be, no_mac, mtu, &s->gm, &s->irq);
    return s;
}

void netr_server_attach(struct netr_server *s, struct slirp_stack *stack)
{
    s->stack = stack;
}

void netr_server_free(struct netr_server *s)
{
    stop(s);
    vnet_cleanup(&s->net);
    g_free(s);
}
