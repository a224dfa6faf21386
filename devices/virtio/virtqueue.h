/*
 * virtqueue.h: the one split-virtqueue implementation every husk device
 * uses (virtio v1.2 §2.7 "Split Virtqueues").
 *
 * Trust boundary: the rings live in guest memory and the guest may change
 * them at any time.  vq_pop() copies each descriptor out once, checks it,
 * and hands the device only iovecs that lie inside guest RAM.  A malformed
 * ring makes vq_pop() return -EINVAL and marks the queue broken; the
 * transport then sets DEVICE_NEEDS_RESET.  Nothing here aborts on guest
 * data.
 *
 * Threads: a queue is used by one thread at a time, under its device's lock.
 */
#ifndef HUSK_VIRTQUEUE_H
#define HUSK_VIRTQUEUE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#include "lib/guest_mem.h"

#define VQ_MAX_SIZE 1024 /* largest queue (and indirect table) accepted */
#define VQ_MAX_SG VQ_MAX_SIZE

struct vq_elem {
    uint16_t head;            /* the chain's head index, for vq_push */
    unsigned out_num, in_num; /* device-readable / device-writable iovecs */
    uint32_t out_len, in_len; /* bytes in each direction */
    struct iovec out[VQ_MAX_SG];
    struct iovec in[VQ_MAX_SG];
};

struct virtqueue {
    const struct guest_mem *gm;
    uint16_t max_size; /* QueueNumMax */
    /* Driver-set configuration (transport registers). */
    uint16_t size; /* QueueNum */
    bool ready;    /* QueueReady */
    uint64_t desc_gpa, avail_gpa, used_gpa;
    /* Set by vq_activate(). */
    bool active, event_idx, indirect;
    bool broken;                  /* a malformed ring was seen */
    uint8_t *desc, *avail, *used; /* validated host pointers to the rings */
    uint16_t last_avail;          /* next avail entry to consume */
    uint16_t used_idx;            /* our copy of used->idx */
    uint16_t signalled_used;      /* used_idx at the last interrupt */
    bool signalled_valid;
    unsigned long malformed; /* count of broken-ring events */
};

/* Fresh queue with QueueNumMax = max_size (<= VQ_MAX_SIZE). */
void vq_init(struct virtqueue *vq,
             const struct guest_mem *gm,
             uint16_t max_size);

/* Back to the reset state (size = max_size, not ready, indices 0). */
void vq_reset(struct virtqueue *vq);

/*
 * Validates the driver's configuration and maps the rings: size non-zero,
 * a power of two, <= max; rings aligned (16/2/4), inside RAM and not
 * overlapping.  0, or -EINVAL (queue left inactive).
 */
int vq_activate(struct virtqueue *vq, bool event_idx, bool indirect);

/*
 * Takes the next available chain: 1 and *e filled, 0 if none, -EINVAL if
 * the ring is malformed (the queue is then broken and stays so until
 * reset).
 */
int vq_pop(struct virtqueue *vq, struct vq_elem *e);

/* Returns a chain to the driver with `written` bytes written into its
 * device-writable buffers.  Publishes used->idx. */
void vq_push(struct virtqueue *vq, uint16_t head, uint32_t written);

/* The same in two steps, for a frame spread over several chains
 * (mergeable RX buffers): fill used entry used_idx + i, then publish n
 * filled entries at once so the driver never sees part of them. */
void vq_fill(struct virtqueue *vq, unsigned i, uint16_t head, uint32_t written);
void vq_flush(struct virtqueue *vq, unsigned n);

/* Gives back the last n popped chains, which were not used (they will be
 * popped again).  Only for chains popped since the last flush. */
void vq_unpop(struct virtqueue *vq, unsigned n);

/* True if the driver wants an interrupt for what was pushed since the
 * last one (VIRTQ_AVAIL_F_NO_INTERRUPT, or used_event with EVENT_IDX). */
bool vq_should_notify(struct virtqueue *vq);

/* True if the driver has made buffers available that were not popped. */
bool vq_has_avail(struct virtqueue *vq);

#endif
