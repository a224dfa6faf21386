/*
 * console_ctrl.c: virtio-console's multiport control queues (virtio v1.2
 * §5.3.6.2, "Multiport Device Operation").  The guest's messages
 * (DEVICE_READY, PORT_READY, PORT_OPEN) come on control transmitq 3; the
 * host's (PORT_ADD, PORT_NAME, PORT_OPEN) go into the buffers the guest
 * posts on control receiveq 2, in the order they were made.
 *
 * Trust boundary: a guest message is at most its 8 bytes copied out of
 * guest memory; a short one, an id past the last port or an event the
 * host does not take is ignored (the guest only confuses itself).  Host
 * messages wait in a fixed ring: a guest that asks for them again and
 * again without posting buffers loses the oldest, never grows husk.
 */
#include "devices/virtio/console.h"

#include <endian.h>
#include <linux/virtio_console.h>
#include <string.h>

#include "lib/iov.h"
#include "lib/util.h"

void vcon_ctrl_send(struct vcon *c,
                    uint32_t id,
                    uint16_t event,
                    uint16_t value,
                    bool with_name)
{
    struct vcon_ctrl_msg *m;

    if (c->ctrl_len == VCON_CTRL_PENDING) {
        c->ctrl_head = (c->ctrl_head + 1) % VCON_CTRL_PENDING;
        c->ctrl_len--;
        c->ctrl_dropped++;
    }
    m = &c->ctrl_out[(c->ctrl_head + c->ctrl_len) % VCON_CTRL_PENDING];
    *m = (struct vcon_ctrl_msg){id, event, value, with_name};
    c->ctrl_len++;
}

void vcon_ctrl_flush(struct vcon *c)
{
    struct virtio_dev *d = &c->vdev;
    struct virtqueue *vq = &d->vq[VCON_CTRL_RX];
    bool pushed = false;

    if (!(d->status & VIRTIO_S_DRIVER_OK) ||
        (d->status & VIRTIO_S_NEEDS_RESET)) {
        return;
    }
    while (c->ctrl_len) {
        const struct vcon_ctrl_msg *m = &c->ctrl_out[c->ctrl_head];
        uint8_t buf[sizeof(struct virtio_console_control) + VCON_NAME_MAX];
        struct virtio_console_control cc = {
            .id = htole32(m->id),
            .event = htole16(m->event),
            .value = htole16(m->value),
        };
        size_t len = sizeof(cc), n;
        int r = vq_pop(vq, c->ctrl_elem);

        if (r < 0) {
            virtio_dev_set_broken_locked(d, "malformed virtqueue");
            return;
        }
        if (r == 0) {
            break; /* the guest posts more; then VCON_CTRL_RX is kicked */
        }
        memcpy(buf, &cc, sizeof(cc));
        if (m->with_name && m->id < c->nr_ports) {
            const char *name = c->port[m->id].name;

            /* The name without its NUL: the driver takes the buffer's
             * length as the name's (and adds the terminator itself). */
            memcpy(buf + sizeof(cc), name, strlen(name));
            len += strlen(name);
        }
        n = iov_from_buf(c->ctrl_elem->in, c->ctrl_elem->in_num, 0, buf, len);
        vq_push(vq, c->ctrl_elem->head, (uint32_t)n);
        pushed = true;
        c->ctrl_head = (c->ctrl_head + 1) % VCON_CTRL_PENDING;
        c->ctrl_len--;
    }
    if (pushed) {
        virtio_dev_notify_locked(d, VCON_CTRL_RX);
    }
}

static void on_guest_msg(struct vcon *c,
                         uint32_t id,
                         uint16_t event,
                         uint16_t value)
{
    struct vcon_port *pt = id < c->nr_ports ? &c->port[id] : NULL;

    switch (event) {
    case VIRTIO_CONSOLE_DEVICE_READY:
        if (value == 1) {
            for (unsigned p = 0; p < c->nr_ports; p++) {
                vcon_ctrl_send(c, p, VIRTIO_CONSOLE_PORT_ADD, 0, false);
            }
        }
        break;
    case VIRTIO_CONSOLE_PORT_READY:
        if (pt && value == 1) {
            pt->ready = true;
            vcon_ctrl_send(c, id, VIRTIO_CONSOLE_PORT_NAME, 1, true);
            vcon_ctrl_send(c, id, VIRTIO_CONSOLE_PORT_OPEN, pt->host_open,
                           false);
        }
        break;
    case VIRTIO_CONSOLE_PORT_OPEN:
        if (pt && pt->ready) {
            pt->guest_open = value != 0;
            if (pt->guest_open && pt->rx_wanted) {
                /* Input held back for a closed port may flow now. */
                pt->rx_wanted = false;
                pt->sink->rx_ready(pt->sink);
            }
        }
        break;
    default:
        break; /* RESIZE and the rest: nothing a host needs to act on */
    }
}

void vcon_ctrl_from_guest(struct vcon *c)
{
    struct virtio_dev *d = &c->vdev;
    struct virtqueue *vq = &d->vq[VCON_CTRL_TX];
    unsigned done = 0;

    while (done < vq->size) {
        struct virtio_console_control cc;
        int r = vq_pop(vq, c->ctrl_elem);

        if (r < 0) {
            virtio_dev_set_broken_locked(d, "malformed virtqueue");
            return;
        }
        if (r == 0) {
            break;
        }
        if (iov_to_buf(c->ctrl_elem->out, c->ctrl_elem->out_num, 0, &cc,
                       sizeof(cc)) == sizeof(cc)) {
            on_guest_msg(c, le32toh(cc.id), le16toh(cc.event),
                         le16toh(cc.value));
        }
        vq_push(vq, c->ctrl_elem->head, 0);
        done++;
    }
    virtio_dev_notify_locked(d, VCON_CTRL_TX);
    vcon_ctrl_flush(c);
}
