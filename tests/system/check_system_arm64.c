/*
 * check_system_arm64.c: the arm64 system suite.  husk for aarch64
 * (make build-arm64) boots Debian's stock arm64 cloud kernel in the
 * nested arm64 test host (testhost.sh --arch arm64: KVM in VHE mode on
 * QEMU's emulated EL2) through tests/system/arm64.sh, whose framed
 * output each case judges: boot to the marker, CPU count, MemTotal,
 * exit status through the system device, poweroff, reboot, timeout, a
 * panic (read from the console: the kernel has no pvpanic), a
 * disk write against the image's sha256, DHCP and a download over
 * --net user, virtio-rng, virtio-console, husk check, and what is
 * refused: bad Images, a snapshot (not on arm64 yet).
 *
 *   check_system_arm64 SRCDIR BUILD_ARM64_DIR
 */
#include <check.h>
#include <glib.h>
#include <stdio.h>

#include "harness/check_run.h"
#include "harness/scenario_check.h"

static const char *srcdir, *build_arm64;

static void run_scenarios(void)
{
    g_autofree char *build_sh =
        g_build_filename(srcdir, "scripts", "build-arm64.sh", NULL);
    g_autofree char *guest_sh =
        g_build_filename(srcdir, "guest-images", "default-guest.sh", NULL);
    g_autofree char *scen =
        g_build_filename(srcdir, "tests", "system", "arm64.sh", NULL);
    g_autofree char *testhost =
        g_build_filename(srcdir, "tests", "testhost", "testhost.sh", NULL);
    g_autofree char *husk = g_build_filename(build_arm64, "husk", NULL);
    g_autofree char *gdir = NULL, *f1 = NULL, *f2 = NULL, *err = NULL;
    int st;

    /* husk for arm64, cross-compiled from this tree. */
    {
        char *argv[] = {build_sh, (char *)build_arm64, NULL};
        g_autofree char *out = run_cmd(argv, srcdir, &st, &err);

        if (st != 0) {
            setup_error = g_strdup_printf(
                "build-arm64.sh failed (status %d):\n%s\n%s", st, out, err);
            return;
        }
        g_clear_pointer(&err, g_free);
    }
    {
        char *argv[] = {guest_sh, "arm64", NULL};
        char *out = run_cmd(argv, NULL, &st, &err);

        if (st != 0 || !g_file_test(g_strstrip(out), G_FILE_TEST_IS_DIR)) {
            setup_error = g_strdup_printf(
                "default-guest.sh arm64 failed (status %d, printed '%s'):\n%s",
                st, out, err);
            g_free(out);
            return;
        }
        gdir = out;
        g_clear_pointer(&err, g_free);
    }
    f1 = g_strdup_printf("%s/vmlinuz:vmlinuz", gdir);
    f2 = g_strdup_printf("%s/initramfs.cpio.gz:initramfs.cpio.gz", gdir);
    {
        char *argv[] = {testhost,     "--arch",    "arm64",  "--husk", husk,
                        "--scenario", scen,        "--file", f1,       "--file",
                        f2,           "--timeout", "1500",   NULL};

        printf(
            "system-arm64: running the guests inside the nested arm64 "
            "test host\n");
        fflush(stdout);
        output = run_cmd(argv, NULL, &st, &err);
    }
    scenario_output_done("system-arm64-console.log", st, err);
}

START_TEST(stock_arm64_kernel_boots_to_marker)
{
    g_autofree char *b = expect("boot", 0, "HUSK-GUEST-READY");

    ck_assert_msg(strstr(b, "HUSK-RUN-OK"), "%s", tail(b));
    ck_assert_msg(strstr(b, "ARCH=aarch64"), "%s", tail(b));
    ck_assert_msg(strstr(b, "cloud-arm64"), "not the cloud kernel:\n%s",
                  tail(b));
    ck_assert_msg(strstr(b, "CPUS=1"), "%s", tail(b));
}
END_TEST

START_TEST(guest_sees_two_cpus)
{
    g_autofree char *b = expect("cpus2", 0, "CPUS=2");
}
END_TEST

START_TEST(memory_512m_matches)
{
    expect_memtotal("mem512", 512, 512 * 8 / 10);
}
END_TEST

START_TEST(exit_device_status)
{
    g_autofree char *b = expect("exit3", 3, "HUSK-GUEST-READY");
}
END_TEST

START_TEST(poweroff_and_reboot_are_clean)
{
    g_autofree char *p = expect("poweroff", 0, "HUSK-GUEST-READY");
    g_autofree char *r = expect("reboot", 0, "HUSK-GUEST-READY");
}
END_TEST

