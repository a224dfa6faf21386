/*
 * vhost_user_dev.c: virtio devices served by a vhost-user backend (QEMU
 * docs/interop/vhost-user.rst "Starting and stopping rings", virtio v1.2
 * §5.11 File System Device).  See vhost_user_dev.h.
 *
 * Threads: activate and reset run on the vCPU thread that wrote Status,
 * with dev->lock held, and wait for the backend's replies (bounded:
 * vhost_user.h); the socket watch and, once the backend is lost, the
 * kicks run on the I/O thread under the same lock.
 */
#define G_LOG_DOMAIN "husk"
#include "devices/virtio/vhost_user_dev.h"

#include <errno.h>
#include <linux/virtio_ids.h>
#include <linux/virtio_net.h>
#include <signal.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "devices/backend/net_tap.h"
#include "lib/error.h"
#include "lib/iov.h"
#include "lib/log.h"
#include "lib/util.h"

#define VIRTIO_ID_FS 26
#define VUDEV_FS_QUEUE_MAX 1024
#define VUDEV_FS_REQUEST_QUEUES 1
#define VIRTIO_ID_BLOCK 2
#define VUDEV_BLK_QUEUE_MAX 256
#define VUDEV_BLK_CONFIG 60 /* struct virtio_blk_config up to write_zeroes */

/* virtio-blk features a backend may offer through husk (§5.2.3): not MQ
 * (one queue), not the legacy ones (BARRIER, SCSI), not CONFIG_WCE (a
 * config write would have to reach the backend). */
#define VBLK_F_SIZE_MAX 1
#define VBLK_F_SEG_MAX 2
#define VBLK_F_GEOMETRY 4
#define VBLK_F_RO 5
#define VBLK_F_BLK_SIZE 6
#define VBLK_F_FLUSH 9
#define VBLK_F_TOPOLOGY 10
#define VBLK_F_DISCARD 13
#define VBLK_F_WRITE_ZEROES 14
#define VBLK_S_IOERR 1

/* virtio-net: what a backend may offer through husk (§5.1.3), and the
 * config-space features that are husk's own. */
#define VNET_PASS_BITS                                                       \
    ((1ULL << VIRTIO_NET_F_CSUM) | (1ULL << VIRTIO_NET_F_GUEST_CSUM) |       \
     (1ULL << VIRTIO_NET_F_GUEST_TSO4) | (1ULL << VIRTIO_NET_F_GUEST_TSO6) | \
     (1ULL << VIRTIO_NET_F_GUEST_ECN) | (1ULL << VIRTIO_NET_F_GUEST_UFO) |   \
     (1ULL << VIRTIO_NET_F_HOST_TSO4) | (1ULL << VIRTIO_NET_F_HOST_TSO6) |   \
     (1ULL << VIRTIO_NET_F_HOST_ECN) | (1ULL << VIRTIO_NET_F_HOST_UFO) |     \
     (1ULL << VIRTIO_NET_F_MRG_RXBUF) | (1ULL << VIRTIO_NET_F_MTU))
#define VNET_OWN_BITS \
    ((1ULL << VIRTIO_NET_F_MAC) | (1ULL << VIRTIO_NET_F_STATUS))
#define VUDEV_NET_QUEUE_MAX 256
/* virtio-vsock (its queues are the kernel's vhost-vsock's, which takes
 * any power of two). */
#define VUDEV_VSOCK_QUEUE_MAX 256

/* struct fuse_in_header / fuse_out_header (linux/fuse.h), the parts a
 * failed request needs: the request's id, answered with -EIO. */
#define FUSE_IN_UNIQUE_OFF 8
struct fuse_out_hdr {
    uint32_t len;
    int32_t error;
    uint64_t unique;
};

static struct vudev *to_vudev(struct virtio_dev *d)
{
    return d->opaque;
}

/* Transport features a backend may offer through husk: the split ring
 * features husk's transport validates, and VERSION_1 (libvhost-user
 * backends refuse legacy devices). */
static uint64_t transport_mask(void)
{
    return (1ULL << VIRTIO_F_VERSION_1) | (1ULL << VIRTIO_F_EVENT_IDX) |
           (1ULL << VIRTIO_F_INDIRECT_DESC);
}

