/*
 * vdriver.c: the test-side virtio-mmio driver (see vdriver.h).
 */
#include "harness/vdriver.h"

#include <linux/virtio_mmio.h>
#include <linux/virtio_ring.h>
#include <stdlib.h>
#include <string.h>

#include "devices/virtio/virtio.h"
#include "lib/util.h"

void vdrv_init(struct vdrv *d,
               struct test_mem *tm,
               struct bus *bus,
               uint64_t base,
               uint64_t alloc_start,
               uint64_t alloc_end)
{
    memset(d, 0, sizeof(*d));
    d->tm = tm;
    d->bus = bus;
    d->base = base;
    d->alloc_next = alloc_start;
    d->alloc_end = alloc_end;
}

uint64_t vdrv_alloc(struct vdrv *d, uint64_t len, uint64_t align)
{
    uint64_t a = ALIGN_UP(d->alloc_next, align);

    if (a + len > d->alloc_end) {
        abort(); /* a test bug, not a device one */
    }
    d->alloc_next = a + len;
    memset(d->tm->low + a, 0, len);
    return a;
}

uint32_t vdrv_rd(struct vdrv *d, uint64_t off)
{
    uint32_t v = 0;

    bus_read(d->bus, d->base + off, &v, 4);
    return v;
}

void vdrv_wr(struct vdrv *d, uint64_t off, uint32_t v)
{
    bus_write(d->bus, d->base + off, &v, 4);
}

bool vdrv_probe(struct vdrv *d, uint32_t device_id)
{
    return vdrv_rd(d, VIRTIO_MMIO_MAGIC_VALUE) == 0x74726976 &&
           vdrv_rd(d, VIRTIO_MMIO_VERSION) == 2 &&
           vdrv_rd(d, VIRTIO_MMIO_DEVICE_ID) == device_id;
}

bool vdrv_negotiate(struct vdrv *d, uint64_t want)
{
    uint64_t offered;

    vdrv_wr(d, VIRTIO_MMIO_STATUS, 0);
    vdrv_wr(d, VIRTIO_MMIO_STATUS, VIRTIO_S_ACKNOWLEDGE);
    vdrv_wr(d, VIRTIO_MMIO_STATUS, VIRTIO_S_ACKNOWLEDGE | VIRTIO_S_DRIVER);
    vdrv_wr(d, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 0);
    offered = vdrv_rd(d, VIRTIO_MMIO_DEVICE_FEATURES);
    vdrv_wr(d, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 1);
    offered |= (uint64_t)vdrv_rd(d, VIRTIO_MMIO_DEVICE_FEATURES) << 32;
    want &= offered;
    vdrv_wr(d, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 0);
    vdrv_wr(d, VIRTIO_MMIO_DRIVER_FEATURES, (uint32_t)want);
    vdrv_wr(d, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1);
    vdrv_wr(d, VIRTIO_MMIO_DRIVER_FEATURES, (uint32_t)(want >> 32));
    vdrv_wr(d, VIRTIO_MMIO_STATUS,
            VIRTIO_S_ACKNOWLEDGE | VIRTIO_S_DRIVER | VIRTIO_S_FEATURES_OK);
    return vdrv_rd(d, VIRTIO_MMIO_STATUS) & VIRTIO_S_FEATURES_OK;
}

bool vdrv_queue_setup(struct vdrv *d, unsigned q, uint16_t size)
{
    struct vdrv_queue *vq = &d->q[q];

    memset(vq, 0, sizeof(*vq));
    vq->size = size;
    vq->desc = vdrv_alloc(d, 16u * size, 16);
    vq->avail = vdrv_alloc(d, 6 + 2u * size, 2);
    vq->used = vdrv_alloc(d, 6 + 8u * size, 4);
    vdrv_wr(d, VIRTIO_MMIO_QUEUE_SEL, q);
    vdrv_wr(d, VIRTIO_MMIO_QUEUE_NUM, size);
    vdrv_wr(d, VIRTIO_MMIO_QUEUE_DESC_LOW, (uint32_t)vq->desc);
    vdrv_wr(d, VIRTIO_MMIO_QUEUE_DESC_HIGH, (uint32_t)(vq->desc >> 32));
    vdrv_wr(d, VIRTIO_MMIO_QUEUE_AVAIL_LOW, (uint32_t)vq->avail);
    vdrv_wr(d, VIRTIO_MMIO_QUEUE_AVAIL_HIGH, (uint32_t)(vq->avail >> 32));
    vdrv_wr(d, VIRTIO_MMIO_QUEUE_USED_LOW, (uint32_t)vq->used);
    vdrv_wr(d, VIRTIO_MMIO_QUEUE_USED_HIGH, (uint32_t)(vq->used >> 32));
    vdrv_wr(d, VIRTIO_MMIO_QUEUE_READY, 1);
    return vdrv_rd(d, VIRTIO_MMIO_QUEUE_READY) == 1;
}

