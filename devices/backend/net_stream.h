/*
 * net_stream.h: a network backend over a stream socket carrying
 * length-prefixed frames (frame_stream.h): husk's end of the husk-slirp
 * helper's socket.  Watched on a GMainContext.
 */
#ifndef HUSK_NET_STREAM_H
#define HUSK_NET_STREAM_H

#include <glib.h>

#include "devices/backend/net_backend.h"

/* Takes ownership of fd (a connected SOCK_STREAM socket). */
struct net_backend *net_stream_new(int fd, const char *kind,
                                   GMainContext *ctx);

#endif
