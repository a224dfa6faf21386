/*
 * devkit.c: see devkit.h.
 */
#include "harness/devkit.h"

#include <check.h>
#include <errno.h>
#include <linux/virtio_ids.h>
#include <linux/virtio_mmio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "devices/backend/net_fd.h"
#include "devices/virtio/virtio.h"
#include "devices/virtio/virtio_mmio.h"

static struct devkit *sink_kit;

static ssize_t sink_write(struct vcon_sink *s, const void *b, size_t n)
{
    if (sink_kit && sink_kit->console_blocked) {
        return -EAGAIN;
    }
    if (sink_kit) {
        g_string_append_len(sink_kit->console_out, b, (gssize)n);
    }
    return (ssize_t)n;
}

static void sink_nop(struct vcon_sink *s)
{
}

static struct vcon_sink sink = {sink_write, sink_nop, sink_nop};

void dk_setup(struct devkit *k, enum dk_device kind)
{
    memset(k, 0, sizeof(*k));
    k->kind = kind;
    k->world = -1;
    test_mem_init(&k->tm, DK_RAM, 0);
    test_irq_init(&k->irq);
    bus_init(&k->bus, "mmio");
    k->ctx = g_main_context_new();
    k->console_out = g_string_new(NULL);
    switch (kind) {
    case DK_RNG:
        vrng_init(&k->rng, 0, &k->tm.gm, &k->irq.line);
        k->dev = &k->rng.vdev, k->dev_id = VIRTIO_ID_RNG, k->nq = 1;
        break;
    case DK_BLK:
        blk_mem_init(&k->disk, 64 * 1024, false);
        vblk_init(&k->blk, &k->disk.be, &k->tm.gm, &k->irq.line);
        k->dev = &k->blk.vdev, k->dev_id = VIRTIO_ID_BLOCK, k->nq = 1;
        break;
    case DK_CONSOLE:
        sink_kit = k;
        vcon_init(&k->con, &sink, &k->tm.gm, &k->irq.line);
        k->dev = &k->con.vdev, k->dev_id = VIRTIO_ID_CONSOLE, k->nq = 2;
        break;
    default: {
        static const uint8_t mac[6] = {2, 0x68, 0x75, 9, 9, 9};
        int sv[2];

        ck_assert_int_eq(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv), 0);
        k->world = sv[1];
        vnet_init(&k->net, net_fd_new(sv[0], false, 0, NULL, "fd", k->ctx), mac,
                  1500, &k->tm.gm, &k->irq.line);
        k->dev = &k->net.vdev, k->dev_id = VIRTIO_ID_NET, k->nq = 2;
        break;
    }
    }
    ck_assert_int_eq(bus_add(&k->bus, "dev", DK_BASE, VIRTIO_MMIO_SIZE,
                             &virtio_mmio_ops, k->dev),
                     0);
    vdrv_init(&k->drv, &k->tm, &k->bus, DK_BASE, 0x10000, DK_RAM);
}

void dk_teardown(struct devkit *k)
{
    switch (k->kind) {
    case DK_RNG:
        vrng_cleanup(&k->rng);
        break;
    case DK_BLK:
        vblk_cleanup(&k->blk);
        free(k->disk.data);
        break;
    case DK_CONSOLE:
        vcon_cleanup(&k->con);
        sink_kit = NULL;
        break;
    default:
        vnet_cleanup(&k->net);
        close(k->world);
        break;
    }
    g_string_free(k->console_out, TRUE);
    g_main_context_unref(k->ctx);
    test_mem_free(&k->tm);
}

