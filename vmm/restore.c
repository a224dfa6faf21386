/*
 * restore.c: husk restore (restore.h).
 */
#define G_LOG_DOMAIN "husk"
#include "vmm/restore.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/error.h"
#include "lib/state.h"
#include "lib/util.h"
#include "vmm/cli.h"
#include "vmm/run.h"
#include "vmm/snapshot.h"
#include "vmm/snapshot_arch.h"
#include "vmm/snapshot_manifest.h"
#include "vmm/vm.h"

struct snap_image {
    char *dir;
    struct snap_manifest m;
    GKeyFile *state;
    char **argv; /* "run" and the snapshot's options: cfg points into it */
    int memory_fd;
    bool disks_replaced; /* restore's own --disk given */
};

static const char restore_usage[] =
    "Usage: husk restore DIR [OPTIONS]\n"
    "Resume the VM a snapshot in DIR holds (husk run --snapshot-on wrote "
    "it)\n"
    "where it stopped.  Guest memory is mapped from DIR/memory, private\n"
    "and copy-on-write: VMs restored from one snapshot share its pages.\n"
    "\n"
    "  -d, --disk SPEC      instead of the snapshot's disks, in order (as\n"
    "                       many as it had): a clone's own copies\n"
    "      --net SPEC       instead of its NICs, in order\n"
    "      --paused         restore, but keep the vCPUs stopped (resume\n"
    "                       them through the control socket)\n"
    "      --api-socket PATH  a control socket (as husk run's)\n"
    "      --verify         check guest memory against the manifest's\n"
    "                       SHA-256 first (reads all of it)\n"
    "      --timeout SECONDS  stop the VM after SECONDS (status 124)\n"
    "      --no-sandbox     run without the sandbox (debugging only)\n"
    "  -h, --help           this help\n"
    "\n"
    "Exit status: what husk run's would be once the guest runs; before:\n"
    "64 bad option; 65 the snapshot is damaged or its parts do not fit\n"
    "together; 66 a file of it is missing or unreadable; 69 it was written\n"
    "by another husk build, or this CPU lacks features its guest used.\n";

static bool bad(GError **errp, int code, const char *fmt, ...)
    G_GNUC_PRINTF(3, 4);

static bool bad(GError **errp, int code, const char *fmt, ...)
{
    va_list ap;
    g_autofree char *msg = NULL;

    va_start(ap, fmt);
    msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    g_set_error(errp, HUSK_ERROR, code, "restore: %s", msg);
    return false;
}

/* A whole small file of the snapshot, at most max bytes. */
static char *read_part(const char *dir,
                       const char *name,
                       size_t max,
                       size_t *len,
                       GError **errp)
{
    g_autofree char *p = g_build_filename(dir, name, NULL);
    int fd = open(p, O_RDONLY | O_CLOEXEC);
    struct stat st;
    char *buf;
    size_t got = 0;

    if (fd < 0) {
        bad(errp, HUSK_EXIT_NOINPUT, "%s: %s", p, g_strerror(errno));
        return NULL;
    }
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) ||
        (uint64_t)st.st_size > max) {
        bad(errp, HUSK_EXIT_DATAERR,
            "%s: not a regular file of at most %zu "
            "bytes",
            p, max);
        close(fd);
        return NULL;
    }
    buf = g_malloc((size_t)st.st_size + 1);
    while (got < (size_t)st.st_size) {
        ssize_t n = read(fd, buf + got, (size_t)st.st_size - got);

        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            break;
        }
        got += (size_t)n;
    }
    close(fd);
    if (got != (size_t)st.st_size) {
        bad(errp, HUSK_EXIT_NOINPUT, "%s: short read", p);
        g_free(buf);
        return NULL;
    }
    buf[got] = '\0';
    *len = got;
    return buf;
}

static bool load_keyfile(GKeyFile *kf,
                         const char *data,
                         size_t len,
                         const char *what,
                         GError **errp)
{
    g_autoptr(GError) e = NULL;

    if (memchr(data, '\0', len) ||
        !g_key_file_load_from_data(kf, data, len, G_KEY_FILE_NONE, &e)) {
        return bad(errp, HUSK_EXIT_DATAERR, "%s is damaged: %s", what,
                   e ? e->message : "it holds a NUL byte");
    }
    return true;
}

