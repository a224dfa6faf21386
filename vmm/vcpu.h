/*
 * vcpu.h: one thread per vCPU running KVM_RUN and dispatching its exits to
 * the VM's buses.  A vCPU thread never blocks on a backend; it only takes
 * device register locks.
 */
#ifndef HUSK_VCPU_H
#define HUSK_VCPU_H

#include <glib.h>
#include <linux/kvm.h>
#include <pthread.h>
#include <stdbool.h>

struct vm;

struct vcpu {
    struct vm *vm;
    unsigned id;
    int fd;
    struct kvm_run *run;
    pthread_t thread;
    bool started;
    unsigned long exits_io, exits_mmio;
    /* What husk told KVM this vCPU is (x86: the CPUID table, a struct
     * kvm_cpuid2), kept for snapshots: KVM's own view of it may hold
     * more than was set.  Freed with the vCPU. */
    void *identity;
};

/* Creates vCPU `id` (KVM_CREATE_VCPU + mmap of kvm_run). Setup thread. */
bool vcpu_create(struct vcpu *v, struct vm *vm, unsigned id, GError **errp);
/* Starts the thread. */
bool vcpu_start(struct vcpu *v, GError **errp);
/* Makes a running KVM_RUN return and keeps it from re-entering. Any thread. */
void vcpu_kick(struct vcpu *v);
void vcpu_join(struct vcpu *v);
void vcpu_destroy(struct vcpu *v);

/* Stops every vCPU at an instruction boundary, each with its last exit
 * completed, so that its state can be read (snapshots) or the guest held
 * (pause); waits at most timeout_ms for all to park.  0, -ETIMEDOUT
 * (then resumed again) or -ECANCELED (the VM is stopping).  Main
 * thread. */
int vcpu_pause_all(struct vm *vm, unsigned timeout_ms);
void vcpu_resume_all(struct vm *vm);

/* Installs the (empty) kick signal handler; once per process. */
void vcpu_signals_init(void);

#endif
