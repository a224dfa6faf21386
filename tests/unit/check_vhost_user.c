/*
 * check_vhost_user.c: virtio-fs over vhost-user (vhost_user_dev.h), the
 * transport and the test-side driver in this process, guest RAM on a
 * memfd as husk makes it, kick and call eventfds as KVM would have them.
 *
 *   hostile: a fake backend (fake_vhost_user.h) breaks the protocol one
 *     way per case; each must end in a clear error (setup) or NEEDS_RESET
 *     (running), in bounded time, with no descriptor kept, husk still up.
 *   virtiofsd_*: Debian's real virtiofsd serves FUSE requests from the
 *     driver through the rings; a reset stops its rings; killed, it
 *     leaves a device that fails requests with EIO instead of hanging.
 */
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/fuse.h>
#include <linux/virtio_mmio.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "devices/virtio/vhost_user_dev.h"
#include "devices/virtio/virtio_mmio.h"
#include "harness/check_run.h"
#include "harness/fake_vhost_user.h"
#include "harness/sandboxed.h"
#include "harness/test_vm.h"
#include "harness/vdriver.h"
#include "lib/util.h"
#include "lib/error.h"
#include "devices/backend/blk_file.h"
#include "vmm/qsd.h"
#include "vmm/virtiofsd.h"

#define RAM (4 * MiB)
#define BASE 0xd0000000ULL
#define QSZ 64
#define VIRTIO_ID_FS 26
#define REQ_Q 1 /* queue 0 is hiprio */

static struct test_mem tm;
static struct test_irq irq;
static struct bus bus;
static struct vudev dev;
static struct vdrv drv;
static int mem_fd, kick[2], callfd;

static void guest_side(void)
{
    mem_fd = test_mem_init_shared(&tm, RAM);
    ck_assert_int_ge(mem_fd, 0);
    test_irq_init(&irq);
    bus_init(&bus, "mmio");
    kick[0] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    kick[1] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    callfd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
}

static void plug(void)
{
    struct vudev_env env;

    vudev_env_init(&env);
    env.mem_fd = mem_fd;
    env.nr_regions = 1;
    env.region[0] = (struct vhu_region){0, RAM, (uintptr_t)tm.low, 0};
    env.kick_fd[0] = kick[0];
    env.kick_fd[1] = kick[1];
    env.call_fd = callfd;
    vudev_bind(&dev, &env);
    ck_assert_int_eq(bus_add(&bus, "fs", BASE, VIRTIO_MMIO_SIZE,
                             &virtio_mmio_ops, &dev.vdev),
                     0);
}

static void bring_up(void)
{
    vdrv_init(&drv, &tm, &bus, BASE, 0x10000, RAM);
    vdrv_bringup(&drv, VIRTIO_ID_FS, 1ULL << VIRTIO_F_VERSION_1, 2, QSZ);
}

/* The steps husk runs on a vCPU thread (the driver's Status writes) or
 * on its I/O thread, each under that thread's real seccomp filter. */
static void vcpu_bring_up(void *o)
{
    bring_up();
}

static void vcpu_reset(void *o)
{
    vdrv_wr(&drv, VIRTIO_MMIO_STATUS, 0);
}

static void io_watch_until_lost(void *o)
{
    for (int i = 0; i < 500 && vudev_socket_event(&dev); i++) {
        g_usleep(10000);
    }
}

static void io_kick(void *o)
{
    vudev_kick(&dev, REQ_Q);
}

static void io_kick_blk(void *o)
{
    vudev_kick(&dev, 0);
}

#define AS_VCPU(fn) run_sandboxed(SANDBOX_VCPU, "vcpu0", fn, NULL, NULL, 30)
#define AS_IO(fn) run_sandboxed(SANDBOX_MAIN, "io", fn, NULL, NULL, 30)

/* ---- hostile backends ---- */

