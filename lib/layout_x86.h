/*
 * layout_x86.h: the one table of guest-physical addresses, I/O ports and
 * GSIs that husk's x86 machine uses.  Firmware builders, devices and vm.c
 * all read it from here.
 */
#ifndef HUSK_LAYOUT_X86_H
#define HUSK_LAYOUT_X86_H

/* Low memory: boot structures below 1 MiB. */
#define LAYOUT_GDT 0x500ULL             /* boot GDT (6 entries) */
#define LAYOUT_PVH_INFO 0x6000ULL       /* hvm_start_info + modlist + memmap */
#define LAYOUT_ZERO_PAGE 0x7000ULL      /* struct boot_params */
#define LAYOUT_PML4 0x9000ULL           /* identity page tables: PML4, */
#define LAYOUT_PDPT 0xa000ULL           /* one PDPT, */
#define LAYOUT_PD 0xb000ULL             /* four PDs of 2 MiB pages (4 GiB) */
#define LAYOUT_CMDLINE 0x20000ULL       /* kernel command line */
#define LAYOUT_CMDLINE_MAX 4096U        /* including the NUL */
#define LAYOUT_EBDA_START 0x9fc00ULL    /* RAM below this is usable */
#define LAYOUT_ACPI_START 0xe0000ULL    /* RSDP and every ACPI table */
#define LAYOUT_ACPI_SIZE 0x1f000ULL     /* below the reset vector page */
#define LAYOUT_FIRMWARE_END 0x100000ULL /* 0xe0000-1 MiB: reserved in e820 */
#define LAYOUT_RESET_VECTOR 0xffff0ULL  /* F000:FFF0, a reset stub */
#define LAYOUT_HIMEM 0x100000ULL        /* kernel load address */

/* The 32-bit MMIO hole: RAM stops at 3 GiB and resumes at 4 GiB. */
#define LAYOUT_MMIO_HOLE 0xc0000000ULL
#define LAYOUT_BOOT_TIMER_MMIO 0xc0000000ULL /* Firecracker's boot timer */
#define LAYOUT_HIGH_RAM 0x100000000ULL
#define LAYOUT_VIRTIO_MMIO_BASE 0xd0000000ULL /* 4 KiB per device */
#define LAYOUT_VIRTIO_MMIO_SIZE 0x1000ULL
#define LAYOUT_IOAPIC 0xfec00000ULL
#define LAYOUT_LAPIC 0xfee00000ULL

/* I/O ports. */
#define LAYOUT_PORT_POST 0x80      /* debug/POST codes (boot markers) */
#define LAYOUT_PORT_CMOS 0x70      /* absent: index 0x70, data 0x71 */
#define LAYOUT_PORT_PCI_CONF 0xcf8 /* absent: PCI conf1 0xcf8-0xcff */
#define LAYOUT_PORT_I8042 0x60     /* 0x60 data, 0x64 command */
#define LAYOUT_PORT_EXIT 0xf4      /* exit-status port (isa-debug-exit) */
#define LAYOUT_PORT_COM1 0x3f8
#define LAYOUT_PORT_BOOT_TIMER 0x3f0 /* Firecracker's boot timer port */
#define LAYOUT_PORT_PVPANIC 0x505
#define LAYOUT_PORT_ACPI_PM 0x600 /* sleep control, sleep status, reset */
#define LAYOUT_ACPI_SLEEP_CTL (LAYOUT_PORT_ACPI_PM + 0)
#define LAYOUT_ACPI_SLEEP_STS (LAYOUT_PORT_ACPI_PM + 1)
#define LAYOUT_ACPI_RESET (LAYOUT_PORT_ACPI_PM + 2)
#define LAYOUT_ACPI_RESET_VALUE 0x0e
#define LAYOUT_ACPI_S5_TYPE 5 /* SLP_TYP for S5 in \_S5 */

/* Interrupts (IOAPIC pins = GSIs). */
#define LAYOUT_GSI_COM1 4
#define LAYOUT_GSI_SCI 9
#define LAYOUT_GSI_VIRTIO_FIRST 5  /* then 6, 7, 8, 10, 11... skipping SCI */
#define LAYOUT_GSI_POWER_BUTTON 23 /* the GED's: the last IOAPIC pin */
#define LAYOUT_IOAPIC_PINS 24

#endif