static bool sha_matches(const char *data, size_t len, const char *want)
{
    g_autofree char *h = g_compute_checksum_for_data(G_CHECKSUM_SHA256,
                                                     (const guchar *)data, len);

    return want && !strcmp(h, want);
}

/* Every page of the memory file hashed as snapshot.c wrote it. */
static bool verify_memory(struct snap_image *img,
                          const char *want,
                          GError **errp)
{
    g_autoptr(GChecksum) h = g_checksum_new(G_CHECKSUM_SHA256);
    uint8_t *m;
    static const uint8_t zero[4096];

    if (!img->m.memory_size) {
        return true;
    }
    m = mmap(NULL, img->m.memory_size, PROT_READ, MAP_PRIVATE, img->memory_fd,
             0);
    if (m == MAP_FAILED) {
        return bad(errp, HUSK_EXIT_NOINPUT, "%s/memory: %s", img->dir,
                   g_strerror(errno));
    }
    madvise(m, img->m.memory_size, MADV_SEQUENTIAL);
    for (uint64_t off = 0; off < img->m.memory_size; off += 4096) {
        if (memcmp(m + off, zero, 4096)) {
            snap_memory_hash_page(h, off, m + off);
        }
    }
    munmap(m, img->m.memory_size);
    if (!want || strcmp(g_checksum_get_string(h), want)) {
        return bad(errp, HUSK_EXIT_DATAERR,
                   "%s/memory does not match its checksum", img->dir);
    }
    return true;
}

static void image_free(struct snap_image *img)
{
    snap_manifest_clear(&img->m);
    if (img->state) {
        g_key_file_free(img->state);
    }
    if (img->memory_fd >= 0) {
        close(img->memory_fd);
    }
    g_strfreev(img->argv);
    g_free(img->dir);
    memset(img, 0, sizeof(*img));
    img->memory_fd = -1;
}

/* The manifest, the state and the memory file, each checked against
 * what the manifest says of it. */
static bool image_open(struct snap_image *img,
                       const char *dir,
                       bool verify,
                       GError **errp)
{
    g_autofree char *mdata = NULL, *sdata = NULL, *mp = NULL;
    size_t mlen, slen, nargs;
    struct stat st;

    img->dir = g_strdup(dir);
    img->state = g_key_file_new();
    mdata = read_part(dir, "manifest", SNAP_MANIFEST_MAX, &mlen, errp);
    if (!mdata) {
        return false;
    }
    if (!snap_manifest_parse(&img->m, mdata, mlen, snap_husk_build(), errp)) {
        g_prefix_error(errp, "restore: %s: ", dir);
        return false;
    }
    sdata = read_part(dir, "state", SNAP_STATE_MAX, &slen, errp);
    if (!sdata) {
        return false;
    }
    if (slen != img->m.state_size ||
        !sha_matches(sdata, slen, img->m.state_sha256)) {
        return bad(errp, HUSK_EXIT_DATAERR,
                   "%s/state does not match its size and checksum in the "
                   "manifest",
                   dir);
    }
    if (!load_keyfile(img->state, sdata, slen, "the state", errp)) {
        return false;
    }
    mp = g_build_filename(dir, "memory", NULL);
    img->memory_fd = open(mp, O_RDONLY | O_CLOEXEC);
    if (img->memory_fd < 0) {
        return bad(errp, HUSK_EXIT_NOINPUT, "%s: %s", mp, g_strerror(errno));
    }
    if (fstat(img->memory_fd, &st) < 0 || !S_ISREG(st.st_mode) ||
        (uint64_t)st.st_size != img->m.memory_size) {
        return bad(errp, HUSK_EXIT_DATAERR,
                   "%s is not the %" PRIu64 " bytes the manifest says", mp,
                   img->m.memory_size);
    }
    if (verify && !verify_memory(img, img->m.memory_sha256, errp)) {
        return false;
    }
    nargs = g_strv_length(img->m.argv);
    img->argv = g_new0(char *, nargs + 2);
    img->argv[0] = g_strdup("run");
    for (size_t i = 0; i < nargs; i++) {
        img->argv[i + 1] = g_strdup(img->m.argv[i]);
    }
    return true;
}

int snap_image_memory_fd(const struct vm *vm)
{
    return vm->cfg.restore->memory_fd;
}

