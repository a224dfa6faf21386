/*
 * vm_x86.c: husk's x86 machine (vm_arch.h): the in-kernel IOAPIC, PIC
 * and PIT, RAM below the 32-bit MMIO hole and above 4 GiB, the platform
 * devices on I/O ports (COM1, exit port, ACPI PM, i8042, pvpanic,
 * absent-hardware ranges), ACPI tables generated from the firmware device
 * list, and a bzImage or PVH kernel (Linux x86 boot protocol, PVH boot
 * ABI).  Addresses, ports and GSIs: lib/layout_x86.h.
 */
#define G_LOG_DOMAIN "husk"
#include <errno.h>
#include <string.h>
#include <sys/ioctl.h>

#include "firmware/acpi_x86.h"
#include "firmware/kernel_x86.h"
#include "lib/error.h"
#include "lib/layout_x86.h"
#include "lib/util.h"
#include "vmm/cpu_x86.h"
#include "vmm/vm.h"

/* KVM wants these two pages for VMX real-mode emulation; in the hole. */
#define KVM_TSS_ADDR 0xfffbd000ULL
#define KVM_IDENTITY_MAP_ADDR 0xfffbc000ULL

unsigned long vm_arch_vm_type(const struct vm *vm)
{
    return 0;
}

bool vm_arch_init(struct vm *vm, GError **errp)
{
    /* Needed on Intel (VMX real mode), harmless elsewhere. */
    ioctl(vm->fd, KVM_SET_IDENTITY_MAP_ADDR,
          &(uint64_t){KVM_IDENTITY_MAP_ADDR});
    ioctl(vm->fd, KVM_SET_TSS_ADDR, (unsigned long)KVM_TSS_ADDR);
    if (ioctl(vm->fd, KVM_CREATE_IRQCHIP, 0) < 0) {
        g_set_error(errp, HUSK_ERROR, HUSK_EXIT_UNAVAILABLE,
                    "KVM_CREATE_IRQCHIP failed: %s", g_strerror(errno));
        return false;
    }
    return true;
}

bool vm_arch_ram_plan(uint64_t mem, struct vm_ram_plan *p, GError **errp)
{
    p->n = 1;
    p->gpa[0] = 0;
    p->size[0] = MIN(mem, LAYOUT_MMIO_HOLE);
    if (mem > p->size[0]) {
        p->n = 2;
        p->gpa[1] = LAYOUT_HIGH_RAM;
        p->size[1] = mem - p->size[0];
    }
    return true;
}

bool vm_arch_kernel_release(const uint8_t *img,
                            size_t len,
                            char *out,
                            size_t outlen)
{
    return bzimage_release(img, len, out, outlen);
}

bool vm_arch_check_kernel(struct vm *vm, GError **errp)
{
    enum kernel_format fmt;
    struct bzimage_info bz;
    struct pvh_info pvh;

    return kernel_detect(vm->kernel_img, vm->kernel_len, &fmt, errp) &&
           (fmt != KERNEL_BZIMAGE ||
            bzimage_parse(vm->kernel_img, vm->kernel_len, &bz, errp)) &&
           (fmt != KERNEL_PVH_ELF ||
            pvh_elf_parse(vm->kernel_img, vm->kernel_len, &pvh, errp));
}

bool vm_arch_create_platform(struct vm *vm, GError **errp)
{
    kvm_irq_init(&vm->irq_com1, vm->fd, LAYOUT_GSI_COM1);
    serial8250_init(&vm->com1, &vm->irq_com1.line, console_uart_tx,
                    &vm->console);
    sysctl_x86_init(&vm->arch.sysctl, &vm->ctl);

    if (!vm_add_device(vm, &vm->pio, "com1", LAYOUT_PORT_COM1, 8,
                       &serial8250_ops, &vm->com1, errp) ||
        !vm_add_device(vm, &vm->pio, "exit-port", LAYOUT_PORT_EXIT, 4,
                       &sysctl_exit_ops, &vm->arch.sysctl, errp) ||
        !vm_add_device(vm, &vm->pio, "acpi-pm", LAYOUT_PORT_ACPI_PM, 3,
                       &sysctl_acpi_pm_ops, &vm->arch.sysctl, errp) ||
        !vm_add_device(vm, &vm->pio, "i8042", LAYOUT_PORT_I8042, 5,
                       &sysctl_i8042_ops, &vm->arch.sysctl, errp) ||
        !vm_add_device(vm, &vm->pio, "pvpanic", LAYOUT_PORT_PVPANIC, 1,
                       &sysctl_pvpanic_ops, &vm->arch.sysctl, errp) ||
        !vm_add_device(vm, &vm->pio, "post", LAYOUT_PORT_POST, 1,
                       &sysctl_post_ops, &vm->arch.sysctl, errp) ||
        !vm_add_device(vm, &vm->pio, "boot-timer", LAYOUT_PORT_BOOT_TIMER, 1,
                       &sysctl_boot_timer_ops, &vm->arch.sysctl, errp) ||
        !vm_add_device(vm, &vm->pio, "cmos-absent", LAYOUT_PORT_CMOS, 2,
                       &sysctl_absent_ops, NULL, errp) ||
        !vm_add_device(vm, &vm->pio, "pci-conf", LAYOUT_PORT_PCI_CONF, 8,
                       &sysctl_pci_conf_ops, &vm->arch.sysctl, errp)) {
        return false;
    }
    if (!vm_add_device(vm, &vm->mmio, "boot-timer", LAYOUT_BOOT_TIMER_MMIO,
                       0x1000, &sysctl_boot_timer_ops, &vm->arch.sysctl,
                       errp)) {
        return false;
    }
    vm_add_fw_device(vm, (struct fw_device){FW_DEV_SERIAL, LAYOUT_PORT_COM1, 8,
                                            LAYOUT_GSI_COM1, false});
    vm_add_fw_device(vm, (struct fw_device){FW_DEV_PVPANIC, LAYOUT_PORT_PVPANIC,
                                            1, 0, false});
    kvm_irq_init(&vm->arch.irq_power_button, vm->fd, LAYOUT_GSI_POWER_BUTTON);
    vm_add_fw_device(vm, (struct fw_device){FW_DEV_POWER_BUTTON, 0, 0,
                                            LAYOUT_GSI_POWER_BUTTON, false});
    return true;
}

