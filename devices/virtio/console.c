/*
 * console.c: virtio-console device logic (virtio v1.2 §5.3.6): the ports'
 * data queues.  Every descriptor of a TX chain is transmitted, not just
 * the first (Cloud Hypervisor #7803), and in order.  The multiport control
 * queues are console_ctrl.c.
 */
#include "devices/virtio/console.h"

#include <errno.h>
#include <stdio.h>
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

/* §5.3.2: port 0 uses queues 0 and 1, the control queues are 2 and 3,
 * port p > 0 uses 2p + 2 and 2p + 3. */
static unsigned rx_queue(unsigned p)
{
    return p == 0 ? VCON_RX : 2 * p + 2;
}

static uint64_t vcon_features(struct virtio_dev *d)
{
    return to_vcon(d)->multiport ? 1ULL << VIRTIO_CONSOLE_F_MULTIPORT : 0;
}

static void vcon_read_config(struct virtio_dev *d,
                             size_t off,
                             void *buf,
                             size_t len)
{
    struct virtio_console_config c;

    memset(&c, 0, sizeof(c));
    c.max_nr_ports = to_vcon(d)->nr_ports;
    memcpy(buf, (uint8_t *)&c + off, MIN(len, sizeof(c) - MIN(off, sizeof(c))));
}

/* Writes what it can of the pending chain; true when it is all out. */
static bool tx_flush_elem(struct vcon_port *pt)
{
    struct vq_elem *e = pt->tx_elem;

    if (!pt->sink->write) {
        pt->tx_off = e->out_len; /* an input-only port: dropped */
    }
    while (pt->tx_off < e->out_len) {
        uint8_t buf[4096];
        size_t n = iov_to_buf(e->out, e->out_num, pt->tx_off, buf, sizeof(buf));
        ssize_t w = pt->sink->write(pt->sink, buf, n);

        if (w <= 0) {
            return false; /* -EAGAIN (or a dead sink: wait, do not spin) */
        }
        pt->tx_off += (size_t)w;
        pt->tx_bytes += (size_t)w;
    }
    return true;
}

static void vcon_tx_locked(struct vcon *c, unsigned p)
{
    struct virtio_dev *d = &c->vdev;
    struct vcon_port *pt = &c->port[p];
    unsigned q = rx_queue(p) + 1;
    struct virtqueue *vq = &d->vq[q];
    unsigned done = 0;

    for (;;) {
        if (!pt->tx_pending) {
            if (done >= vq->size || vq_pop(vq, pt->tx_elem) <= 0) {
                break;
            }
            pt->tx_pending = true;
            pt->tx_off = 0;
        }
        if (!tx_flush_elem(pt)) {
            pt->sink->wait_writable(pt->sink);
            break;
        }
        vq_push(vq, pt->tx_elem->head, 0);
        pt->tx_pending = false;
        done++;
    }
    if (p == 0) {
        c->tx_bytes = pt->tx_bytes;
    }
    virtio_dev_notify_locked(d, q);
}

static void vcon_queue_notify(struct virtio_dev *d, unsigned q)
{
    struct vcon *c = to_vcon(d);
    unsigned p;

    if (c->multiport && q == VCON_CTRL_RX) {
        vcon_ctrl_flush(c);
        return;
    }
    if (c->multiport && q == VCON_CTRL_TX) {
        vcon_ctrl_from_guest(c);
        return;
    }
    p = q < 2 ? 0 : (q - 2) / 2;
    if (p >= c->nr_ports) {
        return;
    }
    if (q & 1) {
        vcon_tx_locked(c, p);
    } else if (c->port[p].rx_wanted) {
        c->port[p].rx_wanted = false;
        c->port[p].sink->rx_ready(c->port[p].sink);
    }
}

static void vcon_reset(struct virtio_dev *d)
{
    struct vcon *c = to_vcon(d);

    for (unsigned p = 0; p < c->nr_ports; p++) {
        /* A half-sent chain belongs to the old rings: forget it; the new
         * driver opens the ports again. */
        c->port[p].tx_pending = false;
        c->port[p].tx_off = 0;
        c->port[p].ready = false;
        c->port[p].guest_open = false;
    }
    c->ctrl_head = c->ctrl_len = 0;
}

