/*
 * blk.c: virtio-blk device logic (virtio v1.2 §5.2.6 "Device Operation").
 *
 * Requests are served synchronously on the I/O thread.  dev->lock is not
 * held while the backend works, so vCPUs reading registers never wait for
 * the disk; a reset waits (GCond) for the request in flight to finish, so
 * nothing is written to guest memory or the used ring after it (cf.
 * OpenVMM #3915).
 *
 * Durability: FLUSH completes only after fdatasync succeeded; after one
 * failure every later FLUSH fails too (the kernel may have dropped the
 * dirty pages: "fsyncgate").  A driver that did not negotiate FLUSH gets
 * write-through: each write is synced before it completes.
 */
#define G_LOG_DOMAIN "husk"
#include "devices/virtio/blk.h"

#include <errno.h>
#include <linux/virtio_blk.h>
#include <linux/virtio_ids.h>
#include <string.h>

#include "vmm/log.h"
#include "vmm/util.h"

#define SECTOR 512ULL
#define BLK_QUEUE_SIZE 256
#define MAX_DISCARD_SECTORS (UINT32_MAX / SECTOR)

static struct vblk *to_vblk(struct virtio_dev *d)
{
    return d->opaque;
}

static uint64_t vblk_features(struct virtio_dev *d)
{
    struct vblk *b = to_vblk(d);
    uint64_t f = (1ULL << VIRTIO_BLK_F_SEG_MAX) |
                 (1ULL << VIRTIO_BLK_F_BLK_SIZE) |
                 (1ULL << VIRTIO_BLK_F_FLUSH);

    if (b->be->read_only) {
        f |= 1ULL << VIRTIO_BLK_F_RO;
    }
    if (b->be->can_discard) {
        f |= 1ULL << VIRTIO_BLK_F_DISCARD;
    }
    if (b->be->can_write_zeroes) {
        f |= 1ULL << VIRTIO_BLK_F_WRITE_ZEROES;
    }
    return f;
}

static void vblk_read_config(struct virtio_dev *d, size_t off, void *buf,
                             size_t len)
{
    struct vblk *b = to_vblk(d);
    struct virtio_blk_config c;

    memset(&c, 0, sizeof(c));
    c.capacity = b->be->size / SECTOR;
    c.seg_max = VQ_MAX_SG - 2; /* header and status take two */
    c.blk_size = b->be->block_size;
    c.num_queues = 1;
    c.max_discard_sectors = MAX_DISCARD_SECTORS;
    c.max_discard_seg = 1;
    c.discard_sector_alignment = b->be->block_size / SECTOR;
    c.max_write_zeroes_sectors = MAX_DISCARD_SECTORS;
    c.max_write_zeroes_seg = 1;
    c.write_zeroes_may_unmap = 0;
    memcpy(buf, (uint8_t *)&c + off, MIN(len, sizeof(c) - MIN(off, sizeof(c))));
}

/* [sector, sector + bytes) inside the disk?  Overflow-safe. */
static bool in_range(const struct vblk *b, uint64_t sector, uint64_t bytes)
{
    uint64_t off, end;

    return !__builtin_mul_overflow(sector, SECTOR, &off) &&
           !__builtin_add_overflow(off, bytes, &end) && end <= b->be->size;
}

static uint8_t status_from_errno(struct vblk *b, long r)
{
    if (r >= 0) {
        return VIRTIO_BLK_S_OK;
    }
    b->io_errors++;
    g_debug("virtio-blk: host I/O error: %s", g_strerror((int)-r));
    return VIRTIO_BLK_S_IOERR;
}

/* The data buffers of a request: the out iovecs after the 16-byte header,
 * or the in iovecs before the status byte.  Returns the iovec count. */
static unsigned slice(const struct iovec *src, unsigned n, size_t skip,
                      size_t len, struct iovec *dst)
{
    unsigned k = 0;

    for (unsigned i = 0; i < n && len; i++) {
        size_t l = src[i].iov_len;

        if (skip >= l) {
            skip -= l;
            continue;
        }
        dst[k].iov_base = (uint8_t *)src[i].iov_base + skip;
        dst[k].iov_len = MIN(l - skip, len);
        len -= dst[k].iov_len;
        skip = 0;
        k++;
    }
    return k;
}

