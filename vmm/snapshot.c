/*
 * snapshot.c: taking a snapshot of a running VM (snapshot.h).
 *
 * Order: park the vCPUs (each completes its last exit: KVM API
 * "kvm_run", the note on completing I/O before reading state), let the
 * I/O thread finish what the devices have in flight, then read the
 * state, write guest memory, and write the manifest last.  The vCPUs stay
 * parked throughout, so memory and state are of one instant.
 */
#define G_LOG_DOMAIN "husk"
#include "vmm/snapshot.h"

#include <errno.h>
#include <fcntl.h>
#include <link.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/error.h"
#include "lib/state.h"
#include "lib/util.h"
#include "vmm/snapshot_arch.h"
#include "vmm/timeline.h"
#include "vmm/vm.h"

#define PAGE 4096u
/* Bounds of a snapshot: how long the vCPUs may take to park and the
 * devices to finish their requests. */
#define SNAP_PAUSE_MS 2000
#define SNAP_DRAIN_MS 5000

const char *snap_unsupported(const struct vm *vm)
{
    if (vm_arch_snapshot_unsupported(vm)) {
        return vm_arch_snapshot_unsupported(vm);
    }
    if (vm->cfg.nr_shares) {
        return "--share (virtio-fs keeps its state in virtiofsd)";
    }
    for (unsigned i = 0; i < vm->cfg.nr_disks; i++) {
        if (vm->cfg.disks[i].vhost_user) {
            /* Someone else's backend: husk cannot start it again on
             * restore. */
            return "--disk vhost-user=SOCKET";
        }
    }
    if (vm->cfg.exec_ports) {
        return "husk exec";
    }
    for (unsigned i = 0; i < vm->cfg.nr_nets; i++) {
        if (vm->cfg.nets[i].kind == VM_NET_TAP && vm->vnic[i]) {
            /* Not tried yet: the rings are the kernel's. */
            return "--net tap on vhost-net (vhost=off allows one)";
        }
    }
    if (vm->cfg.vsock_cid) {
        /* The connections live in the host kernel's vhost-vsock. */
        return "--vsock";
    }
    return NULL;
}

/* The ELF build ID note of this executable, in hex. */
static int find_build_id(struct dl_phdr_info *info, size_t size, void *data)
{
    char **out = data;

    for (unsigned i = 0; i < info->dlpi_phnum && !*out; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        const uint8_t *p, *end;

        if (ph->p_type != PT_NOTE) {
            continue;
        }
        p = (const uint8_t *)(info->dlpi_addr + ph->p_vaddr);
        end = p + ph->p_memsz;
        while (p + sizeof(ElfW(Nhdr)) <= end) {
            const ElfW(Nhdr) *n = (const void *)p;
            const uint8_t *name = p + sizeof(*n);
            const uint8_t *desc = name + ((n->n_namesz + 3) & ~3u);

            if (desc + n->n_descsz > end) {
                break;
            }
            if (n->n_type == NT_GNU_BUILD_ID && n->n_namesz == 4 &&
                !memcmp(name, "GNU", 4)) {
                GString *s = g_string_new(NULL);

                for (unsigned j = 0; j < n->n_descsz; j++) {
                    g_string_append_printf(s, "%02x", desc[j]);
                }
                *out = g_string_free(s, FALSE);
                break;
            }
            p = desc + ((n->n_descsz + 3) & ~3u);
        }
    }
    return *out != NULL; /* the first object is the executable */
}

const char *snap_husk_build(void)
{
    static char *build;

    if (!build) {
        g_autofree char *id = NULL;

        dl_iterate_phdr(find_build_id, &id);
        build = id ? g_strdup_printf("%s build-id %s", HUSK_VERSION, id)
                   : g_strdup(HUSK_VERSION);
    }
    return build;
}

static bool all_quiesced(struct vm *vm)
{
    for (unsigned i = 0; i < vm->nr_virtio; i++) {
        if (!virtio_dev_quiesced(vm->virtio[i]->dev)) {
            return false;
        }
    }
    return true;
}

/* Queues served by a backend process (vhost-user: husk-slirp,
 * qemu-storage-daemon) are taken back first; one whose backend holds a
 * request is handed back and asked again after the I/O thread ran. */
static void resume_all(struct vm *vm)
{
    for (unsigned i = 0; i < vm->nr_virtio; i++) {
        virtio_dev_resume(vm->virtio[i]->dev);
        /* A kick that came while the ring was stopped may be lost. */
        virtio_dev_kick_all(vm->virtio[i]->dev);
    }
}

