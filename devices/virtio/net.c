/*
 * net.c: virtio-net device logic (virtio v1.2 §5.1.6 "Device Operation").
 *
 * Trust boundary: the 12-byte header of a TX frame is copied out of guest
 * memory once, checked against the negotiated features, and that copy is
 * what a backend sees; the frame body goes to the backend as iovecs into
 * guest RAM (already range-checked by vq_pop).  RX frames are written only
 * into chains' device-writable buffers, and a frame spread over several
 * mergeable buffers is published to the driver in one used->idx update.
 *
 * Locking: dev->lock is dropped while a backend sends (slirp may answer at
 * once, calling vnet_receive, which takes the lock); a reset meanwhile is
 * noticed through reset_gen and the chain is not returned afterwards.
 */
#define G_LOG_DOMAIN "husk"
#include "devices/virtio/net.h"

#include <errno.h>
#include <linux/virtio_ids.h>
#include <linux/virtio_net.h>
#include <string.h>

#include "lib/iov.h"
#include "lib/log.h"
#include "lib/util.h"

#define ETH_HLEN_MIN 14

/* Offloads the device passes through when the backend can carry them. */
#define OFFLOAD_BITS                                                         \
    ((1ULL << VIRTIO_NET_F_CSUM) | (1ULL << VIRTIO_NET_F_GUEST_CSUM) |       \
     (1ULL << VIRTIO_NET_F_GUEST_TSO4) | (1ULL << VIRTIO_NET_F_GUEST_TSO6) | \
     (1ULL << VIRTIO_NET_F_GUEST_ECN) | (1ULL << VIRTIO_NET_F_GUEST_UFO) |   \
     (1ULL << VIRTIO_NET_F_HOST_TSO4) | (1ULL << VIRTIO_NET_F_HOST_TSO6) |   \
     (1ULL << VIRTIO_NET_F_HOST_ECN) | (1ULL << VIRTIO_NET_F_HOST_UFO))

static struct vnet *to_vnet(struct virtio_dev *d)
{
    return d->opaque;
}

static uint64_t vnet_features(struct virtio_dev *d)
{
    struct vnet *n = to_vnet(d);
    uint64_t f = (1ULL << VIRTIO_NET_F_MAC) | (1ULL << VIRTIO_NET_F_STATUS) |
                 (1ULL << VIRTIO_NET_F_MRG_RXBUF);

    if (n->mtu) {
        f |= 1ULL << VIRTIO_NET_F_MTU;
    }
    if (n->be->rx_csum_valid && !n->be->vnet_hdr) {
        f |= 1ULL << VIRTIO_NET_F_GUEST_CSUM;
    }
    return f | (n->be->offloads & OFFLOAD_BITS);
}

static void vnet_read_config(struct virtio_dev *d,
                             size_t off,
                             void *buf,
                             size_t len)
{
    struct vnet *n = to_vnet(d);
    struct virtio_net_config c;

    memset(&c, 0, sizeof(c));
    memcpy(c.mac, n->mac, sizeof(c.mac));
    c.status = VIRTIO_NET_S_LINK_UP;
    c.max_virtqueue_pairs = 1;
    c.mtu = n->mtu;
    /* Only the fields up to mtu exist for our features. */
    memcpy(buf, (uint8_t *)&c + off, MIN(len, 12 - MIN(off, 12)));
}

/* Does the TX header ask only for what was negotiated, inside the frame?
 * frame_len excludes the header.  Guest controlled: every field. */
