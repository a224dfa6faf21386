/*
 * sysctl_x86.c: ACPI sleep/reset registers (ACPI 6.5 §4.8.3.7 "Sleep
 * Control and Status Registers", §4.8.3.6 "Reset Register"), i8042 reset
 * (8042 command 0xfe) and the absent PC ranges.  See sysctl_x86.h; the
 * exit port, pvpanic, POST port and boot timer are shared (sysctl.c).
 */
#include "devices/sysctl_x86.h"

#include <string.h>

#include "lib/layout_x86.h"

#define SLP_EN 0x20
#define SLP_TYP(v) (((v) >> 2) & 0x7)
#define I8042_CMD_RESET 0xfe

void sysctl_x86_init(struct sysctl_x86 *s, struct vm_ctl *ctl)
{
    memset(s, 0, sizeof(*s));
    sysctl_init(&s->common, ctl);
}

static uint64_t pm_read(void *opaque, uint64_t off, unsigned size)
{
    struct sysctl_x86 *s = opaque;

    return off == LAYOUT_ACPI_SLEEP_STS - LAYOUT_PORT_ACPI_PM ? s->sleep_status
                                                              : 0;
}

static void pm_write(void *opaque, uint64_t off, uint64_t val, unsigned size)
{
    struct sysctl_x86 *s = opaque;

    switch (off + LAYOUT_PORT_ACPI_PM) {
    case LAYOUT_ACPI_SLEEP_CTL:
        /* Only S5 is offered (\_S5 in the DSDT); other states are
         * ignored, so a guest that tries S3 simply keeps running. */
        if ((val & SLP_EN) && SLP_TYP(val) == LAYOUT_ACPI_S5_TYPE) {
            s->common.ctl->request_exit(s->common.ctl, VM_EXIT_POWEROFF, 0);
        }
        break;
    case LAYOUT_ACPI_SLEEP_STS:
        s->sleep_status &= ~(uint8_t)val; /* write-1-to-clear */
        break;
    case LAYOUT_ACPI_RESET:
        if ((val & 0xff) == LAYOUT_ACPI_RESET_VALUE) {
            s->common.ctl->request_exit(s->common.ctl, VM_EXIT_RESET, 0);
        }
        break;
    }
}

const struct bus_ops sysctl_acpi_pm_ops = {
    .read = pm_read,
    .write = pm_write,
};

static uint64_t read_zero(void *opaque, uint64_t off, unsigned size)
{
    return 0;
}

static void i8042_write(void *opaque, uint64_t off, uint64_t val, unsigned size)
{
    struct sysctl_x86 *s = opaque;

    /* off 4 is the command port 0x64; status reads 0 (buffers empty). */
    if (off == 4 && (val & 0xff) == I8042_CMD_RESET) {
        s->common.ctl->request_exit(s->common.ctl, VM_EXIT_RESET, 0);
    }
}

const struct bus_ops sysctl_i8042_ops = {
    .read = read_zero,
    .write = i8042_write,
};

static uint64_t absent_read(void *opaque, uint64_t off, unsigned size)
{
    /* An ISA/PCI read nobody answers floats high. */
    return ~0ULL;
}

static void absent_write(void *opaque,
                         uint64_t off,
                         uint64_t val,
                         unsigned size)
{
}

const struct bus_ops sysctl_absent_ops = {
    .read = absent_read,
    .write = absent_write,
};

static void pci_conf_write(void *opaque,
                           uint64_t off,
                           uint64_t val,
                           unsigned size)
{
    struct sysctl_x86 *s = opaque;

    /* 0xcf9 is the PC's reset control register even with no PCI behind
     * 0xcf8/0xcfc: bit 2 (RST_CPU) resets (Linux reboot=pci / cf9_force). */
    if (off == 1 && size == 1 && (val & 0x04)) {
        s->common.ctl->request_exit(s->common.ctl, VM_EXIT_RESET, 0);
    }
}

const struct bus_ops sysctl_pci_conf_ops = {
    .read = absent_read,
    .write = pci_conf_write,
};
