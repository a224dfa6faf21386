/*
 * vm_vhost_user.c: vhost-user devices in the VM (QEMU
 * docs/interop/vhost-user.rst; vhost_user_dev.h): each --share with the
 * virtiofsd husk starts for it, each --disk that is not husk's own raw
 * engine (an image qemu-storage-daemon serves, or vhost-user=SOCKET).
 * The backend gets guest RAM (the memfd), the kick eventfds KVM signals
 * and the irqfd; husk's I/O thread watches only the socket (and, once a
 * backend is lost, the kicks).
 */
#define G_LOG_DOMAIN "husk"
#include <errno.h>
#include <fcntl.h>
#include <glib-unix.h>
#include <inttypes.h>
#include <string.h>
#include <linux/kvm.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "devices/backend/net_tap.h"

#include "lib/error.h"
#include "vmm/qsd.h"
#include "vmm/user_net.h"
#include "vmm/virtiofsd.h"
#include "vmm/vm.h"

static void lost_kick(struct virtio_dev *d, unsigned q)
{
    vudev_kick(d->opaque, q);
}

/* vudev's take_kicks: the backend was lost; husk reads the kicks now.
 * Any thread (g_source_attach is). */
static void take_kicks(struct vudev *u)
{
    struct vm_virtio *slot = u->take_kicks_opaque;

    for (unsigned q = 0; q < u->vdev.ops->num_queues; q++) {
        vm_virtio_watch_kick(slot, q, lost_kick);
    }
}

/* The backend's interrupts stop reaching the guest (a flood): its irqfd
 * is deassigned; husk's own (config changes, answers once the backend is
 * lost) stay on the slot's.  vCPU thread (an InterruptStatus read). */
static void cut_call(struct vudev *u)
{
    struct vm_virtio *slot = u->take_kicks_opaque;
    struct kvm_irqfd irqfd = {.fd = (uint32_t)slot->backend_call_fd,
                              .gsi = slot->gsi,
                              .flags = KVM_IRQFD_FLAG_DEASSIGN};

    if (ioctl(slot->vm->fd, KVM_IRQFD, &irqfd) < 0) {
        g_warning("%s: cannot cut off its interrupts: %s", u->label,
                  g_strerror(errno));
    }
}

static gboolean on_socket(gint fd, GIOCondition cond, gpointer opaque)
{
    return vudev_socket_event(opaque) ? G_SOURCE_CONTINUE : G_SOURCE_REMOVE;
}

struct ring_err {
    struct vudev *u;
    unsigned q;
};

static gboolean on_ring_error(gint fd, GIOCondition cond, gpointer opaque)
{
    struct ring_err *e = opaque;
    uint64_t n;

    if (read(fd, &n, sizeof(n)) < 0 && errno != EAGAIN) {
        return G_SOURCE_CONTINUE;
    }
    vudev_ring_error(e->u, e->q);
    return G_SOURCE_CONTINUE;
}

/* The device, initialized on its slot, into the VM: the bus, the
 * backend's memory and eventfds, the socket's watch. */
static bool plug(struct vm *vm,
                 struct vm_virtio *slot,
                 struct vudev *u,
                 GError **errp)
{
    struct vudev_env env;
    GSource *src;

    vudev_env_init(&env);
    env.mem_fd = vm->ram_fd;
    env.nr_regions = vm->gm.nr;
    u->take_kicks = take_kicks;
    u->take_kicks_opaque = slot;
    if (!vm_virtio_plug(slot, &u->vdev, errp)) {
        return false;
    }
    for (unsigned r = 0; r < vm->gm.nr; r++) {
        env.region[r] =
            (struct vhu_region){vm->gm.r[r].gpa, vm->gm.r[r].size,
                                (uintptr_t)vm->gm.r[r].hva, vm->ram[r].offset};
    }
    for (unsigned q = 0; q < VIRTIO_MAX_QUEUES; q++) {
        env.kick_fd[q] = slot->kick_fd[q];
    }
    /* The backend's interrupts on an irqfd of their own, on the slot's
     * GSI (edge: either eventfd raises it), bound with the slot's own
     * (vm_virtio_bind_irqs). */
    slot->backend_call_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (slot->backend_call_fd < 0) {
        g_set_error(errp, HUSK_ERROR, HUSK_EXIT_OSERR,
                    "cannot set up a backend's interrupt: %s",
                    g_strerror(errno));
        return false;
    }
    env.call_fd = slot->backend_call_fd;
    u->cut_call = cut_call;
    /* The backend's word that a ring is malformed (SET_VRING_ERR). */
    for (unsigned q = 0; q < u->vdev.ops->num_queues; q++) {
        struct ring_err *e = g_new(struct ring_err, 1);

        env.err_fd[q] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
        if (env.err_fd[q] < 0) {
            g_free(e);
            g_set_error(errp, HUSK_ERROR, HUSK_EXIT_OSERR, "eventfd: %s",
                        g_strerror(errno));
            return false;
        }
        *e = (struct ring_err){u, q};
        src = g_unix_fd_source_new(env.err_fd[q], G_IO_IN);
        g_source_set_callback(src, G_SOURCE_FUNC(on_ring_error), e, g_free);
        g_source_attach(src, vm->ctx);
        g_source_unref(src);
    }
    vudev_bind(u, &env);
    if (u->kernel) {
        return true; /* no socket: the kernel's device answers each ioctl */
    }
    src = g_unix_fd_source_new(vudev_socket(u), G_IO_IN | G_IO_HUP | G_IO_ERR);
    g_source_set_callback(src, G_SOURCE_FUNC(on_socket), u, NULL);
    g_source_attach(src, vm->ctx);
    g_source_unref(src);
    return true;
}