bool vm_powerdown(struct vm *vm)
{
    struct irq_line *l = &vm->arch.irq_power_button.line;

    /* A press: an edge on the GED's line, which runs its _EVT. */
    l->set(l, true);
    l->set(l, false);
    return true;
}

/* Skips the ISA lines in use: COM1 (4), the SCI (9) and the GED's. */
static unsigned next_gsi(unsigned gsi)
{
    do {
        gsi++;
    } while (gsi == LAYOUT_GSI_COM1 || gsi == LAYOUT_GSI_SCI ||
             gsi == LAYOUT_GSI_POWER_BUTTON);
    return gsi;
}

bool vm_arch_virtio_place(struct vm *vm,
                          unsigned index,
                          uint64_t *base,
                          unsigned *gsi,
                          GError **errp)
{
    unsigned g = LAYOUT_GSI_VIRTIO_FIRST;

    for (unsigned i = 0; i < index; i++) {
        g = next_gsi(g);
    }
    if (g >= LAYOUT_IOAPIC_PINS) {
        g_set_error(errp, HUSK_ERROR, HUSK_EXIT_USAGE,
                    "out of interrupt lines for virtio devices");
        return false;
    }
    *base = LAYOUT_VIRTIO_MMIO_BASE + index * LAYOUT_VIRTIO_MMIO_SIZE;
    *gsi = g;
    return true;
}

uint32_t vm_arch_irq_line(unsigned gsi)
{
    return gsi; /* an IOAPIC pin */
}

bool vm_arch_load_guest(struct vm *vm, const char *cmdline, GError **errp)
{
    struct acpi_x86_config acfg = {vm->nr_vcpus, vm->fw_devs, vm->nr_fw_devs};
    struct acpi_x86_tables at;
    struct kernel_load_args a = {0};
    uint8_t *acpi = gm_ptr(&vm->gm, LAYOUT_ACPI_START, LAYOUT_ACPI_SIZE);

    if (!acpi) {
        g_set_error(errp, HUSK_ERROR, HUSK_EXIT_USAGE,
                    "guest memory too small for ACPI tables");
        return false;
    }
    if (!acpi_x86_build(&acfg, acpi, LAYOUT_ACPI_SIZE, LAYOUT_ACPI_START, &at,
                        errp)) {
        return false;
    }
    a.kernel = vm->kernel_img;
    a.kernel_len = vm->kernel_len;
    a.initrd = vm->initrd_img;
    a.initrd_len = vm->initrd_len;
    a.cmdline = cmdline;
    a.low_ram = vm->ram_low_size;
    a.high_ram = vm->ram_high_size;
    a.rsdp = LAYOUT_ACPI_START + at.rsdp;
    if (!kernel_load(&vm->gm, &a, &vm->arch.entry, errp)) {
        g_prefix_error(errp, "%s: ", vm->cfg.kernel);
        return false;
    }
    return true;
}

bool vm_arch_vcpu_init(struct vm *vm, struct vcpu *v, GError **errp)
{
    struct kvm_cpuid2 *set = NULL;

    if (!cpu_x86_init(v->fd, &vm->kvm, v->id, vm->nr_vcpus, &set, errp)) {
        return false;
    }
    v->identity = set; /* for a snapshot */
    return true;
}

bool vm_arch_vcpus_created(struct vm *vm, GError **errp)
{
    return true;
}

bool vm_arch_set_entry(struct vm *vm, GError **errp)
{
    /* Only the boot CPU gets an entry state; the others wait for SIPI. */
    return cpu_x86_set_entry(vm->vcpus[0].fd, &vm->arch.entry, errp);
}

const char *vm_arch_snapshot_unsupported(const struct vm *vm)
{
    return NULL;
}

void vm_arch_destroy(struct vm *vm)
{
}

void vm_arch_vcpu_report_stop(struct vcpu *v)
{
    struct kvm_regs r;

    if (ioctl(v->fd, KVM_GET_REGS, &r) == 0) {
        g_debug("vCPU %u stopped at rip=0x%llx rsp=0x%llx rflags=0x%llx", v->id,
                (unsigned long long)r.rip, (unsigned long long)r.rsp,
                (unsigned long long)r.rflags);
    }
}
