/*
 * virtio_state.c: a virtio device's common state in a snapshot: the
 * transport's registers (virtio v1.2 §4.2.2), each split queue's
 * geometry and indices (§2.7), and the device's own fields (its ops'
 * save and load).
 *
 * Trust boundary: a loaded state is as hostile as a guest's register
 * writes.  Every field is bounded (lib/state.h); a queue is set up again
 * through vq_activate(), the check the driver's own QueueReady goes
 * through, so rings outside guest RAM or overlapping are refused.  A
 * snapshot is taken with nothing in flight, so each active queue must
 * have as many chains used as it popped.
 */
#define G_LOG_DOMAIN "husk"
#include "devices/virtio/virtio.h"

#include <stdio.h>
#include <string.h>

#define VIRTIO_STATUS_BITS 0xcfu /* every bit §2.1 defines */

void virtio_dev_save(struct virtio_dev *d, struct st_writer *w)
{
    g_mutex_lock(&d->lock);
    st_put_u64(w, "device_id", d->ops->device_id);
    st_put_u64(w, "host_features", d->host_features);
    st_put_u64(w, "guest_features", d->guest_features);
    st_put_bool(w, "features_refused", d->features_refused);
    st_put_u64(w, "status", d->status);
    st_put_u64(w, "isr", d->isr);
    st_put_u64(w, "queue_sel", d->queue_sel);
    st_put_u64(w, "dev_feat_sel", d->dev_feat_sel);
    st_put_u64(w, "drv_feat_sel", d->drv_feat_sel);
    st_put_u64(w, "config_gen", d->config_gen);
    for (unsigned q = 0; q < d->ops->num_queues; q++) {
        const struct virtqueue *vq = &d->vq[q];
        char k[32];

#define PUT(name, v)                               \
    do {                                           \
        snprintf(k, sizeof(k), "q%u.%s", q, name); \
        st_put_u64(w, k, v);                       \
    } while (0)
        PUT("size", vq->size);
        PUT("ready", vq->ready);
        PUT("desc", vq->desc_gpa);
        PUT("avail", vq->avail_gpa);
        PUT("used", vq->used_gpa);
        PUT("active", vq->active);
        PUT("broken", vq->broken);
        PUT("last_avail", vq->last_avail);
        PUT("used_idx", vq->used_idx);
        PUT("signalled_used", vq->signalled_used);
        PUT("signalled_valid", vq->signalled_valid);
#undef PUT
    }
    if (d->ops->save) {
        d->ops->save(d, w);
    }
    g_mutex_unlock(&d->lock);
}

bool virtio_dev_quiesced(struct virtio_dev *d)
{
    bool idle;

    g_mutex_lock(&d->lock);
    idle = !d->ops->quiesced || d->ops->quiesced(d);
    g_mutex_unlock(&d->lock);
    return idle;
}

int virtio_dev_suspend(struct virtio_dev *d)
{
    int r = 0;

    g_mutex_lock(&d->lock);
    if (d->ops->suspend && (d->status & VIRTIO_S_DRIVER_OK)) {
        r = d->ops->suspend(d);
    }
    g_mutex_unlock(&d->lock);
    return r;
}

void virtio_dev_resume(struct virtio_dev *d)
{
    g_mutex_lock(&d->lock);
    if (d->ops->resume) {
        d->ops->resume(d);
    }
    g_mutex_unlock(&d->lock);
}

