/*
 * virtio.h: a virtio device as the transport sees it: a table of device
 * operations and the common state (features, status, queues, interrupt).
 * The transport (virtio_mmio.c) owns all spec policy about registers and
 * status; a device file (blk.c, rng.c, console.c) holds only device logic.
 *
 * Lock order: dev->lock, then backend locks.  Never hold dev->lock across
 * a call that can block on the host (blk.c drops it around disk I/O).
 */
#ifndef HUSK_VIRTIO_H
#define HUSK_VIRTIO_H

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

#include "devices/virtio/virtqueue.h"
#include "lib/state.h"
#include "lib/vmctl.h"

#define VIRTIO_MAX_QUEUES 8

/* Device status bits (§2.1). */
#define VIRTIO_S_ACKNOWLEDGE 1
#define VIRTIO_S_DRIVER 2
#define VIRTIO_S_DRIVER_OK 4
#define VIRTIO_S_FEATURES_OK 8
#define VIRTIO_S_NEEDS_RESET 0x40
#define VIRTIO_S_FAILED 0x80

/* Interrupt status bits (§4.2.2). */
#define VIRTIO_ISR_QUEUE 1
#define VIRTIO_ISR_CONFIG 2

/* Transport-independent feature bits (§6). */
#define VIRTIO_F_INDIRECT_DESC 28
#define VIRTIO_F_EVENT_IDX 29
#define VIRTIO_F_VERSION_1 32

struct virtio_dev;

struct virtio_dev_ops {
    const char *name;
    uint32_t device_id;
    unsigned num_queues;
    uint16_t queue_max;
    /* Features the device offers (the transport adds VERSION_1 etc.). */
    uint64_t (*features)(struct virtio_dev *d);
    /* Device config space; off + len <= config_size, checked already. */
    size_t config_size;
    void (*read_config)(struct virtio_dev *d,
                        size_t off,
                        void *buf,
                        size_t len);
    void (*write_config)(struct virtio_dev *d,
                         size_t off,
                         const void *buf,
                         size_t len);
    /* DRIVER_OK: queues are active; start backends.  0 or -errno (the
     * transport then sets NEEDS_RESET). */
    int (*activate)(struct virtio_dev *d);
    /* Status 0: stop using guest memory; drop in-flight work. */
    void (*reset)(struct virtio_dev *d);
    /* The driver kicked queue q.  I/O thread, dev->lock held. */
    void (*queue_notify)(struct virtio_dev *d, unsigned q);
    /* Snapshots (virtio_state.c), dev->lock held, all optional: the
     * device's own fields; whether it holds no chain it popped (a
     * snapshot waits until it does not); load records a failure in r. */
    void (*save)(struct virtio_dev *d, struct st_writer *w);
    void (*load)(struct virtio_dev *d, struct st_reader *r);
    bool (*quiesced)(struct virtio_dev *d);
    /* Queues served elsewhere (vhost-user): take them back from the
     * server so that their indices are husk's to save (0, -EBUSY with
     * requests still in the server's hands, -EIO), and hand them back. */
    int (*suspend)(struct virtio_dev *d);
    void (*resume)(struct virtio_dev *d);
};

struct virtio_dev {
    const struct virtio_dev_ops *ops;
    void *opaque; /* the device's own state */
    GMutex lock;  /* vCPU register access vs the I/O thread */
    const struct guest_mem *gm;
    struct irq_line *irq;
    struct virtqueue vq[VIRTIO_MAX_QUEUES];
    uint64_t host_features, guest_features;
    bool features_refused; /* the driver accepted one not offered */
    uint32_t status, isr, queue_sel, dev_feat_sel, drv_feat_sel;
    uint32_t config_gen;
    /* Queues served by another process (a vhost-user backend,
     * vhost_user_dev.h): it reads the kick eventfds and raises the irqfd
     * itself. */
    bool queues_remote;
    /* The queues' server cannot set the queue bit (vhost-user): the
     * interrupt status shows it whenever the driver is running, so the
     * driver's handler always looks at the used rings. */
    bool isr_queue_always;
    /* With isr_queue_always: called on each InterruptStatus read (the
     * driver's interrupt handler), dev->lock held: the device can tell
     * interrupts that carried no work from those that did. */
    void (*isr_read)(struct virtio_dev *d);
    /* Called by the transport when a QueueNotify write reaches userspace
     * (no ioeventfd): signal the I/O thread.  NULL: notify inline. */
    void (*kick)(struct virtio_dev *d, unsigned q);
    void *kick_opaque;
    /* Set where each queue has an interrupt of its own (a vhost-user
     * backend's call eventfds): a queue's notification goes there, not
     * through ISR and irq.  NULL: through ISR and irq. */
    void (*queue_irq)(struct virtio_dev *d, unsigned q);
    void *queue_irq_opaque;
    /* The VM the device sits in (its stopping() ends a device's waits);
     * NULL in tests that have no VM: waits then end by their deadline. */
    struct vm_ctl *ctl;
    unsigned long notifies, interrupts;
};

void virtio_dev_init(struct virtio_dev *d,
                     const struct virtio_dev_ops *ops,
                     void *opaque,
                     const struct guest_mem *gm,
                     struct irq_line *irq);
void virtio_dev_cleanup(struct virtio_dev *d);

/* Sets ISR bits and raises the interrupt.  dev->lock held. */
void virtio_dev_interrupt_locked(struct virtio_dev *d, uint32_t isr_bits);

/* Pushes-then-notifies helper: raises a queue interrupt if the driver
 * wants one for queue q.  dev->lock held. */
void virtio_dev_notify_locked(struct virtio_dev *d, unsigned q);

/* A malformed ring or device state: NEEDS_RESET plus a config interrupt
 * (§2.1.2); the device stops touching its queues.  dev->lock held. */
void virtio_dev_set_broken_locked(struct virtio_dev *d, const char *why);

/* Runs the device's queue_notify for q under the lock (the I/O thread's
 * kick handler).  Ignored unless DRIVER_OK and the queue is active. */
void virtio_dev_queue_notify(struct virtio_dev *d, unsigned q);
/* The same with dev->lock held: the one place that runs a queue and turns
 * a malformed ring into NEEDS_RESET. */
void virtio_dev_queue_notify_locked(struct virtio_dev *d, unsigned q);

/* The interrupt status the driver reads (with isr_queue_always, the
 * queue bit once the driver runs). */
uint32_t virtio_dev_isr(const struct virtio_dev *d);
/* InterruptACK: clears bits. */
void virtio_dev_isr_ack(struct virtio_dev *d, uint32_t bits);

/* Snapshots (virtio_state.c).  save and load take dev->lock; load
 * returns false with the failure in r and the device reset.  kick_all
 * asks the I/O thread to look at every running queue (after a restore:
 * a kick the guest made before the snapshot may not have been seen). */
void virtio_dev_save(struct virtio_dev *d, struct st_writer *w);
bool virtio_dev_load(struct virtio_dev *d, struct st_reader *r);
bool virtio_dev_quiesced(struct virtio_dev *d);
int virtio_dev_suspend(struct virtio_dev *d);
void virtio_dev_resume(struct virtio_dev *d);
void virtio_dev_kick_all(struct virtio_dev *d);

/* The VM is ending: a wait on a register access gives up. */
static inline bool virtio_dev_stopping(struct virtio_dev *d)
{
    return d->ctl && d->ctl->stopping && d->ctl->stopping(d->ctl);
}

/* True if the negotiated features include bit. */
static inline bool virtio_has_feature(const struct virtio_dev *d, unsigned bit)
{
    return (d->guest_features >> bit) & 1;
}

#endif
