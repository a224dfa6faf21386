/*
 * vhost_user.c: vhost-user messages, frontend side (QEMU
 * docs/interop/vhost-user.rst, "Message specification").  See
 * vhost_user.h for the trust rules.
 */
#define G_LOG_DOMAIN "husk"
#include "devices/backend/vhost_user.h"

#include <errno.h>
#include <inttypes.h>
#include <glib.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#define VHU_SLICE_MS 50

/* The wire header (all fields little-endian: husk runs on LE hosts). */
struct vhu_hdr {
    uint32_t request;
    uint32_t flags;
    uint32_t size;
} __attribute__((packed));

struct vhu_state {
    uint32_t index, num;
};

struct vhu_addr {
    uint32_t index, flags;
    uint64_t desc, used, avail, log;
};

struct vhu_mem {
    uint32_t nregions, padding;
    struct {
        uint64_t gpa, size, hva, offset;
    } r[VHU_MAX_REGIONS];
};

struct vhu_config {
    uint32_t offset, size, flags;
    uint8_t data[VHU_MAX_CONFIG];
};

static int fail(struct vhu_conn *c, int err, const char *fmt, ...)
    G_GNUC_PRINTF(3, 4);

static int fail(struct vhu_conn *c, int err, const char *fmt, ...)
{
    va_list ap;

    if (!c->dead) {
        va_start(ap, fmt);
        vsnprintf(c->why, sizeof(c->why), fmt, ap);
        va_end(ap);
        c->dead = true;
    }
    return err;
}

static bool stopping(struct vhu_conn *c)
{
    return c->ctl && c->ctl->stopping && c->ctl->stopping(c->ctl);
}

static int send_msg(struct vhu_conn *c,
                    uint32_t req,
                    uint32_t flags,
                    const void *payload,
                    uint32_t size,
                    const int *fds,
                    unsigned nfds)
{
    struct vhu_hdr h = {req, VHU_FLAG_VERSION | flags, size};
    struct iovec iov[2] = {{&h, sizeof(h)}, {(void *)payload, size}};
    union {
        char buf[CMSG_SPACE(sizeof(int) * VHU_MAX_REGIONS)];
        struct cmsghdr align;
    } u;
    struct msghdr mh = {.msg_iov = iov, .msg_iovlen = size ? 2 : 1};
    size_t want = sizeof(h) + size;
    ssize_t r;

    g_assert(nfds <= VHU_MAX_REGIONS);
    if (nfds) {
        struct cmsghdr *cm;

        memset(&u, 0, sizeof(u));
        mh.msg_control = u.buf;
        mh.msg_controllen = CMSG_SPACE(sizeof(int) * nfds);
        cm = CMSG_FIRSTHDR(&mh);
        cm->cmsg_level = SOL_SOCKET;
        cm->cmsg_type = SCM_RIGHTS;
        cm->cmsg_len = CMSG_LEN(sizeof(int) * nfds);
        memcpy(CMSG_DATA(cm), fds, sizeof(int) * nfds);
    }
    /* SO_SNDTIMEO bounds a backend that stopped reading; a partial send
     * leaves the stream out of step, so it ends the connection. */
    do {
        r = sendmsg(c->fd, &mh, MSG_NOSIGNAL);
    } while (r < 0 && errno == EINTR && !stopping(c));
    if (r < 0) {
        return fail(c, -errno, "cannot send to it: %s", g_strerror(errno));
    }
    if ((size_t)r != want) {
        return fail(c, -EIO, "stopped reading its socket");
    }
    return 0;
}

/* Reads exactly len bytes before the deadline (monotonic µs). */
static int recv_exact(struct vhu_conn *c, void *buf, size_t len, gint64 end)
{
    size_t got = 0;

    while (got < len) {
        struct iovec iov = {(char *)buf + got, len - got};
        /* No control buffer: descriptors the backend attaches are dropped
         * by the kernel, never installed here. */
        struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1};
        ssize_t r = recvmsg(c->fd, &mh, 0);

        if (r > 0 && (mh.msg_flags & MSG_CTRUNC)) {
            return fail(c, -EPROTO, "attached descriptors to a reply");
        }
        if (r > 0) {
            got += (size_t)r;
            continue;
        }
        if (r == 0) {
            return fail(c, -EPIPE, "closed the connection");
        }
        if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
            return fail(c, -errno, "connection failed: %s", g_strerror(errno));
        }
        if (stopping(c)) {
            return fail(c, -ECANCELED, "was abandoned as the VM stopped");
        }
        if (g_get_monotonic_time() >= end) {
            return fail(c, -ETIMEDOUT, "did not answer within %u ms",
                        c->reply_ms);
        }
    }
    return 0;
}

