/*
 * vhost_user_serve.c: a vhost-user backend's message handling (QEMU
 * docs/interop/vhost-user.rst "Front-end message types", "Ring states",
 * "Memory region description").  See vhost_user_serve.h.
 *
 * One thread: the caller's main loop runs vus_dispatch and the kick
 * watches; the device's lock is taken around ring changes because the
 * device code expects it.
 */
#define G_LOG_DOMAIN "husk-slirp"
#include "devices/backend/vhost_user_serve.h"

#include <errno.h>
#include <inttypes.h>
#include <glib-unix.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/util.h"

#define VUS_MAX_FDS VHU_MAX_REGIONS
#define VUS_MAX_PAYLOAD 4096
#define VUS_VRING_NOFD (1u << 8)

struct vus_region {
    uint64_t gpa, size, fe_addr; /* the frontend's address of gpa */
    void *map;                   /* our mapping (of map_len bytes) */
    size_t map_len;
};

struct vus_queue {
    unsigned num;
    uint32_t base;
    bool addr_set, enabled, running;
    uint64_t fe_desc, fe_used, fe_avail; /* frontend addresses */
    int kick, call, err;
    GSource *kick_src;
};

struct vus {
    int fd;
    struct virtio_dev *dev;
    GMainContext *ctx;
    uint64_t offered, protocol;
    bool features_set, pf_negotiated;
    struct guest_mem *gm; /* the device's: gpa -> our mappings */
    struct vus_region region[VHU_MAX_REGIONS];
    unsigned nr_regions;
    struct vus_queue q[VIRTIO_MAX_QUEUES];
};

struct vus_hdr {
    uint32_t request, flags, size;
} __attribute__((packed));

/* ---- descriptors and messages ---- */

static void close_fd(int *fd)
{
    if (*fd >= 0) {
        close(*fd);
        *fd = -1;
    }
}

/* Reads exactly len bytes (blocking: the frontend sends whole messages);
 * descriptors that come with them go to fds (up to VUS_MAX_FDS). */
static bool read_msg_part(struct vus *s,
                          void *buf,
                          size_t len,
                          int *fds,
                          unsigned *nfds)
{
    size_t got = 0;

    while (got < len) {
        union {
            char b[CMSG_SPACE(sizeof(int) * VUS_MAX_FDS)];
            struct cmsghdr align;
        } u;
        struct iovec iov = {(char *)buf + got, len - got};
        struct msghdr mh = {.msg_iov = &iov,
                            .msg_iovlen = 1,
                            .msg_control = fds ? u.b : NULL,
                            .msg_controllen = fds ? sizeof(u.b) : 0};
        ssize_t r = recvmsg(s->fd, &mh, MSG_CMSG_CLOEXEC);

        if (r < 0 && errno == EINTR) {
            continue;
        }
        if (r <= 0) {
            return false;
        }
        for (struct cmsghdr *c = fds ? CMSG_FIRSTHDR(&mh) : NULL; c;
             c = CMSG_NXTHDR(&mh, c)) {
            unsigned n;

            if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) {
                continue;
            }
            n = (unsigned)((c->cmsg_len - CMSG_LEN(0)) / sizeof(int));
            for (unsigned i = 0; i < n; i++) {
                int fd;

                memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
                if (*nfds < VUS_MAX_FDS) {
                    fds[(*nfds)++] = fd;
                } else {
                    close(fd);
                }
            }
        }
        if (mh.msg_flags & MSG_CTRUNC) {
            return false;
        }
        got += (size_t)r;
    }
    return true;
}

static bool reply(struct vus *s, uint32_t req, const void *p, uint32_t size)
{
    struct vus_hdr h = {req, VHU_FLAG_VERSION | VHU_FLAG_REPLY, size};
    struct iovec iov[2] = {{&h, sizeof(h)}, {(void *)p, size}};
    struct msghdr mh = {.msg_iov = iov, .msg_iovlen = size ? 2 : 1};
    ssize_t r;

    do {
        r = sendmsg(s->fd, &mh, MSG_NOSIGNAL);
    } while (r < 0 && errno == EINTR);
    return r == (ssize_t)(sizeof(h) + size);
}

/* ---- memory ---- */

static void unmap_all(struct vus *s)
{
    for (unsigned i = 0; i < s->nr_regions; i++) {
        munmap(s->region[i].map, s->region[i].map_len);
    }
    s->nr_regions = 0;
    s->gm->nr = 0;
}

