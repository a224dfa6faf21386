/*
 * vm_arm64.h: the arm64 machine's part of struct vm (vm_arm64.c): the
 * system device page, the in-kernel GICv3, the vCPU target, and where
 * the kernel, initrd and device tree went.
 */
#ifndef HUSK_VM_ARM64_H
#define HUSK_VM_ARM64_H

#include <linux/kvm.h>

#include "devices/sysctl.h"
#include "firmware/kernel_arm64.h"
#include "vmm/kvm_irq.h"

struct vm_arch {
    struct sysctl sysctl;
    int gic_fd; /* KVM_DEV_TYPE_ARM_VGIC_V3, when gic_open */
    bool gic_open;
    struct kvm_vcpu_init target;
    struct kernel_arm64_layout boot;
    char *cmdline; /* for the device tree, written once every vCPU exists */
};

#endif
