/*
 * check_virtio_net.c: virtio-net driven by the test-side driver over a
 * calloc'd guest memory, with the frame-descriptor backend on one end of
 * a SOCK_SEQPACKET socketpair (the test holds the other end, as "the
 * world"): frames both ways, RX with no buffers then refill, mergeable RX
 * buffers, TX back-pressure, and each malformed TX case a hostile guest can
 * send (C2, N01-N12): dropped and counted, the chain returned, nothing sent,
 * and a valid frame afterwards still works.
 */
#include <check.h>
#include <errno.h>
#include <linux/virtio_ids.h>
#include <linux/virtio_mmio.h>
#include <linux/virtio_net.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "devices/backend/net_fd.h"
#include "devices/virtio/net.h"
#include "devices/virtio/virtio_mmio.h"
#include "harness/check_run.h"
#include "harness/test_vm.h"
#include "harness/vdriver.h"
#include "lib/util.h"

#define RAM (4 * MiB)
#define BASE 0xd0000000ULL
#define QSZ 256
#define BASIC                                                    \
    ((1ULL << VIRTIO_F_VERSION_1) | (1ULL << VIRTIO_NET_F_MAC) | \
     (1ULL << VIRTIO_NET_F_STATUS))
#define MRG (BASIC | (1ULL << VIRTIO_NET_F_MRG_RXBUF))

static const uint8_t mac[6] = {0x02, 0x68, 0x75, 0x01, 0x02, 0x03};
static struct test_mem tm;
static struct test_irq irq;
static struct bus bus;
static struct vnet net;
static struct vdrv drv;
static GMainContext *ctx;
static int world = -1; /* the test's end of the socketpair */
static uint64_t txbuf, rxbuf;

static bool csum_valid; /* the backend vouches for its checksums (slirp) */

static void bring_up(bool vnet_hdr, uint64_t offloads, uint64_t want)
{
    int sv[2];
    struct net_backend *be;

    test_mem_init(&tm, RAM, 0);
    test_irq_init(&irq);
    bus_init(&bus, "mmio");
    ctx = g_main_context_new();
    ck_assert_int_eq(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv), 0);
    world = sv[1];
    be = net_fd_new(sv[0], vnet_hdr, offloads, NULL, "fd", ctx);
    be->rx_csum_valid = csum_valid;
    vnet_init(&net, be, mac, 1500, &tm.gm, &irq.line);
    ck_assert_int_eq(bus_add(&bus, "net", BASE, VIRTIO_MMIO_SIZE,
                             &virtio_mmio_ops, &net.vdev),
                     0);
    vdrv_init(&drv, &tm, &bus, BASE, 0x10000, RAM);
    vdrv_bringup(&drv, VIRTIO_ID_NET, want, 2, QSZ);
    txbuf = vdrv_alloc(&drv, 128 * KiB, 16);
    rxbuf = vdrv_alloc(&drv, 256 * KiB, 16);
}

static void setup(void)
{
    bring_up(false, 0, MRG);
}

static void setup_no_mrg(void)
{
    bring_up(false, 0, BASIC);
}

/* TAP-like: the backend takes headers and can do checksum and TSO. */
static void setup_vnet_hdr(void)
{
    uint64_t off =
        (1ULL << VIRTIO_NET_F_CSUM) | (1ULL << VIRTIO_NET_F_GUEST_CSUM) |
        (1ULL << VIRTIO_NET_F_HOST_TSO4) | (1ULL << VIRTIO_NET_F_GUEST_TSO4);

    bring_up(true, off, MRG | off);
}

/* A slirp-like backend; the driver takes GUEST_CSUM or not. */
static void setup_csum_valid(void)
{
    csum_valid = true;
    bring_up(false, 0, MRG | (1ULL << VIRTIO_NET_F_GUEST_CSUM));
}

static void setup_csum_valid_not_negotiated(void)
{
    csum_valid = true;
    bring_up(false, 0, MRG);
}