START_TEST(timeout_status)
{
    g_autofree char *b = expect("timeout", 124, "HUSK-GUEST-READY");

    ck_assert_msg(strstr(b, "husk: timeout after 20 s"), "%s", tail(b));
}
END_TEST

START_TEST(panic_status)
{
    g_autofree char *b = expect("panic", 120, "Kernel panic");

    /* The whole report arrives, up to its end line. */
    ck_assert_msg(strstr(b, "---[ end Kernel panic"), "%s", tail(b));
    ck_assert_msg(strstr(b, "husk: guest kernel panicked"), "%s", tail(b));
}
END_TEST

START_TEST(disk_write_is_on_the_host_image)
{
    /* Not the all-zero 16 MiB image it started as. */
    g_autofree char *b =
        expect_same_sha("disk-write", "GUEST-SHA", "HOST-SHA",
                        "080acf35a507ac9849cfcba47dc2ad83e01b75663a516279c8b9d2"
                        "43b719643e");
}
END_TEST

START_TEST(net_user_dhcp_and_download)
{
    g_autofree char *b = expect_user_net_download("net-user");
}
END_TEST

START_TEST(rng_gives_hwrng)
{
    g_autofree char *b = expect("rng", 0, "HWRNG-BYTES=256");

    ck_assert_msg(strstr(b, "RNG=virtio_rng"), "%s", tail(b));
}
END_TEST

START_TEST(virtio_console_reaches_stdout)
{
    /* Only hvc0's line says VIA-HVC2: the command itself says 1 + 1. */
    g_autofree char *b = expect("vcon", 0, "VIA-HVC2");
}
END_TEST

START_TEST(snapshot_is_refused_with_a_reason)
{
    g_autofree char *b = expect("snapshot-refused", 64, "arm64");

    ck_assert_msg(!strstr(b, "HUSK-GUEST-READY"), "the guest ran:\n%s",
                  tail(b));
}
END_TEST

START_TEST(control_socket_on_arm64)
{
    g_autofree char *b = expect("api", 0, "CTL-QUIT=0");

    ck_assert_msg(strstr(b, "CTL-PAUSE=0"), "%s", b);
    ck_assert_msg(strstr(b, "paused"), "no paused status:\n%s", b);
    ck_assert_msg(strstr(b, "CTL-RESUME=0"), "%s", b);
    ck_assert_msg(strstr(b, "no power button"), "%s", b);
    ck_assert_msg(!strstr(b, "CTL-POWERDOWN=0"), "%s", b);
    ck_assert_msg(!strstr(b, "sandbox"), "a sandbox report:\n%s", b);
}
END_TEST

START_TEST(husk_check_on_arm64_kvm)
{
    g_autofree char *b = expect("husk-check", 0, "verdict:");

    ck_assert_msg(strstr(b, "Linux guests can boot"), "%s", b);
    ck_assert_msg(strstr(b, "ARM_PSCI_0_2=yes"), "%s", b);
    ck_assert_msg(strstr(b, "guest addresses:"), "%s", b);
}
END_TEST

START_TEST(bad_images_are_refused)
{
    g_autofree char *s = expect("bad-image", 65, "truncated");
    g_autofree char *t = expect("not-a-kernel", 65, "not a kernel");
}
END_TEST

int main(int argc, char **argv)
{
    Suite *su = suite_create("system_arm64");
    TCase *tc = tcase_create("arm64");

    if (argc != 3) {
        fprintf(stderr, "usage: check_system_arm64 SRCDIR BUILD_ARM64_DIR\n");
        return 2;
    }
    srcdir = argv[1];
    build_arm64 = argv[2];
    tcase_add_unchecked_fixture(tc, run_scenarios, NULL);
    tcase_set_timeout(tc, 1800);
    tcase_add_test(tc, stock_arm64_kernel_boots_to_marker);
    tcase_add_test(tc, guest_sees_two_cpus);
    tcase_add_test(tc, memory_512m_matches);
    tcase_add_test(tc, exit_device_status);
    tcase_add_test(tc, poweroff_and_reboot_are_clean);
    tcase_add_test(tc, timeout_status);
    tcase_add_test(tc, panic_status);
    tcase_add_test(tc, disk_write_is_on_the_host_image);
    tcase_add_test(tc, net_user_dhcp_and_download);
    tcase_add_test(tc, rng_gives_hwrng);
    tcase_add_test(tc, virtio_console_reaches_stdout);
    tcase_add_test(tc, snapshot_is_refused_with_a_reason);
    tcase_add_test(tc, control_socket_on_arm64);
    tcase_add_test(tc, husk_check_on_arm64_kvm);
    tcase_add_test(tc, bad_images_are_refused);
    suite_add_tcase(su, tc);
    return check_run(su);
}