static void read_config(struct virtio_dev *d, size_t off, void *buf, size_t len)
{
    memcpy(buf, to_vudev(d)->config + off, len);
}

static void fail_requests_locked(struct vudev *u, unsigned q);
static void backend_lost_locked(struct vudev *u);

/* An InterruptStatus read (the driver's handler, a vCPU thread): did any
 * used ring move since the last one?  A backend that signals its call
 * eventfd without end makes the guest take interrupts that carry
 * nothing; past VUDEV_IDLE_IRQ_LIMIT of them within a second it is cut
 * off: its eventfd no longer reaches the guest and it is given up. */
static void vudev_isr_read(struct virtio_dev *d)
{
    struct vudev *u = to_vudev(d);
    gint64 now = g_get_monotonic_time();
    bool moved = false;

    if (u->lost) {
        return;
    }
    for (unsigned q = 0; q < d->ops->num_queues; q++) {
        struct virtqueue *vq = &d->vq[q];
        uint16_t idx;

        if (!vq->active) {
            continue;
        }
        idx = __atomic_load_n((uint16_t *)(vq->used + 2), __ATOMIC_ACQUIRE);
        moved |= idx != u->seen_used[q];
        u->seen_used[q] = idx;
    }
    if (moved || now - u->idle_since_us > G_USEC_PER_SEC) {
        u->idle_irqs = 0;
        u->idle_since_us = now;
        return;
    }
    if (++u->idle_irqs > VUDEV_IDLE_IRQ_LIMIT) {
        g_snprintf(u->conn.why, sizeof(u->conn.why),
                   "floods its call eventfd (%u interrupts without work in "
                   "under a second)",
                   u->idle_irqs);
        u->conn.dead = true;
        if (u->cut_call) {
            u->cut_call(u);
        }
        backend_lost_locked(u);
    }
}

static void backend_lost_locked(struct vudev *u)
{
    struct virtio_dev *d = &u->vdev;

    if (u->lost) {
        return;
    }
    u->lost = true;
    g_warning("%s: the backend %s; the device fails its requests from now on",
              u->label, u->conn.why[0] ? u->conn.why : "failed");
    /* A backend that stopped answering may still be writing guest
     * memory: killing it is the only way to be sure it no longer does.
     * (SIGKILL lands within microseconds, not at once: a backend that
     * was mid-request as husk gives up on it can still write one used
     * entry after husk's; one that closed its socket is gone already.) */
    if (u->pidfd >= 0) {
        syscall(SYS_pidfd_send_signal, u->pidfd, SIGKILL, NULL, 0);
    }
    memset(u->started, 0, sizeof(u->started));
    /* husk serves the rings from here, from where the backend left the
     * used ring.  In order, everything after the last used request is
     * the backend's unfinished work or not yet taken: all of it is
     * failed.  Otherwise only what the driver adds from now on is, so no
     * request the backend finished is completed twice. */
    for (unsigned q = 0; q < d->ops->num_queues; q++) {
        struct virtqueue *vq = &d->vq[q];

        if (vq->active) {
            vq->used_idx =
                __atomic_load_n((uint16_t *)(vq->used + 2), __ATOMIC_ACQUIRE);
            vq->last_avail = u->in_order
                                 ? vq->used_idx
                                 : __atomic_load_n((uint16_t *)(vq->avail + 2),
                                                   __ATOMIC_ACQUIRE);
            vq->signalled_valid = false;
        }
    }
    if (d->status & VIRTIO_S_DRIVER_OK) {
        virtio_dev_set_broken_locked(d, "its vhost-user backend failed");
    }
    /* Kicks come to husk from now on; what is pending already is
     * answered here. */
    if (u->take_kicks) {
        u->take_kicks(u);
    }
    for (unsigned q = 0; q < d->ops->num_queues; q++) {
        fail_requests_locked(u, q);
    }
}

/*
 * The steps both protocols share, vhost-user's messages or the kernel's
 * ioctls: one place decides which.  A kernel failure's reason lands in
 * conn.why, where every message about the backend reads it.
 */
static int be_result(struct vudev *u, int r)
{
    if (r && u->kernel) {
        g_strlcpy(u->conn.why, u->kern.why, sizeof(u->conn.why));
    }
    return r;
}

