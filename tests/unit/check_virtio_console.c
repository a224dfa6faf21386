/*
 * check_virtio_console.c: virtio-console through the test-side driver:
 * every descriptor of a TX chain reaches the host in order; a blocked
 * sink keeps the chain (nothing lost, nothing spun on) until it drains;
 * input goes only into buffers the guest gave, and waits otherwise.
 */
#include <check.h>
#include <errno.h>
#include <linux/virtio_ids.h>
#include <string.h>

#include "devices/virtio/console.h"
#include "devices/virtio/virtio_mmio.h"
#include "harness/test_vm.h"
#include "harness/vdriver.h"
#include "lib/util.h"
#include "harness/check_run.h"

#define RAM (2 * MiB)
#define BASE 0xd0000000ULL
#define WANT (1ULL << VIRTIO_F_VERSION_1)

struct test_sink {
    struct vcon_sink sink;
    char out[8192];
    size_t len;
    size_t budget; /* bytes it will take before blocking */
    unsigned waits, rx_ready, write_calls;
};

static struct test_mem tm;
static struct test_irq irq;
static struct bus bus;
static struct vcon con;
static struct vdrv drv;
static struct test_sink ts;

static ssize_t ts_write(struct vcon_sink *s, const void *buf, size_t len)
{
    struct test_sink *t = (struct test_sink *)s;
    size_t n = MIN(len, t->budget);

    t->write_calls++;
    if (n == 0) {
        return -EAGAIN;
    }
    memcpy(t->out + t->len, buf, n);
    t->len += n;
    t->budget -= n;
    return (ssize_t)n;
}

static void ts_wait(struct vcon_sink *s)
{
    ((struct test_sink *)s)->waits++;
}

static void ts_rx_ready(struct vcon_sink *s)
{
    ((struct test_sink *)s)->rx_ready++;
}

static void setup(void)
{
    memset(&ts, 0, sizeof(ts));
    ts.sink = (struct vcon_sink){ts_write, ts_wait, ts_rx_ready};
    ts.budget = SIZE_MAX;
    test_mem_init(&tm, RAM, 0);
    test_irq_init(&irq);
    bus_init(&bus, "mmio");
    vcon_init(&con, &ts.sink, &tm.gm, &irq.line);
    ck_assert_int_eq(bus_add(&bus, "con", BASE, VIRTIO_MMIO_SIZE,
                             &virtio_mmio_ops, &con.vdev),
                     0);
    vdrv_init(&drv, &tm, &bus, BASE, 0x10000, RAM);
    vdrv_bringup(&drv, VIRTIO_ID_CONSOLE, WANT, 2, 16);
}

static void teardown(void)
{
    vcon_cleanup(&con);
    test_mem_free(&tm);
}

static uint64_t put(const char *s)
{
    uint64_t a = vdrv_alloc(&drv, strlen(s), 1);

    memcpy(tm.low + a, s, strlen(s));
    return a;
}

START_TEST(tx_multi_descriptor_chain_in_order)
{
    struct vdrv_buf b[3] = {{put("hello "), 6, false},
                            {put("from "), 5, false},
                            {put("hvc0\n"), 5, false}};
    uint16_t h;
    uint32_t l;

    vdrv_add_chain(&drv, VCON_TX, b, 3);
    vdrv_kick(&drv, VCON_TX);
    ck_assert_uint_eq(ts.len, 16);
    ck_assert_mem_eq(ts.out, "hello from hvc0\n", 16);
    ck_assert(vdrv_get_used(&drv, VCON_TX, &h, &l));
    ck_assert_uint_eq(l, 0);
}
END_TEST

