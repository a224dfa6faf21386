/*
 * slirp_stack.h: one libslirp instance on a GMainContext, exchanging
 * Ethernet frames through a callback (out) and a call (in).  Used by the
 * husk-slirp helper (vmm/slirp_helper.c), the unit tests and the fuzzer.
 */
#ifndef HUSK_SLIRP_STACK_H
#define HUSK_SLIRP_STACK_H

#include <glib.h>
#include <stdbool.h>
#include <stddef.h>

#include "devices/backend/net_user.h"

#define SLIRP_STACK_MAX_FRAME 65550

struct slirp_stack;

/* A frame for the guest: 1 if taken, 0 if there is no room now (the stack
 * keeps it, stops reading host sockets, and offers it again after
 * slirp_stack_resume). */
typedef int (*slirp_output_fn)(void *opaque, const void *frame, size_t len);

struct slirp_stack *slirp_stack_new(const struct net_user_opts *o,
                                    GMainContext *ctx,
                                    slirp_output_fn output,
                                    void *opaque,
                                    GError **errp);
void slirp_stack_free(struct slirp_stack *s);

/* A frame from the guest. */
void slirp_stack_input(struct slirp_stack *s, const void *frame, size_t len);

/* The output has room again. */
void slirp_stack_resume(struct slirp_stack *s);

/* Frames dropped (queue for the guest full, or oversized input). */
unsigned long slirp_stack_dropped(struct slirp_stack *s);

/* Guest IPv4 fragments dropped before slirp (see slirp_stack_input: one
 * crashes libslirp 4.7.0), and the test for one. */
unsigned long slirp_stack_fragments(struct slirp_stack *s);
bool slirp_stack_is_ipv4_fragment(const void *frame, size_t len);

const char *slirp_stack_version(void);

#endif
