/*
 * net_fd.h: a network backend over a descriptor that carries one frame per
 * read(2)/write(2): a TAP device (net_tap.c) or a SOCK_SEQPACKET/SOCK_DGRAM
 * socket (the unit tests' socketpair).  Watched on a GMainContext: the I/O
 * thread's, or a test's that it iterates itself.
 */
#ifndef HUSK_NET_FD_H
#define HUSK_NET_FD_H

#include <glib.h>

#include "devices/backend/net_backend.h"

/* Programs the guest's accepted offloads into fd (TAP's TUNSETOFFLOAD). */
typedef void (*net_fd_offload_fn)(int fd, uint64_t features);

/* Takes ownership of fd (made non-blocking).  vnet_hdr: frames carry a
 * NET_HDR_LEN header both ways; offloads: VIRTIO_NET_F_* bits it handles;
 * set_offloads may be NULL. */
struct net_backend *net_fd_new(int fd,
                               bool vnet_hdr,
                               uint64_t offloads,
                               net_fd_offload_fn set_offloads,
                               const char *kind,
                               GMainContext *ctx);

#endif
