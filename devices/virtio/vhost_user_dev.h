/*
 * vhost_user_dev.h: a virtio device whose queues a vhost-user backend
 * serves (QEMU docs/interop/vhost-user.rst, "Starting and stopping
 * rings"; virtio v1.2 §5.11 "File System Device", §5.2 "Block Device"
 * and §5.1 "Network Device" for the kinds there are).
 *
 * husk keeps the transport: registers, status machine, feature mask,
 * config space.  At DRIVER_OK the backend gets guest RAM (a memfd), each
 * ring's address, the queue's kick eventfd (KVM's ioeventfd signals it
 * on QueueNotify) and the call eventfd (KVM's irqfd): from then on no
 * kick or interrupt passes through husk.  On a reset, GET_VRING_BASE
 * stops each ring before the transport forgets it.  The interrupt status
 * always shows the queue bit, since the backend cannot set it.
 *
 * A backend that fails (disconnects, answers wrongly or late, sends
 * unasked): the device goes NEEDS_RESET, husk says which backend and why,
 * the backend process (if husk started it) is killed, and husk takes the
 * kicks back and completes each new request with an error, so the guest
 * sees I/O errors instead of waiting forever.  Requests the backend had
 * taken are failed too when it completes in order (in_order); otherwise
 * the rings cannot tell which it had finished, and those stay pending.
 */
#ifndef HUSK_VHOST_USER_DEV_H
#define HUSK_VHOST_USER_DEV_H

#include <glib.h>

#include "devices/backend/vhost_kernel.h"
#include "devices/backend/vhost_user.h"
#include "devices/virtio/virtio.h"

#define VUDEV_FS_TAG_MAX 36 /* virtio_fs_config.tag, not NUL-terminated */

enum vudev_kind { VUDEV_FS, VUDEV_BLK, VUDEV_NET, VUDEV_VSOCK };

/* What the VMM hands over once the device is plugged. */
struct vudev_env {
    int mem_fd;
    unsigned nr_regions;
    struct vhu_region region[VHU_MAX_REGIONS];
    int kick_fd[VIRTIO_MAX_QUEUES];
    int call_fd;
    /* Signalled by the backend when it finds a ring malformed
     * (SET_VRING_ERR); -1: none given. */
    int err_fd[VIRTIO_MAX_QUEUES];
};

struct vudev {
    struct virtio_dev vdev;
    struct virtio_dev_ops ops;
    enum vudev_kind kind;
    struct vhu_conn conn; /* a vhost-user backend's connection, */
    struct vhk_dev kern;  /* or the kernel's vhost device (kernel) */
    bool kernel;
    int tap_fd; /* vhost-net: the TAP device it serves, else -1 */
    /* The queues the backend serves (vsock: rx and tx; the event
     * queue stays with husk, which sends no events). */
    unsigned backend_queues;
    char label[96]; /* "share 'src' (virtiofsd)": for messages */
    uint8_t config[VHU_MAX_CONFIG];
    struct vudev_env env;
    bool bound;
    bool started[VIRTIO_MAX_QUEUES];
    bool suspended[VIRTIO_MAX_QUEUES]; /* stopped for a snapshot */
    bool lost; /* the backend failed: husk fails the requests */
    /* The backend completes each queue's requests in order (virtiofsd
     * with no thread pool): when it is lost, every request after the
     * last used one is failed too, none is left waiting. */
    bool in_order;
    int pidfd; /* the backend process if husk started it, else -1 */
    /* Set by the VMM: watch the kick eventfds on husk's I/O thread from
     * now on (the backend no longer reads them).  Any thread, with
     * vdev.lock held: it must not take it. */
    void (*take_kicks)(struct vudev *u);
    void *take_kicks_opaque;
    unsigned long failed_requests;
    /* Interrupts with no work behind them (the call eventfd flooded):
     * InterruptStatus reads while no queue's used index moved. */
    uint16_t seen_used[VIRTIO_MAX_QUEUES];
    unsigned idle_irqs;
    int64_t idle_since_us;
    /* Set by the VMM: stop the backend's call eventfd from reaching the
     * guest (its irqfd deassigned).  Any thread, vdev.lock held. */
    void (*cut_call)(struct vudev *u);
};

