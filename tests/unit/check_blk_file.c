/*
 * check_blk_file.c: virtio-blk over the real file backend, with each
 * engine (io_uring and preadv/pwritev), driven by the test-side driver:
 * many requests in flight, data on disk matching what the guest wrote,
 * flush and write-through, host errors (a file shrunk under us, EFBIG from
 * RLIMIT_FSIZE) reaching the guest as IOERR, a reset with requests in
 * flight, and the bound on requests in flight when a guest re-posts heads.
 * Each test runs once per engine (loop index = enum blk_engine).
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/virtio_blk.h>
#include <linux/virtio_ids.h>
#include <linux/virtio_mmio.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "devices/backend/blk_file.h"
#include "devices/backend/blk_uring.h"
#include "devices/virtio/blk.h"
#include "devices/virtio/virtio_mmio.h"
#include "harness/check_run.h"
#include "harness/hostile_peers.h"
#include "harness/test_vm.h"
#include "harness/vdriver.h"
#include "lib/error.h"
#include "lib/util.h"

#define RAM (16 * MiB)
#define BASE 0xd0000000ULL
#define DISK (4 * MiB)
#define QSZ 128 /* three descriptors a request: NREQ chains fit */
#define NREQ 32
#define CHUNK (64 * KiB)
#define WANT                                                       \
    ((1ULL << VIRTIO_F_VERSION_1) | (1ULL << VIRTIO_BLK_F_FLUSH) | \
     (1ULL << VIRTIO_BLK_F_BLK_SIZE))

static struct test_mem tm;
static struct test_irq irq;
static struct bus bus;
static struct vblk blk;
static struct vdrv drv;
static char img[64];
static int img_fd = -1;
/* Per request slot: 16-byte header, CHUNK data, status byte. */
static uint64_t slot[NREQ * 2];

/* The engine this loop iteration runs, or false if the host cannot (then
 * the test checks that asking for io_uring fails cleanly instead). */
static bool open_disk(enum blk_engine e, uint64_t want)
{
    g_autoptr(GError) err = NULL;
    struct blk_backend *be;
    const char *why;

    test_mem_init(&tm, RAM, 0);
    test_irq_init(&irq);
    bus_init(&bus, "mmio");
    strcpy(img, "/tmp/husk-blkfile-XXXXXX");
    img_fd = mkstemp(img);
    ck_assert_int_ge(img_fd, 0);
    ck_assert_int_eq(ftruncate(img_fd, DISK), 0);
    be = blk_file_open(img, false, e, &err);
    if (e == BLK_ENGINE_URING && !blk_uring_probe(&why)) {
        ck_assert_ptr_null(be);
        ck_assert_int_eq(err->code, HUSK_EXIT_UNAVAILABLE);
        fprintf(stderr, "io_uring unavailable here (%s): checked the error\n",
                why);
        return false;
    }
    ck_assert_msg(be, "%s", err ? err->message : "");
    ck_assert_str_eq(be->engine, blk_engine_name(e));
    ck_assert_int_eq(blk_is_async(be), e == BLK_ENGINE_URING);
    vblk_init(&blk, be, &tm.gm, &irq.line);
    ck_assert_int_eq(bus_add(&bus, "blk", BASE, VIRTIO_MMIO_SIZE,
                             &virtio_mmio_ops, &blk.vdev),
                     0);
    vdrv_init(&drv, &tm, &bus, BASE, 0x10000, RAM);
    vdrv_bringup(&drv, VIRTIO_ID_BLOCK, want, 1, QSZ);
    for (unsigned i = 0; i < G_N_ELEMENTS(slot); i++) {
        slot[i] = vdrv_alloc(&drv, 16 + CHUNK + 1, 16);
    }
    return true;
}

static void teardown(void)
{
    if (img_fd >= 0) {
        vblk_cleanup(&blk);
        close(img_fd);
        unlink(img);
        img_fd = -1;
    }
    test_mem_free(&tm);
}

/* Posts request i (slot i): type at sector with len data bytes. */
static uint16_t post(unsigned i, uint32_t type, uint64_t sector, uint32_t len)
{
    uint64_t s = slot[i];
    struct vdrv_buf b[3];
    unsigned n = 0;

    put_le32(tm.low + s, type);
    put_le32(tm.low + s + 4, 0);
    put_le64(tm.low + s + 8, sector);
    tm.low[s + 16 + CHUNK] = 0xee;
    b[n++] = (struct vdrv_buf){s, 16, false};
    if (len) {
        b[n++] = (struct vdrv_buf){s + 16, len, type == VIRTIO_BLK_T_IN};
    }
    b[n++] = (struct vdrv_buf){s + 16 + CHUNK, 1, true};
    return vdrv_add_chain(&drv, 0, b, n);
}

