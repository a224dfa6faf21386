/*
 * sandbox_x86.c: what x86_64 adds to the shared allow-lists
 * (sandbox_lists.c): the older system calls glibc and glib still use
 * there, and the ioctls that read an x86 vCPU's state for a snapshot.
 */
#include <linux/kvm.h>

#include "vmm/sandbox.h"

// clang-format off
static const char *const main_calls[] = {
    "poll", /* the glib main loop */
    NULL,
};

static const char *const slirp_calls[] = {
    "poll", "stat", /* /etc/resolv.conf */
    NULL,
};

/* A snapshot's directory made, the socket's name removed at the end. */
static const char *const api_calls[] = {
    "poll", "mkdir", "stat", "unlink",
    NULL,
};

static const char *const none[] = {NULL};
// clang-format on

const char *const *const sandbox_arch_syscalls[SANDBOX_NR_ROLES] = {
    [SANDBOX_MAIN] = main_calls,
    [SANDBOX_VCPU] = none,
    [SANDBOX_SLIRP] = slirp_calls,
    [SANDBOX_API] = api_calls,
};

/* A snapshot reads every vCPU's state and the VM's (snapshot_x86.c). */
static const unsigned long main_ioctls[] = {
    KVM_GET_MP_STATE,  KVM_GET_REGS,
    KVM_GET_SREGS,     KVM_GET_XSAVE,
    KVM_GET_XSAVE2,    KVM_GET_XCRS,
    KVM_GET_DEBUGREGS, KVM_GET_LAPIC,
    KVM_GET_MSRS,      KVM_GET_VCPU_EVENTS,
    KVM_GET_TSC_KHZ,   KVM_GET_IRQCHIP,
    KVM_GET_CLOCK,     0,
};

/* Where a vCPU stopped (vm_arch_vcpu_report_stop). */
static const unsigned long vcpu_ioctls[] = {KVM_GET_REGS, 0};
static const unsigned long no_ioctls[] = {0};

const unsigned long *const sandbox_arch_ioctls[SANDBOX_NR_ROLES] = {
    [SANDBOX_MAIN] = main_ioctls,
    [SANDBOX_VCPU] = vcpu_ioctls,
    [SANDBOX_SLIRP] = no_ioctls,
    [SANDBOX_API] = no_ioctls,
};
