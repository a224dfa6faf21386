/*
 * check_kernel_x86.c: bzImage and PVH ELF parsing and loading, against
 * synthetic images built here (good, truncated, garbage) and the real tiny
 * test guest.
 */
#include <asm/bootparam.h>
#include <check.h>
#include <elf.h>
#include <string.h>

#include "firmware/e820_x86.h"
#include "firmware/kernel_x86.h"
#include "lib/layout_x86.h"
#include "harness/fake_bzimage.h"
#include "harness/test_vm.h"
#include "lib/error.h"
#include "lib/util.h"
#include "harness/check_run.h"

#define RAM (64 * MiB)
#define PAYLOAD 4096

static struct test_mem tm;
static uint8_t bz[1024 + PAYLOAD];

static void setup(void)
{
    test_mem_init(&tm, RAM, 0);
    make_bzimage(bz, PAYLOAD);
}

static void teardown(void)
{
    test_mem_free(&tm);
}

static struct kernel_load_args args(const uint8_t *k, size_t len)
{
    struct kernel_load_args a = {0};

    a.kernel = k;
    a.kernel_len = len;
    a.cmdline = "console=ttyS0";
    a.low_ram = RAM;
    a.rsdp = LAYOUT_ACPI_START;
    return a;
}

START_TEST(bzimage_parse_good)
{
    struct bzimage_info bi;
    GError *err = NULL;

    ck_assert(bzimage_parse(bz, sizeof(bz), &bi, &err));
    ck_assert_uint_eq(bi.version, 0x020f);
    ck_assert_uint_eq(bi.setup_size, 1024);
    ck_assert_uint_eq(bi.payload_off, 1024);
    ck_assert_uint_eq(bi.payload_len, PAYLOAD);
    ck_assert_uint_eq(bi.cmdline_max, 255);
    ck_assert_uint_eq(bi.hdr_end, 0x268);
    ck_assert_uint_eq(bi.init_size, 0x10000);
}
END_TEST

static void expect_parse_error(const uint8_t *img,
                               size_t len,
                               const char *needle)
{
    struct bzimage_info bi;
    GError *err = NULL;

    ck_assert(!bzimage_parse(img, len, &bi, &err));
    ck_assert_ptr_nonnull(err);
    ck_assert_int_eq(err->code, HUSK_EXIT_DATAERR);
    ck_assert_msg(strstr(err->message, needle), "message '%s' lacks '%s'",
                  err->message, needle);
    g_error_free(err);
}

START_TEST(bzimage_truncated)
{
    expect_parse_error(bz, 0x100, "truncated");
    expect_parse_error(bz, 0x24f, "truncated");
    /* Header intact, but the kernel payload is cut short. */
    expect_parse_error(bz, 1024 + PAYLOAD / 2, "truncated");
    /* Setup sectors claim more than the file has. */
    bz[0x1f1] = 200;
    expect_parse_error(bz, sizeof(bz), "truncated");
}
END_TEST

START_TEST(bzimage_garbage)
{
    uint8_t junk[2048];

    memset(junk, 0x5a, sizeof(junk));
    expect_parse_error(junk, sizeof(junk), "not a bzImage");
    put_le16(bz + 0x206, 0x0200);
    expect_parse_error(bz, sizeof(bz), "too old");
    make_bzimage(bz, PAYLOAD);
    put_le16(bz + 0x236, 0);
    expect_parse_error(bz, sizeof(bz), "64-bit");
    make_bzimage(bz, PAYLOAD);
    bz[0x211] = 0;
    expect_parse_error(bz, sizeof(bz), "high-loaded");
    make_bzimage(bz, PAYLOAD);
    put_le32(bz + 0x1f4, 0);
    expect_parse_error(bz, sizeof(bz), "truncated");
}
END_TEST

START_TEST(bzimage_setup_sects_zero_means_four)
{
    static uint8_t img[2560 + PAYLOAD];
    struct bzimage_info bi;
    GError *err = NULL;

    make_bzimage(img, PAYLOAD + 1536);
    img[0x1f1] = 0;
    put_le32(img + 0x1f4, PAYLOAD / 16);
    ck_assert(bzimage_parse(img, sizeof(img), &bi, &err));
    ck_assert_uint_eq(bi.setup_size, 2560);
    ck_assert_uint_eq(bi.payload_len, PAYLOAD);
}
END_TEST