static uint64_t be_features(const struct vudev *u)
{
    return u->kernel ? u->kern.features : u->conn.features;
}

static bool be_has_ring_states(const struct vudev *u)
{
    /* With protocol features a vhost-user ring starts disabled
     * (vhost-user.rst, "Ring states"); the kernel's have no such state. */
    return !u->kernel && (u->conn.features & (1ULL << VHU_F_PROTOCOL_FEATURES));
}

static int be_set_vring_fd(struct vudev *u,
                           enum vhu_request which,
                           unsigned q,
                           int fd)
{
    return be_result(u, u->kernel ? vhk_set_vring_fd(&u->kern, which, q, fd)
                                  : vhu_set_vring_fd(&u->conn, which, q, fd));
}

static int be_get_vring_base(struct vudev *u, unsigned q, uint32_t *base)
{
    return be_result(u, u->kernel ? vhk_get_vring_base(&u->kern, q, base)
                                  : vhu_get_vring_base(&u->conn, q, base));
}

/* The device's own on/off beyond its rings: vhost-vsock's SET_RUNNING,
 * vhost-net's TAP behind each started ring (with the receive offloads
 * the guest accepted programmed first). */
static int be_run(struct vudev *u, bool on)
{
    int r = 0;

    if (u->kernel && u->kind == VUDEV_VSOCK) {
        return be_result(u, vhk_vsock_set_running(&u->kern, on));
    }
    if (u->kernel && u->kind == VUDEV_NET) {
        if (on) {
            net_tap_set_offloads(u->tap_fd, u->vdev.guest_features);
        }
        for (unsigned q = 0; q < u->backend_queues && !r; q++) {
            if (u->started[q]) {
                r = vhk_net_set_backend(&u->kern, q, on ? u->tap_fd : -1);
            }
        }
    }
    return be_result(u, r);
}

static int start_queue(struct vudev *u, unsigned q)
{
    struct virtqueue *vq = &u->vdev.vq[q];
    int r;

    /* The rings' host addresses: vq_activate checked they lie in RAM,
     * and the memory table maps RAM at the same addresses. */
    if (u->kernel) {
        r = vhk_set_vring_num(&u->kern, q, vq->size);
        r = r ?: vhk_set_vring_base(&u->kern, q, vq->last_avail);
        r = r
                ?: vhk_set_vring_addr(&u->kern, q, (uintptr_t)vq->desc,
                                      (uintptr_t)vq->used,
                                      (uintptr_t)vq->avail);
        r = be_result(u, r);
    } else {
        r = vhu_set_vring_num(&u->conn, q, vq->size);
        r = r ?: vhu_set_vring_base(&u->conn, q, vq->last_avail);
        r = r
                ?: vhu_set_vring_addr(&u->conn, q, (uintptr_t)vq->desc,
                                      (uintptr_t)vq->used,
                                      (uintptr_t)vq->avail);
    }
    if (!r) {
        r = be_set_vring_fd(u, VHU_SET_VRING_CALL, q, u->env.call_fd);
    }
    if (!r && u->env.err_fd[q] >= 0) {
        r = be_set_vring_fd(u, VHU_SET_VRING_ERR, q, u->env.err_fd[q]);
    }
    if (!r) {
        r = be_set_vring_fd(u, VHU_SET_VRING_KICK, q, u->env.kick_fd[q]);
    }
    if (!r && be_has_ring_states(u)) {
        r = vhu_set_vring_enable(&u->conn, q, true);
    }
    if (!r) {
        u->started[q] = true;
    }
    return r;
}

