/*
 * vhost_kernel.c: /dev/vhost-* ioctls (vhost_kernel.h, linux/vhost.h).
 */
#define G_LOG_DOMAIN "husk"
#include "devices/backend/vhost_kernel.h"

#include <errno.h>
#include <glib.h>
#include <linux/vhost.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

static int fail(struct vhk_dev *k, const char *what)
{
    int e = errno;

    g_snprintf(k->why, sizeof(k->why), "refused %s: %s", what, g_strerror(e));
    return -e;
}

int vhk_open(struct vhk_dev *k, int fd)
{
    memset(k, 0, sizeof(*k));
    k->fd = fd;
    if (ioctl(fd, VHOST_SET_OWNER, NULL) < 0) {
        return fail(k, "VHOST_SET_OWNER");
    }
    if (ioctl(fd, VHOST_GET_FEATURES, &k->features) < 0) {
        return fail(k, "VHOST_GET_FEATURES");
    }
    return 0;
}

void vhk_close(struct vhk_dev *k)
{
    if (k->fd >= 0) {
        close(k->fd);
    }
    k->fd = -1;
}

int vhk_set_features(struct vhk_dev *k, uint64_t features)
{
    return ioctl(k->fd, VHOST_SET_FEATURES, &features) < 0
               ? fail(k, "VHOST_SET_FEATURES")
               : 0;
}

int vhk_set_mem_table(struct vhk_dev *k, const struct vhu_region *r, unsigned n)
{
    g_autofree struct vhost_memory *m = NULL;

    if (n > VHU_MAX_REGIONS) {
        errno = EINVAL;
        return fail(k, "a memory table that large");
    }
    m = g_malloc0(sizeof(*m) + n * sizeof(m->regions[0]));
    m->nregions = n;
    for (unsigned i = 0; i < n; i++) {
        m->regions[i] = (struct vhost_memory_region){
            .guest_phys_addr = r[i].gpa,
            .memory_size = r[i].size,
            .userspace_addr = r[i].hva,
        };
    }
    return ioctl(k->fd, VHOST_SET_MEM_TABLE, m) < 0
               ? fail(k, "VHOST_SET_MEM_TABLE")
               : 0;
}

int vhk_set_vring_num(struct vhk_dev *k, unsigned q, unsigned num)
{
    struct vhost_vring_state s = {.index = q, .num = num};

    return ioctl(k->fd, VHOST_SET_VRING_NUM, &s) < 0
               ? fail(k, "VHOST_SET_VRING_NUM")
               : 0;
}

int vhk_set_vring_base(struct vhk_dev *k, unsigned q, unsigned base)
{
    struct vhost_vring_state s = {.index = q, .num = base};

    return ioctl(k->fd, VHOST_SET_VRING_BASE, &s) < 0
               ? fail(k, "VHOST_SET_VRING_BASE")
               : 0;
}

int vhk_set_vring_addr(struct vhk_dev *k,
                       unsigned q,
                       uint64_t desc,
                       uint64_t used,
                       uint64_t avail)
{
    struct vhost_vring_addr a = {
        .index = q,
        .desc_user_addr = desc,
        .used_user_addr = used,
        .avail_user_addr = avail,
    };

    return ioctl(k->fd, VHOST_SET_VRING_ADDR, &a) < 0
               ? fail(k, "VHOST_SET_VRING_ADDR")
               : 0;
}

int vhk_set_vring_fd(struct vhk_dev *k,
                     enum vhu_request which,
                     unsigned q,
                     int fd)
{
    struct vhost_vring_file f = {.index = q, .fd = fd};
    unsigned long req = which == VHU_SET_VRING_KICK   ? VHOST_SET_VRING_KICK
                        : which == VHU_SET_VRING_CALL ? VHOST_SET_VRING_CALL
                                                      : VHOST_SET_VRING_ERR;

    return ioctl(k->fd, req, &f) < 0 ? fail(k, "a ring's eventfd") : 0;
}

int vhk_get_vring_base(struct vhk_dev *k, unsigned q, uint32_t *base)
{
    struct vhost_vring_state s = {.index = q};

    if (ioctl(k->fd, VHOST_GET_VRING_BASE, &s) < 0) {
        return fail(k, "VHOST_GET_VRING_BASE");
    }
    *base = s.num;
    return 0;
}

int vhk_net_set_backend(struct vhk_dev *k, unsigned q, int fd)
{
    struct vhost_vring_file f = {.index = q, .fd = fd};

    return ioctl(k->fd, VHOST_NET_SET_BACKEND, &f) < 0
               ? fail(k, "VHOST_NET_SET_BACKEND")
               : 0;
}

int vhk_vsock_set_cid(struct vhk_dev *k, uint64_t cid)
{
    return ioctl(k->fd, VHOST_VSOCK_SET_GUEST_CID, &cid) < 0
               ? fail(k, "the guest CID")
               : 0;
}

int vhk_vsock_set_running(struct vhk_dev *k, bool on)
{
    int v = on;

    return ioctl(k->fd, VHOST_VSOCK_SET_RUNNING, &v) < 0
               ? fail(k, "VHOST_VSOCK_SET_RUNNING")
               : 0;
}