/* Reads the reply to req: exactly size bytes of payload into buf. */
static int recv_reply(struct vhu_conn *c, uint32_t req, void *buf, size_t size)
{
    gint64 end = g_get_monotonic_time() + (gint64)c->reply_ms * 1000;
    struct vhu_hdr h;
    int r = recv_exact(c, &h, sizeof(h), end);

    if (r) {
        return r;
    }
    if ((h.flags & 0x3) != VHU_FLAG_VERSION || !(h.flags & VHU_FLAG_REPLY)) {
        return fail(c, -EPROTO, "sent a reply with flags 0x%x", h.flags);
    }
    if (h.request != req) {
        return fail(c, -EPROTO, "answered request %u with one for %u", req,
                    h.request);
    }
    if (h.size != size) {
        return fail(c, -EPROTO,
                    "sent a %u-byte reply to request %u (%zu expected)", h.size,
                    req, size);
    }
    return size ? recv_exact(c, buf, size, end) : 0;
}

/* A message that has no reply of its own: with REPLY_ACK the backend
 * says whether it worked, so an error is seen here and not later. */
static int request(struct vhu_conn *c,
                   uint32_t req,
                   const void *payload,
                   uint32_t size,
                   const int *fds,
                   unsigned nfds)
{
    bool ack = vhu_has_pf(c, VHU_PF_REPLY_ACK);
    uint64_t status;
    int r;

    if (c->dead) {
        return -EPIPE;
    }
    r = send_msg(c, req, ack ? VHU_FLAG_NEED_REPLY : 0, payload, size, fds,
                 nfds);
    if (r || !ack) {
        return r;
    }
    r = recv_reply(c, req, &status, sizeof(status));
    if (r) {
        return r;
    }
    if (status) {
        return fail(c, -EIO, "refused request %u (status %" PRIu64 ")", req,
                    status);
    }
    return 0;
}

/* A message whose reply carries data. */
static int query(struct vhu_conn *c,
                 uint32_t req,
                 const void *payload,
                 uint32_t size,
                 void *reply,
                 uint32_t reply_size)
{
    int r;

    if (c->dead) {
        return -EPIPE;
    }
    r = send_msg(c, req, 0, payload, size, NULL, 0);
    return r ? r : recv_reply(c, req, reply, reply_size);
}

static int set_u64(struct vhu_conn *c, uint32_t req, uint64_t v)
{
    return request(c, req, &v, sizeof(v), NULL, 0);
}

int vhu_open(struct vhu_conn *c, int fd, const char *name, unsigned nr_queues)
{
    struct timeval tv = {0, VHU_SLICE_MS * 1000};
    struct timeval stv = {VHU_REPLY_MS / 1000, 0};
    uint64_t pf, ours, nq;
    int r;

    memset(c, 0, sizeof(*c));
    c->fd = fd;
    c->reply_ms = VHU_START_MS;
    g_strlcpy(c->name, name, sizeof(c->name));
    if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0 ||
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &stv, sizeof(stv)) < 0) {
        return fail(c, -errno, "socket: %s", g_strerror(errno));
    }
    r = request(c, VHU_SET_OWNER, NULL, 0, NULL, 0);
    if (!r) {
        r = query(c, VHU_GET_FEATURES, NULL, 0, &c->features,
                  sizeof(c->features));
    }
    if (r) {
        return r;
    }
    c->reply_ms = VHU_REPLY_MS;
    if (!(c->features & (1ULL << VHU_F_PROTOCOL_FEATURES))) {
        return 0;
    }
    r = query(c, VHU_GET_PROTOCOL_FEATURES, NULL, 0, &pf, sizeof(pf));
    if (r) {
        return r;
    }
    ours = pf & ((1ULL << VHU_PF_MQ) | (1ULL << VHU_PF_REPLY_ACK) |
                 (1ULL << VHU_PF_CONFIG));
    r = set_u64(c, VHU_SET_PROTOCOL_FEATURES, ours);
    if (r) {
        return r;
    }
    /* From here on REPLY_ACK applies (it was just agreed). */
    c->protocol_features = ours;
    if (vhu_has_pf(c, VHU_PF_MQ)) {
        r = query(c, VHU_GET_QUEUE_NUM, NULL, 0, &nq, sizeof(nq));
        if (r) {
            return r;
        }
        if (nq < nr_queues) {
            return fail(c, -EPROTO, "serves %" PRIu64 " queues, %u needed", nq,
                        nr_queues);
        }
    }
    return 0;
}