/* Each mode of the fake backend, as fvu_play plays it against husk, and
 * what husk must do: setup modes fail the handshake with one line naming
 * the backend; running modes end in NEEDS_RESET with the backend given
 * up; every step within the reply bound; no descriptor kept. */
START_TEST(hostile_backend)
{
    enum fvu_mode m = (enum fvu_mode)_i;
    bool setup = m == FVU_SILENT || m == FVU_HUGE_REPLY ||
                 m == FVU_WRONG_REQUEST || m == FVU_NOT_A_REPLY ||
                 m == FVU_FDS_IN_REPLY || m == FVU_NO_VERSION_1 ||
                 m == FVU_TRUNCATED;
    struct fvu_outcome o;

    fvu_play(m, &o);
    printf("%-14s init %d lost %d needs_reset %d killed %d %lld ms: %s\n",
           fvu_mode_name[m], o.init_ok, o.lost, o.needs_reset, o.killed,
           (long long)o.longest_us / 1000, o.message);
    ck_assert_msg(o.longest_us < (VHU_START_MS + 1000) * 1000LL,
                  "%s: a wait was not bounded", fvu_mode_name[m]);
    ck_assert_int_eq(o.fds_kept, 0);
    if (m == FVU_GOOD || m == FVU_SHRINKS_MEMORY) {
        /* (The sealed memfd refused the shrink: nothing changed.) */
        ck_assert(o.init_ok && !o.lost && !o.needs_reset && !o.killed);
        /* The backend cannot set the queue bit: husk shows it. */
        ck_assert(o.isr & VIRTIO_ISR_QUEUE);
        ck_assert_uint_eq(o.tag0, 'x');
    } else if (setup) {
        ck_assert(!o.init_ok);
        ck_assert_msg(strstr(o.message, "share 'x': the vhost-user backend"),
                      "%s", o.message);
    } else {
        bool stop = m == FVU_SILENT_STOP || m == FVU_SILENT_VM_STOPS;

        ck_assert(o.init_ok && o.lost && o.message[0]);
        /* A stop that is not answered cannot leave a backend writing
         * rings the transport forgets: it is killed. */
        ck_assert(!stop || o.killed);
        ck_assert(stop || m == FVU_WRONG_QUEUE || o.needs_reset);
        ck_assert(m != FVU_SILENT_STOP || o.longest_us < 2 * G_USEC_PER_SEC);
        /* A stopping VM waits for no backend. */
        ck_assert(m != FVU_SILENT_VM_STOPS || o.longest_us < 500 * 1000);
        /* A flood of interrupts is cut off at the irqfd. */
        ck_assert(m != FVU_FLOOD_CALL ||
                  (o.call_cut && strstr(o.message, "floods its call")));
    }
}
END_TEST

/* ---- the real virtiofsd ---- */

static char share_dir[64];
static struct backend_proc proc;
static uint64_t unique = 1;

static void real_setup(bool read_only)
{
    struct vm_share_config sh = {.spec = share_dir,
                                 .dir = share_dir,
                                 .tag = "t",
                                 .read_only = read_only};
    g_autofree char *prog = vfsd_program(NULL);
    g_autoptr(GError) err = NULL;
    g_autofree char *hello = NULL;
    int sock;

    if (!prog) {
        check_skip("no virtiofsd here (apt-get install qemu-system-common)");
        return;
    }
    if (geteuid() != 0) {
        check_skip("Debian's virtiofsd needs root");
        return;
    }
    g_strlcpy(share_dir, "/tmp/husk-vfs-XXXXXX", sizeof(share_dir));
    ck_assert(g_mkdtemp(share_dir));
    hello = g_build_filename(share_dir, "hello", NULL);
    ck_assert(g_file_set_contents(hello, "hello, virtio-fs\n", -1, NULL));
    guest_side();
    sock = vfsd_start(&sh, prog, &proc, &err);
    ck_assert_msg(sock >= 0, "%s", err ? err->message : "");
    ck_assert_msg(
        vudev_init_fs(&dev, sock, "share 't'", "t", &tm.gm, &irq.line, &err),
        "%s", err ? err->message : "");
    vudev_set_backend_pidfd(&dev, bproc_server_pidfd(&proc));
    plug();
    AS_VCPU(vcpu_bring_up);
    ck_assert_uint_eq(vdrv_status(&drv) & VIRTIO_S_NEEDS_RESET, 0);
}