static bool suspend_all(struct vm *vm)
{
    for (unsigned i = 0; i < vm->nr_virtio; i++) {
        if (virtio_dev_suspend(vm->virtio[i]->dev) < 0) {
            resume_all(vm);
            return false;
        }
    }
    return true;
}

/* The I/O thread's own loop, run here until nothing is in flight. */
static bool drain(struct vm *vm, GError **errp)
{
    gint64 deadline = g_get_monotonic_time() + SNAP_DRAIN_MS * 1000;

    while (!all_quiesced(vm) || !suspend_all(vm)) {
        if (vm_stopping(vm) || g_get_monotonic_time() > deadline) {
            g_set_error(errp, HUSK_ERROR, HUSK_EXIT_SOFTWARE,
                        "snapshot: a device still has requests in flight "
                        "after %u ms",
                        SNAP_DRAIN_MS);
            return false;
        }
        if (!g_main_context_iteration(vm->ctx, FALSE)) {
            g_usleep(1000);
        }
    }
    return true;
}

static bool write_all(int fd, const void *buf, size_t len, off_t off)
{
    const uint8_t *p = buf;

    while (len) {
        ssize_t n = pwrite(fd, p, len, off);

        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            if (n == 0) {
                errno = EIO;
            }
            return false;
        }
        p += n;
        len -= (size_t)n;
        off += n;
    }
    return true;
}

static bool write_fail(GError **errp,
                       const struct snap_files *f,
                       const char *name)
{
    g_set_error(errp, HUSK_ERROR, HUSK_EXIT_CANTCREAT,
                "snapshot: cannot write %s/%s: %s", f->dir, name,
                g_strerror(errno));
    return false;
}

static bool is_zero_page(const uint8_t *p)
{
    return p[0] == 0 && !memcmp(p, p + 1, PAGE - 1);
}

void snap_memory_hash_page(GChecksum *h, uint64_t off, const uint8_t *page)
{
    uint8_t le[8];

    for (unsigned i = 0; i < 8; i++) {
        le[i] = (uint8_t)(off >> (8 * i));
    }
    g_checksum_update(h, le, sizeof(le));
    g_checksum_update(h, page, PAGE);
}

/* Where guest RAM holds data from byte `from` of region i on: for RAM
 * that is a memfd, its next data extent (SEEK_DATA/SEEK_HOLE: reading a
 * shared-memory hole would allocate it); anonymous RAM is read
 * throughout (an untouched page reads as the shared zero page). */
#define PM_PRESENT (1ULL << 63)
#define PM_SWAPPED (1ULL << 62)
#define PM_CHUNK 4096 /* entries read at a time: 16 MiB of guest RAM */

/* For anonymous RAM, /proc/self/pagemap: a page neither present nor
 * swapped out was never touched (or given back) and reads as zeros, so
 * only the extents of pages that are there need a look.  false if
 * pagemap cannot be read (then everything is scanned). */
static bool anon_extent(struct vm *vm,
                        const uint8_t *hva,
                        uint64_t size,
                        uint64_t from,
                        uint64_t *start,
                        uint64_t *end)
{
    static uint64_t pm[PM_CHUNK]; /* main thread only */
    bool in = false;

    if (vm->pagemap_fd < 0) {
        return false;
    }
    for (uint64_t p = from; p < size;) {
        uint64_t vpn = ((uintptr_t)hva + p) / PAGE;
        size_t n = (size_t)MIN((uint64_t)PM_CHUNK, (size - p) / PAGE);
        ssize_t got = pread(vm->pagemap_fd, pm, n * sizeof(pm[0]),
                            (off_t)(vpn * sizeof(pm[0])));

        if (got <= 0 || got % (ssize_t)sizeof(pm[0])) {
            return false;
        }
        n = (size_t)got / sizeof(pm[0]);
        for (size_t j = 0; j < n; j++, p += PAGE) {
            bool there = pm[j] & (PM_PRESENT | PM_SWAPPED);

            if (!in && there) {
                in = true;
                *start = p;
            } else if (in && !there) {
                *end = p;
                return true;
            }
        }
    }
    if (!in) {
        *start = size;
    }
    *end = size;
    return true;
}

