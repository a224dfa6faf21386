/*
 * check_sysctl_x86.c: the ways a guest ends itself: exit port, ACPI S5 and
 * reset registers, i8042 reset, pvpanic.
 */
#include <check.h>

#include "devices/sysctl_x86.h"
#include "lib/layout_x86.h"
#include "harness/test_vm.h"
#include "harness/check_run.h"

static struct sysctl_x86 sc;
static struct test_ctl ctl;

static void setup(void)
{
    test_ctl_init(&ctl);
    sysctl_x86_init(&sc, &ctl.ctl);
}

START_TEST(exit_port_value_is_status)
{
    sysctl_exit_ops.write(&sc, 0, 3, 1);
    ck_assert_uint_eq(ctl.requests, 1);
    ck_assert_int_eq(ctl.reason, VM_EXIT_PORT);
    ck_assert_int_eq(ctl.status, 3);
    sysctl_exit_ops.write(&sc, 0, 0x1ff, 4);
    ck_assert_int_eq(ctl.status, 0xff);
}
END_TEST

START_TEST(acpi_s5_powers_off_only_s5)
{
    uint64_t ctl_off = LAYOUT_ACPI_SLEEP_CTL - LAYOUT_PORT_ACPI_PM;

    sysctl_acpi_pm_ops.write(&sc, ctl_off, (3 << 2) | 0x20, 1); /* S3 */
    ck_assert_uint_eq(ctl.requests, 0);
    sysctl_acpi_pm_ops.write(&sc, ctl_off, 5 << 2, 1); /* no SLP_EN */
    ck_assert_uint_eq(ctl.requests, 0);
    sysctl_acpi_pm_ops.write(&sc, ctl_off, (5 << 2) | 0x20, 1);
    ck_assert_uint_eq(ctl.requests, 1);
    ck_assert_int_eq(ctl.reason, VM_EXIT_POWEROFF);
}
END_TEST

START_TEST(acpi_reset_needs_the_reset_value)
{
    uint64_t off = LAYOUT_ACPI_RESET - LAYOUT_PORT_ACPI_PM;

    sysctl_acpi_pm_ops.write(&sc, off, 0x01, 1);
    ck_assert_uint_eq(ctl.requests, 0);
    sysctl_acpi_pm_ops.write(&sc, off, LAYOUT_ACPI_RESET_VALUE, 1);
    ck_assert_uint_eq(ctl.requests, 1);
    ck_assert_int_eq(ctl.reason, VM_EXIT_RESET);
}
END_TEST

START_TEST(i8042_reset_command)
{
    ck_assert_uint_eq(sysctl_i8042_ops.read(&sc, 4, 1), 0); /* idle */
    sysctl_i8042_ops.write(&sc, 0, 0xfe, 1);                /* data port */
    ck_assert_uint_eq(ctl.requests, 0);
    sysctl_i8042_ops.write(&sc, 4, 0xfe, 1);
    ck_assert_int_eq(ctl.reason, VM_EXIT_RESET);
}
END_TEST

START_TEST(pvpanic_reports_panic)
{
    ck_assert_uint_eq(sysctl_pvpanic_ops.read(&sc, 0, 1),
                      PVPANIC_PANICKED | PVPANIC_CRASH_LOADED);
    sysctl_pvpanic_ops.write(&sc, 0, PVPANIC_CRASH_LOADED, 1);
    ck_assert_uint_eq(ctl.requests, 0);
    sysctl_pvpanic_ops.write(&sc, 0, PVPANIC_PANICKED, 1);
    ck_assert_int_eq(ctl.reason, VM_EXIT_PANIC);
}
END_TEST

START_TEST(cf9_reset_control)
{
    ck_assert_uint_eq(sysctl_pci_conf_ops.read(&sc, 4, 4) & 0xffffffff,
                      0xffffffff); /* no PCI: config reads float high */
    sysctl_pci_conf_ops.write(&sc, 0, 0x80000000, 4); /* conf1 address */
    sysctl_pci_conf_ops.write(&sc, 1, 0x02, 1);       /* no RST_CPU bit */
    ck_assert_uint_eq(ctl.requests, 0);
    sysctl_pci_conf_ops.write(&sc, 1, 0x06, 1);
    ck_assert_uint_eq(ctl.requests, 1);
    ck_assert_int_eq(ctl.reason, VM_EXIT_RESET);
}
END_TEST

START_TEST(absent_hardware_floats_high)
{
    ck_assert_uint_eq(sysctl_absent_ops.read(NULL, 4, 4) & 0xffffffff,
                      0xffffffff);
    sysctl_absent_ops.write(NULL, 0, 0x80000000, 4);
    sysctl_post_ops.write(&sc, 0, 0x41, 1);
    ck_assert_uint_eq(sc.common.post_codes, 1);
    ck_assert_uint_eq(sc.common.last_post, 0x41);
    ck_assert_uint_eq(ctl.requests, 0);
}
END_TEST

int main(void)
{
    Suite *su = suite_create("sysctl_x86");
    TCase *tc = tcase_create("sysctl");

    tcase_add_checked_fixture(tc, setup, NULL);
    tcase_add_test(tc, exit_port_value_is_status);
    tcase_add_test(tc, acpi_s5_powers_off_only_s5);
    tcase_add_test(tc, acpi_reset_needs_the_reset_value);
    tcase_add_test(tc, i8042_reset_command);
    tcase_add_test(tc, pvpanic_reports_panic);
    tcase_add_test(tc, cf9_reset_control);
    tcase_add_test(tc, absent_hardware_floats_high);
    suite_add_tcase(su, tc);
    return check_run(su);
}
