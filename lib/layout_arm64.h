/*
 * layout_arm64.h: the one table of guest-physical addresses and
 * interrupt numbers of husk's arm64 machine.  vm_arm64.c places every
 * device from here, the device tree (firmware/fdt_arm64.c) is built from
 * what was placed, and the guest tools that poke husk's own devices
 * (guest-images/initramfs/husk-io_arm64.c) read it too.
 *
 * Everything is on MMIO below 1 GiB, RAM from 1 GiB up (as on QEMU's
 * virt machine, whose layout kernels and tools know).
 */
#ifndef HUSK_LAYOUT_ARM64_H
#define HUSK_LAYOUT_ARM64_H

/* The GICv3: distributor, then one 128 KiB redistributor (RD_base and
 * SGI_base frames) per vCPU, up to the UART. */
#define LAYOUT_GICD 0x08000000ULL
#define LAYOUT_GICD_SIZE 0x10000ULL
#define LAYOUT_GICR 0x080a0000ULL
#define LAYOUT_GICR_STRIDE 0x20000ULL
#define LAYOUT_GICR_END 0x09000000ULL /* room for 123 vCPUs */

#define LAYOUT_UART 0x09000000ULL /* 16550, byte-wide registers */
#define LAYOUT_UART_SIZE 0x1000ULL
/* husk's system device (devices/sysctl_arm64.h): exit status, debug
 * marker, Firecracker's boot timer. */
#define LAYOUT_SYSCTL 0x09010000ULL
#define LAYOUT_SYSCTL_SIZE 0x1000ULL
#define LAYOUT_PVPANIC 0x09020000ULL /* qemu,pvpanic-mmio */
#define LAYOUT_PVPANIC_SIZE 2ULL

#define LAYOUT_VIRTIO_MMIO_BASE 0x0a000000ULL /* 4 KiB per device */
#define LAYOUT_VIRTIO_MMIO_SIZE 0x1000ULL

#define LAYOUT_RAM_BASE 0x40000000ULL

/* SPIs (INTID 32 + n; n is what irqfd and the device tree take). */
#define LAYOUT_SPI_UART 1
#define LAYOUT_SPI_VIRTIO_FIRST 16
#define LAYOUT_NR_SPIS 96 /* the GIC's lines: 32 + 96 = 128 INTIDs */

#endif
