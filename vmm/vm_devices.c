/*
 * vm_devices.c: every device of husk's x86 machine, wired explicitly: the
 * platform devices on I/O ports (COM1, exit port, ACPI PM, i8042, pvpanic,
 * absent-hardware ranges) with their interrupt lines, then the virtio-mmio
 * devices the command line asks for, each added to the firmware device
 * list from which the DSDT is generated.
 */
#define G_LOG_DOMAIN "husk"
#include <errno.h>
#include <glib-unix.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "devices/backend/net_tap.h"
#include "lib/layout_x86.h"
#include "lib/error.h"
#include "lib/exec_proto.h"
#include "lib/util.h"
#include "vmm/vm.h"

static void kvm_irq_set(struct irq_line *l, bool level)
{
    struct kvm_irq_line *k = container_of(l, struct kvm_irq_line, line);
    struct kvm_irq_level irq = {.irq = k->gsi, .level = level};

    ioctl(k->vm_fd, KVM_IRQ_LINE, &irq);
}

static void kvm_irq_init(struct kvm_irq_line *k, int vm_fd, unsigned gsi)
{
    k->line.set = kvm_irq_set;
    k->vm_fd = vm_fd;
    k->gsi = gsi;
}

static bool add_pio(struct vm *vm,
                    const char *name,
                    uint64_t base,
                    uint64_t len,
                    const struct bus_ops *ops,
                    void *opaque,
                    GError **errp)
{
    int r = bus_add(&vm->pio, name, base, len, ops, opaque);

    if (r) {
        g_set_error(errp, HUSK_ERROR, HUSK_EXIT_SOFTWARE,
                    "cannot place %s at port 0x%" PRIx64 ": %s", name, base,
                    g_strerror(-r));
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

static bool create_platform(struct vm *vm, GError **errp)
{
    kvm_irq_init(&vm->irq_com1, vm->fd, LAYOUT_GSI_COM1);
    serial8250_init(&vm->com1, &vm->irq_com1.line, console_uart_tx,
                    &vm->console);
    sysctl_x86_init(&vm->sysctl, &vm->ctl);

    if (!add_pio(vm, "com1", LAYOUT_PORT_COM1, 8, &serial8250_ops, &vm->com1,
                 errp) ||
        !add_pio(vm, "exit-port", LAYOUT_PORT_EXIT, 4, &sysctl_exit_ops,
                 &vm->sysctl, errp) ||
        !add_pio(vm, "acpi-pm", LAYOUT_PORT_ACPI_PM, 3, &sysctl_acpi_pm_ops,
                 &vm->sysctl, errp) ||
        !add_pio(vm, "i8042", LAYOUT_PORT_I8042, 5, &sysctl_i8042_ops,
                 &vm->sysctl, errp) ||
        !add_pio(vm, "pvpanic", LAYOUT_PORT_PVPANIC, 1, &sysctl_pvpanic_ops,
                 &vm->sysctl, errp) ||
        !add_pio(vm, "post", LAYOUT_PORT_POST, 1, &sysctl_post_ops, &vm->sysctl,
                 errp) ||
        !add_pio(vm, "boot-timer", LAYOUT_PORT_BOOT_TIMER, 1,
                 &sysctl_boot_timer_ops, &vm->sysctl, errp) ||
        !add_pio(vm, "cmos-absent", LAYOUT_PORT_CMOS, 2, &sysctl_absent_ops,
                 NULL, errp) ||
        !add_pio(vm, "pci-conf", LAYOUT_PORT_PCI_CONF, 8, &sysctl_pci_conf_ops,
                 &vm->sysctl, errp)) {
        return false;
    }
    if (bus_add(&vm->mmio, "boot-timer", LAYOUT_BOOT_TIMER_MMIO, 0x1000,
                &sysctl_boot_timer_ops, &vm->sysctl)) {
        g_set_error(errp, HUSK_ERROR, HUSK_EXIT_SOFTWARE,
                    "cannot place the boot timer at 0x%llx",
                    LAYOUT_BOOT_TIMER_MMIO);
        return false;
    }
    vm_add_fw_device(vm, (struct fw_device){FW_DEV_SERIAL, LAYOUT_PORT_COM1, 8,
                                            LAYOUT_GSI_COM1, false});
    vm_add_fw_device(vm, (struct fw_device){FW_DEV_PVPANIC, LAYOUT_PORT_PVPANIC,
                                            1, 0, false});
    kvm_irq_init(&vm->irq_power_button, vm->fd, LAYOUT_GSI_POWER_BUTTON);
    vm_add_fw_device(vm, (struct fw_device){FW_DEV_POWER_BUTTON, 0, 0,
                                            LAYOUT_GSI_POWER_BUTTON, false});
    return true;
}

void vm_powerdown(struct vm *vm)
{
    struct irq_line *l = &vm->irq_power_button.line;

    /* A press: an edge on the GED's line, which runs its _EVT. */
    l->set(l, true);
    l->set(l, false);
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
    return create_platform(vm, errp) && create_vcon(vm, errp) &&
           create_exec_ports(vm, errp) && create_disks(vm, errp) &&
           create_nics(vm, errp) && create_shares(vm, errp) &&
           create_rng(vm, errp);
}