static int vudev_activate(struct virtio_dev *d)
{
    struct vudev *u = to_vudev(d);
    uint64_t features = d->guest_features;
    int r;

    if (u->lost || !u->bound) {
        return -EIO;
    }
    u->conn.ctl = d->ctl; /* the VM's stopping() ends the waits */
    /* The backend gets what the driver took of what it offered: not the
     * config-space features that are husk's (virtio-net's MAC, STATUS). */
    features &= be_features(u);
    if (u->kernel) {
        r = vhk_set_features(&u->kern, features);
        r = be_result(
            u,
            r ?: vhk_set_mem_table(&u->kern, u->env.region, u->env.nr_regions));
    } else {
        features |= u->conn.features & (1ULL << VHU_F_PROTOCOL_FEATURES);
        r = vhu_set_features(&u->conn, features);
        r = r
                ?: vhu_set_mem_table(&u->conn, u->env.region, u->env.nr_regions,
                                     u->env.mem_fd);
    }
    for (unsigned q = 0; !r && q < u->backend_queues; q++) {
        if (d->vq[q].active) {
            r = start_queue(u, q);
        }
    }
    r = r ?: be_run(u, true);
    if (r) {
        backend_lost_locked(u);
    }
    return r;
}

/* Stops ring q: disabled first where rings have an enabled state, then
 * GET_VRING_BASE, after whose reply the backend no longer touches it and
 * the transport may forget it.  *base: the backend's next avail index. */
static int stop_ring(struct vudev *u, unsigned q, uint32_t *base)
{
    int r = 0;

    if (be_has_ring_states(u)) {
        r = vhu_set_vring_enable(&u->conn, q, false);
    }
    return r ? r : be_get_vring_base(u, q, base);
}

static void vudev_reset(struct virtio_dev *d)
{
    struct vudev *u = to_vudev(d);

    u->conn.ctl = d->ctl;
    if (!u->lost && be_run(u, false) < 0) {
        backend_lost_locked(u);
    }
    for (unsigned q = 0; q < d->ops->num_queues && !u->lost; q++) {
        uint32_t base;

        u->suspended[q] = false;
        if (!u->started[q]) {
            continue;
        }
        if (stop_ring(u, q, &base) < 0) {
            backend_lost_locked(u);
        }
        u->started[q] = false;
    }
}

/* Snapshots: every running ring stopped (GET_VRING_BASE: the backend
 * no longer touches it once it answers), its indices taken from the
 * answer and from the used ring the backend published.  A ring whose
 * backend still holds requests it took (base ahead of used) is started
 * again and -EBUSY returned: a snapshot never holds half a request. */
static void vudev_resume(struct virtio_dev *d);

static int vudev_suspend(struct virtio_dev *d)
{
    struct vudev *u = to_vudev(d);
    bool busy = false;

    if (u->lost) {
        return -EIO;
    }
    u->conn.ctl = d->ctl;
    if (be_run(u, false) < 0) {
        backend_lost_locked(u);
        return -EIO;
    }
    for (unsigned q = 0; q < d->ops->num_queues; q++) {
        struct virtqueue *vq = &d->vq[q];
        uint32_t base = 0;
        uint16_t used;

        if (!u->started[q]) {
            continue;
        }
        if (stop_ring(u, q, &base) < 0) {
            backend_lost_locked(u);
            return -EIO;
        }
        u->started[q] = false;
        u->suspended[q] = true;
        memcpy(&used, vq->used + 2, sizeof(used));
        vq->last_avail = (uint16_t)base;
        vq->used_idx = used;
        busy |= vq->last_avail != vq->used_idx;
    }
    if (busy) {
        vudev_resume(d);
        return -EBUSY;
    }
    return 0;
}

static void vudev_resume(struct virtio_dev *d)
{
    struct vudev *u = to_vudev(d);

    for (unsigned q = 0; q < d->ops->num_queues; q++) {
        if (!u->suspended[q]) {
            continue;
        }
        u->suspended[q] = false;
        if (!u->lost && d->vq[q].active && start_queue(u, q) < 0) {
            backend_lost_locked(u);
        }
    }
    if (!u->lost && be_run(u, true) < 0) {
        backend_lost_locked(u);
    }
}

/* The backend is gone: answer each request with an error so the driver
 * does not wait for it. */
/* The error answer to one request, in its device-writable buffers; the
 * bytes written. */
