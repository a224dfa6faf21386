/*
 * virtqueue.c: split virtqueues (virtio v1.2 §2.7), the checks on every
 * guest-controlled value (§2.7.5.3 "Indirect Descriptors", §2.7.13 "Used
 * Buffer Notification Suppression"), and the memory barriers, each with
 * the one it pairs with in the driver.
 */
#include "devices/virtio/virtqueue.h"

#include <errno.h>
#include <linux/virtio_ring.h>
#include <string.h>

#include "lib/util.h"

/* Ring layouts (§2.7.6, §2.7.8): offsets into the avail and used rings. */
#define AVAIL_FLAGS 0
#define AVAIL_IDX 2
#define AVAIL_RING 4
#define USED_FLAGS 0
#define USED_IDX 2
#define USED_RING 4

struct desc {
    uint64_t addr;
    uint32_t len;
    uint16_t flags;
    uint16_t next;
};

void vq_init(struct virtqueue *vq,
             const struct guest_mem *gm,
             uint16_t max_size)
{
    memset(vq, 0, sizeof(*vq));
    vq->gm = gm;
    vq->max_size = MIN(max_size, (uint16_t)VQ_MAX_SIZE);
    vq->size = vq->max_size;
}

void vq_reset(struct virtqueue *vq)
{
    const struct guest_mem *gm = vq->gm;
    uint16_t max = vq->max_size;
    unsigned long malformed = vq->malformed;

    vq_init(vq, gm, max);
    vq->malformed = malformed;
}

static size_t avail_bytes(uint16_t size, bool event_idx)
{
    return AVAIL_RING + 2u * size + (event_idx ? 2 : 0);
}

static size_t used_bytes(uint16_t size, bool event_idx)
{
    return USED_RING + 8u * size + (event_idx ? 2 : 0);
}

static bool overlap(uint64_t a, size_t alen, uint64_t b, size_t blen)
{
    return a < b + blen && b < a + alen;
}

int vq_activate(struct virtqueue *vq, bool event_idx, bool indirect)
{
    size_t dlen, alen, ulen;

    vq->active = false;
    /* Guest controlled: QueueNum and the three ring addresses. */
    if (vq->size == 0 || vq->size > vq->max_size ||
        (vq->size & (vq->size - 1))) {
        return -EINVAL;
    }
    if ((vq->desc_gpa & 15) || (vq->avail_gpa & 1) || (vq->used_gpa & 3)) {
        return -EINVAL;
    }
    dlen = 16u * vq->size;
    alen = avail_bytes(vq->size, event_idx);
    ulen = used_bytes(vq->size, event_idx);
    vq->desc = gm_ptr(vq->gm, vq->desc_gpa, dlen);
    vq->avail = gm_ptr(vq->gm, vq->avail_gpa, alen);
    vq->used = gm_ptr(vq->gm, vq->used_gpa, ulen);
    if (!vq->desc || !vq->avail || !vq->used ||
        overlap(vq->desc_gpa, dlen, vq->avail_gpa, alen) ||
        overlap(vq->desc_gpa, dlen, vq->used_gpa, ulen) ||
        overlap(vq->avail_gpa, alen, vq->used_gpa, ulen)) {
        vq->desc = vq->avail = vq->used = NULL;
        return -EINVAL;
    }
    vq->event_idx = event_idx;
    vq->indirect = indirect;
    vq->last_avail = 0;
    vq->used_idx = 0;
    vq->signalled_used = 0;
    vq->signalled_valid = false;
    vq->broken = false;
    vq->active = true;
    return 0;
}

static uint16_t load_acquire16(const uint8_t *p)
{
    /* x86 and arm64 hosts are little-endian, like the virtio 1.x rings. */
    return __atomic_load_n((const uint16_t *)p, __ATOMIC_ACQUIRE);
}

static uint16_t load16(const uint8_t *p)
{
    return __atomic_load_n((const uint16_t *)p, __ATOMIC_RELAXED);
}

static void store_release16(uint8_t *p, uint16_t v)
{
    __atomic_store_n((uint16_t *)p, v, __ATOMIC_RELEASE);
}

/* One descriptor, copied out of guest memory exactly once (double-fetch:
 * the guest may rewrite it while we look at it). */
static void read_desc(const uint8_t *table, unsigned i, struct desc *d)
{
    const uint8_t *p = table + 16u * i;
    uint8_t copy[16];

    memcpy(copy, p, 16);
    d->addr = get_le64(copy);
    d->len = get_le32(copy + 8);
    d->flags = get_le16(copy + 12);
    d->next = get_le16(copy + 14);
}

static int vq_fail(struct virtqueue *vq)
{
    if (!vq->broken) {
        vq->malformed++;
    }
    vq->broken = true;
    return -EINVAL;
}

/* Adds one data descriptor to the element. */
static int add_buf(struct virtqueue *vq,
                   struct vq_elem *e,
                   const struct desc *d)
{
    void *p;

    if (d->len == 0) {
        return -EINVAL; /* zero-sized buffers are not allowed */
    }
    p = gm_ptr(vq->gm, d->addr, d->len);
    if (!p) {
        return -EINVAL; /* outside RAM, straddling a hole, or wrapping */
    }
    if (d->flags & VRING_DESC_F_WRITE) {
        if (e->in_num >= VQ_MAX_SG || d->len > UINT32_MAX - e->in_len) {
            return -EINVAL;
        }
        e->in[e->in_num++] = (struct iovec){p, d->len};
        e->in_len += d->len;
    } else {
        /* A readable buffer after a writable one breaks §2.7.4.2. */
        if (e->in_num || e->out_num >= VQ_MAX_SG ||
            d->len > UINT32_MAX - e->out_len) {
            return -EINVAL;
        }
        e->out[e->out_num++] = (struct iovec){p, d->len};
        e->out_len += d->len;
    }
    return 0;
}

