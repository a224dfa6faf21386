/*
 * net_tap.h: a Linux TAP device as a network backend (the kernel's
 * Documentation/networking/tuntap.rst): frames with a virtio-net header
 * (IFF_VNET_HDR), so checksum and segmentation offloads go straight
 * through.
 */
#ifndef HUSK_NET_TAP_H
#define HUSK_NET_TAP_H

#include <glib.h>

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

#endif
