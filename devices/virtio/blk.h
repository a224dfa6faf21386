/*
 * blk.h: virtio-blk (virtio v1.2 §5.2 "Block Device").
 */
#ifndef HUSK_VIRTIO_BLK_H
#define HUSK_VIRTIO_BLK_H

#include "devices/backend/blk_backend.h"
#include "devices/virtio/virtio.h"

struct vblk {
    struct virtio_dev vdev;
    struct blk_backend *be;
    struct vq_elem *elem;   /* the request being served */
    GCond idle;             /* signalled when no request is in flight */
    bool inflight;          /* a request is being served, lock dropped */
    bool more;              /* a kick arrived meanwhile */
    unsigned reset_gen;     /* bumped by reset: drop stale completions */
    bool flush_failed;      /* a failed fdatasync is never forgotten */
    /* Counters (read by tests and husk's debug log). */
    unsigned long reads, writes, flushes, io_errors, unsupported, bad_requests;
};

extern const struct virtio_dev_ops vblk_ops;

/* Takes ownership of be.  irq may be NULL (tests count via the device). */
void vblk_init(struct vblk *b, struct blk_backend *be,
               const struct guest_mem *gm, struct irq_line *irq);
void vblk_cleanup(struct vblk *b);

#endif
