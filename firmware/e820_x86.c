/*
 * e820_x86.c: builds the guest memory map (ACPI 6.5 §15 "System Address Map
 * Interfaces", as reported by the BIOS INT 15h E820 call).
 */
#include "firmware/e820_x86.h"

#include <errno.h>
#include <string.h>

#include "lib/layout_x86.h"

int e820_add(struct e820_map *m, uint64_t addr, uint64_t size, uint32_t type)
{
    uint64_t end;

    if (size == 0 || __builtin_add_overflow(addr, size, &end)) {
        return -EINVAL;
    }
    if (m->nr >= E820_MAX) {
        return -ENOSPC;
    }
    m->e[m->nr++] = (struct e820_entry){addr, size, type};
    return 0;
}

int e820_build(struct e820_map *m, uint64_t low_ram, uint64_t high_ram)
{
    int ret;

    memset(m, 0, sizeof(*m));
    if (low_ram <= LAYOUT_HIMEM || low_ram > LAYOUT_MMIO_HOLE) {
        return -EINVAL;
    }
    ret = e820_add(m, 0, LAYOUT_EBDA_START, E820_RAM);
    if (!ret) {
        ret = e820_add(m, LAYOUT_ACPI_START,
                       LAYOUT_FIRMWARE_END - LAYOUT_ACPI_START, E820_RESERVED);
    }
    if (!ret) {
        ret = e820_add(m, LAYOUT_HIMEM, low_ram - LAYOUT_HIMEM, E820_RAM);
    }
    if (!ret && high_ram) {
        ret = e820_add(m, LAYOUT_HIGH_RAM, high_ram, E820_RAM);
    }
    return ret;
}