/* The frontend's address range [a, a + len) as guest-physical, if it
 * lies inside one region. */
static bool fe_to_gpa(const struct vus *s,
                      uint64_t a,
                      uint64_t len,
                      uint64_t *gpa)
{
    for (unsigned i = 0; i < s->nr_regions; i++) {
        const struct vus_region *r = &s->region[i];

        if (a >= r->fe_addr && a - r->fe_addr < r->size &&
            len <= r->size - (a - r->fe_addr)) {
            *gpa = r->gpa + (a - r->fe_addr);
            return true;
        }
    }
    return false;
}

static bool set_mem_table(struct vus *s,
                          const uint8_t *p,
                          uint32_t size,
                          int *fds,
                          unsigned nfds)
{
    long page = sysconf(_SC_PAGESIZE);
    uint32_t n;

    if (size < 8) {
        return false;
    }
    memcpy(&n, p, 4);
    if (n == 0 || n > VHU_MAX_REGIONS || n > GM_MAX_REGIONS || n != nfds ||
        size != 8 + n * 32) {
        return false;
    }
    unmap_all(s);
    for (unsigned i = 0; i < n; i++) {
        struct vus_region *r = &s->region[i];
        uint64_t v[4], skip;
        struct stat st;
        void *m;

        memcpy(v, p + 8 + i * 32, sizeof(v));
        skip = v[3] % (uint64_t)page;
        g_debug("region %u: guest 0x%" PRIx64 " size 0x%" PRIx64
                " frontend 0x%" PRIx64 " offset 0x%" PRIx64,
                i, v[0], v[1], v[2], v[3]);
        /* A mapping past the file's end would be SIGBUS on first touch. */
        if (v[1] == 0 || fstat(fds[i], &st) < 0 ||
            v[3] > (uint64_t)st.st_size || v[1] > (uint64_t)st.st_size - v[3] ||
            v[0] + v[1] < v[0] || v[2] + v[1] < v[2]) {
            unmap_all(s);
            return false;
        }
        m = mmap(NULL, v[1] + skip, PROT_READ | PROT_WRITE, MAP_SHARED, fds[i],
                 (off_t)(v[3] - skip));
        if (m == MAP_FAILED) {
            unmap_all(s);
            return false;
        }
        *r = (struct vus_region){v[0], v[1], v[2], m, v[1] + skip};
        s->nr_regions = i + 1;
        if (gm_add_region(s->gm, v[0], v[1], (uint8_t *)m + skip) < 0) {
            unmap_all(s);
            return false;
        }
    }
    return true;
}

/* ---- rings ---- */

static void queue_irq(struct virtio_dev *d, unsigned q)
{
    struct vus *s = d->queue_irq_opaque;
    uint64_t one = 1;

    if (q < VIRTIO_MAX_QUEUES && s->q[q].call >= 0 &&
        write(s->q[q].call, &one, sizeof(one)) < 0 && errno != EAGAIN) {
        g_debug("call eventfd: %s", g_strerror(errno));
    }
}

/* A malformed ring: the device stopped using its queues; tell the
 * frontend on each queue's error eventfd, once. */
static void check_broken(struct vus *s)
{
    static const uint64_t one = 1;

    if (!(s->dev->status & VIRTIO_S_NEEDS_RESET)) {
        return;
    }
    for (unsigned q = 0; q < s->dev->ops->num_queues; q++) {
        if (s->q[q].err >= 0 && write(s->q[q].err, &one, sizeof(one)) < 0) {
            g_debug("error eventfd: %s", g_strerror(errno));
        }
        close_fd(&s->q[q].err);
    }
}

static gboolean on_kick(gint fd, GIOCondition c, gpointer opaque)
{
    struct vus *s = opaque;
    uint64_t n;
    unsigned q;

    for (q = 0; q < s->dev->ops->num_queues && s->q[q].kick != fd; q++) {
    }
    if (read(fd, &n, sizeof(n)) < 0 && errno != EAGAIN) {
        return G_SOURCE_CONTINUE;
    }
    if (q < s->dev->ops->num_queues) {
        virtio_dev_queue_notify(s->dev, q);
        check_broken(s);
    }
    return G_SOURCE_CONTINUE;
}

