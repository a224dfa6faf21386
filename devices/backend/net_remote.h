/*
 * net_remote.h: virtio-net queues served by another process, husk-slirp
 * (husk's own small cousin of vhost-user, virtio v1.2 §2.7 split rings
 * shared between two processes).
 *
 * husk keeps the transport (registers, features, status, config space);
 * at DRIVER_OK it hands the helper guest RAM (a memfd), the queues'
 * addresses, the two kick eventfds KVM signals on QueueNotify, the irqfd
 * and a shared interrupt-status word.  The helper then runs husk's own
 * virtio-net and virtqueue code (net.c, virtqueue.c) against slirp in its
 * process: a ping costs one wakeup (kick -> helper -> irqfd), as in QEMU,
 * where going through husk's I/O thread cost three.
 *
 * Two SOCK_SEQPACKET sockets between them:
 *   control (the helper's fd 3): husk's START and STOP, each answered by
 *     DONE before husk goes on (under the device lock); the start-up
 *     handshake ('R', or 'E' status text) comes on it first.
 *   events (fd 4): the helper's BROKEN (a malformed ring: husk sets
 *     NEEDS_RESET), read on husk's I/O thread.
 * STOP returns only once the helper no longer touches guest memory; a
 * helper that does not answer within NETR_REPLY_MS is killed.
 *
 * Trust: the helper trusts husk's messages (husk started it); husk trusts
 * nothing from the helper but the two bits of the ISR word.  Both treat
 * the rings as guest data (virtqueue.h).
 */
#ifndef HUSK_NET_REMOTE_H
#define HUSK_NET_REMOTE_H

#include <glib.h>
#include <stdint.h>
#include <sys/types.h>

#include "devices/backend/net_backend.h"
#include "lib/guest_mem.h"

#define NETR_REPLY_MS 2000

enum netr_msg {
    NETR_START = 0x52545301, /* husk -> helper, with NETR_START_FDS fds */
    NETR_STOP,               /* husk -> helper */
    NETR_DONE,               /* helper -> husk: the answer to either */
    NETR_BROKEN,             /* helper -> husk, on the event socket */
};

/* START carries: guest RAM, kick of queue 0 and 1, irqfd, ISR word. */
enum {
    NETR_FD_MEM,
    NETR_FD_KICK0,
    NETR_FD_KICK1,
    NETR_FD_IRQ,
    NETR_FD_ISR,
    NETR_START_FDS
};

/* Guest RAM as a file: region i is [gpa, gpa + size) at offset. */
struct netr_region {
    uint64_t gpa, size, offset;
};

struct netr_queue {
    uint64_t desc, avail, used;
    uint32_t size;
    uint32_t pad;
};

struct netr_start {
    uint32_t msg;
    uint32_t gen;      /* echoed in DONE and BROKEN */
    uint64_t features; /* negotiated */
    uint32_t nr_regions;
    uint32_t pad;
    struct netr_region region[GM_MAX_REGIONS];
    struct netr_queue q[2];
};

struct netr_stop {
    uint32_t msg;
    uint32_t gen;
};

struct netr_done {
    uint32_t msg;
    uint32_t gen;
    int32_t err; /* 0 or -errno */
};

struct netr_broken {
    uint32_t msg;
    uint32_t gen;
    char why[64];
};

/* What the VMM gives a serving backend: guest RAM as a file and the
 * device's eventfds (still the VMM's; the backend passes them on). */
struct netr_env {
    int mem_fd;
    unsigned nr_regions;
    struct netr_region region[GM_MAX_REGIONS];
    int kick_fd[2];
    int irq_fd;
};

/*
 * husk's side: a net_backend whose queues the process pid serves, over
 * the control and event sockets (ownership of both passes here).  The
 * event socket is watched on ctx.  NULL if the shared ISR page cannot be
 * made.
 */
struct net_backend *net_remote_new(int ctl,
                                   int evt,
                                   pid_t pid,
                                   const char *kind,
                                   GMainContext *ctx,
                                   GError **errp);

/* Hands the backend guest RAM and the eventfds (before DRIVER_OK). */
void net_remote_bind(struct net_backend *be, const struct netr_env *env);

/* Sends a message with descriptors (nfds may be 0) on a SEQPACKET
 * socket: 0 or -errno.  Receives one: its length (0 at EOF) or -errno;
 * fds[] gets up to *nfds descriptors, *nfds how many came. */
ssize_t netr_send(int sock,
                  const void *msg,
                  size_t len,
                  const int *fds,
                  unsigned nfds);
ssize_t netr_recv(int sock, void *msg, size_t len, int *fds, unsigned *nfds);

#endif