/* Walks a chain in `table` (count entries) from index i. */
static int walk(struct virtqueue *vq,
                struct vq_elem *e,
                const uint8_t *table,
                unsigned count,
                unsigned i,
                bool in_indirect)
{
    unsigned ttl = count; /* a chain never visits more than count entries */
    struct desc d;

    for (;;) {
        if (i >= count || ttl-- == 0) {
            return -EINVAL; /* next out of range, or a loop */
        }
        read_desc(table, i, &d);
        if (d.flags & VRING_DESC_F_INDIRECT) {
            const uint8_t *itable;
            unsigned n;

            /* Only a lone head may point to a table (QEMU does the same);
             * never inside a table, never with NEXT (§2.7.5.3.1). */
            if (!vq->indirect || in_indirect || e->out_num || e->in_num ||
                (d.flags & VRING_DESC_F_NEXT) || d.len == 0 || d.len % 16 ||
                d.len / 16 > VQ_MAX_SIZE) {
                return -EINVAL;
            }
            n = d.len / 16;
            itable = gm_ptr(vq->gm, d.addr, d.len);
            if (!itable) {
                return -EINVAL;
            }
            return walk(vq, e, itable, n, 0, true);
        }
        if (add_buf(vq, e, &d)) {
            return -EINVAL;
        }
        if (!(d.flags & VRING_DESC_F_NEXT)) {
            return 0;
        }
        i = d.next;
    }
}

bool vq_has_avail(struct virtqueue *vq)
{
    if (!vq->active || vq->broken) {
        return false;
    }
    return load_acquire16(vq->avail + AVAIL_IDX) != vq->last_avail;
}

int vq_pop(struct virtqueue *vq, struct vq_elem *e)
{
    uint16_t avail_idx, head;

    if (!vq->active || vq->broken) {
        return vq->broken ? -EINVAL : 0;
    }
    /* Acquire pairs with the driver's write barrier before it publishes
     * avail->idx (virtio_wmb in virtqueue_add): ring entries and
     * descriptors written before the index are visible after this load. */
    avail_idx = load_acquire16(vq->avail + AVAIL_IDX);
    if (avail_idx == vq->last_avail) {
        return 0;
    }
    /* Guest controlled: the index may run ahead by at most the ring size. */
    if ((uint16_t)(avail_idx - vq->last_avail) > vq->size) {
        return vq_fail(vq);
    }
    head = load16(vq->avail + AVAIL_RING + 2u * (vq->last_avail % vq->size));
    e->head = head;
    e->out_num = e->in_num = 0;
    e->out_len = e->in_len = 0;
    if (walk(vq, e, vq->desc, vq->size, head, false)) {
        return vq_fail(vq);
    }
    vq->last_avail++;
    if (vq->event_idx) {
        /* avail_event: tell the driver which index to notify us at.  The
         * release orders it after our reads of the ring (paired with the
         * driver's mb() before it reads avail_event in
         * virtqueue_kick_prepare). */
        store_release16(vq->used + USED_RING + 8u * vq->size, vq->last_avail);
    }
    return 1;
}

void vq_fill(struct virtqueue *vq, unsigned i, uint16_t head, uint32_t written)
{
    uint8_t *elem;

    if (!vq->active || vq->broken) {
        return;
    }
    elem =
        vq->used + USED_RING + 8u * ((uint16_t)(vq->used_idx + i) % vq->size);
    put_le32(elem, head);
    put_le32(elem + 4, written);
}

void vq_flush(struct virtqueue *vq, unsigned n)
{
    if (!vq->active || vq->broken) {
        return;
    }
    vq->used_idx += (uint16_t)n;
    /* Release: the elements filled above are visible before the new
     * used->idx (pairs with the driver's virtio_rmb after reading
     * used->idx in virtqueue_get_buf). */
    store_release16(vq->used + USED_IDX, vq->used_idx);
}

void vq_push(struct virtqueue *vq, uint16_t head, uint32_t written)
{
    vq_fill(vq, 0, head, written);
    vq_flush(vq, 1);
}

void vq_unpop(struct virtqueue *vq, unsigned n)
{
    /* The avail_event we published may now be ahead of last_avail; that
     * only means one kick fewer, and the device looks again whenever it
     * has something to deliver. */
    vq->last_avail -= (uint16_t)n;
}

bool vq_should_notify(struct virtqueue *vq)
{
    uint16_t old, new, event;

    if (!vq->active) {
        return false;
    }
    /* Full fence: our used->idx store must be visible before we read the
     * driver's suppression state, or both sides may decide the other will
     * act (the driver's mb() in virtqueue_enable_cb_delayed pairs). */
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    old = vq->signalled_used;
    new = vq->used_idx;
    /* Nothing used since the last interrupt (or since reset, when both
     * are 0): an interrupt would tell the driver nothing. */
    if (new == old) {
        return false;
    }
    if (!vq->event_idx) {
        if (load16(vq->avail + AVAIL_FLAGS) & VRING_AVAIL_F_NO_INTERRUPT) {
            return false;
        }
        vq->signalled_used = new;
        return true;
    }
    event = load16(vq->avail + AVAIL_RING + 2u * vq->size); /* used_event */
    vq->signalled_used = new;
    if (!vq->signalled_valid) {
        vq->signalled_valid = true;
        return true;
    }
    /* vring_need_event(): did used_idx pass used_event since last time? */
    return (uint16_t)(new - event - 1) < (uint16_t)(new - old);
}
