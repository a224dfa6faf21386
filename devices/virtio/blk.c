/*
 * blk.c: virtio-blk device logic (virtio v1.2 §5.2.6 "Device Operation").
 *
 * Requests are checked under dev->lock, then handed to the backend with
 * the lock dropped, so vCPUs touching registers never wait for the disk.
 * Up to a queue's worth are in flight at once: a synchronous backend
 * finishes each before blk_submit returns, io_uring later, when its
 * eventfd wakes the I/O thread (vblk_poll).  A reset waits until nothing
 * is in flight and drops what finishes meanwhile, so nothing is written to
 * guest memory or the used ring after it (cf. OpenVMM #3915).
 *
 * Durability: FLUSH completes only after fdatasync succeeded; after one
 * failure every later FLUSH fails too (the kernel may have dropped the
 * dirty pages: "fsyncgate").  A driver that did not negotiate FLUSH gets
 * write-through: each write is synced before it completes.  Requests in
 * flight are unordered, as the spec allows; Linux issues a FLUSH only after
 * the writes it covers have completed.
 */
#define G_LOG_DOMAIN "husk"
#include "devices/virtio/blk.h"

#include <errno.h>
#include <linux/virtio_blk.h>
#include <linux/virtio_ids.h>
#include <string.h>

#include "lib/iov.h"
#include "lib/log.h"
#include "lib/util.h"

#define SECTOR 512ULL
#define BLK_QUEUE_SIZE 256
#define MAX_DISCARD_SECTORS (UINT32_MAX / SECTOR)
#define REAP_BATCH 64 /* completions answered per reap */

static struct vblk *to_vblk(struct virtio_dev *d)
{
    return d->opaque;
}

