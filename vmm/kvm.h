/*
 * kvm.h: thin wrappers around the /dev/kvm system ioctls (KVM API,
 * Documentation/virt/kvm/api.rst) and what husk learns about the host.
 * Only vmm/ includes <linux/kvm.h>.
 */
#ifndef HUSK_KVM_H
#define HUSK_KVM_H

#include <glib.h>
#include <linux/kvm.h>
#include <stdbool.h>
#include <stdint.h>

struct kvm {
    int fd;
    int api_version;
    int vcpu_mmap_size;
    int max_vcpus;
    /* x86 (kvm_x86.c) */
    int xsave2_size;           /* KVM_CAP_XSAVE2: the XSAVE area's size, or 0 */
    struct kvm_cpuid2 *cpuid;  /* KVM_GET_SUPPORTED_CPUID */
    struct kvm_msr_list *msrs; /* KVM_GET_MSR_INDEX_LIST */
    /* arm64 (kvm_arm64.c) */
    int ipa_bits;        /* KVM_CAP_ARM_VM_IPA_SIZE: guest-physical bits */
    uint32_t arm_target; /* KVM_ARM_PREFERRED_TARGET */
};

/* How /dev/kvm is provided on this host. */
enum kvm_backing {
    KVM_BACKING_NONE,     /* no /dev/kvm (or no kvm module) */
    KVM_BACKING_HARDWARE, /* kvm_intel / kvm_amd: VT-x or AMD-V */
    KVM_BACKING_PVM,      /* kvm_pvm: software, no Linux guests */
    KVM_BACKING_UNKNOWN,
};

/* Opens /dev/kvm (or $HUSK_KVM_DEV) and checks the API and capabilities
 * husk needs.  Errors are HUSK_EXIT_UNAVAILABLE with how to fix them. */
bool kvm_open(struct kvm *k, GError **errp);
void kvm_close(struct kvm *k);
int kvm_check_extension(const struct kvm *k, long cap);
bool kvm_has_msr(const struct kvm *k, uint32_t index);

/* The architecture's part of kvm_open and kvm_close (kvm_x86.c,
 * kvm_arm64.c), of kvm_backing_at (the device node exists), and the
 * capabilities husk check lists (name NULL ends them). */
bool kvm_arch_open(struct kvm *k, GError **errp);
void kvm_arch_close(struct kvm *k);
enum kvm_backing kvm_arch_backing_at(const char *sysfs);
struct kvm_cap_name {
    long cap;
    const char *name;
};
extern const struct kvm_cap_name kvm_arch_caps[];
/* What kvm_open refuses to go on without on this architecture. */
extern const struct kvm_cap_name kvm_arch_required_caps[];

/* This host's backing ($HUSK_SYSFS_ROOT stands for /sys in tests), and
 * the decision itself, from a sysfs root and a device path. */
enum kvm_backing kvm_backing(void);
enum kvm_backing kvm_backing_at(const char *sysfs, const char *dev);
const char *kvm_backing_name(enum kvm_backing b);
const char *kvm_device_path(void);

#endif
