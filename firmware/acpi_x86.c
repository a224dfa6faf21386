/*
 * acpi_x86.c: husk's ACPI tables for x86 (ACPI 6.5 §5.2.5 RSDP, §5.2.8
 * XSDT, §5.2.9 FADT, §5.2.12 MADT, §5.2.11.1 DSDT).
 *
 * The platform is hardware-reduced (FADT flag HW_REDUCED_ACPI, §4.1): no
 * PM1 blocks, no SCI; poweroff and reset go through the FADT sleep control
 * and reset registers, which husk emulates as I/O ports (layout_x86.h).
 * The boot flags say there is no i8042, no VGA and no CMOS RTC, so a stock
 * kernel neither probes them nor waits for them.
 */
#include "firmware/acpi_x86.h"

#include <string.h>

#include "firmware/acpi.h"
#include "firmware/aml.h"
#include "lib/layout_x86.h"
#include "lib/error.h"
#include "lib/util.h"

#define FADT_LEN 276
#define FADT_REV 6
#define FADT_MINOR 5
#define FADT_F_WBINVD (1u << 0)
#define FADT_F_RESET_REG_SUP (1u << 10)
#define FADT_F_HW_REDUCED (1u << 20)
#define BOOT_ARCH_NO_VGA (1u << 2)
#define BOOT_ARCH_NO_MSI (1u << 3)
#define BOOT_ARCH_NO_CMOS_RTC (1u << 5)

#define MADT_LAPIC 0
#define MADT_IOAPIC 1
#define MADT_X2APIC 9

static void dsdt_serial(GByteArray *sb, const struct fw_device *d, unsigned uid)
{
    g_autoptr(GByteArray) body = g_byte_array_new();
    g_autoptr(GByteArray) res = g_byte_array_new();
    char name[5];

    g_snprintf(name, sizeof(name), "COM%u", uid + 1);
    aml_name_eisaid(body, "_HID", "PNP0501");
    aml_name_int(body, "_UID", uid + 1);
    aml_res_io(res, (uint16_t)d->base, (uint8_t)d->len);
    aml_res_irq_noflags(res, d->irq);
    aml_name_resources(body, "_CRS", res);
    aml_device(sb, name, body);
}

static void dsdt_pvpanic(GByteArray *sb, const struct fw_device *d)
{
    g_autoptr(GByteArray) body = g_byte_array_new();
    g_autoptr(GByteArray) res = g_byte_array_new();

    aml_name_str(body, "_HID", "QEMU0001");
    aml_name_int(body, "_STA", 0xf);
    aml_res_io(res, (uint16_t)d->base, (uint8_t)d->len);
    aml_name_resources(body, "_CRS", res);
    aml_device(sb, "PEVT", body);
}

static void dsdt_virtio(GByteArray *sb, const struct fw_device *d, unsigned uid)
{
    g_autoptr(GByteArray) body = g_byte_array_new();
    g_autoptr(GByteArray) res = g_byte_array_new();
    char name[5];

    g_snprintf(name, sizeof(name), "V%03X", uid & 0xfff);
    aml_name_str(body, "_HID", "LNRO0005");
    aml_name_int(body, "_UID", uid);
    aml_res_mem32_fixed(res, (uint32_t)d->base, (uint32_t)d->len, true);
    aml_res_interrupt(res, d->irq, d->level, false);
    aml_name_resources(body, "_CRS", res);
    aml_device(sb, name, body);
}

/*
 * The power button of a hardware-reduced platform (ACPI 6.5 §5.6.9
 * "Interrupt-signaled ACPI events", §4.8.2.2.1.2 "Control Method Power
 * Button"): a Generic Event Device whose interrupt runs _EVT, which
 * notifies the button device (PNP0C0C) with 0x80, "button pressed".
 */
static void dsdt_power_button(GByteArray *sb, const struct fw_device *d)
{
    g_autoptr(GByteArray) ged = g_byte_array_new();
    g_autoptr(GByteArray) res = g_byte_array_new();
    g_autoptr(GByteArray) evt = g_byte_array_new();
    g_autoptr(GByteArray) then = g_byte_array_new();
    g_autoptr(GByteArray) pwrb = g_byte_array_new();

    aml_name_str(ged, "_HID", "ACPI0013");
    aml_name_int(ged, "_UID", 0);
    aml_res_interrupt(res, d->irq, false, false);
    aml_name_resources(ged, "_CRS", res);
    aml_notify(then, "\\_SB_.PWRB", 0x80);
    aml_if_arg0_equals(evt, d->irq, then);
    aml_method(ged, "_EVT", 1, evt);
    aml_device(sb, "GED0", ged);
    aml_name_eisaid(pwrb, "_HID", "PNP0C0C");
    aml_name_int(pwrb, "_UID", 0);
    aml_device(sb, "PWRB", pwrb);
}

