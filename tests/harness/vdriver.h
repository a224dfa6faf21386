/*
 * vdriver.h: a test-side virtio-mmio driver.  It performs the Linux
 * driver's steps (probe, negotiate, queue setup, DRIVER_OK, add buffers,
 * kick, reap used buffers) through bus_read/bus_write on a calloc'd guest
 * memory, so device tests read like the driver they imitate.  Written from
 * the virtio v1.2 spec (§3.1, §4.2.3, §2.7), not from any driver's code.
 */
#ifndef HUSK_VDRIVER_H
#define HUSK_VDRIVER_H

#include <stdbool.h>
#include <stdint.h>

#include "harness/test_vm.h"
#include "lib/bus.h"

struct vdrv_buf {
    uint64_t gpa;
    uint32_t len;
    bool write; /* device-writable */
};

struct vdrv_queue {
    uint16_t size;
    uint64_t desc, avail, used;
    uint16_t avail_idx, used_seen, next_desc;
};

struct vdrv {
    struct test_mem *tm;
    struct bus *bus;
    uint64_t base;
    uint64_t alloc_next, alloc_end;
    struct vdrv_queue q[8];
};

/* The bus holds the device at base; memory for rings and buffers is
 * allocated from [alloc_start, alloc_end) of tm. */
void vdrv_init(struct vdrv *d,
               struct test_mem *tm,
               struct bus *bus,
               uint64_t base,
               uint64_t alloc_start,
               uint64_t alloc_end);
uint64_t vdrv_alloc(struct vdrv *d, uint64_t len, uint64_t align);
uint32_t vdrv_rd(struct vdrv *d, uint64_t off);
void vdrv_wr(struct vdrv *d, uint64_t off, uint32_t v);
/* Magic, version 2 and device id. */
bool vdrv_probe(struct vdrv *d, uint32_t device_id);
/* Reset, ACKNOWLEDGE, DRIVER, features (want & offered), FEATURES_OK.
 * Returns whether FEATURES_OK stuck. */
bool vdrv_negotiate(struct vdrv *d, uint64_t want);
/* Sets up queue q with `size` entries; returns QueueReady read back. */
bool vdrv_queue_setup(struct vdrv *d, unsigned q, uint16_t size);
void vdrv_driver_ok(struct vdrv *d);
/* Full bring-up: probe, negotiate, queues 0..nq-1, DRIVER_OK. */
void vdrv_bringup(struct vdrv *d,
                  uint32_t device_id,
                  uint64_t want,
                  unsigned nq,
                  uint16_t size);
/* Writes n descriptors chained in order and publishes the head. */
uint16_t vdrv_add_chain(struct vdrv *d,
                        unsigned q,
                        const struct vdrv_buf *b,
                        unsigned n);
/* Raw descriptor write, for hostile tests. */
void vdrv_set_desc(struct vdrv *d,
                   unsigned q,
                   uint16_t i,
                   uint64_t addr,
                   uint32_t len,
                   uint16_t flags,
                   uint16_t next);
/* Publishes head i in the avail ring (no descriptor writes). */
void vdrv_publish(struct vdrv *d, unsigned q, uint16_t head);
void vdrv_kick(struct vdrv *d, unsigned q);
/* Next used element: true and head/len, or false if none. */
bool vdrv_get_used(struct vdrv *d, unsigned q, uint16_t *head, uint32_t *len);
uint32_t vdrv_status(struct vdrv *d);

#endif
