/*
 * net_tap.h: a Linux TAP device as a network backend (the kernel's
 * Documentation/networking/tuntap.rst): frames with a virtio-net header
 * (IFF_VNET_HDR), so checksum and segmentation offloads go straight
 * through.
 */
#ifndef HUSK_NET_TAP_H
#define HUSK_NET_TAP_H

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

#include "devices/backend/net_backend.h"

/*
 * Opens TAP device `name` (created if it does not exist, which needs
 * CAP_NET_ADMIN), or adopts fd (>= 0) opened by a privileged parent.
 * Errors: HUSK_EXIT_UNAVAILABLE (no /dev/net/tun, no permission, not a
 * TAP device, device busy), each with the fix in the message.
 */
struct net_backend *net_tap_open(const char *name,
                                 int fd,
                                 GMainContext *ctx,
                                 GError **errp);

/* The same TAP device opened and set up (IFF_VNET_HDR with a 12-byte
 * header when it can), as a descriptor, for the kernel's vhost-net to
 * serve: *vnet_hdr, and the VIRTIO_NET_F_* offloads it can carry.  -1
 * with the same errors. */
int net_tap_open_fd(const char *name,
                    int fd,
                    bool *vnet_hdr,
                    uint64_t *offloads,
                    GError **errp);

/* TUNSETOFFLOAD for the GUEST_* offloads among features (what the guest
 * accepted to receive). */
void net_tap_set_offloads(int fd, uint64_t features);

#endif
