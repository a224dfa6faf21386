/*
 * virtio_mmio.c: virtio-mmio transport, version 2 (virtio v1.2 §4.2.2
 * "MMIO Device Register Layout", §4.2.3 "MMIO-specific Initialization And
 * Device Operation", §3.1 "Device Initialization").
 *
 * All register policy lives here: 32-bit-only control registers, bounds
 * on config space, range-checked selectors, the status state machine,
 * features masked to what was offered, queue registers writable only
 * between FEATURES_OK and DRIVER_OK (CVE-2026-5747), and reset.  Every
 * value read here comes from a guest register write: nothing is trusted.
 */
#define G_LOG_DOMAIN "husk"
#include "devices/virtio/virtio_mmio.h"

#include <linux/virtio_mmio.h>
#include <string.h>

#include "lib/log.h"
#include "lib/util.h"

#define VIRTIO_MMIO_MAGIC 0x74726976 /* "virt" */
#define VIRTIO_MMIO_VERSION_2 2
#define VIRTIO_MMIO_VENDOR 0x4b535548 /* "HUSK" */

static bool queue_regs_writable(const struct virtio_dev *d)
{
    return (d->status & VIRTIO_S_FEATURES_OK) &&
           !(d->status &
             (VIRTIO_S_DRIVER_OK | VIRTIO_S_FAILED | VIRTIO_S_NEEDS_RESET));
}

static struct virtqueue *sel_queue(struct virtio_dev *d)
{
    /* Guest controlled: QueueSel may be anything. */
    return d->queue_sel < d->ops->num_queues ? &d->vq[d->queue_sel] : NULL;
}

static uint64_t offered(const struct virtio_dev *d)
{
    return d->host_features;
}

static void device_reset_locked(struct virtio_dev *d)
{
    if (d->ops->reset) {
        d->ops->reset(d);
    }
    for (unsigned i = 0; i < d->ops->num_queues; i++) {
        vq_reset(&d->vq[i]);
    }
    d->guest_features = 0;
    d->features_refused = false;
    d->status = 0;
    virtio_dev_isr_ack(d, ~0u);
    d->queue_sel = 0;
    d->dev_feat_sel = d->drv_feat_sel = 0;
    if (d->irq) {
        d->irq->set(d->irq, false);
    }
}

static void driver_ok_locked(struct virtio_dev *d)
{
    if (d->ops->activate && d->ops->activate(d) < 0) {
        virtio_dev_set_broken_locked(d, "activation failed");
        return;
    }
    /* Buffers may have been made available before DRIVER_OK: look now
     * instead of waiting for a kick that already happened.  The work goes
     * to the I/O thread (d->kick): a vCPU never waits for a backend. */
    for (unsigned q = 0; q < d->ops->num_queues; q++) {
        if (!d->vq[q].active) {
            continue;
        }
        if (d->kick) {
            d->kick(d, q);
        } else {
            virtio_dev_queue_notify_locked(d, q);
        }
    }
}

static void write_status_locked(struct virtio_dev *d, uint32_t v)
{
    uint32_t old = d->status, added = v & ~old;

    if (v == 0) {
        device_reset_locked(d);
        return;
    }
    /* The driver may only add bits (§2.1.1), in order (§3.1.1); FAILED
     * may be set at any time.  NEEDS_RESET is the device's to set. */
    if ((old & ~v) || (v & VIRTIO_S_NEEDS_RESET & ~old) || (v & ~0xcfu) ||
        ((added & VIRTIO_S_DRIVER) && !(v & VIRTIO_S_ACKNOWLEDGE)) ||
        ((added & VIRTIO_S_FEATURES_OK) && !(v & VIRTIO_S_DRIVER)) ||
        ((added & VIRTIO_S_DRIVER_OK) && !(v & VIRTIO_S_FEATURES_OK))) {
        guest_error("%s: status 0x%x -> 0x%x refused", d->ops->name, old, v);
        return;
    }
    if (added & VIRTIO_S_FEATURES_OK) {
        /* Modern devices only: without VERSION_1 the features are not
         * acceptable, and FEATURES_OK does not stick (§3.1.1 step 6). */
        if (!virtio_has_feature(d, VIRTIO_F_VERSION_1) || d->features_refused) {
            v &= ~VIRTIO_S_FEATURES_OK;
            added &= ~VIRTIO_S_FEATURES_OK;
            if (added & VIRTIO_S_DRIVER_OK) {
                return;
            }
        }
    }
    d->status = v;
    if ((added & VIRTIO_S_DRIVER_OK) && !(v & VIRTIO_S_FAILED)) {
        driver_ok_locked(d);
    }
}

static void queue_ready_locked(struct virtio_dev *d,
                               struct virtqueue *vq,
                               uint32_t v)
{
    if (!v) {
        vq->ready = false;
        vq->active = false;
        return;
    }
    vq->ready = true;
    if (vq_activate(vq, virtio_has_feature(d, VIRTIO_F_EVENT_IDX),
                    virtio_has_feature(d, VIRTIO_F_INDIRECT_DESC)) < 0) {
        vq->ready = false;
        virtio_dev_set_broken_locked(d, "bad queue configuration");
    }
}