static uint8_t status_of(unsigned i)
{
    return tm.low[slot[i] + 16 + CHUNK];
}

/* Polls the device (as the I/O thread does on the eventfd) until n used
 * elements arrived; fails after 10 s. */
static void wait_used(unsigned n)
{
    unsigned got = 0;
    uint16_t h;
    uint32_t l;

    for (unsigned spin = 0; got < n && spin < 10000; spin++) {
        while (got < n && vdrv_get_used(&drv, 0, &h, &l)) {
            got++;
        }
        if (got < n) {
            vblk_poll(&blk);
            g_usleep(1000);
        }
    }
    ck_assert_uint_eq(got, n);
}

static void fill(unsigned i, uint8_t seed)
{
    for (unsigned k = 0; k < CHUNK; k++) {
        tm.low[slot[i] + 16 + k] = (uint8_t)(seed + k * 7);
    }
}

START_TEST(many_in_flight_write_then_read)
{
    static uint8_t buf[CHUNK];

    if (!open_disk(_i, WANT)) {
        return;
    }
    for (unsigned i = 0; i < NREQ; i++) {
        fill(i, (uint8_t)i);
        post(i, VIRTIO_BLK_T_OUT, (uint64_t)i * CHUNK / 512, CHUNK);
    }
    vdrv_kick(&drv, 0);
    wait_used(NREQ);
    ck_assert_uint_eq(blk.inflight, 0);
    post(NREQ, VIRTIO_BLK_T_FLUSH, 0, 0);
    vdrv_kick(&drv, 0);
    wait_used(1);
    ck_assert_uint_eq(status_of(NREQ), VIRTIO_BLK_S_OK);
    for (unsigned i = 0; i < NREQ; i++) {
        ck_assert_uint_eq(status_of(i), VIRTIO_BLK_S_OK);
        /* On the host, in the file. */
        ck_assert_int_eq(pread(img_fd, buf, CHUNK, (off_t)i * CHUNK), CHUNK);
        ck_assert(!memcmp(buf, tm.low + slot[i] + 16, CHUNK));
    }
    /* Read back into other slots, all in flight at once. */
    for (unsigned i = 0; i < NREQ; i++) {
        memset(tm.low + slot[NREQ + i] + 16, 0, CHUNK);
        post(NREQ + i, VIRTIO_BLK_T_IN, (uint64_t)i * CHUNK / 512, CHUNK);
    }
    vdrv_kick(&drv, 0);
    wait_used(NREQ);
    for (unsigned i = 0; i < NREQ; i++) {
        ck_assert_uint_eq(status_of(NREQ + i), VIRTIO_BLK_S_OK);
        ck_assert(!memcmp(tm.low + slot[NREQ + i] + 16, tm.low + slot[i] + 16,
                          CHUNK));
    }
    ck_assert_uint_eq(blk.reads, NREQ);
    ck_assert_uint_eq(blk.writes, NREQ);
    ck_assert_uint_eq(blk.io_errors, 0);
}
END_TEST

START_TEST(write_through_without_flush_feature)
{
    static uint8_t buf[CHUNK];

    if (!open_disk(_i, WANT & ~(1ULL << VIRTIO_BLK_F_FLUSH))) {
        return;
    }
    fill(0, 0x5a);
    post(0, VIRTIO_BLK_T_OUT, 8, CHUNK);
    vdrv_kick(&drv, 0);
    wait_used(1);
    ck_assert_uint_eq(status_of(0), VIRTIO_BLK_S_OK);
    ck_assert_int_eq(pread(img_fd, buf, CHUNK, 8 * 512), CHUNK);
    ck_assert(!memcmp(buf, tm.low + slot[0] + 16, CHUNK));
}
END_TEST

/* The image shrinks under husk (another process truncates it): a read
 * past the new end is IOERR, not zeroes or stale guest memory, and the
 * disk keeps working. */
START_TEST(read_past_shrunk_file_is_ioerr)
{
    if (!open_disk(_i, WANT)) {
        return;
    }
    ck_assert_int_eq(ftruncate(img_fd, DISK / 2), 0);
    post(0, VIRTIO_BLK_T_IN, (DISK / 2 - CHUNK / 2) / 512, CHUNK);
    vdrv_kick(&drv, 0);
    wait_used(1);
    ck_assert_uint_eq(status_of(0), VIRTIO_BLK_S_IOERR);
    ck_assert_uint_eq(blk.io_errors, 1);
    post(1, VIRTIO_BLK_T_IN, 0, CHUNK);
    vdrv_kick(&drv, 0);
    wait_used(1);
    ck_assert_uint_eq(status_of(1), VIRTIO_BLK_S_OK);
}
END_TEST