static void teardown(void)
{
    csum_valid = false;
    vnet_cleanup(&net);
    close(world);
    g_main_context_unref(ctx);
    test_mem_free(&tm);
}

static void spin(void)
{
    for (int i = 0; i < 20; i++) {
        g_main_context_iteration(ctx, FALSE);
    }
}

/* A frame of len bytes with a recognisable pattern. */
static void make_frame(uint8_t *f, size_t len, uint8_t seed)
{
    for (size_t i = 0; i < len; i++) {
        f[i] = (uint8_t)(seed + i * 13);
    }
    memcpy(f, mac, 6); /* dst */
}

/* Guest TX: header (flags, gso) + frame of len bytes from txbuf. */
static uint16_t tx(const uint8_t *hdr12, size_t len, uint8_t seed)
{
    struct vdrv_buf b[2];

    memset(tm.low + txbuf, 0, NET_HDR_LEN);
    if (hdr12) {
        memcpy(tm.low + txbuf, hdr12, NET_HDR_LEN);
    }
    make_frame(tm.low + txbuf + NET_HDR_LEN, len, seed);
    b[0] = (struct vdrv_buf){txbuf, NET_HDR_LEN, false};
    b[1] = (struct vdrv_buf){txbuf + NET_HDR_LEN, (uint32_t)len, false};
    return vdrv_add_chain(&drv, VNET_TX, b, len ? 2 : 1);
}

/* Posts n RX buffers of size bytes each. */
static void post_rx(unsigned n, uint32_t size)
{
    for (unsigned i = 0; i < n; i++) {
        struct vdrv_buf b = {rxbuf + (uint64_t)i * size, size, true};

        vdrv_add_chain(&drv, VNET_RX, &b, 1);
    }
    vdrv_kick(&drv, VNET_RX);
}

static ssize_t world_recv(uint8_t *buf, size_t len)
{
    return recv(world, buf, len, MSG_DONTWAIT);
}

START_TEST(config_and_features)
{
    uint32_t v = vdrv_rd(&drv, VIRTIO_MMIO_CONFIG);
    uint32_t w = vdrv_rd(&drv, VIRTIO_MMIO_CONFIG + 4);

    ck_assert_uint_eq(v & 0xff, mac[0]);
    ck_assert_uint_eq(v >> 24, mac[3]);
    ck_assert_uint_eq((w >> 8) & 0xff, mac[5]);
    ck_assert_uint_eq(w >> 16, VIRTIO_NET_S_LINK_UP);
    ck_assert_uint_eq(vdrv_rd(&drv, VIRTIO_MMIO_CONFIG + 8) >> 16, 1500);
    /* No offloads from a backend that takes no headers. */
    ck_assert(!virtio_has_feature(&net.vdev, VIRTIO_NET_F_CSUM));
    ck_assert(virtio_has_feature(&net.vdev, VIRTIO_NET_F_MRG_RXBUF));
}
END_TEST

/* An interrupt says buffers were used: a kick that used none raises
 * none (it once did, once per kick, without EVENT_IDX). */
START_TEST(empty_kick_raises_no_interrupt)
{
    unsigned before = irq.rising;

    vdrv_kick(&drv, VNET_TX);
    vdrv_kick(&drv, VNET_RX);
    spin();
    ck_assert_uint_eq(irq.rising, before);
    ck_assert_uint_eq(vdrv_rd(&drv, VIRTIO_MMIO_INTERRUPT_STATUS), 0);
}
END_TEST

START_TEST(tx_reaches_the_world)
{
    uint8_t got[2048], want[1514];
    uint16_t h;
    uint32_t l;

    tx(NULL, sizeof(want), 7);
    vdrv_kick(&drv, VNET_TX);
    ck_assert(vdrv_get_used(&drv, VNET_TX, &h, &l));
    make_frame(want, sizeof(want), 7);
    ck_assert_int_eq(world_recv(got, sizeof(got)), sizeof(want));
    ck_assert(!memcmp(got, want, sizeof(want)));
    ck_assert_uint_eq(net.tx_frames, 1);
    ck_assert_uint_gt(irq.rising, 0);
}
END_TEST

