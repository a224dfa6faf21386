/*
 * vm_virtio.h: plugging virtio-mmio devices into a VM: a 4 KiB MMIO window
 * and a GSI each, KVM ioeventfds for QueueNotify (one per queue) and an
 * irqfd for the interrupt, with the I/O thread watching the kick eventfds.
 */
#ifndef HUSK_VM_VIRTIO_H
#define HUSK_VM_VIRTIO_H

#include <glib.h>

#include "devices/virtio/virtio.h"

struct vm;

#define VM_MAX_VIRTIO 16

struct vm_virtio {
    struct vm *vm;
    struct virtio_dev *dev;
    uint64_t base;
    unsigned gsi;
    struct irq_line irq; /* backed by irqfd */
    int irq_fd;
    int kick_fd[VIRTIO_MAX_QUEUES];
    bool ioeventfd; /* KVM catches QueueNotify */
    /* A vhost-user backend's call eventfd: a second irqfd on the same
     * GSI, so it can be cut off alone (vm_vhost_user.c); else -1. */
    int backend_call_fd;
};

/*
 * Reserves the next MMIO window and GSI and the interrupt's eventfd; the
 * device is created next with slot->irq, then vm_virtio_plug() wires it.
 * Setup thread, before vm_start.
 */
struct vm_virtio *vm_virtio_slot(struct vm *vm, GError **errp);
/* Every slot's eventfds become irqfds on its GSI: once the interrupt
 * controller is complete (arm64: the GIC is initialised only after the
 * vCPUs exist, and refuses irqfds before).  Setup thread. */
bool vm_virtio_bind_irqs(struct vm *vm, GError **errp);
bool vm_virtio_plug(struct vm_virtio *slot,
                    struct virtio_dev *dev,
                    GError **errp);
void vm_virtio_cleanup(struct vm_virtio *slot);

/* The I/O thread reads queue q's kick eventfd and calls run(dev, q):
 * for every queue husk serves (virtio_dev_queue_notify), and for those
 * of a vhost-user device whose backend was lost.  Any thread. */
void vm_virtio_watch_kick(struct vm_virtio *slot,
                          unsigned q,
                          void (*run)(struct virtio_dev *d, unsigned q));

#endif
