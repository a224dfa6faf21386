/*
 * rng.h: virtio-rng, an entropy source (virtio v1.2 §5.4), fed from the
 * host's getrandom(2), with an optional rate limit.
 */
#ifndef HUSK_VIRTIO_RNG_H
#define HUSK_VIRTIO_RNG_H

#include "devices/virtio/virtio.h"

struct vrng {
    struct virtio_dev vdev;
    struct vq_elem *elem;
    uint64_t rate;       /* bytes per second, 0 = unlimited */
    uint64_t tokens;     /* bytes that may be given now */
    int64_t refilled_us; /* monotonic time of the last refill */
    /* Asks for queue_notify again after ms (the rate limit's wait). */
    void (*retry)(struct vrng *r, unsigned ms);
    void *retry_opaque;
    unsigned long bytes, requests;
};

extern const struct virtio_dev_ops vrng_ops;

void vrng_init(struct vrng *r,
               uint64_t rate,
               const struct guest_mem *gm,
               struct irq_line *irq);
void vrng_cleanup(struct vrng *r);

#endif
