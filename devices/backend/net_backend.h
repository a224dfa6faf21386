/*
 * net_backend.h: what a virtio-net device asks of the network behind it.
 * The device never sees a file descriptor or a slirp instance; backends:
 * net_tap.c (a TAP device), net_fd.c (frames on a datagram descriptor,
 * which TAP and the tests use), and in husk-slirp's process the slirp
 * stack (husk-slirp/usernet.c; --net user is a vhost-user device in husk,
 * vhost_user_dev.h).
 *
 * Threads: frames, both ways, move on the I/O thread; set_offloads comes
 * from the transport, on whichever thread wrote the register.
 */
#ifndef HUSK_NET_BACKEND_H
#define HUSK_NET_BACKEND_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/uio.h>

struct vnet;
struct net_backend;
struct virtio_dev;

/* The virtio-net header (virtio v1.2 §5.1.6, struct virtio_net_hdr_v1 with
 * num_buffers): 12 bytes in front of every frame in a virtqueue. */
#define NET_HDR_LEN 12

/* Largest Ethernet frame a backend or the guest may hand over: 64 KiB of
 * GSO payload plus headers (as QEMU's NET_BUFSIZE and Linux's 65550). */
#define NET_MAX_FRAME 65550

struct net_backend_ops {
    /*
     * Guest to world: one frame, preceded by a NET_HDR_LEN header when
     * be->vnet_hdr.  0 when it was sent or dropped (the backend counts
     * drops), -EAGAIN when the backend cannot take it now: the device
     * keeps the frame and sends it again after vnet_tx_resume().
     */
    int (*send)(struct net_backend *be, const struct iovec *iov, int n);
    /* The end of a run of sends: push out what send buffered.  Optional
     * (backends that write each frame at once have nothing to do). */
    void (*flush)(struct net_backend *be);
    /* The guest made RX buffers available after vnet_receive() said it
     * had none: frames may flow again. */
    void (*rx_ready)(struct net_backend *be);
    /* The guest accepted these VIRTIO_NET_F_GUEST_* offloads (bits of the
     * negotiated features): program them (TAP).  Optional. */
    void (*set_offloads)(struct net_backend *be, uint64_t features);
    void (*close)(struct net_backend *be);
};

struct net_backend {
    const struct net_backend_ops *ops;
    struct vnet *dev;  /* where received frames go (vnet_init sets) */
    bool vnet_hdr;     /* frames carry the header both ways (TAP) */
    uint64_t offloads; /* VIRTIO_NET_F_* offload bits it can handle */
    /* Frames it delivers (without a header) were built by a stack we run,
     * whose checksums are right: with GUEST_CSUM the device marks them
     * DATA_VALID and the guest skips verifying them.  (slirp) */
    bool rx_csum_valid;
    const char *kind; /* "user", "tap", "fd" */
};

/*
 * World to guest: one frame (preceded by a NET_HDR_LEN header when
 * be->vnet_hdr).  Returns 1 if it was delivered or dropped (a frame that
 * can never fit, counted), 0 if the guest has no room now: the backend
 * keeps the frame and stops reading until ops->rx_ready.  (vnet.c)
 */
int vnet_receive(struct vnet *n, const struct iovec *iov, int cnt);

/* The backend can take frames again after send returned -EAGAIN. */
void vnet_tx_resume(struct vnet *n);

#endif