static void real_teardown(void)
{
    g_autofree char *cmd = g_strdup_printf("rm -rf '%s'", share_dir);

    vudev_cleanup(&dev);
    bproc_stop(&proc, 1000);
    ck_assert_int_eq(system(cmd), 0);
}

/* One FUSE request on the request queue: in (header + args), out (reply
 * buffer). */
struct fuse_req {
    uint64_t unique, out_gpa;
};

static struct fuse_req fuse_post(uint32_t opcode,
                                 uint64_t nodeid,
                                 const void *args,
                                 uint32_t args_len)
{
    uint64_t in_gpa = vdrv_alloc(&drv, 4096, 8);
    struct fuse_req r = {unique++, vdrv_alloc(&drv, 8192, 8)};
    struct fuse_in_header ih = {.len = sizeof(ih) + args_len,
                                .opcode = opcode,
                                .unique = r.unique,
                                .nodeid = nodeid};
    struct vdrv_buf b[2] = {{in_gpa, sizeof(ih) + args_len, false},
                            {r.out_gpa, 8192, true}};

    memcpy(tm.low + in_gpa, &ih, sizeof(ih));
    memcpy(tm.low + in_gpa + sizeof(ih), args, args_len);
    vdrv_add_chain(&drv, REQ_Q, b, 2);
    vdrv_kick(&drv, REQ_Q);
    return r;
}

/* Waits for the reply; returns its error (0 or -errno), copies its body. */
static int fuse_wait(struct fuse_req r, void *out, uint32_t out_len)
{
    struct fuse_out_header oh;
    uint16_t head;
    uint32_t len;
    gint64 end = g_get_monotonic_time() + 10 * G_USEC_PER_SEC;

    while (!vdrv_get_used(&drv, REQ_Q, &head, &len)) {
        ck_assert_msg(g_get_monotonic_time() < end, "no reply to request %llu",
                      (unsigned long long)r.unique);
        if (dev.lost) {
            AS_IO(io_kick); /* the I/O thread's watch, here */
        }
        g_usleep(1000);
    }
    ck_assert_uint_ge(len, sizeof(oh));
    memcpy(&oh, tm.low + r.out_gpa, sizeof(oh));
    if (getenv("VU_DEBUG")) {
        fprintf(stderr, "req %llu: head %u len %u unique %llu err %d\n",
                (unsigned long long)r.unique, head, len,
                (unsigned long long)oh.unique, oh.error);
    }
    ck_assert_uint_eq(oh.unique, r.unique);
    if (out && len > sizeof(oh)) {
        memcpy(out, tm.low + r.out_gpa + sizeof(oh),
               MIN(out_len, len - sizeof(oh)));
    }
    return oh.error;
}

static int fuse_call(uint32_t opcode,
                     uint64_t nodeid,
                     const void *args,
                     uint32_t args_len,
                     void *out,
                     uint32_t out_len)
{
    return fuse_wait(fuse_post(opcode, nodeid, args, args_len), out, out_len);
}

static void fuse_init(void)
{
    struct fuse_init_in in = {.major = FUSE_KERNEL_VERSION, .minor = 31};
    struct fuse_init_out out;

    ck_assert_int_eq(fuse_call(FUSE_INIT, 0, &in, 16, &out, sizeof(out)), 0);
    ck_assert_uint_eq(out.major, FUSE_KERNEL_VERSION);
}

static uint64_t fuse_lookup(const char *name, uint64_t *size)
{
    struct fuse_entry_out e;
    int r = fuse_call(FUSE_LOOKUP, FUSE_ROOT_ID, name,
                      (uint32_t)strlen(name) + 1, &e, sizeof(e));

    ck_assert_int_eq(r, 0);
    *size = e.attr.size;
    return e.nodeid;
}