void vdrv_driver_ok(struct vdrv *d)
{
    vdrv_wr(d, VIRTIO_MMIO_STATUS,
            vdrv_rd(d, VIRTIO_MMIO_STATUS) | VIRTIO_S_DRIVER_OK);
}

void vdrv_bringup(struct vdrv *d,
                  uint32_t device_id,
                  uint64_t want,
                  unsigned nq,
                  uint16_t size)
{
    if (!vdrv_probe(d, device_id) || !vdrv_negotiate(d, want)) {
        abort();
    }
    for (unsigned q = 0; q < nq; q++) {
        if (!vdrv_queue_setup(d, q, size)) {
            abort();
        }
    }
    vdrv_driver_ok(d);
}

void vdrv_set_desc(struct vdrv *d,
                   unsigned q,
                   uint16_t i,
                   uint64_t addr,
                   uint32_t len,
                   uint16_t flags,
                   uint16_t next)
{
    uint8_t *p = d->tm->low + d->q[q].desc + 16u * i;

    put_le64(p, addr);
    put_le32(p + 8, len);
    put_le16(p + 12, flags);
    put_le16(p + 14, next);
}

void vdrv_publish(struct vdrv *d, unsigned q, uint16_t head)
{
    struct vdrv_queue *vq = &d->q[q];
    uint8_t *avail = d->tm->low + vq->avail;

    put_le16(avail + 4 + 2u * (vq->avail_idx % vq->size), head);
    vq->avail_idx++;
    __atomic_thread_fence(__ATOMIC_RELEASE);
    put_le16(avail + 2, vq->avail_idx);
}

uint16_t vdrv_add_chain(struct vdrv *d,
                        unsigned q,
                        const struct vdrv_buf *b,
                        unsigned n)
{
    struct vdrv_queue *vq = &d->q[q];
    uint16_t head = vq->next_desc % vq->size;

    for (unsigned i = 0; i < n; i++) {
        uint16_t idx = (uint16_t)((head + i) % vq->size);
        uint16_t next = (uint16_t)((idx + 1) % vq->size);
        uint16_t flags = (b[i].write ? VRING_DESC_F_WRITE : 0) |
                         (i + 1 < n ? VRING_DESC_F_NEXT : 0);

        vdrv_set_desc(d, q, idx, b[i].gpa, b[i].len, flags, next);
    }
    vq->next_desc = (uint16_t)((head + n) % vq->size);
    vdrv_publish(d, q, head);
    return head;
}

void vdrv_kick(struct vdrv *d, unsigned q)
{
    vdrv_wr(d, VIRTIO_MMIO_QUEUE_NOTIFY, q);
}

bool vdrv_get_used(struct vdrv *d, unsigned q, uint16_t *head, uint32_t *len)
{
    struct vdrv_queue *vq = &d->q[q];
    uint8_t *used = d->tm->low + vq->used;
    uint16_t idx = get_le16(used + 2);
    uint8_t *e;

    if (idx == vq->used_seen) {
        return false;
    }
    e = used + 4 + 8u * (vq->used_seen % vq->size);
    *head = (uint16_t)get_le32(e);
    *len = get_le32(e + 4);
    vq->used_seen++;
    return true;
}

uint32_t vdrv_status(struct vdrv *d)
{
    return vdrv_rd(d, VIRTIO_MMIO_STATUS);
}