int vm_create_vhost_nic(struct vm *vm, unsigned i, GError **errp)
{
    const struct vm_net_config *c = &vm->cfg.nets[i];
    const char *path = "/dev/vhost-net";
    g_autofree char *label =
        g_strdup_printf("--net %s", c->spec ? c->spec : "tap");
    static bool said;
    struct vm_virtio *slot;
    uint64_t offloads;
    bool vnet_hdr;
    int tap, fd = open(path, O_RDWR | O_CLOEXEC);

    if (fd < 0) {
        int e = errno;

        if (c->vhost == VM_VHOST_ON) {
            g_set_error(errp, HUSK_ERROR, HUSK_EXIT_UNAVAILABLE,
                        "%s: vhost=on, but %s: %s%s", label, path,
                        g_strerror(e),
                        e == ENOENT ? " (modprobe vhost_net)" : "");
            return -1;
        }
        if (!said) {
            said = true;
            g_printerr("husk: %s: %s: %s; husk serves the TAP NIC itself\n",
                       label, path, g_strerror(e));
        }
        return 0;
    }
    tap = net_tap_open_fd(c->tap_name, c->tap_fd, &vnet_hdr, &offloads, errp);
    if (tap < 0) {
        g_prefix_error(errp, "%s: ", label);
        close(fd);
        return -1;
    }
    if (!vnet_hdr) {
        /* A handed-over TAP opened without IFF_VNET_HDR: vhost-net
         * needs the header; husk's own path can do without. */
        close(fd);
        if (c->vhost == VM_VHOST_ON) {
            g_set_error(errp, HUSK_ERROR, HUSK_EXIT_UNAVAILABLE,
                        "%s: vhost=on needs a TAP device with a virtio-net "
                        "header (IFF_VNET_HDR)",
                        label);
            return -1;
        }
        return 0; /* its descriptor stays open, for net_tap_open */
    }
    slot = vm_virtio_slot(vm, errp);
    if (!slot) {
        close(fd);
        close(tap);
        return -1;
    }
    vm->vnic[i] = g_new0(struct vudev, 1);
    if (!vudev_init_vhost_net(vm->vnic[i], fd, tap, label, c->mac, c->mtu,
                              offloads, &vm->gm, &slot->irq, errp)) {
        return -1;
    }
    return plug(vm, slot, vm->vnic[i], errp) ? 1 : -1;
}

bool vm_create_vsock(struct vm *vm, GError **errp)
{
    const char *path = "/dev/vhost-vsock";
    g_autofree char *label =
        g_strdup_printf("vsock CID %" PRIu64, vm->cfg.vsock_cid);
    struct vm_virtio *slot;
    int fd = open(path, O_RDWR | O_CLOEXEC);

    if (fd < 0) {
        int e = errno;

        const char *fix =
            e == ENOENT ? "load the vhost_vsock module (modprobe vhost_vsock)"
            : e == EACCES || e == EPERM
                ? "run as root, or give your user access to it"
                : "see husk check";

        g_set_error(errp, HUSK_ERROR, HUSK_EXIT_UNAVAILABLE,
                    "--vsock: %s: %s: %s", path, g_strerror(e), fix);
        return false;
    }
    slot = vm_virtio_slot(vm, errp);
    if (!slot) {
        close(fd);
        return false;
    }
    vm->vsock = g_new0(struct vudev, 1);
    if (!vudev_init_vsock(vm->vsock, fd, label, vm->cfg.vsock_cid, &vm->gm,
                          &slot->irq, errp)) {
        return false;
    }
    return plug(vm, slot, vm->vsock, errp);
}

