/*
 * vm.c: creating, running and tearing down a VM (see vm.h).  Every device
 * is wired here explicitly: bus ranges, interrupt lines and the firmware
 * device list from which the ACPI DSDT is generated.
 */
#define G_LOG_DOMAIN "husk"
#include "vmm/vm.h"

#include <errno.h>
#include <fcntl.h>
#include <glib-unix.h>
#include <signal.h>
#include <stdarg.h>
#include <string.h>
#include <sys/ioctl.h>
#include <linux/memfd.h> /* MFD_HUGE_2MB */
#include <linux/mman.h>  /* MAP_HUGE_2MB */
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "devices/backend/blk_file.h"
#include "lib/error.h"
#include "vmm/qsd.h"
#include "vmm/restore.h"
#include "lib/exec_proto.h"
#include "vmm/timeline.h"
#include "lib/util.h"

/* At exit, how long COMMAND's last output may wait for a reader that
 * takes none of it. */
#define EXEC_FLUSH_IDLE_MS 10000

int vm_exit_status(enum vm_exit_reason r, int status)
{
    switch (r) {
    case VM_EXIT_POWEROFF:
    case VM_EXIT_RESET:
    case VM_EXIT_QUIT:
        return HUSK_EXIT_OK;
    case VM_EXIT_PORT:
        return status & 0xff;
    case VM_EXIT_PANIC:
        return HUSK_EXIT_GUEST_PANIC;
    case VM_EXIT_TIMEOUT:
        return HUSK_EXIT_TIMEOUT;
    case VM_EXIT_SIGNAL:
        return 128 + status;
    case VM_EXIT_ERROR:
    default:
        return HUSK_EXIT_SOFTWARE;
    }
}

const char *vm_exit_reason_name(enum vm_exit_reason r)
{
    static const char *const n[] = {
        [VM_EXIT_POWEROFF] = "poweroff", [VM_EXIT_RESET] = "reset",
        [VM_EXIT_PORT] = "exit-port",    [VM_EXIT_PANIC] = "panic",
        [VM_EXIT_TIMEOUT] = "timeout",   [VM_EXIT_SIGNAL] = "signal",
        [VM_EXIT_QUIT] = "quit",         [VM_EXIT_ERROR] = "error",
    };

    return (unsigned)r < G_N_ELEMENTS(n) && n[r] ? n[r] : "?";
}

static void vm_request_exit(struct vm_ctl *c, enum vm_exit_reason r, int status)
{
    struct vm *vm = container_of(c, struct vm, ctl);
    int expected = 0;

    /* First request wins.  The reason is read only by the main thread
     * after the main loop quit and every vCPU thread was joined, both of
     * which order it after the writes below. */
    if (!__atomic_compare_exchange_n(&vm->stopping, &expected, 1, false,
                                     __ATOMIC_ACQ_REL, __ATOMIC_RELAXED)) {
        return;
    }
    vm->exit_reason = r;
    vm->exit_status = status;
    for (unsigned i = 0; i < vm->nr_vcpus_created; i++) {
        vcpu_kick(&vm->vcpus[i]);
    }
    if (vm->ctx) {
        /* Sticky: a wakeup before the loop polls makes the poll return. */
        g_main_context_wakeup(vm->ctx);
    }
}

static bool vm_ctl_stopping(struct vm_ctl *c)
{
    return vm_stopping(container_of(c, struct vm, ctl));
}

static void vm_boot_marker(struct vm_ctl *c, enum vm_marker m, unsigned code)
{
    struct vm *vm = container_of(c, struct vm, ctl);

    if (vm->cfg.exec_ports && m == VM_MARKER_DEBUG_PORT &&
        code == EXEC_MARK_COMMAND) {
        __atomic_store_n(&vm->exec_started, 1, __ATOMIC_RELEASE);
    }
    if (m == (vm->cfg.snapshot_timer ? VM_MARKER_BOOT_TIMER
                                     : VM_MARKER_DEBUG_PORT) &&
        (int)code == vm->cfg.snapshot_code &&
        __atomic_exchange_n(&vm->snap_armed, 0, __ATOMIC_ACQ_REL)) {
        /* This vCPU parks as soon as its marker write is complete, before
         * the guest's next instruction: the snapshot is taken at the
         * marker, not wherever the guest got to meanwhile (the main
         * thread's pause then stops the others). */
        __atomic_store_n(&vm->pause_req, 1, __ATOMIC_RELEASE);
        __atomic_store_n(&vm->snap_pending, 1, __ATOMIC_RELEASE);
        g_main_context_wakeup(vm->ctx);
    }
    tl_mark(m == VM_MARKER_BOOT_TIMER ? TL_MARKER_FC : TL_MARKER_DEBUG, code);
}