static uint32_t error_reply(struct vudev *u, const struct vq_elem *e)
{
    if (u->kind == VUDEV_NET) {
        return 0; /* TX: dropped; RX: an empty buffer back */
    }
    if (u->kind == VUDEV_BLK) {
        /* The status byte is the last byte the driver gave (§5.2.6). */
        uint8_t st = VBLK_S_IOERR;

        return e->in_len && iov_from_buf(e->in, e->in_num, e->in_len - 1, &st,
                                         1) == 1
                   ? 1
                   : 0;
    } else {
        struct fuse_out_hdr h = {sizeof(h), -EIO, 0};

        if (e->in_len >= sizeof(h) &&
            iov_to_buf(e->out, e->out_num, FUSE_IN_UNIQUE_OFF, &h.unique,
                       sizeof(h.unique)) == sizeof(h.unique)) {
            return (uint32_t)iov_from_buf(e->in, e->in_num, 0, &h, sizeof(h));
        }
        return 0; /* FORGET has no reply */
    }
}

static void fail_requests_locked(struct vudev *u, unsigned q)
{
    struct virtio_dev *d = &u->vdev;
    struct virtqueue *vq = &d->vq[q];
    g_autofree struct vq_elem *e = g_new(struct vq_elem, 1);
    unsigned done = 0;

    /* virtio-net's receive buffers are not given back: nothing will be
     * received, and empty ones would only come back to be refilled. */
    if (!(d->status & VIRTIO_S_DRIVER_OK) || !vq->active ||
        (u->kind == VUDEV_NET && q == 0)) {
        return;
    }
    /* virtio-vsock: nor its receive and event buffers; only what the
     * guest transmits (queue 1) is dropped. */
    if (u->kind == VUDEV_VSOCK && q != 1) {
        return;
    }
    while (vq_pop(vq, e) == 1) {
        vq_push(vq, e->head, error_reply(u, e));
        u->failed_requests++;
        done++;
    }
    if (done) {
        virtio_dev_notify_locked(d, q);
    }
}

void vudev_kick(struct vudev *u, unsigned q)
{
    g_mutex_lock(&u->vdev.lock);
    if (u->lost && q < u->vdev.ops->num_queues) {
        fail_requests_locked(u, q);
    }
    g_mutex_unlock(&u->vdev.lock);
}

/* A kick that reached the transport: for the backend, or for husk once
 * the backend is lost. */
static void vudev_queue_notify(struct virtio_dev *d, unsigned q)
{
    struct vudev *u = to_vudev(d);
    uint64_t one = 1;

    if (u->lost) {
        fail_requests_locked(u, q);
    } else if (u->bound && write(u->env.kick_fd[q], &one, sizeof(one)) < 0) {
        g_debug("%s: kick: %s", u->label, g_strerror(errno));
    }
}

bool vudev_socket_event(struct vudev *u)
{
    bool dead;

    g_mutex_lock(&u->vdev.lock);
    dead = vhu_poll_idle(&u->conn);
    if (dead) {
        backend_lost_locked(u);
    }
    g_mutex_unlock(&u->vdev.lock);
    return !dead;
}

/* What every kind starts with: nothing open, not husk's to kill. */
static void begin(struct vudev *u, enum vudev_kind kind, const char *label)
{
    memset(u, 0, sizeof(*u));
    u->conn.fd = -1;
    u->kern.fd = -1;
    u->tap_fd = -1;
    u->pidfd = -1;
    u->kind = kind;
    g_strlcpy(u->label, label, sizeof(u->label));
}

/* ... and ends with, once the backend agreed: the transport's state, the
 * features the guest may take, and the queues marked as the backend's. */
static void finish(struct vudev *u,
                   const struct guest_mem *gm,
                   struct irq_line *irq,
                   uint64_t host_features)
{
    virtio_dev_init(&u->vdev, &u->ops, u, gm, irq);
    if (!u->backend_queues) {
        u->backend_queues = u->ops.num_queues;
    }
    u->vdev.host_features = host_features;
    u->vdev.queues_remote = true;
    u->vdev.isr_queue_always = true;
    u->vdev.isr_read = vudev_isr_read;
}

static bool negotiate(struct vudev *u,
                      int sock,
                      unsigned nr_queues,
                      GError **errp)
{
    if (vhu_open(&u->conn, sock, u->label, nr_queues) < 0) {
        g_set_error(errp, HUSK_ERROR, HUSK_EXIT_UNAVAILABLE,
                    "%s: the vhost-user backend %s", u->label, u->conn.why);
        return false;
    }
    if (!(u->conn.features & (1ULL << VIRTIO_F_VERSION_1))) {
        g_set_error(errp, HUSK_ERROR, HUSK_EXIT_UNAVAILABLE,
                    "%s: the vhost-user backend offers no VERSION_1 (a "
                    "legacy-only backend)",
                    u->label);
        return false;
    }
    return true;
}

