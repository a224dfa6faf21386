/*
 * net_remote_serve.h: husk-slirp's end of net_remote.h: it serves a
 * virtio-net device's queues with husk's own device code and the slirp
 * stack in its process.
 */
#ifndef HUSK_NET_REMOTE_SERVE_H
#define HUSK_NET_REMOTE_SERVE_H

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

#include "devices/backend/slirp_stack.h"

struct netr_server;

/* ctl: husk's requests (answered here); evt: where BROKEN goes.  Kick
 * watches go on ctx. */
struct netr_server *netr_server_new(int ctl,
                                    int evt,
                                    uint16_t mtu,
                                    GMainContext *ctx);

/* The stack's output (slirp_output_fn, opaque: the server): a frame for
 * the guest, 0 while the guest has no room or the queues are stopped. */
int netr_server_output(void *opaque, const void *frame, size_t len);

/* The stack frames from the guest go to (created after the server, whose
 * output it takes). */
void netr_server_attach(struct netr_server *s, struct slirp_stack *stack);

/* Handles one message on ctl.  False when husk is gone (EOF) or spoke
 * out of protocol: the helper exits. */
bool netr_server_control(struct netr_server *s);

void netr_server_free(struct netr_server *s);

#endif