/* Snapshots: no output chain half written; each port's open state and
 * the control messages still waiting for a guest buffer. */
static bool vcon_quiesced(struct virtio_dev *d)
{
    struct vcon *c = to_vcon(d);

    for (unsigned p = 0; p < c->nr_ports; p++) {
        if (c->port[p].tx_pending) {
            return false;
        }
    }
    return true;
}

static void vcon_save(struct virtio_dev *d, struct st_writer *w)
{
    struct vcon *c = to_vcon(d);
    char k[32];

    st_put_u64(w, "ports", c->nr_ports);
    for (unsigned p = 0; p < c->nr_ports; p++) {
        snprintf(k, sizeof(k), "port%u.ready", p);
        st_put_bool(w, k, c->port[p].ready);
        snprintf(k, sizeof(k), "port%u.guest_open", p);
        st_put_bool(w, k, c->port[p].guest_open);
        snprintf(k, sizeof(k), "port%u.host_open", p);
        st_put_bool(w, k, c->port[p].host_open);
    }
    st_put_u64(w, "ctrl_len", c->ctrl_len);
    for (unsigned i = 0; i < c->ctrl_len; i++) {
        const struct vcon_ctrl_msg *m =
            &c->ctrl_out[(c->ctrl_head + i) % VCON_CTRL_PENDING];

        snprintf(k, sizeof(k), "ctrl%u.id", i);
        st_put_u64(w, k, m->id);
        snprintf(k, sizeof(k), "ctrl%u.event", i);
        st_put_u64(w, k, m->event);
        snprintf(k, sizeof(k), "ctrl%u.value", i);
        st_put_u64(w, k, m->value);
        snprintf(k, sizeof(k), "ctrl%u.with_name", i);
        st_put_bool(w, k, m->with_name);
    }
}

static void vcon_load(struct virtio_dev *d, struct st_reader *r)
{
    struct vcon *c = to_vcon(d);
    char k[32];

    if (st_get_u64(r, "ports", 0, VCON_MAX_PORTS) != c->nr_ports &&
        !st_failed(r)) {
        st_fail(r, "the console had another number of ports");
    }
    for (unsigned p = 0; p < c->nr_ports; p++) {
        snprintf(k, sizeof(k), "port%u.ready", p);
        c->port[p].ready = st_get_bool(r, k);
        snprintf(k, sizeof(k), "port%u.guest_open", p);
        c->port[p].guest_open = st_get_bool(r, k);
        snprintf(k, sizeof(k), "port%u.host_open", p);
        c->port[p].host_open = st_get_bool(r, k);
    }
    c->ctrl_head = 0;
    c->ctrl_len = (unsigned)st_get_u64(r, "ctrl_len", 0, VCON_CTRL_PENDING);
    for (unsigned i = 0; i < c->ctrl_len && !st_failed(r); i++) {
        struct vcon_ctrl_msg *m = &c->ctrl_out[i];

        snprintf(k, sizeof(k), "ctrl%u.id", i);
        m->id = (uint32_t)st_get_u64(r, k, 0, c->nr_ports - 1);
        snprintf(k, sizeof(k), "ctrl%u.event", i);
        m->event = (uint16_t)st_get_u64(r, k, 0, UINT16_MAX);
        snprintf(k, sizeof(k), "ctrl%u.value", i);
        m->value = (uint16_t)st_get_u64(r, k, 0, UINT16_MAX);
        snprintf(k, sizeof(k), "ctrl%u.with_name", i);
        m->with_name = st_get_bool(r, k);
    }
    if (st_failed(r)) {
        c->ctrl_len = 0;
    }
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
    .save = vcon_save,
    .load = vcon_load,
    .quiesced = vcon_quiesced,
};

const struct virtio_dev_ops vcon_multiport_ops = {
    .name = "virtio-console",
    .device_id = VIRTIO_ID_CONSOLE,
    .num_queues = 2 * (VCON_MAX_PORTS + 1),
    .queue_max = CON_QUEUE_SIZE,
    .features = vcon_features,
    .config_size = sizeof(struct virtio_console_config),
    .read_config = vcon_read_config,
    .reset = vcon_reset,
    .queue_notify = vcon_queue_notify,
    .save = vcon_save,
    .load = vcon_load,
    .quiesced = vcon_quiesced,
};

