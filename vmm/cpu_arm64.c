/*
 * cpu_arm64.c: vCPU initialisation and entry state on arm64
 * (cpu_arm64.h; Documentation/arch/arm64/booting.rst §4).
 */
#define G_LOG_DOMAIN "husk"
#include "vmm/cpu_arm64.h"

#include <errno.h>
#include <stddef.h>
#include <string.h>
#include <sys/ioctl.h>

#include "lib/error.h"

/* A core register's one-reg id (KVM API §4.68, arm64 "core" group). */
#define CORE_REG(field)                                    \
    (KVM_REG_ARM64 | KVM_REG_SIZE_U64 | KVM_REG_ARM_CORE | \
     (offsetof(struct kvm_regs, field) / sizeof(uint32_t)))

/* MPIDR_EL1: op0 3, op1 0, CRn 0, CRm 0, op2 5. */
#define SYSREG_MPIDR_EL1 ARM64_SYS_REG(3, 0, 0, 0, 5)

/* EL1 with SP_EL1 (EL1h), D, A, I and F masked. */
#define PSTATE_EL1H_MASKED 0x3c5ULL

static int set_reg(int fd, uint64_t id, uint64_t v)
{
    struct kvm_one_reg r = {.id = id, .addr = (uintptr_t)&v};

    return ioctl(fd, KVM_SET_ONE_REG, &r) < 0 ? -errno : 0;
}

static int get_reg(int fd, uint64_t id, uint64_t *v)
{
    struct kvm_one_reg r = {.id = id, .addr = (uintptr_t)v};

    return ioctl(fd, KVM_GET_ONE_REG, &r) < 0 ? -errno : 0;
}

bool cpu_arm64_init(int vcpu_fd,
                    const struct kvm_vcpu_init *target,
                    unsigned id,
                    GError **errp)
{
    struct kvm_vcpu_init init = *target;

    /* PSCI 0.2 and later: CPU_ON/OFF, SYSTEM_OFF and SYSTEM_RESET are
     * KVM's, exits for the last two.  Secondaries wait powered off. */
    init.features[0] |= 1u << KVM_ARM_VCPU_PSCI_0_2;
    if (id > 0) {
        init.features[0] |= 1u << KVM_ARM_VCPU_POWER_OFF;
    }
    if (ioctl(vcpu_fd, KVM_ARM_VCPU_INIT, &init) < 0) {
        g_set_error(errp, HUSK_ERROR, HUSK_EXIT_UNAVAILABLE,
                    "vCPU %u: KVM_ARM_VCPU_INIT (target %u) failed: %s", id,
                    init.target, g_strerror(errno));
        return false;
    }
    return true;
}

bool cpu_arm64_set_entry(int vcpu_fd, uint64_t pc, uint64_t dtb, GError **errp)
{
    int r = set_reg(vcpu_fd, CORE_REG(regs.pstate), PSTATE_EL1H_MASKED);

    r = r ?: set_reg(vcpu_fd, CORE_REG(regs.regs[0]), dtb);
    for (unsigned i = 1; i < 4 && !r; i++) {
        r = set_reg(vcpu_fd, CORE_REG(regs.regs[i]), 0);
    }
    r = r ?: set_reg(vcpu_fd, CORE_REG(regs.pc), pc);
    if (r) {
        g_set_error(errp, HUSK_ERROR, HUSK_EXIT_OSERR,
                    "cannot set the boot CPU's registers: %s", g_strerror(-r));
        return false;
    }
    return true;
}

int cpu_arm64_mpidr(int vcpu_fd, uint64_t *mpidr)
{
    return get_reg(vcpu_fd, SYSREG_MPIDR_EL1, mpidr);
}

int cpu_arm64_pc(int vcpu_fd, uint64_t *pc)
{
    return get_reg(vcpu_fd, CORE_REG(regs.pc), pc);
}