void vhu_close(struct vhu_conn *c)
{
    if (c->fd >= 0) {
        close(c->fd);
        c->fd = -1;
    }
}

int vhu_set_features(struct vhu_conn *c, uint64_t features)
{
    return set_u64(c, VHU_SET_FEATURES, features);
}

int vhu_set_mem_table(struct vhu_conn *c,
                      const struct vhu_region *r,
                      unsigned n,
                      int mem_fd)
{
    struct vhu_mem m = {.nregions = n};
    int fds[VHU_MAX_REGIONS];

    g_assert(n && n <= VHU_MAX_REGIONS);
    for (unsigned i = 0; i < n; i++) {
        m.r[i].gpa = r[i].gpa;
        m.r[i].size = r[i].size;
        m.r[i].hva = r[i].hva;
        m.r[i].offset = r[i].offset;
        fds[i] = mem_fd;
    }
    return request(c, VHU_SET_MEM_TABLE, &m, (uint32_t)(8 + n * sizeof(m.r[0])),
                   fds, n);
}

static int set_state(struct vhu_conn *c, uint32_t req, unsigned q, unsigned v)
{
    struct vhu_state s = {q, v};

    return request(c, req, &s, sizeof(s), NULL, 0);
}

int vhu_set_vring_num(struct vhu_conn *c, unsigned q, unsigned num)
{
    return set_state(c, VHU_SET_VRING_NUM, q, num);
}

int vhu_set_vring_base(struct vhu_conn *c, unsigned q, unsigned base)
{
    return set_state(c, VHU_SET_VRING_BASE, q, base);
}

int vhu_set_vring_enable(struct vhu_conn *c, unsigned q, bool on)
{
    return set_state(c, VHU_SET_VRING_ENABLE, q, on);
}

int vhu_set_vring_addr(struct vhu_conn *c,
                       unsigned q,
                       uint64_t desc,
                       uint64_t used,
                       uint64_t avail)
{
    struct vhu_addr a = {
        .index = q, .desc = desc, .used = used, .avail = avail};

    return request(c, VHU_SET_VRING_ADDR, &a, sizeof(a), NULL, 0);
}

int vhu_set_vring_fd(struct vhu_conn *c,
                     enum vhu_request req,
                     unsigned q,
                     int fd)
{
    uint64_t v = q & 0xff;

    return request(c, req, &v, sizeof(v), &fd, 1);
}

int vhu_get_vring_base(struct vhu_conn *c, unsigned q, uint32_t *base)
{
    struct vhu_state s = {q, 0}, out;
    int r = query(c, VHU_GET_VRING_BASE, &s, sizeof(s), &out, sizeof(out));

    if (r) {
        return r;
    }
    if (out.index != q) {
        return fail(c, -EPROTO, "answered for queue %u, asked for %u",
                    out.index, q);
    }
    *base = out.num;
    return 0;
}

int vhu_get_config(struct vhu_conn *c, unsigned off, void *buf, unsigned len)
{
    struct vhu_config in = {.offset = off, .size = len}, out;
    int r;

    g_assert(off + len <= VHU_MAX_CONFIG && len);
    /* The reply has the request's shape: header fields, then len bytes. */
    r = query(c, VHU_GET_CONFIG, &in, 12 + len, &out, 12 + len);
    if (r) {
        return r;
    }
    if (out.offset != off || out.size != len) {
        return fail(c, -EPROTO,
                    "answered a config read of %u at %u with %u at %u", len,
                    off, out.size, out.offset);
    }
    memcpy(buf, out.data, len);
    return 0;
}

bool vhu_poll_idle(struct vhu_conn *c)
{
    char b;
    struct iovec iov = {&b, 1};
    struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1};
    ssize_t r;

    if (c->dead) {
        return true;
    }
    r = recvmsg(c->fd, &mh, MSG_PEEK | MSG_DONTWAIT);
    if (r == 0) {
        fail(c, -EPIPE, "closed the connection");
    } else if (r > 0) {
        fail(c, -EPROTO, "sent a message nobody asked for");
    } else if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
        fail(c, -errno, "connection failed: %s", g_strerror(errno));
    }
    return c->dead;
}
