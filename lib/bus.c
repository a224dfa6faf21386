/*
 * bus.c: sorted, non-overlapping device ranges with binary-search dispatch
 * (see bus.h).  Accesses from the guest are bounds-checked here, once, so a
 * device's read/write handler only ever sees off + size <= its length.
 */
#define G_LOG_DOMAIN "husk"
#include "lib/bus.h"

#include <errno.h>
#include <glib.h>
#include <string.h>

#include "lib/log.h"
#include "lib/util.h"

void bus_init(struct bus *b, const char *name)
{
    memset(b, 0, sizeof(*b));
    b->name = name;
}

int bus_add(struct bus *b,
            const char *name,
            uint64_t base,
            uint64_t len,
            const struct bus_ops *ops,
            void *opaque)
{
    uint64_t end;
    unsigned pos;

    g_assert(!b->frozen);
    if (len == 0 || __builtin_add_overflow(base, len - 1, &end)) {
        return -EINVAL;
    }
    if (b->nr >= BUS_MAX_RANGES) {
        return -ENOSPC;
    }
    for (pos = 0; pos < b->nr && b->r[pos].base < base; pos++) {
    }
    /* Overlap with the neighbour below or above (inclusive ends). */
    if (pos > 0 && b->r[pos - 1].base + (b->r[pos - 1].len - 1) >= base) {
        return -EEXIST;
    }
    if (pos < b->nr && b->r[pos].base <= end) {
        return -EEXIST;
    }
    memmove(&b->r[pos + 1], &b->r[pos], (b->nr - pos) * sizeof(b->r[0]));
    b->r[pos] = (struct bus_range){name, base, len, ops, opaque};
    b->nr++;
    return 0;
}

void bus_freeze(struct bus *b)
{
    b->frozen = true;
}

const struct bus_range *bus_find(const struct bus *b, uint64_t addr)
{
    unsigned lo = 0, hi = b->nr;

    while (lo < hi) {
        unsigned mid = lo + (hi - lo) / 2;
        const struct bus_range *r = &b->r[mid];

        if (addr < r->base) {
            hi = mid;
        } else if (addr - r->base >= r->len) {
            lo = mid + 1;
        } else {
            return r;
        }
    }
    return NULL;
}

/* The range that holds all of [addr, addr + size), or NULL. */
static const struct bus_range *bus_find_access(struct bus *b,
                                               uint64_t addr,
                                               unsigned size)
{
    const struct bus_range *r;

    if (size != 1 && size != 2 && size != 4 && size != 8) {
        return NULL;
    }
    r = bus_find(b, addr);
    if (!r || r->len < size || addr - r->base > r->len - size) {
        return NULL;
    }
    return r;
}

bool bus_read(struct bus *b, uint64_t addr, void *data, unsigned size)
{
    const struct bus_range *r = bus_find_access(b, addr, size);
    uint64_t v;
    uint8_t le[8];

    if (!r || !r->ops->read) {
        if (size <= 8) {
            memset(data, 0, size);
        }
        __atomic_add_fetch(&b->unmapped, 1, __ATOMIC_RELAXED);
        guest_error("%s: read of %u bytes at unmapped 0x%" PRIx64, b->name,
                    size, addr);
        return false;
    }
    v = r->ops->read(r->opaque, addr - r->base, size);
    put_le64(le, v);
    memcpy(data, le, size);
    return true;
}

bool bus_write(struct bus *b, uint64_t addr, const void *data, unsigned size)
{
    const struct bus_range *r = bus_find_access(b, addr, size);
    uint8_t le[8] = {0};

    if (!r || !r->ops->write) {
        __atomic_add_fetch(&b->unmapped, 1, __ATOMIC_RELAXED);
        guest_error("%s: write of %u bytes at unmapped 0x%" PRIx64, b->name,
                    size, addr);
        return false;
    }
    memcpy(le, data, size);
    r->ops->write(r->opaque, addr - r->base, get_le64(le), size);
    return true;
}