void dk_reach(struct devkit *k, enum dk_stage s, uint64_t features)
{
    vdrv_init(&k->drv, &k->tm, &k->bus, DK_BASE, 0x10000, DK_RAM);
    vdrv_wr(&k->drv, VIRTIO_MMIO_STATUS, 0);
    if (s == DK_RESET) {
        return;
    }
    if (s == DK_DRIVER_OK) {
        vdrv_bringup(&k->drv, k->dev_id, features, k->nq, DK_QSIZE);
        return;
    }
    vdrv_wr(&k->drv, VIRTIO_MMIO_STATUS, VIRTIO_S_ACKNOWLEDGE);
    if (s == DK_ACK) {
        return;
    }
    vdrv_wr(&k->drv, VIRTIO_MMIO_STATUS,
            VIRTIO_S_ACKNOWLEDGE | VIRTIO_S_DRIVER);
    if (s == DK_DRIVER) {
        return;
    }
    ck_assert(vdrv_negotiate(&k->drv, features));
}

void dk_poll(struct devkit *k)
{
    for (int i = 0; i < 8; i++) {
        g_main_context_iteration(k->ctx, FALSE);
    }
}

bool dk_needs_reset(struct devkit *k)
{
    return vdrv_rd(&k->drv, VIRTIO_MMIO_STATUS) & VIRTIO_S_NEEDS_RESET;
}

void dk_still_works(struct devkit *k, const char *what)
{
    uint64_t buf;
    uint16_t head;
    uint32_t len;

    dk_poll(k);
    dk_reach(k, DK_DRIVER_OK, 1ULL << VIRTIO_F_VERSION_1);
    ck_assert_msg(vdrv_rd(&k->drv, VIRTIO_MMIO_STATUS) & VIRTIO_S_DRIVER_OK,
                  "%s: device %u dead after reset", what, k->dev_id);
    buf = vdrv_alloc(&k->drv, 4096, 16);
    if (k->dev_id == VIRTIO_ID_RNG) {
        struct vdrv_buf b = {buf, 64, true};

        vdrv_add_chain(&k->drv, 0, &b, 1);
        vdrv_kick(&k->drv, 0);
        ck_assert_msg(vdrv_get_used(&k->drv, 0, &head, &len) && len == 64,
                      "%s: rng does not answer after reset", what);
    } else if (k->dev_id == VIRTIO_ID_BLOCK) {
        /* GET_ID: header, 20 writable bytes, status. */
        uint8_t *p = dk_mem(k, buf);
        struct vdrv_buf b[3] = {
            {buf, 16, false}, {buf + 64, 20, true}, {buf + 128, 1, true}};

        memset(p, 0, 16);
        p[0] = 8; /* VIRTIO_BLK_T_GET_ID */
        p[128] = 0xff;
        vdrv_add_chain(&k->drv, 0, b, 3);
        vdrv_kick(&k->drv, 0);
        ck_assert_msg(vdrv_get_used(&k->drv, 0, &head, &len) && p[128] == 0,
                      "%s: blk does not answer after reset", what);
    } else if (k->dev_id == VIRTIO_ID_CONSOLE) {
        struct vdrv_buf b = {buf, 5, false};

        memcpy(dk_mem(k, buf), "hello", 5);
        vdrv_add_chain(&k->drv, 1, &b, 1);
        vdrv_kick(&k->drv, 1);
        ck_assert_msg(vdrv_get_used(&k->drv, 1, &head, &len),
                      "%s: console does not answer after reset", what);
    } else {
        uint8_t got[2048];
        struct vdrv_buf b[2] = {{buf, NET_HDR_LEN, false},
                                {buf + 64, 60, false}};
        ssize_t n = 0;

        /* Drain what the case sent, then ours must arrive. */
        while (recv(k->world, got, sizeof(got), MSG_DONTWAIT) > 0) {
        }
        memset(dk_mem(k, buf), 0, 128);
        memset(dk_mem(k, buf + 64), 0xab, 60);
        vdrv_add_chain(&k->drv, VNET_TX, b, 2);
        vdrv_kick(&k->drv, VNET_TX);
        dk_poll(k);
        ck_assert_msg(vdrv_get_used(&k->drv, VNET_TX, &head, &len),
                      "%s: net TX not answered after reset", what);
        n = recv(k->world, got, sizeof(got), MSG_DONTWAIT);
        ck_assert_msg(n == 60, "%s: net frame after reset: %zd bytes", what, n);
    }
}