static void load_queue(struct virtio_dev *d, unsigned q, struct st_reader *r)
{
    struct virtqueue *vq = &d->vq[q];
    bool active, broken, sig_valid;
    uint16_t last_avail, used_idx, sig_used;
    char k[32];

#define GET(name, min, max) \
    (snprintf(k, sizeof(k), "q%u.%s", q, name), st_get_u64(r, k, min, max))
    vq->size = (uint16_t)GET("size", 0, vq->max_size);
    vq->ready = GET("ready", 0, 1);
    vq->desc_gpa = GET("desc", 0, UINT64_MAX);
    vq->avail_gpa = GET("avail", 0, UINT64_MAX);
    vq->used_gpa = GET("used", 0, UINT64_MAX);
    active = GET("active", 0, 1);
    broken = GET("broken", 0, 1);
    last_avail = (uint16_t)GET("last_avail", 0, UINT16_MAX);
    used_idx = (uint16_t)GET("used_idx", 0, UINT16_MAX);
    sig_used = (uint16_t)GET("signalled_used", 0, UINT16_MAX);
    sig_valid = GET("signalled_valid", 0, 1);
#undef GET
    if (st_failed(r) || !active) {
        vq->active = false;
        return;
    }
    if (!vq->ready) {
        st_fail(r, "queue %u is active but not ready", q);
        return;
    }
    if (vq_activate(vq, virtio_has_feature(d, VIRTIO_F_EVENT_IDX),
                    virtio_has_feature(d, VIRTIO_F_INDIRECT_DESC)) < 0) {
        st_fail(r, "queue %u: its rings are not valid in guest memory", q);
        return;
    }
    if (last_avail != used_idx) {
        st_fail(r, "queue %u has %u requests in flight", q,
                (unsigned)(uint16_t)(last_avail - used_idx));
        vq->active = false;
        return;
    }
    {
        /* used->idx in guest memory is what the device last published. */
        uint16_t published;

        memcpy(&published, vq->used + 2, sizeof(published));
        if (published != used_idx) {
            st_fail(r,
                    "queue %u: the used ring says %u, the device state %u "
                    "(memory and state are not from one snapshot)",
                    q, published, used_idx);
            vq->active = false;
            return;
        }
    }
    vq->last_avail = last_avail;
    vq->used_idx = used_idx;
    vq->broken = broken;
    vq->signalled_used = sig_used;
    vq->signalled_valid = sig_valid;
}

bool virtio_dev_load(struct virtio_dev *d, struct st_reader *r)
{
    uint64_t host;

    g_mutex_lock(&d->lock);
    if (st_get_u64(r, "device_id", 0, UINT32_MAX) != d->ops->device_id &&
        !st_failed(r)) {
        st_fail(r, "the device is not a %s", d->ops->name);
    }
    host = st_get_u64(r, "host_features", 0, UINT64_MAX);
    if (!st_failed(r) && host != d->host_features) {
        st_fail(r,
                "%s offered features 0x%" G_GINT64_MODIFIER
                "x, this one offers 0x%" G_GINT64_MODIFIER
                "x (another configuration)",
                d->ops->name, host, d->host_features);
    }
    d->guest_features = st_get_u64(r, "guest_features", 0, d->host_features);
    d->features_refused = st_get_bool(r, "features_refused");
    d->status = (uint32_t)st_get_u64(r, "status", 0, VIRTIO_STATUS_BITS);
    if (d->status & ~VIRTIO_STATUS_BITS) {
        st_fail(r, "status 0x%x", d->status);
    }
    d->isr =
        (uint32_t)st_get_u64(r, "isr", 0, VIRTIO_ISR_QUEUE | VIRTIO_ISR_CONFIG);
    d->queue_sel = (uint32_t)st_get_u64(r, "queue_sel", 0, UINT32_MAX);
    d->dev_feat_sel = (uint32_t)st_get_u64(r, "dev_feat_sel", 0, UINT32_MAX);
    d->drv_feat_sel = (uint32_t)st_get_u64(r, "drv_feat_sel", 0, UINT32_MAX);
    d->config_gen = (uint32_t)st_get_u64(r, "config_gen", 0, UINT32_MAX);
    for (unsigned q = 0; q < d->ops->num_queues && !st_failed(r); q++) {
        load_queue(d, q, r);
    }
    if (!st_failed(r) && d->ops->load) {
        d->ops->load(d, r);
    }
    if (!st_failed(r) && (d->status & VIRTIO_S_DRIVER_OK) && d->ops->activate &&
        d->ops->activate(d) < 0) {
        st_fail(r, "%s cannot be started again", d->ops->name);
    }
    if (st_failed(r)) {
        for (unsigned q = 0; q < d->ops->num_queues; q++) {
            vq_reset(&d->vq[q]);
        }
        d->status = 0;
    }
    g_mutex_unlock(&d->lock);
    return !st_failed(r);
}

void virtio_dev_kick_all(struct virtio_dev *d)
{
    g_mutex_lock(&d->lock);
    for (unsigned q = 0; q < d->ops->num_queues; q++) {
        if ((d->status & VIRTIO_S_DRIVER_OK) && d->vq[q].active && d->kick) {
            d->kick(d, q);
        }
    }
    g_mutex_unlock(&d->lock);
}