void vm_report_error(struct vm *vm, const char *fmt, ...)
{
    va_list ap;
    char *msg;

    va_start(ap, fmt);
    msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    /* Keep only the first message, like the exit reason. */
    if (!__atomic_load_n(&vm->stopping, __ATOMIC_ACQUIRE)) {
        char *old = NULL;
        if (__atomic_compare_exchange_n(&vm->error, &old, msg, false,
                                        __ATOMIC_ACQ_REL, __ATOMIC_RELAXED)) {
            msg = NULL;
        }
    }
    g_free(msg);
    vm->ctl.request_exit(&vm->ctl, VM_EXIT_ERROR, 0);
}

/* Bytes of [p, p + len) in RAM now (mincore): the guest pages touched. */
static uint64_t resident_bytes(void *p, uint64_t len)
{
    long page = sysconf(_SC_PAGESIZE);
    size_t n = (len + (uint64_t)page - 1) / (uint64_t)page;
    g_autofree unsigned char *v = p ? g_try_malloc(n) : NULL;
    uint64_t pages = 0;

    if (!v || mincore(p, len, v) < 0) {
        return 0;
    }
    for (size_t i = 0; i < n; i++) {
        pages += v[i] & 1;
    }
    return pages * (uint64_t)page;
}

static void note_memory(struct vm *vm)
{
    struct rusage ru;

    getrusage(RUSAGE_SELF, &ru);
    tl_note_memory(resident_bytes(vm->ram_low, vm->ram_low_size) +
                       resident_bytes(vm->ram_high, vm->ram_high_size),
                   (uint64_t)ru.ru_maxrss * 1024);
}

static bool ram_is_shared(const struct vm *vm)
{
    if (vm->cfg.nr_shares) {
        return true;
    }
    for (unsigned i = 0; i < vm->cfg.nr_disks; i++) {
        if (vm->disk_format[i] || vm->cfg.disks[i].vhost_user) {
            return true;
        }
    }
    for (unsigned i = 0; i < vm->cfg.nr_nets; i++) {
        if (vm->cfg.nets[i].kind == VM_NET_USER) {
            return true;
        }
    }
    return false;
}

/* Guest RAM as one memfd (hugetlbfs-backed with hugepages=on). */
static bool map_memory_fd(struct vm *vm, GError **errp)
{
    vm->ram_fd =
        gm_memfd_new("husk-guest-ram", vm->cfg.mem, vm->cfg.mem_hugepages);
    if (vm->ram_fd < 0) {
        errno = -vm->ram_fd;
        vm->ram_fd = -1;
        g_set_error(errp, HUSK_ERROR, HUSK_EXIT_OSERR,
                    "cannot make %" PRIu64
                    " MiB of shared guest memory "
                    "for its device backends: %s",
                    vm->cfg.mem / MiB, g_strerror(errno));
        return false;
    }
    return true;
}

/*
 * mmap of guest RAM at an address aligned to 2 MiB (1 GiB for a region of
 * at least that): KVM maps guest memory with a huge page only where the
 * host address and the guest address agree modulo its size, and the guest
 * regions start at such boundaries (vm_arch_ram_plan).  An address range a
 * little larger is reserved (no memory behind it), the mapping is placed at its
 * aligned start, and the rest is given back.  MAP_FAILED on error, errno set.
 */
