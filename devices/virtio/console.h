/*
 * console.h: virtio-console (virtio v1.2 §5.3).  Two shapes:
 *  - one port, no multiport: receiveq 0 carries host input to the guest,
 *    transmitq 1 guest output to the host; the guest sees /dev/hvc0;
 *  - multiport (VIRTIO_CONSOLE_F_MULTIPORT, §5.3.6.2), up to
 *    VCON_MAX_PORTS named generic ports (/dev/vportNpM, the name in
 *    /sys/class/virtio-ports/vportNpM/name), which are not terminals: bytes
 *    pass as they are, and the host closing its side of a port is end of
 *    file to the guest's reader.  The control queues are console_ctrl.c.
 *
 * Output is never dropped and never buffered without bound: a chain the
 * host cannot take yet stays with the device (the guest's queue fills and
 * its writer waits) until the sink is writable again.  Input goes only
 * into buffers the guest made available (and, multiport, only while the
 * guest has the port open: Linux discards data for a closed port); with
 * none, the host stops reading its side until sink->rx_ready.
 */
#ifndef HUSK_VIRTIO_CONSOLE_H
#define HUSK_VIRTIO_CONSOLE_H

#include <sys/types.h>

#include "devices/virtio/virtio.h"

#define VCON_RX 0
#define VCON_TX 1
/* Multiport: the control queues, then two queues per further port. */
#define VCON_CTRL_RX 2
#define VCON_CTRL_TX 3
#define VCON_MAX_PORTS 3 /* (1 + 3) * 2 queues fill VIRTIO_MAX_QUEUES */
#define VCON_NAME_MAX 32
#define VCON_CTRL_PENDING (4 * VCON_MAX_PORTS + 4)

struct vcon;

struct vcon_sink {
    /* Writes without blocking: bytes taken (may be short), or -EAGAIN.
     * NULL: the port has no output; what the guest sends is dropped. */
    ssize_t (*write)(struct vcon_sink *s, const void *buf, size_t len);
    /* Call vcon_port_tx_resume() once write would make progress again. */
    void (*wait_writable)(struct vcon_sink *s);
    /* The guest can take input again (new RX buffers, or it opened the
     * port): host input may flow again. */
    void (*rx_ready)(struct vcon_sink *s);
};

struct vcon_port {
    struct vcon_sink *sink;
    char name[VCON_NAME_MAX];
    struct vq_elem *tx_elem; /* a TX chain not yet fully written */
    bool tx_pending;
    size_t tx_off;   /* bytes of it already written */
    bool rx_wanted;  /* input was refused: tell the sink when it can flow */
    bool ready;      /* multiport: the guest sent PORT_READY */
    bool guest_open; /* multiport: the guest has the port open */
    bool host_open;  /* multiport: what the host says of its side */
    unsigned long tx_bytes, rx_bytes;
};

/* A control message for the guest, waiting for a control RX buffer. */
struct vcon_ctrl_msg {
    uint32_t id;
    uint16_t event, value;
    bool with_name; /* PORT_NAME: the port's name follows */
};

struct vcon {
    struct virtio_dev vdev;
    unsigned nr_ports;
    bool multiport;
    struct vcon_port port[VCON_MAX_PORTS];
    struct vq_elem *rx_elem;
    struct vq_elem *ctrl_elem;
    struct vcon_ctrl_msg ctrl_out[VCON_CTRL_PENDING];
    unsigned ctrl_head, ctrl_len;
    unsigned long ctrl_dropped; /* messages dropped: the queue was full */
    /* Port 0's counters under their old names (tests, the timeline). */
    unsigned long tx_bytes, rx_bytes;
};

extern const struct virtio_dev_ops vcon_ops;
extern const struct virtio_dev_ops vcon_multiport_ops;

/* One port, no multiport (hvc0). */
void vcon_init(struct vcon *c,
               struct vcon_sink *sink,
               const struct guest_mem *gm,
               struct irq_line *irq);
/* Multiport with nr (1..VCON_MAX_PORTS) named ports; port i writes to
 * sinks[i] and names[i] (at most VCON_NAME_MAX - 1 bytes) is its name.
 * Every port starts open on the host side. */
void vcon_init_ports(struct vcon *c,
                     unsigned nr,
                     const char *const *names,
                     struct vcon_sink *const *sinks,
                     const struct guest_mem *gm,
                     struct irq_line *irq);
void vcon_cleanup(struct vcon *c);

/* Host input for port p: bytes accepted (0 if the guest cannot take any
 * now; then the port's sink->rx_ready is called when it can).  I/O
 * thread. */
size_t vcon_port_input(struct vcon *c, unsigned p, const void *buf, size_t len);
/* The sink of port p became writable: continue transmitting.  I/O
 * thread. */
void vcon_port_tx_resume(struct vcon *c, unsigned p);
/* Multiport: opens or closes the host's side of port p; closing is end of
 * file for the guest's reader once it has read what was delivered.  I/O
 * thread. */
void vcon_port_set_host_open(struct vcon *c, unsigned p, bool open);

/* Port 0, for the one-port console. */
size_t vcon_input(struct vcon *c, const void *buf, size_t len);
void vcon_tx_resume(struct vcon *c);

/* console_ctrl.c: the control queues.  dev->lock held. */
void vcon_ctrl_from_guest(struct vcon *c);
void vcon_ctrl_flush(struct vcon *c);
void vcon_ctrl_send(struct vcon *c,
                    uint32_t id,
                    uint16_t event,
                    uint16_t value,
                    bool with_name);

#endif