START_TEST(rx_reaches_the_guest)
{
    uint8_t f[1000];
    uint16_t h;
    uint32_t l;
    const uint8_t *b = tm.low + rxbuf;

    post_rx(4, 2048);
    make_frame(f, sizeof(f), 3);
    ck_assert_int_eq(send(world, f, sizeof(f), 0), sizeof(f));
    spin();
    ck_assert(vdrv_get_used(&drv, VNET_RX, &h, &l));
    ck_assert_uint_eq(l, NET_HDR_LEN + sizeof(f));
    ck_assert_uint_eq(b[0], 0);             /* flags */
    ck_assert_uint_eq(get_le16(b + 10), 1); /* num_buffers */
    ck_assert(!memcmp(b + NET_HDR_LEN, f, sizeof(f)));
    ck_assert_uint_eq(net.rx_frames, 1);
}
END_TEST

/* Frames wait while the guest has no RX buffers, in order, none lost, and
 * flow once it adds some (CVE-2020-16843). */
START_TEST(rx_waits_for_buffers_then_resumes)
{
    uint8_t f[600];
    uint16_t h;
    uint32_t l;

    for (int i = 0; i < 5; i++) {
        make_frame(f, sizeof(f), (uint8_t)i);
        ck_assert_int_eq(send(world, f, sizeof(f), 0), sizeof(f));
    }
    spin();
    ck_assert(!vdrv_get_used(&drv, VNET_RX, &h, &l));
    ck_assert(net.rx_wanted);
    post_rx(2, 1024);
    spin();
    for (int i = 0; i < 2; i++) {
        ck_assert(vdrv_get_used(&drv, VNET_RX, &h, &l));
    }
    ck_assert(!vdrv_get_used(&drv, VNET_RX, &h, &l));
    post_rx(8, 1024);
    spin();
    for (int i = 2; i < 5; i++) {
        ck_assert(vdrv_get_used(&drv, VNET_RX, &h, &l));
        make_frame(f, sizeof(f), (uint8_t)i);
        /* post_rx reused buffer slots from 0: frame i-2 of this batch */
        ck_assert(
            !memcmp(tm.low + rxbuf + (uint64_t)(i - 2) * 1024 + NET_HDR_LEN, f,
                    sizeof(f)));
    }
    ck_assert_uint_eq(net.rx_frames, 5);
    ck_assert_uint_eq(net.rx_dropped, 0);
}
END_TEST

/* A 4000-byte frame over 1500-byte mergeable buffers: three chains,
 * num_buffers 3, published together. */
START_TEST(mergeable_rx_buffers)
{
    uint8_t f[4000];
    uint16_t h;
    uint32_t l, sum = 0;
    uint8_t *got = g_malloc(8192);

    post_rx(5, 1500);
    make_frame(f, sizeof(f), 9);
    ck_assert_int_eq(send(world, f, sizeof(f), 0), sizeof(f));
    spin();
    for (int i = 0; i < 3; i++) {
        ck_assert(vdrv_get_used(&drv, VNET_RX, &h, &l));
        ck_assert_uint_eq(h, i);
        memcpy(got + sum, tm.low + rxbuf + (uint64_t)i * 1500, l);
        sum += l;
    }
    ck_assert(!vdrv_get_used(&drv, VNET_RX, &h, &l));
    ck_assert_uint_eq(sum, NET_HDR_LEN + sizeof(f));
    ck_assert_uint_eq(get_le16(got + 10), 3);
    ck_assert(!memcmp(got + NET_HDR_LEN, f, sizeof(f)));
    g_free(got);
}
END_TEST

