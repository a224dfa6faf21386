/*
 * snapshot_x86.c: x86 vCPU and VM state for snapshots (snapshot_arch.h;
 * KVM API §4 KVM_GET/SET_REGS, SREGS, XSAVE/XSAVE2, XCRS, MSRS, LAPIC,
 * VCPU_EVENTS, DEBUGREGS, MP_STATE, CPUID2, TSC_KHZ, IRQCHIP, CLOCK).
 *
 * Order on load (as Firecracker's restore does it): CPUID before
 * anything runs; MP state; general and special registers (sregs carries
 * the APIC base, so it comes before the LAPIC); extended state; debug
 * registers; LAPIC; MSRs (the TSC and kvmclock MSRs among them); pending
 * events last, since setting the LAPIC can drop an event KVM holds.
 */
#define G_LOG_DOMAIN "husk"
#include "vmm/snapshot_arch.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>

#include "lib/error.h"
#include "lib/util.h"
#include "vmm/cpu_x86.h"

#define CPUID_MAX_ENTRIES 256 /* KVM's own limit */
#define XSAVE_MAX (64 * 1024)
#define MP_STATE_MAX 9 /* KVM_MP_STATE_AP_RESET_HOLD */
#define TSS_AVAILABLE_64 9
#define TSS_BUSY_64 11

/* The host's CPU vendor, from the CPUID KVM reports (leaf 0). */
static bool host_is_amd(const struct kvm *k)
{
    for (unsigned i = 0; k->cpuid && i < k->cpuid->nent; i++) {
        const struct kvm_cpuid_entry2 *e = &k->cpuid->entries[i];

        if (e->function == 0) {
            /* "AuthenticAMD" (and Hygon's "HygonGenuine", the same SVM) */
            return (e->ebx == 0x68747541 && e->edx == 0x69746e65 &&
                    e->ecx == 0x444d4163) ||
                   (e->ebx == 0x6f677948 && e->edx == 0x6e65476e &&
                    e->ecx == 0x656e6975);
        }
    }
    return false;
}

static bool kvm_fail(GError **errp, const char *what)
{
    g_set_error(errp, HUSK_ERROR, HUSK_EXIT_SOFTWARE, "snapshot: %s: %s", what,
                g_strerror(errno));
    return false;
}

static bool load_fail(GError **errp, const char *what)
{
    g_set_error(errp, HUSK_ERROR, HUSK_EXIT_DATAERR,
                "restore: KVM refuses the snapshot's %s: %s", what,
                g_strerror(errno));
    return false;
}

/* The size of KVM's XSAVE area here: 4096 without XSAVE2.  Asked when
 * /dev/kvm was opened: the sandbox lets no system ioctl through later. */
static size_t xsave_size(const struct kvm *k)
{
    int n = k->xsave2_size;

    return n > (int)sizeof(struct kvm_xsave) && n <= XSAVE_MAX
               ? (size_t)n
               : sizeof(struct kvm_xsave);
}

/* Every MSR of KVM's list that this vCPU can read: KVM_GET_MSRS stops at
 * the first it cannot, so read in runs and skip that one. */
static struct kvm_msrs *read_msrs(int fd, const struct kvm *k)
{
    unsigned n = k->msrs ? k->msrs->nmsrs : 0, got = 0;
    struct kvm_msrs *all =
        g_malloc0(sizeof(*all) + n * sizeof(struct kvm_msr_entry));
    struct kvm_msrs *run =
        g_malloc0(sizeof(*run) + n * sizeof(struct kvm_msr_entry));

    for (unsigned i = 0; i < n;) {
        int r;

        run->nmsrs = n - i;
        for (unsigned j = 0; j < n - i; j++) {
            run->entries[j] =
                (struct kvm_msr_entry){.index = k->msrs->indices[i + j]};
        }
        r = ioctl(fd, KVM_GET_MSRS, run);
        if (r < 0) {
            r = 0;
        }
        memcpy(&all->entries[got], run->entries,
               (size_t)r * sizeof(struct kvm_msr_entry));
        got += (unsigned)r;
        i += (unsigned)r + 1; /* past the one that failed */
    }
    all->nmsrs = got;
    g_free(run);
    return all;
}

