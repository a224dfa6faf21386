/*
 * sysctl.c: the devices through which a guest ends itself or reports on
 * itself, the same on every machine: exit status, pvpanic (QEMU
 * docs/specs/pvpanic.rst), the debug (POST) code register and
 * Firecracker's boot timer.  See sysctl.h.
 */
#include "devices/sysctl.h"

#include <string.h>

void sysctl_init(struct sysctl *s, struct vm_ctl *ctl)
{
    memset(s, 0, sizeof(*s));
    s->ctl = ctl;
}

static uint64_t read_zero(void *opaque, uint64_t off, unsigned size)
{
    return 0;
}

static void exit_write(void *opaque, uint64_t off, uint64_t val, unsigned size)
{
    struct sysctl *s = opaque;

    s->ctl->request_exit(s->ctl, VM_EXIT_PORT, (int)(val & 0xff));
}

const struct bus_ops sysctl_exit_ops = {
    .read = read_zero,
    .write = exit_write,
};

static uint64_t pvpanic_read(void *opaque, uint64_t off, unsigned size)
{
    /* The events this device understands (the driver reads them). */
    return PVPANIC_PANICKED | PVPANIC_CRASH_LOADED;
}

static void pvpanic_write(void *opaque,
                          uint64_t off,
                          uint64_t val,
                          unsigned size)
{
    struct sysctl *s = opaque;

    if (val & PVPANIC_PANICKED) {
        s->ctl->request_exit(s->ctl, VM_EXIT_PANIC, 0);
    }
    /* CRASH_LOADED: a kdump kernel will take over; keep running. */
}

const struct bus_ops sysctl_pvpanic_ops = {
    .read = pvpanic_read,
    .write = pvpanic_write,
};

static void post_write(void *opaque, uint64_t off, uint64_t val, unsigned size)
{
    struct sysctl *s = opaque;

    s->post_codes++;
    s->last_post = (uint8_t)val;
    if (s->ctl->boot_marker) {
        s->ctl->boot_marker(s->ctl, VM_MARKER_DEBUG_PORT, (uint8_t)val);
    }
}

const struct bus_ops sysctl_post_ops = {
    .read = read_zero,
    .write = post_write,
};

/* Firecracker's boot timer: only its first byte means anything; the low
 * byte of a wider write is the value (its guests write one byte). */
static void boot_timer_write(void *opaque,
                             uint64_t off,
                             uint64_t val,
                             unsigned size)
{
    struct sysctl *s = opaque;

    if (off == 0 && s->ctl->boot_marker) {
        s->ctl->boot_marker(s->ctl, VM_MARKER_BOOT_TIMER, (uint8_t)val);
    }
}

const struct bus_ops sysctl_boot_timer_ops = {
    .read = read_zero,
    .write = boot_timer_write,
};
