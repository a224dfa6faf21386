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

bool kvm_arch_open(struct kvm *k, GError **errp)
{
    static const struct {
        long cap;
        const char *name;
    } caps[] = {
        {KVM_CAP_ONE_REG, "KVM_CAP_ONE_REG"},
        {KVM_CAP_DEVICE_CTRL, "KVM_CAP_DEVICE_CTRL"},
        {KVM_CAP_ARM_PSCI_0_2, "KVM_CAP_ARM_PSCI_0_2"},
        {KVM_CAP_IRQFD, "KVM_CAP_IRQFD"},
    };

    for (unsigned i = 0; i < G_N_ELEMENTS(caps); i++) {
        if (kvm_check_extension(k, caps[i].cap) <= 0) {
            g_set_error(errp, HUSK_ERROR, HUSK_EXIT_UNAVAILABLE,
                        "KVM on this host lacks %s", caps[i].name);
            return false;
        }
    }
    k->ipa_bits = kvm_check_extension(k, KVM_CAP_ARM_VM_IPA_SIZE);
    if (k->ipa_bits <= 0) {
        k->ipa_bits = DEFAULT_IPA_BITS;
    }
    return true;
}

void kvm_arch_close(struct kvm *k)
{
}
