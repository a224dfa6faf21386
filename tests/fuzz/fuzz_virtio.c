/*
 * fuzz_virtio.c: libFuzzer target for the virtio-mmio transport, the
 * virtqueue library and one device (DEVICE = blk, rng, console or net,
 * chosen at build time; net sends its frames into a real slirp stack,
 * restricted, in-process).  The input is an operation list over a 1 MiB guest
 * memory: register reads and writes of any width at any offset (config space
 * included), writes of guest memory (rings, descriptors, buffers), kicks,
 * and a "driver bring-up" op that gets the device to DRIVER_OK with rings
 * at input-chosen addresses, so the ring parser sees most inputs.  Any
 * crash, sanitizer report, leak or hang is a finding.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "devices/virtio/blk.h"
#include "devices/virtio/net.h"
#include "devices/virtio/console.h"
#include "devices/virtio/rng.h"
#include "devices/virtio/virtio_mmio.h"
#include "harness/blk_mem.h"
#include "harness/test_vm.h"
#include "lib/util.h"

#define RAM (1 << 20)
#define BASE 0xd0000000ULL

static ssize_t sink_write(struct vcon_sink *s, const void *b, size_t n)
{
    return n > 7 ? (ssize_t)(n / 2) : -EAGAIN; /* short and blocked writes */
}

static void sink_wait(struct vcon_sink *s)
{
}

static void sink_wait_rx(struct vcon_sink *s)
{
}

static struct vcon_sink sink = {sink_write, sink_wait, sink_wait_rx};

#if defined(DEVICE_NET)
#include "devices/backend/slirp_stack.h"

/* virtio-net <-> slirp in one process: what husk-slirp does across the
 * socketpair, minus the socket. */
struct fuzz_net {
    struct net_backend be;
    struct slirp_stack *st;
    bool blocked; /* send says -EAGAIN (input-controlled) */
    uint8_t buf[NET_MAX_FRAME];
};

static int fn_send(struct net_backend *be, const struct iovec *iov, int n)
{
    struct fuzz_net *f = (struct fuzz_net *)be;
    size_t len = 0;

    if (f->blocked) {
        return -EAGAIN;
    }
    for (int i = 0; i < n; i++) {
        if (len + iov[i].iov_len > sizeof(f->buf)) {
            return 0;
        }
        memcpy(f->buf + len, iov[i].iov_base, iov[i].iov_len);
        len += iov[i].iov_len;
    }
    slirp_stack_input(f->st, f->buf, len);
    return 0;
}

static void fn_rx_ready(struct net_backend *be)
{
    slirp_stack_resume(((struct fuzz_net *)be)->st);
}

static void fn_close(struct net_backend *be)
{
}

static const struct net_backend_ops fn_ops = {.send = fn_send,
                                              .rx_ready = fn_rx_ready,
                                              .close = fn_close};

static int fn_output(void *opaque, const void *frame, size_t len)
{
    struct fuzz_net *f = opaque;
    struct iovec v = {(void *)frame, len};

    return vnet_receive(f->be.dev, &v, 1);
}
#endif

struct cursor {
    const uint8_t *p;
    size_t n;
};

static uint64_t take(struct cursor *c, unsigned bytes)
{
    uint64_t v = 0;

    for (unsigned i = 0; i < bytes && c->n; i++, c->n--) {
        v |= (uint64_t)*c->p++ << (8 * i);
    }
    return v;
}

