/*
 * sysctl_x86.h: the small x86 devices on I/O ports through which a guest
 * ends itself, beside the shared ones (sysctl.h: exit port 0xf4, pvpanic
 * 0x505, POST port 0x80, boot timer 0x3f0 and MMIO 0xc0000000):
 *  - the ACPI sleep control/status and reset registers of the
 *    hardware-reduced FADT (poweroff = S5, reset);
 *  - an i8042 that only implements the 0xfe "pulse reset line" command;
 *  - "absent" ranges for hardware Linux probes on every PC but husk does
 *    not have (PCI configuration mechanism 1 at 0xcf8, the CMOS index at
 *    0x70): reads float high, writes vanish, nothing is logged; except
 *    that 0xcf9, the reset control register, resets.
 */
#ifndef HUSK_SYSCTL_X86_H
#define HUSK_SYSCTL_X86_H

#include <stdint.h>

#include "devices/sysctl.h"
#include "lib/bus.h"
#include "lib/vmctl.h"

/* common first: the shared devices (sysctl.h) take a sysctl_x86 too. */
struct sysctl_x86 {
    struct sysctl common;
    uint8_t sleep_status;
};

extern const struct bus_ops sysctl_acpi_pm_ops;
extern const struct bus_ops sysctl_i8042_ops;
extern const struct bus_ops sysctl_absent_ops;
extern const struct bus_ops sysctl_pci_conf_ops;

void sysctl_x86_init(struct sysctl_x86 *s, struct vm_ctl *ctl);

#endif
