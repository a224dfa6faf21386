/*
 * net_tap.c: TAP devices (tuntap.rst: TUNSETIFF, TUNSETVNETHDRSZ,
 * TUNSETOFFLOAD).  Frames are read and written whole through net_fd.c.
 *
 * Offloads: with a virtio-net header the kernel takes partially
 * checksummed and GSO frames from us whatever we say (so the guest may
 * send them: CSUM, HOST_TSO4/6, HOST_ECN), and TUNSETOFFLOAD says which
 * of them we may receive, which is what the guest accepted (GUEST_*).
 */
#define G_LOG_DOMAIN "husk"
#include "devices/backend/net_tap.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <linux/virtio_net.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "devices/backend/net_fd.h"
#include "lib/error.h"

#define TX_OFFLOADS                                                   \
    ((1ULL << VIRTIO_NET_F_CSUM) | (1ULL << VIRTIO_NET_F_HOST_TSO4) | \
     (1ULL << VIRTIO_NET_F_HOST_TSO6) | (1ULL << VIRTIO_NET_F_HOST_ECN))
#define RX_OFFLOADS                                                          \
    ((1ULL << VIRTIO_NET_F_GUEST_CSUM) | (1ULL << VIRTIO_NET_F_GUEST_TSO4) | \
     (1ULL << VIRTIO_NET_F_GUEST_TSO6) | (1ULL << VIRTIO_NET_F_GUEST_ECN))

static unsigned tun_flags(uint64_t f)
{
    unsigned t = 0;

    if (f & (1ULL << VIRTIO_NET_F_GUEST_CSUM)) {
        t |= TUN_F_CSUM;
        if (f & (1ULL << VIRTIO_NET_F_GUEST_TSO4)) {
            t |= TUN_F_TSO4;
        }
        if (f & (1ULL << VIRTIO_NET_F_GUEST_TSO6)) {
            t |= TUN_F_TSO6;
        }
        if ((f & (1ULL << VIRTIO_NET_F_GUEST_ECN)) &&
            (t & (TUN_F_TSO4 | TUN_F_TSO6))) {
            t |= TUN_F_TSO_ECN;
        }
    }
    return t;
}

void net_tap_set_offloads(int fd, uint64_t features)
{
    if (ioctl(fd, TUNSETOFFLOAD, tun_flags(features)) < 0) {
        g_debug("tap: TUNSETOFFLOAD: %s", g_strerror(errno));
    }
}

/* Sets the error (exit 69) and closes fd if it is ours (>= 0); -1. */
static G_GNUC_PRINTF(3, 4) int fail(int fd, GError **errp, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    g_propagate_error(
        errp, g_error_new_valist(HUSK_ERROR, HUSK_EXIT_UNAVAILABLE, fmt, ap));
    va_end(ap);
    if (fd >= 0) {
        close(fd);
    }
    return -1;
}

int net_tap_open_fd(const char *name,
                    int fd,
                    bool *vnet_hdr_out,
                    uint64_t *offloads_out,
                    GError **errp)
{
    struct ifreq ifr;
    int hdr = NET_HDR_LEN;
    uint64_t offloads = 0;
    bool vnet_hdr;

    memset(&ifr, 0, sizeof(ifr));
    if (fd >= 0) {
        /* Handed over: it must be a TAP device; use its header setting. */
        if (ioctl(fd, TUNGETIFF, &ifr) < 0 || !(ifr.ifr_flags & IFF_TAP)) {
            return fail(-1, errp, "descriptor: not a TAP device");
        }
        if (ifr.ifr_flags & IFF_NO_PI) {
            vnet_hdr = (ifr.ifr_flags & IFF_VNET_HDR) != 0;
        } else {
            return fail(-1, errp,
                        "descriptor: the TAP device must be "
                        "opened with IFF_NO_PI");
        }
    } else {
        if (strlen(name) >= IFNAMSIZ) {
            return fail(-1, errp,
                        "TAP device %s: name longer than 15 "
                        "characters",
                        name);
        }
        fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);
        if (fd < 0) {
            return fail(-1, errp, "TAP device %s: cannot open /dev/net/tun: %s",
                        name,
                        errno == ENOENT ? "no such device (modprobe tun)"
                                        : g_strerror(errno));
        }
        ifr.ifr_flags = IFF_TAP | IFF_NO_PI | IFF_VNET_HDR;
        g_strlcpy(ifr.ifr_name, name, IFNAMSIZ);
        if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
            if (errno == EPERM) {
                return fail(fd, errp,
                            "TAP device %s: not allowed: creating a TAP device "
                            "needs CAP_NET_ADMIN; or create it once as root "
                            "(ip tuntap add %s mode tap user $USER)",
                            name, name);
            }
            return fail(fd, errp, "TAP device %s: %s", name,
                        errno == EBUSY ? "in use by another process"
                                       : g_strerror(errno));
        }
        vnet_hdr = true;
    }
    if (vnet_hdr && ioctl(fd, TUNSETVNETHDRSZ, &hdr) < 0) {
        vnet_hdr = false;
    }
    if (vnet_hdr) {
        offloads = TX_OFFLOADS;
        /* Which receive offloads does this kernel know?  Nothing is on
         * until the guest accepts them (set_offloads). */
        if (ioctl(fd, TUNSETOFFLOAD,
                  TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6 | TUN_F_TSO_ECN) == 0) {
            offloads |= RX_OFFLOADS;
        }
        ioctl(fd, TUNSETOFFLOAD, 0);
    }
    *vnet_hdr_out = vnet_hdr;
    *offloads_out = offloads;
    return fd;
}

struct net_backend *net_tap_open(const char *name,
                                 int fd,
                                 GMainContext *ctx,
                                 GError **errp)
{
    bool vnet_hdr;
    uint64_t offloads;

    fd = net_tap_open_fd(name, fd, &vnet_hdr, &offloads, errp);
    if (fd < 0) {
        return NULL;
    }
    return net_fd_new(fd, vnet_hdr, offloads,
                      vnet_hdr ? net_tap_set_offloads : NULL, "tap", ctx);
}