bool snap_image_copy_memory(const struct vm *vm,
                            void *hva,
                            uint64_t size,
                            uint64_t off,
                            GError **errp)
{
    int fd = vm->cfg.restore->memory_fd;
    uint64_t end = off + size, pos = off;

    if (end > vm->cfg.restore->m.memory_size || end < off) {
        return bad(errp, HUSK_EXIT_DATAERR,
                   "guest memory is larger than the memory file");
    }
    while (pos < end) {
        off_t data = lseek(fd, (off_t)pos, SEEK_DATA), hole;

        if (data < 0 && errno == ENXIO) {
            break; /* only holes from here on */
        }
        hole = data < 0 ? -1 : lseek(fd, data, SEEK_HOLE);
        if (data < 0 || hole < 0) {
            return bad(errp, HUSK_EXIT_NOINPUT, "%s/memory: %s",
                       vm->cfg.restore->dir, g_strerror(errno));
        }
        if ((uint64_t)data >= end) {
            break;
        }
        for (uint64_t p = (uint64_t)data; p < MIN((uint64_t)hole, end);) {
            ssize_t n = pread(fd, (uint8_t *)hva + (p - off),
                              MIN((uint64_t)hole, end) - p, (off_t)p);

            if (n < 0 && errno == EINTR) {
                continue;
            }
            if (n <= 0) {
                return bad(errp, HUSK_EXIT_NOINPUT, "%s/memory: %s",
                           vm->cfg.restore->dir,
                           n < 0 ? g_strerror(errno) : "short read");
            }
            p += (uint64_t)n;
        }
        pos = (uint64_t)hole;
    }
    return true;
}

bool snap_image_check_layout(const struct vm *vm, GError **errp)
{
    const struct snap_manifest *m = &vm->cfg.restore->m;

    if (m->memory != vm->cfg.mem || m->cpus != vm->nr_vcpus ||
        m->nr_regions != vm->nr_ram) {
        return bad(errp, HUSK_EXIT_DATAERR,
                   "the manifest's memory, CPUs or regions are not what its "
                   "configuration makes");
    }
    for (unsigned i = 0; i < vm->nr_ram; i++) {
        if (m->region[i].gpa != vm->ram[i].gpa ||
            m->region[i].size != vm->ram[i].size ||
            m->region[i].offset != vm->ram[i].offset) {
            return bad(errp, HUSK_EXIT_DATAERR,
                       "the manifest's memory region %u is not what its "
                       "configuration makes",
                       i);
        }
    }
    return true;
}

static bool check_devices(struct vm *vm, GError **errp)
{
    const struct snap_manifest *m = &vm->cfg.restore->m;

    if (m->nr_devices != vm->nr_virtio) {
        return bad(errp, HUSK_EXIT_DATAERR,
                   "the snapshot has %u devices, its configuration makes %u",
                   m->nr_devices, vm->nr_virtio);
    }
    for (unsigned i = 0; i < vm->nr_virtio; i++) {
        g_autofree char *mine = g_strdup_printf(
            "%s@0x%" G_GINT64_MODIFIER "x:%u", vm->virtio[i]->dev->ops->name,
            vm->virtio[i]->base, vm->virtio[i]->gsi);

        if (strcmp(m->device[i], mine)) {
            return bad(errp, HUSK_EXIT_DATAERR,
                       "device %u is %s in the snapshot, the configuration "
                       "makes %s",
                       i, m->device[i], mine);
        }
    }
    for (unsigned i = 0; i < vm->cfg.nr_disks && i < SNAP_MAX_DISKS; i++) {
        if (!m->disk[i].known) {
            return bad(errp, HUSK_EXIT_DATAERR, "disk %u is not described", i);
        }
        if (vm->disk_be[i] && vm->disk_be[i]->size != m->disk[i].size) {
            return bad(errp, HUSK_EXIT_DATAERR,
                       "disk %u (%s) is %" PRIu64
                       " bytes, the snapshot's "
                       "was %" PRIu64,
                       i, vm->cfg.disks[i].path, vm->disk_be[i]->size,
                       m->disk[i].size);
        }
        {
            struct stat st;

            /* Same name, another file (replaced, or another machine): the
             * guest's cached view of the disk may not be what is on it. */
            if (!vm->cfg.restore->disks_replaced &&
                stat(vm->cfg.disks[i].path, &st) == 0 &&
                ((uint64_t)st.st_dev != m->disk[i].dev ||
                 (uint64_t)st.st_ino != m->disk[i].ino)) {
                g_printerr(
                    "husk: restore: warning: disk %u (%s) is not the "
                    "file the snapshot was taken with (another "
                    "inode)\n",
                    i, vm->cfg.disks[i].path);
            }
        }
    }
    return true;
}

