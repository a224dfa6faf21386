/*
 * console.h: virtio-console with a single port, no multiport (virtio v1.2
 * §5.3): receiveq 0 carries host input to the guest, transmitq 1 guest
 * output to the host.  The guest sees /dev/hvc0.
 *
 * Output is never dropped and never buffered without bound: a chain the
 * host cannot take yet stays with the device (the guest's queue fills and
 * its writer waits) until the sink is writable again.  Input goes only
 * into buffers the guest made available; with none, the host stops
 * reading its side until the guest adds some.
 */
#ifndef HUSK_VIRTIO_CONSOLE_H
#define HUSK_VIRTIO_CONSOLE_H

#include <sys/types.h>

#include "devices/virtio/virtio.h"

#define VCON_RX 0
#define VCON_TX 1

struct vcon;

struct vcon_sink {
    /* Writes without blocking: bytes taken (may be short), or -EAGAIN. */
    ssize_t (*write)(struct vcon_sink *s, const void *buf, size_t len);
    /* Call vcon_tx_resume() once write would make progress again. */
    void (*wait_writable)(struct vcon_sink *s);
    /* The guest added RX buffers: host input may flow again. */
    void (*rx_ready)(struct vcon_sink *s);
};

struct vcon {
    struct virtio_dev vdev;
    struct vcon_sink *sink;
    struct vq_elem *tx_elem; /* a TX chain not yet fully written */
    bool tx_pending;
    size_t tx_off; /* bytes of it already written */
    struct vq_elem *rx_elem;
    bool rx_wanted; /* input was refused for lack of buffers */
    unsigned long tx_bytes, rx_bytes;
};

extern const struct virtio_dev_ops vcon_ops;

void vcon_init(struct vcon *c,
               struct vcon_sink *sink,
               const struct guest_mem *gm,
               struct irq_line *irq);
void vcon_cleanup(struct vcon *c);

/* Host input for the guest: bytes accepted (0 if the guest has no RX
 * buffers; then sink->rx_ready is called when it adds some).  I/O thread. */
size_t vcon_input(struct vcon *c, const void *buf, size_t len);

/* The sink became writable: continue transmitting.  I/O thread. */
void vcon_tx_resume(struct vcon *c);

#endif