/* Two buffers for a frame that needs three: none is used until the third
 * arrives, then the frame lands whole. */
START_TEST(mergeable_rx_waits_for_enough_buffers)
{
    uint8_t f[4000];
    uint16_t h;
    uint32_t l, sum = 0;

    post_rx(2, 1500);
    make_frame(f, sizeof(f), 9);
    ck_assert_int_eq(send(world, f, sizeof(f), 0), sizeof(f));
    spin();
    ck_assert(!vdrv_get_used(&drv, VNET_RX, &h, &l));
    ck_assert_uint_eq(net.rx_dropped, 0);
    {
        struct vdrv_buf b = {rxbuf + 2 * 1500, 1500, true};

        vdrv_add_chain(&drv, VNET_RX, &b, 1);
        vdrv_kick(&drv, VNET_RX);
    }
    spin();
    for (int i = 0; i < 3; i++) {
        ck_assert(vdrv_get_used(&drv, VNET_RX, &h, &l));
        ck_assert_uint_eq(h, i);
        sum += l;
    }
    ck_assert_uint_eq(sum, NET_HDR_LEN + sizeof(f));
    ck_assert_uint_eq(get_le16(tm.low + rxbuf + 10), 3);
    ck_assert(!memcmp(tm.low + rxbuf + NET_HDR_LEN, f, 1500 - NET_HDR_LEN));
}
END_TEST

/* Without mergeable buffers a frame must fit one chain: a too-small
 * buffer drops the frame and stays for the next one that fits. */
START_TEST(no_mrg_too_small_buffer_drops_frame)
{
    uint8_t f[1400];
    uint16_t h;
    uint32_t l;

    post_rx(1, 512);
    make_frame(f, sizeof(f), 1);
    ck_assert_int_eq(send(world, f, 1400, 0), 1400);
    ck_assert_int_eq(send(world, f, 300, 0), 300);
    spin();
    ck_assert_uint_eq(net.rx_dropped, 1);
    ck_assert(vdrv_get_used(&drv, VNET_RX, &h, &l));
    ck_assert_uint_eq(l, NET_HDR_LEN + 300);
}
END_TEST

/* The guest stops reading the world... the world stops reading the guest:
 * send blocks, the frame waits (not dropped, not returned), and every
 * frame arrives once the world reads again. */
START_TEST(tx_back_pressure_loses_nothing)
{
    uint8_t got[2048];
    unsigned sent = 0, used = 0, n = 120; /* two descriptors each */
    uint16_t h;
    uint32_t l;
    int sz = 16384;

    setsockopt(world, SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));
    for (unsigned i = 0; i < n; i++) {
        tx(NULL, 1500, (uint8_t)i);
    }
    vdrv_kick(&drv, VNET_TX);
    while (vdrv_get_used(&drv, VNET_TX, &h, &l)) {
        used++;
    }
    ck_assert_uint_lt(used, n); /* it blocked */
    ck_assert_uint_eq(net.tx_frames, used);
    ck_assert(net.tx_pending);
    for (int spins = 0; spins < 10000 && sent < n; spins++) {
        while (world_recv(got, sizeof(got)) == 1500) {
            sent++;
        }
        g_main_context_iteration(ctx, FALSE);
        while (vdrv_get_used(&drv, VNET_TX, &h, &l)) {
            used++;
        }
    }
    ck_assert_uint_eq(sent, n);
    ck_assert_uint_eq(used, n);
    ck_assert_uint_eq(net.tx_dropped, 0);
}
END_TEST

/* Each malformed TX frame: dropped, counted, chain returned with 0,
 * nothing reaches the world; then a valid frame does. */