int vm_start_share(struct vm *vm, unsigned i, GError **errp)
{
    g_autofree char *program = vfsd_program(vm->cfg.virtiofsd);

    return vfsd_start(&vm->cfg.shares[i], program, &vm->share_proc[i], errp);
}

bool vm_create_share(struct vm *vm, unsigned i, int sock, GError **errp)
{
    const struct vm_share_config *sh = &vm->cfg.shares[i];
    struct backend_proc *p = &vm->share_proc[i];
    g_autofree char *label = g_strdup_printf("share '%s'", sh->tag);
    struct vm_virtio *slot;
    struct vudev *u;

    slot = vm_virtio_slot(vm, errp);
    if (!slot) {
        close(sock);
        return false;
    }
    u = vm->share[i] = g_new0(struct vudev, 1);
    if (!vudev_init_fs(u, sock, label, sh->tag, &vm->gm, &slot->irq, errp)) {
        return false;
    }
    vudev_set_backend_pidfd(u, bproc_server_pidfd(p));
    u->in_order = true; /* virtiofsd as vfsd_start runs it */
    return plug(vm, slot, u, errp);
}

/* vhost-user=SOCKET: a backend someone else started. */
static int connect_socket(const struct vm_disk_config *d, GError **errp)
{
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    int fd;

    if (strlen(d->path) >= sizeof(sa.sun_path)) {
        g_set_error(errp, HUSK_ERROR, HUSK_EXIT_USAGE,
                    "--disk %s: the socket path is too long", d->spec);
        return -1;
    }
    strcpy(sa.sun_path, d->path);
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
        g_set_error(errp, HUSK_ERROR, HUSK_EXIT_NOINPUT,
                    "--disk %s: cannot connect to %s: %s", d->spec, d->path,
                    g_strerror(errno));
        if (fd >= 0) {
            close(fd);
        }
        return -1;
    }
    return fd;
}

bool vm_create_vu_disk(struct vm *vm, unsigned i, GError **errp)
{
    const struct vm_disk_config *d = &vm->cfg.disks[i];
    struct backend_proc *p = &vm->disk_proc[i];
    g_autofree char *label = g_strdup_printf("--disk %s", d->spec);
    struct vm_virtio *slot;
    struct vudev *u;
    int sock;

    if (d->vhost_user) {
        sock = connect_socket(d, errp);
    } else {
        g_autofree char *program = qsd_program();

        sock = qsd_start(d, vm->disk_format[i], program, p, errp);
    }
    if (sock < 0) {
        return false;
    }
    slot = vm_virtio_slot(vm, errp);
    if (!slot) {
        close(sock);
        return false;
    }
    u = vm->vdisk[i] = g_new0(struct vudev, 1);
    if (!vudev_init_blk(u, sock, label, d->read_only, &vm->gm, &slot->irq,
                        errp)) {
        if (!d->vhost_user) {
            qsd_failed(d, p, errp); /* what it said is the better line */
        }
        return false;
    }
    if (!d->vhost_user) {
        /* It completes requests out of order (in_order stays false). */
        vudev_set_backend_pidfd(u, bproc_server_pidfd(p));
        bproc_stderr_forward(p, vm->ctx);
    }
    return plug(vm, slot, u, errp);
}

bool vm_create_vu_nic(struct vm *vm, unsigned i, GError **errp)
{
    const struct vm_net_config *c = &vm->cfg.nets[i];
    struct net_user_opts user = c->user;
    struct backend_proc *p = &vm->nic_proc[i];
    g_autofree char *program = unet_program();
    g_autofree char *label = g_strdup_printf("--net %s", c->spec);
    struct vm_virtio *slot;
    struct vudev *u;
    int sock;

    /* The helper's sandbox follows husk's. */
    user.helper_sandbox = vm->cfg.sandbox == SANDBOX_OFF   ? "off"
                          : vm->cfg.sandbox == SANDBOX_LOG ? "log"
                                                           : NULL;
    sock = unet_start(&user, program, p, errp);
    if (sock < 0) {
        g_prefix_error(errp, "%s: ", label);
        return false;
    }
    slot = vm_virtio_slot(vm, errp);
    if (!slot) {
        close(sock);
        return false;
    }
    u = vm->vnic[i] = g_new0(struct vudev, 1);
    if (!vudev_init_net(u, sock, label, c->mac, c->mtu, &vm->gm, &slot->irq,
                        errp)) {
        unet_failed(p, label, errp); /* what it said is the better line */
        return false;
    }
    vudev_set_backend_pidfd(u, bproc_server_pidfd(p));
    bproc_stderr_forward(p, vm->ctx);
    return plug(vm, slot, u, errp);
}
