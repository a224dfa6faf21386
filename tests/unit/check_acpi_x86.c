/*
 * check_acpi_x86.c: ACPI table builder: checksums (known answers), table
 * links, MADT entries, AML encodings, and a round trip of every table
 * through the ACPICA disassembler (iasl -d, acpica-tools).
 */
#include <check.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <string.h>

#include "firmware/acpi.h"
#include "firmware/acpi_x86.h"
#include "firmware/aml.h"
#include "lib/layout_x86.h"
#include "lib/util.h"
#include "harness/check_run.h"

#define AREA 0x20000
static uint8_t area[AREA];
static const struct fw_device devs[] = {
    {FW_DEV_SERIAL, 0x3f8, 8, 4, false},
    {FW_DEV_PVPANIC, 0x505, 1, 0, false},
    {FW_DEV_VIRTIO_MMIO, 0xd0000000, 0x1000, 5, true},
    {FW_DEV_VIRTIO_MMIO, 0xd0001000, 0x1000, 6, true},
};

static uint8_t sum(const uint8_t *p, size_t n)
{
    uint8_t s = 0;

    while (n--) {
        s += *p++;
    }
    return s;
}

static void build(unsigned cpus, struct acpi_x86_tables *t)
{
    struct acpi_x86_config cfg = {cpus, devs, G_N_ELEMENTS(devs)};
    GError *err = NULL;

    memset(area, 0xcc, sizeof(area));
    ck_assert_msg(acpi_x86_build(&cfg, area, AREA, LAYOUT_ACPI_START, t, &err),
                  "%s", err ? err->message : "");
}

START_TEST(checksum_known_answers)
{
    const uint8_t a[] = {0x01, 0x02, 0x03};
    const uint8_t b[] = {0xff, 0xff};
    uint8_t c[4] = {'R', 'S', 'D', 0};

    ck_assert_uint_eq(acpi_checksum(a, 3), 0xfa);
    ck_assert_uint_eq(acpi_checksum(b, 2), 0x02);
    ck_assert_uint_eq(acpi_checksum(a, 0), 0);
    c[3] = acpi_checksum(c, 3);
    ck_assert_uint_eq(sum(c, 4), 0);
}
END_TEST

START_TEST(tables_link_and_sum_to_zero)
{
    struct acpi_x86_tables t;
    const uint8_t *rsdp, *xsdt, *fadt;

    build(2, &t);
    rsdp = area + t.rsdp;
    ck_assert_mem_eq(rsdp, "RSD PTR ", 8);
    ck_assert_uint_eq(sum(rsdp, 20), 0);
    ck_assert_uint_eq(sum(rsdp, 36), 0);
    ck_assert_uint_eq(rsdp[15], 2);
    ck_assert_uint_eq(get_le64(rsdp + 24), LAYOUT_ACPI_START + t.xsdt);

    xsdt = area + t.xsdt;
    ck_assert_mem_eq(xsdt, "XSDT", 4);
    ck_assert_uint_eq(sum(xsdt, get_le32(xsdt + 4)), 0);
    ck_assert_uint_eq(get_le64(xsdt + 36), LAYOUT_ACPI_START + t.fadt);
    ck_assert_uint_eq(get_le64(xsdt + 44), LAYOUT_ACPI_START + t.madt);

    fadt = area + t.fadt;
    ck_assert_mem_eq(fadt, "FACP", 4);
    ck_assert_uint_eq(get_le32(fadt + 4), 276);
    ck_assert_uint_eq(sum(fadt, 276), 0);
    ck_assert_uint_eq(get_le64(fadt + 140), LAYOUT_ACPI_START + t.dsdt);
    ck_assert_uint_eq(get_le32(fadt + 40), LAYOUT_ACPI_START + t.dsdt);
    /* Hardware-reduced, reset register supported, no RTC/VGA/8042. */
    ck_assert(get_le32(fadt + 112) & (1u << 20));
    ck_assert(get_le32(fadt + 112) & (1u << 10));
    ck_assert(get_le16(fadt + 109) & (1u << 5));
    ck_assert(!(get_le16(fadt + 109) & (1u << 1)));
    ck_assert_uint_eq(fadt[116], 1); /* reset reg in I/O space */
    ck_assert_uint_eq(get_le64(fadt + 120), LAYOUT_ACPI_RESET);
    ck_assert_uint_eq(fadt[128], LAYOUT_ACPI_RESET_VALUE);
    ck_assert_uint_eq(get_le64(fadt + 248), LAYOUT_ACPI_SLEEP_CTL);
    ck_assert_uint_eq(get_le64(fadt + 260), LAYOUT_ACPI_SLEEP_STS);

    ck_assert_mem_eq(area + t.madt, "APIC", 4);
    ck_assert_uint_eq(sum(area + t.madt, get_le32(area + t.madt + 4)), 0);
    ck_assert_mem_eq(area + t.dsdt, "DSDT", 4);
    ck_assert_uint_eq(sum(area + t.dsdt, get_le32(area + t.dsdt + 4)), 0);
    ck_assert_uint_le(t.used, AREA);
}
END_TEST

