/*
 * net_remote.c: husk's end of virtio-net queues served by husk-slirp
 * (protocol in net_remote.h), and the SEQPACKET message helpers both ends
 * use.
 */
#define G_LOG_DOMAIN "husk"
#include "devices/backend/net_remote.h"

#include <errno.h>
#include <fcntl.h>
#include <glib-unix.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "devices/virtio/net.h"
#include "lib/error.h"
#include "lib/util.h"

#define NETR_RECV_SLICE_MS 50

struct net_remote {
    struct net_backend be;
    int ctl, evt;
    int pidfd; /* the helper, to stop one that hangs */
    struct netr_env env;
    bool bound;
    uint32_t *isr; /* the shared interrupt-status word's page */
    int isr_fd;
    uint32_t gen; /* of the current START */
    bool started, dead;
    GSource *evt_src; /* the event socket's watch */
};

static struct net_remote *to_remote(struct net_backend *be)
{
    return container_of(be, struct net_remote, be);
}

ssize_t netr_send(int sock,
                  const void *msg,
                  size_t len,
                  const int *fds,
                  unsigned nfds)
{
    struct iovec iov = {(void *)msg, len};
    union {
        char buf[CMSG_SPACE(sizeof(int) * NETR_START_FDS)];
        struct cmsghdr align;
    } u;
    struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1};
    ssize_t r;

    g_assert(nfds <= NETR_START_FDS);
    if (nfds) {
        struct cmsghdr *c;

        memset(&u, 0, sizeof(u));
        mh.msg_control = u.buf;
        mh.msg_controllen = CMSG_SPACE(sizeof(int) * nfds);
        c = CMSG_FIRSTHDR(&mh);
        c->cmsg_level = SOL_SOCKET;
        c->cmsg_type = SCM_RIGHTS;
        c->cmsg_len = CMSG_LEN(sizeof(int) * nfds);
        memcpy(CMSG_DATA(c), fds, sizeof(int) * nfds);
    }
    do {
        r = sendmsg(sock, &mh, MSG_NOSIGNAL);
    } while (r < 0 && errno == EINTR);
    return r < 0 ? -errno : 0;
}

ssize_t netr_recv(int sock, void *msg, size_t len, int *fds, unsigned *nfds)
{
    struct iovec iov = {msg, len};
    union {
        char buf[CMSG_SPACE(sizeof(int) * NETR_START_FDS)];
        struct cmsghdr align;
    } u;
    /* No descriptors wanted: no control buffer, so the kernel installs
     * none the peer attaches (it drops them and sets MSG_CTRUNC).  Closing
     * them here instead ran on a vCPU thread, whose sandbox has no close:
     * a helper could end husk by attaching a descriptor to DONE. */
    struct msghdr mh = {.msg_iov = &iov,
                        .msg_iovlen = 1,
                        .msg_control = nfds ? u.buf : NULL,
                        .msg_controllen = nfds ? sizeof(u.buf) : 0};
    unsigned max = nfds ? *nfds : 0, got = 0;
    ssize_t r;

    do {
        r = recvmsg(sock, &mh, MSG_CMSG_CLOEXEC);
    } while (r < 0 && errno == EINTR);
    if (r < 0) {
        return -errno;
    }
    for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
        unsigned n;
        int in[NETR_START_FDS];

        if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) {
            continue;
        }
        n = (unsigned)((c->cmsg_len - CMSG_LEN(0)) / sizeof(int));
        n = MIN(n, NETR_START_FDS);
        memcpy(in, CMSG_DATA(c), n * sizeof(int));
        for (unsigned i = 0; i < n; i++) {
            if (got < max) {
                fds[got++] = in[i];
            } else {
                close(in[i]); /* more than asked for: not kept */
            }
        }
    }
    if (nfds) {
        *nfds = got;
    }
    if (mh.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) {
        for (unsigned i = 0; i < got; i++) {
            close(fds[i]);
        }
        if (nfds) {
            *nfds = 0;
        }
        return -EMSGSIZE;
    }
    return r;
}

/* A helper that stopped answering may still be writing guest memory: it
 * is killed, which is the only way to be sure it no longer does. */
static void helper_lost(struct net_remote *r, const char *why)
{
    if (!r->dead) {
        g_warning("the %s NIC's husk-slirp %s; the guest's network is down",
                  r->be.kind, why);
    }
    r->dead = true;
    r->started = false;
    syscall(SYS_pidfd_send_signal, r->pidfd, SIGKILL, NULL, 0);
}

