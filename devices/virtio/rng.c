/*
 * rng.c: virtio-rng device logic (virtio v1.2 §5.4.6).  Each request is a
 * chain of device-writable buffers filled from getrandom(2), at most 64 KiB
 * per request (Firecracker #5762: never more than the guest actually
 * provided, and bounded work per request).  With a rate limit, a token
 * bucket refilled at `rate` bytes per second (burst: one second's worth)
 * decides how much is given; a request waits, it is never failed.
 */
#include "devices/virtio/rng.h"

#include <errno.h>
#include <glib.h>
#include <linux/virtio_ids.h>
#include <string.h>
#include <sys/random.h>

#include "lib/util.h"

#define RNG_QUEUE_SIZE 64
#define RNG_MAX_REQUEST (64 * 1024)

static struct vrng *to_vrng(struct virtio_dev *d)
{
    return d->opaque;
}

static void refill(struct vrng *r)
{
    int64_t now = g_get_monotonic_time();
    uint64_t add;

    if (!r->rate) {
        return;
    }
    add = (uint64_t)(now - r->refilled_us) * r->rate / G_USEC_PER_SEC;
    if (add) {
        r->tokens = MIN(r->tokens + add, r->rate);
        r->refilled_us = now;
    }
}

/* Fills up to len bytes of the element's writable buffers. */
static uint32_t fill(const struct vq_elem *e, uint32_t len)
{
    uint32_t done = 0;

    for (unsigned i = 0; i < e->in_num && done < len; i++) {
        size_t want = MIN(e->in[i].iov_len, (size_t)(len - done));
        size_t got = 0;

        while (got < want) {
            ssize_t n =
                getrandom((uint8_t *)e->in[i].iov_base + got, want - got, 0);
            if (n < 0 && errno == EINTR) {
                continue;
            }
            if (n <= 0) {
                return done + (uint32_t)got;
            }
            got += (size_t)n;
        }
        done += (uint32_t)got;
    }
    return done;
}

static void vrng_queue_notify(struct virtio_dev *d, unsigned q)
{
    struct vrng *r = to_vrng(d);
    struct virtqueue *vq = &d->vq[q];
    unsigned done = 0;

    while (done < vq->size) {
        uint32_t want, got;

        refill(r);
        if (r->rate && r->tokens == 0) {
            /* Out of budget: come back when ~1/10 s worth has accrued. */
            if (r->retry && vq_has_avail(vq)) {
                r->retry(r, 100);
            }
            break;
        }
        if (vq_pop(vq, r->elem) <= 0) {
            break;
        }
        done++;
        r->requests++;
        want = MIN(r->elem->in_len, (uint32_t)RNG_MAX_REQUEST);
        if (r->rate) {
            want = (uint32_t)MIN((uint64_t)want, r->tokens);
        }
        got = fill(r->elem, want);
        if (r->rate) {
            r->tokens -= got;
        }
        r->bytes += got;
        vq_push(vq, r->elem->head, got);
    }
    virtio_dev_notify_locked(d, q);
}

const struct virtio_dev_ops vrng_ops = {
    .name = "virtio-rng",
    .device_id = VIRTIO_ID_RNG,
    .num_queues = 1,
    .queue_max = RNG_QUEUE_SIZE,
    .queue_notify = vrng_queue_notify,
};

void vrng_init(struct vrng *r,
               uint64_t rate,
               const struct guest_mem *gm,
               struct irq_line *irq)
{
    memset(r, 0, sizeof(*r));
    r->rate = rate;
    r->tokens = rate;
    r->refilled_us = g_get_monotonic_time();
    r->elem = g_new0(struct vq_elem, 1);
    virtio_dev_init(&r->vdev, &vrng_ops, r, gm, irq);
}

void vrng_cleanup(struct vrng *r)
{
    virtio_dev_cleanup(&r->vdev);
    g_free(r->elem);
}
