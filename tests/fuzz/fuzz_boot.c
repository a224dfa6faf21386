/*
 * fuzz_boot.c: libFuzzer target for the kernel loaders (bzImage setup
 * header, PVH ELF program headers and notes) and the ACPI builder: the
 * input is taken as a kernel image and loaded into a 16 MiB guest memory
 * with a command line and initrd sized from the input.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "firmware/acpi_x86.h"
#include "firmware/kernel_x86.h"
#include "firmware/layout_x86.h"
#include "harness/test_vm.h"
#include "vmm/util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct test_mem tm;
    static bool init;
    struct kernel_load_args a = { 0 };
    struct kernel_entry e;
    GError *err = NULL;
    char cmdline[300];
    size_t clen = size ? data[0] : 0;

    if (!init) {
        test_mem_init(&tm, 16 << 20, 0);
        init = true;
    }
    memset(cmdline, 'a', sizeof(cmdline));
    cmdline[MIN(clen, sizeof(cmdline) - 1)] = 0;
    a.kernel = data;
    a.kernel_len = size;
    a.initrd = data;
    a.initrd_len = size / 2;
    a.cmdline = cmdline;
    a.low_ram = 16 << 20;
    a.rsdp = LAYOUT_ACPI_START;
    if (!kernel_load(&tm.gm, &a, &e, &err)) {
        g_error_free(err);
    }
    if (size >= 2) {
        static uint8_t area[0x20000];
        struct fw_device dev = { FW_DEV_VIRTIO_MMIO, 0xd0000000, 0x1000,
                                 data[1] % 24, data[1] & 1 };
        struct acpi_x86_config cfg = { 1 + data[0] % 64, &dev, 1 };
        struct acpi_x86_tables t;

        if (!acpi_x86_build(&cfg, area, sizeof(area), LAYOUT_ACPI_START, &t,
                            &err)) {
            g_error_free(err);
        }
    }
    return 0;
}
