/*
 * vm_arm64.c: husk's arm64 machine (vm_arch.h): the in-kernel GICv3 and
 * architected timer, RAM from 1 GiB, every device on MMIO (a 16550 UART
 * as the console, husk's system device page, pvpanic-mmio, the
 * virtio-mmio windows), PSCI for CPU power and system off/reset, and an
 * Image booted with a device tree built from the firmware device list
 * (firmware/fdt_arm64.c).  Addresses and SPIs: lib/layout_arm64.h.
 */
#define G_LOG_DOMAIN "husk"
#include <errno.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/random.h>
#include <unistd.h>

#include "devices/sysctl_arm64.h"
#include "firmware/fdt_arm64.h"
#include "firmware/kernel_arm64.h"
#include "lib/error.h"
#include "lib/layout_arm64.h"
#include "lib/util.h"
#include "vmm/cpu_arm64.h"
#include "vmm/vm.h"

/* The UART's registers: eight bytes, byte-wide (reg-shift 0). */
#define UART_REGS 8

/* RAM's end as guest-physical bits: what the VM's IPA size must hold. */
static unsigned ipa_bits_for(uint64_t end)
{
    unsigned bits = 32;

    while (bits < 64 && (1ULL << bits) < end) {
        bits++;
    }
    return bits;
}

unsigned long vm_arch_vm_type(const struct vm *vm)
{
    unsigned need = ipa_bits_for(LAYOUT_RAM_BASE + vm->cfg.mem);

    /* 0 is the default 40 bits; ask for more only when RAM needs it
     * (vm_arch_ram_plan has refused what the host cannot give). */
    return need > 40 ? KVM_VM_TYPE_ARM_IPA_SIZE(need) : 0;
}

static int gic_attr(int fd, uint32_t group, uint64_t attr, void *val)
{
    struct kvm_device_attr a = {
        .group = group, .attr = attr, .addr = (uintptr_t)val};

    return ioctl(fd, KVM_SET_DEVICE_ATTR, &a) < 0 ? -errno : 0;
}

bool vm_arch_init(struct vm *vm, GError **errp)
{
    struct kvm_create_device dev = {.type = KVM_DEV_TYPE_ARM_VGIC_V3};
    uint64_t dist = LAYOUT_GICD, redist = LAYOUT_GICR;
    uint32_t nr_irqs = 32 + LAYOUT_NR_SPIS;
    int r;

    if (vm->nr_vcpus > (LAYOUT_GICR_END - LAYOUT_GICR) / LAYOUT_GICR_STRIDE) {
        g_set_error(errp, HUSK_ERROR, HUSK_EXIT_USAGE,
                    "--cpus %u: husk's arm64 machine has room for %llu "
                    "vCPUs",
                    vm->nr_vcpus,
                    (LAYOUT_GICR_END - LAYOUT_GICR) / LAYOUT_GICR_STRIDE);
        return false;
    }
    if (ioctl(vm->fd, KVM_ARM_PREFERRED_TARGET, &vm->arch.target) < 0) {
        g_set_error(errp, HUSK_ERROR, HUSK_EXIT_UNAVAILABLE,
                    "KVM_ARM_PREFERRED_TARGET failed: %s", g_strerror(errno));
        return false;
    }
    if (ioctl(vm->fd, KVM_CREATE_DEVICE, &dev) < 0) {
        g_set_error(errp, HUSK_ERROR, HUSK_EXIT_UNAVAILABLE,
                    "KVM on this host cannot emulate a GICv3 (%s); husk's "
                    "arm64 machine needs one",
                    g_strerror(errno));
        return false;
    }
    vm->arch.gic_fd = (int)dev.fd;
    vm->arch.gic_open = true;
    r = gic_attr(vm->arch.gic_fd, KVM_DEV_ARM_VGIC_GRP_ADDR,
                 KVM_VGIC_V3_ADDR_TYPE_DIST, &dist);
    r = r
            ?: gic_attr(vm->arch.gic_fd, KVM_DEV_ARM_VGIC_GRP_ADDR,
                        KVM_VGIC_V3_ADDR_TYPE_REDIST, &redist);
    r = r
            ?: gic_attr(vm->arch.gic_fd, KVM_DEV_ARM_VGIC_GRP_NR_IRQS, 0,
                        &nr_irqs);
    if (r) {
        g_set_error(errp, HUSK_ERROR, HUSK_EXIT_UNAVAILABLE,
                    "cannot place the GICv3: %s", g_strerror(-r));
        return false;
    }
    return true;
}

