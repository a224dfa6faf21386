/*
 * devkit.h: one virtio device (rng, blk on an in-memory disk, console, or
 * net on a socketpair) on an MMIO bus with the test-side driver, for the
 * suites that throw hostile input at every device: the register sweep
 * (check_mmio_sweep.c) and the malformed-input catalogue
 * (check_catalogue.c).
 */
#ifndef HUSK_DEVKIT_H
#define HUSK_DEVKIT_H

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

#include "devices/virtio/blk.h"
#include "devices/virtio/console.h"
#include "devices/virtio/net.h"
#include "devices/virtio/rng.h"
#include "harness/blk_mem.h"
#include "harness/test_vm.h"
#include "harness/vdriver.h"
#include "lib/bus.h"

#define DK_RAM (4 * 1024 * 1024)
#define DK_BASE 0xd0000000ULL
#define DK_QSIZE 16

enum dk_device { DK_RNG, DK_BLK, DK_CONSOLE, DK_NET, DK_N };

/* The driver stages a device is taken to. */
enum dk_stage {
    DK_RESET,
    DK_ACK,
    DK_DRIVER,
    DK_FEATURES_OK,
    DK_DRIVER_OK,
    DK_NSTAGES
};

struct devkit {
    enum dk_device kind;
    struct test_mem tm;
    struct test_irq irq;
    struct bus bus;
    struct vdrv drv;
    GMainContext *ctx;
    int world; /* net: the other end of the backend's socket */
    struct vrng rng;
    struct blk_mem disk; /* blk: 64 KiB */
    struct vblk blk;
    struct vcon con;
    struct vnet net;
    GString *console_out; /* console: what the guest wrote */
    bool console_blocked; /* console: the terminal takes nothing */
    struct virtio_dev *dev;
    uint32_t dev_id;
    unsigned nq;
};

void dk_setup(struct devkit *k, enum dk_device kind);
void dk_teardown(struct devkit *k);

/* Brings the device to a stage as a driver would (ring memory reused). */
void dk_reach(struct devkit *k, enum dk_stage s, uint64_t features);

/* Lets the I/O context run (net backends, console). */
void dk_poll(struct devkit *k);

/* Whether the device asks for a reset. */
bool dk_needs_reset(struct devkit *k);

/* Reset, a normal bring-up and one ordinary request answered: the device
 * is not left dead.  Fails the test (with what) if not. */
void dk_still_works(struct devkit *k, const char *what);

/* Guest memory at gpa. */
static inline uint8_t *dk_mem(struct devkit *k, uint64_t gpa)
{
    return k->tm.low + gpa;
}

#endif
