/*
 * guest_mem.h: the guest-physical address space as a list of RAM regions,
 * and the one range-checked path by which husk touches guest memory.
 *
 * Every address or length that comes from the guest (descriptor, register,
 * table pointer) must be translated here: gm_ptr() returns a host pointer only
 * if the whole range [gpa, gpa + len) lies inside one RAM region.
 */
#ifndef HUSK_GUEST_MEM_H
#define HUSK_GUEST_MEM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define GM_MAX_REGIONS 4

struct gm_region {
    uint64_t gpa;
    uint64_t size;
    uint8_t *hva;
};

struct guest_mem {
    struct gm_region r[GM_MAX_REGIONS];
    unsigned nr;
};

/* Adds a region; -EINVAL for size 0, wrap-around or overlap, -ENOSPC if full.
 */
int gm_add_region(struct guest_mem *gm, uint64_t gpa, uint64_t size, void *hva);

/*
 * Host pointer for [gpa, gpa + len) iff it lies inside one region, else NULL.
 * len == 0 is rejected.  Overflow-safe.  Any thread.
 */
void *gm_ptr(const struct guest_mem *gm, uint64_t gpa, size_t len);

/* Copy in or out of guest memory: 0, or -EFAULT if the range is not RAM. */
int gm_read(const struct guest_mem *gm, uint64_t gpa, void *dst, size_t len);
int gm_write(const struct guest_mem *gm,
             uint64_t gpa,
             const void *src,
             size_t len);
int gm_read_le16(const struct guest_mem *gm, uint64_t gpa, uint16_t *out);
int gm_read_le32(const struct guest_mem *gm, uint64_t gpa, uint32_t *out);
int gm_read_le64(const struct guest_mem *gm, uint64_t gpa, uint64_t *out);

/* Total bytes of RAM in all regions. */
uint64_t gm_total(const struct guest_mem *gm);

/* Guest RAM as a file to share with another process (a device helper):
 * a memfd of size bytes (on 2 MiB huge pages if hugetlb), sealed at that
 * size, so the other process cannot shrink it under husk (whose next
 * access would be SIGBUS).  The descriptor, or -errno. */
int gm_memfd_new(const char *name, uint64_t size, bool hugetlb);

#endif