START_TEST(bzimage_load_zero_page)
{
    struct kernel_load_args a = args(bz, sizeof(bz));
    struct kernel_entry e;
    struct boot_params bp;
    GError *err = NULL;
    static uint8_t initrd[10000];
    uint64_t pml4, pd0;

    memset(initrd, 0xab, sizeof(initrd));
    a.initrd = initrd;
    a.initrd_len = sizeof(initrd);
    ck_assert_msg(kernel_load(&tm.gm, &a, &e, &err), "%s",
                  err ? err->message : "");
    ck_assert_int_eq(e.format, KERNEL_BZIMAGE);
    ck_assert_uint_eq(e.entry, LAYOUT_HIMEM + 0x200);
    ck_assert_uint_eq(e.boot_info, LAYOUT_ZERO_PAGE);
    ck_assert_mem_eq(tm.low + LAYOUT_HIMEM, bz + 1024, PAYLOAD);

    memcpy(&bp, tm.low + LAYOUT_ZERO_PAGE, sizeof(bp));
    ck_assert_uint_eq(bp.hdr.boot_flag, 0xaa55);
    ck_assert_uint_eq(bp.hdr.header, 0x53726448);
    ck_assert_uint_eq(bp.hdr.type_of_loader, 0xff);
    ck_assert_uint_eq(bp.hdr.cmd_line_ptr, LAYOUT_CMDLINE);
    ck_assert_str_eq((char *)tm.low + LAYOUT_CMDLINE, "console=ttyS0");
    ck_assert_uint_eq(bp.acpi_rsdp_addr, LAYOUT_ACPI_START);
    /* The initrd sits page-aligned at the top of RAM, above the kernel. */
    ck_assert_uint_eq(bp.hdr.ramdisk_size, sizeof(initrd));
    ck_assert_uint_eq(bp.hdr.ramdisk_image % 4096, 0);
    ck_assert_uint_le(bp.hdr.ramdisk_image + sizeof(initrd), RAM);
    ck_assert_uint_gt(bp.hdr.ramdisk_image + sizeof(initrd), RAM - 4096);
    ck_assert_uint_ge(bp.hdr.ramdisk_image, LAYOUT_HIMEM + 0x10000);
    ck_assert_mem_eq(tm.low + bp.hdr.ramdisk_image, initrd, sizeof(initrd));
    /* e820: low RAM, firmware area, RAM from 1 MiB to the end. */
    ck_assert_uint_eq(bp.e820_entries, 3);
    ck_assert_uint_eq(bp.e820_table[0].addr, 0);
    ck_assert_uint_eq(bp.e820_table[0].type, E820_RAM);
    ck_assert_uint_eq(bp.e820_table[1].addr, LAYOUT_ACPI_START);
    ck_assert_uint_eq(bp.e820_table[1].type, E820_RESERVED);
    ck_assert_uint_eq(bp.e820_table[2].addr, LAYOUT_HIMEM);
    ck_assert_uint_eq(bp.e820_table[2].size, RAM - LAYOUT_HIMEM);
    /* Identity map: PML4[0] -> PDPT, PD[1] maps 2 MiB with PS. */
    pml4 = get_le64(tm.low + LAYOUT_PML4);
    ck_assert_uint_eq(pml4, LAYOUT_PDPT | 3);
    pd0 = get_le64(tm.low + LAYOUT_PD + 8);
    ck_assert_uint_eq(pd0, (2 * MiB) | 0x83);
    ck_assert_uint_eq(get_le64(tm.low + LAYOUT_PD + 4 * 4096 - 8),
                      (4 * GiB - 2 * MiB) | 0x83);
    /* A reset stub at F000:FFF0: mov al,0x0e; mov dx,0x602; out dx,al. */
    {
        static const uint8_t stub[] = {0xb0, 0x0e, 0xba, 0x02, 0x06, 0xee};

        ck_assert_mem_eq(tm.low + LAYOUT_RESET_VECTOR, stub, sizeof(stub));
    }
    ck_assert_uint_eq(bp.e820_table[1].size, 0x20000);
}
END_TEST