bool snap_cpu_save(int fd,
                   const struct kvm *k,
                   const void *identity,
                   struct st_writer *w,
                   GError **errp)
{
    struct kvm_mp_state mp;
    struct kvm_regs regs;
    struct kvm_sregs sregs;
    struct kvm_xcrs xcrs;
    struct kvm_debugregs dregs;
    struct kvm_lapic_state lapic;
    struct kvm_vcpu_events ev;
    size_t xs = xsave_size(k);
    g_autofree void *xsave = g_malloc0(xs);
    const struct kvm_cpuid2 *cpuid = identity;
    g_autofree struct kvm_msrs *msrs = NULL;
    int khz;

    /* MP state first: reading it makes KVM process pending INIT/SIPI. */
    if (ioctl(fd, KVM_GET_MP_STATE, &mp) < 0) {
        return kvm_fail(errp, "KVM_GET_MP_STATE");
    }
    if (ioctl(fd, KVM_GET_REGS, &regs) < 0) {
        return kvm_fail(errp, "KVM_GET_REGS");
    }
    if (ioctl(fd, KVM_GET_SREGS, &sregs) < 0) {
        return kvm_fail(errp, "KVM_GET_SREGS");
    }
    if (ioctl(fd,
              xs > sizeof(struct kvm_xsave) ? KVM_GET_XSAVE2 : KVM_GET_XSAVE,
              xsave) < 0) {
        return kvm_fail(errp, "KVM_GET_XSAVE");
    }
    memset(&xcrs, 0, sizeof(xcrs));
    if (ioctl(fd, KVM_GET_XCRS, &xcrs) < 0) {
        return kvm_fail(errp, "KVM_GET_XCRS");
    }
    if (ioctl(fd, KVM_GET_DEBUGREGS, &dregs) < 0) {
        return kvm_fail(errp, "KVM_GET_DEBUGREGS");
    }
    if (ioctl(fd, KVM_GET_LAPIC, &lapic) < 0) {
        return kvm_fail(errp, "KVM_GET_LAPIC");
    }
    msrs = read_msrs(fd, k);
    memset(&ev, 0, sizeof(ev));
    if (ioctl(fd, KVM_GET_VCPU_EVENTS, &ev) < 0) {
        return kvm_fail(errp, "KVM_GET_VCPU_EVENTS");
    }
    if (!cpuid) {
        g_set_error(errp, HUSK_ERROR, HUSK_EXIT_SOFTWARE,
                    "snapshot: the vCPU's CPUID is not known");
        return false;
    }
    khz = ioctl(fd, KVM_GET_TSC_KHZ, 0);
    st_put_u64(w, "mp_state", mp.mp_state);
    st_put_blob(w, "regs", &regs, sizeof(regs));
    st_put_blob(w, "sregs", &sregs, sizeof(sregs));
    st_put_blob(w, "xsave", xsave, xs);
    st_put_blob(w, "xcrs", &xcrs, sizeof(xcrs));
    st_put_blob(w, "debugregs", &dregs, sizeof(dregs));
    st_put_blob(w, "lapic", &lapic, sizeof(lapic));
    st_put_blob(w, "msrs", msrs->entries,
                msrs->nmsrs * sizeof(struct kvm_msr_entry));
    st_put_blob(w, "events", &ev, sizeof(ev));
    st_put_blob(w, "cpuid", cpuid->entries,
                cpuid->nent * sizeof(struct kvm_cpuid_entry2));
    st_put_u64(w, "tsc_khz", khz > 0 ? (uint64_t)khz : 0);
    return true;
}

/* The feature words a guest's code may depend on, and the bits in them
 * that are the guest's own doing (OSXSAVE, OSPKE) or KVM's to set
 * (hypervisor), not the CPU's. */
