/*
 * bus.h: an address space of device ranges (one for port I/O, one for
 * MMIO).  Ranges never overlap; registration happens before vCPUs start and
 * the table is immutable afterwards, so dispatch takes no lock.
 */
#ifndef HUSK_BUS_H
#define HUSK_BUS_H

#include <stdbool.h>
#include <stdint.h>

struct bus_ops {
    /* off is relative to the range base; size is 1, 2, 4 or 8. */
    uint64_t (*read)(void *opaque, uint64_t off, unsigned size);
    void (*write)(void *opaque, uint64_t off, uint64_t val, unsigned size);
};

struct bus_range {
    const char *name;
    uint64_t base;
    uint64_t len;
    const struct bus_ops *ops;
    void *opaque;
};

#define BUS_MAX_RANGES 64

struct bus {
    const char *name;
    struct bus_range r[BUS_MAX_RANGES]; /* sorted by base */
    unsigned nr;
    bool frozen;
    unsigned long unmapped; /* accesses that hit nothing (guest errors) */
};

void bus_init(struct bus *b, const char *name);

/*
 * Adds [base, base + len).  0, -EINVAL for len 0 or wrap-around, -EEXIST on
 * overlap with a registered range, -ENOSPC when full.  Setup thread only.
 */
int bus_add(struct bus *b,
            const char *name,
            uint64_t base,
            uint64_t len,
            const struct bus_ops *ops,
            void *opaque);

/* After this, bus_add() is a programming error. */
void bus_freeze(struct bus *b);

/*
 * Dispatch an access of size 1, 2, 4 or 8 bytes (little-endian in data).
 * The whole access must fit in one range, else it is unmapped: reads give
 * zeros, writes are dropped, and false is returned.  Any thread.
 */
bool bus_read(struct bus *b, uint64_t addr, void *data, unsigned size);
bool bus_write(struct bus *b, uint64_t addr, const void *data, unsigned size);

/* The range containing addr, or NULL. */
const struct bus_range *bus_find(const struct bus *b, uint64_t addr);

#endif