bool snap_image_load(struct vm *vm, GError **errp)
{
    struct snap_image *img = vm->cfg.restore;
    struct st_reader r = {img->state, "vm", NULL};

    if (!check_devices(vm, errp)) {
        return false;
    }
    if (!snap_vm_load(vm->fd, &r, errp)) {
        g_prefix_error(errp, "restore: ");
        return false;
    }
    for (unsigned i = 0; i < vm->nr_vcpus; i++) {
        g_autofree char *g = g_strdup_printf("vcpu%u", i);

        g_autofree void *model = snap_cpu_model(&vm->kvm, i, vm->nr_vcpus);

        r = (struct st_reader){img->state, g, NULL};
        if (!snap_cpu_load(vm->vcpus[i].fd, &vm->kvm, model, &r,
                           &vm->vcpus[i].identity, errp)) {
            g_prefix_error(errp, "restore: vCPU %u: ", i);
            return false;
        }
    }
    r = (struct st_reader){img->state, "com1", NULL};
    serial8250_load(&vm->com1, &r);
    for (unsigned i = 0; i < vm->nr_virtio && !st_failed(&r); i++) {
        g_autofree char *g = g_strdup_printf("virtio%u", i);

        r = (struct st_reader){img->state, g, NULL};
        virtio_dev_load(vm->virtio[i]->dev, &r);
    }
    if (!st_finish(&r, errp)) {
        g_prefix_error(errp, "restore: state ");
        return false;
    }
    /* A kick the guest made just before the snapshot may be in no ring
     * husk looked at: look at each once. */
    for (unsigned i = 0; i < vm->nr_virtio; i++) {
        virtio_dev_kick_all(vm->virtio[i]->dev);
    }
    return true;
}

/* The restore's own --disk and --net stand for the snapshot's. */
static bool replace_devices(struct vm_config *cfg,
                            char **disks,
                            unsigned nr_disks,
                            char **nets,
                            unsigned nr_nets,
                            GError **errp)
{
    if (nr_disks && nr_disks != cfg->nr_disks) {
        return bad(errp, HUSK_EXIT_USAGE,
                   "--disk given %u times; the snapshot has %u disks", nr_disks,
                   cfg->nr_disks);
    }
    if (nr_nets && nr_nets != cfg->nr_nets) {
        return bad(errp, HUSK_EXIT_USAGE,
                   "--net given %u times; the snapshot has %u NICs", nr_nets,
                   cfg->nr_nets);
    }
    for (unsigned i = 0; i < nr_disks; i++) {
        struct vm_disk_config d = {0};
        const char *why = NULL;

        if (!cli_parse_disk(disks[i], &d, &why)) {
            return bad(errp, HUSK_EXIT_USAGE, "--disk '%s': %s", disks[i], why);
        }
        d.spec = disks[i];
        cli_disk_config_clear(&cfg->disks[i]);
        cfg->disks[i] = d;
    }
    for (unsigned i = 0; i < nr_nets; i++) {
        struct vm_net_config n = {0};
        g_autofree char *why = NULL;

        if (!cli_parse_net(nets[i], i, &n, &why)) {
            return bad(errp, HUSK_EXIT_USAGE, "--net '%s': %s", nets[i], why);
        }
        n.spec = nets[i];
        cli_net_config_clear(&cfg->nets[i]);
        cfg->nets[i] = n;
    }
    return true;
}