static const struct {
    uint32_t function, index;
    unsigned reg; /* 0 eax, 1 ebx, 2 ecx, 3 edx */
    uint32_t dynamic;
} feature_words[] = {
    {1, 0, 2, (1u << 27) | (1u << 31)},
    {1, 0, 3, 0},
    {7, 0, 1, 0},
    {7, 0, 2, 1u << 4},
    {7, 0, 3, 0},
    {0xd, 1, 0, 0},
    {0x80000001, 0, 2, 0},
    {0x80000001, 0, 3, 0},
};

static const struct kvm_cpuid_entry2 *
find_leaf(const struct kvm_cpuid_entry2 *e, unsigned n, uint32_t f, uint32_t i)
{
    for (unsigned j = 0; j < n; j++) {
        if (e[j].function == f &&
            (!(e[j].flags & KVM_CPUID_FLAG_SIGNIFCANT_INDEX) ||
             e[j].index == i)) {
            return &e[j];
        }
    }
    return NULL;
}

static uint32_t reg_of(const struct kvm_cpuid_entry2 *e, unsigned reg)
{
    return !e         ? 0
           : reg == 0 ? e->eax
           : reg == 1 ? e->ebx
           : reg == 2 ? e->ecx
                      : e->edx;
}

static bool check_cpuid(const struct kvm_cpuid2 *host,
                        const struct kvm_cpuid_entry2 *e,
                        unsigned n,
                        GError **errp)
{
    for (unsigned w = 0; w < G_N_ELEMENTS(feature_words); w++) {
        uint32_t want, have, missing;

        want = reg_of(find_leaf(e, n, feature_words[w].function,
                                feature_words[w].index),
                      feature_words[w].reg) &
               ~feature_words[w].dynamic;
        have = host ? reg_of(find_leaf(host->entries, host->nent,
                                       feature_words[w].function,
                                       feature_words[w].index),
                             feature_words[w].reg)
                    : 0;
        missing = want & ~have;
        if (missing) {
            g_set_error(errp, HUSK_ERROR, HUSK_EXIT_UNAVAILABLE,
                        "restore: this CPU lacks features the snapshot's "
                        "guest uses (CPUID 0x%x.%u %s bits 0x%08x)",
                        feature_words[w].function, feature_words[w].index,
                        (const char *[]){"eax", "ebx", "ecx",
                                         "edx"}[feature_words[w].reg],
                        missing);
            return false;
        }
    }
    return true;
}