/* Counts MADT entries of a type. */
static unsigned madt_count(const uint8_t *madt, uint8_t type)
{
    uint32_t len = get_le32(madt + 4), off = 44;
    unsigned n = 0;

    while (off + 2 <= len) {
        ck_assert_uint_ge(madt[off + 1], 2);
        if (madt[off] == type) {
            n++;
        }
        off += madt[off + 1];
    }
    ck_assert_uint_eq(off, len);
    return n;
}

START_TEST(madt_one_apic_per_cpu)
{
    struct acpi_x86_tables t;
    const uint8_t *madt;

    build(1, &t);
    madt = area + t.madt;
    ck_assert_uint_eq(madt_count(madt, 0), 1);
    ck_assert_uint_eq(madt_count(madt, 1), 1);
    ck_assert_uint_eq(get_le32(madt + 36), LAYOUT_LAPIC);
    build(8, &t);
    madt = area + t.madt;
    ck_assert_uint_eq(madt_count(madt, 0), 8);
    ck_assert_uint_eq(madt[44 + 7 * 8 + 3], 7); /* APIC ID of CPU 7 */
    build(300, &t);
    madt = area + t.madt;
    ck_assert_uint_eq(madt_count(madt, 0), 255);
    ck_assert_uint_eq(madt_count(madt, 9), 45);
    ck_assert_uint_eq(sum(madt, get_le32(madt + 4)), 0);
}
END_TEST

START_TEST(too_many_for_the_area)
{
    struct acpi_x86_config cfg = {20000, devs, G_N_ELEMENTS(devs)};
    struct acpi_x86_tables t;
    GError *err = NULL;

    ck_assert(!acpi_x86_build(&cfg, area, AREA, LAYOUT_ACPI_START, &t, &err));
    ck_assert_ptr_nonnull(err);
    g_error_free(err);
}
END_TEST

/* A device list the tables cannot describe is an error, not an abort
 * (found by fuzz_boot: a UART with IRQ 16 hit an assertion). */
START_TEST(impossible_devices_rejected)
{
    static const struct fw_device bad[][1] = {
        {{FW_DEV_SERIAL, 0x3f8, 8, 16, false}},               /* ISA IRQ */
        {{FW_DEV_SERIAL, 0xfffc, 8, 4, false}},               /* past 64K */
        {{FW_DEV_PVPANIC, 0x505, 0, 0, false}},               /* empty */
        {{FW_DEV_VIRTIO_MMIO, 0xfffff000, 0x2000, 5, true}},  /* 4G */
        {{FW_DEV_VIRTIO_MMIO, 0xd0000000, 0x1000, 24, true}}, /* GSI */
        {{(enum fw_dev_kind)7, 0, 1, 0, false}},              /* kind */
    };

    for (unsigned i = 0; i < G_N_ELEMENTS(bad); i++) {
        struct acpi_x86_config cfg = {1, bad[i], 1};
        struct acpi_x86_tables t;
        GError *err = NULL;

        ck_assert_msg(
            !acpi_x86_build(&cfg, area, AREA, LAYOUT_ACPI_START, &t, &err),
            "case %u accepted", i);
        ck_assert_ptr_nonnull(err);
        g_error_free(err);
    }
}
END_TEST

START_TEST(aml_encodings)
{
    GByteArray *b = g_byte_array_new();
    static const uint8_t pk1[] = {0x3f};
    static const uint8_t pk2[] = {0x41, 0x04}; /* 0x41 = 65 bytes */
    static const uint8_t ints[] = {0x00, 0x01, 0x0a, 0x05, 0x0b, 0x34,
                                   0x12, 0x0c, 0x78, 0x56, 0x34, 0x12};

    aml_pkglength(b, 62);
    ck_assert_mem_eq(b->data, pk1, 1);
    g_byte_array_set_size(b, 0);
    aml_pkglength(b, 63);
    ck_assert_uint_eq(b->len, 2);
    ck_assert_mem_eq(b->data, pk2, 2);
    g_byte_array_set_size(b, 0);
    aml_pkglength(b, 5000);
    ck_assert_uint_eq(b->len, 3);
    ck_assert_uint_eq(b->data[0] & 0xc0, 0x80);
    ck_assert_uint_eq((b->data[0] & 0xf) | b->data[1] << 4 | b->data[2] << 12,
                      5003);
    g_byte_array_set_size(b, 0);
    aml_integer(b, 0);
    aml_integer(b, 1);
    aml_integer(b, 5);
    aml_integer(b, 0x1234);
    aml_integer(b, 0x12345678);
    ck_assert_uint_eq(b->len, sizeof(ints));
    ck_assert_mem_eq(b->data, ints, sizeof(ints));
    /* EISAID("PNP0501") is 0x0105D041 (as iasl encodes it). */
    ck_assert_uint_eq(aml_eisaid("PNP0501"), 0x0105d041);
    g_byte_array_free(b, TRUE);
}
END_TEST

