/*
 * cpu_x86.c: x86 vCPU state (Intel SDM vol. 2A CPUID; AMD APM vol. 3 CPUID
 * Fn8000_0008/Fn8000_001E; Linux boot protocol "64-bit BOOT PROTOCOL"; Xen
 * PVH entry state).
 *
 * Topology: each vCPU is one core of a single package with one thread, and
 * its APIC ID is its index, matching the MADT.  KVM's paravirtual leaves
 * (0x40000000...) are passed through unchanged.  The guest gets no PMU:
 * this VMM does not virtualize performance counters.
 */
#define G_LOG_DOMAIN "husk"
#include "vmm/cpu_x86.h"

#include <errno.h>
#include <string.h>
#include <sys/ioctl.h>

#include "lib/layout_x86.h"
#include "lib/error.h"
#include "lib/util.h"

#define MSR_IA32_MISC_ENABLE 0x1a0
#define MSR_MTRR_DEF_TYPE 0x2ff
#define MISC_ENABLE_FAST_STRING 1
#define MTRR_ENABLE_WB ((1u << 11) | 6)

#define CR0_PE (1u << 0)
#define CR0_MP (1u << 1)
#define CR0_ET (1u << 4)
#define CR0_NE (1u << 5)
#define CR0_WP (1u << 16)
#define CR0_PG (1u << 31)
#define CR4_PAE (1u << 5)
#define EFER_LME (1u << 8)
#define EFER_LMA (1u << 10)

static unsigned bits_for(unsigned n)
{
    unsigned b = 0;

    while ((1u << b) < n) {
        b++;
    }
    return b;
}

static void set_topology_leaf(struct kvm_cpuid2 *c,
                              uint32_t leaf,
                              unsigned id,
                              unsigned nr_cpus)
{
    unsigned j = 0;

    /* Drop KVM's entries for this leaf, then describe SMT and core levels
     * and the terminating invalid level (SDM "V2 Extended Topology"). */
    for (unsigned i = 0; i < c->nent; i++) {
        if (c->entries[i].function != leaf) {
            c->entries[j++] = c->entries[i];
        }
    }
    c->nent = j;
    for (unsigned sub = 0; sub < 3; sub++) {
        struct kvm_cpuid_entry2 *e = &c->entries[c->nent++];

        memset(e, 0, sizeof(*e));
        e->function = leaf;
        e->index = sub;
        e->flags = KVM_CPUID_FLAG_SIGNIFCANT_INDEX;
        e->edx = id;
        if (sub == 0) { /* SMT: one thread per core */
            e->eax = 0;
            e->ebx = 1;
            e->ecx = sub | (1u << 8);
        } else if (sub == 1) { /* core level: all vCPUs */
            e->eax = bits_for(nr_cpus);
            e->ebx = nr_cpus;
            e->ecx = sub | (2u << 8);
        } else {
            e->ecx = sub;
        }
    }
}

struct kvm_cpuid2 *cpu_x86_cpuid(const struct kvm_cpuid2 *supported,
                                 unsigned id,
                                 unsigned nr_cpus)
{
    size_t sz = sizeof(*supported) +
                (supported->nent + 6) * sizeof(supported->entries[0]);
    struct kvm_cpuid2 *c = g_malloc0(sz);
    uint32_t max_basic = 0;

    memcpy(
        c, supported,
        sizeof(*supported) + supported->nent * sizeof(supported->entries[0]));
    for (unsigned i = 0; i < c->nent; i++) {
        if (c->entries[i].function == 0) {
            max_basic = c->entries[i].eax;
        }
    }
    for (unsigned i = 0; i < c->nent; i++) {
        struct kvm_cpuid_entry2 *e = &c->entries[i];

        switch (e->function) {
        case 1:
            /* Initial APIC ID and logical processors per package. */
            e->ebx = (e->ebx & 0xffff) | (MIN(nr_cpus, 255u) << 16) |
                     ((id & 0xff) << 24);
            if (nr_cpus > 1) {
                e->edx |= 1u << 28; /* HTT: the count above is valid */
            }
            e->ecx |= 1u << 31; /* running under a hypervisor */
            break;
        case 4:
            /* Cores per package - 1; one thread shares each cache. */
            e->eax = (e->eax & 0x3ff) | ((nr_cpus - 1) << 26);
            break;
        case 0xa:
            /* Architectural PMU: none. */
            e->eax = e->ebx = e->ecx = e->edx = 0;
            break;
        case 0x80000001:
            e->ecx &= ~(1u << 23); /* PerfCtrExtCore */
            e->ecx &= ~(1u << 1);  /* CmpLegacy: cores, not HTT threads */
            break;
        case 0x80000008:
            /* AMD: NC = cores - 1, ApicIdCoreIdSize. */
            e->ecx =
                (e->ecx & ~0xf0ffu) | (nr_cpus - 1) | (bits_for(nr_cpus) << 12);
            break;
        case 0x8000001e:
            e->eax = id;        /* extended APIC ID */
            e->ebx = id & 0xff; /* core ID, one thread per core */
            e->ecx = 0;         /* node 0 */
            break;
        case 0x80000022:
            e->eax = e->ebx = e->ecx = e->edx = 0; /* PerfMonV2 */
            break;
        }
    }
    if (max_basic >= 0xb) {
        set_topology_leaf(c, 0xb, id, nr_cpus);
    }
    if (max_basic >= 0x1f) {
        bool has_1f = false;

        for (unsigned i = 0; i < c->nent; i++) {
            has_1f |= c->entries[i].function == 0x1f;
        }
        if (has_1f) {
            set_topology_leaf(c, 0x1f, id, nr_cpus);
        }
    }
    return c;
}