static bool tx_header_ok(struct virtio_dev *d,
                         const uint8_t *h,
                         uint32_t frame_len)
{
    uint8_t flags = h[0], gso = h[1];
    uint16_t hdr_len = get_le16(h + 2), gso_size = get_le16(h + 4);
    uint16_t csum_start = get_le16(h + 6), csum_offset = get_le16(h + 8);
    uint8_t type = gso & ~VIRTIO_NET_HDR_GSO_ECN;

    if (flags & ~VIRTIO_NET_HDR_F_NEEDS_CSUM) {
        return false;
    }
    if (flags & VIRTIO_NET_HDR_F_NEEDS_CSUM) {
        if (!virtio_has_feature(d, VIRTIO_NET_F_CSUM) ||
            (uint32_t)csum_start + csum_offset + 2 > frame_len) {
            return false;
        }
    }
    if (gso == VIRTIO_NET_HDR_GSO_NONE) {
        return true;
    }
    if (!(flags & VIRTIO_NET_HDR_F_NEEDS_CSUM) || gso_size == 0 ||
        hdr_len > frame_len ||
        ((gso & VIRTIO_NET_HDR_GSO_ECN) &&
         !virtio_has_feature(d, VIRTIO_NET_F_HOST_ECN))) {
        return false;
    }
    switch (type) {
    case VIRTIO_NET_HDR_GSO_TCPV4:
        return virtio_has_feature(d, VIRTIO_NET_F_HOST_TSO4);
    case VIRTIO_NET_HDR_GSO_TCPV6:
        return virtio_has_feature(d, VIRTIO_NET_F_HOST_TSO6);
    case VIRTIO_NET_HDR_GSO_UDP:
        return virtio_has_feature(d, VIRTIO_NET_F_HOST_UFO);
    default:
        return false;
    }
}

/* Checks the popped TX chain; copies its header.  False: drop it. */
static bool tx_check(struct vnet *n)
{
    const struct vq_elem *e = n->tx_elem;
    uint32_t frame_len;

    if (e->in_num || e->out_len < NET_HDR_LEN) {
        return false; /* writable TX buffers, or no header (FC 0.22.0) */
    }
    frame_len = e->out_len - NET_HDR_LEN;
    if (frame_len < ETH_HLEN_MIN || frame_len > NET_MAX_FRAME) {
        return false;
    }
    iov_to_buf(e->out, e->out_num, 0, n->tx_hdr, NET_HDR_LEN);
    n->tx_hdr[10] = n->tx_hdr[11] = 0; /* num_buffers: RX only */
    return tx_header_ok(&n->vdev, n->tx_hdr, frame_len);
}

/* The backend's view of the pending frame: our header copy (if it takes
 * headers) and the body.  Returns the iovec count. */
static int tx_iov(struct vnet *n)
{
    const struct vq_elem *e = n->tx_elem;
    int k = 0;

    if (n->be->vnet_hdr) {
        n->tx_iov[k++] = (struct iovec){n->tx_hdr, NET_HDR_LEN};
    }
    return k + (int)iov_slice(e->out, e->out_num, NET_HDR_LEN, SIZE_MAX,
                              n->tx_iov + k, VQ_MAX_SG);
}

/* Pushes out what the backend buffered during a run of sends; called with
 * the device lock held, the backend runs without it. */
static void tx_flush_locked(struct vnet *n)
{
    if (n->be->ops->flush) {
        g_mutex_unlock(&n->vdev.lock);
        n->be->ops->flush(n->be);
        g_mutex_lock(&n->vdev.lock);
    }
}

static void vnet_tx_locked(struct vnet *n)
{
    struct virtio_dev *d = &n->vdev;
    struct virtqueue *vq = &d->vq[VNET_TX];
    unsigned done = 0;

    /* Bounded: a queue's worth per call, the rest after other work. */
    while (done < vq->size) {
        unsigned gen = n->reset_gen;
        int cnt, r;

        if (!n->tx_pending) {
            if (vq_pop(vq, n->tx_elem) <= 0) {
                break;
            }
            if (!tx_check(n)) {
                n->tx_dropped++;
                guest_error("virtio-net: malformed TX frame dropped");
                vq_push(vq, n->tx_elem->head, 0);
                done++;
                continue;
            }
            n->tx_pending = true;
        }
        cnt = tx_iov(n);
        g_mutex_unlock(&d->lock);
        r = n->be->ops->send(n->be, n->tx_iov, cnt);
        g_mutex_lock(&d->lock);
        if (gen != n->reset_gen) {
            /* Reset while sending: the chain is forgotten; what the
             * backend buffered still goes out, as if sent before. */
            tx_flush_locked(n);
            return;
        }
        if (r == -EAGAIN) {
            break; /* the backend calls vnet_tx_resume */
        }
        n->tx_pending = false;
        n->tx_frames++;
        n->tx_bytes += n->tx_elem->out_len - NET_HDR_LEN;
        vq_push(vq, n->tx_elem->head, 0);
        done++;
    }
    if (done) {
        tx_flush_locked(n);
    }
    virtio_dev_notify_locked(d, VNET_TX);
    if (done == vq->size && vq_has_avail(vq) && d->kick) {
        d->kick(d, VNET_TX);
    }
}