static void *map_aligned(uint64_t size, int flags, int fd, off_t off)
{
    uint64_t align = size >= GiB ? GiB : 2 * MiB;
    uint8_t *res, *start;
    void *p;

    res = mmap(NULL, size + align, PROT_NONE,
               MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (res == MAP_FAILED) {
        return MAP_FAILED;
    }
    start = (uint8_t *)(((uintptr_t)res + align - 1) & ~(uintptr_t)(align - 1));
    p = mmap(start, size, PROT_READ | PROT_WRITE, flags | MAP_FIXED, fd, off);
    if (p == MAP_FAILED) {
        int e = errno;

        munmap(res, size + align);
        errno = e;
        return MAP_FAILED;
    }
    if (start > res) {
        munmap(res, (size_t)(start - res));
    }
    if (res + size + align > start + size) {
        munmap(start + size, (size_t)(res + size + align - (start + size)));
    }
    return p;
}

static bool map_memory(struct vm *vm, GError **errp)
{
    struct vm_ram_plan plan;
    struct {
        uint64_t gpa, size;
        void **hva;
    } regions[2];
    unsigned n = 0;

    if (!vm_arch_ram_plan(vm->cfg.mem, &plan, errp)) {
        return false;
    }
    vm->ram_low_size = plan.size[0];
    vm->ram_high_size = plan.n > 1 ? plan.size[1] : 0;
    regions[n++] =
        (typeof(regions[0])){plan.gpa[0], vm->ram_low_size, &vm->ram_low};
    if (vm->ram_high_size) {
        regions[n++] =
            (typeof(regions[0])){plan.gpa[1], vm->ram_high_size, &vm->ram_high};
    }
    /* Plain memory: NORESERVE, the host pays for the pages the guest
     * touches.  Huge pages: reserved at mmap (no NORESERVE), so a host
     * without enough of them fails here, not with SIGBUS when the guest
     * touches one.  prefault: every page faulted in now (MAP_POPULATE). */
    int flags = MAP_PRIVATE | MAP_ANONYMOUS;
    uint64_t off = 0;

    flags |= vm->cfg.mem_hugepages ? MAP_HUGETLB | MAP_HUGE_2MB : MAP_NORESERVE;
    flags |= vm->cfg.mem_prefault ? MAP_POPULATE : 0;
    /* A user-mode NIC's queues are served by husk-slirp, which must map
     * guest RAM too: then RAM is one memfd, shared.  Only then: shared
     * memory gets no transparent huge pages unless the host's shmem THP
     * setting allows (MADV_HUGEPAGE below asks). */
    if (ram_is_shared(vm) && !map_memory_fd(vm, errp)) {
        return false;
    }
    if (vm->ram_fd >= 0) {
        flags = MAP_SHARED | (vm->cfg.mem_prefault ? MAP_POPULATE : 0);
    }
    /* A restored guest's memory is the snapshot's file, private: pages
     * are read in when first touched and shared with every other VM
     * restored from it until written (copy-on-write). */
    /* With a backend process that maps guest RAM too (vhost-user), RAM
     * must be the shared memfd: the snapshot's pages are copied in. */
    bool copy_in = vm->cfg.restore && vm->ram_fd >= 0;
    int file_fd =
        vm->cfg.restore && !copy_in ? snap_image_memory_fd(vm) : vm->ram_fd;

    if (vm->cfg.restore && !copy_in) {
        flags = MAP_PRIVATE | MAP_NORESERVE |
                (vm->cfg.mem_prefault ? MAP_POPULATE : 0);
    }
    for (unsigned i = 0; i < n; i++) {
        struct kvm_userspace_memory_region r;
        /* ram_fd is -1 for anonymous memory, where the offset is 0. */
        void *p = map_aligned(regions[i].size, flags, file_fd,
                              file_fd >= 0 ? (off_t)off : 0);

        if (p == MAP_FAILED && vm->cfg.mem_hugepages) {
            g_set_error(errp, HUSK_ERROR, HUSK_EXIT_OSERR,
                        "--memory ...,hugepages=on: cannot map %" PRIu64
                        " MiB of 2 MiB huge pages: %s (reserve them: echo "
                        "N > /proc/sys/vm/nr_hugepages)",
                        regions[i].size / MiB, g_strerror(errno));
            return false;
        }
        if (p == MAP_FAILED) {
            g_set_error(errp, HUSK_ERROR, HUSK_EXIT_OSERR,
                        "cannot map %" PRIu64 " MiB of guest memory: %s",
                        regions[i].size / MiB, g_strerror(errno));
            return false;
        }
        /* A core dump of husk is for debugging husk: it should not carry
         * the guest's memory (its secrets, and gigabytes) unless asked
         * (QEMU's dump-guest-core=off). */
        if (!vm->cfg.mem_dump) {
            madvise(p, regions[i].size, MADV_DONTDUMP);
        }
        /* Transparent huge pages for all guest RAM, as QEMU asks: on a
         * host whose THP setting is "madvise" (anonymous) or "advise"
         * (shared memory) nothing else gets them.  thp=off leaves it to
         * the host's default. */
        if (vm->cfg.mem_thp && !vm->cfg.mem_hugepages && !vm->cfg.restore) {
            madvise(p, regions[i].size, MADV_HUGEPAGE);
        }
        if (copy_in &&
            !snap_image_copy_memory(vm, p, regions[i].size, off, errp)) {
            munmap(p, regions[i].size);
            return false;
        }
        vm->ram[i] =
            (struct vm_ram_region){regions[i].gpa, regions[i].size, off};
        vm->nr_ram = i + 1;
        off += regions[i].size;
        *regions[i].hva = p;
        r = (struct kvm_userspace_memory_region){
            .slot = i,
            .guest_phys_addr = regions[i].gpa,
            .memory_size = regions[i].size,
            .userspace_addr = (uintptr_t)p,
        };
        if (ioctl(vm->fd, KVM_SET_USER_MEMORY_REGION, &r) < 0) {
            g_set_error(errp, HUSK_ERROR, HUSK_EXIT_OSERR,
                        "KVM cannot map %" PRIu64 " MiB of guest memory: %s",
                        regions[i].size / MiB, g_strerror(errno));
            return false;
        }
        if (gm_add_region(&vm->gm, regions[i].gpa, regions[i].size, p)) {
            g_set_error(errp, HUSK_ERROR, HUSK_EXIT_SOFTWARE,
                        "guest memory layout is inconsistent");
            return false;
        }
    }
    return true;
}

/* The command line the guest gets: the user's, plus virtio_mmio.device=
 * entries when asked for (kernels without ACPI). */
static char *build_cmdline(struct vm *vm)
{
    GString *s = g_string_new(vm->cfg.cmdline ? vm->cfg.cmdline : "");

    /* The default guest's init mounts each share at /mnt/TAG
     * (guest-images/initramfs/init); other guests ignore these. */
    for (unsigned i = 0; i < vm->cfg.nr_shares && !vm->cfg.exec_ports; i++) {
        g_string_append_printf(s, "%shusk.share=%s%s", s->len ? " " : "",
                               vm->cfg.shares[i].tag,
                               vm->cfg.shares[i].read_only ? ":ro" : "");
    }
    if (vm->cfg.virtio_cmdline) {
        for (unsigned i = 0; i < vm->nr_fw_devs; i++) {
            const struct fw_device *d = &vm->fw_devs[i];

            if (d->kind == FW_DEV_VIRTIO_MMIO) {
                g_string_append_printf(
                    s, "%svirtio_mmio.device=%" PRIu64 "K@0x%" PRIx64 ":%u",
                    s->len ? " " : "", d->len / KiB, d->base, d->irq);
            }
        }
    }
    return g_string_free(s, FALSE);
}

/* Maps a whole file read-only; *len 0 for an empty file. */
static uint8_t *map_file(const char *path,
                         const char *what,
                         size_t *len,
                         GError **errp)
{
    struct stat st;
    void *p;
    int fd = open(path, O_RDONLY | O_CLOEXEC);

    if (fd < 0) {
        g_set_error(errp, HUSK_ERROR, HUSK_EXIT_NOINPUT, "%s %s: %s", what,
                    path, g_strerror(errno));
        return NULL;
    }
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
        g_set_error(errp, HUSK_ERROR, HUSK_EXIT_NOINPUT,
                    "%s %s: not a regular file", what, path);
        close(fd);
        return NULL;
    }
    if (st.st_size == 0) {
        g_set_error(errp, HUSK_ERROR, HUSK_EXIT_DATAERR, "%s %s is empty", what,
                    path);
        close(fd);
        return NULL;
    }
    /* MAP_POPULATE: the whole file is copied into guest RAM next, so map
     * every page now in one call instead of taking a fault per page. */
    p = mmap(NULL, st.st_size, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, 0);
    close(fd);
    if (p == MAP_FAILED) {
        g_set_error(errp, HUSK_ERROR, HUSK_EXIT_NOINPUT, "%s %s: %s", what,
                    path, g_strerror(errno));
        return NULL;
    }
    *len = st.st_size;
    return p;
}

