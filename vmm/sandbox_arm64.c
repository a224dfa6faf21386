/*
 * sandbox_arm64.c: what arm64 adds to the shared allow-lists
 * (sandbox_lists.c).  arm64 has no poll, open, stat, mkdir or unlink
 * (only their *at and ppoll forms, which glibc uses there); the vCPU
 * reads its PC with KVM_GET_ONE_REG when it stops.
 */
#include <linux/kvm.h>

#include "vmm/sandbox.h"

// clang-format off
static const char *const slirp_calls[] = {
    "newfstatat", /* /etc/resolv.conf */
    NULL,
};

/* A snapshot's directory made, the socket's name removed at the end. */
static const char *const api_calls[] = {
    "mkdirat", "unlinkat",
    NULL,
};

static const char *const none[] = {NULL};
// clang-format on

const char *const *const sandbox_arch_syscalls[SANDBOX_NR_ROLES] = {
    [SANDBOX_MAIN] = none,
    [SANDBOX_VCPU] = none,
    [SANDBOX_SLIRP] = slirp_calls,
    [SANDBOX_API] = api_calls,
};

/* Where a vCPU stopped (vm_arch_vcpu_report_stop). */
static const unsigned long vcpu_ioctls[] = {KVM_GET_ONE_REG, 0};
static const unsigned long no_ioctls[] = {0};

const unsigned long *const sandbox_arch_ioctls[SANDBOX_NR_ROLES] = {
    [SANDBOX_MAIN] = no_ioctls,
    [SANDBOX_VCPU] = vcpu_ioctls,
    [SANDBOX_SLIRP] = no_ioctls,
    [SANDBOX_API] = no_ioctls,
};