bool snap_cpu_load(int fd,
                   const struct kvm *k,
                   const void *model,
                   struct st_reader *r,
                   void **identity,
                   GError **errp)
{
    struct kvm_mp_state mp;
    struct kvm_regs regs;
    struct kvm_sregs sregs;
    struct kvm_xcrs xcrs;
    struct kvm_debugregs dregs;
    struct kvm_lapic_state lapic;
    struct kvm_vcpu_events ev;
    size_t xs = xsave_size(k), n;
    g_autofree void *xsave = g_malloc0(xs);
    g_autofree struct kvm_cpuid_entry2 *ce = NULL;
    g_autofree struct kvm_msr_entry *me = NULL;
    g_autofree struct kvm_cpuid2 *cpuid = NULL;
    g_autofree struct kvm_msrs *msrs = NULL;
    unsigned nmsrs, ncpuid;
    uint64_t khz;

    mp.mp_state = (uint32_t)st_get_u64(r, "mp_state", 0, MP_STATE_MAX);
    st_get_blob(r, "regs", &regs, sizeof(regs));
    st_get_blob(r, "sregs", &sregs, sizeof(sregs));
    /* Another XSAVE size is another CPU or kernel: refused, not guessed. */
    st_get_blob(r, "xsave", xsave, xs);
    st_get_blob(r, "xcrs", &xcrs, sizeof(xcrs));
    st_get_blob(r, "debugregs", &dregs, sizeof(dregs));
    st_get_blob(r, "lapic", &lapic, sizeof(lapic));
    st_get_blob(r, "events", &ev, sizeof(ev));
    me = st_get_blob_max(
        r, "msrs",
        (k->msrs ? k->msrs->nmsrs : 0) * sizeof(struct kvm_msr_entry), &n);
    nmsrs = (unsigned)(n / sizeof(struct kvm_msr_entry));
    if (!st_failed(r) && n % sizeof(struct kvm_msr_entry)) {
        st_fail(r, "msrs is not a list of MSRs");
    }
    ce = st_get_blob_max(
        r, "cpuid", CPUID_MAX_ENTRIES * sizeof(struct kvm_cpuid_entry2), &n);
    ncpuid = (unsigned)(n / sizeof(struct kvm_cpuid_entry2));
    if (!st_failed(r) && (n % sizeof(struct kvm_cpuid_entry2) || !ncpuid)) {
        st_fail(r, "cpuid is not a list of CPUID leaves");
    }
    khz = st_get_u64(r, "tsc_khz", 0, 100000000);
    if (!st_failed(r) && xcrs.nr_xcrs > KVM_MAX_XCRS) {
        st_fail(r, "xcrs holds %u registers", xcrs.nr_xcrs);
    }
    for (unsigned i = 0; i < nmsrs && !st_failed(r); i++) {
        if (!kvm_has_msr(k, me[i].index) || me[i].reserved) {
            st_fail(r, "MSR 0x%x is not one KVM has here", me[i].index);
        }
    }
    if (!st_finish(r, errp)) {
        return false;
    }
    if (!check_cpuid(model, ce, ncpuid, errp)) {
        return false;
    }
    cpuid = g_malloc0(sizeof(*cpuid) + ncpuid * sizeof(*ce));
    cpuid->nent = ncpuid;
    memcpy(cpuid->entries, ce, ncpuid * sizeof(*ce));
    if (ioctl(fd, KVM_SET_CPUID2, cpuid) < 0) {
        return load_fail(errp, "CPUID");
    }
    g_free(*identity);
    *identity = g_memdup2(cpuid, sizeof(*cpuid) + ncpuid * sizeof(*ce));
    if (khz && ioctl(fd, KVM_GET_TSC_KHZ, 0) != (int)khz &&
        ioctl(fd, KVM_SET_TSC_KHZ, (unsigned long)khz) < 0) {
        /* Without TSC scaling the guest's TSC runs at this host's rate:
         * its clock stays monotonic, but its TSC-based delays drift. */
        g_warning("restore: the snapshot's TSC ran at %" PRIu64
                  " kHz and this host cannot scale to it",
                  khz);
    }
    if (ioctl(fd, KVM_SET_MP_STATE, &mp) < 0) {
        return load_fail(errp, "MP state");
    }
    if (ioctl(fd, KVM_SET_REGS, &regs) < 0) {
        return load_fail(errp, "registers");
    }
    if (host_is_amd(k) && sregs.tr.type == TSS_BUSY_64) {
        /* KVM on AMD reports TR busy whatever the VMCB holds (svm.c
         * "work around a bug where the busy flag in the tr selector isn't
         * exposed"); the VMCB holds what AMD's CPUs save there, the busy
         * bit clear.  Put that back: a CPU ignores the cached type, but
         * an emulated one (QEMU's TCG, the nested test host) checks it on
         * every I/O instruction from user space and faults on 11. */
        sregs.tr.type = TSS_AVAILABLE_64;
    }
    if (ioctl(fd, KVM_SET_SREGS, &sregs) < 0) {
        return load_fail(errp, "special registers");
    }
    if (ioctl(fd, KVM_SET_XSAVE, xsave) < 0) {
        return load_fail(errp, "XSAVE state");
    }
    if (ioctl(fd, KVM_SET_XCRS, &xcrs) < 0) {
        return load_fail(errp, "XCRs");
    }
    if (ioctl(fd, KVM_SET_DEBUGREGS, &dregs) < 0) {
        return load_fail(errp, "debug registers");
    }
    if (ioctl(fd, KVM_SET_LAPIC, &lapic) < 0) {
        return load_fail(errp, "LAPIC");
    }
    msrs = g_malloc0(sizeof(*msrs) + nmsrs * sizeof(*me));
    msrs->nmsrs = nmsrs;
    if (nmsrs) {
        memcpy(msrs->entries, me, nmsrs * sizeof(*me));
    }
    {
        int set = ioctl(fd, KVM_SET_MSRS, msrs);

        if (set < 0) {
            return load_fail(errp, "MSRs");
        }
        if ((unsigned)set < nmsrs) {
            g_set_error(errp, HUSK_ERROR, HUSK_EXIT_DATAERR,
                        "restore: KVM refuses the snapshot's MSR 0x%x = "
                        "0x%llx",
                        me[set].index, (unsigned long long)me[set].data);
            return false;
        }
    }
    if (ioctl(fd, KVM_SET_VCPU_EVENTS, &ev) < 0) {
        return load_fail(errp, "pending events");
    }
    return true;
}

