/*
 * fdt_arm64.h: the device tree that describes husk's arm64 machine to the
 * guest (Devicetree Specification v0.4 §3 "Device node requirements";
 * Linux's bindings for arm,gic-v3, arm,armv8-timer, arm,psci, ns16550a,
 * virtio,mmio and qemu,pvpanic-mmio), built with libfdt from the same
 * firmware device list that feeds the x86 ACPI builder.
 *
 * Nodes: /memory, /cpus (enable-method "psci"), /psci (HVC), the GICv3,
 * the architected timer, then one node per device of the list (the UART,
 * which is also /chosen's stdout-path, pvpanic and each virtio-mmio
 * window), and /chosen with bootargs, the initrd range and an rng-seed.
 * Interrupts are SPIs (fw_device.irq: the SPI number, as irqfd takes it).
 */
#ifndef HUSK_FDT_ARM64_H
#define HUSK_FDT_ARM64_H

#include <glib.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "firmware/fw_device.h"

#define FDT_ARM64_MAX_CPUS 512
#define FDT_ARM64_RNG_SEED 32 /* bytes of /chosen/rng-seed */

struct fdt_arm64_config {
    uint64_t ram_base, ram_size;
    unsigned nr_cpus;
    const uint64_t *mpidr; /* each vCPU's MPIDR_EL1 (its affinity: reg) */
    uint64_t gicd_base, gicd_size; /* the GICv3 distributor */
    uint64_t gicr_base, gicr_size; /* its redistributors, one region */
    const struct fw_device *devs;
    unsigned nr_devs;
    const char *bootargs;               /* may be NULL */
    uint64_t initrd_start, initrd_size; /* size 0: none */
    const uint8_t *rng_seed;            /* FDT_ARM64_RNG_SEED bytes, or NULL */
};

/* Writes the blob into buf (at most size bytes, IMAGE_ARM64_DTB_MAX for
 * a kernel); *len is its length.  Errors are HUSK_EXIT_USAGE (it does
 * not fit: a command line too long) or HUSK_EXIT_SOFTWARE. */
bool fdt_arm64_build(const struct fdt_arm64_config *c,
                     void *buf,
                     size_t size,
                     size_t *len,
                     GError **errp);

/* The node name of the UART at base ("serial@9000000"), for tests. */
void fdt_arm64_uart_path(uint64_t base, char *out, size_t outlen);

#endif
