/*
 * check_frame_stream.c: length-prefixed frames on a stream socketpair
 * (frame_stream.c) and virtio-net over it (net_stream.c, husk's end of the
 * husk-slirp socket): frames split across reads, many frames per read,
 * peer-controlled lengths that are wrong, a full write buffer, and the
 * device both ways without loss when either side is slow.
 */
#include <check.h>
#include <errno.h>
#include <linux/virtio_ids.h>
#include <linux/virtio_mmio.h>
#include <linux/virtio_net.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "devices/backend/frame_stream.h"
#include "devices/backend/net_stream.h"
#include "devices/virtio/net.h"
#include "devices/virtio/virtio_mmio.h"
#include "harness/check_run.h"
#include "harness/test_vm.h"
#include "harness/vdriver.h"
#include "vmm/util.h"

static int sv[2];

static void pair(void)
{
    ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
}

static void unpair(void)
{
    close(sv[0]);
    close(sv[1]);
}

static void put_be32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

START_TEST(frames_split_and_batched)
{
    struct frame_stream fs;
    uint8_t wire[4 + 60 + 4 + 100];
    const uint8_t *f;
    size_t len;
    int err;

    pair();
    fs_init(&fs, sv[0]);
    put_be32(wire, 60);
    memset(wire + 4, 0xaa, 60);
    put_be32(wire + 64, 100);
    memset(wire + 68, 0xbb, 100);
    /* The first 10 bytes only: no complete frame yet. */
    ck_assert_int_eq(write(sv[1], wire, 10), 10);
    ck_assert_int_eq(fs_fill(&fs), 10);
    ck_assert_ptr_null(fs_peek(&fs, &len, &err));
    ck_assert_int_eq(err, 0);
    /* The rest: both frames in one read. */
    ck_assert_int_eq(write(sv[1], wire + 10, sizeof(wire) - 10),
                     sizeof(wire) - 10);
    ck_assert_int_gt(fs_fill(&fs), 0);
    f = fs_peek(&fs, &len, &err);
    ck_assert_ptr_nonnull(f);
    ck_assert_uint_eq(len, 60);
    ck_assert_uint_eq(f[59], 0xaa);
    fs_consume(&fs, len);
    f = fs_peek(&fs, &len, &err);
    ck_assert_uint_eq(len, 100);
    ck_assert_uint_eq(f[0], 0xbb);
    fs_consume(&fs, len);
    ck_assert_ptr_null(fs_peek(&fs, &len, &err));
    ck_assert_int_eq(fs_fill(&fs), -EAGAIN);
    close(sv[1]);
    ck_assert_int_eq(fs_fill(&fs), 0); /* EOF */
    fs_free(&fs);
    close(sv[0]);
}
END_TEST

/* Lengths from the peer: 0 and more than a frame can be break the stream;
 * nothing is read past the buffer. */
START_TEST(bad_lengths_break_the_stream)
{
    static const uint32_t bad[] = { 0, FS_MAX_FRAME + 1, 0xffffffffu };

    for (unsigned i = 0; i < G_N_ELEMENTS(bad); i++) {
        struct frame_stream fs;
        uint8_t w[8] = { 0 };
        size_t len;
        int err;

        pair();
        fs_init(&fs, sv[0]);
        put_be32(w, bad[i]);
        ck_assert_int_eq(write(sv[1], w, sizeof(w)), sizeof(w));
        ck_assert_int_gt(fs_fill(&fs), 0);
        ck_assert_ptr_null(fs_peek(&fs, &len, &err));
        ck_assert_int_eq(err, -EPROTO);
        fs_free(&fs);
        unpair();
    }
}
END_TEST

/* A peer that does not read: the writer fills its buffer and is told
 * -EAGAIN, loses nothing, and everything arrives once the peer reads. */
START_TEST(full_write_buffer_says_eagain)
{
    struct frame_stream w, r;
    uint8_t frame[1500];
    struct iovec iov = { frame, sizeof(frame) };
    unsigned sent = 0, got = 0;
    const uint8_t *f;
    size_t len;
    int err;

    pair();
    fs_init(&w, sv[0]);
    fs_init(&r, sv[1]);
    while (fs_send(&w, &iov, 1) == 0) {
        sent++;
        ck_assert_uint_lt(sent, 100000);
    }
    ck_assert_uint_gt(sent, 100);
    ck_assert_int_eq(fs_send(&w, &iov, 1), -EAGAIN);
    while (got < sent) {
        fs_flush(&w);
        if (fs_fill(&r) <= 0) {
            continue;
        }
        while ((f = fs_peek(&r, &len, &err))) {
            ck_assert_uint_eq(len, sizeof(frame));
            fs_consume(&r, len);
            got++;
        }
    }
    ck_assert_uint_eq(got, sent);
    ck_assert_int_eq(fs_flush(&w), 0);
    fs_free(&w);
    fs_free(&r);
    unpair();
}
END_TEST

/* ---- virtio-net over the stream backend ---------------------------- */

#define RAM (4 * MiB)
#define BASE 0xd0000000ULL
#define QSZ 256

static struct test_mem tm;
static struct test_irq irq;
static struct bus bus;
static struct vnet net;
static struct vdrv drv;
static GMainContext *ctx;
static struct frame_stream world;