static void tx_rejected(const uint8_t *hdr, size_t len)
{
    uint8_t got[128];
    uint16_t h, head;
    uint32_t l;
    unsigned long before = net.tx_dropped;

    head = tx(hdr, len, 1);
    vdrv_kick(&drv, VNET_TX);
    ck_assert(vdrv_get_used(&drv, VNET_TX, &h, &l));
    ck_assert_uint_eq(h, head);
    ck_assert_uint_eq(l, 0);
    ck_assert_uint_eq(net.tx_dropped, before + 1);
    ck_assert_int_eq(world_recv(got, sizeof(got)), -1);
    ck_assert_uint_eq(vdrv_status(&drv) & VIRTIO_S_NEEDS_RESET, 0);
}

static void tx_valid_still_works(void)
{
    uint8_t got[128];
    uint16_t h;
    uint32_t l;

    tx(NULL, 60, 2);
    vdrv_kick(&drv, VNET_TX);
    ck_assert(vdrv_get_used(&drv, VNET_TX, &h, &l));
    ck_assert_int_eq(world_recv(got, sizeof(got)), 60);
}

START_TEST(tx_malformed_frames)
{
    uint8_t hdr[NET_HDR_LEN];
    struct vdrv_buf b[2];
    uint16_t h;
    uint32_t l;

    /* N01 no header at all: 8 bytes. */
    b[0] = (struct vdrv_buf){txbuf, 8, false};
    vdrv_add_chain(&drv, VNET_TX, b, 1);
    vdrv_kick(&drv, VNET_TX);
    ck_assert(vdrv_get_used(&drv, VNET_TX, &h, &l));
    ck_assert_uint_eq(net.tx_dropped, 1);
    /* N02 header only, N03 shorter than an Ethernet header. */
    tx_rejected(NULL, 0);
    tx_rejected(NULL, 13);
    /* N04 larger than 64 KiB + headers. */
    tx_rejected(NULL, NET_MAX_FRAME + 1);
    /* N05 checksum offload not negotiated. */
    memset(hdr, 0, sizeof(hdr));
    hdr[0] = VIRTIO_NET_HDR_F_NEEDS_CSUM;
    put_le16(hdr + 6, 34);
    put_le16(hdr + 8, 16);
    tx_rejected(hdr, 100);
    /* N06 GSO not negotiated. */
    memset(hdr, 0, sizeof(hdr));
    hdr[1] = VIRTIO_NET_HDR_GSO_TCPV4;
    put_le16(hdr + 4, 1448);
    tx_rejected(hdr, 100);
    /* N07 unknown flags (DATA_VALID is for RX). */
    memset(hdr, 0, sizeof(hdr));
    hdr[0] = VIRTIO_NET_HDR_F_DATA_VALID;
    tx_rejected(hdr, 100);
    /* N08 a writable descriptor in a TX chain. */
    b[0] = (struct vdrv_buf){txbuf, NET_HDR_LEN, false};
    b[1] = (struct vdrv_buf){txbuf + NET_HDR_LEN, 100, true};
    vdrv_add_chain(&drv, VNET_TX, b, 2);
    vdrv_kick(&drv, VNET_TX);
    ck_assert(vdrv_get_used(&drv, VNET_TX, &h, &l));
    ck_assert_uint_eq(net.tx_dropped, 8);
    tx_valid_still_works();
    ck_assert_uint_eq(net.tx_frames, 1);
}
END_TEST

/* With a header-carrying backend, offloads pass through once negotiated,
 * but offsets outside the frame are still refused. */
