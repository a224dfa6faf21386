/*
 * vm_devices.c: every device of husk's machine, wired explicitly: the
 * architecture's platform devices (vm_x86.c, vm_arm64.c), then the
 * virtio-mmio devices the command line asks for, each added to the
 * firmware device list from which the DSDT or the device tree is
 * generated.
 */
#define G_LOG_DOMAIN "husk"
#include <errno.h>
#include <glib-unix.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "devices/backend/net_tap.h"
#include "lib/error.h"
#include "lib/exec_proto.h"
#include "lib/util.h"
#include "vmm/vm.h"

static void kvm_irq_set(struct irq_line *l, bool level)
{
    struct kvm_irq_line *k = container_of(l, struct kvm_irq_line, line);
    struct kvm_irq_level irq = {.irq = vm_arch_irq_line(k->gsi),
                                .level = level};

    ioctl(k->vm_fd, KVM_IRQ_LINE, &irq);
}

void kvm_irq_init(struct kvm_irq_line *k, int vm_fd, unsigned gsi)
{
    k->line.set = kvm_irq_set;
    k->vm_fd = vm_fd;
    k->gsi = gsi;
}

bool vm_add_device(struct vm *vm,
                   struct bus *bus,
                   const char *name,
                   uint64_t base,
                   uint64_t len,
                   const struct bus_ops *ops,
                   void *opaque,
                   GError **errp)
{
    int r = bus_add(bus, name, base, len, ops, opaque);

    if (r) {
        g_set_error(errp, HUSK_ERROR, HUSK_EXIT_SOFTWARE,
                    "cannot place %s at %s 0x%" PRIx64 ": %s", name,
                    bus == &vm->pio ? "port" : "address", base, g_strerror(-r));
        return false;
    }
    return true;
}

void vm_add_fw_device(struct vm *vm, struct fw_device d)
{
    g_assert(vm->nr_fw_devs < VM_MAX_FW_DEVICES);
    vm->fw_devs[vm->nr_fw_devs++] = d;
}

static gboolean on_disk_completion(gint fd, GIOCondition cond, gpointer opaque)
{
    vblk_poll(opaque);
    return G_SOURCE_CONTINUE;
}

/* virtio-blk for each --disk, in order: /dev/vda, /dev/vdb, ... */
static bool create_disks(struct vm *vm, GError **errp)
{
    for (unsigned i = 0; i < vm->cfg.nr_disks; i++) {
        struct vm_virtio *slot;

        if (!vm->disk_be[i]) {
            /* Not husk's own raw engine: a vhost-user backend's. */
            if (!vm_create_vu_disk(vm, i, errp)) {
                return false;
            }
            continue;
        }
        slot = vm_virtio_slot(vm, errp);
        if (!slot) {
            return false;
        }
        vm->blk[i] = g_new0(struct vblk, 1);
        vblk_init(vm->blk[i], vm->disk_be[i], &vm->gm, &slot->irq);
        vm->disk_be[i] = NULL; /* owned by the device now */
        if (!vm_virtio_plug(slot, &vm->blk[i]->vdev, errp)) {
            return false;
        }
        /* An io_uring engine finishes requests later: its eventfd wakes
         * the I/O thread, which answers them. */
        if (blk_is_async(vm->blk[i]->be)) {
            GSource *src =
                g_unix_fd_source_new(vm->blk[i]->be->event_fd, G_IO_IN);

            g_source_set_callback(src, G_SOURCE_FUNC(on_disk_completion),
                                  vm->blk[i], NULL);
            g_source_attach(src, vm->ctx);
            g_source_unref(src);
        }
    }
    return true;
}

/* virtio-net for each --net, in order: eth0, eth1, ... */
static bool create_nics(struct vm *vm, GError **errp)
{
    for (unsigned i = 0; i < vm->cfg.nr_nets; i++) {
        const struct vm_net_config *c = &vm->cfg.nets[i];
        struct net_backend *be;
        struct vm_virtio *slot;

        if (c->kind == VM_NET_USER) {
            /* husk-slirp, a vhost-user backend (vm_vhost_user.c). */
            if (!vm_create_vu_nic(vm, i, errp)) {
                return false;
            }
            continue;
        }
        if (c->vhost != VM_VHOST_OFF) {
            int r = vm_create_vhost_nic(vm, i, errp);

            if (r < 0) {
                return false;
            }
            if (r > 0) {
                continue;
            }
        }
        be = net_tap_open(c->tap_name, c->tap_fd, vm->ctx, errp);
        if (!be) {
            /* The backend said what went wrong; the option is ours. */
            g_prefix_error(errp, "--net %s: ", c->spec ? c->spec : "?");
            return false;
        }
        slot = vm_virtio_slot(vm, errp);
        if (!slot) {
            be->ops->close(be);
            return false;
        }
        vm->net[i] = g_new0(struct vnet, 1);
        vnet_init(vm->net[i], be, c->mac, c->mtu, &vm->gm, &slot->irq);
        if (!vm_virtio_plug(slot, &vm->net[i]->vdev, errp)) {
            return false;
        }
    }
    return true;
}

