/*
 * sysctl_x86.h: the small x86 devices through which a guest ends itself or
 * reports on itself:
 *  - the exit-status port (0xf4): a write ends the VM, the value becomes
 *    husk's exit status as is (QEMU's isa-debug-exit port, but QEMU exits
 *    with (value << 1) | 1);
 *  - the ACPI sleep control/status and reset registers of the
 *    hardware-reduced FADT (poweroff = S5, reset);
 *  - an i8042 that only implements the 0xfe "pulse reset line" command;
 *  - pvpanic (QEMU0001): a write of bit 0 means the guest kernel panicked;
 *  - port 0x80 (POST codes, Cloud Hypervisor's debug port), accepted and
 *    counted so it never logs, and reported as a boot marker;
 *  - Firecracker's boot timer (port 0x3f0, MMIO 0xc0000000): a byte
 *    written there is a boot marker;
 *  - "absent" ranges for hardware Linux probes on every PC but husk does
 *    not have (PCI configuration mechanism 1 at 0xcf8, the CMOS index at
 *    0x70): reads float high, writes vanish, nothing is logged; except
 *    that 0xcf9, the reset control register, resets.
 */
#ifndef HUSK_SYSCTL_X86_H
#define HUSK_SYSCTL_X86_H

#include <stdint.h>

#include "lib/bus.h"
#include "lib/vmctl.h"

struct sysctl_x86 {
    struct vm_ctl *ctl;
    uint8_t sleep_status;
    unsigned long post_codes;
    uint8_t last_post;
};

#define PVPANIC_PANICKED 0x01
#define PVPANIC_CRASH_LOADED 0x02

extern const struct bus_ops sysctl_exit_ops;
extern const struct bus_ops sysctl_acpi_pm_ops;
extern const struct bus_ops sysctl_i8042_ops;
extern const struct bus_ops sysctl_pvpanic_ops;
extern const struct bus_ops sysctl_post_ops;
extern const struct bus_ops sysctl_boot_timer_ops;
extern const struct bus_ops sysctl_absent_ops;
extern const struct bus_ops sysctl_pci_conf_ops;

void sysctl_x86_init(struct sysctl_x86 *s, struct vm_ctl *ctl);

#endif