/* The device's "more to do": a kick of our own. */
static void self_kick(struct virtio_dev *d, unsigned q)
{
    struct vus *s = d->kick_opaque;
    uint64_t one = 1;

    if (q < VIRTIO_MAX_QUEUES && s->q[q].kick >= 0 &&
        write(s->q[q].kick, &one, sizeof(one)) < 0) {
        g_debug("kick: %s", g_strerror(errno));
    }
}

static void stop_queue(struct vus *s, unsigned q)
{
    struct vus_queue *vq = &s->q[q];
    struct virtio_dev *d = s->dev;

    if (!vq->running) {
        return;
    }
    g_source_destroy(vq->kick_src);
    g_source_unref(vq->kick_src);
    vq->kick_src = NULL;
    g_mutex_lock(&d->lock);
    vq->base = d->vq[q].last_avail;
    d->vq[q].active = false;
    d->vq[q].ready = false;
    vq->running = false;
    /* The device forgets what it held of the queue (a frame half-sent):
     * its reset runs once no queue is left. */
    for (unsigned i = 0; i < d->ops->num_queues; i++) {
        if (s->q[i].running) {
            g_mutex_unlock(&d->lock);
            return;
        }
    }
    if (d->ops->reset) {
        d->ops->reset(d);
    }
    d->status = 0;
    g_mutex_unlock(&d->lock);
}

/* Runs queue q if it has all it needs; false if what it has is wrong. */
static bool maybe_start(struct vus *s, unsigned q)
{
    struct vus_queue *vq = &s->q[q];
    struct virtio_dev *d = s->dev;
    struct virtqueue *v = &d->vq[q];
    uint64_t desc, avail, used;
    bool ok = true;

    if (vq->running || !vq->addr_set || !vq->num || vq->kick < 0 ||
        !vq->enabled || !s->nr_regions) {
        g_debug(
            "queue %u not started yet: running %d addr %d num %u kick %d "
            "enabled %d regions %u",
            q, vq->running, vq->addr_set, vq->num, vq->kick, vq->enabled,
            s->nr_regions);
        return true;
    }
    if (!fe_to_gpa(s, vq->fe_desc, 16ULL * vq->num, &desc) ||
        !fe_to_gpa(s, vq->fe_avail, 6 + 2ULL * vq->num, &avail) ||
        !fe_to_gpa(s, vq->fe_used, 6 + 8ULL * vq->num, &used)) {
        g_debug("queue %u: ring addresses outside the memory table", q);
        return false;
    }
    g_mutex_lock(&d->lock);
    d->kick = self_kick;
    d->kick_opaque = s;
    d->queue_irq = queue_irq;
    d->queue_irq_opaque = s;
    vq_reset(v);
    v->max_size = VQ_MAX_SIZE;
    v->size = (uint16_t)vq->num;
    v->desc_gpa = desc;
    v->avail_gpa = avail;
    v->used_gpa = used;
    v->ready = true;
    if (vq_activate(v, virtio_has_feature(d, VIRTIO_F_EVENT_IDX),
                    virtio_has_feature(d, VIRTIO_F_INDIRECT_DESC)) < 0) {
        ok = false;
    } else {
        /* Resume where the frontend says; the used ring is as the
         * driver last saw it. */
        v->last_avail = (uint16_t)vq->base;
        v->used_idx = get_le16(v->used + 2);
        d->status = VIRTIO_S_ACKNOWLEDGE | VIRTIO_S_DRIVER |
                    VIRTIO_S_FEATURES_OK | VIRTIO_S_DRIVER_OK;
    }
    g_mutex_unlock(&d->lock);
    g_debug("queue %u: %s, size %u, base %u, features 0x%" PRIx64, q,
            ok ? "running" : "refused by the ring checks", vq->num, vq->base,
            d->guest_features);
    if (!ok) {
        return false;
    }
    vq->running = true;
    vq->kick_src = g_unix_fd_source_new(vq->kick, G_IO_IN);
    g_source_set_callback(vq->kick_src, G_SOURCE_FUNC(on_kick), s, NULL);
    g_source_attach(vq->kick_src, s->ctx);
    /* Buffers made available before the kick fd came. */
    virtio_dev_queue_notify(d, q);
    check_broken(s);
    return true;
}

/* ---- the messages ---- */