static void vnet_queue_notify(struct virtio_dev *d, unsigned q)
{
    struct vnet *n = to_vnet(d);

    if (q == VNET_TX) {
        vnet_tx_locked(n);
    } else if (q == VNET_RX && n->rx_wanted) {
        n->rx_wanted = false;
        /* The backend delivers through vnet_receive, which takes the
         * lock: call it without. */
        g_mutex_unlock(&d->lock);
        n->be->ops->rx_ready(n->be);
        g_mutex_lock(&d->lock);
    }
}

static int vnet_activate(struct virtio_dev *d)
{
    struct vnet *n = to_vnet(d);

    if (n->be->ops->set_offloads) {
        n->be->ops->set_offloads(n->be, d->guest_features & OFFLOAD_BITS);
    }
    return 0;
}

static void vnet_reset(struct virtio_dev *d)
{
    struct vnet *n = to_vnet(d);

    n->reset_gen++;
    n->tx_pending = false;
    /* rx_wanted stays: a frame the backend holds is offered again once
     * the driver is back (DRIVER_OK kicks every queue). */
}

/* Snapshots: no frame half sent. */
static bool vnet_quiesced(struct virtio_dev *d)
{
    return !to_vnet(d)->tx_pending;
}

const struct virtio_dev_ops vnet_ops = {
    .name = "virtio-net",
    .device_id = VIRTIO_ID_NET,
    .num_queues = 2,
    .queue_max = VNET_QUEUE_SIZE,
    .features = vnet_features,
    .config_size = 12, /* mac, status, max_virtqueue_pairs, mtu */
    .read_config = vnet_read_config,
    .activate = vnet_activate,
    .reset = vnet_reset,
    .queue_notify = vnet_queue_notify,
    .quiesced = vnet_quiesced,
};

/* The source of one RX frame as it lands in guest buffers: the header we
 * write, then the body. */
struct rx_src {
    struct iovec iov[8];
    int cnt;
    size_t len;
};