START_TEST(virtiofsd_reads_a_file)
{
    struct fuse_open_in oi = {.flags = O_RDONLY};
    struct fuse_open_out oo;
    struct fuse_read_in ri = {0};
    char data[64] = {0};
    uint64_t size, node;

    real_setup(false);
    fuse_init();
    node = fuse_lookup("hello", &size);
    ck_assert_uint_eq(size, strlen("hello, virtio-fs\n"));
    ck_assert_int_eq(
        fuse_call(FUSE_OPEN, node, &oi, sizeof(oi), &oo, sizeof(oo)), 0);
    ri.fh = oo.fh;
    ri.size = sizeof(data) - 1;
    ck_assert_int_eq(
        fuse_call(FUSE_READ, node, &ri, sizeof(ri), data, sizeof(data) - 1), 0);
    ck_assert_str_eq(data, "hello, virtio-fs\n");
    /* A reset stops both rings (GET_VRING_BASE answered), and the device
     * comes back for a second driver. */
    AS_VCPU(vcpu_reset);
    ck_assert(!dev.lost);
    AS_VCPU(vcpu_bring_up);
    fuse_init();
    ck_assert_uint_eq(fuse_lookup("hello", &size), node);
    real_teardown();
}
END_TEST

/* ro: virtiofsd itself runs read-only; a create fails with EROFS and
 * nothing appears in the directory. */
START_TEST(virtiofsd_read_only_share_refuses_writes)
{
    struct {
        struct fuse_create_in c;
        char name[8];
    } in = {.c = {.flags = O_WRONLY | O_CREAT, .mode = 0644}, .name = "new"};
    g_autofree char *path = NULL;

    real_setup(true);
    fuse_init();
    ck_assert_int_eq(
        fuse_call(FUSE_CREATE, FUSE_ROOT_ID, &in, sizeof(in.c) + 4, NULL, 0),
        -EROFS);
    path = g_build_filename(share_dir, "new", NULL);
    ck_assert(!g_file_test(path, G_FILE_TEST_EXISTS));
    real_teardown();
}
END_TEST

/* Until every thread of pid is stopped (state T in /proc), at most 5 s. */
static void wait_stopped(pid_t pid)
{
    g_autofree char *dir = g_strdup_printf("/proc/%d/task", (int)pid);

    for (int i = 0; i < 500; i++) {
        GDir *d = g_dir_open(dir, 0, NULL);
        const char *t;
        bool all = d != NULL;

        while (d && (t = g_dir_read_name(d))) {
            g_autofree char *p = g_strdup_printf("%s/%s/stat", dir, t);
            g_autofree char *st = NULL;
            const char *close_paren;

            if (g_file_get_contents(p, &st, NULL, NULL) &&
                (close_paren = strrchr(st, ')')) && close_paren[2] != 'T' &&
                close_paren[2] != 't') {
                all = false;
            }
        }
        if (d) {
            g_dir_close(d);
        }
        if (all) {
            return;
        }
        g_usleep(10000);
    }
    ck_abort_msg("pid %d did not stop", (int)pid);
}

/* virtiofsd killed with a request in flight: the socket watch sees it,
 * the device goes NEEDS_RESET, the request it had (virtiofsd completes in
 * order) and the next one complete with EIO from husk. */
