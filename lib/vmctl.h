/*
 * vmctl.h: what a device may ask of the VM it sits in, without seeing KVM:
 * raise or lower an interrupt line, and end the VM with a reason.
 */
#ifndef HUSK_VMCTL_H
#define HUSK_VMCTL_H

#include <stdbool.h>

enum vm_exit_reason {
    VM_EXIT_POWEROFF, /* ACPI S5 */
    VM_EXIT_RESET,    /* ACPI reset register, i8042, triple fault */
    VM_EXIT_PORT,     /* the guest wrote the exit-status port */
    VM_EXIT_PANIC,    /* pvpanic */
    VM_EXIT_TIMEOUT,  /* --timeout */
    VM_EXIT_SIGNAL,   /* SIGTERM/SIGINT/SIGHUP to husk */
    VM_EXIT_QUIT,     /* Ctrl-A x on the console */
    VM_EXIT_ERROR,    /* KVM could not run the guest */
};

/* Boot markers a guest writes (timeline.h). */
enum vm_marker {
    VM_MARKER_BOOT_TIMER, /* Firecracker's: port 0x3f0 or MMIO 0xc0000000 */
    VM_MARKER_DEBUG_PORT, /* Cloud Hypervisor's debug port 0x80 */
};

struct vm_ctl {
    /* First request wins; later ones are ignored.  Any thread. */
    void (*request_exit)(struct vm_ctl *c, enum vm_exit_reason r, int status);
    /* The guest wrote a boot marker (code: the byte).  Optional; any
     * thread; must be cheap (a vCPU is waiting). */
    void (*boot_marker)(struct vm_ctl *c, enum vm_marker m, unsigned code);
    /* True once the VM is ending (an exit was requested: --timeout, a
     * signal, the guest).  A device thread that waits (a reset draining
     * the disk, a helper's reply) gives up when it turns true, so no wait
     * outlives the VM.  Optional; any thread; lock-free. */
    bool (*stopping)(struct vm_ctl *c);
};

struct irq_line {
    /* Sets the line's level (edge lines: a rising edge).  Any thread. */
    void (*set)(struct irq_line *l, bool level);
};

#endif