/* A host write error (EFBIG from RLIMIT_FSIZE, husk ignores SIGXFSZ)
 * reaches the guest as IOERR; the data before the limit is written. */
START_TEST(host_write_error_is_ioerr)
{
    struct rlimit old, lim;

    if (!open_disk(_i, WANT)) {
        return;
    }
    signal(SIGXFSZ, SIG_IGN);
    ck_assert_int_eq(getrlimit(RLIMIT_FSIZE, &old), 0);
    lim = old;
    lim.rlim_cur = DISK / 2;
    ck_assert_int_eq(setrlimit(RLIMIT_FSIZE, &lim), 0);
    fill(0, 1);
    post(0, VIRTIO_BLK_T_OUT, (DISK / 2) / 512, CHUNK);
    fill(1, 2);
    post(1, VIRTIO_BLK_T_OUT, 0, CHUNK);
    vdrv_kick(&drv, 0);
    wait_used(2);
    ck_assert_int_eq(setrlimit(RLIMIT_FSIZE, &old), 0);
    ck_assert_uint_eq(status_of(0), VIRTIO_BLK_S_IOERR);
    ck_assert_uint_eq(status_of(1), VIRTIO_BLK_S_OK);
    ck_assert_uint_eq(blk.io_errors, 1);
}
END_TEST

/* After a reset: a new bring-up, and a read that works. */
static void works_after_bringup(void)
{
    vdrv_bringup(&drv, VIRTIO_ID_BLOCK, WANT, 1, QSZ);
    post(0, VIRTIO_BLK_T_IN, 0, 512);
    vdrv_kick(&drv, 0);
    wait_used(1);
    ck_assert_uint_eq(status_of(0), VIRTIO_BLK_S_OK);
}

/* A reset while requests are in flight returns only after they finished,
 * and none of them is answered afterwards (cf. OpenVMM #3915). */
START_TEST(reset_waits_for_requests_in_flight)
{
    uint16_t h;
    uint32_t l;

    if (!open_disk(_i, WANT)) {
        return;
    }
    for (unsigned i = 0; i < NREQ; i++) {
        post(i, VIRTIO_BLK_T_IN, (uint64_t)i * CHUNK / 512, CHUNK);
    }
    vdrv_kick(&drv, 0);
    vdrv_wr(&drv, VIRTIO_MMIO_STATUS, 0);
    ck_assert_uint_eq(blk.inflight, 0);
    vblk_poll(&blk);
    if (_i == BLK_ENGINE_URING) {
        /* Nothing was answered: every request was still in flight. */
        ck_assert(!vdrv_get_used(&drv, 0, &h, &l));
        for (unsigned i = 0; i < NREQ; i++) {
            ck_assert_uint_eq(status_of(i), 0xee);
        }
    }
    works_after_bringup();
}
END_TEST

/* The same reset as husk runs it: the status write on a vCPU thread under
 * the vCPU role's seccomp filter, with an I/O thread reaping meanwhile
 * (harness/hostile_peers.c).  The drain once poll()ed on the vCPU thread,
 * which that filter forbids: a guest resetting its disk with reads in
 * flight killed husk (159). */
START_TEST(reset_in_flight_under_the_vcpu_sandbox)
{
    bool works;

    if (!hp_blk_reset_in_flight((enum blk_engine)_i, &works)) {
        return; /* io_uring unavailable: open_disk's cases check that */
    }
    ck_assert_msg(works, "the disk did not come back after the reset");
}
END_TEST

/* A guest that re-posts heads it has not got back cannot make husk hold
 * more than a queue's worth of requests; the rest is served as requests
 * finish. */
START_TEST(requests_in_flight_bounded_by_queue_size)
{
    uint16_t heads[NREQ];
    const unsigned rounds = QSZ / NREQ + 1;

    if (!open_disk(_i, WANT)) {
        return;
    }
    for (unsigned i = 0; i < NREQ; i++) {
        heads[i] = post(i, VIRTIO_BLK_T_IN, 0, 4096);
    }
    vdrv_kick(&drv, 0);
    /* The same heads again and again: more requests than the queue has
     * entries, none of them returned yet. */
    for (unsigned k = 1; k < rounds; k++) {
        for (unsigned i = 0; i < NREQ; i++) {
            vdrv_publish(&drv, 0, heads[i]);
        }
        vdrv_kick(&drv, 0);
        ck_assert_uint_le(blk.inflight, QSZ);
    }
    if (_i == BLK_ENGINE_URING) {
        /* Nothing is answered until the completions are reaped. */
        ck_assert_uint_eq(blk.inflight, QSZ);
        ck_assert(blk.throttled);
    }
    wait_used(rounds * NREQ);
    ck_assert_uint_eq(blk.inflight, 0);
    ck_assert_uint_eq(vdrv_status(&drv) & VIRTIO_S_NEEDS_RESET, 0);
}
END_TEST

