/*
 * kvm_x86.c: what husk learns from /dev/kvm on x86 (KVM API §4.46
 * KVM_GET_SUPPORTED_CPUID, §4.3 KVM_GET_MSR_INDEX_LIST): the CPUID
 * features and MSRs this host's KVM can give a guest.
 */
#define G_LOG_DOMAIN "husk"
#include <errno.h>
#include <sys/ioctl.h>

#include "lib/error.h"
#include "vmm/kvm.h"

#define CPUID_MAX_ENTRIES 256

const struct kvm_cap_name kvm_arch_required_caps[] = {
    {KVM_CAP_IRQCHIP, "KVM_CAP_IRQCHIP"},
    {KVM_CAP_EXT_CPUID, "KVM_CAP_EXT_CPUID"},
    {0, NULL},
};

bool kvm_arch_open(struct kvm *k, GError **errp)
{
    int n;

    k->xsave2_size = kvm_check_extension(k, KVM_CAP_XSAVE2);
    k->cpuid = g_malloc0(sizeof(*k->cpuid) +
                         CPUID_MAX_ENTRIES * sizeof(k->cpuid->entries[0]));
    k->cpuid->nent = CPUID_MAX_ENTRIES;
    if (ioctl(k->fd, KVM_GET_SUPPORTED_CPUID, k->cpuid) < 0) {
        g_set_error(errp, HUSK_ERROR, HUSK_EXIT_UNAVAILABLE,
                    "KVM_GET_SUPPORTED_CPUID failed: %s", g_strerror(errno));
        return false;
    }

    /* Ask for the count first, then the list. */
    {
        struct kvm_msr_list probe = {.nmsrs = 0};

        ioctl(k->fd, KVM_GET_MSR_INDEX_LIST, &probe);
        n = probe.nmsrs;
        k->msrs = g_malloc0(sizeof(*k->msrs) + n * sizeof(uint32_t));
        k->msrs->nmsrs = n;
        if (n && ioctl(k->fd, KVM_GET_MSR_INDEX_LIST, k->msrs) < 0) {
            k->msrs->nmsrs = 0;
        }
    }
    return true;
}

void kvm_arch_close(struct kvm *k)
{
    g_free(k->cpuid);
    g_free(k->msrs);
}

bool kvm_has_msr(const struct kvm *k, uint32_t index)
{
    if (!k->msrs) {
        return false;
    }
    for (unsigned i = 0; i < k->msrs->nmsrs; i++) {
        if (k->msrs->indices[i] == index) {
            return true;
        }
    }
    return false;
}

/* The decision from what the kernel shows: which KVM module is bound (a
 * module is a directory under SYSFS/module); the device node exists.  kvm_pvm
 * is loaded on machines whose kernel is itself a PVM guest too; there it is not
 * bound and there is no /dev/kvm, which makes that host "none", not PVM. */
enum kvm_backing kvm_arch_backing_at(const char *sysfs)
{
    g_autofree char *intel =
        g_build_filename(sysfs, "module", "kvm_intel", NULL);
    g_autofree char *amd = g_build_filename(sysfs, "module", "kvm_amd", NULL);
    g_autofree char *pvm = g_build_filename(sysfs, "module", "kvm_pvm", NULL);
    g_autofree char *kvm = g_build_filename(sysfs, "module", "kvm", NULL);

    if (!g_file_test(kvm, G_FILE_TEST_IS_DIR)) {
        return KVM_BACKING_NONE;
    }
    if (g_file_test(intel, G_FILE_TEST_IS_DIR) ||
        g_file_test(amd, G_FILE_TEST_IS_DIR)) {
        return KVM_BACKING_HARDWARE;
    }
    if (g_file_test(pvm, G_FILE_TEST_IS_DIR)) {
        return KVM_BACKING_PVM;
    }
    return KVM_BACKING_UNKNOWN;
}

const struct kvm_cap_name kvm_arch_caps[] = {
    {KVM_CAP_IRQCHIP, "IRQCHIP"},
    {KVM_CAP_USER_MEMORY, "USER_MEMORY"},
    {KVM_CAP_EXT_CPUID, "EXT_CPUID"},
    {KVM_CAP_IMMEDIATE_EXIT, "IMMEDIATE_EXIT"},
    {KVM_CAP_IOEVENTFD, "IOEVENTFD"},
    {KVM_CAP_IRQFD, "IRQFD"},
    {KVM_CAP_X2APIC_API, "X2APIC_API"},
    {KVM_CAP_TSC_DEADLINE_TIMER, "TSC_DEADLINE_TIMER"},
    {0, NULL},
};
