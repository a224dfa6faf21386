/*
 * net.h: virtio-net with one receive/transmit queue pair (virtio v1.2 §5.1):
 * MAC address, link status, mergeable RX buffers, MTU advice, and the
 * checksum/segmentation offloads the backend can carry (TAP).
 *
 * Guest frames that cannot be right (no header, shorter than an Ethernet
 * header, longer than NET_MAX_FRAME, checksum offsets outside the frame,
 * offloads that were not negotiated) are dropped and counted; the chain
 * goes back to the guest.  Frames for the guest wait, not dropped, while
 * the guest has no RX buffers: the backend holds them and stops reading
 * until the guest adds buffers (rx_ready).
 */
#ifndef HUSK_VIRTIO_NET_H
#define HUSK_VIRTIO_NET_H

#include "devices/backend/net_backend.h"
#include "devices/virtio/virtio.h"

#define VNET_RX 0
#define VNET_TX 1
#define VNET_QUEUE_SIZE 256

struct vnet {
    struct virtio_dev vdev;
    struct net_backend *be;
    uint8_t mac[6];
    uint16_t mtu; /* advised to the guest; 0: not offered */
    /* TX: the chain being sent; kept while the backend says -EAGAIN. */
    struct vq_elem *tx_elem;
    bool tx_pending;
    uint8_t tx_hdr[NET_HDR_LEN]; /* its header, copied once and checked */
    struct iovec *tx_iov;
    unsigned reset_gen; /* a reset while a frame was being sent */
    /* RX: scratch for popping, and the chains of one frame. */
    struct vq_elem *rx_elem;
    struct iovec *rx_iov; /* VQ_MAX_SG entries shared by the chains */
    bool rx_wanted;       /* a frame waits for buffers */
    /* Counters (tests, debug log). */
    unsigned long tx_frames, tx_bytes, tx_dropped;
    unsigned long rx_frames, rx_bytes, rx_dropped;
};

extern const struct virtio_dev_ops vnet_ops;

/* Takes ownership of be and points be->dev at n. */
void vnet_init(struct vnet *n,
               struct net_backend *be,
               const uint8_t mac[6],
               uint16_t mtu,
               const struct guest_mem *gm,
               struct irq_line *irq);
void vnet_cleanup(struct vnet *n);

#endif