static bool open_disks(struct vm *vm, GError **errp);

static bool map_inputs(struct vm *vm, GError **errp)
{
    if (vm->cfg.restore) {
        return open_disks(vm, errp); /* the guest is in the snapshot */
    }
    vm->kernel_img = map_file(vm->cfg.kernel, "kernel", &vm->kernel_len, errp);
    if (!vm->kernel_img) {
        return false;
    }
    if (!vm_arch_check_kernel(vm, errp)) {
        g_prefix_error(errp, "%s: ", vm->cfg.kernel);
        return false;
    }
    if (vm->cfg.initrd_data) {
        vm->initrd_img = (uint8_t *)vm->cfg.initrd_data; /* the caller's */
        vm->initrd_len = vm->cfg.initrd_data_len;
    } else if (vm->cfg.initrd) {
        vm->initrd_img =
            map_file(vm->cfg.initrd, "initrd", &vm->initrd_len, errp);
        if (!vm->initrd_img) {
            return false;
        }
    }
    return open_disks(vm, errp);
}

static bool open_disks(struct vm *vm, GError **errp)
{
    for (unsigned i = 0; i < vm->cfg.nr_disks; i++) {
        int via = qsd_format(&vm->cfg.disks[i], &vm->disk_format[i], errp);

        if (via < 0) {
            return false;
        }
        if (via > 0 || vm->cfg.disks[i].vhost_user) {
            continue; /* a vhost-user backend's (vm_vhost_user.c) */
        }
        vm->disk_be[i] =
            blk_file_open(vm->cfg.disks[i].path, vm->cfg.disks[i].read_only,
                          vm->cfg.disks[i].engine, errp);
        if (!vm->disk_be[i]) {
            g_prefix_error(errp, "--disk %s: ",
                           vm->cfg.disks[i].spec ? vm->cfg.disks[i].spec
                                                 : vm->cfg.disks[i].path);
            return false;
        }
    }
    return true;
}

