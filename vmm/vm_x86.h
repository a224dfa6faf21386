/*
 * vm_x86.h: the x86 machine's part of struct vm (vm_x86.c): its small
 * platform devices on I/O ports, the ACPI power button's line and the
 * boot CPU's entry state.
 */
#ifndef HUSK_VM_X86_H
#define HUSK_VM_X86_H

#include "devices/sysctl_x86.h"
#include "firmware/kernel_x86.h"
#include "vmm/kvm_irq.h"

struct vm_arch {
    struct sysctl_x86 sysctl;
    struct kvm_irq_line irq_power_button; /* the GED's (ACPI) */
    struct kernel_entry entry;
};

#endif
