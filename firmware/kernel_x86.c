/*
 * kernel_x86.c: x86 kernel loaders (see kernel_x86.h).
 *   bzImage: Linux x86 boot protocol, "64-bit BOOT PROTOCOL" section.
 *   PVH ELF: Xen "x86/HVM direct boot ABI" (docs/misc/pvh.pandoc).
 */
#include "firmware/kernel_x86.h"

#include <asm/bootparam.h>
#include <elf.h>
#include <string.h>

#include "firmware/e820_x86.h"
#include "lib/layout_x86.h"
#include "lib/error.h"
#include "lib/util.h"

#define BZ_MIN_LEN 0x250        /* through xloadflags and cmdline_size */
#define BZ_HDR_MAGIC 0x53726448 /* "HdrS" */
#define BZ_MIN_VERSION 0x020c   /* 2.12: xloadflags, 64-bit entry */
#define XEN_ELFNOTE_PHYS32_ENTRY 18
#define HVM_START_MAGIC 0x336ec578

/* xen/include/public/arch-x86/hvm/start_info.h, version 1. */
struct hvm_start_info {
    uint32_t magic;
    uint32_t version;
    uint32_t flags;
    uint32_t nr_modules;
    uint64_t modlist_paddr;
    uint64_t cmdline_paddr;
    uint64_t rsdp_paddr;
    uint64_t memmap_paddr;
    uint32_t memmap_entries;
    uint32_t reserved;
};

struct hvm_modlist_entry {
    uint64_t paddr;
    uint64_t size;
    uint64_t cmdline_paddr;
    uint64_t reserved;
};

struct hvm_memmap_table_entry {
    uint64_t addr;
    uint64_t size;
    uint32_t type;
    uint32_t reserved;
};

#define PVH_MODLIST (LAYOUT_PVH_INFO + 0x40)
#define PVH_MEMMAP (LAYOUT_PVH_INFO + 0x80)

static bool data_error(GError **errp, const char *fmt, ...) G_GNUC_PRINTF(2, 3);

static bool data_error(GError **errp, const char *fmt, ...)
{
    va_list ap;
    g_autofree char *msg = NULL;

    va_start(ap, fmt);
    msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    g_set_error_literal(errp, HUSK_ERROR, HUSK_EXIT_DATAERR, msg);
    return false;
}

bool bzimage_parse(const uint8_t *img,
                   size_t len,
                   struct bzimage_info *out,
                   GError **errp)
{
    unsigned setup_sects;
    uint64_t syssize;

    memset(out, 0, sizeof(*out));
    if (len < BZ_MIN_LEN) {
        return data_error(errp, "bzImage is truncated (%zu bytes)", len);
    }
    if (get_le16(img + 0x1fe) != 0xaa55 ||
        get_le32(img + 0x202) != BZ_HDR_MAGIC) {
        return data_error(errp, "not a bzImage (no HdrS setup header)");
    }
    out->version = get_le16(img + 0x206);
    if (out->version < BZ_MIN_VERSION) {
        return data_error(errp, "boot protocol %u.%02u is too old (need 2.12+)",
                          out->version >> 8, out->version & 0xff);
    }
    out->xloadflags = get_le16(img + 0x236);
    if (!(out->xloadflags & XLF_KERNEL_64)) {
        return data_error(errp, "bzImage has no 64-bit entry point");
    }
    out->loadflags = img[0x211];
    if (!(out->loadflags & LOADED_HIGH)) {
        return data_error(errp, "bzImage is not a high-loaded kernel");
    }
    /* The header ends where the jump at 0x200 lands (0x202 + rel8). */
    out->hdr_end = 0x202 + img[0x201];
    if (out->hdr_end > len || out->hdr_end > 0x1000) {
        return data_error(errp, "bzImage setup header is malformed");
    }
    setup_sects = img[0x1f1] ? img[0x1f1] : 4;
    out->setup_size = (setup_sects + 1) * 512;
    if (out->setup_size >= len) {
        return data_error(errp, "bzImage is truncated (setup %u of %zu bytes)",
                          out->setup_size, len);
    }
    syssize = (uint64_t)get_le32(img + 0x1f4) * 16;
    out->payload_off = out->setup_size;
    out->payload_len = len - out->setup_size;
    if (syssize == 0 || syssize > out->payload_len) {
        return data_error(errp,
                          "bzImage is truncated (kernel needs %" PRIu64
                          " bytes, file has %zu)",
                          syssize, out->payload_len);
    }
    out->cmdline_max = get_le32(img + 0x238);
    out->initrd_addr_max = get_le32(img + 0x22c);
    out->kernel_alignment = get_le32(img + 0x230);
    out->init_size = out->hdr_end >= 0x264 ? get_le32(img + 0x260) : 0;
    return true;
}

