/*
 * virtio.c: transport-independent device state: interrupts, NEEDS_RESET,
 * and queue-notify dispatch (virtio v1.2 §2.1 "Device Status Field",
 * §2.3 "Notifications").
 */
#define G_LOG_DOMAIN "husk"
#include "devices/virtio/virtio.h"

#include <string.h>

#include "lib/log.h"

void virtio_dev_init(struct virtio_dev *d,
                     const struct virtio_dev_ops *ops,
                     void *opaque,
                     const struct guest_mem *gm,
                     struct irq_line *irq)
{
    memset(d, 0, sizeof(*d));
    d->ops = ops;
    d->opaque = opaque;
    d->gm = gm;
    d->irq = irq;
    g_mutex_init(&d->lock);
    g_assert(ops->num_queues <= VIRTIO_MAX_QUEUES);
    /* Every device gets the transport features the virtqueue library
     * implements; legacy (pre-1.0) drivers are not supported. */
    d->host_features =
        (ops->features ? ops->features(d) : 0) | (1ULL << VIRTIO_F_VERSION_1) |
        (1ULL << VIRTIO_F_EVENT_IDX) | (1ULL << VIRTIO_F_INDIRECT_DESC);
    for (unsigned i = 0; i < ops->num_queues; i++) {
        vq_init(&d->vq[i], gm, ops->queue_max);
    }
}

void virtio_dev_cleanup(struct virtio_dev *d)
{
    g_mutex_clear(&d->lock);
}

void virtio_dev_interrupt_locked(struct virtio_dev *d, uint32_t isr_bits)
{
    /* ISR first, then the line: the driver's handler reads ISR. */
    d->isr |= isr_bits;
    d->interrupts++;
    if (d->irq) {
        d->irq->set(d->irq, true);
    }
}

uint32_t virtio_dev_isr(const struct virtio_dev *d)
{
    uint32_t v = d->isr;

    if (d->isr_queue_always && (d->status & VIRTIO_S_DRIVER_OK)) {
        v |= VIRTIO_ISR_QUEUE;
    }

    return v;
}

void virtio_dev_isr_ack(struct virtio_dev *d, uint32_t bits)
{
    d->isr &= ~bits;
}

void virtio_dev_notify_locked(struct virtio_dev *d, unsigned q)
{
    if (!vq_should_notify(&d->vq[q])) {
        return;
    }
    if (d->queue_irq) {
        d->interrupts++;
        d->queue_irq(d, q);
    } else {
        virtio_dev_interrupt_locked(d, VIRTIO_ISR_QUEUE);
    }
}

void virtio_dev_set_broken_locked(struct virtio_dev *d, const char *why)
{
    if (d->status & VIRTIO_S_NEEDS_RESET) {
        return;
    }
    guest_error("%s: %s; device needs reset", d->ops->name, why);
    d->status |= VIRTIO_S_NEEDS_RESET;
    if (d->status & VIRTIO_S_DRIVER_OK) {
        virtio_dev_interrupt_locked(d, VIRTIO_ISR_CONFIG);
    }
}

void virtio_dev_queue_notify_locked(struct virtio_dev *d, unsigned q)
{
    if (q < d->ops->num_queues && (d->status & VIRTIO_S_DRIVER_OK) &&
        !(d->status & VIRTIO_S_NEEDS_RESET) && d->vq[q].active) {
        d->ops->queue_notify(d, q);
        if (d->vq[q].broken) {
            virtio_dev_set_broken_locked(d, "malformed virtqueue");
        }
    }
}

void virtio_dev_queue_notify(struct virtio_dev *d, unsigned q)
{
    g_mutex_lock(&d->lock);
    d->notifies++;
    virtio_dev_queue_notify_locked(d, q);
    g_mutex_unlock(&d->lock);
}