static uint64_t vblk_features(struct virtio_dev *d)
{
    struct vblk *b = to_vblk(d);
    uint64_t f = (1ULL << VIRTIO_BLK_F_SEG_MAX) |
                 (1ULL << VIRTIO_BLK_F_BLK_SIZE) | (1ULL << VIRTIO_BLK_F_FLUSH);

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

static void vblk_read_config(struct virtio_dev *d,
                             size_t off,
                             void *buf,
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

/* Not a status: the request went to the backend. */
#define VBLK_PENDING 0xff

/* One request from pop to push; allocated on first use and kept on a free
 * list, at most a queue's worth. */
struct vblk_req {
    struct blk_io io;
    struct vblk_req *next_free;
    unsigned gen;     /* reset_gen when it was popped */
    uint32_t written; /* bytes for the driver if it succeeds */
    struct vq_elem elem;
    struct iovec data[VQ_MAX_SG];
};

static struct vblk_req *req_get(struct vblk *b)
{
    struct vblk_req *r = b->free_reqs;

    if (r) {
        b->free_reqs = r->next_free;
        return r;
    }
    /* Not zeroed: the iovec arrays are large and only touched as used. */
    return g_malloc(sizeof(*r));
}

static void req_put(struct vblk *b, struct vblk_req *r)
{
    r->next_free = b->free_reqs;
    b->free_reqs = r;
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

/* DISCARD / WRITE_ZEROES: one segment (max_*_seg = 1). */
static uint8_t prep_ranges(struct vblk *b,
                           const struct vq_elem *e,
                           uint32_t type,
                           struct blk_io *io)
{
    struct virtio_blk_discard_write_zeroes seg;
    bool discard = type == VIRTIO_BLK_T_DISCARD;

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
    io->op = discard ? BLK_OP_DISCARD : BLK_OP_WRITE_ZEROES;
    io->off = seg.sector * SECTOR;
    io->len = (uint64_t)seg.num_sectors * SECTOR;
    return VBLK_PENDING;
}

/*
 * Checks one request and turns it into r->io: returns VBLK_PENDING if the
 * backend must run it, else the status to answer with now.  dev->lock
 * held; guest data is read from the element's iovecs once, here.
 */
static uint8_t prepare(struct vblk *b, struct vblk_req *r, bool flush_ok)
{
    const struct vq_elem *e = &r->elem;
    struct virtio_blk_outhdr hdr;
    struct blk_io *io = &r->io;
    uint64_t len;

    memset(io, 0, sizeof(*io));
    r->written = 0;
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
        b->reads++;
        io->op = BLK_OP_READ;
        /* The in iovecs before the status byte. */
        io->iovcnt =
            (int)iov_slice(e->in, e->in_num, 0, len, r->data, VQ_MAX_SG);
        io->iov = r->data;
        io->off = hdr.sector * SECTOR;
        io->len = len;
        r->written = (uint32_t)len;
        return VBLK_PENDING;
    case VIRTIO_BLK_T_OUT:
        len = e->out_len - sizeof(hdr);
        if (e->in_len != 1 || len % SECTOR || !in_range(b, hdr.sector, len)) {
            b->bad_requests++;
            return VIRTIO_BLK_S_IOERR;
        }
        if (b->be->read_only) {
            return VIRTIO_BLK_S_IOERR;
        }
        b->writes++;
        io->op = BLK_OP_WRITE;
        io->fua = !flush_ok; /* write-through */
        /* The out iovecs after the 16-byte header. */
        io->iovcnt = (int)iov_slice(e->out, e->out_num, sizeof(hdr), len,
                                    r->data, VQ_MAX_SG);
        io->iov = r->data;
        io->off = hdr.sector * SECTOR;
        io->len = len;
        return VBLK_PENDING;
    case VIRTIO_BLK_T_FLUSH:
        b->flushes++;
        if (b->flush_failed) {
            return VIRTIO_BLK_S_IOERR;
        }
        io->op = BLK_OP_FLUSH;
        return VBLK_PENDING;
    case VIRTIO_BLK_T_GET_ID:
        len = MIN((uint64_t)e->in_len - 1, (uint64_t)VIRTIO_BLK_ID_BYTES);
        r->written = (uint32_t)iov_from_buf(e->in, e->in_num, 0, b->be->serial,
                                            MIN(len, sizeof(b->be->serial)));
        return VIRTIO_BLK_S_OK;
    case VIRTIO_BLK_T_DISCARD:
        if (!b->be->can_discard) {
            break;
        }
        return prep_ranges(b, e, hdr.type, io);
    case VIRTIO_BLK_T_WRITE_ZEROES:
        if (!b->be->can_write_zeroes) {
            break;
        }
        return prep_ranges(b, e, hdr.type, io);
    }
    b->unsupported++;
    return VIRTIO_BLK_S_UNSUPP;
}

/* Writes the status byte (the last byte of the last writable buffer) and
 * returns the chain.  dev->lock held. */
static void answer(struct virtqueue *vq,
                   struct vblk_req *r,
                   uint8_t status,
                   uint32_t written)
{
    const struct iovec *last = &r->elem.in[r->elem.in_num - 1];

    ((uint8_t *)last->iov_base)[last->iov_len - 1] = status;
    vq_push(vq, r->elem.head, written + 1);
}

/*
 * A request the backend finished: answer it unless a reset came since it
 * was popped (then the driver has forgotten it).  dev->lock held.
 */
static void finish_locked(struct vblk *b, struct vblk_req *r)
{
    struct virtio_dev *d = &b->vdev;
    struct blk_io *io = &r->io;
    uint8_t status;

    /* A failed fdatasync is latched, and a FLUSH (or write-through write)
     * that finishes after one never reports success: the error may have
     * been consumed by the other request's fdatasync. */
    if (io->result < 0 && (io->op == BLK_OP_FLUSH || io->fua)) {
        b->flush_failed = true;
    }
    status = status_from_errno(b, io->result);
    if ((io->op == BLK_OP_FLUSH || io->fua) && b->flush_failed) {
        status = VIRTIO_BLK_S_IOERR;
    }
    if (r->gen == b->reset_gen && !(d->status & VIRTIO_S_NEEDS_RESET)) {
        answer(&d->vq[0], r, status,
               status == VIRTIO_BLK_S_OK ? r->written : 0);
    }
    req_put(b, r);
    g_assert(b->inflight > 0);
    if (--b->inflight == 0) {
        g_cond_broadcast(&b->idle);
    }
}

static void vblk_queue_notify(struct virtio_dev *d, unsigned q)
{
    struct vblk *b = to_vblk(d);
    struct virtqueue *vq = &d->vq[q];
    bool flush_ok = virtio_has_feature(d, VIRTIO_BLK_F_FLUSH);
    struct vblk_req *batch[BLK_QUEUE_SIZE];
    unsigned popped = 0, n = 0, inline_done = 0;

    /* Bounded: a queue's worth per call, and never more than a queue's
     * worth in flight (a guest re-posting heads it has not got back must
     * not make us allocate without end). */
    while (popped < vq->size && n < G_N_ELEMENTS(batch)) {
        struct vblk_req *r;
        uint8_t status;

        if (b->inflight >= vq->size) {
            b->throttled = true;
            break;
        }
        r = req_get(b);
        if (vq_pop(vq, &r->elem) <= 0) {
            req_put(b, r);
            break;
        }
        popped++;
        if (r->elem.in_num == 0) {
            /* No status byte: the chain is sound, the request is not.
             * Return it unanswered rather than leak the slot (CH #8401). */
            b->bad_requests++;
            vq_push(vq, r->elem.head, 0);
            req_put(b, r);
            continue;
        }
        status = prepare(b, r, flush_ok);
        if (status != VBLK_PENDING) {
            answer(vq, r, status, r->written);
            req_put(b, r);
            continue;
        }
        r->gen = b->reset_gen;
        b->inflight++;
        batch[n++] = r;
    }
    if (n) {
        /* Unlocked: the backend may block (sync engine) or copy data
         * inline (io_uring).  The requests are counted in inflight, so a
         * reset meanwhile waits for them.  Once an async backend has an io
         * it may finish on another thread: do not look at it again. */
        g_mutex_unlock(&d->lock);
        for (unsigned i = 0; i < n; i++) {
            if (blk_submit(b->be, &batch[i]->io)) {
                batch[inline_done++] = batch[i];
            }
        }
        blk_commit(b->be);
        g_mutex_lock(&d->lock);
        for (unsigned i = 0; i < inline_done; i++) {
            finish_locked(b, batch[i]);
        }
    }
    virtio_dev_notify_locked(d, q);
    if (popped == vq->size && vq_has_avail(vq) && d->kick) {
        d->kick(d, q); /* more work: come back after the other devices */
    }
}

/* Finishes what the backend has completed; waits up to timeout_ms for the
 * first.  Called and returns with dev->lock held; drops it while reaping.
 * Returns the number finished. */
static int reap_locked(struct vblk *b, int timeout_ms)
{
    struct blk_io *done[REAP_BATCH];
    int n;

    g_mutex_unlock(&b->vdev.lock);
    n = blk_reap(b->be, done, G_N_ELEMENTS(done), timeout_ms);
    g_mutex_lock(&b->vdev.lock);
    for (int i = 0; i < n; i++) {
        finish_locked(b, container_of(done[i], struct vblk_req, io));
    }
    return MAX(n, 0);
}

void vblk_poll(struct vblk *b)
{
    struct virtio_dev *d = &b->vdev;

    g_mutex_lock(&d->lock);
    /* A full batch: more may have landed while we answered. */
    for (int i = 0; i < 16 && reap_locked(b, 0) == REAP_BATCH; i++) {
    }
    virtio_dev_notify_locked(d, 0);
    if (b->throttled && b->inflight < d->vq[0].size) {
        b->throttled = false;
        virtio_dev_queue_notify_locked(d, 0);
    }
    g_mutex_unlock(&d->lock);
}

/* How long a reset waits for the disk before it gives up on it, and how
 * long the exit waits before guest memory goes. */
#define VBLK_RESET_DRAIN_US (10 * G_USEC_PER_SEC)
#define VBLK_EXIT_DRAIN_US (30 * G_USEC_PER_SEC)
#define VBLK_DRAIN_SLICE_US 2000

/*
 * Waits until nothing is in flight.  dev->lock held (dropped meanwhile).
 * Runs on a vCPU thread (the driver's Status write), so it never blocks
 * in the backend: it reaps without waiting and sleeps on idle in short
 * slices (futex, in the vCPU's sandbox list; poll is not), while the I/O
 * thread or another vCPU finishes the rest.  It ends when the VM stops
 * (if stop_ends_it) or after timeout_us, and then returns false: what is
 * still in flight stays counted and is dropped when it completes (its gen
 * is old).
 */
static bool drain_locked(struct vblk *b, bool stop_ends_it, gint64 timeout_us)
{
    gint64 deadline = g_get_monotonic_time() + timeout_us;

    for (;;) {
        if (b->inflight && blk_is_async(b->be)) {
            reap_locked(b, 0);
        }
        if (!b->inflight) {
            return true;
        }
        if ((stop_ends_it && virtio_dev_stopping(&b->vdev)) ||
            g_get_monotonic_time() >= deadline) {
            return false;
        }
        g_cond_wait_until(&b->idle, &b->vdev.lock,
                          g_get_monotonic_time() + VBLK_DRAIN_SLICE_US);
    }
}

static void vblk_reset(struct virtio_dev *d)
{
    struct vblk *b = to_vblk(d);

    b->reset_gen++;
    b->throttled = false;
    if (!drain_locked(b, true, VBLK_RESET_DRAIN_US) &&
        !virtio_dev_stopping(d)) {
        g_warning(
            "virtio-blk: %u requests still in flight %d s after the "
            "driver reset the device (the host disk hangs); they are "
            "dropped when they complete",
            b->inflight, (int)(VBLK_RESET_DRAIN_US / G_USEC_PER_SEC));
    }
}

/* Snapshots: nothing in flight; a failed flush is state the guest must
 * keep seeing. */
static bool vblk_quiesced(struct virtio_dev *d)
{
    return to_vblk(d)->inflight == 0;
}

static void vblk_save(struct virtio_dev *d, struct st_writer *w)
{
    st_put_bool(w, "flush_failed", to_vblk(d)->flush_failed);
}

static void vblk_load(struct virtio_dev *d, struct st_reader *r)
{
    to_vblk(d)->flush_failed = st_get_bool(r, "flush_failed");
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
    .save = vblk_save,
    .load = vblk_load,
    .quiesced = vblk_quiesced,
};

void vblk_init(struct vblk *b,
               struct blk_backend *be,
               const struct guest_mem *gm,
               struct irq_line *irq)
{
    memset(b, 0, sizeof(*b));
    b->be = be;
    g_cond_init(&b->idle);
    virtio_dev_init(&b->vdev, &vblk_ops, b, gm, irq);
}

void vblk_cleanup(struct vblk *b)
{
    struct vblk_req *r;

    /* The kernel may still be writing into guest memory for an io_uring
     * request: wait for it before the memory can go. */
    g_mutex_lock(&b->vdev.lock);
    b->reset_gen++;
    if (!drain_locked(b, false, VBLK_EXIT_DRAIN_US)) {
        g_warning("virtio-blk: %u requests still in flight at exit",
                  b->inflight);
    }
    g_mutex_unlock(&b->vdev.lock);
    while ((r = b->free_reqs)) {
        b->free_reqs = r->next_free;
        g_free(r);
    }
    virtio_dev_cleanup(&b->vdev);
    g_cond_clear(&b->idle);
    if (b->be) {
        b->be->ops->close(b->be);
    }
}
