/*
 * kernel_x86.h: recognising and loading an x86 guest kernel image.
 *
 * Two formats, detected from the file's bytes:
 *  - a bzImage (Linux x86 boot protocol >= 2.12, Documentation/arch/x86/
 *    boot.rst), entered through its 64-bit entry point;
 *  - an ELF executable (32- or 64-bit) carrying a Xen PVH entry note
 *    (XEN_ELFNOTE_PHYS32_ENTRY), entered in 32-bit protected mode with an
 *    hvm_start_info (xen/include/public/arch-x86/hvm/start_info.h).
 * The image is host input but still untrusted: every offset and size in it
 * is checked against the file length and against guest RAM.
 */
#ifndef HUSK_KERNEL_X86_H
#define HUSK_KERNEL_X86_H

#include <glib.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/guest_mem.h"

enum kernel_format {
    KERNEL_BZIMAGE,
    KERNEL_PVH_ELF,
};

struct bzimage_info {
    uint16_t version;    /* boot protocol version, e.g. 0x020f */
    unsigned setup_size; /* bytes of real-mode setup, incl. boot sector */
    size_t payload_off;  /* where the protected-mode kernel starts */
    size_t payload_len;
    uint32_t cmdline_max; /* longest command line, without the NUL */
    uint32_t initrd_addr_max;
    uint32_t kernel_alignment;
    uint32_t init_size;
    uint8_t loadflags;
    uint16_t xloadflags;
    unsigned hdr_end; /* end of the setup header in the file */
};

#define PVH_MAX_SEGMENTS 16

struct pvh_segment {
    size_t file_off;
    uint64_t filesz;
    uint64_t paddr;
    uint64_t memsz;
};

struct pvh_info {
    uint32_t entry; /* 32-bit physical entry point */
    unsigned nr_segments;
    struct pvh_segment seg[PVH_MAX_SEGMENTS];
    uint64_t end; /* highest paddr + memsz of any segment */
};

/* What the loader placed in guest memory, for the vCPU's entry state. */
struct kernel_entry {
    enum kernel_format format;
    uint64_t entry;     /* RIP (bzImage: 64-bit) or EIP (PVH) */
    uint64_t boot_info; /* RSI (zero page) or EBX (hvm_start_info) */
};

/* Parses a bzImage setup header.  Errors are HUSK_EXIT_DATAERR. */
bool bzimage_parse(const uint8_t *img,
                   size_t len,
                   struct bzimage_info *out,
                   GError **errp);

/* The release ("6.1.0-27-cloud-amd64") a bzImage names in its setup
 * header, into out (NUL-ended); false if it names none. */
bool bzimage_release(const uint8_t *img, size_t len, char *out, size_t outlen);

/* Parses an ELF image and finds its PVH entry note. */
bool pvh_elf_parse(const uint8_t *img,
                   size_t len,
                   struct pvh_info *out,
                   GError **errp);

/* What the file looks like: 0 and *fmt set, or a HUSK_EXIT_DATAERR error. */
bool kernel_detect(const uint8_t *img,
                   size_t len,
                   enum kernel_format *fmt,
                   GError **errp);

/* Inputs for placing a kernel into guest memory. */
struct kernel_load_args {
    const uint8_t *kernel;
    size_t kernel_len;
    const uint8_t *initrd; /* may be NULL */
    size_t initrd_len;
    const char *cmdline; /* may be NULL */
    uint64_t low_ram;    /* bytes of RAM below the 32-bit hole */
    uint64_t high_ram;   /* bytes of RAM from 4 GiB */
    uint64_t rsdp;       /* guest address of the ACPI RSDP, or 0 */
};

/*
 * Loads the kernel (any supported format), the initrd and the command line,
 * and writes the boot structures (zero page or hvm_start_info, e820, page
 * tables, GDT).  Fills *out with the entry state.  Errors carry exit codes:
 * HUSK_EXIT_DATAERR for a bad image, HUSK_EXIT_USAGE for a command line that
 * is too long or an initrd that does not fit.
 */
bool kernel_load(const struct guest_mem *gm,
                 const struct kernel_load_args *a,
                 struct kernel_entry *out,
                 GError **errp);

#endif
