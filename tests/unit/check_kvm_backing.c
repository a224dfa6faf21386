/*
 * check_kvm_backing.c: how husk tells the three kinds of /dev/kvm apart
 * (none, PVM, hardware) from a fake sysfs root and device node, so the
 * decision is tested on every machine whatever its own /dev/kvm is.
 */
#include <check.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <stdio.h>

#include "harness/check_run.h"
#include "vmm/kvm.h"

/* A sysfs root with the given modules loaded, and a device node path that
 * exists only when dev is true. */
static char *fake_host(const char *const *modules, bool dev, char **devpath)
{
    char *root = g_dir_make_tmp("husk-sysfs-XXXXXX", NULL);

    ck_assert(root);
    for (unsigned i = 0; modules[i]; i++) {
        g_autofree char *d = g_build_filename(root, "module", modules[i], NULL);

        ck_assert_int_eq(g_mkdir_with_parents(d, 0755), 0);
    }
    *devpath = g_build_filename(root, "kvm", NULL);
    if (dev) {
        ck_assert(g_file_set_contents(*devpath, "", 0, NULL));
    }
    return root;
}

static enum kvm_backing decide(const char *const *modules, bool dev)
{
    g_autofree char *devpath = NULL;
    g_autofree char *root = fake_host(modules, dev, &devpath);
    g_autofree char *cmd = g_strdup_printf("rm -rf '%s'", root);
    enum kvm_backing b = kvm_backing_at(root, devpath);

    ck_assert_int_eq(system(cmd), 0);
    return b;
}

START_TEST(hardware_amd_and_intel)
{
    ck_assert_int_eq(decide((const char *[]){"kvm", "kvm_amd", NULL}, true),
                     KVM_BACKING_HARDWARE);
    ck_assert_int_eq(decide((const char *[]){"kvm", "kvm_intel", NULL}, true),
                     KVM_BACKING_HARDWARE);
}
END_TEST

START_TEST(pvm_bound)
{
    ck_assert_int_eq(decide((const char *[]){"kvm", "kvm_pvm", NULL}, true),
                     KVM_BACKING_PVM);
}
END_TEST

/* The "none" machines: kvm_pvm loaded (the kernel is itself a PVM guest)
 * but no /dev/kvm.  Before, husk called these PVM. */
START_TEST(pvm_loaded_without_device_is_none)
{
    ck_assert_int_eq(decide((const char *[]){"kvm", "kvm_pvm", NULL}, false),
                     KVM_BACKING_NONE);
    ck_assert_int_eq(decide((const char *[]){NULL}, false), KVM_BACKING_NONE);
    ck_assert_int_eq(decide((const char *[]){"kvm", "kvm_amd", NULL}, false),
                     KVM_BACKING_NONE);
}
END_TEST

START_TEST(device_without_known_module_is_unknown)
{
    ck_assert_int_eq(decide((const char *[]){"kvm", NULL}, true),
                     KVM_BACKING_UNKNOWN);
}
END_TEST

/* HUSK_SYSFS_ROOT stands for /sys in kvm_backing(), so the CLI's words
 * (husk check) can be tested for each kind too. */
START_TEST(environment_root_is_used)
{
    g_autofree char *devpath = NULL;
    g_autofree char *root =
        fake_host((const char *[]){"kvm", "kvm_pvm", NULL}, true, &devpath);
    g_autofree char *cmd = g_strdup_printf("rm -rf '%s'", root);

    g_setenv("HUSK_SYSFS_ROOT", root, TRUE);
    g_setenv("HUSK_KVM_DEV", devpath, TRUE);
    ck_assert_int_eq(kvm_backing(), KVM_BACKING_PVM);
    g_unsetenv("HUSK_SYSFS_ROOT");
    g_unsetenv("HUSK_KVM_DEV");
    ck_assert_int_eq(system(cmd), 0);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("kvm_backing");
    TCase *tc = tcase_create("decision");

    tcase_add_test(tc, hardware_amd_and_intel);
    tcase_add_test(tc, pvm_bound);
    tcase_add_test(tc, pvm_loaded_without_device_is_none);
    tcase_add_test(tc, device_without_known_module_is_unknown);
    tcase_add_test(tc, environment_root_is_used);
    suite_add_tcase(s, tc);
    return check_run(s);
}
