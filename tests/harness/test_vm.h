/*
 * test_vm.h: a "VM" with no KVM in it for unit tests: calloc'd guest RAM
 * described by a guest_mem, a counting interrupt line and a recording
 * vm_ctl.
 */
#ifndef HUSK_TEST_VM_H
#define HUSK_TEST_VM_H

#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "lib/guest_mem.h"
#include "lib/vmctl.h"

struct test_irq {
    struct irq_line line;
    bool level;
    unsigned rising; /* number of low->high transitions */
};

static inline void test_irq_set(struct irq_line *l, bool level)
{
    struct test_irq *t = (struct test_irq *)l;

    if (level && !t->level) {
        t->rising++;
    }
    t->level = level;
}

static inline void test_irq_init(struct test_irq *t)
{
    t->line.set = test_irq_set;
    t->level = false;
    t->rising = 0;
}

struct test_ctl {
    struct vm_ctl ctl;
    unsigned requests;
    enum vm_exit_reason reason;
    int status;
};

static inline void test_ctl_exit(struct vm_ctl *c,
                                 enum vm_exit_reason r,
                                 int status)
{
    struct test_ctl *t = (struct test_ctl *)c;

    t->requests++;
    t->reason = r;
    t->status = status;
}

static inline void test_ctl_init(struct test_ctl *t)
{
    t->ctl.request_exit = test_ctl_exit;
    t->requests = 0;
    t->status = -1;
}

/* Guest RAM: [0, low) and, if high, [4 GiB, 4 GiB + high). */
struct test_mem {
    struct guest_mem gm;
    uint8_t *low, *high;
    uint64_t low_size, high_size;
};

static inline void test_mem_init(struct test_mem *t,
                                 uint64_t low,
                                 uint64_t high)
{
    t->gm.nr = 0;
    t->low = calloc(1, low);
    t->low_size = low;
    gm_add_region(&t->gm, 0, low, t->low);
    t->high = NULL;
    t->high_size = high;
    if (high) {
        t->high = calloc(1, high);
        gm_add_region(&t->gm, 0x100000000ULL, high, t->high);
    }
}

/* Guest RAM as husk makes it when a helper shares it (--net user): one
 * sealed memfd of low bytes, mapped shared; its descriptor, or -1. */
static inline int test_mem_init_shared(struct test_mem *t, uint64_t low)
{
    int fd = gm_memfd_new("test-ram", low, false);

    t->gm.nr = 0;
    t->high = NULL;
    t->high_size = 0;
    t->low_size = low;
    t->low = fd < 0
                 ? MAP_FAILED
                 : mmap(NULL, low, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (t->low == MAP_FAILED) {
        t->low = NULL;
        if (fd >= 0) {
            close(fd);
        }
        return -1;
    }
    gm_add_region(&t->gm, 0, low, t->low);
    return fd;
}

static inline void test_mem_free(struct test_mem *t)
{
    free(t->low);
    free(t->high);
}

#endif