#ifdef HAVE_LIBURING
#include <liburing.h>

/* The ring is locked down (sandbox.h: seccomp does not see io_uring
 * requests): its own opcodes on registered file 0 work, anything else,
 * or the disk named by its plain descriptor, is refused with EACCES. */
START_TEST(uring_ring_restricted)
{
    const char *why;
    char path[] = "/tmp/husk-uring-XXXXXX";
    int fd = mkstemp(path);
    struct blk_uring *u;

    ck_assert_int_ge(fd, 0);
    unlink(path);
    if (!blk_uring_probe(&why)) {
        fprintf(stderr, "io_uring unavailable here (%s)\n", why);
        close(fd);
        return;
    }
    u = blk_uring_new(fd, 8, &why);
    ck_assert_msg(u, "%s", why);
    ck_assert_int_eq(blk_uring_try_op(u, IORING_OP_FSYNC, true), 0);
    ck_assert_int_eq(blk_uring_try_op(u, IORING_OP_FSYNC, false), -EACCES);
    ck_assert_int_eq(blk_uring_try_op(u, IORING_OP_OPENAT, true), -EACCES);
    ck_assert_int_eq(blk_uring_try_op(u, IORING_OP_NOP, true), -EACCES);
    blk_uring_free(u);
    close(fd);
}
END_TEST
#endif

/* Two husks on one image, by QEMU's locking rules: readers share it, a
 * writer shares it with nobody; what one holds goes when it closes. */
START_TEST(image_locks_follow_qemus_rules)
{
    g_autofree char *img =
        g_build_filename(g_get_tmp_dir(), "husk-lock-XXXXXX", NULL);
    static const struct {
        bool first_ro, second_ro, second_ok;
    } c[] = {
        {true, true, true},
        {true, false, false},
        {false, true, false},
        {false, false, false},
    };
    int fd = g_mkstemp(img);

    ck_assert_int_eq(ftruncate(fd, 1 << 20), 0);
    close(fd);
    for (unsigned i = 0; i < G_N_ELEMENTS(c); i++) {
        g_autoptr(GError) err = NULL;
        struct blk_backend *a =
            blk_file_open(img, c[i].first_ro, BLK_ENGINE_SYNC, &err);
        struct blk_backend *b;

        ck_assert_msg(a, "%s", err ? err->message : "");
        b = blk_file_open(img, c[i].second_ro, BLK_ENGINE_SYNC, &err);
        ck_assert_msg(!!b == c[i].second_ok, "case %u: %s", i,
                      err ? err->message : "opened");
        if (b) {
            b->ops->close(b);
        } else {
            ck_assert(strstr(err->message, "in use by another process"));
        }
        a->ops->close(a);
    }
    unlink(img);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("blk_file");
    TCase *tc = tcase_create("engines");

    tcase_add_checked_fixture(tc, NULL, teardown);
    tcase_set_timeout(tc, 30);
    tcase_add_loop_test(tc, many_in_flight_write_then_read, BLK_ENGINE_URING,
                        BLK_ENGINE_SYNC + 1);
    tcase_add_loop_test(tc, write_through_without_flush_feature,
                        BLK_ENGINE_URING, BLK_ENGINE_SYNC + 1);
    tcase_add_loop_test(tc, read_past_shrunk_file_is_ioerr, BLK_ENGINE_URING,
                        BLK_ENGINE_SYNC + 1);
    tcase_add_loop_test(tc, host_write_error_is_ioerr, BLK_ENGINE_URING,
                        BLK_ENGINE_SYNC + 1);
    tcase_add_loop_test(tc, reset_waits_for_requests_in_flight,
                        BLK_ENGINE_URING, BLK_ENGINE_SYNC + 1);
    tcase_add_loop_test(tc, reset_in_flight_under_the_vcpu_sandbox,
                        BLK_ENGINE_URING, BLK_ENGINE_SYNC + 1);
    tcase_add_loop_test(tc, requests_in_flight_bounded_by_queue_size,
                        BLK_ENGINE_URING, BLK_ENGINE_SYNC + 1);
#ifdef HAVE_LIBURING
    tcase_add_test(tc, uring_ring_restricted);
#endif
    tcase_add_test(tc, image_locks_follow_qemus_rules);
    suite_add_tcase(s, tc);
    return check_run(s);
}