START_TEST(dsdt_lists_every_device)
{
    GByteArray *b = g_byte_array_new();
    struct acpi_x86_config cfg = {1, devs, G_N_ELEMENTS(devs)};

    acpi_x86_dsdt_body(&cfg, b);
    ck_assert_ptr_nonnull(memmem(b->data, b->len, "LNRO0005", 8));
    ck_assert_ptr_nonnull(memmem(b->data, b->len, "QEMU0001", 8));
    ck_assert_ptr_nonnull(memmem(b->data, b->len, "V000", 4));
    ck_assert_ptr_nonnull(memmem(b->data, b->len, "V001", 4));
    ck_assert_ptr_nonnull(memmem(b->data, b->len, "COM1", 4));
    ck_assert_ptr_nonnull(memmem(b->data, b->len, "_S5_", 4));
    g_byte_array_free(b, TRUE);
}
END_TEST

static char *disassemble(const char *dir, const char *name, const uint8_t *t)
{
    g_autofree char *dat = g_strdup_printf("%s/%s.dat", dir, name);
    g_autofree char *dsl = g_strdup_printf("%s/%s.dsl", dir, name);
    g_autofree char *cmd = g_strdup_printf("iasl -d %s", dat);
    g_autofree char *out = NULL, *errs = NULL;
    char *text = NULL;
    int status = -1;

    ck_assert(g_file_set_contents(dat, (const char *)t, get_le32(t + 4), NULL));
    ck_assert_msg(g_spawn_command_line_sync(cmd, &out, &errs, &status, NULL),
                  "iasl (acpica-tools) is not installed");
    ck_assert_msg(g_file_get_contents(dsl, &text, NULL, NULL),
                  "iasl -d %s failed: %s %s", name, out, errs);
    ck_assert_msg(!strstr(out, "Error") && !strstr(errs, "Error") &&
                      !strstr(text, "Incorrect checksum"),
                  "iasl complained about %s: %s %s", name, out, errs);
    return text;
}

START_TEST(iasl_round_trip)
{
    struct acpi_x86_tables t;
    g_autofree char *dir = g_dir_make_tmp("husk-acpi-XXXXXX", NULL);
    g_autofree char *dsdt = NULL, *fadt = NULL, *madt = NULL;

    build(4, &t);
    dsdt = disassemble(dir, "dsdt", area + t.dsdt);
    ck_assert_msg(strstr(dsdt, "EisaId (\"PNP0501\")"), "%s", dsdt);
    ck_assert(strstr(dsdt, "\"QEMU0001\""));
    ck_assert(strstr(dsdt, "\"LNRO0005\""));
    ck_assert(strstr(dsdt, "Memory32Fixed (ReadWrite,"));
    ck_assert(strstr(dsdt, "0xD0001000"));
    ck_assert(strstr(dsdt, "IO (Decode16,"));
    ck_assert(strstr(dsdt, "IRQNoFlags ()"));
    ck_assert(strstr(dsdt, "Interrupt (ResourceConsumer, Level, ActiveHigh"));
    ck_assert(strstr(dsdt, "Name (\\_S5, Package (0x02)"));
    fadt = disassemble(dir, "facp", area + t.fadt);
    ck_assert_msg(strstr(fadt, "Hardware Reduced (V5) : 1"), "%s", fadt);
    ck_assert(strstr(fadt, "CMOS RTC Not Present (V5) : 1"));
    ck_assert(strstr(fadt, "Reset Register Supported (V2) : 1"));
    ck_assert(strstr(fadt, "Value to cause reset : 0E"));
    madt = disassemble(dir, "apic", area + t.madt);
    ck_assert(strstr(madt, "Local Apic ID : 03"));
    ck_assert(strstr(madt, "Address : FEC00000"));
    {
        g_autofree char *cmd = g_strdup_printf("rm -rf %s", dir);
        ck_assert(g_spawn_command_line_sync(cmd, NULL, NULL, NULL, NULL));
    }
}
END_TEST

int main(void)
{
    Suite *s = suite_create("acpi_x86");
    TCase *tc = tcase_create("tables");
    TCase *ia = tcase_create("iasl");

    tcase_add_test(tc, checksum_known_answers);
    tcase_add_test(tc, tables_link_and_sum_to_zero);
    tcase_add_test(tc, madt_one_apic_per_cpu);
    tcase_add_test(tc, too_many_for_the_area);
    tcase_add_test(tc, aml_encodings);
    tcase_add_test(tc, dsdt_lists_every_device);
    tcase_add_test(tc, impossible_devices_rejected);
    suite_add_tcase(s, tc);
    tcase_set_timeout(ia, 30);
    tcase_add_test(ia, iasl_round_trip);
    suite_add_tcase(s, ia);
    return check_run(s);
}
