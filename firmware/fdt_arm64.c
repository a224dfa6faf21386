/*
 * fdt_arm64.c: the arm64 machine's device tree (fdt_arm64.h), written
 * with libfdt's sequential-write functions.
 */
#define G_LOG_DOMAIN "husk"
#include "firmware/fdt_arm64.h"

#include <inttypes.h>
#include <libfdt.h>
#include <stdio.h>
#include <string.h>

#include "lib/error.h"

#define GIC_PHANDLE 1

/* Interrupt specifiers of the arm,gic-v3 binding: type, number, flags. */
#define GIC_SPI 0
#define GIC_PPI 1
#define IRQ_EDGE_RISING 1
#define IRQ_LEVEL_HIGH 4

/* The architected timer's PPIs (INTIDs 16 + n): secure and non-secure
 * physical, virtual, hypervisor, as the arm,armv8-timer binding orders
 * them. */
static const uint32_t timer_ppis[] = {13, 14, 11, 10};

struct fdt_writer {
    void *fdt;
    int err;
};

/* Each step is skipped once one failed; the first error is kept. */
static void w_check(struct fdt_writer *w, int r)
{
    if (r < 0 && !w->err) {
        w->err = r;
    }
}

static void w_begin(struct fdt_writer *w, const char *name)
{
    if (!w->err) {
        w_check(w, fdt_begin_node(w->fdt, name));
    }
}

static void w_end(struct fdt_writer *w)
{
    if (!w->err) {
        w_check(w, fdt_end_node(w->fdt));
    }
}

static void w_prop(struct fdt_writer *w,
                   const char *name,
                   const void *v,
                   int len)
{
    if (!w->err) {
        w_check(w, fdt_property(w->fdt, name, v, len));
    }
}

static void w_u32(struct fdt_writer *w, const char *name, uint32_t v)
{
    if (!w->err) {
        w_check(w, fdt_property_u32(w->fdt, name, v));
    }
}

static void w_u64(struct fdt_writer *w, const char *name, uint64_t v)
{
    if (!w->err) {
        w_check(w, fdt_property_u64(w->fdt, name, v));
    }
}

static void w_str(struct fdt_writer *w, const char *name, const char *s)
{
    if (!w->err) {
        w_check(w, fdt_property_string(w->fdt, name, s));
    }
}

/* A property of big-endian cells. */
static void w_cells(struct fdt_writer *w,
                    const char *name,
                    const uint32_t *cells,
                    unsigned n)
{
    fdt32_t be[16];

    g_assert(n <= G_N_ELEMENTS(be));
    for (unsigned i = 0; i < n; i++) {
        be[i] = cpu_to_fdt32(cells[i]);
    }
    w_prop(w, name, be, (int)(n * sizeof(be[0])));
}

/* reg = <base size> with #address-cells = #size-cells = 2. */
static void w_reg(struct fdt_writer *w, uint64_t base, uint64_t size)
{
    uint32_t c[4] = {(uint32_t)(base >> 32), (uint32_t)base,
                     (uint32_t)(size >> 32), (uint32_t)size};

    w_cells(w, "reg", c, 4);
}

static void w_spi(struct fdt_writer *w, uint32_t spi, bool level)
{
    uint32_t c[3] = {GIC_SPI, spi, level ? IRQ_LEVEL_HIGH : IRQ_EDGE_RISING};

    w_cells(w, "interrupts", c, 3);
}

void fdt_arm64_uart_path(uint64_t base, char *out, size_t outlen)
{
    g_snprintf(out, outlen, "/serial@%" PRIx64, base);
}

static void write_cpus(struct fdt_writer *w, const struct fdt_arm64_config *c)
{
    w_begin(w, "cpus");
    w_u32(w, "#address-cells", 2);
    w_u32(w, "#size-cells", 0);
    for (unsigned i = 0; i < c->nr_cpus; i++) {
        char name[32];
        /* reg: the affinity fields of MPIDR_EL1 (Aff3 in the high cell,
         * Aff2-Aff0 in the low one), nothing else. */
        uint64_t aff = c->mpidr[i] & 0xff00ffffffULL;
        uint32_t reg[2] = {(uint32_t)(aff >> 32), (uint32_t)aff};

        g_snprintf(name, sizeof(name), "cpu@%" PRIx64, aff);
        w_begin(w, name);
        w_str(w, "device_type", "cpu");
        w_str(w, "compatible", "arm,arm-v8");
        w_str(w, "enable-method", "psci");
        w_cells(w, "reg", reg, 2);
        w_end(w);
    }
    w_end(w);
}

