/*
 * check_fdt_arm64.c: the arm64 machine's device tree
 * (firmware/fdt_arm64.c), parsed back with libfdt node by node, and
 * decompiled with dtc (device-tree-compiler), which must read it without
 * a warning, as the ACPI tables are checked with iasl.
 */
#include <check.h>
#include <libfdt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "firmware/fdt_arm64.h"
#include "harness/check_run.h"
#include "lib/error.h"
#include "lib/util.h"

#define DTB_MAX (2 * MiB)

static const uint64_t mpidr[2] = {0x80000000ULL, 0x80000001ULL};
static const struct fw_device devs[] = {
    {FW_DEV_SERIAL, 0x9000000, 0x1000, 1, true},
    {FW_DEV_PVPANIC, 0x9020000, 2, 0, false},
    {FW_DEV_VIRTIO_MMIO, 0xa000000, 0x1000, 16, false},
    {FW_DEV_VIRTIO_MMIO, 0xa001000, 0x1000, 17, false},
};
static uint8_t seed[FDT_ARM64_RNG_SEED];

static struct fdt_arm64_config config(void)
{
    for (unsigned i = 0; i < sizeof(seed); i++) {
        seed[i] = (uint8_t)(i + 1);
    }
    return (struct fdt_arm64_config){
        .ram_base = 0x40000000ULL,
        .ram_size = 512 * MiB,
        .nr_cpus = 2,
        .mpidr = mpidr,
        .gicd_base = 0x8000000,
        .gicd_size = 0x10000,
        .gicr_base = 0x80a0000,
        .gicr_size = 2 * 0x20000,
        .devs = devs,
        .nr_devs = G_N_ELEMENTS(devs),
        .bootargs = "console=ttyS0 quiet",
        .initrd_start = 0x5f000000,
        .initrd_size = 0x123000,
        .rng_seed = seed,
    };
}

static void *build(const struct fdt_arm64_config *c)
{
    void *buf = calloc(1, DTB_MAX);
    GError *err = NULL;
    size_t len = 0;

    ck_assert_msg(fdt_arm64_build(c, buf, DTB_MAX, &len, &err), "%s",
                  err ? err->message : "");
    ck_assert_int_eq(fdt_check_header(buf), 0);
    ck_assert_uint_eq(len, fdt_totalsize(buf));
    ck_assert_uint_lt(len, 8192);
    return buf;
}

static const fdt32_t *prop(const void *fdt,
                           const char *path,
                           const char *name,
                           int *len)
{
    int off = fdt_path_offset(fdt, path);
    const void *p;

    ck_assert_msg(off >= 0, "no node %s", path);
    p = fdt_getprop(fdt, off, name, len);
    ck_assert_msg(p, "no %s in %s", name, path);
    return p;
}

static uint64_t cells64(const fdt32_t *c)
{
    return (uint64_t)fdt32_to_cpu(c[0]) << 32 | fdt32_to_cpu(c[1]);
}

START_TEST(memory_cpus_psci)
{
    struct fdt_arm64_config c = config();
    void *fdt = build(&c);
    const fdt32_t *p;
    int len, n = 0, off;

    p = prop(fdt, "/memory@40000000", "reg", &len);
    ck_assert_int_eq(len, 16);
    ck_assert_uint_eq(cells64(p), 0x40000000ULL);
    ck_assert_uint_eq(cells64(p + 2), 512 * MiB);
    ck_assert_str_eq(
        (const char *)prop(fdt, "/memory@40000000", "device_type", &len),
        "memory");

    /* One cpu node per vCPU, reg the MPIDR's affinity (not bit 31). */
    fdt_for_each_subnode(off, fdt, fdt_path_offset(fdt, "/cpus"))
    {
        const fdt32_t *reg = fdt_getprop(fdt, off, "reg", &len);

        ck_assert_int_eq(len, 8);
        ck_assert_uint_eq(cells64(reg), (uint64_t)n);
        ck_assert_str_eq(fdt_getprop(fdt, off, "enable-method", NULL), "psci");
        n++;
    }
    ck_assert_int_eq(n, 2);
    ck_assert_str_eq((const char *)prop(fdt, "/psci", "method", &len), "hvc");
    ck_assert_int_eq(fdt_node_check_compatible(
                         fdt, fdt_path_offset(fdt, "/psci"), "arm,psci-0.2"),
                     0);
    free(fdt);
}
END_TEST