bool bzimage_release(const uint8_t *img, size_t len, char *out, size_t outlen)
{
    size_t off, n = 0;

    /* kernel_version (0x20e): 0x200 less than the offset of "RELEASE
     * (builder) #1 ..." in the setup code; boot protocol 2.00+. */
    if (outlen == 0 || len < 0x210 || get_le16(img + 0x1fe) != 0xaa55 ||
        get_le32(img + 0x202) != BZ_HDR_MAGIC || !get_le16(img + 0x20e)) {
        return false;
    }
    off = 0x200 + (size_t)get_le16(img + 0x20e);
    while (off + n < len && n + 1 < outlen && img[off + n] > ' ' &&
           img[off + n] < 0x7f) {
        out[n] = (char)img[off + n];
        n++;
    }
    out[n] = '\0';
    return n > 0 && (off + n == len || img[off + n] <= ' ');
}

static bool elf_range_ok(size_t len, uint64_t off, uint64_t sz)
{
    uint64_t end;

    return !__builtin_add_overflow(off, sz, &end) && end <= len;
}

/* Looks for the PVH entry in the notes of [off, off + sz). */
static bool pvh_find_note(const uint8_t *img,
                          uint64_t off,
                          uint64_t sz,
                          uint32_t *entry)
{
    uint64_t pos = 0;

    while (sz - pos >= 12) {
        const uint8_t *n = img + off + pos;
        uint32_t namesz = get_le32(n), descsz = get_le32(n + 4);
        uint32_t type = get_le32(n + 8);
        uint64_t name_al = ALIGN_UP((uint64_t)namesz, 4);
        uint64_t desc_al = ALIGN_UP((uint64_t)descsz, 4);

        if (name_al + desc_al > sz - pos - 12) {
            return false;
        }
        if (type == XEN_ELFNOTE_PHYS32_ENTRY && namesz == 4 &&
            memcmp(n + 12, "Xen", 4) == 0 && (descsz == 4 || descsz == 8)) {
            const uint8_t *d = n + 12 + name_al;
            uint64_t v = descsz == 8 ? get_le64(d) : get_le32(d);

            if (v > UINT32_MAX) {
                return false;
            }
            *entry = (uint32_t)v;
            return true;
        }
        pos += 12 + name_al + desc_al;
    }
    return false;
}

bool pvh_elf_parse(const uint8_t *img,
                   size_t len,
                   struct pvh_info *out,
                   GError **errp)
{
    bool is64, found = false;
    uint64_t phoff;
    unsigned phnum, phentsize;

    memset(out, 0, sizeof(*out));
    if (len < sizeof(Elf32_Ehdr) || memcmp(img, ELFMAG, SELFMAG) != 0) {
        return data_error(errp, "not an ELF file");
    }
    is64 = img[EI_CLASS] == ELFCLASS64;
    if ((!is64 && img[EI_CLASS] != ELFCLASS32) || img[EI_DATA] != ELFDATA2LSB ||
        (is64 && len < sizeof(Elf64_Ehdr))) {
        return data_error(errp, "ELF file is not little-endian x86");
    }
    {
        /* e_type, e_machine, e_phoff, e_phentsize, e_phnum: the same fields
         * for both classes, at class-dependent offsets. */
        uint16_t type = get_le16(img + 16), machine = get_le16(img + 18);

        if (type != ET_EXEC || machine != (is64 ? EM_X86_64 : EM_386)) {
            return data_error(errp, "ELF file is not an %s executable",
                              is64 ? "x86-64" : "i386");
        }
        phoff = is64 ? get_le64(img + 32) : get_le32(img + 28);
        phentsize = get_le16(img + (is64 ? 54 : 42));
        phnum = get_le16(img + (is64 ? 56 : 44));
        if (phentsize != (is64 ? sizeof(Elf64_Phdr) : sizeof(Elf32_Phdr))) {
            return data_error(errp, "ELF program headers are malformed");
        }
    }
    if (phnum == 0 || !elf_range_ok(len, phoff, (uint64_t)phnum * phentsize)) {
        return data_error(errp, "ELF file is truncated (program headers)");
    }
    for (unsigned i = 0; i < phnum; i++) {
        uint32_t type;
        uint64_t off, filesz, paddr, memsz, end;

        const uint8_t *ph = img + phoff + (uint64_t)i * phentsize;

        /* Same fields, class-dependent layout (System V gABI). */
        type = get_le32(ph);
        if (is64) {
            off = get_le64(ph + 8);
            paddr = get_le64(ph + 24);
            filesz = get_le64(ph + 32);
            memsz = get_le64(ph + 40);
        } else {
            off = get_le32(ph + 4);
            paddr = get_le32(ph + 12);
            filesz = get_le32(ph + 16);
            memsz = get_le32(ph + 20);
        }
        if (!elf_range_ok(len, off, filesz)) {
            return data_error(errp, "ELF file is truncated (segment %u)", i);
        }
        if (type == PT_NOTE && !found) {
            found = pvh_find_note(img, off, filesz, &out->entry);
        }
        if (type != PT_LOAD || memsz == 0) {
            continue;
        }
        if (filesz > memsz || __builtin_add_overflow(paddr, memsz, &end)) {
            return data_error(errp, "ELF segment %u is malformed", i);
        }
        if (out->nr_segments >= PVH_MAX_SEGMENTS) {
            return data_error(errp, "ELF file has too many segments");
        }
        out->seg[out->nr_segments++] =
            (struct pvh_segment){off, filesz, paddr, memsz};
        out->end = MAX(out->end, end);
    }
    if (!found) {
        return data_error(errp,
                          "ELF file has no PVH entry note "
                          "(XEN_ELFNOTE_PHYS32_ENTRY)");
    }
    if (out->nr_segments == 0) {
        return data_error(errp, "ELF file has nothing to load");
    }
    return true;
}

