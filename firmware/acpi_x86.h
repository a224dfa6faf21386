/*
 * acpi_x86.h: the x86 hardware-reduced ACPI platform husk gives a guest:
 * RSDP, XSDT, FADT, MADT and a DSDT generated from the VM's device list.
 */
#ifndef HUSK_ACPI_X86_H
#define HUSK_ACPI_X86_H

#include <glib.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "firmware/fw_device.h"

struct acpi_x86_config {
    unsigned nr_cpus; /* APIC IDs 0 .. nr_cpus-1 */
    const struct fw_device *devs;
    unsigned nr_devs;
};

/* Where each table landed inside the area (offsets from its start). */
struct acpi_x86_tables {
    size_t rsdp, xsdt, fadt, madt, dsdt;
    size_t used;
};

/*
 * Builds every table into area[0..size), which the guest will see at
 * physical address gpa (the RSDP comes first, so gpa is the RSDP address).
 * Returns false with a HUSK_EXIT_USAGE error if the tables do not fit
 * (too many CPUs or devices).
 */
bool acpi_x86_build(const struct acpi_x86_config *cfg,
                    uint8_t *area,
                    size_t size,
                    uint64_t gpa,
                    struct acpi_x86_tables *out,
                    GError **errp);

/* The DSDT's AML body (no header), for tests. */
void acpi_x86_dsdt_body(const struct acpi_x86_config *cfg, GByteArray *out);

#endif