bool vudev_init_fs(struct vudev *u,
                   int sock,
                   const char *label,
                   const char *tag,
                   const struct guest_mem *gm,
                   struct irq_line *irq,
                   GError **errp)
{
    uint32_t nq = VUDEV_FS_REQUEST_QUEUES;
    size_t tl = strlen(tag);

    begin(u, VUDEV_FS, label);
    if (!tl || tl > VUDEV_FS_TAG_MAX) {
        close(sock);
        g_set_error(errp, HUSK_ERROR, HUSK_EXIT_USAGE,
                    "%s: a tag has 1 to %d bytes", label, VUDEV_FS_TAG_MAX);
        return false;
    }
    /* Queue 0 is the high-priority queue, then the request queues. */
    u->ops = (struct virtio_dev_ops){
        .name = "virtio-fs",
        .device_id = VIRTIO_ID_FS,
        .num_queues = 1 + VUDEV_FS_REQUEST_QUEUES,
        .queue_max = VUDEV_FS_QUEUE_MAX,
        .config_size = VUDEV_FS_TAG_MAX + sizeof(nq),
        .read_config = read_config,
        .activate = vudev_activate,
        .reset = vudev_reset,
        .suspend = vudev_suspend,
        .resume = vudev_resume,
        .queue_notify = vudev_queue_notify,
    };
    memcpy(u->config, tag, tl);
    memcpy(u->config + VUDEV_FS_TAG_MAX, &nq, sizeof(nq));
    if (!negotiate(u, sock, u->ops.num_queues, errp)) {
        return false;
    }
    /* What the guest may negotiate is what the backend offers (no
     * virtio-fs feature bits are offered: notifications need a shared
     * memory window husk does not have). */
    finish(u, gm, irq, u->conn.features & transport_mask());
    return true;
}

static void net_begin(struct vudev *u, const uint8_t mac[6], uint16_t mtu);

/* The kernel's vhost device on fd (what: "vhost-net", for messages):
 * owned, its features read, VERSION_1 among them; the twin of negotiate
 * for vhost-user. */
static bool kernel_negotiate(struct vudev *u,
                             int fd,
                             const char *what,
                             GError **errp)
{
    if (vhk_open(&u->kern, fd)) {
        g_set_error(errp, HUSK_ERROR, HUSK_EXIT_UNAVAILABLE, "%s: %s %s",
                    u->label, what, u->kern.why);
        return false;
    }
    if (!(u->kern.features & (1ULL << VIRTIO_F_VERSION_1))) {
        g_set_error(errp, HUSK_ERROR, HUSK_EXIT_UNAVAILABLE,
                    "%s: this kernel's %s offers no VERSION_1", u->label, what);
        return false;
    }
    return true;
}

bool vudev_init_net(struct vudev *u,
                    int sock,
                    const char *label,
                    const uint8_t mac[6],
                    uint16_t mtu,
                    const struct guest_mem *gm,
                    struct irq_line *irq,
                    GError **errp)
{
    begin(u, VUDEV_NET, label);
    net_begin(u, mac, mtu);
    if (!negotiate(u, sock, u->ops.num_queues, errp)) {
        return false;
    }
    finish(u, gm, irq,
           ((u->conn.features & (transport_mask() | VNET_PASS_BITS)) |
            VNET_OWN_BITS) &
               ~(mtu ? 0 : 1ULL << VIRTIO_NET_F_MTU));
    return true;
}

