/*
 * usernet.h: husk-slirp's device: husk's own virtio-net (devices/virtio/
 * net.c) on the slirp stack, in this process, its queues handed over by a
 * vhost-user frontend (vhost_user_serve.h).  The frontend keeps the config
 * space (MAC, link status, the MTU it advises); this end serves frames.
 */
#ifndef HUSK_SLIRP_USERNET_H
#define HUSK_SLIRP_USERNET_H

#include <stddef.h>
#include <stdint.h>

#include "devices/backend/slirp_stack.h"
#include "devices/virtio/virtio.h"

struct usernet;

struct usernet *usernet_new(uint16_t mtu);

/* The stack's output (slirp_output_fn, opaque: the usernet): a frame for
 * the guest, 0 while the guest has no room or the queues are stopped. */
int usernet_output(void *opaque, const void *frame, size_t len);

/* Where frames from the guest go (made after usernet_new, whose output
 * it takes). */
void usernet_attach(struct usernet *u, struct slirp_stack *stack);

/* The device, and the virtio features offered to the frontend: the
 * transport's and virtio-net's, without the config-space ones (MAC,
 * STATUS), which are the frontend's. */
struct virtio_dev *usernet_dev(struct usernet *u);
struct guest_mem *usernet_mem(struct usernet *u);
uint64_t usernet_features(struct usernet *u);

void usernet_free(struct usernet *u);

#endif
