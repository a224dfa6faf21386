/*
 * vcpu.c: the vCPU thread and its exit dispatch (KVM API §5 "The kvm_run
 * structure").  The loop stays short: PIO and MMIO go to the buses, the
 * terminal exits end the VM with a reason.
 */
#define G_LOG_DOMAIN "husk"
#include "vmm/vcpu.h"

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "lib/error.h"
#include "lib/log.h"
#include "vmm/timeline.h"
#include "vmm/vm.h"

#define SIG_VCPU_KICK SIGUSR1

static void kick_handler(int sig)
{
    /* Only there to interrupt KVM_RUN with EINTR. */
}

void vcpu_signals_init(void)
{
    struct sigaction sa;

    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = kick_handler;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = 0; /* no SA_RESTART: KVM_RUN must return */
    sigaction(SIG_VCPU_KICK, &sa, NULL);
}

bool vcpu_create(struct vcpu *v, struct vm *vm, unsigned id, GError **errp)
{
    memset(v, 0, sizeof(*v));
    v->vm = vm;
    v->id = id;
    v->fd = ioctl(vm->fd, KVM_CREATE_VCPU, (unsigned long)id);
    if (v->fd < 0) {
        g_set_error(errp, HUSK_ERROR, HUSK_EXIT_OSERR,
                    "cannot create vCPU %u: %s", id, g_strerror(errno));
        return false;
    }
    v->run = mmap(NULL, vm->kvm.vcpu_mmap_size, PROT_READ | PROT_WRITE,
                  MAP_SHARED, v->fd, 0);
    if (v->run == MAP_FAILED) {
        g_set_error(errp, HUSK_ERROR, HUSK_EXIT_OSERR,
                    "cannot map vCPU %u state: %s", id, g_strerror(errno));
        close(v->fd);
        v->fd = -1;
        v->run = NULL;
        return false;
    }
    return true;
}

static void handle_io(struct vcpu *v)
{
    struct kvm_run *run = v->run;
    uint8_t *data = (uint8_t *)run + run->io.data_offset;
    unsigned size = run->io.size;

    /* io.count > 1 for rep ins/outs: one access per element. */
    for (uint32_t i = 0; i < run->io.count; i++) {
        if (run->io.direction == KVM_EXIT_IO_OUT) {
            bus_write(&v->vm->pio, run->io.port, data, size);
        } else {
            bus_read(&v->vm->pio, run->io.port, data, size);
        }
        data += size;
    }
    v->exits_io++;
}

static void handle_mmio(struct vcpu *v)
{
    struct kvm_run *run = v->run;
    unsigned len = run->mmio.len;

    if (len > sizeof(run->mmio.data)) {
        len = sizeof(run->mmio.data);
    }
    if (run->mmio.is_write) {
        bus_write(&v->vm->mmio, run->mmio.phys_addr, run->mmio.data, len);
    } else {
        bus_read(&v->vm->mmio, run->mmio.phys_addr, run->mmio.data, len);
    }
    v->exits_mmio++;
}

/* Returns false when the vCPU must stop. */
static bool handle_exit(struct vcpu *v)
{
    struct kvm_run *run = v->run;
    struct vm_ctl *ctl = &v->vm->ctl;

    switch (run->exit_reason) {
    case KVM_EXIT_IO:
        handle_io(v);
        return true;
    case KVM_EXIT_MMIO:
        handle_mmio(v);
        return true;
    case KVM_EXIT_HLT:
        /* Only without an in-kernel LAPIC; husk always has one. */
        return true;
    case KVM_EXIT_INTR:
        return true;
    case KVM_EXIT_SHUTDOWN:
        /* Triple fault: a PC resets. husk ends the VM as for a reboot. */
        ctl->request_exit(ctl, VM_EXIT_RESET, 0);
        return false;
    case KVM_EXIT_SYSTEM_EVENT:
        switch (run->system_event.type) {
        case KVM_SYSTEM_EVENT_CRASH:
            ctl->request_exit(ctl, VM_EXIT_PANIC, 0);
            break;
        case KVM_SYSTEM_EVENT_RESET:
            ctl->request_exit(ctl, VM_EXIT_RESET, 0);
            break;
        default:
            ctl->request_exit(ctl, VM_EXIT_POWEROFF, 0);
            break;
        }
        return false;
    case KVM_EXIT_INTERNAL_ERROR:
        vm_report_error(v->vm, "vCPU %u: KVM internal error, suberror %u%s",
                        v->id, run->internal.suberror,
                        kvm_backing() == KVM_BACKING_PVM
                            ? " (this host's /dev/kvm is PVM, which cannot "
                              "run this guest)"
                            : "");
        return false;
    case KVM_EXIT_FAIL_ENTRY:
        vm_report_error(
            v->vm,
            "vCPU %u: KVM could not enter the guest "
            "(hardware reason 0x%llx)",
            v->id,
            (unsigned long long)run->fail_entry.hardware_entry_failure_reason);
        return false;
    default:
        vm_report_error(v->vm, "vCPU %u: unexpected KVM exit %u", v->id,
                        run->exit_reason);
        return false;
    }
}

/* How often a parked vCPU looks at whether the VM is stopping, should a
 * wakeup be missed. */
#define PARK_RECHECK_US (100 * 1000)

/* The pause request is seen: complete the last exit (KVM finishes a PIO
 * or MMIO instruction only on the next KVM_RUN, which immediate_exit
 * makes return at once), then wait to be resumed. */