bool vudev_init_vhost_net(struct vudev *u,
                          int vhost_fd,
                          int tap_fd,
                          const char *label,
                          const uint8_t mac[6],
                          uint16_t mtu,
                          uint64_t tap_offloads,
                          const struct guest_mem *gm,
                          struct irq_line *irq,
                          GError **errp)
{
    begin(u, VUDEV_NET, label);
    u->kernel = true;
    u->tap_fd = tap_fd;
    net_begin(u, mac, mtu);
    if (!kernel_negotiate(u, vhost_fd, "vhost-net", errp)) {
        return false;
    }
    /* The ring features are the kernel's; the offloads the TAP's (the
     * header passes through vhost-net untouched); MAC, status and MTU
     * husk's config space. */
    finish(u, gm, irq,
           (u->kern.features &
            (transport_mask() | (1ULL << VIRTIO_NET_F_MRG_RXBUF))) |
               tap_offloads | VNET_OWN_BITS |
               (mtu ? 1ULL << VIRTIO_NET_F_MTU : 0));
    return true;
}

/* What both kinds of virtio-net start with: the transport and husk's
 * config space (mac, link up, one queue pair, the MTU). */
static void net_begin(struct vudev *u, const uint8_t mac[6], uint16_t mtu)
{
    struct virtio_net_config c;

    u->ops = (struct virtio_dev_ops){
        .name = "virtio-net",
        .device_id = VIRTIO_ID_NET,
        .num_queues = 2,
        .queue_max = VUDEV_NET_QUEUE_MAX,
        /* mac, status, max_virtqueue_pairs, mtu */
        .config_size = 12,
        .read_config = read_config,
        .activate = vudev_activate,
        .reset = vudev_reset,
        .suspend = vudev_suspend,
        .resume = vudev_resume,
        .queue_notify = vudev_queue_notify,
    };
    memset(&c, 0, sizeof(c));
    memcpy(c.mac, mac, 6);
    c.status = VIRTIO_NET_S_LINK_UP;
    c.max_virtqueue_pairs = 1;
    c.mtu = mtu;
    memcpy(u->config, &c, 12);
}

bool vudev_init_vsock(struct vudev *u,
                      int vhost_fd,
                      const char *label,
                      uint64_t cid,
                      const struct guest_mem *gm,
                      struct irq_line *irq,
                      GError **errp)
{
    /* SEQPACKET (bit 1) passes when the kernel offers it; the guest's
     * transport uses it for SOCK_SEQPACKET. */
    const uint64_t vsock_mask = 1ULL << 1;
    int r;

    begin(u, VUDEV_VSOCK, label);
    u->kernel = true;
    u->backend_queues = 2; /* rx, tx; the event queue is husk's */
    u->ops = (struct virtio_dev_ops){
        .name = "virtio-vsock",
        .device_id = VIRTIO_ID_VSOCK,
        .num_queues = 3,
        .queue_max = VUDEV_VSOCK_QUEUE_MAX,
        .config_size = 8, /* le64 guest_cid */
        .read_config = read_config,
        .activate = vudev_activate,
        .reset = vudev_reset,
        .suspend = vudev_suspend,
        .resume = vudev_resume,
        .queue_notify = vudev_queue_notify,
    };
    put_le64(u->config, cid);
    if (!kernel_negotiate(u, vhost_fd, "vhost-vsock", errp)) {
        return false;
    }
    r = vhk_vsock_set_cid(&u->kern, cid);
    if (r == -EADDRINUSE) {
        g_set_error(errp, HUSK_ERROR, HUSK_EXIT_UNAVAILABLE,
                    "%s: CID %" PRIu64
                    " is taken by another VM on this "
                    "host: give each VM its own",
                    label, cid);
        return false;
    }
    if (r) {
        g_set_error(errp, HUSK_ERROR, HUSK_EXIT_UNAVAILABLE,
                    "%s: vhost-vsock %s", u->label, u->kern.why);
        return false;
    }
    finish(u, gm, irq, u->kern.features & (transport_mask() | vsock_mask));
    return true;
}

void vudev_ring_error(struct vudev *u, unsigned q)
{
    g_mutex_lock(&u->vdev.lock);
    if (!u->lost && (u->vdev.status & VIRTIO_S_DRIVER_OK)) {
        virtio_dev_set_broken_locked(&u->vdev,
                                     "its vhost-user backend found a malformed "
                                     "ring");
    }
    g_mutex_unlock(&u->vdev.lock);
}

void vudev_set_backend_pidfd(struct vudev *u, int pidfd)
{
    if (u->pidfd >= 0) {
        close(u->pidfd);
    }
    u->pidfd = pidfd;
}

