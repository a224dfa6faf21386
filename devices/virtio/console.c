/*
 * console.c: virtio-console device logic (virtio v1.2 §5.3.6), single port.
 * Every descriptor of a TX chain is transmitted, not just the first (Cloud
 * Hypervisor #7803), and in order.
 */
#include "devices/virtio/console.h"

#include <errno.h>
#include <linux/virtio_console.h>
#include <linux/virtio_ids.h>
#include <string.h>

#include "lib/iov.h"
#include "lib/util.h"

#define CON_QUEUE_SIZE 128

static struct vcon *to_vcon(struct virtio_dev *d)
{
    return d->opaque;
}

static void vcon_read_config(struct virtio_dev *d,
                             size_t off,
                             void *buf,
                             size_t len)
{
    struct virtio_console_config c;

    memset(&c, 0, sizeof(c));
    c.max_nr_ports = 1;
    memcpy(buf, (uint8_t *)&c + off, MIN(len, sizeof(c) - MIN(off, sizeof(c))));
}

/* Writes what it can of the pending chain; true when it is all out. */
static bool tx_flush_elem(struct vcon *c)
{
    struct vq_elem *e = c->tx_elem;

    while (c->tx_off < e->out_len) {
        uint8_t buf[4096];
        size_t n = iov_to_buf(e->out, e->out_num, c->tx_off, buf, sizeof(buf));
        ssize_t w = c->sink->write(c->sink, buf, n);

        if (w <= 0) {
            return false; /* -EAGAIN (or a dead sink: wait, do not spin) */
        }
        c->tx_off += (size_t)w;
        c->tx_bytes += (size_t)w;
    }
    return true;
}

static void vcon_tx_locked(struct vcon *c)
{
    struct virtio_dev *d = &c->vdev;
    struct virtqueue *vq = &d->vq[VCON_TX];
    unsigned done = 0;

    for (;;) {
        if (!c->tx_pending) {
            if (done >= vq->size || vq_pop(vq, c->tx_elem) <= 0) {
                break;
            }
            c->tx_pending = true;
            c->tx_off = 0;
        }
        if (!tx_flush_elem(c)) {
            c->sink->wait_writable(c->sink);
            break;
        }
        vq_push(vq, c->tx_elem->head, 0);
        c->tx_pending = false;
        done++;
    }
    virtio_dev_notify_locked(d, VCON_TX);
}

static void vcon_queue_notify(struct virtio_dev *d, unsigned q)
{
    struct vcon *c = to_vcon(d);

    if (q == VCON_TX) {
        vcon_tx_locked(c);
    } else if (q == VCON_RX && c->rx_wanted) {
        c->rx_wanted = false;
        c->sink->rx_ready(c->sink);
    }
}

static void vcon_reset(struct virtio_dev *d)
{
    struct vcon *c = to_vcon(d);

    /* A half-sent chain belongs to the old rings: forget it. */
    c->tx_pending = false;
    c->tx_off = 0;
}

const struct virtio_dev_ops vcon_ops = {
    .name = "virtio-console",
    .device_id = VIRTIO_ID_CONSOLE,
    .num_queues = 2,
    .queue_max = CON_QUEUE_SIZE,
    .config_size = sizeof(struct virtio_console_config),
    .read_config = vcon_read_config,
    .reset = vcon_reset,
    .queue_notify = vcon_queue_notify,
};

size_t vcon_input(struct vcon *c, const void *buf, size_t len)
{
    struct virtio_dev *d = &c->vdev;
    struct virtqueue *vq = &d->vq[VCON_RX];
    size_t done = 0;

    g_mutex_lock(&d->lock);
    if ((d->status & VIRTIO_S_DRIVER_OK) &&
        !(d->status & VIRTIO_S_NEEDS_RESET)) {
        while (done < len) {
            int r = vq_pop(vq, c->rx_elem);
            size_t n;

            if (r < 0) {
                virtio_dev_set_broken_locked(d, "malformed virtqueue");
                break;
            }
            if (r == 0) {
                break;
            }
            n = iov_from_buf(c->rx_elem->in, c->rx_elem->in_num, 0,
                             (const uint8_t *)buf + done, len - done);
            vq_push(vq, c->rx_elem->head, (uint32_t)n);
            done += n;
        }
        virtio_dev_notify_locked(d, VCON_RX);
    }
    if (done < len) {
        c->rx_wanted = true; /* resume when the guest adds buffers */
    }
    c->rx_bytes += done;
    g_mutex_unlock(&d->lock);
    return done;
}

void vcon_tx_resume(struct vcon *c)
{
    struct virtio_dev *d = &c->vdev;

    g_mutex_lock(&d->lock);
    virtio_dev_queue_notify_locked(d, VCON_TX);
    g_mutex_unlock(&d->lock);
}

void vcon_init(struct vcon *c,
               struct vcon_sink *sink,
               const struct guest_mem *gm,
               struct irq_line *irq)
{
    memset(c, 0, sizeof(*c));
    c->sink = sink;
    c->tx_elem = g_new0(struct vq_elem, 1);
    c->rx_elem = g_new0(struct vq_elem, 1);
    virtio_dev_init(&c->vdev, &vcon_ops, c, gm, irq);
}

void vcon_cleanup(struct vcon *c)
{
    virtio_dev_cleanup(&c->vdev);
    g_free(c->tx_elem);
    g_free(c->rx_elem);
}