START_TEST(gic_timer_interrupts)
{
    struct fdt_arm64_config c = config();
    void *fdt = build(&c);
    int gic = fdt_node_offset_by_compatible(fdt, -1, "arm,gic-v3");
    const fdt32_t *p;
    int len;

    ck_assert_int_ge(gic, 0);
    p = fdt_getprop(fdt, gic, "reg", &len);
    ck_assert_int_eq(len, 32);
    ck_assert_uint_eq(cells64(p), 0x8000000);
    ck_assert_uint_eq(cells64(p + 4), 0x80a0000);
    ck_assert_uint_eq(cells64(p + 6), 2 * 0x20000);
    /* Every interrupt in the tree goes to the GIC. */
    p = prop(fdt, "/", "interrupt-parent", &len);
    ck_assert_uint_eq(fdt32_to_cpu(*p), fdt_get_phandle(fdt, gic));
    ck_assert_uint_ne(fdt_get_phandle(fdt, gic), 0);

    p = prop(fdt, "/timer", "interrupts", &len);
    ck_assert_int_eq(len, 4 * 12);
    ck_assert_uint_eq(fdt32_to_cpu(p[0]), 1);  /* PPI */
    ck_assert_uint_eq(fdt32_to_cpu(p[1]), 13); /* secure physical */
    ck_assert_uint_eq(fdt32_to_cpu(p[4]), 14); /* non-secure physical */
    ck_assert_uint_eq(fdt32_to_cpu(p[7]), 11); /* virtual */
    ck_assert_uint_eq(fdt32_to_cpu(p[8]), 4);  /* level-high */

    /* The UART: level SPI 1; virtio windows: edge SPIs 16 and 17. */
    p = prop(fdt, "/serial@9000000", "interrupts", &len);
    ck_assert_int_eq(len, 12);
    ck_assert_uint_eq(fdt32_to_cpu(p[0]), 0);
    ck_assert_uint_eq(fdt32_to_cpu(p[1]), 1);
    ck_assert_uint_eq(fdt32_to_cpu(p[2]), 4);
    p = prop(fdt, "/virtio_mmio@a001000", "interrupts", &len);
    ck_assert_uint_eq(fdt32_to_cpu(p[1]), 17);
    ck_assert_uint_eq(fdt32_to_cpu(p[2]), 1);
    p = prop(fdt, "/virtio_mmio@a001000", "reg", &len);
    ck_assert_uint_eq(cells64(p), 0xa001000);
    ck_assert_uint_eq(cells64(p + 2), 0x1000);
    ck_assert_int_ge(
        fdt_node_offset_by_compatible(fdt, -1, "qemu,pvpanic-mmio"), 0);
    free(fdt);
}
END_TEST

START_TEST(chosen)
{
    struct fdt_arm64_config c = config();
    void *fdt = build(&c);
    const fdt32_t *p;
    const char *out;
    int len;

    ck_assert_str_eq((const char *)prop(fdt, "/chosen", "bootargs", &len),
                     "console=ttyS0 quiet");
    /* stdout-path names a node that exists: the UART. */
    out = (const char *)prop(fdt, "/chosen", "stdout-path", &len);
    ck_assert_str_eq(out, "/serial@9000000");
    ck_assert_int_ge(fdt_path_offset(fdt, out), 0);
    p = prop(fdt, "/chosen", "linux,initrd-start", &len);
    ck_assert_int_eq(len, 8);
    ck_assert_uint_eq(cells64(p), 0x5f000000);
    p = prop(fdt, "/chosen", "linux,initrd-end", &len);
    ck_assert_uint_eq(cells64(p), 0x5f123000);
    p = prop(fdt, "/chosen", "rng-seed", &len);
    ck_assert_int_eq(len, FDT_ARM64_RNG_SEED);
    ck_assert_int_eq(memcmp(p, seed, sizeof(seed)), 0);
    free(fdt);

    /* No initrd, no command line: neither property. */
    c.initrd_size = 0;
    c.bootargs = NULL;
    fdt = build(&c);
    ck_assert_ptr_null(fdt_getprop(fdt, fdt_path_offset(fdt, "/chosen"),
                                   "linux,initrd-start", NULL));
    ck_assert_ptr_null(
        fdt_getprop(fdt, fdt_path_offset(fdt, "/chosen"), "bootargs", NULL));
    free(fdt);
}
END_TEST

START_TEST(too_small_a_buffer_is_an_error)
{
    struct fdt_arm64_config c = config();
    uint8_t small[256];
    GError *err = NULL;
    size_t len;

    ck_assert(!fdt_arm64_build(&c, small, sizeof(small), &len, &err));
    ck_assert_int_eq(err->code, HUSK_EXIT_USAGE);
    g_clear_error(&err);
    c.nr_cpus = 0;
    ck_assert(!fdt_arm64_build(&c, small, sizeof(small), &len, &err));
    g_clear_error(&err);
}
END_TEST

/* dtc reads the blob back as a dts: no error, no warning. */
START_TEST(dtc_decompiles_without_warnings)
{
    struct fdt_arm64_config c = config();
    void *fdt = build(&c);
    char dtb[] = "/tmp/husk-fdt-XXXXXX";
    g_autofree char *out = NULL, *err = NULL;
    g_autofree char *dtc = g_find_program_in_path("dtc");
    int fd, status = -1;
    g_autoptr(GError) gerr = NULL;

    if (!dtc) {
        free(fdt);
        check_skip("dtc is not installed (device-tree-compiler)");
        return;
    }
    fd = mkstemp(dtb);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(write(fd, fdt, fdt_totalsize(fdt)), fdt_totalsize(fdt));
    close(fd);
    {
        char *argv[] = {"dtc", "-I", "dtb", "-O", "dts", dtb, NULL};

        ck_assert(g_spawn_sync(NULL, argv, NULL, G_SPAWN_SEARCH_PATH, NULL,
                               NULL, &out, &err, &status, &gerr));
    }
    unlink(dtb);
    ck_assert_msg(g_spawn_check_wait_status(status, NULL), "dtc: %s", err);
    ck_assert_msg(!*err, "dtc warned: %s", err);
    ck_assert_ptr_nonnull(strstr(out, "compatible = \"arm,gic-v3\""));
    ck_assert_ptr_nonnull(strstr(out, "bootargs = \"console=ttyS0 quiet\""));
    free(fdt);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("fdt_arm64");
    TCase *tc = tcase_create("fdt");

    tcase_add_test(tc, memory_cpus_psci);
    tcase_add_test(tc, gic_timer_interrupts);
    tcase_add_test(tc, chosen);
    tcase_add_test(tc, too_small_a_buffer_is_an_error);
    tcase_add_test(tc, dtc_decompiles_without_warnings);
    suite_add_tcase(s, tc);
    return check_run(s);
}