bool vudev_init_blk(struct vudev *u,
                    int sock,
                    const char *label,
                    bool read_only,
                    const struct guest_mem *gm,
                    struct irq_line *irq,
                    GError **errp)
{
    const uint64_t blk_mask =
        (1ULL << VBLK_F_SIZE_MAX) | (1ULL << VBLK_F_SEG_MAX) |
        (1ULL << VBLK_F_GEOMETRY) | (1ULL << VBLK_F_RO) |
        (1ULL << VBLK_F_BLK_SIZE) | (1ULL << VBLK_F_FLUSH) |
        (1ULL << VBLK_F_TOPOLOGY) | (1ULL << VBLK_F_DISCARD) |
        (1ULL << VBLK_F_WRITE_ZEROES);

    begin(u, VUDEV_BLK, label);
    u->ops = (struct virtio_dev_ops){
        .name = "virtio-blk",
        .device_id = VIRTIO_ID_BLOCK,
        .num_queues = 1,
        .queue_max = VUDEV_BLK_QUEUE_MAX,
        .config_size = VUDEV_BLK_CONFIG,
        .read_config = read_config,
        .activate = vudev_activate,
        .reset = vudev_reset,
        .suspend = vudev_suspend,
        .resume = vudev_resume,
        .queue_notify = vudev_queue_notify,
    };
    if (!negotiate(u, sock, u->ops.num_queues, errp)) {
        return false;
    }
    if (!vhu_has_pf(&u->conn, VHU_PF_CONFIG)) {
        g_set_error(errp, HUSK_ERROR, HUSK_EXIT_UNAVAILABLE,
                    "%s: the vhost-user backend does not give its config "
                    "space (no CONFIG protocol feature)",
                    label);
        return false;
    }
    /* The backend's config, read once: its fields are the guest's to
     * judge (virtio-blk's driver checks them), husk only passes them. */
    if (vhu_get_config(&u->conn, 0, u->config, VUDEV_BLK_CONFIG) < 0) {
        g_set_error(errp, HUSK_ERROR, HUSK_EXIT_UNAVAILABLE,
                    "%s: the vhost-user backend %s", label, u->conn.why);
        return false;
    }
    if (read_only && !(u->conn.features & (1ULL << VBLK_F_RO))) {
        g_set_error(errp, HUSK_ERROR, HUSK_EXIT_UNAVAILABLE,
                    "%s: ro, but the vhost-user backend serves the disk "
                    "writable (no VIRTIO_BLK_F_RO)",
                    label);
        return false;
    }
    finish(u, gm, irq, u->conn.features & (transport_mask() | blk_mask));
    return true;
}

void vudev_env_init(struct vudev_env *env)
{
    memset(env, 0, sizeof(*env));
    env->mem_fd = env->call_fd = -1;
    for (unsigned q = 0; q < VIRTIO_MAX_QUEUES; q++) {
        env->kick_fd[q] = env->err_fd[q] = -1;
    }
}

void vudev_bind(struct vudev *u, const struct vudev_env *env)
{
    g_mutex_lock(&u->vdev.lock);
    u->env = *env;
    u->bound = true;
    g_mutex_unlock(&u->vdev.lock);
}

void vudev_cleanup(struct vudev *u)
{
    /* The kernel's rings stopped as at a reset (TAP detached, vsock not
     * running, GET_VRING_BASE) before its descriptor goes, as QEMU's
     * vhost stop does: the device is not left serving rings whose guest
     * is gone. */
    if (u->kernel && u->vdev.ops && !u->lost) {
        uint32_t base;

        be_run(u, false);
        for (unsigned q = 0; q < u->backend_queues; q++) {
            if (u->started[q]) {
                be_get_vring_base(u, q, &base);
                u->started[q] = false;
            }
        }
    }
    vhu_close(&u->conn);
    vhk_close(&u->kern);
    if (u->tap_fd >= 0) {
        close(u->tap_fd);
        u->tap_fd = -1;
    }
    if (u->pidfd >= 0) {
        close(u->pidfd);
        u->pidfd = -1;
    }
    if (u->vdev.ops) {
        virtio_dev_cleanup(&u->vdev);
    }
}
