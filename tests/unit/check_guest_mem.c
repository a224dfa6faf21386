/*
 * check_guest_mem.c: the range checks every guest address goes through.
 */
#include <check.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>

#include <fcntl.h>
#include <unistd.h>

#include "lib/guest_mem.h"
#include "harness/check_run.h"

static uint8_t ram_a[4096], ram_b[8192];
static struct guest_mem gm;

static void setup(void)
{
    gm.nr = 0;
    ck_assert_int_eq(gm_add_region(&gm, 0x1000, sizeof(ram_a), ram_a), 0);
    ck_assert_int_eq(gm_add_region(&gm, 0x10000, sizeof(ram_b), ram_b), 0);
}

START_TEST(add_rejects_bad_regions)
{
    ck_assert_int_eq(gm_add_region(&gm, 0x1800, 16, ram_a), -EINVAL);
    ck_assert_int_eq(gm_add_region(&gm, 0x0, 0x1001, ram_a), -EINVAL);
    ck_assert_int_eq(gm_add_region(&gm, 0x50000, 0, ram_a), -EINVAL);
    ck_assert_int_eq(gm_add_region(&gm, UINT64_MAX - 10, 100, ram_a), -EINVAL);
    ck_assert_int_eq(gm_add_region(&gm, 0x50000, 16, NULL), -EINVAL);
    ck_assert_int_eq(gm_add_region(&gm, 0x50000, 16, ram_a), 0);
    ck_assert_int_eq(gm_add_region(&gm, 0x60000, 16, ram_a), 0);
    ck_assert_int_eq(gm_add_region(&gm, 0x70000, 16, ram_a), -ENOSPC);
}
END_TEST

START_TEST(ptr_inside_regions)
{
    ck_assert_ptr_eq(gm_ptr(&gm, 0x1000, 1), ram_a);
    ck_assert_ptr_eq(gm_ptr(&gm, 0x1000, 4096), ram_a);
    ck_assert_ptr_eq(gm_ptr(&gm, 0x1fff, 1), ram_a + 4095);
    ck_assert_ptr_eq(gm_ptr(&gm, 0x10010, 16), ram_b + 16);
}
END_TEST

START_TEST(ptr_rejects_outside_and_straddling)
{
    ck_assert_ptr_null(gm_ptr(&gm, 0x0, 1));
    ck_assert_ptr_null(gm_ptr(&gm, 0xfff, 2));  /* starts before */
    ck_assert_ptr_null(gm_ptr(&gm, 0x1fff, 2)); /* runs past the end */
    ck_assert_ptr_null(gm_ptr(&gm, 0x1000, 4097));
    ck_assert_ptr_null(gm_ptr(&gm, 0x2000, 1));       /* the gap */
    ck_assert_ptr_null(gm_ptr(&gm, 0x1f00, 0x10000)); /* spans two regions */
    ck_assert_ptr_null(gm_ptr(&gm, 0x12000, 1));
}
END_TEST

START_TEST(ptr_rejects_zero_and_wrapping_lengths)
{
    ck_assert_ptr_null(gm_ptr(&gm, 0x1000, 0));
    ck_assert_ptr_null(gm_ptr(&gm, UINT64_MAX, 2));
    ck_assert_ptr_null(gm_ptr(&gm, 0x1000, SIZE_MAX));
    ck_assert_ptr_null(gm_ptr(&gm, UINT64_MAX - 0xfff, 0x2000));
}
END_TEST

START_TEST(read_write_little_endian)
{
    uint16_t v16;
    uint32_t v32;
    uint64_t v64;
    const uint8_t bytes[8] = {1, 2, 3, 4, 5, 6, 7, 8};
    uint8_t back[8];

    ck_assert_int_eq(gm_write(&gm, 0x10000, bytes, 8), 0);
    ck_assert_int_eq(gm_read(&gm, 0x10000, back, 8), 0);
    ck_assert_mem_eq(back, bytes, 8);
    ck_assert_int_eq(gm_read_le16(&gm, 0x10000, &v16), 0);
    ck_assert_uint_eq(v16, 0x0201);
    ck_assert_int_eq(gm_read_le32(&gm, 0x10000, &v32), 0);
    ck_assert_uint_eq(v32, 0x04030201);
    ck_assert_int_eq(gm_read_le64(&gm, 0x10000, &v64), 0);
    ck_assert_uint_eq(v64, 0x0807060504030201ULL);
    ck_assert_int_eq(gm_read_le64(&gm, 0x1ffc, &v64), -EFAULT);
    ck_assert_int_eq(gm_write(&gm, 0x1ffc, bytes, 8), -EFAULT);
    ck_assert_int_eq(gm_read(&gm, 0x3000, back, 1), -EFAULT);
    ck_assert_uint_eq(gm_total(&gm), 4096 + 8192);
}
END_TEST

/* Shared guest RAM is sealed at its size: the process it is shared with
 * can neither shrink nor grow it, nor lift the seals. */
START_TEST(memfd_is_sealed)
{
    int fd = gm_memfd_new("test", 1 << 20, false);

    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(lseek(fd, 0, SEEK_END), 1 << 20);
    ck_assert_int_eq(ftruncate(fd, 0), -1);
    ck_assert_int_eq(errno, EPERM);
    ck_assert_int_eq(ftruncate(fd, 2 << 20), -1);
    ck_assert_int_eq(errno, EPERM);
    ck_assert_int_eq(fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE), -1);
    ck_assert_int_eq(errno, EPERM);
    ck_assert_int_eq(fcntl(fd, F_GET_SEALS),
                     F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL);
    close(fd);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("guest_mem");
    TCase *tc = tcase_create("ranges");

    tcase_add_checked_fixture(tc, setup, NULL);
    tcase_add_test(tc, add_rejects_bad_regions);
    tcase_add_test(tc, memfd_is_sealed);
    tcase_add_test(tc, ptr_inside_regions);
    tcase_add_test(tc, ptr_rejects_outside_and_straddling);
    tcase_add_test(tc, ptr_rejects_zero_and_wrapping_lengths);
    tcase_add_test(tc, read_write_little_endian);
    suite_add_tcase(s, tc);
    return check_run(s);
}
