/*
 * check_kernel_arm64.c: the arm64 Image header and loader
 * (firmware/kernel_arm64.c; Documentation/arch/arm64/booting.rst), on
 * synthetic images built here: good, truncated, compressed, big-endian,
 * broken sizes, and placements that do not fit.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "firmware/kernel_arm64.h"
#include "harness/check_run.h"
#include "lib/error.h"
#include "lib/util.h"

#define RAM_BASE 0x40000000ULL
#define RAM (64 * MiB)
#define IMG_LEN (64 * KiB)

static struct guest_mem gm;
static uint8_t *ram;
static uint8_t img[IMG_LEN];
static uint8_t initrd[8192];

/* An Image whose header says text_offset, image_size and flags. */
static void make_image(uint64_t text_offset,
                       uint64_t image_size,
                       uint64_t flags)
{
    memset(img, 0, sizeof(img));
    img[0] = 'M';
    img[1] = 'Z';
    put_le64(img + 0x08, text_offset);
    put_le64(img + 0x10, image_size);
    put_le64(img + 0x18, flags);
    put_le32(img + 0x38, IMAGE_ARM64_MAGIC);
    for (size_t i = IMAGE_ARM64_HDR_SIZE; i < sizeof(img); i++) {
        img[i] = (uint8_t)(i * 7);
    }
}

static void setup(void)
{
    ram = calloc(1, RAM);
    gm.nr = 0;
    gm_add_region(&gm, RAM_BASE, RAM, ram);
    make_image(0, 4 * MiB, 0xa); /* 4K pages, placement anywhere */
    memset(initrd, 0x5a, sizeof(initrd));
}

static void teardown(void)
{
    free(ram);
}

static struct kernel_arm64_args args(size_t kernel_len)
{
    return (struct kernel_arm64_args){
        img, kernel_len, initrd, sizeof(initrd), RAM_BASE, RAM};
}

START_TEST(parse_good)
{
    struct image_arm64_info i;
    GError *err = NULL;

    ck_assert(image_arm64_parse(img, sizeof(img), &i, &err));
    ck_assert_uint_eq(i.text_offset, 0);
    ck_assert_uint_eq(i.image_size, 4 * MiB);
    ck_assert_uint_eq(i.flags, 0xa);
}
END_TEST

static void expect_error(const uint8_t *p, size_t len, const char *needle)
{
    struct image_arm64_info i;
    GError *err = NULL;

    ck_assert(!image_arm64_parse(p, len, &i, &err));
    ck_assert_ptr_nonnull(err);
    ck_assert_int_eq(err->code, HUSK_EXIT_DATAERR);
    ck_assert_msg(strstr(err->message, needle), "'%s' lacks '%s'", err->message,
                  needle);
    g_error_free(err);
}

START_TEST(parse_refuses_broken_images)
{
    static const uint8_t gz[4] = {0x1f, 0x8b, 8, 0};

    expect_error(img, 0, "not a kernel");
    expect_error(img, IMAGE_ARM64_HDR_SIZE - 1, "truncated");
    expect_error((const uint8_t *)"just some text", 15, "not a kernel");
    expect_error(gz, sizeof(gz), "Image.gz");
    put_le32(img + 0x38, 0x12345678);
    expect_error(img, sizeof(img), "magic");
    make_image(0, 4 * MiB, 1);
    expect_error(img, sizeof(img), "big-endian");
    make_image(0x1234, 4 * MiB, 0);
    expect_error(img, sizeof(img), "text_offset");
    make_image(2 * MiB, 4 * MiB, 0);
    expect_error(img, sizeof(img), "text_offset");
    make_image(0, 100, 0);
    expect_error(img, sizeof(img), "smaller than the file");
    make_image(0, 1ULL << 40, 0);
    expect_error(img, sizeof(img), "implausible");
}
END_TEST

/* An EFI-stub Image: a PE header at 0x40 whose one section's raw data
 * ends at the file's end; a shorter file is truncated. */
static void add_pe(size_t raw_end)
{
    put_le32(img + 0x3c, 0x40);
    memcpy(img + 0x40, "PE\0\0", 4);
    put_le16(img + 0x40 + 6, 1);  /* one section */
    put_le16(img + 0x40 + 20, 0); /* no optional header */
    memcpy(img + 0x58, ".text\0\0\0", 8);
    put_le32(img + 0x58 + 16, (uint32_t)(raw_end - 0x1000)); /* raw size */
    put_le32(img + 0x58 + 20, 0x1000);                       /* raw ptr */
}

