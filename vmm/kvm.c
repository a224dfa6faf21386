/*
 * kvm.c: opening /dev/kvm and querying the host (KVM API §4.1-4.4).
 */
#define G_LOG_DOMAIN "husk"
#include "vmm/kvm.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "lib/error.h"

/* Capabilities husk cannot run without, on any architecture (the
 * architecture's own: kvm_arch_required_caps). */
static const struct kvm_cap_name required_caps[] = {
    {KVM_CAP_USER_MEMORY, "KVM_CAP_USER_MEMORY"},
    {KVM_CAP_IMMEDIATE_EXIT, "KVM_CAP_IMMEDIATE_EXIT"},
    {0, NULL},
};

static bool has_caps(const struct kvm *k,
                     const struct kvm_cap_name *caps,
                     GError **errp)
{
    for (const struct kvm_cap_name *c = caps; c->name; c++) {
        if (kvm_check_extension(k, c->cap) <= 0) {
            g_set_error(errp, HUSK_ERROR, HUSK_EXIT_UNAVAILABLE,
                        "KVM on this host lacks %s", c->name);
            return false;
        }
    }
    return true;
}

const char *kvm_device_path(void)
{
    const char *p = getenv("HUSK_KVM_DEV");

    return p && *p ? p : "/dev/kvm";
}

bool kvm_open(struct kvm *k, GError **errp)
{
    const char *path = kvm_device_path();

    memset(k, 0, sizeof(*k));
    (void)kvm_backing();
    k->fd = open(path, O_RDWR | O_CLOEXEC);
    if (k->fd < 0) {
        int e = errno;

        if (e == ENOENT) {
            g_set_error(errp, HUSK_ERROR, HUSK_EXIT_UNAVAILABLE,
                        "%s does not exist: load the kvm_intel or kvm_amd "
                        "module (and enable VT-x/AMD-V in the firmware)",
                        path);
        } else if (e == EACCES || e == EPERM) {
            g_set_error(errp, HUSK_ERROR, HUSK_EXIT_UNAVAILABLE,
                        "%s: permission denied: add yourself to its group "
                        "(usually 'sudo usermod -aG kvm $USER', then log in "
                        "again)",
                        path);
        } else {
            g_set_error(errp, HUSK_ERROR, HUSK_EXIT_UNAVAILABLE,
                        "cannot open %s: %s", path, g_strerror(e));
        }
        return false;
    }
    k->api_version = ioctl(k->fd, KVM_GET_API_VERSION, 0);
    if (k->api_version != KVM_API_VERSION) {
        g_set_error(errp, HUSK_ERROR, HUSK_EXIT_UNAVAILABLE,
                    "%s speaks KVM API %d; husk needs %d", path, k->api_version,
                    KVM_API_VERSION);
        goto out_close;
    }
    if (!has_caps(k, required_caps, errp) ||
        !has_caps(k, kvm_arch_required_caps, errp)) {
        goto out_close;
    }
    k->vcpu_mmap_size = ioctl(k->fd, KVM_GET_VCPU_MMAP_SIZE, 0);
    if (k->vcpu_mmap_size <= 0) {
        g_set_error(errp, HUSK_ERROR, HUSK_EXIT_UNAVAILABLE,
                    "KVM_GET_VCPU_MMAP_SIZE failed: %s", g_strerror(errno));
        goto out_close;
    }
    k->max_vcpus = kvm_check_extension(k, KVM_CAP_MAX_VCPUS);
    if (k->max_vcpus <= 0) {
        k->max_vcpus = kvm_check_extension(k, KVM_CAP_NR_VCPUS);
    }
    if (k->max_vcpus <= 0) {
        k->max_vcpus = 4; /* the API's documented minimum */
    }

    if (!kvm_arch_open(k, errp)) {
        goto out_close;
    }
    return true;

out_close:
    kvm_close(k);
    return false;
}

void kvm_close(struct kvm *k)
{
    if (k->fd > 0) {
        close(k->fd);
    }
    kvm_arch_close(k);
    memset(k, 0, sizeof(*k));
    k->fd = -1;
}

int kvm_check_extension(const struct kvm *k, long cap)
{
    int r = ioctl(k->fd, KVM_CHECK_EXTENSION, cap);

    return r < 0 ? 0 : r;
}

enum kvm_backing kvm_backing_at(const char *sysfs, const char *dev)
{
    if (!g_file_test(dev, G_FILE_TEST_EXISTS)) {
        return KVM_BACKING_NONE;
    }
    return kvm_arch_backing_at(sysfs);
}

/* Decided once, before the sandbox (kvm_open asks first): a vCPU thread
 * that names the backing in an error message may not stat files. */
enum kvm_backing kvm_backing(void)
{
    static int cached = -1;

    if (cached < 0) {
        const char *root = getenv("HUSK_SYSFS_ROOT");

        cached =
            kvm_backing_at(root && *root ? root : "/sys", kvm_device_path());
    }
    return (enum kvm_backing)cached;
}

const char *kvm_backing_name(enum kvm_backing b)
{
    switch (b) {
    case KVM_BACKING_NONE:
        return "none (no /dev/kvm)";
    case KVM_BACKING_HARDWARE:
        return "hardware virtualization (kvm_intel/kvm_amd; arm64: EL2)";
    case KVM_BACKING_PVM:
        return "PVM, software-backed (kvm_pvm)";
    default:
        return "unknown";
    }
}
