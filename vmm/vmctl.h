/*
 * vmctl.h: what a device may ask of the VM it sits in, without seeing KVM:
 * raise or lower an interrupt line, and end the VM with a reason.
 */
#ifndef HUSK_VMCTL_H
#define HUSK_VMCTL_H

#include <stdbool.h>

enum vm_exit_reason {
    VM_EXIT_POWEROFF,  /* ACPI S5 */
    VM_EXIT_RESET,     /* ACPI reset register, i8042, triple fault */
    VM_EXIT_PORT,      /* the guest wrote the exit-status port */
    VM_EXIT_PANIC,     /* pvpanic */
    VM_EXIT_TIMEOUT,   /* --timeout */
    VM_EXIT_SIGNAL,    /* SIGTERM/SIGINT/SIGHUP to husk */
    VM_EXIT_QUIT,      /* Ctrl-A x on the console */
    VM_EXIT_ERROR,     /* KVM could not run the guest */
};

struct vm_ctl {
    /* First request wins; later ones are ignored.  Any thread. */
    void (*request_exit)(struct vm_ctl *c, enum vm_exit_reason r, int status);
};

struct irq_line {
    /* Sets the line's level (edge lines: a rising edge).  Any thread. */
    void (*set)(struct irq_line *l, bool level);
};

#endif