bool kernel_detect(const uint8_t *img,
                   size_t len,
                   enum kernel_format *fmt,
                   GError **errp)
{
    if (len >= SELFMAG && memcmp(img, ELFMAG, SELFMAG) == 0) {
        *fmt = KERNEL_PVH_ELF;
        return true;
    }
    if (len >= 0x206 && get_le32(img + 0x202) == BZ_HDR_MAGIC) {
        *fmt = KERNEL_BZIMAGE;
        return true;
    }
    if (len < 0x206 && len >= 2 && img[0] == 'M' && img[1] == 'Z') {
        *fmt = KERNEL_BZIMAGE; /* let the parser say it is truncated */
        return true;
    }
    return data_error(errp,
                      "not a kernel (neither a bzImage nor an ELF "
                      "vmlinux with a PVH note)");
}

/* 4 GiB identity map with 2 MiB pages, for the 64-bit boot protocol. */
static int write_page_tables(const struct guest_mem *gm)
{
    uint8_t pml4[4096] = {0}, pdpt[4096] = {0}, pd[4 * 4096];
    int ret;

    put_le64(pml4, LAYOUT_PDPT | 0x3);
    for (unsigned i = 0; i < 4; i++) {
        put_le64(pdpt + 8 * i, (LAYOUT_PD + i * 0x1000) | 0x3);
    }
    for (unsigned i = 0; i < 4 * 512; i++) {
        put_le64(pd + 8 * i, ((uint64_t)i << 21) | 0x83); /* P|RW|PS */
    }
    ret = gm_write(gm, LAYOUT_PML4, pml4, sizeof(pml4));
    ret = ret ?: gm_write(gm, LAYOUT_PDPT, pdpt, sizeof(pdpt));
    ret = ret ?: gm_write(gm, LAYOUT_PD, pd, sizeof(pd));
    return ret;
}

/* Boot GDT: the selectors the boot protocols expect (0x10 code, 0x18 data). */
static int write_gdt(const struct guest_mem *gm)
{
    uint8_t gdt[6 * 8] = {0};

    put_le64(gdt + 0x10, 0x00af9b000000ffffULL); /* 64-bit code */
    put_le64(gdt + 0x18, 0x00cf93000000ffffULL); /* flat data */
    put_le64(gdt + 0x20, 0x00cf9b000000ffffULL); /* 32-bit code (PVH) */
    put_le64(gdt + 0x28, 0x00008b0000000067ULL); /* busy 32-bit TSS */
    return gm_write(gm, LAYOUT_GDT, gdt, sizeof(gdt));
}

/*
 * The real-mode reset vector (F000:FFF0).  husk has no BIOS, but a guest
 * may still jump there to reboot: Linux does on a hardware-reduced ACPI
 * platform, where it picks EFI and then BIOS reboot (reboot_init(),
 * efi_reboot_required()).  Like a BIOS would, the stub resets the machine,
 * here through the ACPI reset register.
 */