START_TEST(offloads_with_vnet_hdr_backend)
{
    uint8_t hdr[NET_HDR_LEN] = {0}, got[4096];
    uint8_t in[NET_HDR_LEN + 200];
    uint16_t h;
    uint32_t l;

    ck_assert(virtio_has_feature(&net.vdev, VIRTIO_NET_F_CSUM));
    ck_assert(virtio_has_feature(&net.vdev, VIRTIO_NET_F_HOST_TSO4));
    hdr[0] = VIRTIO_NET_HDR_F_NEEDS_CSUM;
    put_le16(hdr + 6, 34);
    put_le16(hdr + 8, 16);
    tx(hdr, 100, 5);
    vdrv_kick(&drv, VNET_TX);
    ck_assert(vdrv_get_used(&drv, VNET_TX, &h, &l));
    ck_assert_int_eq(world_recv(got, sizeof(got)), NET_HDR_LEN + 100);
    ck_assert_uint_eq(got[0], VIRTIO_NET_HDR_F_NEEDS_CSUM);
    ck_assert_uint_eq(get_le16(got + 6), 34);
    /* csum_start + csum_offset + 2 past the end of a 60-byte frame. */
    put_le16(hdr + 6, 50);
    put_le16(hdr + 8, 10);
    tx_rejected(hdr, 60);
    /* TSO with a header: accepted. */
    hdr[1] = VIRTIO_NET_HDR_GSO_TCPV4;
    put_le16(hdr + 2, 54);
    put_le16(hdr + 4, 1448);
    put_le16(hdr + 6, 34);
    put_le16(hdr + 8, 16);
    tx(hdr, 3000, 6);
    vdrv_kick(&drv, VNET_TX);
    ck_assert(vdrv_get_used(&drv, VNET_TX, &h, &l));
    ck_assert_int_eq(world_recv(got, sizeof(got)), NET_HDR_LEN + 3000);
    /* ECN not negotiated: refused. */
    hdr[1] = VIRTIO_NET_HDR_GSO_TCPV4 | VIRTIO_NET_HDR_GSO_ECN;
    tx_rejected(hdr, 3000);
    /* RX: the world's header reaches the guest, num_buffers ours. */
    memset(in, 0, sizeof(in));
    in[0] = VIRTIO_NET_HDR_F_DATA_VALID;
    put_le16(in + 10, 77);
    make_frame(in + NET_HDR_LEN, 200, 4);
    post_rx(2, 2048);
    ck_assert_int_eq(send(world, in, sizeof(in), 0), sizeof(in));
    spin();
    ck_assert(vdrv_get_used(&drv, VNET_RX, &h, &l));
    ck_assert_uint_eq(l, sizeof(in));
    ck_assert_uint_eq(tm.low[rxbuf], VIRTIO_NET_HDR_F_DATA_VALID);
    ck_assert_uint_eq(get_le16(tm.low + rxbuf + 10), 1);
    ck_assert(!memcmp(tm.low + rxbuf + NET_HDR_LEN, in + NET_HDR_LEN, 200));
}
END_TEST

/* An RX chain with nothing writable: NEEDS_RESET, and the device works
 * after a reset. */
START_TEST(rx_chain_not_writable_needs_reset)
{
    uint8_t f[100];
    struct vdrv_buf b = {rxbuf, 2048, false};
    uint16_t h;
    uint32_t l;

    vdrv_add_chain(&drv, VNET_RX, &b, 1);
    vdrv_kick(&drv, VNET_RX);
    make_frame(f, sizeof(f), 1);
    ck_assert_int_eq(send(world, f, sizeof(f), 0), sizeof(f));
    spin();
    ck_assert_uint_eq(vdrv_status(&drv) & VIRTIO_S_NEEDS_RESET,
                      VIRTIO_S_NEEDS_RESET);
    vdrv_bringup(&drv, VIRTIO_ID_NET, MRG, 2, QSZ);
    post_rx(1, 2048);
    ck_assert_int_eq(send(world, f, sizeof(f), 0), sizeof(f));
    spin();
    ck_assert(vdrv_get_used(&drv, VNET_RX, &h, &l));
    ck_assert_uint_eq(l, NET_HDR_LEN + sizeof(f));
}
END_TEST