static void next_extent(struct vm *vm,
                        unsigned i,
                        uint64_t from,
                        uint64_t *start,
                        uint64_t *end)
{
    uint64_t base = vm->ram[i].offset, size = vm->ram[i].size;
    const uint8_t *hva = i == 0 ? vm->ram_low : vm->ram_high;
    off_t d, h;

    *start = from;
    *end = size;
    if (vm->ram_fd < 0) {
        /* A restored VM's RAM is the snapshot's file: a page untouched
         * since reads from it, so everything is scanned. */
        if (vm->cfg.restore || !anon_extent(vm, hva, size, from, start, end)) {
            *start = from;
            *end = size;
        }
        return;
    }
    d = lseek(vm->ram_fd, (off_t)(base + from), SEEK_DATA);
    h = d < 0 ? -1 : lseek(vm->ram_fd, d, SEEK_HOLE);
    if (d < 0 || (uint64_t)d >= base + size) {
        *start = *end = size; /* holes to the end */
        return;
    }
    *start = (uint64_t)d - base;
    *end = h < 0 ? size : MIN((uint64_t)h - base, size);
}

/* Guest RAM, region after region; runs of non-zero pages are written,
 * zero pages left as holes.  The hash covers each non-zero page with its
 * offset, so it does not depend on how the file system keeps holes. */
static bool write_memory(struct vm *vm,
                         const struct snap_files *f,
                         GChecksum *h,
                         uint64_t *data,
                         GError **errp)
{
    void *hva[] = {vm->ram_low, vm->ram_high};
    uint64_t total = 0;

    for (unsigned i = 0; i < vm->nr_ram; i++) {
        total += vm->ram[i].size;
    }
    if (ftruncate(f->memory_fd, (off_t)total) < 0) {
        return write_fail(errp, f, "memory");
    }
    *data = 0;
    for (unsigned i = 0; i < vm->nr_ram; i++) {
        const uint8_t *base = hva[i];
        uint64_t size = vm->ram[i].size, off = vm->ram[i].offset;

        uint64_t ext = 0, ext_end = 0;

        for (uint64_t p = 0; p < size;) {
            uint64_t run;

            if (p >= ext_end) {
                next_extent(vm, i, p, &ext, &ext_end);
                p = ext & ~(uint64_t)(PAGE - 1);
                if (p >= size) {
                    break;
                }
            }
            if (is_zero_page(base + p)) {
                p += PAGE;
                continue;
            }
            for (run = p; run < ext_end && !is_zero_page(base + run);
                 run += PAGE) {
                snap_memory_hash_page(h, off + run, base + run);
            }
            if (!write_all(f->memory_fd, base + p, run - p, (off_t)(off + p))) {
                return write_fail(errp, f, "memory");
            }
            *data += run - p;
            p = run;
        }
    }
    return true;
}

static GKeyFile *collect_state(struct vm *vm, GError **errp)
{
    g_autoptr(GKeyFile) kf = g_key_file_new();
    struct st_writer w = {kf, "vm"};

    if (!snap_vm_save(vm->fd, &w, errp)) {
        return NULL;
    }
    for (unsigned i = 0; i < vm->nr_vcpus; i++) {
        g_autofree char *g = g_strdup_printf("vcpu%u", i);

        w.group = g;
        if (!snap_cpu_save(vm->vcpus[i].fd, &vm->kvm, vm->vcpus[i].identity, &w,
                           errp)) {
            return NULL;
        }
    }
    w.group = "com1";
    serial8250_save(&vm->com1, &w);
    for (unsigned i = 0; i < vm->nr_virtio; i++) {
        g_autofree char *g = g_strdup_printf("virtio%u", i);

        w.group = g;
        virtio_dev_save(vm->virtio[i]->dev, &w);
    }
    return g_steal_pointer(&kf);
}

/* What the manifest says of the VM, beyond husk run's options: enough to
 * refuse a snapshot whose parts do not fit together. */
static void describe_vm(struct vm *vm, GKeyFile *m)
{
    g_key_file_set_string_list(m, "vm", "argv",
                               (const char *const *)vm->cfg.run_argv,
                               (gsize)vm->cfg.run_argc);
    g_key_file_set_uint64(m, "vm", "memory", vm->cfg.mem);
    g_key_file_set_uint64(m, "vm", "cpus", vm->nr_vcpus);
    g_key_file_set_uint64(m, "vm", "regions", vm->nr_ram);
    for (unsigned i = 0; i < vm->nr_ram; i++) {
        g_autofree char *k = g_strdup_printf("region%u", i);
        guint64 v[3] = {vm->ram[i].gpa, vm->ram[i].size, vm->ram[i].offset};
        g_autofree char *s = g_strdup_printf(
            "%" G_GUINT64_FORMAT ",%" G_GUINT64_FORMAT ",%" G_GUINT64_FORMAT,
            v[0], v[1], v[2]);

        g_key_file_set_string(m, "vm", k, s);
    }
    g_key_file_set_uint64(m, "vm", "devices", vm->nr_virtio);
    for (unsigned i = 0; i < vm->nr_virtio; i++) {
        g_autofree char *k = g_strdup_printf("device%u", i);
        g_autofree char *s = g_strdup_printf(
            "%s@0x%" G_GINT64_MODIFIER "x:%u", vm->virtio[i]->dev->ops->name,
            vm->virtio[i]->base, vm->virtio[i]->gsi);

        g_key_file_set_string(m, "vm", k, s);
    }
    for (unsigned i = 0; i < vm->cfg.nr_disks; i++) {
        g_autofree char *k = g_strdup_printf("disk%u", i);
        struct stat st;
        g_autofree char *s = NULL;

        if (stat(vm->cfg.disks[i].path, &st) == 0) {
            s = g_strdup_printf("%" G_GUINT64_FORMAT ",%" G_GUINT64_FORMAT
                                ",%" G_GUINT64_FORMAT,
                                (guint64)(vm->disk_be[i] ? vm->disk_be[i]->size
                                                         : (guint64)st.st_size),
                                (guint64)st.st_dev, (guint64)st.st_ino);
            g_key_file_set_string(m, "vm", k, s);
        }
    }
}