size_t vcon_port_input(struct vcon *c, unsigned p, const void *buf, size_t len)
{
    struct virtio_dev *d = &c->vdev;
    struct vcon_port *pt = &c->port[p];
    struct virtqueue *vq = &d->vq[rx_queue(p)];
    size_t done = 0;

    g_mutex_lock(&d->lock);
    if ((d->status & VIRTIO_S_DRIVER_OK) &&
        !(d->status & VIRTIO_S_NEEDS_RESET) &&
        (!c->multiport || pt->guest_open)) {
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
        virtio_dev_notify_locked(d, rx_queue(p));
    }
    if (done < len) {
        pt->rx_wanted = true; /* resume when the guest can take more */
    }
    pt->rx_bytes += done;
    if (p == 0) {
        c->rx_bytes = pt->rx_bytes;
    }
    g_mutex_unlock(&d->lock);
    return done;
}

void vcon_port_tx_resume(struct vcon *c, unsigned p)
{
    struct virtio_dev *d = &c->vdev;

    g_mutex_lock(&d->lock);
    virtio_dev_queue_notify_locked(d, rx_queue(p) + 1);
    g_mutex_unlock(&d->lock);
}

void vcon_port_set_host_open(struct vcon *c, unsigned p, bool open)
{
    struct virtio_dev *d = &c->vdev;
    struct vcon_port *pt = &c->port[p];

    g_mutex_lock(&d->lock);
    if (pt->host_open != open) {
        pt->host_open = open;
        /* Before PORT_READY the state goes out with the port's name. */
        if (pt->ready) {
            vcon_ctrl_send(c, p, VIRTIO_CONSOLE_PORT_OPEN, open, false);
            vcon_ctrl_flush(c);
        }
    }
    g_mutex_unlock(&d->lock);
}

size_t vcon_input(struct vcon *c, const void *buf, size_t len)
{
    return vcon_port_input(c, 0, buf, len);
}

void vcon_tx_resume(struct vcon *c)
{
    vcon_port_tx_resume(c, 0);
}

static void init_common(struct vcon *c,
                        unsigned nr,
                        const struct virtio_dev_ops *ops,
                        const struct guest_mem *gm,
                        struct irq_line *irq)
{
    c->nr_ports = nr;
    for (unsigned p = 0; p < nr; p++) {
        c->port[p].tx_elem = g_new0(struct vq_elem, 1);
        c->port[p].host_open = true;
    }
    c->rx_elem = g_new0(struct vq_elem, 1);
    c->ctrl_elem = g_new0(struct vq_elem, 1);
    virtio_dev_init(&c->vdev, ops, c, gm, irq);
}

void vcon_init(struct vcon *c,
               struct vcon_sink *sink,
               const struct guest_mem *gm,
               struct irq_line *irq)
{
    memset(c, 0, sizeof(*c));
    c->port[0].sink = sink;
    init_common(c, 1, &vcon_ops, gm, irq);
}

void vcon_init_ports(struct vcon *c,
                     unsigned nr,
                     const char *const *names,
                     struct vcon_sink *const *sinks,
                     const struct guest_mem *gm,
                     struct irq_line *irq)
{
    g_assert(nr >= 1 && nr <= VCON_MAX_PORTS);
    memset(c, 0, sizeof(*c));
    c->multiport = true;
    for (unsigned p = 0; p < nr; p++) {
        c->port[p].sink = sinks[p];
        g_strlcpy(c->port[p].name, names[p], sizeof(c->port[p].name));
    }
    init_common(c, nr, &vcon_multiport_ops, gm, irq);
}

void vcon_cleanup(struct vcon *c)
{
    virtio_dev_cleanup(&c->vdev);
    for (unsigned p = 0; p < c->nr_ports; p++) {
        g_free(c->port[p].tx_elem);
    }
    g_free(c->rx_elem);
    g_free(c->ctrl_elem);
}