static bool ring_state(const uint8_t *p,
                       uint32_t size,
                       unsigned nq,
                       uint32_t *idx,
                       uint32_t *num)
{
    if (size != 8) {
        return false;
    }
    memcpy(idx, p, 4);
    memcpy(num, p + 4, 4);
    return *idx < nq;
}

/* A ring's eventfd message: the queue index, and the descriptor unless
 * the no-fd flag is set (polling, which this end does not do). */
static bool ring_fd(struct vus *s,
                    const uint8_t *p,
                    uint32_t size,
                    int *fds,
                    unsigned *nfds,
                    unsigned *q,
                    int *fd)
{
    uint64_t v;

    if (size != 8) {
        return false;
    }
    memcpy(&v, p, 8);
    *q = (unsigned)(v & 0xff);
    if (*q >= s->dev->ops->num_queues || (v & VUS_VRING_NOFD) || *nfds != 1) {
        return false;
    }
    *fd = fds[0];
    *nfds = 0;
    return true;
}

/* Handles one message; false: the frontend broke the protocol. */
static bool handle(struct vus *s,
                   const struct vus_hdr *h,
                   const uint8_t *p,
                   int *fds,
                   unsigned *nfds)
{
    unsigned nq = s->dev->ops->num_queues;
    bool ack = (s->protocol >> VHU_PF_REPLY_ACK) & 1 &&
               (h->flags & VHU_FLAG_NEED_REPLY);
    uint64_t v = 0, status = 0;
    uint32_t idx, num;
    unsigned q;
    int fd;

    g_debug("vhost-user request %u, %u bytes, flags 0x%x, %u fds", h->request,
            h->size, h->flags, *nfds);
    switch (h->request) {
    case VHU_GET_FEATURES:
        v = s->offered | (1ULL << VHU_F_PROTOCOL_FEATURES);
        return reply(s, h->request, &v, sizeof(v));
    case VHU_GET_PROTOCOL_FEATURES:
        v = 1ULL << VHU_PF_REPLY_ACK;
        return reply(s, h->request, &v, sizeof(v));
    case VHU_SET_PROTOCOL_FEATURES:
        if (h->size != 8) {
            return false;
        }
        memcpy(&s->protocol, p, 8);
        s->protocol &= 1ULL << VHU_PF_REPLY_ACK;
        return true; /* no ack: it was not agreed before this */
    case VHU_SET_FEATURES:
        if (h->size != 8) {
            return false;
        }
        memcpy(&v, p, 8);
        s->pf_negotiated = (v >> VHU_F_PROTOCOL_FEATURES) & 1;
        v &= ~(1ULL << VHU_F_PROTOCOL_FEATURES);
        if (v & ~s->offered) {
            status = 1; /* features never offered */
            break;
        }
        g_mutex_lock(&s->dev->lock);
        s->dev->guest_features = v;
        g_mutex_unlock(&s->dev->lock);
        s->features_set = true;
        break;
    case VHU_SET_OWNER:
        break;
    case VHU_SET_MEM_TABLE:
        for (q = 0; q < nq; q++) {
            stop_queue(s, q);
        }
        if (!set_mem_table(s, p, h->size, fds, *nfds)) {
            g_debug("memory table refused");
            status = 1;
        }
        for (unsigned i = 0; i < *nfds; i++) {
            close(fds[i]);
        }
        *nfds = 0;
        for (q = 0; q < nq && !status; q++) {
            status = !maybe_start(s, q);
        }
        break;
    case VHU_SET_VRING_NUM:
        if (!ring_state(p, h->size, nq, &idx, &num)) {
            return false;
        }
        /* The frontend's transport chose the size (QEMU's virtio-net
         * allows 1024); the ring code takes up to VQ_MAX_SIZE. */
        if (s->q[idx].running || !num || (num & (num - 1)) ||
            num > VQ_MAX_SIZE) {
            g_debug("queue %u: size %u refused", idx, num);
            status = 1;
        } else {
            s->q[idx].num = num;
        }
        break;
    case VHU_SET_VRING_BASE:
        if (!ring_state(p, h->size, nq, &idx, &num) || num > UINT16_MAX) {
            return false;
        }
        if (s->q[idx].running) {
            status = 1;
        } else {
            s->q[idx].base = num;
        }
        break;
    case VHU_SET_VRING_ADDR: {
        uint32_t flags;
        uint64_t a[4];

        if (h->size != 40) {
            return false;
        }
        memcpy(&idx, p, 4);
        memcpy(&flags, p + 4, 4);
        memcpy(a, p + 8, sizeof(a));
        if (idx >= nq || s->q[idx].running) {
            status = 1;
            break;
        }
        s->q[idx].fe_desc = a[0];
        s->q[idx].fe_used = a[1];
        s->q[idx].fe_avail = a[2];
        s->q[idx].addr_set = true;
        break;
    }
    case VHU_SET_VRING_KICK:
    case VHU_SET_VRING_CALL:
    case VHU_SET_VRING_ERR:
        if (!ring_fd(s, p, h->size, fds, nfds, &q, &fd)) {
            return false;
        }
        if (h->request == VHU_SET_VRING_KICK) {
            stop_queue(s, q);
            close_fd(&s->q[q].kick);
            s->q[q].kick = fd;
            /* Without protocol features a ring runs once it has its
             * kick; with them, once enabled too. */
            if (!s->pf_negotiated) {
                s->q[q].enabled = true;
            }
            status = !maybe_start(s, q);
        } else if (h->request == VHU_SET_VRING_CALL) {
            close_fd(&s->q[q].call);
            s->q[q].call = fd;
        } else {
            close_fd(&s->q[q].err);
            s->q[q].err = fd;
        }
        break;
    case VHU_SET_VRING_ENABLE:
        if (!ring_state(p, h->size, nq, &idx, &num)) {
            return false;
        }
        s->q[idx].enabled = num != 0;
        if (num) {
            status = !maybe_start(s, idx);
        } else {
            stop_queue(s, idx);
        }
        break;
    case VHU_GET_VRING_BASE: {
        uint32_t st[2];

        if (!ring_state(p, h->size, nq, &idx, &num)) {
            return false;
        }
        /* After this answer the ring is not touched again until the
         * frontend starts it anew. */
        stop_queue(s, idx);
        close_fd(&s->q[idx].kick);
        s->q[idx].addr_set = false;
        s->q[idx].enabled = false;
        st[0] = idx;
        st[1] = s->q[idx].base;
        return reply(s, h->request, st, sizeof(st));
    }
    default:
        /* Not served: refused when an answer is asked for. */
        status = 1;
        if (!ack) {
            g_debug("vhost-user request %u not served", h->request);
            return true;
        }
        break;
    }
    return !ack || reply(s, h->request, &status, sizeof(status));
}