START_TEST(bzimage_initrd_addr_max_honoured)
{
    struct kernel_load_args a = args(bz, sizeof(bz));
    struct kernel_entry e;
    struct boot_params bp;
    GError *err = NULL;
    static uint8_t initrd[8192];

    put_le32(bz + 0x22c, 16 * MiB - 1);
    a.initrd = initrd;
    a.initrd_len = sizeof(initrd);
    ck_assert(kernel_load(&tm.gm, &a, &e, &err));
    memcpy(&bp, tm.low + LAYOUT_ZERO_PAGE, sizeof(bp));
    ck_assert_uint_le(bp.hdr.ramdisk_image + sizeof(initrd), 16 * MiB);
    ck_assert_uint_gt(bp.hdr.ramdisk_image + sizeof(initrd), 16 * MiB - 4096);
}
END_TEST

START_TEST(bzimage_cmdline_limit)
{
    struct kernel_load_args a = args(bz, sizeof(bz));
    struct kernel_entry e;
    GError *err = NULL;
    char line[300];

    memset(line, 'x', 255);
    line[255] = 0;
    a.cmdline = line;
    ck_assert(kernel_load(&tm.gm, &a, &e, &err));
    memset(line, 'x', 256);
    line[256] = 0;
    ck_assert(!kernel_load(&tm.gm, &a, &e, &err));
    ck_assert_int_eq(err->code, HUSK_EXIT_USAGE);
    ck_assert(strstr(err->message, "at most 255"));
    g_error_free(err);
}
END_TEST

START_TEST(bzimage_initrd_too_big)
{
    struct kernel_load_args a = args(bz, sizeof(bz));
    struct kernel_entry e;
    GError *err = NULL;
    uint8_t *big = calloc(1, RAM);

    a.initrd = big;
    a.initrd_len = RAM - 1 * MiB;
    ck_assert(!kernel_load(&tm.gm, &a, &e, &err));
    ck_assert_int_eq(err->code, HUSK_EXIT_USAGE);
    ck_assert(strstr(err->message, "initrd"));
    g_error_free(err);
    free(big);
}
END_TEST

START_TEST(bzimage_needs_init_size_of_ram)
{
    struct kernel_load_args a = args(bz, sizeof(bz));
    struct kernel_entry e;
    GError *err = NULL;

    put_le32(bz + 0x260, 200 * MiB);
    ck_assert(!kernel_load(&tm.gm, &a, &e, &err));
    ck_assert_int_eq(err->code, HUSK_EXIT_USAGE);
    ck_assert(strstr(err->message, "memory"));
    g_error_free(err);
}
END_TEST

/* A minimal ELF32 PVH image: one PT_LOAD at paddr, one PT_NOTE. */
static size_t make_elf32(uint8_t *buf,
                         uint32_t paddr,
                         uint32_t filesz,
                         uint32_t memsz,
                         bool with_note)
{
    Elf32_Ehdr eh = {0};
    Elf32_Phdr ph[2] = {0};
    size_t note_off = 0x100, data_off = 0x200;
    uint8_t *n = buf + note_off;

    memcpy(eh.e_ident, ELFMAG, SELFMAG);
    eh.e_ident[EI_CLASS] = ELFCLASS32;
    eh.e_ident[EI_DATA] = ELFDATA2LSB;
    eh.e_ident[EI_VERSION] = EV_CURRENT;
    eh.e_type = ET_EXEC;
    eh.e_machine = EM_386;
    eh.e_version = EV_CURRENT;
    eh.e_entry = paddr;
    eh.e_phoff = sizeof(eh);
    eh.e_ehsize = sizeof(eh);
    eh.e_phentsize = sizeof(Elf32_Phdr);
    eh.e_phnum = 2;
    ph[0].p_type = PT_LOAD;
    ph[0].p_offset = data_off;
    ph[0].p_paddr = ph[0].p_vaddr = paddr;
    ph[0].p_filesz = filesz;
    ph[0].p_memsz = memsz;
    ph[1].p_type = with_note ? PT_NOTE : PT_NULL;
    ph[1].p_offset = note_off;
    ph[1].p_filesz = 20;
    memset(buf, 0, data_off + filesz);
    memcpy(buf, &eh, sizeof(eh));
    memcpy(buf + sizeof(eh), ph, sizeof(ph));
    put_le32(n, 4);
    put_le32(n + 4, 4);
    put_le32(n + 8, 18); /* XEN_ELFNOTE_PHYS32_ENTRY */
    memcpy(n + 12, "Xen", 4);
    put_le32(n + 16, paddr + 4);
    for (uint32_t i = 0; i < filesz; i++) {
        buf[data_off + i] = (uint8_t)(0x40 + i);
    }
    return data_off + filesz;
}