START_TEST(virtiofsd_killed_gives_io_errors)
{
    struct fuse_req pending;
    uint64_t size;

    real_setup(false);
    dev.in_order = true; /* as vm_devices.c sets it for virtiofsd */
    fuse_init();
    /* Stopped, it takes the request off the ring or not: either way it
     * never answers. */
    kill(bproc_server_pid(&proc), SIGSTOP);
    /* SIGSTOP lands a moment later: a thread still running then answered
     * the request (seen under load).  Post only once every thread is. */
    wait_stopped(bproc_server_pid(&proc));
    pending = fuse_post(FUSE_LOOKUP, FUSE_ROOT_ID, "hello", 6);
    g_usleep(100 * 1000);
    kill(bproc_server_pid(&proc), SIGKILL);
    AS_IO(io_watch_until_lost);
    ck_assert(dev.lost);
    ck_assert(vdrv_status(&drv) & VIRTIO_S_NEEDS_RESET);
    ck_assert_int_eq(fuse_wait(pending, NULL, 0), -EIO);
    ck_assert_int_eq(
        fuse_call(FUSE_LOOKUP, FUSE_ROOT_ID, "hello", 6, &size, sizeof(size)),
        -EIO);
    ck_assert_uint_ge(dev.failed_requests, 2);
    real_teardown();
}
END_TEST

/* ---- qemu-storage-daemon (vhost-user-blk) ---- */

static char img_dir[64];

static bool have_qemu_tools(void)
{
    g_autofree char *qsd = qsd_program();
    g_autofree char *img = g_find_program_in_path("qemu-img");
    g_autofree char *io = g_find_program_in_path("qemu-io");

    if (!qsd || !img || !io) {
        check_skip(
            "needs qemu-storage-daemon (qemu-system-common) and "
            "qemu-img, qemu-io (qemu-utils)");
        return false;
    }
    return true;
}

static void sh(const char *fmt, ...) G_GNUC_PRINTF(1, 2);

static void sh(const char *fmt, ...)
{
    va_list ap;
    g_autofree char *cmd = NULL;

    va_start(ap, fmt);
    cmd = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    ck_assert_msg(system(cmd) == 0, "failed: %s", cmd);
}

/* The image's disk through qemu-storage-daemon as husk starts it. */
static void blk_setup(const char *image, bool ro)
{
    struct vm_disk_config d = {
        .spec = (char *)image, .path = (char *)image, .read_only = ro};
    g_autofree char *fmt = NULL, *prog = qsd_program();
    g_autoptr(GError) err = NULL;
    int sock;

    ck_assert_int_eq(qsd_format(&d, &fmt, &err), 1);
    ck_assert_str_eq(fmt, "qcow2");
    guest_side();
    sock = qsd_start(&d, fmt, prog, &proc, &err);
    ck_assert_msg(sock >= 0, "%s", err ? err->message : "");
    ck_assert_msg(
        vudev_init_blk(&dev, sock, "--disk x", ro, &tm.gm, &irq.line, &err),
        "%s", err ? err->message : "");
    vudev_set_backend_pidfd(&dev, bproc_server_pidfd(&proc));
    plug();
    vdrv_init(&drv, &tm, &bus, BASE, 0x10000, RAM);
    vdrv_bringup(&drv, 2,
                 (1ULL << VIRTIO_F_VERSION_1) | (1ULL << 9) /* FLUSH */ |
                     (1ULL << 5) /* RO */,
                 1, QSZ);
    ck_assert_uint_eq(vdrv_status(&drv) & VIRTIO_S_NEEDS_RESET, 0);
}

/* One request: type, sector, len bytes of data at data (in or out). */
static uint8_t blk_call(uint32_t type,
                        uint64_t sector,
                        uint8_t *data,
                        uint32_t len)
{
    uint64_t hdr = vdrv_alloc(&drv, 16, 16);
    uint64_t buf = vdrv_alloc(&drv, len ? len : 1, 512);
    uint64_t st = vdrv_alloc(&drv, 1, 1);
    struct vdrv_buf b[3] = {
        {hdr, 16, false}, {buf, len, type == 0}, {st, 1, true}};
    struct vdrv_buf nb[2] = {{hdr, 16, false}, {st, 1, true}};
    uint16_t head;
    uint32_t used_len;
    gint64 end = g_get_monotonic_time() + 10 * G_USEC_PER_SEC;

    memcpy(tm.low + hdr, &type, 4);
    memset(tm.low + hdr + 4, 0, 4);
    memcpy(tm.low + hdr + 8, &sector, 8);
    tm.low[st] = 0xff;
    if (type == 1) {
        memcpy(tm.low + buf, data, len);
    }
    if (len) {
        vdrv_add_chain(&drv, 0, b, 3);
    } else {
        vdrv_add_chain(&drv, 0, nb, 2);
    }
    vdrv_kick(&drv, 0);
    while (!vdrv_get_used(&drv, 0, &head, &used_len)) {
        ck_assert_msg(g_get_monotonic_time() < end, "no answer to type %u",
                      type);
        if (dev.lost) {
            AS_IO(io_kick_blk);
        }
        g_usleep(1000);
    }
    if (type == 0) {
        memcpy(data, tm.low + buf, len);
    }
    return tm.low[st];
}

