/*
 * kernel_arm64.h: recognising and loading an arm64 Linux kernel Image
 * (Documentation/arch/arm64/booting.rst §3 "Decompress the kernel image"
 * and §4 "Call the kernel image"): the 64-byte header (magic "ARM\x64" at
 * 0x38, text_offset, image_size, flags), the kernel at a 2 MiB-aligned
 * base plus text_offset, the initrd and the device tree above it.
 *
 * The image is host input but untrusted: every size in the header is
 * checked against the file and against guest RAM.  Errors are
 * HUSK_EXIT_DATAERR for a bad image, HUSK_EXIT_USAGE for one that does
 * not fit in the RAM asked for.
 */
#ifndef HUSK_KERNEL_ARM64_H
#define HUSK_KERNEL_ARM64_H

#include <glib.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/guest_mem.h"

#define IMAGE_ARM64_MAGIC 0x644d5241U /* "ARM\x64" */
#define IMAGE_ARM64_HDR_SIZE 64
/* The device tree: at most 2 MiB, in a 2 MiB block of its own. */
#define IMAGE_ARM64_DTB_MAX (2ULL << 20)

struct image_arm64_info {
    uint64_t text_offset; /* from a 2 MiB-aligned base */
    uint64_t image_size;  /* bytes the kernel occupies, BSS included */
    uint64_t flags;       /* bit 0: big-endian; bits 1-2: page size */
};

/* Parses the header; a big-endian kernel, an Image.gz or a truncated
 * file is refused. */
bool image_arm64_parse(const uint8_t *img,
                       size_t len,
                       struct image_arm64_info *out,
                       GError **errp);

struct kernel_arm64_args {
    const uint8_t *kernel;
    size_t kernel_len;
    const uint8_t *initrd; /* may be NULL */
    size_t initrd_len;
    uint64_t ram_base; /* guest RAM: one region, 2 MiB-aligned */
    uint64_t ram_size;
};

/* Where the loader put things: the entry point, the initrd (size 0 if
 * none) and the 2 MiB block the device tree goes to. */
struct kernel_arm64_layout {
    uint64_t entry;
    uint64_t initrd_start, initrd_size;
    uint64_t dtb;
};

/* Kernel at ram_base + text_offset; the device tree in the last 2 MiB
 * block of RAM, the initrd right below it (page-aligned).  The device
 * tree itself is written later (fdt_arm64.h), by the caller. */
bool kernel_arm64_load(const struct guest_mem *gm,
                       const struct kernel_arm64_args *a,
                       struct kernel_arm64_layout *out,
                       GError **errp);

#endif