/* DISCARD / WRITE_ZEROES: one segment (max_*_seg = 1). */
static uint8_t do_ranges(struct vblk *b, const struct vq_elem *e,
                         uint32_t type)
{
    struct virtio_blk_discard_write_zeroes seg;
    bool discard = type == VIRTIO_BLK_T_DISCARD;
    int r;

    if (b->be->read_only) {
        return VIRTIO_BLK_S_IOERR;
    }
    if (e->out_len != 16 + sizeof(seg) ||
        iov_to_buf(e->out, e->out_num, 16, &seg, sizeof(seg)) != sizeof(seg)) {
        return VIRTIO_BLK_S_IOERR;
    }
    /* Guest controlled: sector and count; flags only UNMAP for zeroes. */
    if (seg.num_sectors > MAX_DISCARD_SECTORS ||
        !in_range(b, seg.sector, (uint64_t)seg.num_sectors * SECTOR) ||
        (seg.flags & ~(discard ? 0u : VIRTIO_BLK_WRITE_ZEROES_FLAG_UNMAP))) {
        return VIRTIO_BLK_S_IOERR;
    }
    if (seg.num_sectors == 0) {
        return VIRTIO_BLK_S_OK;
    }
    r = discard ? b->be->ops->discard(b->be, seg.sector * SECTOR,
                                      (uint64_t)seg.num_sectors * SECTOR)
                : b->be->ops->write_zeroes(b->be, seg.sector * SECTOR,
                                           (uint64_t)seg.num_sectors * SECTOR);
    return status_from_errno(b, r);
}

/*
 * Serves one request; returns the status and sets *written to the bytes
 * written into the driver's buffers (the status byte excluded).  Called
 * without dev->lock; touches only the element's iovecs and the backend.
 */
static uint8_t serve(struct vblk *b, const struct vq_elem *e, bool flush_ok,
                     uint32_t *written)
{
    struct virtio_blk_outhdr hdr;
    static __thread struct iovec data[VQ_MAX_SG];
    uint64_t len;
    unsigned n;
    long r;

    *written = 0;
    if (iov_to_buf(e->out, e->out_num, 0, &hdr, sizeof(hdr)) != sizeof(hdr)) {
        b->bad_requests++;
        return VIRTIO_BLK_S_IOERR;
    }
    switch (hdr.type) {
    case VIRTIO_BLK_T_IN:
        len = e->in_len - 1;
        if (e->out_len != sizeof(hdr) || len % SECTOR ||
            !in_range(b, hdr.sector, len)) {
            b->bad_requests++;
            return VIRTIO_BLK_S_IOERR;
        }
        n = slice(e->in, e->in_num, 0, len, data);
        b->reads++;
        r = len ? b->be->ops->preadv(b->be, data, (int)n, hdr.sector * SECTOR)
                : 0;
        if (r >= 0) {
            *written = (uint32_t)len;
        }
        return status_from_errno(b, r);
    case VIRTIO_BLK_T_OUT:
        len = e->out_len - sizeof(hdr);
        if (e->in_len != 1 || len % SECTOR || !in_range(b, hdr.sector, len)) {
            b->bad_requests++;
            return VIRTIO_BLK_S_IOERR;
        }
        if (b->be->read_only) {
            return VIRTIO_BLK_S_IOERR;
        }
        n = slice(e->out, e->out_num, sizeof(hdr), len, data);
        b->writes++;
        r = len ? b->be->ops->pwritev(b->be, data, (int)n, hdr.sector * SECTOR)
                : 0;
        if (r >= 0 && !flush_ok) {
            r = b->be->ops->flush(b->be); /* write-through */
        }
        return status_from_errno(b, r);
    case VIRTIO_BLK_T_FLUSH:
        b->flushes++;
        if (b->flush_failed) {
            return VIRTIO_BLK_S_IOERR;
        }
        r = b->be->ops->flush(b->be);
        if (r < 0) {
            b->flush_failed = true;
        }
        return status_from_errno(b, r);
    case VIRTIO_BLK_T_GET_ID:
        len = MIN((uint64_t)e->in_len - 1, (uint64_t)VIRTIO_BLK_ID_BYTES);
        *written = (uint32_t)iov_from_buf(e->in, e->in_num, 0, b->be->serial,
                                          MIN(len, sizeof(b->be->serial)));
        return VIRTIO_BLK_S_OK;
    case VIRTIO_BLK_T_DISCARD:
        if (!b->be->can_discard) {
            break;
        }
        return do_ranges(b, e, hdr.type);
    case VIRTIO_BLK_T_WRITE_ZEROES:
        if (!b->be->can_write_zeroes) {
            break;
        }
        return do_ranges(b, e, hdr.type);
    }
    b->unsupported++;
    return VIRTIO_BLK_S_UNSUPP;
}