static uint32_t read_reg_locked(struct virtio_dev *d, uint64_t off)
{
    struct virtqueue *vq = sel_queue(d);

    switch (off) {
    case VIRTIO_MMIO_MAGIC_VALUE:
        return VIRTIO_MMIO_MAGIC;
    case VIRTIO_MMIO_VERSION:
        return VIRTIO_MMIO_VERSION_2;
    case VIRTIO_MMIO_DEVICE_ID:
        return d->ops->device_id;
    case VIRTIO_MMIO_VENDOR_ID:
        return VIRTIO_MMIO_VENDOR;
    case VIRTIO_MMIO_DEVICE_FEATURES:
        return d->dev_feat_sel < 2
                   ? (uint32_t)(offered(d) >> (32 * d->dev_feat_sel))
                   : 0;
    case VIRTIO_MMIO_QUEUE_NUM_MAX:
        return vq ? vq->max_size : 0;
    case VIRTIO_MMIO_QUEUE_READY:
        return vq ? vq->ready : 0;
    case VIRTIO_MMIO_INTERRUPT_STATUS:
        if (d->isr_read) {
            d->isr_read(d);
        }
        return virtio_dev_isr(d);
    case VIRTIO_MMIO_STATUS:
        return d->status;
    case VIRTIO_MMIO_QUEUE_DESC_LOW:
        return vq ? (uint32_t)vq->desc_gpa : 0;
    case VIRTIO_MMIO_QUEUE_DESC_HIGH:
        return vq ? (uint32_t)(vq->desc_gpa >> 32) : 0;
    case VIRTIO_MMIO_QUEUE_AVAIL_LOW:
        return vq ? (uint32_t)vq->avail_gpa : 0;
    case VIRTIO_MMIO_QUEUE_AVAIL_HIGH:
        return vq ? (uint32_t)(vq->avail_gpa >> 32) : 0;
    case VIRTIO_MMIO_QUEUE_USED_LOW:
        return vq ? (uint32_t)vq->used_gpa : 0;
    case VIRTIO_MMIO_QUEUE_USED_HIGH:
        return vq ? (uint32_t)(vq->used_gpa >> 32) : 0;
    case VIRTIO_MMIO_SHM_LEN_LOW:
    case VIRTIO_MMIO_SHM_LEN_HIGH:
    case VIRTIO_MMIO_SHM_BASE_LOW:
    case VIRTIO_MMIO_SHM_BASE_HIGH:
        return 0xffffffff; /* no shared memory regions */
    case VIRTIO_MMIO_CONFIG_GENERATION:
        return d->config_gen;
    default:
        guest_error("%s: read of write-only or unknown register 0x%x",
                    d->ops->name, (unsigned)off);
        return 0;
    }
}

static void set_addr_half(uint64_t *addr, bool high, uint32_t v)
{
    if (high) {
        *addr = (*addr & 0xffffffffULL) | ((uint64_t)v << 32);
    } else {
        *addr = (*addr & ~0xffffffffULL) | v;
    }
}

