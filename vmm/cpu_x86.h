/*
 * cpu_x86.h: per-vCPU x86 state husk sets before the first KVM_RUN: CPUID
 * (topology, APIC IDs, no PMU), MSRs, and the register state the boot
 * protocol asks for.
 */
#ifndef HUSK_CPU_X86_H
#define HUSK_CPU_X86_H

#include <glib.h>
#include <stdbool.h>

#include "firmware/kernel_x86.h"
#include "vmm/kvm.h"

/* CPUID and MSRs for vCPU `id` of `nr_cpus`; *cpuid: the table set (the
 * caller frees it).  Setup thread. */
bool cpu_x86_init(int vcpu_fd,
                  const struct kvm *k,
                  unsigned id,
                  unsigned nr_cpus,
                  struct kvm_cpuid2 **cpuid,
                  GError **errp);

/* Registers for the boot CPU at the kernel's entry point. */
bool cpu_x86_set_entry(int vcpu_fd,
                       const struct kernel_entry *e,
                       GError **errp);

/* The CPUID table vCPU `id` gets (caller frees), for tests and debugging. */
struct kvm_cpuid2 *cpu_x86_cpuid(const struct kvm_cpuid2 *supported,
                                 unsigned id,
                                 unsigned nr_cpus);

#endif
