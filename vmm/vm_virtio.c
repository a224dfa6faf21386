/*
 * vm_virtio.c: virtio-mmio devices in a KVM VM (KVM API §4.59 KVM_IOEVENTFD,
 * §4.75 KVM_IRQFD).  Kicks: KVM signals an eventfd on a QueueNotify write
 * without leaving the kernel; the I/O thread reads it and runs the device.
 * Interrupts: the device writes an eventfd that KVM turns into an edge on
 * the device's GSI (declared edge-triggered in the DSDT).
 */
#define G_LOG_DOMAIN "husk"
#include "vmm/vm_virtio.h"

#include <errno.h>
#include <glib-unix.h>
#include <linux/virtio_mmio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "devices/virtio/virtio_mmio.h"
#include "lib/error.h"
#include "lib/util.h"
#include "vmm/vm.h"

static void irqfd_set(struct irq_line *l, bool level)
{
    struct vm_virtio *s = container_of(l, struct vm_virtio, irq);
    uint64_t one = 1;

    /* Edge semantics: only a rise does anything; ack is the driver's
     * InterruptACK, which needs no line change. */
    if (level && write(s->irq_fd, &one, sizeof(one)) < 0 && errno != EAGAIN) {
        g_debug("virtio irqfd write: %s", g_strerror(errno));
    }
}

/* The device asks for queue q to be served on the I/O thread. */
static void kick_fd_signal(struct virtio_dev *d, unsigned q)
{
    struct vm_virtio *s = d->kick_opaque;
    uint64_t one = 1;

    if (write(s->kick_fd[q], &one, sizeof(one)) < 0 && errno != EAGAIN) {
        g_debug("virtio kick write: %s", g_strerror(errno));
    }
}

struct kick_watch {
    struct vm_virtio *slot;
    unsigned q;
    void (*run)(struct virtio_dev *d, unsigned q);
};

static gboolean on_kick(gint fd, GIOCondition cond, gpointer opaque)
{
    struct kick_watch *w = opaque;
    uint64_t n;

    if (read(fd, &n, sizeof(n)) < 0 && errno != EAGAIN) {
        return G_SOURCE_CONTINUE;
    }
    w->run(w->slot->dev, w->q);
    return G_SOURCE_CONTINUE;
}

void vm_virtio_watch_kick(struct vm_virtio *s,
                          unsigned q,
                          void (*run)(struct virtio_dev *d, unsigned q))
{
    struct kick_watch *w = g_new(struct kick_watch, 1);
    GSource *src = g_unix_fd_source_new(s->kick_fd[q], G_IO_IN);

    *w = (struct kick_watch){s, q, run};
    g_source_set_callback(src, G_SOURCE_FUNC(on_kick), w, g_free);
    g_source_attach(src, s->vm->ctx);
    g_source_unref(src);
}

struct vm_virtio *vm_virtio_slot(struct vm *vm, GError **errp)
{
    struct vm_virtio *s;
    uint64_t base;
    unsigned gsi;

    if (vm->nr_virtio >= VM_MAX_VIRTIO) {
        g_set_error(errp, HUSK_ERROR, HUSK_EXIT_USAGE,
                    "too many virtio devices (at most %d)", VM_MAX_VIRTIO);
        return NULL;
    }
    if (!vm_arch_virtio_place(vm, vm->nr_virtio, &base, &gsi, errp)) {
        return NULL;
    }
    s = g_new0(struct vm_virtio, 1);
    s->vm = vm;
    s->base = base;
    s->gsi = gsi;
    s->irq.set = irqfd_set;
    for (unsigned q = 0; q < VIRTIO_MAX_QUEUES; q++) {
        s->kick_fd[q] = -1;
    }
    s->backend_call_fd = -1;
    s->irq_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (s->irq_fd < 0) {
        g_set_error(errp, HUSK_ERROR, HUSK_EXIT_OSERR,
                    "cannot set up a virtio interrupt: %s", g_strerror(errno));
        g_free(s);
        return NULL;
    }
    vm->virtio[vm->nr_virtio++] = s;
    return s;
}

bool vm_virtio_bind_irqs(struct vm *vm, GError **errp)
{
    for (unsigned i = 0; i < vm->nr_virtio; i++) {
        struct vm_virtio *s = vm->virtio[i];
        int fds[2] = {s->irq_fd, s->backend_call_fd};

        for (unsigned f = 0; f < 2; f++) {
            struct kvm_irqfd irqfd = {.fd = (uint32_t)fds[f], .gsi = s->gsi};

            /* An eventfd written before this is not lost: KVM injects
             * what is pending when it binds one. */
            if (fds[f] >= 0 && ioctl(vm->fd, KVM_IRQFD, &irqfd) < 0) {
                g_set_error(errp, HUSK_ERROR, HUSK_EXIT_OSERR,
                            "cannot set up a virtio interrupt: %s",
                            g_strerror(errno));
                return false;
            }
        }
    }
    return true;
}

bool vm_virtio_plug(struct vm_virtio *s, struct virtio_dev *dev, GError **errp)
{
    struct vm *vm = s->vm;
    int r;

    s->dev = dev;
    dev->kick = kick_fd_signal;
    dev->kick_opaque = s;
    dev->ctl = &vm->ctl;
    r = bus_add(&vm->mmio, dev->ops->name, s->base, VIRTIO_MMIO_SIZE,
                &virtio_mmio_ops, dev);
    if (r) {
        g_set_error(errp, HUSK_ERROR, HUSK_EXIT_SOFTWARE, "cannot map %s: %s",
                    dev->ops->name, g_strerror(-r));
        return false;
    }
    s->ioeventfd = true;
    for (unsigned q = 0; q < dev->ops->num_queues; q++) {
        struct kvm_ioeventfd io;

        s->kick_fd[q] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
        if (s->kick_fd[q] < 0) {
            g_set_error(errp, HUSK_ERROR, HUSK_EXIT_OSERR, "eventfd: %s",
                        g_strerror(errno));
            return false;
        }
        io = (struct kvm_ioeventfd){
            .datamatch = q,
            .addr = s->base + VIRTIO_MMIO_QUEUE_NOTIFY,
            .len = 4,
            .fd = s->kick_fd[q],
            .flags = KVM_IOEVENTFD_FLAG_DATAMATCH,
        };
        /* Without ioeventfd, the MMIO write reaches the transport, which
         * signals the same eventfd through dev->kick: one path. */
        if (ioctl(vm->fd, KVM_IOEVENTFD, &io) < 0) {
            s->ioeventfd = false;
        }
        /* A vhost-user backend reads the eventfds of the queues it
         * serves (vhost_user_dev.h). */
        if (!dev->queues_remote) {
            vm_virtio_watch_kick(s, q, virtio_dev_queue_notify);
        }
    }
    vm_add_fw_device(vm, (struct fw_device){FW_DEV_VIRTIO_MMIO, s->base,
                                            VIRTIO_MMIO_SIZE, s->gsi, false});
    return true;
}

void vm_virtio_cleanup(struct vm_virtio *s)
{
    for (unsigned q = 0; q < VIRTIO_MAX_QUEUES; q++) {
        if (s->kick_fd[q] >= 0) {
            close(s->kick_fd[q]);
        }
    }
    if (s->irq_fd >= 0) {
        close(s->irq_fd);
    }
    if (s->backend_call_fd >= 0) {
        close(s->backend_call_fd);
    }
    g_free(s);
}
