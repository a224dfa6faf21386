/*
 * vm_arch.h: what vm.c asks of the machine's architecture: the KVM VM's
 * interrupt controller, where RAM and devices sit, the platform devices,
 * how the kernel is loaded and described (ACPI on x86, a device tree on
 * arm64), and each vCPU's first state.  vm_x86.c and vm_arm64.c implement
 * it; exactly one is built, for the host husk is built for.
 *
 * Setup thread unless noted.  Errors carry husk's exit status (error.h).
 */
#ifndef HUSK_VM_ARCH_H
#define HUSK_VM_ARCH_H

#include <glib.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct vm;
struct vcpu;

#if defined(__aarch64__)
#include "vmm/vm_arm64.h"
#else
#include "vmm/vm_x86.h"
#endif

/* Guest RAM: at most two regions, in guest-physical order. */
struct vm_ram_plan {
    unsigned n;
    uint64_t gpa[2], size[2];
};

/* KVM_CREATE_VM's machine type for this host. */
unsigned long vm_arch_vm_type(const struct vm *vm);

/* Right after KVM_CREATE_VM: the in-kernel interrupt controller and
 * whatever else the VM needs before memory and vCPUs. */
bool vm_arch_init(struct vm *vm, GError **errp);

/* Where mem bytes of RAM go; false (with errp) if they cannot. */
bool vm_arch_ram_plan(uint64_t mem, struct vm_ram_plan *p, GError **errp);

/* The release ("6.1.0-27-cloud-amd64") a kernel image's header names,
 * into out (NUL-ended); false if the format has no such field (an arm64
 * Image: its banner tells, exec_kernel.c). */
bool vm_arch_kernel_release(const uint8_t *img,
                            size_t len,
                            char *out,
                            size_t outlen);

/* The kernel image (vm->kernel_img) is one this machine boots; checked
 * before /dev/kvm is opened.  Errors are HUSK_EXIT_DATAERR. */
bool vm_arch_check_kernel(struct vm *vm, GError **errp);

/* The platform devices: UART, exit and marker devices, power button. */
bool vm_arch_create_platform(struct vm *vm, GError **errp);

/* Where virtio-mmio device number index goes: its window and its
 * interrupt line (a GSI on x86, an SPI on arm64, as irqfd takes it). */
bool vm_arch_virtio_place(struct vm *vm,
                          unsigned index,
                          uint64_t *base,
                          unsigned *gsi,
                          GError **errp);

/* The number KVM_IRQ_LINE takes for interrupt line gsi. */
uint32_t vm_arch_irq_line(unsigned gsi);

/* Kernel, initrd and command line into guest memory, with the firmware's
 * description of the machine (vm->fw_devs); the entry state is kept in
 * vm->arch for vm_arch_set_entry. */
bool vm_arch_load_guest(struct vm *vm, const char *cmdline, GError **errp);

/* vCPU v is created: its model (x86: CPUID, MSRs; arm64: the target and
 * PSCI).  Not for a restored VM's vCPUs, whose model is the snapshot's
 * (a restore calls vm_arch_vcpus_created only). */
bool vm_arch_vcpu_init(struct vm *vm, struct vcpu *v, GError **errp);

/* Every vCPU exists (arm64: the GIC can be initialised only now). */
bool vm_arch_vcpus_created(struct vm *vm, GError **errp);

/* The boot CPU at the kernel's entry point (the others wait for the
 * guest to start them: SIPI, PSCI CPU_ON). */
bool vm_arch_set_entry(struct vm *vm, GError **errp);

/* Why a snapshot of this VM cannot be taken on this architecture, or
 * NULL. */
const char *vm_arch_snapshot_unsupported(const struct vm *vm);

/* Logs (g_debug) where vCPU v stopped.  vCPU thread. */
void vm_arch_vcpu_report_stop(struct vcpu *v);

/* What vm_arch_init and vm_arch_load_guest left open or allocated; on
 * any struct vm that was zeroed, whether they ran or not. */
void vm_arch_destroy(struct vm *vm);

#endif