static void vblk_queue_notify(struct virtio_dev *d, unsigned q)
{
    struct vblk *b = to_vblk(d);
    struct virtqueue *vq = &d->vq[q];
    unsigned done = 0;

    /* Another thread is serving this queue with the lock dropped; it
     * looks at the ring again before it stops. */
    if (b->inflight) {
        b->more = true;
        return;
    }
    do {
        b->more = false;
        /* Bounded: a guest that keeps the ring full cannot keep the I/O
         * thread here forever; the rest waits for the next kick. */
        while (done < vq->size && vq_pop(vq, b->elem) > 0) {
            struct vq_elem *e = b->elem;
            unsigned gen = b->reset_gen;
            bool flush_ok = virtio_has_feature(d, VIRTIO_BLK_F_FLUSH);
            uint32_t written = 0;
            uint8_t status;

            done++;
            if (e->in_num == 0) {
                /* No status byte: the chain is sound, the request is not.
                 * Return it unanswered rather than leak the slot
                 * (CH #8401). */
                b->bad_requests++;
                vq_push(vq, e->head, 0);
                continue;
            }
            b->inflight = true;
            g_mutex_unlock(&d->lock);
            status = serve(b, e, flush_ok, &written);
            g_mutex_lock(&d->lock);
            b->inflight = false;
            g_cond_broadcast(&b->idle);
            if (gen != b->reset_gen) {
                return; /* reset while we worked: the request is gone */
            }
            /* The status byte: the last byte of the last writable buffer. */
            {
                const struct iovec *last = &e->in[e->in_num - 1];
                ((uint8_t *)last->iov_base)[last->iov_len - 1] = status;
            }
            vq_push(vq, e->head, written + 1);
        }
    } while (b->more && done < vq->size);
    virtio_dev_notify_locked(d, q);
    if (done == vq->size && vq_has_avail(vq) && d->kick) {
        d->kick(d, q); /* more work: come back after the other devices */
    }
}

static void vblk_reset(struct virtio_dev *d)
{
    struct vblk *b = to_vblk(d);

    b->reset_gen++;
    while (b->inflight) {
        g_cond_wait(&b->idle, &d->lock);
    }
}

const struct virtio_dev_ops vblk_ops = {
    .name = "virtio-blk",
    .device_id = VIRTIO_ID_BLOCK,
    .num_queues = 1,
    .queue_max = BLK_QUEUE_SIZE,
    .features = vblk_features,
    .config_size = sizeof(struct virtio_blk_config),
    .read_config = vblk_read_config,
    .reset = vblk_reset,
    .queue_notify = vblk_queue_notify,
};

void vblk_init(struct vblk *b, struct blk_backend *be,
               const struct guest_mem *gm, struct irq_line *irq)
{
    memset(b, 0, sizeof(*b));
    b->be = be;
    b->elem = g_new0(struct vq_elem, 1);
    g_cond_init(&b->idle);
    virtio_dev_init(&b->vdev, &vblk_ops, b, gm, irq);
}

void vblk_cleanup(struct vblk *b)
{
    virtio_dev_cleanup(&b->vdev);
    g_cond_clear(&b->idle);
    g_free(b->elem);
    if (b->be) {
        b->be->ops->close(b->be);
    }
}
