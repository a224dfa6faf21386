/*
 * kvm_arm64.c: what husk needs from /dev/kvm on arm64 (KVM API §4.82
 * KVM_ARM_VCPU_INIT, §8.5 KVM_CAP_ARM_VM_IPA_SIZE, §4.80
 * KVM_CREATE_DEVICE): one-reg access, the in-kernel GIC as a device,
 * PSCI 0.2, and the guest-physical address size.
 */
#define G_LOG_DOMAIN "husk"
#include "lib/error.h"
#include "vmm/kvm.h"

/* Without KVM_CAP_ARM_VM_IPA_SIZE a VM has 40 bits (1 TiB). */
#define DEFAULT_IPA_BITS 40

const struct kvm_cap_name kvm_arch_required_caps[] = {
    {KVM_CAP_ONE_REG, "KVM_CAP_ONE_REG"},
    {KVM_CAP_DEVICE_CTRL, "KVM_CAP_DEVICE_CTRL"},
    {KVM_CAP_ARM_PSCI_0_2, "KVM_CAP_ARM_PSCI_0_2"},
    {KVM_CAP_IRQFD, "KVM_CAP_IRQFD"},
    {0, NULL},
};

bool kvm_arch_open(struct kvm *k, GError **errp)
{
    k->ipa_bits = kvm_check_extension(k, KVM_CAP_ARM_VM_IPA_SIZE);
    if (k->ipa_bits <= 0) {
        k->ipa_bits = DEFAULT_IPA_BITS;
    }
    return true;
}

void kvm_arch_close(struct kvm *k)
{
}

/* arm64 KVM runs guests at EL1 on the CPU's own virtualization (EL2),
 * nested or not: there is no software-backed flavour like PVM. */
enum kvm_backing kvm_arch_backing_at(const char *sysfs)
{
    return KVM_BACKING_HARDWARE;
}

const struct kvm_cap_name kvm_arch_caps[] = {
    {KVM_CAP_USER_MEMORY, "USER_MEMORY"},
    {KVM_CAP_IMMEDIATE_EXIT, "IMMEDIATE_EXIT"},
    {KVM_CAP_IOEVENTFD, "IOEVENTFD"},
    {KVM_CAP_IRQFD, "IRQFD"},
    {KVM_CAP_ONE_REG, "ONE_REG"},
    {KVM_CAP_DEVICE_CTRL, "DEVICE_CTRL"},
    {KVM_CAP_ARM_PSCI_0_2, "ARM_PSCI_0_2"},
    {KVM_CAP_ARM_PMU_V3, "ARM_PMU_V3"},
    {KVM_CAP_ARM_SVE, "ARM_SVE"},
    {0, NULL},
};
