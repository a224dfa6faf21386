/*
 * check_mmio_sweep.c: the exhaustive sweep of the virtio-mmio register
 * space that HOSTILE-INPUT.md §3.B asks for (issue 6): for each device
 * (rng, blk, console, net) and each driver stage (reset, ACKNOWLEDGE,
 * DRIVER, FEATURES_OK, DRIVER_OK with live queues), every byte offset of
 * the 0x200-byte window (registers and config space) is read and written
 * with every width (1, 2, 4, 8), writes with several values, each write
 * followed by what a driver does next (read every register, configure
 * and enable the selected queue, kick every queue).  Nothing may crash (ASan/UBSan run
 * this suite), hang or leave the device dead: after each stage's sweep, a
 * reset and a normal bring-up must give a device that answers a request.
 */
#include <check.h>
#include <linux/virtio_ids.h>
#include <linux/virtio_mmio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "devices/backend/net_fd.h"
#include "devices/virtio/blk.h"
#include "devices/virtio/console.h"
#include "devices/virtio/net.h"
#include "devices/virtio/rng.h"
#include "devices/virtio/virtio.h"
#include "devices/virtio/virtio_mmio.h"
#include "harness/blk_mem.h"
#include "harness/check_run.h"
#include "harness/test_vm.h"
#include "harness/vdriver.h"
#include "vmm/util.h"

#define RAM (4 * MiB)
#define BASE 0xd0000000ULL
#define WINDOW 0x200
#define V1 (1ULL << VIRTIO_F_VERSION_1)

enum stage { ST_RESET, ST_ACK, ST_DRIVER, ST_FEATURES_OK, ST_DRIVER_OK, ST_N };

static struct test_mem tm;
static struct test_irq irq;
static struct bus bus;
static struct vdrv drv;
static GMainContext *ctx;
static int world = -1;

static struct vrng rng;
static struct blk_mem disk;
static struct vblk blk;
static struct vcon con;
static struct vnet net;
static struct virtio_dev *dev;
static uint32_t dev_id;
static unsigned nq;

static ssize_t sink_write(struct vcon_sink *s, const void *b, size_t n)
{
    return (ssize_t)n;
}

static void sink_nop(struct vcon_sink *s)
{
}

static struct vcon_sink sink = { sink_write, sink_nop, sink_nop };

static void setup_dev(int which)
{
    test_mem_init(&tm, RAM, 0);
    test_irq_init(&irq);
    bus_init(&bus, "mmio");
    ctx = g_main_context_new();
    switch (which) {
    case 0:
        vrng_init(&rng, 0, &tm.gm, &irq.line);
        dev = &rng.vdev, dev_id = VIRTIO_ID_RNG, nq = 1;
        break;
    case 1:
        blk_mem_init(&disk, 64 * KiB, false);
        vblk_init(&blk, &disk.be, &tm.gm, &irq.line);
        dev = &blk.vdev, dev_id = VIRTIO_ID_BLOCK, nq = 1;
        break;
    case 2:
        vcon_init(&con, &sink, &tm.gm, &irq.line);
        dev = &con.vdev, dev_id = VIRTIO_ID_CONSOLE, nq = 2;
        break;
    default: {
        static const uint8_t mac[6] = { 2, 0x68, 0x75, 9, 9, 9 };
        int sv[2];

        ck_assert_int_eq(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv), 0);
        world = sv[1];
        vnet_init(&net, net_fd_new(sv[0], false, 0, NULL, "fd", ctx), mac,
                  1500, &tm.gm, &irq.line);
        dev = &net.vdev, dev_id = VIRTIO_ID_NET, nq = 2;
        break;
    }
    }
    ck_assert_int_eq(bus_add(&bus, "dev", BASE, VIRTIO_MMIO_SIZE,
                             &virtio_mmio_ops, dev),
                     0);
    vdrv_init(&drv, &tm, &bus, BASE, 0x10000, RAM);
}

static void teardown_dev(int which)
{
    switch (which) {
    case 0:
        vrng_cleanup(&rng);
        break;
    case 1:
        vblk_cleanup(&blk);
        break;
    case 2:
        vcon_cleanup(&con);
        break;
    default:
        vnet_cleanup(&net);
        close(world);
        break;
    }
    g_main_context_unref(ctx);
    test_mem_free(&tm);
}

/* Brings the device to a stage the way a driver would.  The allocator is
 * rewound so repeated bring-ups reuse the same rings. */
static void reach(enum stage s)
{
    vdrv_init(&drv, &tm, &bus, BASE, 0x10000, RAM);
    vdrv_wr(&drv, VIRTIO_MMIO_STATUS, 0);
    if (s == ST_RESET) {
        return;
    }
    if (s == ST_DRIVER_OK) {
        vdrv_bringup(&drv, dev_id, V1, nq, 16);
        return;
    }
    vdrv_wr(&drv, VIRTIO_MMIO_STATUS, VIRTIO_S_ACKNOWLEDGE);
    if (s == ST_ACK) {
        return;
    }
    vdrv_wr(&drv, VIRTIO_MMIO_STATUS,
            VIRTIO_S_ACKNOWLEDGE | VIRTIO_S_DRIVER);
    if (s == ST_DRIVER) {
        return;
    }
    ck_assert(vdrv_negotiate(&drv, V1));
}

static void reg_access(uint64_t off, unsigned width, bool write, uint64_t v)
{
    uint64_t out = 0;

    if (write) {
        bus_write(&bus, BASE + off, &v, width);
    } else {
        bus_read(&bus, BASE + off, &out, width);
    }
}

static void kick_all(void)
{
    for (unsigned q = 0; q < nq + 2; q++) {
        uint32_t v = q;

        bus_write(&bus, BASE + VIRTIO_MMIO_QUEUE_NOTIFY, &v, 4);
    }
    for (int i = 0; i < 4; i++) {
        g_main_context_iteration(ctx, FALSE);
    }
}