static void wr32(struct bus *b, uint64_t off, uint32_t v)
{
    bus_write(b, BASE + off, &v, 4);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* Static guest RAM: no page faults or allocator work per input. */
    static uint8_t ram[RAM];
    static struct test_mem tm;
    struct test_irq irq;
    struct bus bus;
    struct cursor c = {data, size};
    struct virtio_dev *dev;
    unsigned ops = 0;
#if defined(DEVICE_BLK)
    static struct blk_mem mem;
    static struct vblk d;
#elif defined(DEVICE_RNG)
    static struct vrng d;
#elif defined(DEVICE_NET)
    static struct vnet d;
    static struct fuzz_net fnet;
    static const uint8_t mac[6] = {2, 0x68, 0x75, 1, 2, 3};
    GMainContext *ctx = g_main_context_new();
    struct net_user_opts nopts = {.restrict_ = true, .ipv6 = true};
#else
    static struct vcon d;
#endif

    memset(ram, 0, sizeof(ram));
    tm.low = ram;
    tm.gm.nr = 0;
    gm_add_region(&tm.gm, 0, RAM, ram);
    test_irq_init(&irq);
    bus_init(&bus, "mmio");
#if defined(DEVICE_BLK)
    {
        static uint8_t disk[64 * 1024];

        blk_mem_init(&mem, 0, size && (data[0] & 1));
        free(mem.data);
        memset(disk, 0, sizeof(disk));
        mem.data = disk;
        mem.be.size = sizeof(disk);
    }
    vblk_init(&d, &mem.be, &tm.gm, &irq.line);
    dev = &d.vdev;
#elif defined(DEVICE_RNG)
    vrng_init(&d, size & 1 ? 4096 : 0, &tm.gm, &irq.line);
    dev = &d.vdev;
#elif defined(DEVICE_NET)
    memset(&fnet.be, 0, sizeof(fnet.be));
    fnet.be.ops = &fn_ops;
    fnet.be.kind = "fuzz";
    /* Offer offloads on odd inputs, so the header checks see CSUM/GSO. */
    fnet.be.offloads = size && (data[0] & 1) ? ~0ULL : 0;
    fnet.blocked = false;
    fnet.st = slirp_stack_new(&nopts, ctx, fn_output, &fnet, NULL);
    vnet_init(&d, &fnet.be, mac, 1500, &tm.gm, &irq.line);
    dev = &d.vdev;
#else
    /* Odd inputs: the multiport device (control queues) of husk exec. */
    if (size && (data[0] & 1)) {
        static const char *const names[3] = {"a", "b", "c"};
        struct vcon_sink *const sinks[3] = {&sink, &sink, &sink};

        vcon_init_ports(&d, 3, names, sinks, &tm.gm, &irq.line);
    } else {
        vcon_init(&d, &sink, &tm.gm, &irq.line);
    }
    dev = &d.vdev;
#endif
    bus_add(&bus, "dev", BASE, VIRTIO_MMIO_SIZE, &virtio_mmio_ops, dev);

    while (c.n && ops++ < 256) {
        uint8_t op = (uint8_t)take(&c, 1);

        switch (op % 6) {
        case 0: { /* register or config write */
            uint64_t off = take(&c, 2) % 0x200;
            uint64_t v = take(&c, 8);
            unsigned w = 1u << (take(&c, 1) % 4);

            bus_write(&bus, BASE + off, &v, w);
            break;
        }
        case 1: { /* register or config read */
            uint64_t off = take(&c, 2) % 0x200, v;
            unsigned w = 1u << (take(&c, 1) % 4);

            bus_read(&bus, BASE + off, &v, w);
            break;
        }
        case 2: { /* guest memory write: rings, descriptors, buffers */
            uint64_t at = take(&c, 3) % RAM;
            unsigned len = (unsigned)take(&c, 1);

            for (unsigned i = 0; i < len && c.n && at + i < RAM; i++) {
                tm.low[at + i] = (uint8_t)take(&c, 1);
            }
            break;
        }
        case 3: /* kick */
            wr32(&bus, 0x50, (uint32_t)take(&c, 1) % 3);
            break;
        case 4: { /* bring-up with input-chosen geometry */
            uint32_t qsz = 1u << (take(&c, 1) % 11);
            uint64_t desc = take(&c, 3) % RAM, avail = take(&c, 3) % RAM,
                     used = take(&c, 3) % RAM;
            uint32_t feat_lo = (uint32_t)take(&c, 4);

            wr32(&bus, 0x70, 0);
            wr32(&bus, 0x70, 1);
            wr32(&bus, 0x70, 3);
            wr32(&bus, 0x24, 0);
            wr32(&bus, 0x20, feat_lo);
            wr32(&bus, 0x24, 1);
            wr32(&bus, 0x20, 1); /* VERSION_1 */
            wr32(&bus, 0x70, 0xb);
            for (unsigned q = 0; q < dev->ops->num_queues; q++) {
                wr32(&bus, 0x30, q);
                wr32(&bus, 0x38, qsz);
                wr32(&bus, 0x80, (uint32_t)desc);
                wr32(&bus, 0x90, (uint32_t)avail);
                wr32(&bus, 0xa0, (uint32_t)used);
                wr32(&bus, 0x44, 1);
                desc = (desc + 0x4000) % RAM;
                avail = (avail + 0x4000) % RAM;
                used = (used + 0x4000) % RAM;
            }
            wr32(&bus, 0x70, 0xf);
            break;
        }
        case 5: /* host side: console input / resume; network events */
#if defined(DEVICE_CON)
        {
            unsigned p = (unsigned)take(&c, 1) % d.nr_ports;

            vcon_port_input(&d, p, "fuzz", 4);
            vcon_port_tx_resume(&d, p);
            if (d.multiport) {
                vcon_port_set_host_open(&d, p, take(&c, 1) & 1);
            }
        }
#elif defined(DEVICE_NET)
            fnet.blocked = !fnet.blocked;
            if (!fnet.blocked) {
                vnet_tx_resume(&d);
            }
            g_main_context_iteration(ctx, FALSE);
#endif
        break;
        }
    }
#if defined(DEVICE_BLK)
    vblk_cleanup(&d);
#elif defined(DEVICE_RNG)
    vrng_cleanup(&d);
#elif defined(DEVICE_NET)
    vnet_cleanup(&d);
    slirp_stack_free(fnet.st);
    g_main_context_unref(ctx);
#else
    vcon_cleanup(&d);
#endif
    return 0;
}