static void setup_dev(void)
{
    static const uint8_t mac[6] = { 2, 0x68, 0x75, 1, 2, 3 };

    test_mem_init(&tm, RAM, 0);
    test_irq_init(&irq);
    bus_init(&bus, "mmio");
    ctx = g_main_context_new();
    pair();
    fs_init(&world, sv[1]);
    vnet_init(&net, net_stream_new(sv[0], "user", ctx), mac, 0, &tm.gm,
              &irq.line);
    ck_assert_int_eq(bus_add(&bus, "net", BASE, VIRTIO_MMIO_SIZE,
                             &virtio_mmio_ops, &net.vdev),
                     0);
    vdrv_init(&drv, &tm, &bus, BASE, 0x10000, RAM);
    vdrv_bringup(&drv, VIRTIO_ID_NET,
                 (1ULL << VIRTIO_F_VERSION_1) | (1ULL << VIRTIO_NET_F_MAC) |
                     (1ULL << VIRTIO_NET_F_MRG_RXBUF),
                 2, QSZ);
}

static void teardown_dev(void)
{
    vnet_cleanup(&net);
    fs_free(&world);
    close(sv[1]);
    g_main_context_unref(ctx);
    test_mem_free(&tm);
}

static void spin(void)
{
    for (int i = 0; i < 50; i++) {
        g_main_context_iteration(ctx, FALSE);
    }
}

/* 300 frames from the world while the guest has 8 RX buffers at a time:
 * all arrive, in order, none dropped. */
START_TEST(rx_many_frames_in_order)
{
    uint64_t buf = vdrv_alloc(&drv, 8 * 2048, 16);
    uint8_t frame[1000];
    struct iovec iov = { frame, sizeof(frame) };
    unsigned got = 0;

    for (unsigned i = 0; i < 300; i++) {
        memset(frame, 0, sizeof(frame));
        put_le32(frame + 20, i);
        ck_assert_int_eq(fs_send(&world, &iov, 1), 0);
    }
    for (int round = 0; round < 200 && got < 300; round++) {
        uint16_t h;
        uint32_t l;

        fs_flush(&world); /* the world's socket fills while we wait */
        for (unsigned i = 0; i < 8; i++) {
            struct vdrv_buf b = { buf + i * 2048, 2048, true };

            vdrv_add_chain(&drv, VNET_RX, &b, 1);
        }
        vdrv_kick(&drv, VNET_RX);
        spin();
        while (vdrv_get_used(&drv, VNET_RX, &h, &l)) {
            ck_assert_uint_eq(l, NET_HDR_LEN + sizeof(frame));
            ck_assert_uint_eq(get_le32(tm.low + buf + h % 8 * 2048 +
                                       NET_HDR_LEN + 20),
                              got);
            got++;
        }
    }
    ck_assert_uint_eq(got, 300);
    ck_assert_uint_eq(net.rx_dropped, 0);
}
END_TEST

/* 120 TX frames while the world reads nothing: the device waits, then
 * every frame arrives once the world reads. */
START_TEST(tx_waits_for_a_slow_world)
{
    uint64_t buf = vdrv_alloc(&drv, NET_HDR_LEN + 60000, 16);
    unsigned used = 0, got = 0;
    uint16_t h;
    uint32_t l;
    const uint8_t *f;
    size_t len;
    int err;

    memset(tm.low + buf, 0, NET_HDR_LEN + 60000);
    for (unsigned i = 0; i < 120; i++) {
        struct vdrv_buf b = { buf, NET_HDR_LEN + 60000, false };

        vdrv_add_chain(&drv, VNET_TX, &b, 1);
    }
    vdrv_kick(&drv, VNET_TX);
    while (vdrv_get_used(&drv, VNET_TX, &h, &l)) {
        used++;
    }
    ck_assert_uint_lt(used, 120); /* 7 MB does not fit the buffers */
    for (int spins = 0; spins < 100000 && got < 120; spins++) {
        if (fs_fill(&world) > 0) {
            while ((f = fs_peek(&world, &len, &err))) {
                ck_assert_uint_eq(len, 60000);
                fs_consume(&world, len);
                got++;
            }
        }
        g_main_context_iteration(ctx, FALSE);
    }
    while (vdrv_get_used(&drv, VNET_TX, &h, &l)) {
        used++;
    }
    ck_assert_uint_eq(got, 120);
    ck_assert_uint_eq(used, 120);
    ck_assert_uint_eq(net.tx_dropped, 0);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("frame_stream");
    TCase *fs = tcase_create("framing");
    TCase *dev = tcase_create("net_stream");

    tcase_add_test(fs, frames_split_and_batched);
    tcase_add_test(fs, bad_lengths_break_the_stream);
    tcase_add_test(fs, full_write_buffer_says_eagain);
    suite_add_tcase(s, fs);
    tcase_add_checked_fixture(dev, setup_dev, teardown_dev);
    tcase_set_timeout(dev, 30);
    tcase_add_test(dev, rx_many_frames_in_order);
    tcase_add_test(dev, tx_waits_for_a_slow_world);
    suite_add_tcase(s, dev);
    return check_run(s);
}