static int write_reset_vector(const struct guest_mem *gm)
{
    static const uint8_t stub[] = {
        0xb0,
        LAYOUT_ACPI_RESET_VALUE, /* mov al, 0x0e */
        0xba,
        LAYOUT_ACPI_RESET & 0xff,
        LAYOUT_ACPI_RESET >> 8, /* mov dx */
        0xee,                   /* out dx, al */
        0xf4,                   /* hlt */
        0xeb,
        0xfd, /* jmp hlt */
    };

    return gm_write(gm, LAYOUT_RESET_VECTOR, stub, sizeof(stub));
}

static bool place_initrd(const struct guest_mem *gm,
                         const struct kernel_load_args *a,
                         uint64_t lowest,
                         uint64_t max_addr,
                         uint64_t *where,
                         GError **errp)
{
    uint64_t top = MIN(a->low_ram, max_addr + 1), addr;

    if (a->initrd_len > top || ALIGN_DOWN(top - a->initrd_len, 4096) < lowest) {
        g_set_error(errp, HUSK_ERROR, HUSK_EXIT_USAGE,
                    "initrd (%zu bytes) does not fit in guest memory below "
                    "0x%" PRIx64 "; give the VM more --memory",
                    a->initrd_len, top);
        return false;
    }
    addr = ALIGN_DOWN(top - a->initrd_len, 4096);
    if (gm_write(gm, addr, a->initrd, a->initrd_len)) {
        g_set_error(errp, HUSK_ERROR, HUSK_EXIT_USAGE,
                    "initrd does not fit in guest memory");
        return false;
    }
    *where = addr;
    return true;
}

static bool write_cmdline(const struct guest_mem *gm,
                          const char *cmdline,
                          size_t max,
                          GError **errp)
{
    size_t n = cmdline ? strlen(cmdline) : 0;

    max = MIN(max, (size_t)LAYOUT_CMDLINE_MAX - 1);
    if (n > max) {
        g_set_error(errp, HUSK_ERROR, HUSK_EXIT_USAGE,
                    "kernel command line is %zu bytes; this kernel accepts "
                    "at most %zu",
                    n, max);
        return false;
    }
    if (gm_write(gm, LAYOUT_CMDLINE, cmdline ? cmdline : "", n) && n) {
        return false;
    }
    gm_write(gm, LAYOUT_CMDLINE + n, "", 1);
    return true;
}

static bool load_bzimage(const struct guest_mem *gm,
                         const struct kernel_load_args *a,
                         struct kernel_entry *out,
                         GError **errp)
{
    struct bzimage_info bz;
    struct boot_params bp;
    struct e820_map map;
    uint64_t kernel_end, initrd_addr = 0;
    size_t hdr_len;

    if (!bzimage_parse(a->kernel, a->kernel_len, &bz, errp)) {
        return false;
    }
    if (gm_write(gm, LAYOUT_HIMEM, a->kernel + bz.payload_off,
                 bz.payload_len)) {
        g_set_error(errp, HUSK_ERROR, HUSK_EXIT_USAGE,
                    "kernel does not fit in guest memory");
        return false;
    }
    /* The decompressor may use init_size bytes from the load address. */
    kernel_end = LAYOUT_HIMEM + MAX((uint64_t)bz.payload_len, bz.init_size);
    if (kernel_end > a->low_ram) {
        g_set_error(errp, HUSK_ERROR, HUSK_EXIT_USAGE,
                    "kernel needs %" PRIu64 " MiB; give the VM more --memory",
                    kernel_end / MiB + 1);
        return false;
    }
    if (!write_cmdline(gm, a->cmdline, bz.cmdline_max, errp)) {
        return false;
    }
    if (a->initrd && a->initrd_len &&
        !place_initrd(gm, a, kernel_end, bz.initrd_addr_max, &initrd_addr,
                      errp)) {
        return false;
    }

    memset(&bp, 0, sizeof(bp));
    /* Copy the setup header as is, then fill in the loader's fields. */
    hdr_len = MIN((size_t)bz.hdr_end, sizeof(bp)) - 0x1f1;
    memcpy((uint8_t *)&bp + 0x1f1, a->kernel + 0x1f1, hdr_len);
    bp.hdr.type_of_loader = 0xff;
    bp.hdr.loadflags |= CAN_USE_HEAP;
    bp.hdr.heap_end_ptr = 0xfe00;
    bp.hdr.code32_start = LAYOUT_HIMEM;
    bp.hdr.cmd_line_ptr = LAYOUT_CMDLINE;
    bp.hdr.ramdisk_image = (uint32_t)initrd_addr;
    bp.hdr.ramdisk_size = initrd_addr ? (uint32_t)a->initrd_len : 0;
    if (bz.version >= 0x020e) {
        bp.acpi_rsdp_addr = a->rsdp;
    }
    if (e820_build(&map, a->low_ram, a->high_ram)) {
        return data_error(errp, "cannot build the memory map");
    }
    bp.e820_entries = map.nr;
    for (unsigned i = 0; i < map.nr; i++) {
        bp.e820_table[i].addr = map.e[i].addr;
        bp.e820_table[i].size = map.e[i].size;
        bp.e820_table[i].type = map.e[i].type;
    }
    if (gm_write(gm, LAYOUT_ZERO_PAGE, &bp, sizeof(bp)) ||
        write_page_tables(gm) || write_gdt(gm) || write_reset_vector(gm)) {
        return data_error(errp, "guest memory too small for boot structures");
    }
    out->format = KERNEL_BZIMAGE;
    out->entry = LAYOUT_HIMEM + 0x200; /* startup_64 */
    out->boot_info = LAYOUT_ZERO_PAGE;
    return true;
}

