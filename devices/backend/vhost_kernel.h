/*
 * vhost_kernel.h: the kernel's vhost protocol (Documentation/virt/
 * vhost.rst is thin; the ioctls are linux/vhost.h's): a /dev/vhost-*
 * descriptor that serves virtqueues inside the host kernel.  The same
 * steps as vhost-user (vhost_user.h), as ioctls: SET_OWNER, GET/SET_
 * FEATURES, SET_MEM_TABLE (guest-physical to husk's addresses),
 * SET_VRING_NUM/BASE/ADDR/KICK/CALL/ERR, GET_VRING_BASE at stop, and
 * the device's own switch (vhost-vsock's SET_RUNNING, vhost-net's
 * SET_BACKEND per ring).
 *
 * The kernel is not a hostile peer like a backend process, but its
 * answers are still checked (an error is the device's failure, with the
 * reason kept for the message).  Each call returns 0 or -errno and
 * never blocks: vhost ioctls do not wait for the guest.
 */
#ifndef HUSK_VHOST_KERNEL_H
#define HUSK_VHOST_KERNEL_H

#include <stdbool.h>
#include <stdint.h>

#include "devices/backend/vhost_user.h" /* struct vhu_region */

struct vhk_dev {
    int fd;
    uint64_t features; /* VHOST_GET_FEATURES */
    char why[160];     /* the last failure, for messages */
};

/* Takes fd (an open /dev/vhost-*): SET_OWNER, GET_FEATURES. */
int vhk_open(struct vhk_dev *k, int fd);
void vhk_close(struct vhk_dev *k);

int vhk_set_features(struct vhk_dev *k, uint64_t features);
int vhk_set_mem_table(struct vhk_dev *k,
                      const struct vhu_region *r,
                      unsigned n);
int vhk_set_vring_num(struct vhk_dev *k, unsigned q, unsigned num);
int vhk_set_vring_base(struct vhk_dev *k, unsigned q, unsigned base);
int vhk_set_vring_addr(struct vhk_dev *k,
                       unsigned q,
                       uint64_t desc,
                       uint64_t used,
                       uint64_t avail);
/* VHU_SET_VRING_KICK / CALL / ERR, as the vhost-user requests name them. */
int vhk_set_vring_fd(struct vhk_dev *k,
                     enum vhu_request which,
                     unsigned q,
                     int fd);
int vhk_get_vring_base(struct vhk_dev *k, unsigned q, uint32_t *base);

/* vhost-net: ring q served from TAP descriptor fd (-1: stopped). */
int vhk_net_set_backend(struct vhk_dev *k, unsigned q, int fd);

/* vhost-vsock: the guest's CID (-EADDRINUSE: another VM has it), and
 * the device running or stopped. */
int vhk_vsock_set_cid(struct vhk_dev *k, uint64_t cid);
int vhk_vsock_set_running(struct vhk_dev *k, bool on);

#endif
