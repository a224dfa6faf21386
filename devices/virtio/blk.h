/*
 * blk.h: virtio-blk (virtio v1.2 §5.2 "Block Device").
 */
#ifndef HUSK_VIRTIO_BLK_H
#define HUSK_VIRTIO_BLK_H

#include "devices/backend/blk_backend.h"
#include "devices/virtio/virtio.h"

struct vblk_req;

struct vblk {
    struct virtio_dev vdev;
    struct blk_backend *be;
    struct vblk_req *free_reqs;
    GCond idle;         /* signalled when nothing is in flight */
    unsigned inflight;  /* requests handed to the backend */
    bool throttled;     /* stopped popping: a queue's worth in flight */
    unsigned reset_gen; /* bumped by reset: drop stale completions */
    bool flush_failed;  /* a failed fdatasync is never forgotten */
    /* Counters (read by tests and husk's debug log). */
    unsigned long reads, writes, flushes, io_errors, unsupported, bad_requests;
};

extern const struct virtio_dev_ops vblk_ops;

/* Takes ownership of be.  irq may be NULL (tests count via the device). */
void vblk_init(struct vblk *b,
               struct blk_backend *be,
               const struct guest_mem *gm,
               struct irq_line *irq);
void vblk_cleanup(struct vblk *b);

/* The backend's event_fd is readable: answer what it finished.  I/O
 * thread (or a test), without dev->lock. */
void vblk_poll(struct vblk *b);

#endif