void acpi_x86_dsdt_body(const struct acpi_x86_config *cfg, GByteArray *out)
{
    g_autoptr(GByteArray) sb = g_byte_array_new();
    g_autoptr(GByteArray) s5 = g_byte_array_new();
    unsigned serial = 0, virtio = 0;
    static const uint64_t s5_types[2] = {LAYOUT_ACPI_S5_TYPE, 0};

    for (unsigned i = 0; i < cfg->nr_devs; i++) {
        const struct fw_device *d = &cfg->devs[i];

        switch (d->kind) {
        case FW_DEV_SERIAL:
            dsdt_serial(sb, d, serial++);
            break;
        case FW_DEV_PVPANIC:
            dsdt_pvpanic(sb, d);
            break;
        case FW_DEV_VIRTIO_MMIO:
            dsdt_virtio(sb, d, virtio++);
            break;
        case FW_DEV_POWER_BUTTON:
            dsdt_power_button(sb, d);
            break;
        }
    }
    aml_scope(out, "\\_SB_", sb);
    /* \_S5: the SLP_TYP the guest writes to the sleep control register. */
    aml_package_ints(s5, s5_types, 2);
    aml_name(out, "\\_S5_", s5);
}

static size_t build_fadt(uint8_t *t, uint64_t dsdt_gpa)
{
    memset(t, 0, FADT_LEN);
    acpi_header(t, "FACP", FADT_LEN, FADT_REV);
    put_le32(t + 40, (uint32_t)dsdt_gpa);
    put_le16(t + 46, LAYOUT_GSI_SCI);
    put_le16(t + 109, BOOT_ARCH_NO_VGA | BOOT_ARCH_NO_MSI |
                          BOOT_ARCH_NO_CMOS_RTC); /* and no 8042 */
    put_le32(t + 112, FADT_F_WBINVD | FADT_F_RESET_REG_SUP | FADT_F_HW_REDUCED);
    acpi_gas(t + 116, ACPI_GAS_IO, 8, 1, LAYOUT_ACPI_RESET);
    t[128] = LAYOUT_ACPI_RESET_VALUE;
    t[131] = FADT_MINOR;
    put_le64(t + 140, dsdt_gpa);
    acpi_gas(t + 244, ACPI_GAS_IO, 8, 1, LAYOUT_ACPI_SLEEP_CTL);
    acpi_gas(t + 256, ACPI_GAS_IO, 8, 1, LAYOUT_ACPI_SLEEP_STS);
    memcpy(t + 268, "HUSKHUSK", 8);
    acpi_table_finish(t, FADT_LEN);
    return FADT_LEN;
}

static size_t madt_len(unsigned nr_cpus)
{
    size_t len = ACPI_HDR_LEN + 8 + 12;

    for (unsigned i = 0; i < nr_cpus; i++) {
        len += i < 255 ? 8 : 16;
    }
    return len;
}

static size_t build_madt(uint8_t *t, unsigned nr_cpus)
{
    size_t len = madt_len(nr_cpus), off = ACPI_HDR_LEN + 8;

    memset(t, 0, len);
    acpi_header(t, "APIC", (uint32_t)len, 5);
    put_le32(t + 36, LAYOUT_LAPIC);
    put_le32(t + 40, 0); /* no PC-AT 8259 pair advertised */
    for (unsigned i = 0; i < nr_cpus; i++) {
        uint8_t *e = t + off;

        if (i < 255) {
            e[0] = MADT_LAPIC;
            e[1] = 8;
            e[2] = (uint8_t)i;  /* ACPI processor UID */
            e[3] = (uint8_t)i;  /* APIC ID */
            put_le32(e + 4, 1); /* enabled */
            off += 8;
        } else {
            /* APIC IDs past 254 need x2APIC entries (§5.2.12.12). */
            e[0] = MADT_X2APIC;
            e[1] = 16;
            put_le32(e + 4, i);
            put_le32(e + 8, 1);
            put_le32(e + 12, i);
            off += 16;
        }
    }
    t[off] = MADT_IOAPIC;
    t[off + 1] = 12;
    t[off + 2] = 0; /* IOAPIC ID */
    put_le32(t + off + 4, LAYOUT_IOAPIC);
    put_le32(t + off + 8, 0); /* GSI base */
    acpi_table_finish(t, (uint32_t)len);
    return len;
}