/* A qcow2 image written by qemu-io reads back through husk; husk's
 * writes and a FLUSH are in the image qemu-io reads after husk let go. */
START_TEST(qsd_qcow2_reads_and_writes)
{
    g_autofree char *img = NULL;
    uint8_t data[65536], w[4096];

    if (!have_qemu_tools()) {
        return;
    }
    g_strlcpy(img_dir, "/tmp/husk-qsd-XXXXXX", sizeof(img_dir));
    ck_assert(g_mkdtemp(img_dir));
    img = g_build_filename(img_dir, "a.qcow2", NULL);
    sh("qemu-img create -q -f qcow2 %s 64M", img);
    sh("qemu-io -f qcow2 -c 'write -q -P 0xab 1M 64k' %s", img);
    blk_setup(img, false);
    /* The capacity in the backend's config space: 64 MiB of sectors. */
    ck_assert_uint_eq(vdrv_rd(&drv, VIRTIO_MMIO_CONFIG), 131072);
    ck_assert_uint_eq(blk_call(0, 2048, data, sizeof(data)), 0);
    for (unsigned i = 0; i < sizeof(data); i++) {
        ck_assert_uint_eq(data[i], 0xab);
    }
    memset(w, 0xcd, sizeof(w));
    ck_assert_uint_eq(blk_call(1, 0, w, sizeof(w)), 0);
    ck_assert_uint_eq(blk_call(4, 0, NULL, 0), 0); /* FLUSH */
    AS_VCPU(vcpu_reset);
    ck_assert(!dev.lost);
    vudev_cleanup(&dev);
    bproc_stop(&proc, 5000);
    sh("qemu-io -f qcow2 -c 'read -q -P 0xcd 0 4k' -c 'read -q -P 0xab 1M 64k' "
       "%s",
       img);
    sh("rm -rf %s", img_dir);
}
END_TEST

/* A backing-file chain: given format=qcow2, the overlay reads through to
 * its base; found by content alone, it is refused. */
START_TEST(qsd_backing_chain)
{
    g_autofree char *base = NULL, *top = NULL;
    g_autoptr(GError) err = NULL;
    g_autofree char *fmt = NULL;
    uint8_t data[4096];
    struct vm_disk_config d = {0};

    if (!have_qemu_tools()) {
        return;
    }
    g_strlcpy(img_dir, "/tmp/husk-qsd-XXXXXX", sizeof(img_dir));
    ck_assert(g_mkdtemp(img_dir));
    base = g_build_filename(img_dir, "base.qcow2", NULL);
    top = g_build_filename(img_dir, "top.qcow2", NULL);
    sh("qemu-img create -q -f qcow2 %s 16M", base);
    sh("qemu-io -f qcow2 -c 'write -q -P 0x5a 0 4k' %s", base);
    sh("qemu-img create -q -f qcow2 -b %s -F qcow2 %s", base, top);
    d.spec = d.path = top;
    ck_assert_int_eq(qsd_format(&d, &fmt, &err), -1);
    ck_assert_msg(strstr(err->message, "give format=qcow2"), "%s",
                  err->message);
    g_clear_error(&err);
    d.format = "qcow2";
    ck_assert_int_eq(qsd_format(&d, &fmt, &err), 1);
    guest_side();
    {
        g_autofree char *prog = qsd_program();
        int sock = qsd_start(&d, fmt, prog, &proc, &err);

        ck_assert_int_ge(sock, 0);
        ck_assert(vudev_init_blk(&dev, sock, "--disk top", false, &tm.gm,
                                 &irq.line, &err));
    }
    plug();
    vdrv_init(&drv, &tm, &bus, BASE, 0x10000, RAM);
    vdrv_bringup(&drv, 2, 1ULL << VIRTIO_F_VERSION_1, 1, QSZ);
    ck_assert_uint_eq(blk_call(0, 0, data, sizeof(data)), 0);
    ck_assert_uint_eq(data[0], 0x5a);
    ck_assert_uint_eq(data[4095], 0x5a);
    vudev_cleanup(&dev);
    bproc_stop(&proc, 5000);
    sh("rm -rf %s", img_dir);
}
END_TEST