/* Sends a request and waits for its DONE: at most NETR_REPLY_MS in all,
 * however many stale or interrupted replies come, and no longer than the
 * VM runs.  It runs on a vCPU thread holding the NIC's lock (the driver's
 * Status write), so every receive is bounded by SO_RCVTIMEO's slice and
 * the deadline is checked between them.  Whatever else the helper sends
 * (a wrong size, descriptors) is a broken helper. */
static int request(struct net_remote *r,
                   const void *msg,
                   size_t len,
                   const int *fds,
                   unsigned nfds)
{
    gint64 deadline = g_get_monotonic_time() + NETR_REPLY_MS * 1000;
    struct netr_done d;
    ssize_t n;

    if (r->dead) {
        return -EPIPE;
    }
    n = netr_send(r->ctl, msg, len, fds, nfds);
    if (n < 0) {
        helper_lost(r, "is gone");
        return (int)n;
    }
    for (;;) {
        if (virtio_dev_stopping(&r->be.dev->vdev)) {
            helper_lost(r, "had not answered when the VM stopped");
            return -ECANCELED;
        }
        if (g_get_monotonic_time() >= deadline) {
            helper_lost(r, "did not answer in time and was stopped");
            return -ETIMEDOUT;
        }
        n = netr_recv(r->ctl, &d, sizeof(d), NULL, NULL);
        if (n == -EAGAIN || n == -EWOULDBLOCK || n == -EINTR) {
            continue;
        }
        if (n == 0 || n == -ECONNRESET || n == -EPIPE) {
            helper_lost(r, "is gone");
            return -EPIPE;
        }
        if (n != sizeof(d) || d.msg != NETR_DONE) {
            helper_lost(r, "sent a malformed reply and was stopped");
            return -EPROTO;
        }
        if (d.gen == r->gen) {
            return d.err > 0 || d.err < -4095 ? -EPROTO : d.err;
        }
        /* An answer to an earlier request: cannot happen with one
         * request at a time; skipped, within the same deadline. */
    }
}

static int remote_start(struct net_backend *be, const struct virtio_dev *d)
{
    struct net_remote *r = to_remote(be);
    struct netr_start m;
    int fds[NETR_START_FDS];

    if (!r->bound) {
        return -ENODEV;
    }
    memset(&m, 0, sizeof(m));
    m.msg = NETR_START;
    m.gen = ++r->gen;
    m.features = d->guest_features;
    m.nr_regions = r->env.nr_regions;
    memcpy(m.region, r->env.region, sizeof(m.region));
    for (unsigned q = 0; q < 2; q++) {
        const struct virtqueue *vq = &d->vq[q];

        m.q[q] = (struct netr_queue){vq->desc_gpa, vq->avail_gpa, vq->used_gpa,
                                     vq->active ? vq->size : 0, 0};
    }
    fds[NETR_FD_MEM] = r->env.mem_fd;
    fds[NETR_FD_KICK0] = r->env.kick_fd[0];
    fds[NETR_FD_KICK1] = r->env.kick_fd[1];
    fds[NETR_FD_IRQ] = r->env.irq_fd;
    fds[NETR_FD_ISR] = r->isr_fd;
    r->started = true;
    return request(r, &m, sizeof(m), fds, NETR_START_FDS);
}

static void remote_stop(struct net_backend *be)
{
    struct net_remote *r = to_remote(be);
    struct netr_stop m = {NETR_STOP, r->gen};

    if (!r->started) {
        return;
    }
    request(r, &m, sizeof(m), NULL, 0);
    r->started = false;
}

static void remote_kick(struct net_backend *be, unsigned q)
{
    struct net_remote *r = to_remote(be);
    uint64_t one = 1;

    if (r->bound && q < 2 && write(r->env.kick_fd[q], &one, sizeof(one)) < 0 &&
        errno != EAGAIN) {
        g_debug("net kick: %s", g_strerror(errno));
    }
}

/* The helper's events, on the I/O thread.  The device lock orders them
 * against START and STOP (vCPU threads): a BROKEN from before a reset
 * carries an old generation and cannot break the new activation. */