/* More than this many interrupts without work within a second, with no
 * work in between: the backend floods its call eventfd. */
#define VUDEV_IDLE_IRQ_LIMIT 2000

/*
 * A virtio-fs device on the connected backend socket sock (ownership
 * passes), tag as the guest mounts it.  Negotiates with the backend now;
 * false with a message naming label if it cannot serve.
 */
bool vudev_init_fs(struct vudev *u,
                   int sock,
                   const char *label,
                   const char *tag,
                   const struct guest_mem *gm,
                   struct irq_line *irq,
                   GError **errp);

/*
 * A virtio-blk device on the connected socket (qemu-storage-daemon's
 * vhost-user-blk export, or any backend with the CONFIG protocol
 * feature): its config space is the backend's (GET_CONFIG, once, here).
 * read_only: the guest must see a read-only disk; a backend that does not
 * say so (VIRTIO_BLK_F_RO) is refused.
 */
bool vudev_init_blk(struct vudev *u,
                    int sock,
                    const char *label,
                    bool read_only,
                    const struct guest_mem *gm,
                    struct irq_line *irq,
                    GError **errp);

/*
 * A virtio-net device (one RX/TX pair) on the connected socket: husk-slirp
 * for --net user, or any vhost-user-net backend.  The config space is
 * husk's (mac, link up, mtu if not 0); the backend's offloads and
 * mergeable buffers pass through.
 */
bool vudev_init_net(struct vudev *u,
                    int sock,
                    const char *label,
                    const uint8_t mac[6],
                    uint16_t mtu,
                    const struct guest_mem *gm,
                    struct irq_line *irq,
                    GError **errp);

/*
 * A virtio-net device served by the kernel's vhost-net on vhost_fd (an
 * open /dev/vhost-net) from tap_fd (net_tap_open_fd's, with a 12-byte
 * header; both pass to the device): the offloads the TAP carries are
 * offered, what the guest accepts to receive is programmed at DRIVER_OK.
 */
bool vudev_init_vhost_net(struct vudev *u,
                          int vhost_fd,
                          int tap_fd,
                          const char *label,
                          const uint8_t mac[6],
                          uint16_t mtu,
                          uint64_t tap_offloads,
                          const struct guest_mem *gm,
                          struct irq_line *irq,
                          GError **errp);

/*
 * A virtio-vsock device (virtio v1.2 §5.10) served by the kernel's
 * vhost-vsock on vhost_fd (an open /dev/vhost-vsock; ownership passes),
 * for the guest CID cid (3 to 2^32 - 2).  Another VM holding cid is
 * HUSK_EXIT_UNAVAILABLE with a message saying so.
 */
bool vudev_init_vsock(struct vudev *u,
                      int vhost_fd,
                      const char *label,
                      uint64_t cid,
                      const struct guest_mem *gm,
                      struct irq_line *irq,
                      GError **errp);

/* The backend signalled queue q's error eventfd: a malformed ring; the
 * device asks for a reset (the backend stays).  I/O thread. */
void vudev_ring_error(struct vudev *u, unsigned q);

/* The backend's serving process, to kill if it fails: a pidfd whose
 * ownership passes (-1: not husk's to kill). */
void vudev_set_backend_pidfd(struct vudev *u, int pidfd);

/* An environment with no descriptors yet (every fd -1). */
void vudev_env_init(struct vudev_env *env);

/* After vm_virtio_plug: the memory and eventfds (the caller keeps them). */
void vudev_bind(struct vudev *u, const struct vudev_env *env);

/* The backend socket (for the VMM's watch). */
static inline int vudev_socket(const struct vudev *u)
{
    return u->conn.fd;
}

/* The socket became readable or hung up (I/O thread): true while the
 * watch should stay. */
bool vudev_socket_event(struct vudev *u);

/* A kick husk read itself after the backend was lost (I/O thread). */
void vudev_kick(struct vudev *u, unsigned q);

void vudev_cleanup(struct vudev *u);

#endif
