/*
 * user_net.h: `--net user`: husk-slirp, husk's vhost-user-net backend on
 * libslirp (husk-slirp/main.c), started for each such NIC.
 *
 * Why a process: husk stays a static binary (Debian ships libslirp only
 * as a shared library, which would bring a second, dynamic glib), and
 * slirp, the guest-facing stack with the longest CVE list, lives in a
 * process of its own, sandboxed; as a vhost-user backend it serves the
 * rings itself, so a frame costs one wakeup (kick -> husk-slirp ->
 * irqfd), not three.
 */
#ifndef HUSK_USER_NET_H
#define HUSK_USER_NET_H

#include <glib.h>

#include "devices/backend/net_user.h"
#include "vmm/backend_proc.h"

/* Where husk finds husk-slirp: $HUSK_SLIRP, next to the running husk,
 * or the install's libexec directory.  New string, or NULL. */
char *unet_program(void);

/*
 * Starts husk-slirp with these options and returns husk's end of its
 * vhost-user socket, or -1 (no program: status 69).  helper_sandbox in o
 * goes on as --sandbox=.
 */
int unet_start(const struct net_user_opts *o,
               const char *program,
               struct backend_proc *p,
               GError **errp);

/* It did not come up (the handshake failed): its one line (a port that
 * cannot listen, ...) after label, and its exit status, become *errp. */
void unet_failed(struct backend_proc *p, const char *label, GError **errp);

#endif
