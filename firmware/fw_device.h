/*
 * fw_device.h: how a device describes itself to firmware.  vm.c keeps one
 * list of these; the ACPI DSDT, the optional virtio_mmio.device= command
 * line entries and (later) the FDT are all generated from it.
 */
#ifndef HUSK_FW_DEVICE_H
#define HUSK_FW_DEVICE_H

#include <stdbool.h>
#include <stdint.h>

enum fw_dev_kind {
    FW_DEV_SERIAL,       /* 16550 UART: I/O ports + ISA IRQ */
    FW_DEV_PVPANIC,      /* QEMU pvpanic: one I/O port */
    FW_DEV_VIRTIO_MMIO,  /* virtio-mmio transport: MMIO window + GSI */
    FW_DEV_POWER_BUTTON, /* ACPI power button behind a GED: a GSI */
};

struct fw_device {
    enum fw_dev_kind kind;
    uint64_t base; /* port or physical address */
    uint64_t len;
    uint32_t irq; /* ISA IRQ or GSI; unused for pvpanic */
    bool level;   /* level-triggered (virtio-mmio) */
};

#endif
