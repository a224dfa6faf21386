/*
 * e820_x86.h: the BIOS memory map handed to the guest (Linux boot protocol
 * boot_params.e820_table, and PVH's hvm_memmap_table in the same form).
 */
#ifndef HUSK_E820_X86_H
#define HUSK_E820_X86_H

#include <stdint.h>

#define E820_RAM 1
#define E820_RESERVED 2
#define E820_ACPI 3

#define E820_MAX 32

struct e820_entry {
    uint64_t addr;
    uint64_t size;
    uint32_t type;
};

struct e820_map {
    struct e820_entry e[E820_MAX];
    unsigned nr;
};

/* Appends an entry: 0, -EINVAL for size 0 or wrap, -ENOSPC when full. */
int e820_add(struct e820_map *m, uint64_t addr, uint64_t size, uint32_t type);

/*
 * The guest's map for RAM of ram_size bytes split at the 32-bit hole:
 * conventional memory, the reserved firmware area holding ACPI tables, low
 * RAM from 1 MiB and high RAM from 4 GiB.
 */
int e820_build(struct e820_map *m, uint64_t low_ram, uint64_t high_ram);

#endif
