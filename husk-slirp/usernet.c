/*
 * usernet.c: see usernet.h (virtio v1.2 §5.1 on libslirp).
 *
 * Everything in the rings is guest data and goes through the same checks
 * as in husk (virtqueue.c, net.c).
 */
#define G_LOG_DOMAIN "husk-slirp"
#include "husk-slirp/usernet.h"

#include <linux/virtio_net.h>

#include "devices/virtio/net.h"
#include "lib/iov.h"
#include "lib/util.h"

struct usernet {
    struct net_backend be; /* slirp, for the device */
    struct slirp_stack *stack;
    struct vnet net;
    struct guest_mem gm;          /* filled by vhost_user_serve.c's table */
    uint8_t frame[NET_MAX_FRAME]; /* a TX frame made contiguous for slirp */
};

/* guest -> slirp.  slirp parses frames from one buffer. */
static int be_send(struct net_backend *be, const struct iovec *iov, int n)
{
    struct usernet *u = container_of(be, struct usernet, be);
    size_t len = iov_to_buf(iov, (unsigned)n, 0, u->frame, sizeof(u->frame));

    slirp_stack_input(u->stack, u->frame, len);
    return 0;
}

static void be_rx_ready(struct net_backend *be)
{
    struct usernet *u = container_of(be, struct usernet, be);

    slirp_stack_resume(u->stack);
}

static void be_close(struct net_backend *be)
{
}

static const struct net_backend_ops be_ops = {
    .send = be_send,
    .rx_ready = be_rx_ready,
    .close = be_close,
};

int usernet_output(void *opaque, const void *frame, size_t len)
{
    struct usernet *u = opaque;
    struct iovec iov = {(void *)frame, len};

    return vnet_receive(&u->net, &iov, 1);
}

struct usernet *usernet_new(uint16_t mtu)
{
    struct usernet *u = g_new0(struct usernet, 1);
    static const uint8_t no_mac[6];

    u->be = (struct net_backend){
        .ops = &be_ops,
        .rx_csum_valid = true, /* slirp computes every checksum it sends */
        .kind = "user",
    };
    /* The config space is the frontend's: mac here is never read.  No
     * interrupt line: queue interrupts go to the call eventfds. */
    vnet_init(&u->net, &u->be, no_mac, mtu, &u->gm, NULL);
    return u;
}

void usernet_attach(struct usernet *u, struct slirp_stack *stack)
{
    u->stack = stack;
}

struct virtio_dev *usernet_dev(struct usernet *u)
{
    return &u->net.vdev;
}

struct guest_mem *usernet_mem(struct usernet *u)
{
    return &u->gm;
}

uint64_t usernet_features(struct usernet *u)
{
    return u->net.vdev.host_features &
           ~((1ULL << VIRTIO_NET_F_MAC) | (1ULL << VIRTIO_NET_F_STATUS));
}

void usernet_free(struct usernet *u)
{
    vnet_cleanup(&u->net);
    g_free(u);
}