/* What the state one write left behind meets next: every 32-bit register
 * read, the selected queue configured and enabled, every queue kicked.
 * (A bad QueueSel, say, is harmless alone and only bites here.) */
static void follow_up(void)
{
    static const struct {
        uint64_t off;
        uint32_t v;
    } w[] = {
        { VIRTIO_MMIO_QUEUE_NUM, 16 },
        { VIRTIO_MMIO_QUEUE_DESC_LOW, 0x10000 },
        { VIRTIO_MMIO_QUEUE_AVAIL_LOW, 0x11000 },
        { VIRTIO_MMIO_QUEUE_USED_LOW, 0x12000 },
        { VIRTIO_MMIO_QUEUE_READY, 1 },
        { VIRTIO_MMIO_INTERRUPT_ACK, 3 },
    };

    for (uint64_t off = 0; off < 0x100; off += 4) {
        reg_access(off, 4, false, 0);
    }
    for (unsigned i = 0; i < G_N_ELEMENTS(w); i++) {
        reg_access(w[i].off, 4, true, w[i].v);
    }
    kick_all();
}

/* After a sweep: reset, a normal bring-up, and one request answered. */
static void still_works(enum stage s, uint64_t off)
{
    uint64_t buf;
    uint16_t head;
    uint32_t len;

    reach(ST_DRIVER_OK);
    ck_assert_msg(vdrv_rd(&drv, VIRTIO_MMIO_STATUS) & VIRTIO_S_DRIVER_OK,
                  "device %u dead after the sweep of stage %d (last offset "
                  "0x%llx)",
                  dev_id, s, (unsigned long long)off);
    buf = vdrv_alloc(&drv, 4096, 16);
    if (dev_id == VIRTIO_ID_RNG) {
        struct vdrv_buf b = { buf, 64, true };

        vdrv_add_chain(&drv, 0, &b, 1);
        vdrv_kick(&drv, 0);
        ck_assert(vdrv_get_used(&drv, 0, &head, &len));
        ck_assert_uint_eq(len, 64);
    } else if (dev_id == VIRTIO_ID_BLOCK) {
        /* GET_ID: header, 20 writable bytes, status. */
        uint8_t *p = tm.low + buf;
        struct vdrv_buf b[3] = { { buf, 16, false },
                                 { buf + 64, 20, true },
                                 { buf + 128, 1, true } };

        memset(p, 0, 16);
        p[0] = 8; /* VIRTIO_BLK_T_GET_ID */
        p[128] = 0xff;
        vdrv_add_chain(&drv, 0, b, 3);
        vdrv_kick(&drv, 0);
        ck_assert(vdrv_get_used(&drv, 0, &head, &len));
        ck_assert_uint_eq(p[128], 0); /* VIRTIO_BLK_S_OK */
    } else if (dev_id == VIRTIO_ID_CONSOLE) {
        struct vdrv_buf b = { buf, 5, false };

        memcpy(tm.low + buf, "hello", 5);
        vdrv_add_chain(&drv, 1, &b, 1);
        vdrv_kick(&drv, 1);
        ck_assert(vdrv_get_used(&drv, 1, &head, &len));
    } else {
        uint8_t got[128];
        struct vdrv_buf b[2] = { { buf, NET_HDR_LEN, false },
                                 { buf + 64, 60, false } };

        memset(tm.low + buf, 0, 128);
        vdrv_add_chain(&drv, VNET_TX, b, 2);
        vdrv_kick(&drv, VNET_TX);
        ck_assert(vdrv_get_used(&drv, VNET_TX, &head, &len));
        /* Drain what the sweep's kicks may have sent, then ours. */
        while (recv(world, got, sizeof(got), MSG_DONTWAIT) > 0) {
        }
    }
}

START_TEST(sweep_every_register_in_every_stage)
{
    static const unsigned widths[] = { 1, 2, 4, 8 };
    /* Small numbers matter for the index registers (QueueSel: one past
     * the device's queues, one past husk's table of 8, far out). */
    static const uint64_t values[] = { 0,    1,    2,          3,
                                       8,    9,    63,         0x1000,
                                       0x80000001ULL, 0xffffffffffffffffULL };

    setup_dev(_i);
    for (enum stage s = ST_RESET; s < ST_N; s++) {
        uint64_t off = 0;

        reach(s);
        for (off = 0; off < WINDOW; off++) {
            for (unsigned w = 0; w < G_N_ELEMENTS(widths); w++) {
                reg_access(off, widths[w], false, 0);
            }
        }
        for (off = 0; off < WINDOW; off++) {
            for (unsigned w = 0; w < G_N_ELEMENTS(widths); w++) {
                /* All values for the 32-bit registers; one for the rest. */
                unsigned nv = widths[w] == 4 ? G_N_ELEMENTS(values) : 1;

                for (unsigned v = 0; v < nv; v++) {
                    reg_access(off, widths[w], true,
                           widths[w] == 4 ? values[v]
                                          : values[G_N_ELEMENTS(values) - 1]);
                    follow_up();
                    /* Every write starts from the stage again: a write
                     * to Status or QueueSel changes what the next one
                     * would reach. */
                    reach(s);
                }
            }
        }
        still_works(s, off);
    }
    teardown_dev(_i);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("mmio_sweep");
    TCase *tc = tcase_create("sweep");

    tcase_set_timeout(tc, 120);
    /* 0 rng, 1 blk, 2 console, 3 net */
    tcase_add_loop_test(tc, sweep_every_register_in_every_stage, 0, 4);
    suite_add_tcase(s, tc);
    return check_run(s);
}