void *snap_cpu_model(const struct kvm *k, unsigned id, unsigned nr)
{
    return cpu_x86_cpuid(k->cpuid, id, nr);
}

/* The in-kernel PIC pair and IOAPIC (KVM_CREATE_IRQCHIP), and kvmclock. */
static const unsigned chips[] = {KVM_IRQCHIP_PIC_MASTER, KVM_IRQCHIP_PIC_SLAVE,
                                 KVM_IRQCHIP_IOAPIC};

bool snap_vm_save(int vm_fd, struct st_writer *w, GError **errp)
{
    struct kvm_clock_data clock;

    for (unsigned i = 0; i < G_N_ELEMENTS(chips); i++) {
        struct kvm_irqchip c = {.chip_id = chips[i]};
        char k[16];

        if (ioctl(vm_fd, KVM_GET_IRQCHIP, &c) < 0) {
            return kvm_fail(errp, "KVM_GET_IRQCHIP");
        }
        snprintf(k, sizeof(k), "irqchip%u", chips[i]);
        st_put_blob(w, k, &c.chip, sizeof(c.chip));
    }
    memset(&clock, 0, sizeof(clock));
    if (ioctl(vm_fd, KVM_GET_CLOCK, &clock) < 0) {
        return kvm_fail(errp, "KVM_GET_CLOCK");
    }
    st_put_u64(w, "clock", clock.clock);
    return true;
}

bool snap_vm_load(int vm_fd, struct st_reader *r, GError **errp)
{
    struct kvm_irqchip c[G_N_ELEMENTS(chips)];
    struct kvm_clock_data clock = {0};

    for (unsigned i = 0; i < G_N_ELEMENTS(chips); i++) {
        char k[16];

        memset(&c[i], 0, sizeof(c[i]));
        c[i].chip_id = chips[i];
        snprintf(k, sizeof(k), "irqchip%u", chips[i]);
        st_get_blob(r, k, &c[i].chip, sizeof(c[i].chip));
    }
    clock.clock = st_get_u64(r, "clock", 0, UINT64_MAX);
    if (!st_finish(r, errp)) {
        return false;
    }
    for (unsigned i = 0; i < G_N_ELEMENTS(chips); i++) {
        if (ioctl(vm_fd, KVM_SET_IRQCHIP, &c[i]) < 0) {
            return load_fail(errp, "interrupt controller state");
        }
    }
    /* The guest's clock continues from the snapshot's value: it does not
     * go back, and the time the snapshot spent on disk is not seen
     * (CLOCK_REALTIME lags until the guest corrects it, e.g. by NTP). */
    if (ioctl(vm_fd, KVM_SET_CLOCK, &clock) < 0) {
        return load_fail(errp, "kvmclock");
    }
    return true;
}