bool snap_take(struct vm *vm,
               struct snap_files *f,
               bool keep_paused,
               GError **errp)
{
    g_autoptr(GKeyFile) state = NULL;
    g_autoptr(GKeyFile) m = g_key_file_new();
    g_autoptr(GChecksum) mh = g_checksum_new(G_CHECKSUM_SHA256);
    g_autofree char *sdata = NULL, *mdata = NULL, *created = NULL;
    gsize slen, mlen;
    uint64_t data = 0;
    const char *why = snap_unsupported(vm);
    gint64 t0 = g_get_monotonic_time();
    bool ok = false;
    int r;

    if (why) {
        g_set_error(errp, HUSK_ERROR, HUSK_EXIT_UNAVAILABLE,
                    "snapshot: not supported with %s", why);
        return false;
    }
    r = vcpu_pause_all(vm, SNAP_PAUSE_MS);
    if (r < 0) {
        g_set_error(errp, HUSK_ERROR, HUSK_EXIT_SOFTWARE,
                    "snapshot: the vCPUs did not stop: %s", g_strerror(-r));
        return false;
    }
    if (!drain(vm, errp) || !(state = collect_state(vm, errp))) {
        goto out;
    }
    sdata = g_key_file_to_data(state, &slen, NULL);
    if (ftruncate(f->state_fd, 0) < 0 ||
        !write_all(f->state_fd, sdata, slen, 0) || fdatasync(f->state_fd) < 0) {
        write_fail(errp, f, "state");
        goto out;
    }
    if (!write_memory(vm, f, mh, &data, errp)) {
        goto out;
    }
    if (fdatasync(f->memory_fd) < 0) {
        write_fail(errp, f, "memory");
        goto out;
    }
    {
        g_autoptr(GDateTime) now = g_date_time_new_now_utc();

        created = g_date_time_format_iso8601(now);
    }
    g_key_file_set_uint64(m, "snapshot", "format", SNAP_FORMAT);
    g_key_file_set_string(m, "snapshot", "husk", snap_husk_build());
    g_key_file_set_string(m, "snapshot", "created", created);
    describe_vm(vm, m);
    g_key_file_set_uint64(m, "files", "state.size", slen);
    {
        g_autofree char *sh = g_compute_checksum_for_data(
            G_CHECKSUM_SHA256, (guchar *)sdata, slen);

        g_key_file_set_string(m, "files", "state.sha256", sh);
    }
    {
        uint64_t total = 0;

        for (unsigned i = 0; i < vm->nr_ram; i++) {
            total += vm->ram[i].size;
        }
        g_key_file_set_uint64(m, "files", "memory.size", total);
    }
    g_key_file_set_uint64(m, "files", "memory.data", data);
    g_key_file_set_string(m, "files", "memory.sha256",
                          g_checksum_get_string(mh));
    mdata = g_key_file_to_data(m, &mlen, NULL);
    if (ftruncate(f->manifest_fd, 0) < 0 ||
        !write_all(f->manifest_fd, mdata, mlen, 0) ||
        fdatasync(f->manifest_fd) < 0) {
        write_fail(errp, f, "manifest");
        goto out;
    }
    ok = true;
    vm->snap_last_data = data;
    g_info("snapshot %s: %" PRIu64 " MiB of memory written, %.1f ms", f->dir,
           data / MiB, (double)(g_get_monotonic_time() - t0) / 1000.0);
out:
    resume_all(vm);
    if (!keep_paused || !ok) {
        vcpu_resume_all(vm);
    }
    return ok;
}
