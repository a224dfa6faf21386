/*
 * run.h: a configured VM run as a command (husk run, husk exec): the
 * warning about a software-backed /dev/kvm, the boot timeline, the run,
 * and husk's exit status.
 */
#ifndef HUSK_RUN_H
#define HUSK_RUN_H

#include "vmm/config.h"
#include "vmm/vm.h"

/* Called once the VM has ended, before it is destroyed, with the status
 * husk would return; returns the one to return instead. */
typedef int (*run_after_fn)(struct vm *vm, int status, void *opaque);

int run_vm(struct vm_config *cfg, run_after_fn after, void *opaque);

#endif
