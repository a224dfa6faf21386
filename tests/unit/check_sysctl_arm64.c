/*
 * check_sysctl_arm64.c: the arm64 system device page: each register
 * reaches the shared device it stands for (exit status, debug code,
 * boot timer), the ID reads back, and nothing else does anything.
 */
#include <check.h>

#include "devices/sysctl_arm64.h"
#include "harness/check_run.h"
#include "harness/test_vm.h"

static struct sysctl sc;
static struct test_ctl ctl;
static unsigned markers[2];
static unsigned last_code;

static void on_marker(struct vm_ctl *c, enum vm_marker m, unsigned code)
{
    markers[m == VM_MARKER_BOOT_TIMER]++;
    last_code = code;
}

static void setup(void)
{
    test_ctl_init(&ctl);
    ctl.ctl.boot_marker = on_marker;
    markers[0] = markers[1] = 0;
    sysctl_init(&sc, &ctl.ctl);
}

START_TEST(exit_register_value_is_status)
{
    sysctl_arm64_ops.write(&sc, SYSCTL_ARM64_EXIT, 0x1ff, 4);
    ck_assert_uint_eq(ctl.requests, 1);
    ck_assert_int_eq(ctl.reason, VM_EXIT_PORT);
    ck_assert_int_eq(ctl.status, 0xff);
}
END_TEST

START_TEST(debug_and_boot_timer_are_markers)
{
    sysctl_arm64_ops.write(&sc, SYSCTL_ARM64_DEBUG, 0x60, 4);
    ck_assert_uint_eq(markers[0], 1);
    ck_assert_uint_eq(last_code, 0x60);
    ck_assert_uint_eq(sc.post_codes, 1);
    sysctl_arm64_ops.write(&sc, SYSCTL_ARM64_BOOT_TIMER, 123, 4);
    ck_assert_uint_eq(markers[1], 1);
    ck_assert_uint_eq(last_code, 123);
    ck_assert_uint_eq(ctl.requests, 0);
}
END_TEST

START_TEST(id_reads_back_and_the_rest_is_inert)
{
    ck_assert_uint_eq(sysctl_arm64_ops.read(&sc, SYSCTL_ARM64_ID, 4),
                      SYSCTL_ARM64_ID_VALUE);
    ck_assert_uint_eq(sysctl_arm64_ops.read(&sc, SYSCTL_ARM64_EXIT, 4), 0);
    ck_assert_uint_eq(sysctl_arm64_ops.read(&sc, 0xffc, 4), 0);
    sysctl_arm64_ops.write(&sc, 0x10, 1, 4);
    sysctl_arm64_ops.write(&sc, 0xffc, 1, 4);
    sysctl_arm64_ops.write(&sc, SYSCTL_ARM64_EXIT + 1, 1, 1);
    ck_assert_uint_eq(ctl.requests, 0);
    ck_assert_uint_eq(markers[0] + markers[1], 0);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("sysctl_arm64");
    TCase *tc = tcase_create("page");

    tcase_add_checked_fixture(tc, setup, NULL);
    tcase_add_test(tc, exit_register_value_is_status);
    tcase_add_test(tc, debug_and_boot_timer_are_markers);
    tcase_add_test(tc, id_reads_back_and_the_rest_is_inert);
    suite_add_tcase(s, tc);
    return check_run(s);
}