static void unmap_inputs(struct vm *vm)
{
    if (vm->kernel_img) {
        munmap(vm->kernel_img, vm->kernel_len);
        vm->kernel_img = NULL;
    }
    if (vm->initrd_img && !vm->cfg.initrd_data) {
        munmap(vm->initrd_img, vm->initrd_len);
    }
    vm->initrd_img = NULL;
}

static bool load_guest(struct vm *vm, GError **errp)
{
    g_autofree char *cmdline = build_cmdline(vm);

    return vm_arch_load_guest(vm, cmdline, errp);
}

bool vm_create(struct vm *vm, const struct vm_config *cfg, GError **errp)
{
    memset(vm, 0, sizeof(*vm));
    vm->fd = -1;
    vm->sig_fd = -1;
    vm->ram_fd = -1;
    g_mutex_init(&vm->gate_lock);
    g_cond_init(&vm->gate_cond);
    g_mutex_init(&vm->pause_lock);
    g_cond_init(&vm->pause_cond);
    vm->snap_on.manifest_fd = vm->snap_on.state_fd = -1;
    vm->snap_on.memory_fd = -1;
    vm->api.fd = -1;
    vm->pagemap_fd = -1;
    vm->cfg = *cfg;
    vm->ctl.request_exit = vm_request_exit;
    vm->ctl.boot_marker = vm_boot_marker;
    vm->ctl.stopping = vm_ctl_stopping;
    vm->ctx = g_main_context_new();
    console_init(&vm->console, vm->ctx, &vm->ctl, cfg->console_in,
                 cfg->console_out);
    if (cfg->keep_console_tail) {
        console_keep_tail(&vm->console);
    }
    bus_init(&vm->pio, "pio");
    bus_init(&vm->mmio, "mmio");

    /* User files first: a typo in a path should not need /dev/kvm. */
    if (!map_inputs(vm, errp) ||
        (cfg->snapshot_dir &&
         !snap_files_create(&vm->snap_on, cfg->snapshot_dir, errp)) ||
        !kvm_open(&vm->kvm, errp)) {
        return false;
    }
    vm->snap_armed = cfg->snapshot_dir != NULL;
    /* Which guest pages were ever touched, for a snapshot (--snapshot-on,
     * the control socket): opened now, the sandbox opens nothing. */
    if (cfg->snapshot_dir || cfg->api_socket) {
        vm->pagemap_fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
    }
    if (cfg->snapshot_dir && snap_unsupported(vm)) {
        g_set_error(errp, HUSK_ERROR, HUSK_EXIT_USAGE,
                    "--snapshot-on: a snapshot is not supported with %s",
                    snap_unsupported(vm));
        return false;
    }
    if (cfg->cpus < 1 || cfg->cpus > (unsigned)vm->kvm.max_vcpus) {
        g_set_error(errp, HUSK_ERROR, HUSK_EXIT_USAGE,
                    "--cpus %u: KVM on this host allows 1 to %d vCPUs",
                    cfg->cpus, vm->kvm.max_vcpus);
        return false;
    }
    vm->nr_vcpus = cfg->cpus;
    vm->fd = ioctl(vm->kvm.fd, KVM_CREATE_VM, vm_arch_vm_type(vm));
    if (vm->fd < 0) {
        g_set_error(errp, HUSK_ERROR, HUSK_EXIT_UNAVAILABLE,
                    "KVM_CREATE_VM failed: %s", g_strerror(errno));
        return false;
    }
    if (!vm_arch_init(vm, errp)) {
        return false;
    }
    tl_mark(TL_VM_CREATED, 0);
    if (!map_memory(vm, errp)) {
        return false;
    }
    tl_mark(TL_MEMORY_READY, 0);
    if (!vm_create_devices(vm, errp)) {
        return false;
    }
    bus_freeze(&vm->pio);
    bus_freeze(&vm->mmio);
    tl_mark(TL_DEVICES_READY, 0);
    if (cfg->restore ? !snap_image_check_layout(vm, errp)
                     : !load_guest(vm, errp)) {
        return false;
    }
    unmap_inputs(vm);
    tl_mark(TL_KERNEL_LOADED, 0);

    vcpu_signals_init();
    vm->vcpus = g_new0(struct vcpu, vm->nr_vcpus);
    for (unsigned i = 0; i < vm->nr_vcpus; i++) {
        if (!vcpu_create(&vm->vcpus[i], vm, i, errp)) {
            return false;
        }
        vm->nr_vcpus_created++;
        if (!cfg->restore && !vm_arch_vcpu_init(vm, &vm->vcpus[i], errp)) {
            return false;
        }
    }
    if (!vm_arch_vcpus_created(vm, errp) || !vm_virtio_bind_irqs(vm, errp)) {
        return false;
    }
    if (cfg->restore ? !snap_image_load(vm, errp)
                     : !vm_arch_set_entry(vm, errp)) {
        return false;
    }
    vm->pause_req = cfg->start_paused;
    vm->paused = cfg->start_paused;
    /* Read now, where a snapshot may be taken: the sandbox leaves no way
     * to look at the binary later. */
    if (cfg->snapshot_dir || cfg->api_socket) {
        snap_husk_build();
    }
    if (cfg->api_socket && !api_start(&vm->api, vm, cfg->api_socket, errp)) {
        return false;
    }
    if (!sandbox_prepare(cfg->sandbox, SANDBOX_HUSK_ROLES, errp)) {
        return false;
    }
    tl_mark(TL_VCPUS_READY, 0);
    return true;
}