static void write_gic_timer_psci(struct fdt_writer *w,
                                 const struct fdt_arm64_config *c)
{
    static const char psci_compat[] = "arm,psci-1.0\0arm,psci-0.2";
    char name[40];
    uint32_t reg[8] = {
        (uint32_t)(c->gicd_base >> 32), (uint32_t)c->gicd_base,
        (uint32_t)(c->gicd_size >> 32), (uint32_t)c->gicd_size,
        (uint32_t)(c->gicr_base >> 32), (uint32_t)c->gicr_base,
        (uint32_t)(c->gicr_size >> 32), (uint32_t)c->gicr_size,
    };
    uint32_t irqs[3 * G_N_ELEMENTS(timer_ppis)];

    w_begin(w, "psci");
    w_prop(w, "compatible", psci_compat, sizeof(psci_compat));
    w_str(w, "method", "hvc"); /* KVM answers PSCI calls on HVC */
    w_end(w);

    g_snprintf(name, sizeof(name), "intc@%" PRIx64, c->gicd_base);
    w_begin(w, name);
    w_str(w, "compatible", "arm,gic-v3");
    w_u32(w, "#interrupt-cells", 3);
    w_u32(w, "#address-cells", 0); /* no interrupt-map children */
    w_prop(w, "interrupt-controller", NULL, 0);
    w_u32(w, "#redistributor-regions", 1);
    w_cells(w, "reg", reg, 8);
    w_u32(w, "phandle", GIC_PHANDLE);
    w_end(w);

    for (unsigned i = 0; i < G_N_ELEMENTS(timer_ppis); i++) {
        irqs[3 * i] = GIC_PPI;
        irqs[3 * i + 1] = timer_ppis[i];
        irqs[3 * i + 2] = IRQ_LEVEL_HIGH;
    }
    w_begin(w, "timer");
    w_str(w, "compatible", "arm,armv8-timer");
    w_cells(w, "interrupts", irqs, G_N_ELEMENTS(irqs));
    w_prop(w, "always-on", NULL, 0);
    w_end(w);
}

static void write_device(struct fdt_writer *w, const struct fw_device *d)
{
    char name[48];

    switch (d->kind) {
    case FW_DEV_SERIAL:
        /* A 16550 with byte-wide registers, 1.8432 MHz like a PC's. */
        g_snprintf(name, sizeof(name), "serial@%" PRIx64, d->base);
        w_begin(w, name);
        w_str(w, "compatible", "ns16550a");
        w_reg(w, d->base, d->len);
        w_spi(w, d->irq, true);
        w_u32(w, "clock-frequency", 1843200);
        w_end(w);
        break;
    case FW_DEV_PVPANIC:
        g_snprintf(name, sizeof(name), "pvpanic@%" PRIx64, d->base);
        w_begin(w, name);
        w_str(w, "compatible", "qemu,pvpanic-mmio");
        w_reg(w, d->base, d->len);
        w_end(w);
        break;
    case FW_DEV_VIRTIO_MMIO:
        g_snprintf(name, sizeof(name), "virtio_mmio@%" PRIx64, d->base);
        w_begin(w, name);
        w_str(w, "compatible", "virtio,mmio");
        w_reg(w, d->base, d->len);
        w_spi(w, d->irq, d->level);
        w_prop(w, "dma-coherent", NULL, 0);
        w_end(w);
        break;
    case FW_DEV_POWER_BUTTON:
        break; /* ACPI's (x86) */
    }
}

static void write_chosen(struct fdt_writer *w, const struct fdt_arm64_config *c)
{
    char path[48];

    w_begin(w, "chosen");
    if (c->bootargs) {
        w_str(w, "bootargs", c->bootargs);
    }
    for (unsigned i = 0; i < c->nr_devs; i++) {
        if (c->devs[i].kind == FW_DEV_SERIAL) {
            fdt_arm64_uart_path(c->devs[i].base, path, sizeof(path));
            w_str(w, "stdout-path", path);
            break;
        }
    }
    if (c->initrd_size) {
        w_u64(w, "linux,initrd-start", c->initrd_start);
        w_u64(w, "linux,initrd-end", c->initrd_start + c->initrd_size);
    }
    /* Entropy for the guest's RNG before any device is up (the kernel
     * wipes the property once read). */
    if (c->rng_seed) {
        w_prop(w, "rng-seed", c->rng_seed, FDT_ARM64_RNG_SEED);
    }
    w_end(w);
}

bool fdt_arm64_build(const struct fdt_arm64_config *c,
                     void *buf,
                     size_t size,
                     size_t *len,
                     GError **errp)
{
    struct fdt_writer w = {buf, 0};
    char name[40];

    if (c->nr_cpus < 1 || c->nr_cpus > FDT_ARM64_MAX_CPUS || size > INT32_MAX) {
        g_set_error(errp, HUSK_ERROR, HUSK_EXIT_SOFTWARE,
                    "device tree: %u CPUs or a %zu-byte buffer", c->nr_cpus,
                    size);
        return false;
    }
    w_check(&w, fdt_create(buf, (int)size));
    if (!w.err) {
        w_check(&w, fdt_finish_reservemap(buf));
    }
    w_begin(&w, "");
    w_str(&w, "compatible", "linux,dummy-virt");
    w_u32(&w, "#address-cells", 2);
    w_u32(&w, "#size-cells", 2);
    w_u32(&w, "interrupt-parent", GIC_PHANDLE);

    g_snprintf(name, sizeof(name), "memory@%" PRIx64, c->ram_base);
    w_begin(&w, name);
    w_str(&w, "device_type", "memory");
    w_reg(&w, c->ram_base, c->ram_size);
    w_end(&w);

    write_cpus(&w, c);
    write_gic_timer_psci(&w, c);
    for (unsigned i = 0; i < c->nr_devs; i++) {
        write_device(&w, &c->devs[i]);
    }
    write_chosen(&w, c);
    w_end(&w);
    if (!w.err) {
        w_check(&w, fdt_finish(buf));
    }
    if (w.err) {
        g_set_error(
            errp, HUSK_ERROR,
            w.err == -FDT_ERR_NOSPACE ? HUSK_EXIT_USAGE : HUSK_EXIT_SOFTWARE,
            "device tree: %s%s", fdt_strerror(w.err),
            w.err == -FDT_ERR_NOSPACE ? " (the command line is too long?)"
                                      : "");
        return false;
    }
    *len = fdt_totalsize(buf);
    return true;
}
