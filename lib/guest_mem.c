/*
 * guest_mem.c: range-checked access to guest RAM (see guest_mem.h).
 * The region list is fixed before vCPUs start, so lookups take no lock.
 */
#include "lib/guest_mem.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/memfd.h> /* MFD_HUGE_2MB */
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "lib/util.h"

int gm_add_region(struct guest_mem *gm, uint64_t gpa, uint64_t size, void *hva)
{
    uint64_t end;

    if (size == 0 || hva == NULL || __builtin_add_overflow(gpa, size, &end)) {
        return -EINVAL;
    }
    if (gm->nr >= GM_MAX_REGIONS) {
        return -ENOSPC;
    }
    for (unsigned i = 0; i < gm->nr; i++) {
        const struct gm_region *r = &gm->r[i];
        if (gpa < r->gpa + r->size && r->gpa < end) {
            return -EINVAL;
        }
    }
    gm->r[gm->nr++] = (struct gm_region){gpa, size, hva};
    return 0;
}

void *gm_ptr(const struct guest_mem *gm, uint64_t gpa, size_t len)
{
    uint64_t end;

    /* Guest controlled: gpa and len may be anything, including a wrap. */
    if (len == 0 || __builtin_add_overflow(gpa, (uint64_t)len, &end)) {
        return NULL;
    }
    for (unsigned i = 0; i < gm->nr; i++) {
        const struct gm_region *r = &gm->r[i];
        if (gpa >= r->gpa && end <= r->gpa + r->size) {
            return r->hva + (gpa - r->gpa);
        }
    }
    return NULL;
}

int gm_read(const struct guest_mem *gm, uint64_t gpa, void *dst, size_t len)
{
    const void *p = gm_ptr(gm, gpa, len);

    if (!p) {
        return -EFAULT;
    }
    memcpy(dst, p, len);
    return 0;
}

/* Large copies (a kernel, an initrd) land in guest RAM nobody touched
 * yet: fault the destination in with one madvise instead of a fault per
 * page.  A hint: kernels before 5.14 say EINVAL and the copy faults. */
#define GM_POPULATE_MIN (256 * KiB)

int gm_write(const struct guest_mem *gm,
             uint64_t gpa,
             const void *src,
             size_t len)
{
    void *p = gm_ptr(gm, gpa, len);

    if (!p) {
        return -EFAULT;
    }
    if (len >= GM_POPULATE_MIN) {
        uintptr_t page = (uintptr_t)sysconf(_SC_PAGESIZE);
        uintptr_t start = (uintptr_t)p & ~(page - 1);
        uintptr_t end = ((uintptr_t)p + len + page - 1) & ~(page - 1);

        madvise((void *)start, end - start, MADV_POPULATE_WRITE);
    }
    memcpy(p, src, len);
    return 0;
}

int gm_read_le16(const struct guest_mem *gm, uint64_t gpa, uint16_t *out)
{
    const void *p = gm_ptr(gm, gpa, 2);

    if (!p) {
        return -EFAULT;
    }
    *out = get_le16(p);
    return 0;
}

int gm_read_le32(const struct guest_mem *gm, uint64_t gpa, uint32_t *out)
{
    const void *p = gm_ptr(gm, gpa, 4);

    if (!p) {
        return -EFAULT;
    }
    *out = get_le32(p);
    return 0;
}

int gm_read_le64(const struct guest_mem *gm, uint64_t gpa, uint64_t *out)
{
    const void *p = gm_ptr(gm, gpa, 8);

    if (!p) {
        return -EFAULT;
    }
    *out = get_le64(p);
    return 0;
}

uint64_t gm_total(const struct guest_mem *gm)
{
    uint64_t t = 0;

    for (unsigned i = 0; i < gm->nr; i++) {
        t += gm->r[i].size;
    }
    return t;
}

int gm_memfd_new(const char *name, uint64_t size, bool hugetlb)
{
    unsigned flags = MFD_CLOEXEC | MFD_ALLOW_SEALING;
    int fd, e;

    if (hugetlb) {
        flags |= MFD_HUGETLB | MFD_HUGE_2MB;
    }
    fd = memfd_create(name, flags);
    if (fd < 0) {
        return -errno;
    }
    if (ftruncate(fd, (off_t)size) < 0 ||
        fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL) < 0) {
        e = errno;
        close(fd);
        return -e;
    }
    return fd;
}