static void park(struct vcpu *v)
{
    struct vm *vm = v->vm;

    __atomic_store_n(&v->run->immediate_exit, 1, __ATOMIC_SEQ_CST);
    while (ioctl(v->fd, KVM_RUN, 0) == 0) {
        /* An exit still came back (none should): handle it and retry. */
        if (!handle_exit(v)) {
            return;
        }
    }
    g_mutex_lock(&vm->pause_lock);
    /* Cleared under the lock: a kick for the stop that comes later sets
     * it again after this, never before. */
    __atomic_store_n(&v->run->immediate_exit, 0, __ATOMIC_SEQ_CST);
    vm->nr_parked++;
    g_cond_broadcast(&vm->pause_cond);
    while (__atomic_load_n(&vm->pause_req, __ATOMIC_ACQUIRE) &&
           !vm_stopping(vm)) {
        g_cond_wait_until(&vm->pause_cond, &vm->pause_lock,
                          g_get_monotonic_time() + PARK_RECHECK_US);
    }
    vm->nr_parked--;
    /* A pause while parked (a snapshot of a paused VM) set it again.
     * Cleared before stopping is looked at: a stop requested after that
     * look sets it after this store (stopping is set before the kick). */
    __atomic_store_n(&v->run->immediate_exit, 0, __ATOMIC_SEQ_CST);
    if (vm_stopping(vm)) {
        __atomic_store_n(&v->run->immediate_exit, 1, __ATOMIC_SEQ_CST);
    }
    g_mutex_unlock(&vm->pause_lock);
}

int vcpu_pause_all(struct vm *vm, unsigned timeout_ms)
{
    gint64 deadline = g_get_monotonic_time() + (gint64)timeout_ms * 1000;
    int r = 0;

    g_mutex_lock(&vm->pause_lock);
    __atomic_store_n(&vm->pause_req, 1, __ATOMIC_RELEASE);
    for (unsigned i = 0; i < vm->nr_vcpus; i++) {
        struct vcpu *v = &vm->vcpus[i];

        if (v->run) {
            __atomic_store_n(&v->run->immediate_exit, 1, __ATOMIC_SEQ_CST);
        }
        if (v->started) {
            pthread_kill(v->thread, SIG_VCPU_KICK);
        }
    }
    while (vm->nr_parked < vm->nr_vcpus && !vm_stopping(vm)) {
        if (!g_cond_wait_until(&vm->pause_cond, &vm->pause_lock, deadline)) {
            break;
        }
    }
    if (vm_stopping(vm)) {
        r = -ECANCELED;
    } else if (vm->nr_parked < vm->nr_vcpus) {
        r = -ETIMEDOUT;
    }
    g_mutex_unlock(&vm->pause_lock);
    if (r < 0) {
        vcpu_resume_all(vm);
    }
    return r;
}

void vcpu_resume_all(struct vm *vm)
{
    g_mutex_lock(&vm->pause_lock);
    __atomic_store_n(&vm->pause_req, 0, __ATOMIC_RELEASE);
    g_cond_broadcast(&vm->pause_cond);
    g_mutex_unlock(&vm->pause_lock);
}

static void *vcpu_thread(void *arg)
{
    struct vcpu *v = arg;
    sigset_t set;
    char name[16];

    /* Host signals are the main thread's business. */
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    g_snprintf(name, sizeof(name), "vcpu%u", v->id);
    pthread_setname_np(pthread_self(), name);
    {
        int r = sandbox_enter(SANDBOX_VCPU, name);

        if (r < 0) {
            vm_report_error(v->vm, "vCPU %u: cannot enter the sandbox: %s",
                            v->id, g_strerror(-r));
        }
    }
    vm_wait_gate(v->vm);

    tl_mark_once(TL_FIRST_RUN);
    while (!vm_stopping(v->vm)) {
        if (__atomic_load_n(&v->vm->pause_req, __ATOMIC_ACQUIRE)) {
            park(v);
            continue;
        }
        if (ioctl(v->fd, KVM_RUN, 0) < 0) {
            if (errno == EINTR || errno == EAGAIN) {
                continue;
            }
            vm_report_error(v->vm, "vCPU %u: KVM_RUN failed: %s", v->id,
                            g_strerror(errno));
            break;
        }
        if (!handle_exit(v)) {
            break;
        }
    }
    /* Where the guest was when the VM ended: the first thing to know
     * about a guest that hung.  Shown with HUSK_DEBUG=1. */
    vm_arch_vcpu_report_stop(v);
    return NULL;
}

bool vcpu_start(struct vcpu *v, GError **errp)
{
    int r = pthread_create(&v->thread, NULL, vcpu_thread, v);

    if (r) {
        g_set_error(errp, HUSK_ERROR, HUSK_EXIT_OSERR,
                    "cannot start vCPU %u thread: %s", v->id, g_strerror(r));
        return false;
    }
    v->started = true;
    return true;
}

void vcpu_kick(struct vcpu *v)
{
    /* immediate_exit covers a thread that is just about to enter KVM_RUN;
     * the signal covers one already inside it. */
    if (v->run) {
        __atomic_store_n(&v->run->immediate_exit, 1, __ATOMIC_SEQ_CST);
    }
    if (v->started) {
        pthread_kill(v->thread, SIG_VCPU_KICK);
    }
}

void vcpu_join(struct vcpu *v)
{
    if (v->started) {
        pthread_join(v->thread, NULL);
        v->started = false;
    }
}

void vcpu_destroy(struct vcpu *v)
{
    g_clear_pointer(&v->identity, g_free);
    if (v->run) {
        munmap(v->run, v->vm->kvm.vcpu_mmap_size);
        v->run = NULL;
    }
    if (v->fd >= 0) {
        close(v->fd);
        v->fd = -1;
    }
}
