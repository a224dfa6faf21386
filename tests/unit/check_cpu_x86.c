/*
 * check_cpu_x86.c: the CPUID table each vCPU gets: APIC IDs and topology
 * that match the MADT, no PMU, KVM's paravirtual leaves untouched.
 */
#include <check.h>
#include <string.h>

#include "vmm/cpu_x86.h"
#include "harness/check_run.h"

static struct kvm_cpuid2 *supported(void)
{
    struct kvm_cpuid2 *c = g_malloc0(sizeof(*c) + 16 * sizeof(c->entries[0]));
    struct kvm_cpuid_entry2 e[] = {
        {.function = 0, .eax = 0xd},
        {.function = 1, .ebx = 0x00000800, .ecx = 0, .edx = 0x200},
        {.function = 0xa, .eax = 0x07300402, .ebx = 1, .edx = 0x603},
        {.function = 0xb, .index = 0, .flags = KVM_CPUID_FLAG_SIGNIFCANT_INDEX},
        {.function = 0x40000000, .eax = 0x40000001, .ebx = 0x4b4d564b},
        {.function = 0x40000001, .eax = 0x01007afb},
        {.function = 0x80000001, .ecx = (1u << 23) | (1u << 1) | 1},
    };

    memcpy(c->entries, e, sizeof(e));
    c->nent = G_N_ELEMENTS(e);
    return c;
}

static const struct kvm_cpuid_entry2 *find(const struct kvm_cpuid2 *c,
                                           uint32_t fn,
                                           uint32_t idx)
{
    for (unsigned i = 0; i < c->nent; i++) {
        if (c->entries[i].function == fn && c->entries[i].index == idx) {
            return &c->entries[i];
        }
    }
    return NULL;
}

START_TEST(apic_ids_and_topology)
{
    g_autofree struct kvm_cpuid2 *sup = supported();
    g_autofree struct kvm_cpuid2 *c = cpu_x86_cpuid(sup, 3, 4);
    const struct kvm_cpuid_entry2 *e;

    e = find(c, 1, 0);
    ck_assert_uint_eq(e->ebx >> 24, 3);
    ck_assert_uint_eq((e->ebx >> 16) & 0xff, 4);
    ck_assert(e->edx & (1u << 28));
    ck_assert(e->ecx & (1u << 31));
    ck_assert_uint_eq(e->edx & 0x200, 0x200); /* APIC bit kept */
    e = find(c, 0xb, 0);
    ck_assert_uint_eq(e->edx, 3);
    ck_assert_uint_eq(e->ebx, 1);
    ck_assert_uint_eq((e->ecx >> 8) & 0xff, 1);
    e = find(c, 0xb, 1);
    ck_assert_uint_eq(e->edx, 3);
    ck_assert_uint_eq(e->ebx, 4);
    ck_assert_uint_eq(e->eax, 2);
    ck_assert_uint_eq((e->ecx >> 8) & 0xff, 2);
    e = find(c, 0xb, 2);
    ck_assert_uint_eq((e->ecx >> 8) & 0xff, 0);
}
END_TEST

START_TEST(no_pmu_and_pv_leaves_untouched)
{
    g_autofree struct kvm_cpuid2 *sup = supported();
    g_autofree struct kvm_cpuid2 *c = cpu_x86_cpuid(sup, 0, 1);
    const struct kvm_cpuid_entry2 *e;

    e = find(c, 0xa, 0);
    ck_assert_uint_eq(e->eax | e->ebx | e->ecx | e->edx, 0);
    e = find(c, 0x80000001, 0);
    ck_assert_uint_eq(e->ecx, 1);
    e = find(c, 0x40000000, 0);
    ck_assert_uint_eq(e->eax, 0x40000001);
    ck_assert_uint_eq(e->ebx, 0x4b4d564b);
    e = find(c, 0x40000001, 0);
    ck_assert_uint_eq(e->eax, 0x01007afb);
    e = find(c, 1, 0);
    ck_assert(!(e->edx & (1u << 28))); /* one CPU: no HTT */
    ck_assert_uint_eq(e->ebx >> 24, 0);
}
END_TEST

int main(void)
{
    Suite *su = suite_create("cpu_x86");
    TCase *tc = tcase_create("cpuid");

    tcase_add_test(tc, apic_ids_and_topology);
    tcase_add_test(tc, no_pmu_and_pv_leaves_untouched);
    suite_add_tcase(su, tc);
    return check_run(su);
}