int restore_main(int argc, char **argv)
{
    enum {
        OPT_NET = 256,
        OPT_PAUSED,
        OPT_VERIFY,
        OPT_TIMEOUT,
        OPT_NO_SANDBOX,
        OPT_API_SOCKET,
    };
    static const struct option opts[] = {
        {"disk", required_argument, NULL, 'd'},
        {"net", required_argument, NULL, OPT_NET},
        {"paused", no_argument, NULL, OPT_PAUSED},
        {"verify", no_argument, NULL, OPT_VERIFY},
        {"timeout", required_argument, NULL, OPT_TIMEOUT},
        {"no-sandbox", no_argument, NULL, OPT_NO_SANDBOX},
        {"api-socket", required_argument, NULL, OPT_API_SOCKET},
        {"help", no_argument, NULL, 'h'},
        {0},
    };
    g_autoptr(GError) err = NULL;
    char *disks[VM_MAX_DISKS], *nets[VM_MAX_NICS];
    unsigned nr_disks = 0, nr_nets = 0;
    bool paused = false, verify = false, no_sandbox = false;
    double timeout = 0;
    const char *api_socket = NULL;
    struct snap_image img = {.memory_fd = -1};
    struct vm_config cfg;
    enum config_action action;
    const char *dir;
    int c, status;

    opterr = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, ":d:h", opts, NULL)) != -1) {
        switch (c) {
        case 'd':
            if (nr_disks >= VM_MAX_DISKS) {
                g_printerr("husk: restore: at most %d disks\n", VM_MAX_DISKS);
                return HUSK_EXIT_USAGE;
            }
            disks[nr_disks++] = optarg;
            break;
        case OPT_NET:
            if (nr_nets >= VM_MAX_NICS) {
                g_printerr("husk: restore: at most %d NICs\n", VM_MAX_NICS);
                return HUSK_EXIT_USAGE;
            }
            nets[nr_nets++] = optarg;
            break;
        case OPT_PAUSED:
            paused = true;
            break;
        case OPT_VERIFY:
            verify = true;
            break;
        case OPT_NO_SANDBOX:
            no_sandbox = true;
            break;
        case OPT_API_SOCKET:
            api_socket = optarg;
            break;
        case OPT_TIMEOUT:
            if (!cli_parse_seconds(optarg, &timeout)) {
                g_printerr(
                    "husk: restore: --timeout '%s': expected a number "
                    "of seconds\n",
                    optarg);
                return HUSK_EXIT_USAGE;
            }
            break;
        case 'h':
            fputs(restore_usage, stdout);
            return 0;
        case ':':
            g_printerr("husk: restore: option '%s' needs a value\n",
                       argv[optind - 1]);
            return HUSK_EXIT_USAGE;
        default:
            g_printerr(
                "husk: restore: unknown option '%s' (see husk restore "
                "--help)\n",
                argv[optind - 1]);
            return HUSK_EXIT_USAGE;
        }
    }
    if (optind != argc - 1) {
        g_printerr(
            "husk: restore: expected one snapshot directory (husk "
            "restore DIR [OPTIONS])\n");
        return HUSK_EXIT_USAGE;
    }
    dir = argv[optind];
    if (!image_open(&img, dir, verify, &err)) {
        g_printerr("husk: %s\n", err->message);
        status = err->code;
        image_free(&img);
        return status;
    }
    if (!config_parse_run((int)g_strv_length(img.argv), img.argv, &cfg, &action,
                          &err) ||
        action != CONFIG_RUN) {
        g_printerr(
            "husk: restore: %s: the manifest's configuration is not "
            "valid: %s\n",
            dir, err ? err->message : "it asks for no VM");
        image_free(&img);
        return HUSK_EXIT_DATAERR;
    }
    if (!replace_devices(&cfg, disks, nr_disks, nets, nr_nets, &err)) {
        g_printerr("husk: %s\n", err->message);
        config_clear(&cfg);
        image_free(&img);
        return HUSK_EXIT_USAGE;
    }
    /* What the original run was asked to do at its end is not the
     * restore's business. */
    g_clear_pointer(&cfg.snapshot_dir, g_free);
    cfg.snapshot_code = -1;
    cfg.snapshot_exit = false;
    cfg.timeout = timeout;
    cfg.api_socket = api_socket;
    cfg.timeline = false;
    cfg.timeline_path = NULL;
    /* The sandbox is the restore's choice, never the snapshot's. */
    cfg.sandbox = no_sandbox ? SANDBOX_OFF : config_default_sandbox();
    cfg.restore = &img;
    img.disks_replaced = nr_disks > 0;
    cfg.start_paused = paused;
    status = run_vm(&cfg, NULL, NULL);
    config_clear(&cfg);
    image_free(&img);
    return status;
}
