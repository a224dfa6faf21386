/*
 * fuzz_boot.c: libFuzzer target for the kernel loaders (bzImage setup
 * header and its release string, PVH ELF program headers and notes) and
 * the ACPI table builder:
 * the input is taken as a kernel image and loaded into a 16 MiB guest
 * memory with a command line and initrd sized from the input; its first
 * bytes and tail also describe the CPUs and devices the tables list.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "firmware/acpi_x86.h"
#include "firmware/kernel_x86.h"
#include "lib/layout_x86.h"
#include "harness/test_vm.h"
#include "lib/util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct test_mem tm;
    static bool init;
    struct kernel_load_args a = {0};
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
        g_clear_error(&err);
    }
    {
        /* husk exec reads the release from the same header. */
        char rel[128];

        if (bzimage_release(data, size, rel, 1 + (size ? data[0] % 128 : 0))) {
            if (strlen(rel) >= 128) {
                abort();
            }
        }
    }
    if (size >= 2) {
        /* The table builders: up to 32 devices of any kind, address,
         * length, IRQ and trigger taken from the input's tail, and up to
         * 256 CPUs. */
        static uint8_t area[0x20000];
        struct fw_device devs[32];
        unsigned n = data[1] % 33;
        struct acpi_x86_config cfg = {1 + data[0], devs, 0};
        struct acpi_x86_tables t;
        const uint8_t *p = data + size;

        for (unsigned i = 0; i < n && p - data >= 8 + 2; i++) {
            p -= 8;
            devs[i] = (struct fw_device){
                .kind = (enum fw_dev_kind)(p[0] % 3),
                .base = (uint64_t)get_le32(p + 1) << (p[0] & 0x10 ? 12 : 0),
                .len = (uint64_t)(p[5] | p[6] << 8) + 1,
                .irq = p[7],
                .level = p[0] & 0x80,
            };
            cfg.nr_devs++;
        }
        if (!acpi_x86_build(&cfg, area, sizeof(area), LAYOUT_ACPI_START, &t,
                            &err)) {
            g_clear_error(&err);
        }
    }
    return 0;
}
