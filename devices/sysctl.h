/*
 * sysctl.h: husk's system devices common to its machines (on I/O ports on
 * x86, sysctl_x86.h; in one MMIO page on arm64, sysctl_arm64.h):
 *  - the exit status: a write ends the VM, the value's low byte becomes
 *    husk's exit status as is (QEMU's isa-debug-exit, but QEMU exits
 *    with (value << 1) | 1);
 *  - pvpanic (QEMU0001, qemu,pvpanic-mmio): a write of bit 0 means the
 *    guest kernel panicked;
 *  - the debug code register (x86 port 0x80, POST codes, Cloud
 *    Hypervisor's debug port): accepted and counted so it never logs,
 *    and reported as a boot marker;
 *  - Firecracker's boot timer: a byte written there is a boot marker.
 * Each bus_ops takes a struct sysctl (or a struct holding one first).
 */
#ifndef HUSK_SYSCTL_H
#define HUSK_SYSCTL_H

#include <stdint.h>

#include "lib/bus.h"
#include "lib/vmctl.h"

struct sysctl {
    struct vm_ctl *ctl;
    unsigned long post_codes;
    uint8_t last_post;
};

#define PVPANIC_PANICKED 0x01
#define PVPANIC_CRASH_LOADED 0x02

extern const struct bus_ops sysctl_exit_ops;
extern const struct bus_ops sysctl_pvpanic_ops;
extern const struct bus_ops sysctl_post_ops;
extern const struct bus_ops sysctl_boot_timer_ops;

void sysctl_init(struct sysctl *s, struct vm_ctl *ctl);

#endif