bool cpu_x86_init(int vcpu_fd,
                  const struct kvm *k,
                  unsigned id,
                  unsigned nr_cpus,
                  struct kvm_cpuid2 **cpuid,
                  GError **errp)
{
    g_autofree struct kvm_cpuid2 *c = cpu_x86_cpuid(k->cpuid, id, nr_cpus);
    struct {
        struct kvm_msrs hdr;
        struct kvm_msr_entry e[2];
    } msrs;
    unsigned n = 0;

    if (ioctl(vcpu_fd, KVM_SET_CPUID2, c) < 0) {
        g_set_error(errp, HUSK_ERROR, HUSK_EXIT_SOFTWARE,
                    "KVM_SET_CPUID2 failed: %s", g_strerror(errno));
        return false;
    }
    /* Only MSRs KVM lists; a refused MSR is a host limit, not fatal. */
    memset(&msrs, 0, sizeof(msrs));
    if (kvm_has_msr(k, MSR_IA32_MISC_ENABLE)) {
        msrs.e[n++] = (struct kvm_msr_entry){.index = MSR_IA32_MISC_ENABLE,
                                             .data = MISC_ENABLE_FAST_STRING};
    }
    if (kvm_has_msr(k, MSR_MTRR_DEF_TYPE)) {
        msrs.e[n++] = (struct kvm_msr_entry){.index = MSR_MTRR_DEF_TYPE,
                                             .data = MTRR_ENABLE_WB};
    }
    msrs.hdr.nmsrs = n;
    if (n && ioctl(vcpu_fd, KVM_SET_MSRS, &msrs) != (int)n) {
        g_debug("vCPU %u: KVM accepted only some boot MSRs", id);
    }
    *cpuid = g_steal_pointer(&c);
    return true;
}

static void seg_flat(struct kvm_segment *s,
                     uint16_t sel,
                     uint8_t type,
                     bool code64,
                     bool db)
{
    memset(s, 0, sizeof(*s));
    s->base = 0;
    s->limit = 0xffffffff;
    s->selector = sel;
    s->type = type;
    s->present = 1;
    s->s = 1;
    s->l = code64;
    s->db = db;
    s->g = 1;
}

bool cpu_x86_set_entry(int vcpu_fd, const struct kernel_entry *e, GError **errp)
{
    struct kvm_sregs sr;
    struct kvm_regs r;
    bool pvh = e->format == KERNEL_PVH_ELF;

    if (ioctl(vcpu_fd, KVM_GET_SREGS, &sr) < 0) {
        goto fail;
    }
    if (pvh) {
        /* 32-bit protected mode, paging off, flat segments (PVH ABI). */
        seg_flat(&sr.cs, 0x20, 0xb, false, true);
        sr.cr0 = CR0_PE | CR0_ET;
        sr.cr4 = 0;
        sr.efer = 0;
    } else {
        /* 64-bit mode with the identity map kernel_load() wrote. */
        seg_flat(&sr.cs, 0x10, 0xb, true, false);
        sr.cr0 = CR0_PE | CR0_MP | CR0_ET | CR0_NE | CR0_WP | CR0_PG;
        sr.cr3 = LAYOUT_PML4;
        sr.cr4 = CR4_PAE;
        sr.efer = EFER_LME | EFER_LMA;
    }
    seg_flat(&sr.ds, 0x18, 0x3, false, true);
    sr.es = sr.fs = sr.gs = sr.ss = sr.ds;
    memset(&sr.tr, 0, sizeof(sr.tr));
    sr.tr.selector = 0x28;
    sr.tr.limit = 0x67;
    sr.tr.type = 0xb;
    sr.tr.present = 1;
    sr.gdt.base = LAYOUT_GDT;
    sr.gdt.limit = 6 * 8 - 1;
    sr.idt.base = 0;
    sr.idt.limit = 0;
    if (ioctl(vcpu_fd, KVM_SET_SREGS, &sr) < 0) {
        goto fail;
    }
    memset(&r, 0, sizeof(r));
    r.rflags = 2;
    r.rip = e->entry;
    if (pvh) {
        r.rbx = e->boot_info;
    } else {
        r.rsi = e->boot_info;
    }
    if (ioctl(vcpu_fd, KVM_SET_REGS, &r) < 0) {
        goto fail;
    }
    return true;
fail:
    g_set_error(errp, HUSK_ERROR, HUSK_EXIT_SOFTWARE,
                "cannot set the boot CPU's registers: %s", g_strerror(errno));
    return false;
}