START_TEST(tx_waits_for_a_blocked_sink)
{
    struct vdrv_buf b1 = {put("0123456789"), 10, false};
    struct vdrv_buf b2 = {put("abcdef"), 6, false};
    uint16_t h;
    uint32_t l;
    unsigned calls;

    ts.budget = 4;
    vdrv_add_chain(&drv, VCON_TX, &b1, 1);
    vdrv_add_chain(&drv, VCON_TX, &b2, 1);
    vdrv_kick(&drv, VCON_TX);
    /* 4 bytes out; the chain is held, not completed, not dropped. */
    ck_assert_uint_eq(ts.len, 4);
    ck_assert_uint_eq(ts.waits, 1);
    ck_assert(!vdrv_get_used(&drv, VCON_TX, &h, &l));
    /* More kicks while blocked do not spin on the sink. */
    calls = ts.write_calls;
    vdrv_kick(&drv, VCON_TX);
    ck_assert_uint_le(ts.write_calls, calls + 1);
    /* The sink drains: everything arrives, in order. */
    ts.budget = SIZE_MAX;
    vcon_tx_resume(&con);
    ck_assert_uint_eq(ts.len, 16);
    ck_assert_mem_eq(ts.out, "0123456789abcdef", 16);
    ck_assert(vdrv_get_used(&drv, VCON_TX, &h, &l));
    ck_assert(vdrv_get_used(&drv, VCON_TX, &h, &l));
}
END_TEST

START_TEST(rx_into_guest_buffers_only)
{
    uint64_t a = vdrv_alloc(&drv, 4, 1), b = vdrv_alloc(&drv, 64, 1);
    struct vdrv_buf ba = {a, 4, true}, bb = {b, 64, true};
    uint16_t h;
    uint32_t l;

    /* No buffers yet: nothing taken, and the host side is told to wait. */
    ck_assert_uint_eq(vcon_input(&con, "early", 5), 0);
    vdrv_add_chain(&drv, VCON_RX, &ba, 1);
    vdrv_kick(&drv, VCON_RX);
    ck_assert_uint_eq(ts.rx_ready, 1);
    /* 4-byte buffer: "typ" + ... the rest waits for another buffer. */
    ck_assert_uint_eq(vcon_input(&con, "typed", 5), 4);
    ck_assert(vdrv_get_used(&drv, VCON_RX, &h, &l));
    ck_assert_uint_eq(l, 4);
    ck_assert_mem_eq(tm.low + a, "type", 4);
    vdrv_add_chain(&drv, VCON_RX, &bb, 1);
    vdrv_kick(&drv, VCON_RX);
    ck_assert_uint_eq(ts.rx_ready, 2);
    ck_assert_uint_eq(vcon_input(&con, "d", 1), 1);
    ck_assert(vdrv_get_used(&drv, VCON_RX, &h, &l));
    ck_assert_uint_eq(l, 1);
    ck_assert_uint_ge(irq.rising, 1);
}
END_TEST

START_TEST(readonly_rx_buffer_is_returned_unwritten)
{
    uint64_t a = vdrv_alloc(&drv, 8, 1);
    struct vdrv_buf ba = {a, 8, false}; /* the device may not write it */
    uint16_t h;
    uint32_t l = 99;

    vdrv_add_chain(&drv, VCON_RX, &ba, 1);
    /* A bad buffer on a sound ring: given back empty, input not lost. */
    ck_assert_uint_eq(vcon_input(&con, "x", 1), 0);
    ck_assert(vdrv_get_used(&drv, VCON_RX, &h, &l));
    ck_assert_uint_eq(l, 0);
    ck_assert_uint_eq(tm.low[a], 0);
    ck_assert_uint_eq(vdrv_status(&drv) & VIRTIO_S_NEEDS_RESET, 0);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("virtio_console");
    TCase *tc = tcase_create("console");

    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, tx_multi_descriptor_chain_in_order);
    tcase_add_test(tc, tx_waits_for_a_blocked_sink);
    tcase_add_test(tc, rx_into_guest_buffers_only);
    tcase_add_test(tc, readonly_rx_buffer_is_returned_unwritten);
    suite_add_tcase(s, tc);
    return check_run(s);
}