START_TEST(pvh_elf32_load)
{
    uint8_t img[1024];
    size_t len = make_elf32(img, 0x200000, 16, 64, true);
    struct kernel_load_args a = args(img, len);
    struct kernel_entry e;
    GError *err = NULL;
    uint8_t initrd[100];

    memset(tm.low + 0x200000, 0xee, 64);
    memset(initrd, 0x77, sizeof(initrd));
    a.initrd = initrd;
    a.initrd_len = sizeof(initrd);
    ck_assert_msg(kernel_load(&tm.gm, &a, &e, &err), "%s",
                  err ? err->message : "");
    ck_assert_int_eq(e.format, KERNEL_PVH_ELF);
    ck_assert_uint_eq(e.entry, 0x200004);
    ck_assert_uint_eq(e.boot_info, LAYOUT_PVH_INFO);
    ck_assert_uint_eq(tm.low[0x200000], 0x40);
    ck_assert_uint_eq(tm.low[0x20000f], 0x4f);
    ck_assert_uint_eq(tm.low[0x200010], 0); /* bss zeroed */
    ck_assert_uint_eq(tm.low[0x20003f], 0);
    /* hvm_start_info */
    ck_assert_uint_eq(get_le32(tm.low + LAYOUT_PVH_INFO), 0x336ec578);
    ck_assert_uint_eq(get_le32(tm.low + LAYOUT_PVH_INFO + 4), 1);
    ck_assert_uint_eq(get_le32(tm.low + LAYOUT_PVH_INFO + 12), 1);
    ck_assert_uint_eq(get_le64(tm.low + LAYOUT_PVH_INFO + 24), LAYOUT_CMDLINE);
    ck_assert_uint_eq(get_le64(tm.low + LAYOUT_PVH_INFO + 32),
                      LAYOUT_ACPI_START);
    ck_assert_uint_eq(get_le32(tm.low + LAYOUT_PVH_INFO + 48), 3);
    ck_assert_uint_eq(tm.low[LAYOUT_RESET_VECTOR], 0xb0);
    {
        uint64_t mod = get_le64(tm.low + LAYOUT_PVH_INFO + 16);
        uint64_t maddr = get_le64(tm.low + mod);

        ck_assert_uint_eq(get_le64(tm.low + mod + 8), sizeof(initrd));
        ck_assert_mem_eq(tm.low + maddr, initrd, sizeof(initrd));
    }
}
END_TEST

static void expect_load_error(const uint8_t *img,
                              size_t len,
                              int code,
                              const char *needle)
{
    struct kernel_load_args a = args(img, len);
    struct kernel_entry e;
    GError *err = NULL;

    ck_assert(!kernel_load(&tm.gm, &a, &e, &err));
    ck_assert_int_eq(err->code, code);
    ck_assert_msg(strstr(err->message, needle), "message '%s' lacks '%s'",
                  err->message, needle);
    g_error_free(err);
}

START_TEST(pvh_elf_errors)
{
    uint8_t img[1024];
    size_t len;

    len = make_elf32(img, 0x200000, 16, 16, false);
    expect_load_error(img, len, HUSK_EXIT_DATAERR, "no PVH entry note");
    len = make_elf32(img, 0x8000, 16, 16, true);
    expect_load_error(img, len, HUSK_EXIT_DATAERR, "below 1 MiB");
    len = make_elf32(img, 0x3ff0000, 16, 0x20000, true); /* past 64 MiB */
    expect_load_error(img, len, HUSK_EXIT_USAGE, "outside guest memory");
    len = make_elf32(img, 0x200000, 16, 16, true);
    expect_load_error(img, 60, HUSK_EXIT_DATAERR, "truncated");
    expect_load_error(img, 0x200 + 8, HUSK_EXIT_DATAERR, "truncated");
    len = make_elf32(img, 0x200000, 32, 16, true); /* filesz > memsz */
    expect_load_error(img, len, HUSK_EXIT_DATAERR, "malformed");
    len = make_elf32(img, 0x200000, 16, 16, true);
    img[EI_DATA] = ELFDATA2MSB;
    expect_load_error(img, len, HUSK_EXIT_DATAERR, "little-endian");
    len = make_elf32(img, 0x200000, 16, 16, true);
    put_le32(img + 0x100, 0x7fffffff); /* note namesz runs off the end */
    expect_load_error(img, len, HUSK_EXIT_DATAERR, "no PVH entry note");
}
END_TEST