static gboolean on_timeout(gpointer opaque)
{
    struct vm *vm = opaque;

    vm->ctl.request_exit(&vm->ctl, VM_EXIT_TIMEOUT, 0);
    return G_SOURCE_REMOVE;
}

static void attach_source(struct vm *vm,
                          GSource *src,
                          GSourceFunc fn,
                          gpointer data,
                          GDestroyNotify destroy)
{
    g_source_set_callback(src, fn, data, destroy);
    g_source_attach(src, vm->ctx);
    g_source_unref(src);
}

/* SIGTERM, SIGINT, SIGHUP: end the VM; husk exits 128 + signal.  Read
 * from a signalfd in the main loop, not with glib's unix signal sources:
 * those start a worker thread that the sandbox would have no role for. */
static const int stop_signals[] = {SIGTERM, SIGINT, SIGHUP};

static gboolean on_stop_signal(gint fd, GIOCondition cond, gpointer opaque)
{
    struct vm *vm = opaque;
    struct signalfd_siginfo si;

    while (read(fd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
        vm->ctl.request_exit(&vm->ctl, VM_EXIT_SIGNAL, (int)si.ssi_signo);
    }
    return G_SOURCE_CONTINUE;
}

static bool watch_stop_signals(struct vm *vm, GError **errp)
{
    sigset_t set;

    sigemptyset(&set);
    for (unsigned i = 0; i < G_N_ELEMENTS(stop_signals); i++) {
        sigaddset(&set, stop_signals[i]);
    }
    /* Blocked in this thread, and so in the vCPU threads it starts. */
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    vm->sig_fd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
    if (vm->sig_fd < 0) {
        g_set_error(errp, HUSK_ERROR, HUSK_EXIT_OSERR, "signalfd: %s",
                    g_strerror(errno));
        return false;
    }
    attach_source(vm, g_unix_fd_source_new(vm->sig_fd, G_IO_IN),
                  G_SOURCE_FUNC(on_stop_signal), vm, NULL);
    return true;
}

void vm_wait_gate(struct vm *vm)
{
    g_mutex_lock(&vm->gate_lock);
    while (!vm->gate_open) {
        g_cond_wait(&vm->gate_cond, &vm->gate_lock);
    }
    g_mutex_unlock(&vm->gate_lock);
}

static void open_gate(struct vm *vm)
{
    g_mutex_lock(&vm->gate_lock);
    vm->gate_open = true;
    g_cond_broadcast(&vm->gate_cond);
    g_mutex_unlock(&vm->gate_lock);
}

/* What Landlock leaves reachable: the files on the command line. */
static bool jail(struct vm *vm, GError **errp)
{
    struct sandbox_file files[VM_MAX_DISKS + 2];
    unsigned n = 0;

    if (!vm->cfg.restore) {
        files[n++] = (struct sandbox_file){vm->cfg.kernel, false};
    }
    if (vm->cfg.initrd && !vm->cfg.initrd_data && !vm->cfg.restore) {
        files[n++] = (struct sandbox_file){vm->cfg.initrd, false};
    }
    for (unsigned i = 0; i < vm->cfg.nr_disks; i++) {
        files[n++] = (struct sandbox_file){vm->cfg.disks[i].path,
                                           !vm->cfg.disks[i].read_only};
    }
    return sandbox_jail(files, n, SANDBOX_JAIL_LIMIT_FDS | SANDBOX_JAIL_NO_NET,
                        errp);
}

/* --snapshot-on: the guest wrote the marker. */
static void snapshot_on_marker(struct vm *vm)
{
    g_autoptr(GError) err = NULL;
    gint64 t0 = g_get_monotonic_time();

    if (!snap_take(vm, &vm->snap_on, vm->cfg.snapshot_exit, &err)) {
        vm_report_error(vm, "%s", err->message);
        return;
    }
    g_printerr("husk: snapshot written to %s (%.1f ms)\n", vm->snap_on.dir,
               (double)(g_get_monotonic_time() - t0) / 1000.0);
    if (vm->cfg.snapshot_exit) {
        vm->ctl.request_exit(&vm->ctl, VM_EXIT_QUIT, 0);
    }
}

int vm_run(struct vm *vm)
{
    GError *err = NULL;
    int status;

    g_main_context_push_thread_default(vm->ctx);

    if (vm->cfg.timeout > 0) {
        attach_source(vm, g_timeout_source_new((guint)(vm->cfg.timeout * 1000)),
                      on_timeout, vm, NULL);
    }
    if (!watch_stop_signals(vm, &err) || !jail(vm, &err)) {
        vm_report_error(vm, "%s", err->message);
        g_clear_error(&err);
    }

    console_start(&vm->console);

    for (unsigned i = 0; i < vm->nr_vcpus && !vm_stopping(vm); i++) {
        if (!vcpu_start(&vm->vcpus[i], &err)) {
            vm_report_error(vm, "%s", err->message);
            g_clear_error(&err);
            break;
        }
    }
    /* Last: threads started before this keep their own filters. */
    {
        int r = sandbox_enter(SANDBOX_MAIN, "main");

        if (r < 0) {
            vm_report_error(vm, "cannot enter the sandbox: %s", g_strerror(-r));
        }
    }
    open_gate(vm);
    while (!vm_stopping(vm)) {
        g_main_context_iteration(vm->ctx, TRUE);
        if (__atomic_exchange_n(&vm->snap_pending, 0, __ATOMIC_ACQ_REL)) {
            snapshot_on_marker(vm);
        }
    }
    for (unsigned i = 0; i < vm->nr_vcpus; i++) {
        vcpu_join(&vm->vcpus[i]);
    }
    tl_mark(TL_VM_EXIT, 0);
    if (tl_enabled()) {
        note_memory(vm);
    }
    if (vm->exit_reason == VM_EXIT_PANIC) {
        api_event(&vm->api, API_EV_GUEST_PANICKED, NULL, 0, 0);
    }
    api_event(&vm->api, API_EV_SHUTDOWN, vm_exit_reason_name(vm->exit_reason),
              0, 0);
    /* COMMAND's last output, queued before the init ended the VM. */
    for (unsigned i = 0; vm->xcon && i < G_N_ELEMENTS(vm->pumps); i++) {
        pump_finish(&vm->pumps[i], EXEC_FLUSH_IDLE_MS);
    }
    console_stop(&vm->console);
    status = vm_exit_status(vm->exit_reason, vm->exit_status);
    if (vm->exit_reason == VM_EXIT_ERROR) {
        g_printerr("husk: %s\n", vm->error ? vm->error : "VM failed");
    } else if (vm->exit_reason == VM_EXIT_TIMEOUT) {
        g_printerr("husk: timeout after %g s, VM stopped\n", vm->cfg.timeout);
    } else if (vm->exit_reason == VM_EXIT_PANIC) {
        g_printerr("husk: guest kernel panicked\n");
    }
    return status;
}

void vm_destroy(struct vm *vm)
{
    api_stop(&vm->api);
    unmap_inputs(vm);
    for (unsigned i = 0; i < VM_MAX_DISKS; i++) {
        if (vm->blk[i]) {
            vblk_cleanup(vm->blk[i]);
            g_free(vm->blk[i]);
        }
        if (vm->disk_be[i]) {
            vm->disk_be[i]->ops->close(vm->disk_be[i]);
        }
    }
    for (unsigned i = 0; i < VM_MAX_NICS; i++) {
        if (vm->net[i]) {
            vnet_cleanup(vm->net[i]);
            g_free(vm->net[i]);
        }
    }
    for (unsigned i = 0; i < VM_MAX_NICS; i++) {
        bproc_stop(&vm->nic_proc[i], 1000);
        if (vm->vnic[i]) {
            vudev_cleanup(vm->vnic[i]);
            g_free(vm->vnic[i]);
        }
    }
    for (unsigned i = 0; i < VM_MAX_DISKS; i++) {
        /* The daemon first (SIGTERM: it flushes and ends), then its
         * socket. */
        bproc_stop(&vm->disk_proc[i], 5000);
        if (vm->vdisk[i]) {
            vudev_cleanup(vm->vdisk[i]);
            g_free(vm->vdisk[i]);
        }
        g_free(vm->disk_format[i]);
    }
    if (vm->vsock) {
        vudev_cleanup(vm->vsock);
        g_free(vm->vsock);
    }
    for (unsigned i = 0; i < VM_MAX_SHARES; i++) {
        /* virtiofsd first (SIGTERM: it ends quietly; a closed socket
         * makes it complain), then its socket. */
        bproc_stop(&vm->share_proc[i], 1000);
        if (vm->share[i]) {
            vudev_cleanup(vm->share[i]);
            g_free(vm->share[i]);
        }
    }
    if (vm->xcon) {
        for (unsigned i = 0; i < G_N_ELEMENTS(vm->pumps); i++) {
            pump_cleanup(&vm->pumps[i]);
        }
        vcon_cleanup(vm->xcon);
        g_free(vm->xcon);
        vm->xcon = NULL;
    }
    if (vm->vcon) {
        vcon_cleanup(vm->vcon);
        g_free(vm->vcon);
    }
    if (vm->rng) {
        vrng_cleanup(vm->rng);
        g_free(vm->rng);
    }
    for (unsigned i = 0; i < vm->nr_virtio; i++) {
        vm_virtio_cleanup(vm->virtio[i]);
    }
    for (unsigned i = 0; i < vm->nr_vcpus_created; i++) {
        vcpu_destroy(&vm->vcpus[i]);
    }
    g_free(vm->vcpus);
    if (vm->ctx) {
        if (g_main_context_get_thread_default() == vm->ctx) {
            g_main_context_pop_thread_default(vm->ctx);
        }
        g_main_context_unref(vm->ctx);
    }
    if (vm->console.ring) {
        console_cleanup(&vm->console);
    }
    if (vm->ram_low) {
        munmap(vm->ram_low, vm->ram_low_size);
    }
    if (vm->ram_high) {
        munmap(vm->ram_high, vm->ram_high_size);
    }
    if (vm->ram_fd >= 0) {
        close(vm->ram_fd);
    }
    if (vm->fd >= 0) {
        close(vm->fd);
    }
    if (vm->sig_fd >= 0) {
        close(vm->sig_fd);
    }
    g_mutex_clear(&vm->gate_lock);
    g_cond_clear(&vm->gate_cond);
    g_mutex_clear(&vm->pause_lock);
    g_cond_clear(&vm->pause_cond);
    snap_files_close(&vm->snap_on);
    if (vm->pagemap_fd >= 0) {
        close(vm->pagemap_fd);
    }
    serial8250_cleanup(&vm->com1);
    vm_arch_destroy(vm);
    kvm_close(&vm->kvm);
    g_free(vm->error);
}
