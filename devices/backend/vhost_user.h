/*
 * vhost_user.h: the frontend's end of a vhost-user connection (QEMU
 * docs/interop/vhost-user.rst, "Communication" and "Front-end message
 * types"): message framing on the UNIX stream socket, descriptors passed
 * with SCM_RIGHTS, replies and REPLY_ACK.
 *
 * Trust boundary: the backend is another program, possibly broken or
 * hostile.  Every reply is read into a buffer of ours of fixed size with
 * its header checked (version, REPLY flag, request, exact size) before a
 * field is used; descriptors a backend attaches are never installed (no
 * control buffer on receive); every wait is bounded by VHU_REPLY_MS and
 * by the VM's stopping().  A failed exchange marks the connection dead
 * with the reason, and every later call fails at once with -EPIPE: the
 * stream may be out of step, so nothing more is read from it.
 */
#ifndef HUSK_VHOST_USER_H
#define HUSK_VHOST_USER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/vmctl.h"

/* A backend gets this long to answer one message (virtiofsd's
 * GET_VRING_BASE waits for the requests its threads are running). */
#define VHU_REPLY_MS 5000
/* ... and this long for the first, while it starts up (a freshly started
 * program loads its libraries, binds its ports, enters its sandbox). */
#define VHU_START_MS 10000

enum vhu_request {
    VHU_GET_FEATURES = 1,
    VHU_SET_FEATURES = 2,
    VHU_SET_OWNER = 3,
    VHU_SET_MEM_TABLE = 5,
    VHU_SET_VRING_NUM = 8,
    VHU_SET_VRING_ADDR = 9,
    VHU_SET_VRING_BASE = 10,
    VHU_GET_VRING_BASE = 11,
    VHU_SET_VRING_KICK = 12,
    VHU_SET_VRING_CALL = 13,
    VHU_SET_VRING_ERR = 14,
    VHU_GET_PROTOCOL_FEATURES = 15,
    VHU_SET_PROTOCOL_FEATURES = 16,
    VHU_GET_QUEUE_NUM = 17,
    VHU_SET_VRING_ENABLE = 18,
    VHU_GET_CONFIG = 24,
};

/* Virtio feature bit 30, offered by a backend that has protocol
 * features; never offered to the guest. */
#define VHU_F_PROTOCOL_FEATURES 30

/* Protocol features husk uses. */
#define VHU_PF_MQ 0
#define VHU_PF_REPLY_ACK 3
#define VHU_PF_CONFIG 9

#define VHU_MAX_REGIONS 8
#define VHU_MAX_CONFIG 256

/* Message header flags. */
#define VHU_FLAG_VERSION 0x1
#define VHU_FLAG_REPLY 0x4
#define VHU_FLAG_NEED_REPLY 0x8

/* A region of the memory table: guest-physical, size, our address. */
struct vhu_region {
    uint64_t gpa, size, hva, offset;
};

struct vhu_conn {
    int fd;
    char name[64];     /* "virtiofsd for share 'src'": who, for messages */
    uint64_t features; /* the backend's GET_FEATURES */
    uint64_t protocol_features; /* negotiated (ours & theirs) */
    bool dead;
    char why[160];      /* why it died, for the message */
    struct vm_ctl *ctl; /* its stopping() ends waits; may be NULL */
    unsigned reply_ms;  /* VHU_REPLY_MS; tests make it shorter */
};

/*
 * Takes ownership of fd (a connected stream socket) and negotiates:
 * SET_OWNER, GET_FEATURES, and with protocol features
 * GET/SET_PROTOCOL_FEATURES (REPLY_ACK, CONFIG, MQ as offered); with MQ,
 * GET_QUEUE_NUM must cover nr_queues.  0 or -errno, c->why saying what
 * the backend did.  Setup thread.
 */
int vhu_open(struct vhu_conn *c, int fd, const char *name, unsigned nr_queues);
void vhu_close(struct vhu_conn *c);

/* The messages.  Each returns 0 or -errno (the connection then dead,
 * c->why set).  Callers serialize (the device lock). */
int vhu_set_features(struct vhu_conn *c, uint64_t features);
int vhu_set_mem_table(struct vhu_conn *c,
                      const struct vhu_region *r,
                      unsigned n,
                      int mem_fd);
int vhu_set_vring_num(struct vhu_conn *c, unsigned q, unsigned num);
int vhu_set_vring_base(struct vhu_conn *c, unsigned q, unsigned base);
int vhu_set_vring_addr(struct vhu_conn *c,
                       unsigned q,
                       uint64_t desc,
                       uint64_t used,
                       uint64_t avail);
/* SET_VRING_KICK / CALL / ERR with eventfd fd. */
int vhu_set_vring_fd(struct vhu_conn *c,
                     enum vhu_request req,
                     unsigned q,
                     int fd);
int vhu_set_vring_enable(struct vhu_conn *c, unsigned q, bool on);
/* Stops queue q; *base: the backend's next avail index. */
int vhu_get_vring_base(struct vhu_conn *c, unsigned q, uint32_t *base);
/* Reads len bytes of device config at off (off + len <= VHU_MAX_CONFIG). */
int vhu_get_config(struct vhu_conn *c, unsigned off, void *buf, unsigned len);

/* True if the backend negotiated protocol feature bit. */
static inline bool vhu_has_pf(const struct vhu_conn *c, unsigned bit)
{
    return (c->protocol_features >> bit) & 1;
}

/*
 * Called when the socket became readable or hung up outside an exchange
 * (the I/O thread's watch, under the caller's lock): a backend may send
 * nothing unasked on this socket, so EOF, an error or a message all mean
 * it is gone or broken.  Returns true if the connection is now dead.
 */
bool vhu_poll_idle(struct vhu_conn *c);

#endif