static gboolean on_event(gint fd, GIOCondition cond, gpointer opaque)
{
    struct net_remote *r = opaque;
    struct virtio_dev *d = &r->be.dev->vdev;
    struct netr_broken b;
    ssize_t n = netr_recv(fd, &b, sizeof(b), NULL, NULL);

    if (n == -EAGAIN) {
        return G_SOURCE_CONTINUE;
    }
    g_mutex_lock(&d->lock);
    if (n < 0 && n != -ECONNRESET) {
        /* Oversized, truncated or with descriptors: a broken helper,
         * which may still write guest memory, so it is stopped. */
        helper_lost(r, "sent a malformed event and was stopped");
        g_mutex_unlock(&d->lock);
        return G_SOURCE_REMOVE;
    }
    if (n <= 0) {
        /* The helper exited (or was killed): say so once. */
        if (!r->dead) {
            g_warning(
                "the %s NIC's husk-slirp exited; the guest's network is "
                "down",
                r->be.kind);
        }
        r->dead = true;
        g_mutex_unlock(&d->lock);
        return G_SOURCE_REMOVE;
    }
    if (n == sizeof(b) && b.msg == NETR_BROKEN && b.gen == r->gen &&
        r->started) {
        b.why[sizeof(b.why) - 1] = '\0';
        /* The text is the helper's: only printable ASCII goes on. */
        for (char *p = b.why; *p; p++) {
            if (*p < 0x20 || *p > 0x7e) {
                *p = '?';
            }
        }
        virtio_dev_set_broken_locked(d, b.why);
    }
    g_mutex_unlock(&d->lock);
    return G_SOURCE_CONTINUE;
}

static void remote_close(struct net_backend *be)
{
    struct net_remote *r = to_remote(be);

    g_source_destroy(r->evt_src);
    g_source_unref(r->evt_src);
    /* Closing the control socket ends the helper. */
    close(r->ctl);
    close(r->evt);
    close(r->pidfd);
    munmap(r->isr, 4096);
    close(r->isr_fd);
    g_free(r);
}

static const struct net_backend_ops remote_ops = {
    .start_queues = remote_start,
    .stop_queues = remote_stop,
    .kick = remote_kick,
    .close = remote_close,
};

struct net_backend *net_remote_new(int ctl,
                                   int evt,
                                   pid_t pid,
                                   const char *kind,
                                   GMainContext *ctx,
                                   GError **errp)
{
    struct net_remote *r = g_new0(struct net_remote, 1);
    /* One receive's slice of request()'s deadline. */
    struct timeval tv = {0, NETR_RECV_SLICE_MS * 1000};
    r->ctl = ctl;
    r->evt = evt;
    /* Without a pidfd a hung helper could not be stopped, and a reset
     * could not promise the guest its memory back: no pidfd, no NIC. */
    r->pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
    /* Sealed at one page: the helper cannot shrink it under husk. */
    r->isr_fd = gm_memfd_new("husk-net-isr", 4096, false);
    if (r->pidfd < 0 || r->isr_fd < 0 ||
        (r->isr = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED,
                       r->isr_fd, 0)) == MAP_FAILED ||
        setsockopt(ctl, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0) {
        g_set_error(errp, HUSK_ERROR, HUSK_EXIT_OSERR,
                    "cannot set up husk-slirp's queues: %s", g_strerror(errno));
        if (r->isr && r->isr != MAP_FAILED) {
            munmap(r->isr, 4096);
        }
        if (r->isr_fd >= 0) {
            close(r->isr_fd);
        } else {
            errno = -r->isr_fd;
        }
        if (r->pidfd >= 0) {
            close(r->pidfd);
        }
        g_free(r);
        return NULL;
    }
    g_unix_set_fd_nonblocking(evt, TRUE, NULL);
    r->be = (struct net_backend){
        .ops = &remote_ops,
        .rx_csum_valid = true, /* slirp computes every checksum it sends */
        .kind = kind,
        .isr_shared = r->isr,
    };
    r->evt_src = g_unix_fd_source_new(evt, G_IO_IN | G_IO_HUP | G_IO_ERR);
    g_source_set_callback(r->evt_src, G_SOURCE_FUNC(on_event), r, NULL);
    g_source_attach(r->evt_src, ctx);
    return &r->be;
}

void net_remote_bind(struct net_backend *be, const struct netr_env *env)
{
    struct net_remote *r = to_remote(be);

    r->env = *env;
    r->bound = true;
}
