/*
 * snapshot_arch.h: the architecture's part of a snapshot: each vCPU's
 * state and the VM's in-kernel devices (interrupt controllers, clock),
 * saved from KVM and set back into a new VM (snapshot_x86.c).
 *
 * Save runs with every vCPU parked (no KVM_RUN in progress, the last
 * exit completed); load runs on a vCPU that has never run.  A loaded
 * state is untrusted (lib/state.h): sizes and counts are bounded here and
 * the values themselves are KVM's to refuse.
 */
#ifndef HUSK_SNAPSHOT_ARCH_H
#define HUSK_SNAPSHOT_ARCH_H

#include <glib.h>
#include <stdbool.h>

#include "lib/state.h"
#include "vmm/kvm.h"

/* identity: what husk set as the vCPU's model (struct vcpu). */
bool snap_cpu_save(int vcpu_fd,
                   const struct kvm *k,
                   const void *identity,
                   struct st_writer *w,
                   GError **errp);
/* CPUID first (checked against model, what husk would give this vCPU on
 * this host: a feature the snapshot's guest saw that this host's KVM
 * lacks is HUSK_EXIT_UNAVAILABLE; the topology husk sets is the same
 * for the same CPU count),
 * then the registers, the LAPIC, MSRs and pending events. */
bool snap_cpu_load(int vcpu_fd,
                   const struct kvm *k,
                   const void *model,
                   struct st_reader *r,
                   void **identity,
                   GError **errp);

/* What husk gives vCPU id of nr on this host (x86: its CPUID table), for
 * snap_cpu_load's model; the caller frees it. */
void *snap_cpu_model(const struct kvm *k, unsigned id, unsigned nr);

bool snap_vm_save(int vm_fd, struct st_writer *w, GError **errp);
bool snap_vm_load(int vm_fd, struct st_reader *r, GError **errp);

#endif