bool vm_arch_ram_plan(uint64_t mem, struct vm_ram_plan *p, GError **errp)
{
    p->n = 1;
    p->gpa[0] = LAYOUT_RAM_BASE;
    p->size[0] = mem;
    if (mem < 64 * MiB) {
        g_set_error(errp, HUSK_ERROR, HUSK_EXIT_USAGE,
                    "--memory: husk's arm64 machine needs at least 64 MiB");
        return false;
    }
    return true;
}

bool vm_arch_kernel_release(const uint8_t *img,
                            size_t len,
                            char *out,
                            size_t outlen)
{
    return false; /* no such header field; the banner names it */
}

bool vm_arch_check_kernel(struct vm *vm, GError **errp)
{
    struct image_arm64_info info;

    return image_arm64_parse(vm->kernel_img, vm->kernel_len, &info, errp);
}

bool vm_arch_create_platform(struct vm *vm, GError **errp)
{
    sysctl_init(&vm->arch.sysctl, &vm->ctl);
    /* Debian's arm64 kernels have no pvpanic driver: a panic is known
     * from its last console line instead. */
    console_watch_panic(&vm->console);
    kvm_irq_init(&vm->irq_com1, vm->fd, LAYOUT_SPI_UART);
    serial8250_init(&vm->com1, &vm->irq_com1.line, console_uart_tx,
                    &vm->console);
    if (!vm_add_device(vm, &vm->mmio, "uart", LAYOUT_UART, UART_REGS,
                       &serial8250_ops, &vm->com1, errp) ||
        !vm_add_device(vm, &vm->mmio, "sysctl", LAYOUT_SYSCTL,
                       LAYOUT_SYSCTL_SIZE, &sysctl_arm64_ops, &vm->arch.sysctl,
                       errp) ||
        !vm_add_device(vm, &vm->mmio, "pvpanic", LAYOUT_PVPANIC,
                       LAYOUT_PVPANIC_SIZE, &sysctl_pvpanic_ops,
                       &vm->arch.sysctl, errp)) {
        return false;
    }
    vm_add_fw_device(vm, (struct fw_device){FW_DEV_SERIAL, LAYOUT_UART,
                                            UART_REGS, LAYOUT_SPI_UART, true});
    vm_add_fw_device(vm, (struct fw_device){FW_DEV_PVPANIC, LAYOUT_PVPANIC,
                                            LAYOUT_PVPANIC_SIZE, 0, false});
    return true;
}

bool vm_powerdown(struct vm *vm)
{
    return false; /* no power button on this machine (yet) */
}

bool vm_arch_virtio_place(struct vm *vm,
                          unsigned index,
                          uint64_t *base,
                          unsigned *gsi,
                          GError **errp)
{
    if (LAYOUT_SPI_VIRTIO_FIRST + index >= LAYOUT_NR_SPIS) {
        g_set_error(errp, HUSK_ERROR, HUSK_EXIT_USAGE,
                    "out of interrupt lines for virtio devices");
        return false;
    }
    *base = LAYOUT_VIRTIO_MMIO_BASE + index * LAYOUT_VIRTIO_MMIO_SIZE;
    *gsi = LAYOUT_SPI_VIRTIO_FIRST + index;
    return true;
}

uint32_t vm_arch_irq_line(unsigned gsi)
{
    /* KVM API §4.25 KVM_IRQ_LINE on arm64: type, vCPU (0 for an SPI),
     * INTID. */
    return (uint32_t)KVM_ARM_IRQ_TYPE_SPI << KVM_ARM_IRQ_TYPE_SHIFT |
           (32 + gsi);
}