/* husk's raw engine and qemu-storage-daemon agree on an image's locks
 * (QEMU's rules, blk_file.c): while the daemon writes a raw image husk
 * can neither write nor read it; while husk writes it, the daemon
 * cannot open it. */
START_TEST(qsd_and_raw_engine_share_lock_rules)
{
    g_autofree char *img = NULL, *prog = NULL;
    g_autoptr(GError) err = NULL;
    struct blk_backend *be;
    struct vm_disk_config d = {0};
    int sock;

    if (!have_qemu_tools()) {
        return;
    }
    prog = qsd_program();
    g_strlcpy(img_dir, "/tmp/husk-qsd-XXXXXX", sizeof(img_dir));
    ck_assert(g_mkdtemp(img_dir));
    img = g_build_filename(img_dir, "r.raw", NULL);
    sh("qemu-img create -q -f raw %s 16M", img);
    d.spec = d.path = img;
    d.format = "raw";
    guest_side();
    /* The daemon writing it (format=raw goes to husk's engine in husk;
     * the daemon is started here directly, as another VMM would). */
    sock = qsd_start(&d, "raw", prog, &proc, &err);
    ck_assert_int_ge(sock, 0);
    ck_assert_msg(
        vudev_init_blk(&dev, sock, "--disk r", false, &tm.gm, &irq.line, &err),
        "%s", err ? err->message : "");
    for (int ro = 0; ro < 2; ro++) {
        g_autoptr(GError) e2 = NULL;

        be = blk_file_open(img, ro, BLK_ENGINE_SYNC, &e2);
        ck_assert_msg(!be,
                      "husk opened a raw image qemu-storage-daemon writes"
                      " (ro=%d)",
                      ro);
        ck_assert(strstr(e2->message, "in use by another process"));
    }
    vudev_cleanup(&dev);
    bproc_stop(&proc, 5000);
    /* husk writing it: the daemon is refused. */
    be = blk_file_open(img, false, BLK_ENGINE_SYNC, &err);
    ck_assert_msg(be, "%s", err ? err->message : "");
    sock = qsd_start(&d, "raw", prog, &proc, &err);
    ck_assert_int_ge(sock, 0);
    {
        struct vudev v;

        ck_assert(!vudev_init_blk(&v, sock, "--disk r", false, &tm.gm,
                                  &irq.line, &err));
        qsd_failed(&d, &proc, &err);
        vudev_cleanup(&v);
    }
    ck_assert_msg(strstr(err->message, "lock"), "%s", err->message);
    bproc_stop(&proc, 1000);
    be->ops->close(be);
    sh("rm -rf %s", img_dir);
}
END_TEST

/* A corrupt qcow2 header, a missing backing file, an image in use: one
 * line from what qemu-storage-daemon said, and the status for it. */
