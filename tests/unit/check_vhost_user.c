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
    struct vudev_env env = {.mem_fd = mem_fd,
                            .nr_regions = 1,
                            .region = {{0, RAM, (uintptr_t)tm.low, 0}},
                            .kick_fd = {kick[0], kick[1]},
                            .call_fd = callfd};

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
    ck_assert_msg(o.longest_us < (VHU_REPLY_MS + 1000) * 1000LL,
                  "%s: a wait was not bounded", fvu_mode_name[m]);
    ck_assert_int_eq(o.fds_kept, 0);
    if (m == FVU_GOOD) {
        ck_assert(o.init_ok && !o.lost && !o.needs_reset && !o.killed);
        /* The backend cannot set the queue bit: husk shows it. */
        ck_assert(o.isr & VIRTIO_ISR_QUEUE);
        ck_assert_uint_eq(o.tag0, 'x');
    } else if (setup) {
        ck_assert(!o.init_ok);
        ck_assert_msg(strstr(o.message, "share 'x': the vhost-user backend"),
                      "%s", o.message);
    } else {
        ck_assert(o.init_ok && o.lost && o.message[0]);
        /* A stop that is not answered cannot leave a backend writing
         * rings the transport forgets: it is killed. */
        ck_assert(m != FVU_SILENT_STOP || o.killed);
        ck_assert(m == FVU_SILENT_STOP || m == FVU_WRONG_QUEUE ||
                  o.needs_reset);
        ck_assert(m != FVU_SILENT_STOP || o.longest_us < 2 * G_USEC_PER_SEC);
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

int main(int argc, char **argv)
{
    const struct check_case real[] = {
        {"virtiofsd_reads_a_file", virtiofsd_reads_a_file},
        {"virtiofsd_read_only_share_refuses_writes",
         virtiofsd_read_only_share_refuses_writes},
        {"virtiofsd_killed_gives_io_errors", virtiofsd_killed_gives_io_errors},
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