bool vm_arch_load_guest(struct vm *vm, const char *cmdline, GError **errp)
{
    struct kernel_arm64_args a = {
        vm->kernel_img, vm->kernel_len,  vm->initrd_img,
        vm->initrd_len, LAYOUT_RAM_BASE, vm->ram_low_size,
    };

    if (!kernel_arm64_load(&vm->gm, &a, &vm->arch.boot, errp)) {
        g_prefix_error(errp, "%s: ", vm->cfg.kernel);
        return false;
    }
    g_free(vm->arch.cmdline);
    vm->arch.cmdline = g_strdup(cmdline);
    return true;
}

bool vm_arch_vcpu_init(struct vm *vm, struct vcpu *v, GError **errp)
{
    return cpu_arm64_init(v->fd, &vm->arch.target, v->id, errp);
}

/* The device tree, now that each vCPU's MPIDR can be read. */
static bool write_dtb(struct vm *vm, GError **errp)
{
    g_autofree uint64_t *mpidr = g_new0(uint64_t, vm->nr_vcpus);
    uint8_t seed[FDT_ARM64_RNG_SEED];
    struct fdt_arm64_config c = {
        .ram_base = LAYOUT_RAM_BASE,
        .ram_size = vm->ram_low_size,
        .nr_cpus = vm->nr_vcpus,
        .mpidr = mpidr,
        .gicd_base = LAYOUT_GICD,
        .gicd_size = LAYOUT_GICD_SIZE,
        .gicr_base = LAYOUT_GICR,
        .gicr_size = vm->nr_vcpus * LAYOUT_GICR_STRIDE,
        .devs = vm->fw_devs,
        .nr_devs = vm->nr_fw_devs,
        .bootargs = vm->arch.cmdline,
        .initrd_start = vm->arch.boot.initrd_start,
        .initrd_size = vm->arch.boot.initrd_size,
    };
    uint8_t *dtb = gm_ptr(&vm->gm, vm->arch.boot.dtb, IMAGE_ARM64_DTB_MAX);
    size_t len;

    for (unsigned i = 0; i < vm->nr_vcpus; i++) {
        int r = cpu_arm64_mpidr(vm->vcpus[i].fd, &mpidr[i]);

        if (r) {
            g_set_error(errp, HUSK_ERROR, HUSK_EXIT_OSERR,
                        "vCPU %u: cannot read MPIDR_EL1: %s", i,
                        g_strerror(-r));
            return false;
        }
    }
    if (getrandom(seed, sizeof(seed), GRND_NONBLOCK) == (ssize_t)sizeof(seed)) {
        c.rng_seed = seed;
    }
    if (!dtb) {
        g_set_error(errp, HUSK_ERROR, HUSK_EXIT_SOFTWARE,
                    "the device tree's block is outside guest memory");
        return false;
    }
    return fdt_arm64_build(&c, dtb, IMAGE_ARM64_DTB_MAX, &len, errp);
}

bool vm_arch_vcpus_created(struct vm *vm, GError **errp)
{
    /* The GIC's redistributors exist per vCPU: it is initialised once
     * all vCPUs are created, before any runs. */
    int r = gic_attr(vm->arch.gic_fd, KVM_DEV_ARM_VGIC_GRP_CTRL,
                     KVM_DEV_ARM_VGIC_CTRL_INIT, NULL);

    if (r) {
        g_set_error(errp, HUSK_ERROR, HUSK_EXIT_UNAVAILABLE,
                    "cannot initialise the GICv3: %s", g_strerror(-r));
        return false;
    }
    return vm->cfg.restore || write_dtb(vm, errp);
}

bool vm_arch_set_entry(struct vm *vm, GError **errp)
{
    return cpu_arm64_set_entry(vm->vcpus[0].fd, vm->arch.boot.entry,
                               vm->arch.boot.dtb, errp);
}

const char *vm_arch_snapshot_unsupported(const struct vm *vm)
{
    return "arm64 (snapshots are x86_64-only so far)";
}

void vm_arch_vcpu_report_stop(struct vcpu *v)
{
    uint64_t pc;

    if (cpu_arm64_pc(v->fd, &pc) == 0) {
        g_debug("vCPU %u stopped at pc=0x%llx", v->id, (unsigned long long)pc);
    }
}

void vm_arch_destroy(struct vm *vm)
{
    if (vm->arch.gic_open) {
        close(vm->arch.gic_fd);
    }
    g_free(vm->arch.cmdline);
}