static bool load_pvh(const struct guest_mem *gm,
                     const struct kernel_load_args *a,
                     struct kernel_entry *out,
                     GError **errp)
{
    struct pvh_info pi;
    struct hvm_start_info si;
    struct hvm_modlist_entry mod;
    struct hvm_memmap_table_entry mm[E820_MAX];
    struct e820_map map;
    uint64_t initrd_addr = 0;

    if (!pvh_elf_parse(a->kernel, a->kernel_len, &pi, errp)) {
        return false;
    }
    for (unsigned i = 0; i < pi.nr_segments; i++) {
        const struct pvh_segment *s = &pi.seg[i];
        uint8_t *dst;

        /* Below 1 MiB lie husk's boot structures and firmware area. */
        if (s->paddr < LAYOUT_HIMEM) {
            return data_error(
                errp, "ELF segment at 0x%" PRIx64 " is below 1 MiB", s->paddr);
        }
        dst = gm_ptr(gm, s->paddr, s->memsz);
        if (!dst) {
            g_set_error(errp, HUSK_ERROR, HUSK_EXIT_USAGE,
                        "ELF segment at 0x%" PRIx64 " (%" PRIu64
                        " bytes) is outside guest memory",
                        s->paddr, s->memsz);
            return false;
        }
        memcpy(dst, a->kernel + s->file_off, s->filesz);
        memset(dst + s->filesz, 0, s->memsz - s->filesz);
    }
    if (!write_cmdline(gm, a->cmdline, LAYOUT_CMDLINE_MAX - 1, errp)) {
        return false;
    }
    if (a->initrd && a->initrd_len &&
        !place_initrd(gm, a, pi.end, UINT32_MAX, &initrd_addr, errp)) {
        return false;
    }
    if (e820_build(&map, a->low_ram, a->high_ram)) {
        return data_error(errp, "cannot build the memory map");
    }
    memset(mm, 0, sizeof(mm));
    for (unsigned i = 0; i < map.nr; i++) {
        mm[i].addr = map.e[i].addr;
        mm[i].size = map.e[i].size;
        mm[i].type = map.e[i].type;
    }
    memset(&si, 0, sizeof(si));
    si.magic = HVM_START_MAGIC;
    si.version = 1;
    si.cmdline_paddr = LAYOUT_CMDLINE;
    si.rsdp_paddr = a->rsdp;
    si.memmap_paddr = PVH_MEMMAP;
    si.memmap_entries = map.nr;
    if (initrd_addr) {
        mod = (struct hvm_modlist_entry){initrd_addr, a->initrd_len, 0, 0};
        si.nr_modules = 1;
        si.modlist_paddr = PVH_MODLIST;
        if (gm_write(gm, PVH_MODLIST, &mod, sizeof(mod))) {
            return data_error(errp, "guest memory too small");
        }
    }
    if (gm_write(gm, LAYOUT_PVH_INFO, &si, sizeof(si)) ||
        gm_write(gm, PVH_MEMMAP, mm, map.nr * sizeof(mm[0])) || write_gdt(gm) ||
        write_reset_vector(gm)) {
        return data_error(errp, "guest memory too small for boot structures");
    }
    out->format = KERNEL_PVH_ELF;
    out->entry = pi.entry;
    out->boot_info = LAYOUT_PVH_INFO;
    return true;
}

bool kernel_load(const struct guest_mem *gm,
                 const struct kernel_load_args *a,
                 struct kernel_entry *out,
                 GError **errp)
{
    enum kernel_format fmt;

    if (!kernel_detect(a->kernel, a->kernel_len, &fmt, errp)) {
        return false;
    }
    if (fmt == KERNEL_BZIMAGE) {
        return load_bzimage(gm, a, out, errp);
    }
    return load_pvh(gm, a, out, errp);
}