int vnet_receive(struct vnet *n, const struct iovec *iov, int cnt)
{
    struct virtio_dev *d = &n->vdev;
    struct virtqueue *vq = &d->vq[VNET_RX];
    uint8_t hdr[NET_HDR_LEN] = {0};
    struct rx_src src = {.cnt = 0};
    size_t total = 0, skip = n->be->vnet_hdr ? NET_HDR_LEN : 0, cap = 0;
    size_t off = 0;
    uint16_t heads[VNET_QUEUE_SIZE];
    unsigned iov_start[VNET_QUEUE_SIZE + 1];
    unsigned nch = 0, pool = 0;
    bool mrg;

    for (int i = 0; i < cnt; i++) {
        total += iov[i].iov_len;
    }
    if (total < skip + ETH_HLEN_MIN || total - skip > NET_MAX_FRAME) {
        n->rx_dropped++;
        return 1;
    }
    if (skip) {
        /* The backend's header (TAP): ours to pass on, num_buffers ours
         * to set. */
        iov_to_buf(iov, (unsigned)cnt, 0, hdr, NET_HDR_LEN);
    }
    src.iov[0] = (struct iovec){hdr, NET_HDR_LEN};
    src.cnt = 1 + (int)iov_slice(iov, (unsigned)cnt, skip, SIZE_MAX,
                                 src.iov + 1, G_N_ELEMENTS(src.iov) - 1);
    src.len = NET_HDR_LEN;
    for (int i = 1; i < src.cnt; i++) {
        src.len += src.iov[i].iov_len;
    }
    if (src.len - NET_HDR_LEN != total - skip) {
        n->rx_dropped++; /* more pieces than we take; backends give 1 or 2 */
        return 1;
    }

    g_mutex_lock(&d->lock);
    if (!(d->status & VIRTIO_S_DRIVER_OK) ||
        (d->status & VIRTIO_S_NEEDS_RESET) || !vq->active) {
        n->rx_wanted = true;
        g_mutex_unlock(&d->lock);
        return 0;
    }
    mrg = virtio_has_feature(d, VIRTIO_NET_F_MRG_RXBUF);
    /* Gather enough chains for the whole frame (one without mergeable
     * buffers), remembering each chain's writable iovecs. */
    while (cap < src.len) {
        struct vq_elem *e = n->rx_elem;
        int r;

        if (nch == G_N_ELEMENTS(heads)) {
            goto drop_unpop;
        }
        r = vq_pop(vq, e);
        if (r < 0) {
            virtio_dev_set_broken_locked(d, "malformed virtqueue");
            n->rx_dropped++;
            g_mutex_unlock(&d->lock);
            return 1;
        }
        if (r == 0) {
            /* No room: give the chains back and wait for a kick. */
            vq_unpop(vq, nch);
            n->rx_wanted = true;
            g_mutex_unlock(&d->lock);
            return 0;
        }
        if (e->in_num == 0) {
            /* Nothing we may write: the driver is broken, not the
             * frame (QEMU's "receive queue contains no in buffers"). */
            vq_unpop(vq, nch + 1);
            virtio_dev_set_broken_locked(d, "RX buffer not writable");
            n->rx_dropped++;
            g_mutex_unlock(&d->lock);
            return 1;
        }
        if ((!mrg && e->in_len < src.len) || pool + e->in_num > VQ_MAX_SG) {
            nch++;
            goto drop_unpop; /* can never fit: drop it, keep the buffers */
        }
        heads[nch] = e->head;
        iov_start[nch] = pool;
        memcpy(&n->rx_iov[pool], e->in, e->in_num * sizeof(struct iovec));
        pool += e->in_num;
        cap += e->in_len;
        nch++;
        if (!mrg) {
            break;
        }
    }
    iov_start[nch] = pool;
    put_le16(hdr + 10, mrg ? (uint16_t)nch : 1); /* num_buffers */
    if (!skip && n->be->rx_csum_valid &&
        virtio_has_feature(d, VIRTIO_NET_F_GUEST_CSUM)) {
        hdr[0] = VIRTIO_NET_HDR_F_DATA_VALID;
    }
    for (unsigned c = 0; c < nch; c++) {
        size_t start = off;

        for (unsigned i = iov_start[c]; i < iov_start[c + 1] && off < src.len;
             i++) {
            off += iov_to_buf(src.iov, (unsigned)src.cnt, off,
                              n->rx_iov[i].iov_base, n->rx_iov[i].iov_len);
        }
        vq_fill(vq, c, heads[c], (uint32_t)(off - start));
    }
    vq_flush(vq, nch);
    n->rx_frames++;
    n->rx_bytes += src.len - NET_HDR_LEN;
    virtio_dev_notify_locked(d, VNET_RX);
    g_mutex_unlock(&d->lock);
    return 1;

drop_unpop:
    vq_unpop(vq, nch);
    n->rx_dropped++;
    guest_error("virtio-net: RX frame of %zu bytes does not fit, dropped",
                src.len);
    g_mutex_unlock(&d->lock);
    return 1;
}

void vnet_tx_resume(struct vnet *n)
{
    struct virtio_dev *d = &n->vdev;

    g_mutex_lock(&d->lock);
    virtio_dev_queue_notify_locked(d, VNET_TX);
    g_mutex_unlock(&d->lock);
}

void vnet_init(struct vnet *n,
               struct net_backend *be,
               const uint8_t mac[6],
               uint16_t mtu,
               const struct guest_mem *gm,
               struct irq_line *irq)
{
    memset(n, 0, sizeof(*n));
    n->be = be;
    be->dev = n;
    memcpy(n->mac, mac, 6);
    n->mtu = mtu;
    n->tx_elem = g_new0(struct vq_elem, 1);
    n->rx_elem = g_new0(struct vq_elem, 1);
    n->tx_iov = g_new(struct iovec, VQ_MAX_SG + 1);
    n->rx_iov = g_new(struct iovec, VQ_MAX_SG);
    virtio_dev_init(&n->vdev, &vnet_ops, n, gm, irq);
}

void vnet_cleanup(struct vnet *n)
{
    virtio_dev_cleanup(&n->vdev);
    g_free(n->tx_elem);
    g_free(n->rx_elem);
    g_free(n->tx_iov);
    g_free(n->rx_iov);
    if (n->be) {
        n->be->ops->close(n->be);
    }
}