/* Frames sent before the driver is up wait for it (not dropped). */
START_TEST(rx_before_driver_ok_waits)
{
    uint8_t f[100];
    uint16_t h;
    uint32_t l;

    vdrv_wr(&drv, VIRTIO_MMIO_STATUS, 0);
    make_frame(f, sizeof(f), 1);
    ck_assert_int_eq(send(world, f, sizeof(f), 0), sizeof(f));
    spin();
    ck_assert_uint_eq(net.rx_frames, 0);
    vdrv_bringup(&drv, VIRTIO_ID_NET, MRG, 2, QSZ);
    post_rx(1, 2048);
    spin();
    ck_assert(vdrv_get_used(&drv, VNET_RX, &h, &l));
    ck_assert_uint_eq(net.rx_frames, 1);
}
END_TEST

/* Frames from a stack that computed their checksums reach the guest
 * marked DATA_VALID, and only when the driver took GUEST_CSUM. */
START_TEST(rx_data_valid_when_negotiated)
{
    uint8_t f[200];
    uint16_t h;
    uint32_t l;
    bool negotiated = virtio_has_feature(&net.vdev, VIRTIO_NET_F_GUEST_CSUM);

    ck_assert_uint_eq(negotiated, _i == 0);
    post_rx(1, 2048);
    make_frame(f, sizeof(f), 5);
    ck_assert_int_eq(send(world, f, sizeof(f), 0), sizeof(f));
    spin();
    ck_assert(vdrv_get_used(&drv, VNET_RX, &h, &l));
    ck_assert_uint_eq(tm.low[rxbuf],
                      negotiated ? VIRTIO_NET_HDR_F_DATA_VALID : 0);
    ck_assert(!memcmp(tm.low + rxbuf + NET_HDR_LEN, f, sizeof(f)));
    /* Never offered as a TX offload: slirp needs full checksums. */
    ck_assert(!virtio_has_feature(&net.vdev, VIRTIO_NET_F_CSUM));
}
END_TEST

int main(void)
{
    Suite *s = suite_create("virtio_net");
    TCase *io = tcase_create("io");
    TCase *nomrg = tcase_create("no_mrg");
    TCase *hdr = tcase_create("vnet_hdr");
    TCase *cv = tcase_create("csum_valid");
    TCase *cvn = tcase_create("csum_valid_not_negotiated");

    tcase_add_checked_fixture(io, setup, teardown);
    tcase_add_test(io, config_and_features);
    tcase_add_test(io, empty_kick_raises_no_interrupt);
    tcase_add_test(io, tx_reaches_the_world);
    tcase_add_test(io, rx_reaches_the_guest);
    tcase_add_test(io, rx_waits_for_buffers_then_resumes);
    tcase_add_test(io, mergeable_rx_buffers);
    tcase_add_test(io, mergeable_rx_waits_for_enough_buffers);
    tcase_add_test(io, tx_back_pressure_loses_nothing);
    tcase_add_test(io, tx_malformed_frames);
    tcase_add_test(io, rx_chain_not_writable_needs_reset);
    tcase_add_test(io, rx_before_driver_ok_waits);
    suite_add_tcase(s, io);
    tcase_add_checked_fixture(nomrg, setup_no_mrg, teardown);
    tcase_add_test(nomrg, no_mrg_too_small_buffer_drops_frame);
    suite_add_tcase(s, nomrg);
    tcase_add_checked_fixture(hdr, setup_vnet_hdr, teardown);
    tcase_add_test(hdr, offloads_with_vnet_hdr_backend);
    suite_add_tcase(s, hdr);
    tcase_add_checked_fixture(cv, setup_csum_valid, teardown);
    tcase_add_loop_test(cv, rx_data_valid_when_negotiated, 0, 1);
    suite_add_tcase(s, cv);
    tcase_add_checked_fixture(cvn, setup_csum_valid_not_negotiated, teardown);
    tcase_add_loop_test(cvn, rx_data_valid_when_negotiated, 1, 2);
    suite_add_tcase(s, cvn);
    return check_run(s);
}