START_TEST(parse_sees_a_truncated_efi_stub)
{
    struct image_arm64_info i;
    GError *err = NULL;

    add_pe(sizeof(img));
    ck_assert(image_arm64_parse(img, sizeof(img), &i, &err));
    expect_error(img, sizeof(img) - 1, "truncated");
    expect_error(img, 100, "truncated");
    /* A section count the file cannot hold. */
    put_le16(img + 0x40 + 6, 0xffff);
    expect_error(img, sizeof(img), "section table");
}
END_TEST

START_TEST(parse_legacy_zero_size)
{
    struct image_arm64_info i;
    GError *err = NULL;

    /* Before 3.17: image_size 0 means text_offset 0x80000. */
    make_image(0, 0, 0);
    ck_assert(image_arm64_parse(img, sizeof(img), &i, &err));
    ck_assert_uint_eq(i.text_offset, 0x80000);
    ck_assert_uint_eq(i.image_size, sizeof(img));
}
END_TEST

START_TEST(load_places_kernel_initrd_dtb)
{
    struct kernel_arm64_args a = args(sizeof(img));
    struct kernel_arm64_layout l;
    GError *err = NULL;

    make_image(0x80000, 4 * MiB, 0);
    ck_assert(kernel_arm64_load(&gm, &a, &l, &err));
    /* Kernel: a 2 MiB-aligned base plus text_offset, copied byte for
     * byte. */
    ck_assert_uint_eq(l.entry, RAM_BASE + 0x80000);
    ck_assert_int_eq(memcmp(ram + 0x80000, img, sizeof(img)), 0);
    /* DTB: the last 2 MiB block; initrd right below it, page-aligned,
     * above the kernel's whole image_size (its BSS). */
    ck_assert_uint_eq(l.dtb, RAM_BASE + RAM - 2 * MiB);
    ck_assert_uint_eq(l.initrd_size, sizeof(initrd));
    ck_assert_uint_eq(l.initrd_start % 4096, 0);
    ck_assert_uint_le(l.initrd_start + l.initrd_size, l.dtb);
    ck_assert_uint_ge(l.initrd_start, l.entry + 4 * MiB);
    ck_assert_int_eq(
        memcmp(ram + (l.initrd_start - RAM_BASE), initrd, sizeof(initrd)), 0);
}
END_TEST

START_TEST(load_without_initrd)
{
    struct kernel_arm64_args a = args(sizeof(img));
    struct kernel_arm64_layout l;
    GError *err = NULL;

    a.initrd = NULL;
    a.initrd_len = 0;
    ck_assert(kernel_arm64_load(&gm, &a, &l, &err));
    ck_assert_uint_eq(l.initrd_size, 0);
    ck_assert_uint_eq(l.initrd_start, 0);
}
END_TEST

START_TEST(load_refuses_what_does_not_fit)
{
    struct kernel_arm64_args a = args(sizeof(img));
    struct kernel_arm64_layout l;
    GError *err = NULL;

    /* A kernel whose BSS reaches the device tree's block. */
    make_image(0, RAM - 2 * MiB + 1, 0);
    ck_assert(!kernel_arm64_load(&gm, &a, &l, &err));
    ck_assert_int_eq(err->code, HUSK_EXIT_USAGE);
    ck_assert_ptr_nonnull(strstr(err->message, "do not fit"));
    g_clear_error(&err);

    /* An initrd larger than the room between kernel and DTB. */
    make_image(0, 4 * MiB, 0);
    a.initrd_len = RAM; /* only its length is looked at before the check */
    ck_assert(!kernel_arm64_load(&gm, &a, &l, &err));
    ck_assert_int_eq(err->code, HUSK_EXIT_USAGE);
    ck_assert_ptr_nonnull(strstr(err->message, "initrd"));
    g_clear_error(&err);

    /* RAM smaller than one 2 MiB block. */
    a = args(sizeof(img));
    a.ram_size = MiB;
    ck_assert(!kernel_arm64_load(&gm, &a, &l, &err));
    ck_assert_int_eq(err->code, HUSK_EXIT_USAGE);
    g_clear_error(&err);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("kernel_arm64");
    TCase *tc = tcase_create("image");

    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, parse_good);
    tcase_add_test(tc, parse_refuses_broken_images);
    tcase_add_test(tc, parse_legacy_zero_size);
    tcase_add_test(tc, parse_sees_a_truncated_efi_stub);
    tcase_add_test(tc, load_places_kernel_initrd_dtb);
    tcase_add_test(tc, load_without_initrd);
    tcase_add_test(tc, load_refuses_what_does_not_fit);
    suite_add_tcase(s, tc);
    return check_run(s);
}
