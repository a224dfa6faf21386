/*
 * vhost_user_serve.h: the backend's end of a vhost-user connection (QEMU
 * docs/interop/vhost-user.rst, "Back-end" side of "Front-end message
 * types", "Ring states"), serving the queues of one virtio device whose
 * logic runs in this process (husk-slirp: husk's virtio-net on slirp).
 *
 * The frontend (husk, QEMU, any other) owns the transport; this end maps
 * the guest RAM it is given, turns ring addresses (the frontend's own
 * addresses) into guest-physical ones through that table, and runs a ring
 * once it has a size, addresses, a kick eventfd and is enabled; it stops
 * it at GET_VRING_BASE and answers with the next avail index.
 *
 * Trust: messages are checked (header, exact sizes, indices, regions
 * inside the files they map) though a frontend is normally the more
 * trusted side; the rings are guest data and go through virtqueue.c.
 * A malformed ring signals the queue's error eventfd (SET_VRING_ERR).
 */
#ifndef HUSK_VHOST_USER_SERVE_H
#define HUSK_VHOST_USER_SERVE_H

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

#include "devices/backend/vhost_user.h"
#include "devices/virtio/virtio.h"

struct vus;

/*
 * Serves dev's queues on the connected socket fd (ownership passes).  gm
 * is the guest memory dev was made with: the frontend's table fills it.
 * features: the virtio features offered (VERSION_1 must be among them;
 * VHOST_USER_F_PROTOCOL_FEATURES is added).  Kick watches go on ctx.
 * dev's queue interrupts go to each queue's call eventfd (dev->queue_irq).
 */
struct vus *vus_new(int fd,
                    struct virtio_dev *dev,
                    struct guest_mem *gm,
                    uint64_t features,
                    GMainContext *ctx);

/* Handles what arrived on the socket.  False once the frontend is gone
 * (EOF) or broke the protocol: the caller ends. */
bool vus_dispatch(struct vus *s);

int vus_fd(const struct vus *s);

/* Stops every ring, unmaps guest RAM, closes the descriptors. */
void vus_free(struct vus *s);

#endif