bool vus_dispatch(struct vus *s)
{
    uint8_t payload[VUS_MAX_PAYLOAD];
    int fds[VUS_MAX_FDS];
    unsigned nfds = 0;
    struct vus_hdr h;
    bool ok;

    if (!read_msg_part(s, &h, sizeof(h), fds, &nfds) ||
        (h.flags & 0x3) != VHU_FLAG_VERSION || h.size > sizeof(payload) ||
        (h.size && !read_msg_part(s, payload, h.size, fds, &nfds))) {
        ok = false;
    } else {
        ok = handle(s, &h, payload, fds, &nfds);
    }
    for (unsigned i = 0; i < nfds; i++) {
        close(fds[i]); /* not taken by the message */
    }
    return ok;
}

struct vus *vus_new(int fd,
                    struct virtio_dev *dev,
                    struct guest_mem *gm,
                    uint64_t features,
                    GMainContext *ctx)
{
    struct vus *s = g_new0(struct vus, 1);

    s->fd = fd;
    s->dev = dev;
    s->gm = gm;
    gm->nr = 0;
    s->ctx = ctx;
    s->offered = features;
    for (unsigned q = 0; q < VIRTIO_MAX_QUEUES; q++) {
        s->q[q].kick = s->q[q].call = s->q[q].err = -1;
    }
    dev->queue_irq = queue_irq;
    dev->queue_irq_opaque = s;
    return s;
}

int vus_fd(const struct vus *s)
{
    return s->fd;
}

void vus_free(struct vus *s)
{
    for (unsigned q = 0; q < VIRTIO_MAX_QUEUES; q++) {
        if (q < s->dev->ops->num_queues) {
            stop_queue(s, q);
        }
        close_fd(&s->q[q].kick);
        close_fd(&s->q[q].call);
        close_fd(&s->q[q].err);
    }
    unmap_all(s);
    close_fd(&s->fd);
    g_free(s);
}