/* Returns the queue to kick once the lock is dropped, or -1. */
static int write_reg_locked(struct virtio_dev *d, uint64_t off, uint32_t v)
{
    struct virtqueue *vq = sel_queue(d);

    switch (off) {
    case VIRTIO_MMIO_DEVICE_FEATURES_SEL:
        d->dev_feat_sel = v;
        return -1;
    case VIRTIO_MMIO_DRIVER_FEATURES_SEL:
        d->drv_feat_sel = v;
        return -1;
    case VIRTIO_MMIO_DRIVER_FEATURES:
        if (!(d->status & VIRTIO_S_DRIVER) ||
            (d->status & VIRTIO_S_FEATURES_OK) || d->drv_feat_sel > 1) {
            guest_error("%s: driver features written out of order",
                        d->ops->name);
            return -1;
        }
        {
            unsigned shift = 32 * d->drv_feat_sel;
            uint64_t mask = 0xffffffffULL << shift;

            /* Only what was offered can be accepted; asking for more
             * makes FEATURES_OK fail (§2.2.2), rather than leaving the
             * driver believing in a feature the device does not have. */
            if (((uint64_t)v << shift) & ~offered(d) & mask) {
                d->features_refused = true;
            }
            d->guest_features = (d->guest_features & ~mask) |
                                (((uint64_t)v << shift) & offered(d) & mask);
        }
        return -1;
    case VIRTIO_MMIO_QUEUE_SEL:
        d->queue_sel = v;
        return -1;
    case VIRTIO_MMIO_QUEUE_NOTIFY:
        if (v >= d->ops->num_queues) {
            guest_error("%s: notify of queue %u", d->ops->name, v);
            return -1;
        }
        return (int)v;
    case VIRTIO_MMIO_INTERRUPT_ACK:
        virtio_dev_isr_ack(d, v);
        if (!virtio_dev_isr(d) && d->irq) {
            d->irq->set(d->irq, false);
        }
        return -1;
    case VIRTIO_MMIO_STATUS:
        write_status_locked(d, v);
        return -1;
    case VIRTIO_MMIO_SHM_SEL:
        return -1;
    case VIRTIO_MMIO_QUEUE_NUM:
    case VIRTIO_MMIO_QUEUE_READY:
    case VIRTIO_MMIO_QUEUE_DESC_LOW:
    case VIRTIO_MMIO_QUEUE_DESC_HIGH:
    case VIRTIO_MMIO_QUEUE_AVAIL_LOW:
    case VIRTIO_MMIO_QUEUE_AVAIL_HIGH:
    case VIRTIO_MMIO_QUEUE_USED_LOW:
    case VIRTIO_MMIO_QUEUE_USED_HIGH:
        break;
    default:
        guest_error("%s: write of read-only or unknown register 0x%x",
                    d->ops->name, (unsigned)off);
        return -1;
    }

    /* Queue registers: only for a real queue, only while configuring,
     * and never for a queue already enabled. */
    if (!vq || !queue_regs_writable(d) ||
        (vq->ready && off != VIRTIO_MMIO_QUEUE_READY)) {
        guest_error("%s: queue register 0x%x written in state 0x%x",
                    d->ops->name, (unsigned)off, d->status);
        return -1;
    }
    switch (off) {
    case VIRTIO_MMIO_QUEUE_NUM:
        /* Checked against QueueNumMax when the queue is enabled. */
        vq->size = v > 0xffff ? 0 : (uint16_t)v;
        break;
    case VIRTIO_MMIO_QUEUE_READY:
        queue_ready_locked(d, vq, v);
        break;
    case VIRTIO_MMIO_QUEUE_DESC_LOW:
    case VIRTIO_MMIO_QUEUE_DESC_HIGH:
        set_addr_half(&vq->desc_gpa, off == VIRTIO_MMIO_QUEUE_DESC_HIGH, v);
        break;
    case VIRTIO_MMIO_QUEUE_AVAIL_LOW:
    case VIRTIO_MMIO_QUEUE_AVAIL_HIGH:
        set_addr_half(&vq->avail_gpa, off == VIRTIO_MMIO_QUEUE_AVAIL_HIGH, v);
        break;
    case VIRTIO_MMIO_QUEUE_USED_LOW:
    case VIRTIO_MMIO_QUEUE_USED_HIGH:
        set_addr_half(&vq->used_gpa, off == VIRTIO_MMIO_QUEUE_USED_HIGH, v);
        break;
    }
    return -1;
}

static uint64_t mmio_read(void *opaque, uint64_t off, unsigned size)
{
    struct virtio_dev *d = opaque;
    uint64_t v = 0;

    if (off >= VIRTIO_MMIO_CONFIG) {
        size_t coff = off - VIRTIO_MMIO_CONFIG;
        uint8_t buf[8] = {0};

        /* Zero fill past the end of config space. */
        g_mutex_lock(&d->lock);
        if (coff < d->ops->config_size && d->ops->read_config) {
            d->ops->read_config(d, coff, buf,
                                MIN(size, d->ops->config_size - coff));
        }
        g_mutex_unlock(&d->lock);
        memcpy(&v, buf, size);
        return v;
    }
    if (size != 4 || (off & 3)) {
        guest_error("%s: %u-byte read of register 0x%x", d->ops->name, size,
                    (unsigned)off);
        return 0;
    }
    g_mutex_lock(&d->lock);
    v = read_reg_locked(d, off);
    g_mutex_unlock(&d->lock);
    return v;
}

static void mmio_write(void *opaque, uint64_t off, uint64_t val, unsigned size)
{
    struct virtio_dev *d = opaque;
    int kick;

    if (off >= VIRTIO_MMIO_CONFIG) {
        size_t coff = off - VIRTIO_MMIO_CONFIG;

        g_mutex_lock(&d->lock);
        /* Config writes only from a driver that is set up and healthy. */
        if (!(d->status & VIRTIO_S_DRIVER) ||
            (d->status & (VIRTIO_S_FAILED | VIRTIO_S_NEEDS_RESET)) ||
            coff >= d->ops->config_size || size > d->ops->config_size - coff ||
            !d->ops->write_config) {
            guest_error("%s: config write of %u bytes at 0x%zx refused",
                        d->ops->name, size, coff);
        } else {
            d->ops->write_config(d, coff, &val, size);
        }
        g_mutex_unlock(&d->lock);
        return;
    }
    if (size != 4 || (off & 3)) {
        guest_error("%s: %u-byte write of register 0x%x", d->ops->name, size,
                    (unsigned)off);
        return;
    }
    g_mutex_lock(&d->lock);
    kick = write_reg_locked(d, off, (uint32_t)val);
    g_mutex_unlock(&d->lock);
    if (kick >= 0) {
        /* Normally KVM's ioeventfd catches QueueNotify before it gets
         * here; either way the work runs on the I/O thread (d->kick), or
         * inline when there is none (tests). */
        if (d->kick) {
            d->kick(d, (unsigned)kick);
        } else {
            virtio_dev_queue_notify(d, (unsigned)kick);
        }
    }
}

const struct bus_ops virtio_mmio_ops = {
    .read = mmio_read,
    .write = mmio_write,
};