static gboolean rng_retry_cb(gpointer opaque)
{
    struct vm *vm = opaque;

    vm->rng_retry_pending = false;
    virtio_dev_queue_notify(&vm->rng->vdev, 0);
    return G_SOURCE_REMOVE;
}

/* The rate limiter's wait: run the queue again later on the I/O thread. */
static void rng_retry(struct vrng *r, unsigned ms)
{
    struct vm *vm = r->retry_opaque;
    GSource *src;

    if (vm->rng_retry_pending) {
        return;
    }
    vm->rng_retry_pending = true;
    src = g_timeout_source_new(ms);
    g_source_set_callback(src, rng_retry_cb, vm, NULL);
    g_source_attach(src, vm->ctx);
    g_source_unref(src);
}

static bool create_rng(struct vm *vm, GError **errp)
{
    struct vm_virtio *slot;

    if (!vm->cfg.rng) {
        return true;
    }
    slot = vm_virtio_slot(vm, errp);
    if (!slot) {
        return false;
    }
    vm->rng = g_new0(struct vrng, 1);
    vrng_init(vm->rng, vm->cfg.rng_rate, &vm->gm, &slot->irq);
    vm->rng->retry = rng_retry;
    vm->rng->retry_opaque = vm;
    return vm_virtio_plug(slot, &vm->rng->vdev, errp);
}

/* --console virtio: /dev/hvc0 takes the terminal's input; the UART
 * stays for early boot messages. */
static bool create_vcon(struct vm *vm, GError **errp)
{
    struct vm_virtio *slot;

    if (!vm->cfg.virtio_console) {
        console_use_uart(&vm->console, &vm->com1);
        return true;
    }
    slot = vm_virtio_slot(vm, errp);
    if (!slot) {
        return false;
    }
    vm->vcon = g_new0(struct vcon, 1);
    vcon_init(vm->vcon, &vm->console.sink, &vm->gm, &slot->irq);
    console_use_vcon(&vm->console, vm->vcon);
    return vm_virtio_plug(slot, &vm->vcon->vdev, errp);
}

/* husk exec: three named ports joined to husk's stdin, stdout and
 * stderr (lib/exec_proto.h); the terminal is not the guest's. */
static bool create_exec_ports(struct vm *vm, GError **errp)
{
    static const char *const names[3] = {EXEC_PORT_STDIN, EXEC_PORT_STDOUT,
                                         EXEC_PORT_STDERR};
    struct vcon_sink *sinks[3];
    struct vm_virtio *slot;

    if (!vm->cfg.exec_ports) {
        return true;
    }
    slot = vm_virtio_slot(vm, errp);
    if (!slot) {
        return false;
    }
    for (int i = 0; i < 3; i++) {
        pump_init(&vm->pumps[i], vm->ctx, i, i == 0, &vm->ctl);
        sinks[i] = pump_sink(&vm->pumps[i]);
    }
    vm->xcon = g_new0(struct vcon, 1);
    vcon_init_ports(vm->xcon, 3, names, sinks, &vm->gm, &slot->irq);
    for (unsigned i = 0; i < 3; i++) {
        pump_start(&vm->pumps[i], vm->xcon, i);
    }
    return vm_virtio_plug(slot, &vm->xcon->vdev, errp);
}

/* Every virtiofsd first, then each device's handshake: their start-ups
 * overlap instead of adding up. */
static bool create_shares(struct vm *vm, GError **errp)
{
    int sock[VM_MAX_SHARES];
    unsigned n = vm->cfg.nr_shares, i;
    bool ok = true;

    for (i = 0; i < n; i++) {
        sock[i] = vm_start_share(vm, i, errp);
        if (sock[i] < 0) {
            break;
        }
    }
    if (i < n) {
        while (i-- > 0) {
            close(sock[i]); /* the processes are stopped with the VM */
        }
        return false;
    }
    for (i = 0; i < n; i++) {
        if (ok) {
            ok = vm_create_share(vm, i, sock[i], errp);
        } else {
            close(sock[i]);
        }
    }
    return ok;
}

bool vm_create_devices(struct vm *vm, GError **errp)
{
    return vm_arch_create_platform(vm, errp) && create_vcon(vm, errp) &&
           create_exec_ports(vm, errp) && create_disks(vm, errp) &&
           create_nics(vm, errp) && create_shares(vm, errp) &&
           create_rng(vm, errp) &&
           (!vm->cfg.vsock_cid || vm_create_vsock(vm, errp));
}