START_TEST(qsd_bad_images_are_one_line)
{
    struct {
        const char *what;
        int status;
        const char *needle;
    } c[] = {
        {"corrupt", HUSK_EXIT_DATAERR, "qcow2"},
        {"no backing", HUSK_EXIT_NOINPUT, "No such file"},
        {"in use", HUSK_EXIT_USAGE, "lock"},
    };
    g_autofree char *img = NULL, *prog = NULL;
    struct backend_proc holder = {0};
    g_autoptr(GError) herr = NULL;
    int hsock = -1;

    if (!have_qemu_tools()) {
        return;
    }
    prog = qsd_program();
    g_strlcpy(img_dir, "/tmp/husk-qsd-XXXXXX", sizeof(img_dir));
    ck_assert(g_mkdtemp(img_dir));
    img = g_build_filename(img_dir, "x.qcow2", NULL);
    for (unsigned i = 0; i < G_N_ELEMENTS(c); i++) {
        struct vm_disk_config d = {.spec = img, .path = img, .format = "qcow2"};
        g_autoptr(GError) err = NULL;
        g_autofree char *fmt = NULL;
        int sock;

        if (i == 0) {
            /* The magic, then a version and sizes that make no sense. */
            sh("printf 'QFI\\373\\0\\0\\0\\77' > %s; "
               "head -c 4096 /dev/urandom >> %s",
               img, img);
        } else if (i == 1) {
            sh("rm -f %s; qemu-img create -q -f qcow2 -u -b %s/gone.qcow2 "
               "-F qcow2 %s 16M",
               img, img_dir, img);
        } else {
            struct vm_disk_config hd = d;

            sh("rm -f %s; qemu-img create -q -f qcow2 %s 16M", img, img);
            hsock = qsd_start(&hd, "qcow2", prog, &holder, &herr);
            ck_assert_int_ge(hsock, 0);
            ck_assert(vudev_init_blk(&dev, hsock, "holder", false, &tm.gm,
                                     &irq.line, &herr));
        }
        ck_assert_int_eq(qsd_format(&d, &fmt, &err), 1);
        sock = qsd_start(&d, fmt, prog, &proc, &err);
        ck_assert_int_ge(sock, 0);
        {
            struct vudev v;

            ck_assert(!vudev_init_blk(&v, sock, "--disk x", false, &tm.gm,
                                      &irq.line, &err));
            qsd_failed(&d, &proc, &err);
            vudev_cleanup(&v);
        }
        printf("%s: %s (status %d)\n", c[i].what, err->message, err->code);
        ck_assert_msg(strstr(err->message, c[i].needle), "%s: %s", c[i].what,
                      err->message);
        ck_assert_int_eq(err->code, c[i].status);
        ck_assert(!strchr(err->message, '\n'));
        bproc_stop(&proc, 1000);
    }
    vudev_cleanup(&dev);
    bproc_stop(&holder, 1000);
    sh("rm -rf %s", img_dir);
}
END_TEST

int main(int argc, char **argv)
{
    const struct check_case real[] = {
        {"virtiofsd_reads_a_file", virtiofsd_reads_a_file},
        {"virtiofsd_read_only_share_refuses_writes",
         virtiofsd_read_only_share_refuses_writes},
        {"virtiofsd_killed_gives_io_errors", virtiofsd_killed_gives_io_errors},
        {"qsd_qcow2_reads_and_writes", qsd_qcow2_reads_and_writes},
        {"qsd_backing_chain", qsd_backing_chain},
        {"qsd_bad_images_are_one_line", qsd_bad_images_are_one_line},
        {"qsd_and_raw_engine_share_lock_rules",
         qsd_and_raw_engine_share_lock_rules},
    };
    Suite *s;
    TCase *tc;

    if (argc > 1) {
        return check_run_case("vhost_user", real, G_N_ELEMENTS(real), argv[1],
                              60);
    }
    s = suite_create("vhost_user");
    tc = tcase_create("hostile");
    tcase_set_timeout(tc, 60);
    tcase_add_loop_test(tc, hostile_backend, 0, FVU_MODES);
    suite_add_tcase(s, tc);
    return check_run(s);
}