/* Whether the tables can describe the device: I/O ports below 64 KiB with
 * an 8-bit length and an ISA IRQ; MMIO below 4 GiB (32-bit descriptors)
 * on one of the IOAPIC's 24 pins.  husk's own list always passes; this
 * keeps a wrong one from reaching the AML encoders' assertions. */
static bool device_fits(const struct fw_device *d)
{
    switch (d->kind) {
    case FW_DEV_SERIAL:
        if (d->irq >= 16) {
            return false;
        }
        /* fall through */
    case FW_DEV_PVPANIC:
        return d->len >= 1 && d->len <= 255 && d->base + d->len <= 0x10000;
    case FW_DEV_VIRTIO_MMIO:
        return d->len >= 1 && d->base < (1ULL << 32) &&
               d->len <= (1ULL << 32) - d->base && d->irq < 24;
    case FW_DEV_POWER_BUTTON:
        return d->irq < 24;
    default:
        return false;
    }
}

bool acpi_x86_build(const struct acpi_x86_config *cfg,
                    uint8_t *area,
                    size_t size,
                    uint64_t gpa,
                    struct acpi_x86_tables *out,
                    GError **errp)
{
    g_autoptr(GByteArray) aml = g_byte_array_new();
    size_t dsdt_len, need;
    uint8_t *rsdp, *xsdt;
    unsigned serials = 0;

    for (unsigned i = 0; i < cfg->nr_devs; i++) {
        serials += cfg->devs[i].kind == FW_DEV_SERIAL;
        if (!device_fits(&cfg->devs[i]) || serials > 9) {
            g_set_error(errp, HUSK_ERROR, HUSK_EXIT_SOFTWARE,
                        "ACPI: device %u (kind %d, 0x%llx+0x%llx, irq %u) "
                        "cannot be described",
                        i, (int)cfg->devs[i].kind,
                        (unsigned long long)cfg->devs[i].base,
                        (unsigned long long)cfg->devs[i].len, cfg->devs[i].irq);
            return false;
        }
    }
    acpi_x86_dsdt_body(cfg, aml);
    dsdt_len = ACPI_HDR_LEN + aml->len;
    out->rsdp = 0;
    out->xsdt = 64;
    out->fadt = ALIGN_UP(out->xsdt + ACPI_HDR_LEN + 2 * 8, 64);
    out->madt = ALIGN_UP(out->fadt + FADT_LEN, 64);
    out->dsdt = ALIGN_UP(out->madt + madt_len(cfg->nr_cpus), 64);
    need = out->dsdt + dsdt_len;
    if (need > size) {
        g_set_error(errp, HUSK_ERROR, HUSK_EXIT_USAGE,
                    "ACPI tables for %u CPUs and %u devices do not fit in "
                    "%zu bytes",
                    cfg->nr_cpus, cfg->nr_devs, size);
        return false;
    }
    memset(area, 0, need);

    /* DSDT */
    acpi_header(area + out->dsdt, "DSDT", (uint32_t)dsdt_len, 2);
    memcpy(area + out->dsdt + ACPI_HDR_LEN, aml->data, aml->len);
    acpi_table_finish(area + out->dsdt, (uint32_t)dsdt_len);

    build_fadt(area + out->fadt, gpa + out->dsdt);
    build_madt(area + out->madt, cfg->nr_cpus);

    /* XSDT: FADT and MADT */
    xsdt = area + out->xsdt;
    acpi_header(xsdt, "XSDT", ACPI_HDR_LEN + 16, 1);
    put_le64(xsdt + ACPI_HDR_LEN, gpa + out->fadt);
    put_le64(xsdt + ACPI_HDR_LEN + 8, gpa + out->madt);
    acpi_table_finish(xsdt, ACPI_HDR_LEN + 16);

    /* RSDP, revision 2 (§5.2.5.3): checksum over the first 20 bytes, the
     * extended checksum over all 36. */
    rsdp = area + out->rsdp;
    memcpy(rsdp, "RSD PTR ", 8);
    memcpy(rsdp + 9, "HUSK  ", 6);
    rsdp[15] = 2;
    put_le32(rsdp + 20, 36);
    put_le64(rsdp + 24, gpa + out->xsdt);
    rsdp[8] = acpi_checksum(rsdp, 20);
    rsdp[32] = acpi_checksum(rsdp, 36);
    out->used = need;
    return true;
}
