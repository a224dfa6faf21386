/*
 * snapshot_arm64.c: the architecture's part of a snapshot on arm64
 * (snapshot_arch.h): not written yet.  vm_arch_snapshot_unsupported
 * refuses a snapshot before anything is taken; these refuse a restore
 * (of a snapshot from another host) with the same reason.  A real one
 * saves every register KVM_GET_REG_LIST names and the vGIC's state
 * (KVM_DEV_ARM_VGIC_GRP_DIST_REGS, _REDIST_REGS, _CPU_SYSREGS).
 */
#define G_LOG_DOMAIN "husk"
#include "lib/error.h"
#include "vmm/snapshot_arch.h"

static bool unsupported(GError **errp)
{
    g_set_error(errp, HUSK_ERROR, HUSK_EXIT_UNAVAILABLE,
                "snapshots are not supported on arm64 yet");
    return false;
}

bool snap_cpu_save(int vcpu_fd,
                   const struct kvm *k,
                   const void *identity,
                   struct st_writer *w,
                   GError **errp)
{
    return unsupported(errp);
}

bool snap_cpu_load(int vcpu_fd,
                   const struct kvm *k,
                   const void *model,
                   struct st_reader *r,
                   void **identity,
                   GError **errp)
{
    return unsupported(errp);
}

void *snap_cpu_model(const struct kvm *k, unsigned id, unsigned nr)
{
    return NULL;
}

bool snap_vm_save(int vm_fd, struct st_writer *w, GError **errp)
{
    return unsupported(errp);
}

bool snap_vm_load(int vm_fd, struct st_reader *r, GError **errp)
{
    return unsupported(errp);
}
