/*
 * timeline.h: `husk run --boot-timeline[=FILE]`, when each phase of a
 * boot happened.  Monotonic timestamps (CLOCK_MONOTONIC) from the start of
 * main() to VM exit: VM created, guest memory ready, devices, kernel and
 * initrd loaded, vCPUs set up, first KVM_RUN, first console byte, every
 * boot marker the guest writes, VM exit.  With each, the CPU time husk
 * itself used so far: the process's user+sys time less the time its vCPU
 * threads spent running the guest (which Linux counts as the process's
 * user time too).
 *
 * Guest markers, so existing guest images work unchanged:
 *  - Firecracker's boot timer: a byte written to I/O port 0x3f0, or to
 *    MMIO 0xc0000000 (123 is its "boot complete" value);
 *  - Cloud Hypervisor's debug port 0x80: 0x00-0x1f firmware, 0x20-0x3f
 *    boot loader, 0x40-0x5f kernel, 0x60-0x7f user space.
 *
 * Off (the default), every tl_mark is one load and a branch.  On, a mark
 * costs two clock reads and a read of /proc/self/stat (for the guest
 * time), taken on the thread that saw the event.
 * Threads: tl_mark and tl_mark_once from any thread; the rest from main.
 */
#ifndef HUSK_TIMELINE_H
#define HUSK_TIMELINE_H

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

enum tl_event {
    TL_PROCESS_START,
    TL_VM_CREATED,    /* KVM_CREATE_VM and the in-kernel irqchip */
    TL_MEMORY_READY,  /* guest RAM mapped and given to KVM */
    TL_DEVICES_READY, /* every device created and on its bus */
    TL_KERNEL_LOADED, /* kernel, initrd, boot parameters, ACPI tables */
    TL_VCPUS_READY,   /* vCPUs created with CPUID, MSRs, entry state */
    TL_FIRST_RUN,     /* the first KVM_RUN on any vCPU */
    TL_FIRST_CONSOLE, /* the guest's first console byte (UART or hvc) */
    TL_MARKER_FC,     /* Firecracker boot timer (port 0x3f0 / MMIO) */
    TL_MARKER_DEBUG,  /* Cloud Hypervisor debug port 0x80 */
    TL_VM_EXIT,       /* every vCPU stopped */
    TL_NR_EVENTS
};

/* At most this many events are kept; markers past it are counted. */
#define TL_MAX_ENTRIES 256

struct tl_entry {
    enum tl_event ev;
    uint32_t code;    /* the marker's value */
    int64_t t_ns;     /* since process start */
    int64_t cpu_ns;   /* husk's user+sys, guest time included; -1: n/a */
    int64_t guest_ns; /* of that, running the guest (tick resolution) */
};

/* The first statement of main(): the time every other one is from. */
void tl_process_start(void);

/* Turns recording on (--boot-timeline).  Main thread, before the VM. */
void tl_enable(void);
bool tl_enabled(void);

/* Records an event now; nothing when off. */
void tl_mark_slow(enum tl_event ev, uint32_t code);
extern bool tl_on;
static inline void tl_mark(enum tl_event ev, uint32_t code)
{
    if (__builtin_expect(tl_on, 0)) {
        tl_mark_slow(ev, code);
    }
}

/* Records ev only the first time any thread calls it. */
void tl_mark_once(enum tl_event ev);

/* A copy of what was recorded, in time order; *dropped counts markers
 * that did not fit.  Main thread, after the vCPUs stopped. */
unsigned tl_entries(struct tl_entry *out, unsigned max, unsigned *dropped);

/* A name for an event ("first KVM_RUN"), and a short key for JSON. */
const char *tl_event_name(enum tl_event ev);
const char *tl_event_key(enum tl_event ev);

/* At exit: how much guest RAM is resident (pages the guest touched, from
 * mincore) and husk's peak RSS, which includes them: the difference is
 * what husk itself costs in memory. */
void tl_note_memory(uint64_t guest_resident, uint64_t peak_rss);

/* The table (stderr at exit) and the JSON file, written to fd (opened
 * before the VM runs: the sandbox allows no opening of files later). */
void tl_print(FILE *f);
bool tl_write_json(int fd, const char *exit_reason, int status, GError **errp);

/* Test hook: forget everything (recording off). */
void tl_reset(void);

#endif