START_TEST(detect_garbage)
{
    uint8_t junk[4096];
    enum kernel_format f;
    GError *err = NULL;

    memset(junk, 0, sizeof(junk));
    ck_assert(!kernel_detect(junk, sizeof(junk), &f, &err));
    ck_assert_int_eq(err->code, HUSK_EXIT_DATAERR);
    g_error_free(err);
    err = NULL;
    ck_assert(!kernel_detect(junk, 0, &f, &err));
    g_error_free(err);
}
END_TEST

START_TEST(real_tiny_guest_parses)
{
    gchar *img = NULL;
    gsize len = 0;
    struct pvh_info pi;
    GError *err = NULL;

    ck_assert(g_file_get_contents(TINY_ELF, &img, &len, NULL));
    ck_assert_msg(pvh_elf_parse((uint8_t *)img, len, &pi, &err), "%s",
                  err ? err->message : "");
    ck_assert_uint_eq(pi.entry, 0x100000);
    ck_assert_uint_eq(pi.nr_segments, 1);
    ck_assert_uint_eq(pi.seg[0].paddr, 0x100000);
    g_free(img);
}
END_TEST

START_TEST(e820_limits)
{
    struct e820_map m;

    ck_assert_int_eq(e820_build(&m, 3 * GiB, 1 * GiB), 0);
    ck_assert_uint_eq(m.nr, 4);
    ck_assert_uint_eq(m.e[3].addr, 4 * GiB);
    ck_assert_uint_eq(m.e[3].size, 1 * GiB);
    ck_assert_uint_eq(m.e[2].size, 3 * GiB - MiB);
    ck_assert_int_eq(e820_build(&m, 3 * GiB + 4096, 0), -EINVAL);
    ck_assert_int_eq(e820_build(&m, MiB, 0), -EINVAL);
    memset(&m, 0, sizeof(m));
    for (unsigned i = 0; i < E820_MAX; i++) {
        ck_assert_int_eq(e820_add(&m, i * 4096, 4096, E820_RAM), 0);
    }
    ck_assert_int_eq(e820_add(&m, 0, 4096, E820_RAM), -ENOSPC);
    ck_assert_int_eq(e820_add(&m, UINT64_MAX, 2, E820_RAM), -EINVAL);
    ck_assert_int_eq(e820_add(&m, 0, 0, E820_RAM), -EINVAL);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("kernel_x86");
    TCase *bzc = tcase_create("bzimage");
    TCase *pvh = tcase_create("pvh");
    TCase *mm = tcase_create("e820");

    tcase_add_checked_fixture(bzc, setup, teardown);
    tcase_add_test(bzc, bzimage_parse_good);
    tcase_add_test(bzc, bzimage_truncated);
    tcase_add_test(bzc, bzimage_garbage);
    tcase_add_test(bzc, bzimage_setup_sects_zero_means_four);
    tcase_add_test(bzc, bzimage_load_zero_page);
    tcase_add_test(bzc, bzimage_initrd_addr_max_honoured);
    tcase_add_test(bzc, bzimage_cmdline_limit);
    tcase_add_test(bzc, bzimage_initrd_too_big);
    tcase_add_test(bzc, bzimage_needs_init_size_of_ram);
    tcase_add_test(bzc, detect_garbage);
    suite_add_tcase(s, bzc);
    tcase_add_checked_fixture(pvh, setup, teardown);
    tcase_add_test(pvh, pvh_elf32_load);
    tcase_add_test(pvh, pvh_elf_errors);
    tcase_add_test(pvh, real_tiny_guest_parses);
    suite_add_tcase(s, pvh);
    tcase_add_test(mm, e820_limits);
    suite_add_tcase(s, mm);
    return check_run(s);
}
