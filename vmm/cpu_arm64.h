/*
 * cpu_arm64.h: per-vCPU arm64 state husk sets before the first KVM_RUN
 * (KVM API §4.82 KVM_ARM_VCPU_INIT, §4.68 KVM_SET_ONE_REG): the target
 * with PSCI 0.2 (secondary vCPUs powered off until the guest's PSCI
 * CPU_ON), and the boot CPU's registers as booting.rst §4 asks: x0 the
 * device tree's address, x1-x3 zero, EL1h with every exception masked,
 * MMU and caches off (KVM's reset state).
 */
#ifndef HUSK_CPU_ARM64_H
#define HUSK_CPU_ARM64_H

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

#include "vmm/kvm.h"

/* KVM_ARM_VCPU_INIT for vCPU id with the VM's preferred target. */
bool cpu_arm64_init(int vcpu_fd,
                    const struct kvm_vcpu_init *target,
                    unsigned id,
                    GError **errp);

/* The boot CPU at the kernel's entry. */
bool cpu_arm64_set_entry(int vcpu_fd, uint64_t pc, uint64_t dtb, GError **errp);

/* MPIDR_EL1 (its affinity is the device tree's cpu reg); -errno. */
int cpu_arm64_mpidr(int vcpu_fd, uint64_t *mpidr);

/* The program counter, for reports; -errno. */
int cpu_arm64_pc(int vcpu_fd, uint64_t *pc);

#endif
