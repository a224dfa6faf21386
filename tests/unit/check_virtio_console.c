/*
 * check_virtio_console.c: virtio-console through the test-side driver:
 * every descriptor of a TX chain reaches the host in order; a blocked
 * sink keeps the chain (nothing lost, nothing spun on) until it drains;
 * input goes only into buffers the guest gave, and waits otherwise.
 */
#include <check.h>
#include <errno.h>
#include <linux/virtio_console.h>
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

/* Multiport: three named ports, as husk exec uses them. */
static struct test_sink mts[3];
static const char *const mnames[3] = {"husk.stdin", "husk.stdout",
                                      "husk.stderr"};
#define WANT_MP (WANT | (1ULL << VIRTIO_CONSOLE_F_MULTIPORT))

static void mp_setup(void)
{
    struct vcon_sink *sinks[3];

    memset(mts, 0, sizeof(mts));
    for (int i = 0; i < 3; i++) {
        mts[i].sink = (struct vcon_sink){ts_write, ts_wait, ts_rx_ready};
        mts[i].budget = SIZE_MAX;
        sinks[i] = &mts[i].sink;
    }
    test_mem_init(&tm, RAM, 0);
    test_irq_init(&irq);
    bus_init(&bus, "mmio");
    vcon_init_ports(&con, 3, mnames, sinks, &tm.gm, &irq.line);
    ck_assert_int_eq(bus_add(&bus, "con", BASE, VIRTIO_MMIO_SIZE,
                             &virtio_mmio_ops, &con.vdev),
                     0);
    vdrv_init(&drv, &tm, &bus, BASE, 0x10000, RAM);
    vdrv_bringup(&drv, VIRTIO_ID_CONSOLE, WANT_MP, 8, 16);
}

/* The guest sends a control message (8 bytes, or a raw length). */
static void ctrl_send_len(uint32_t id,
                          uint16_t event,
                          uint16_t value,
                          uint32_t len)
{
    uint64_t a = vdrv_alloc(&drv, 8, 8);
    struct vdrv_buf b = {a, len, false};

    put_le32(tm.low + a, id);
    put_le16(tm.low + a + 4, event);
    put_le16(tm.low + a + 6, value);
    vdrv_add_chain(&drv, VCON_CTRL_TX, &b, 1);
    vdrv_kick(&drv, VCON_CTRL_TX);
}

static void ctrl_send(uint32_t id, uint16_t event, uint16_t value)
{
    ctrl_send_len(id, event, value, 8);
}

/* n control RX buffers for the device's messages; returns the first. */
static uint64_t ctrl_bufs(unsigned n)
{
    uint64_t first = 0;

    for (unsigned i = 0; i < n; i++) {
        uint64_t a = vdrv_alloc(&drv, 64, 8);
        struct vdrv_buf b = {a, 64, true};

        first = i ? first : a;
        vdrv_add_chain(&drv, VCON_CTRL_RX, &b, 1);
    }
    vdrv_kick(&drv, VCON_CTRL_RX);
    return first;
}

struct msg {
    uint32_t id;
    uint16_t event, value;
    char name[40];
};

/* The device's next control message, or false. */
static bool ctrl_recv(struct msg *m)
{
    uint16_t h;
    uint32_t l;
    const uint8_t *p;

    if (!vdrv_get_used(&drv, VCON_CTRL_RX, &h, &l)) {
        return false;
    }
    ck_assert_uint_ge(l, 8);
    /* The driver posts its buffers 64 bytes apart, in order from the
     * first; the descriptor's address says where this one is. */
    p = tm.low + get_le64(tm.low + drv.q[VCON_CTRL_RX].desc + 16u * h);
    m->id = get_le32(p);
    m->event = get_le16(p + 4);
    m->value = get_le16(p + 6);
    memset(m->name, 0, sizeof(m->name));
    memcpy(m->name, p + 8, MIN(l - 8, sizeof(m->name) - 1));
    return true;
}

/* DEVICE_READY, then PORT_READY for each port: the host adds, names and
 * opens every port. */
static void mp_handshake(void)
{
    struct msg m;

    ctrl_bufs(12);
    ctrl_send(0, VIRTIO_CONSOLE_DEVICE_READY, 1);
    for (unsigned p = 0; p < 3; p++) {
        ck_assert(ctrl_recv(&m));
        ck_assert_uint_eq(m.event, VIRTIO_CONSOLE_PORT_ADD);
        ck_assert_uint_eq(m.id, p);
    }
    for (unsigned p = 0; p < 3; p++) {
        ctrl_send(p, VIRTIO_CONSOLE_PORT_READY, 1);
        ck_assert(ctrl_recv(&m));
        ck_assert_uint_eq(m.event, VIRTIO_CONSOLE_PORT_NAME);
        ck_assert_uint_eq(m.id, p);
        ck_assert_str_eq(m.name, mnames[p]);
        ck_assert(ctrl_recv(&m));
        ck_assert_uint_eq(m.event, VIRTIO_CONSOLE_PORT_OPEN);
        ck_assert_uint_eq(m.id, p);
        ck_assert_uint_eq(m.value, 1);
    }
    ck_assert(!ctrl_recv(&m));
}

START_TEST(multiport_offers_ports_and_names_them)
{
    uint32_t feat;

    vdrv_wr(&drv, 0x14, 0); /* DeviceFeaturesSel */
    feat = vdrv_rd(&drv, 0x10);
    ck_assert(feat & (1u << VIRTIO_CONSOLE_F_MULTIPORT));
    ck_assert_uint_eq(vdrv_rd(&drv, 0x100 + 4), 3); /* max_nr_ports */
    mp_handshake();
}
END_TEST

START_TEST(multiport_each_port_writes_to_its_own_sink)
{
    struct vdrv_buf o = {put("out"), 3, false}, e = {put("err!"), 4, false};

    mp_handshake();
    vdrv_add_chain(&drv, 5, &o, 1); /* port 1's transmitq */
    vdrv_add_chain(&drv, 7, &e, 1); /* port 2's */
    vdrv_kick(&drv, 7);
    vdrv_kick(&drv, 5);
    ck_assert_uint_eq(mts[1].len, 3);
    ck_assert_mem_eq(mts[1].out, "out", 3);
    ck_assert_uint_eq(mts[2].len, 4);
    ck_assert_mem_eq(mts[2].out, "err!", 4);
    ck_assert_uint_eq(mts[0].len, 0);
}
END_TEST

/* Linux drops data that reaches a port the guest has not opened, so the
 * host holds input until PORT_OPEN; closing the host side is EOF. */
START_TEST(multiport_input_waits_for_open_then_eof)
{
    uint64_t a = vdrv_alloc(&drv, 16, 1);
    struct vdrv_buf b = {a, 16, true};
    struct msg m;
    uint16_t h;
    uint32_t l;

    mp_handshake();
    vdrv_add_chain(&drv, VCON_RX, &b, 1);
    vdrv_kick(&drv, VCON_RX);
    ck_assert_uint_eq(vcon_port_input(&con, 0, "a\0b", 3), 0);
    ck_assert_uint_eq(mts[0].rx_ready, 0);
    ctrl_send(0, VIRTIO_CONSOLE_PORT_OPEN, 1);
    ck_assert_uint_eq(mts[0].rx_ready, 1);
    ck_assert_uint_eq(vcon_port_input(&con, 0, "a\0b", 3), 3);
    ck_assert(vdrv_get_used(&drv, VCON_RX, &h, &l));
    ck_assert_uint_eq(l, 3);
    ck_assert_mem_eq(tm.low + a, "a\0b", 3);
    vcon_port_set_host_open(&con, 0, false);
    ck_assert(ctrl_recv(&m));
    ck_assert_uint_eq(m.event, VIRTIO_CONSOLE_PORT_OPEN);
    ck_assert_uint_eq(m.id, 0);
    ck_assert_uint_eq(m.value, 0);
    /* Said once: closing again sends nothing. */
    vcon_port_set_host_open(&con, 0, false);
    ck_assert(!ctrl_recv(&m));
}
END_TEST

START_TEST(multiport_host_close_before_ready_goes_with_the_name)
{
    struct msg m;

    vcon_port_set_host_open(&con, 0, false);
    ctrl_bufs(8);
    ctrl_send(0, VIRTIO_CONSOLE_PORT_READY, 1);
    ck_assert(ctrl_recv(&m));
    ck_assert_uint_eq(m.event, VIRTIO_CONSOLE_PORT_NAME);
    ck_assert(ctrl_recv(&m));
    ck_assert_uint_eq(m.event, VIRTIO_CONSOLE_PORT_OPEN);
    ck_assert_uint_eq(m.value, 0);
}
END_TEST

/* A hostile driver: short messages, ids past the last port, unknown
 * events, and requests for replies it never posts buffers for. */
START_TEST(multiport_hostile_control_messages)
{
    struct msg m;
    unsigned got = 0;

    ctrl_send_len(0, VIRTIO_CONSOLE_DEVICE_READY, 1, 4); /* short */
    ctrl_send(99, VIRTIO_CONSOLE_PORT_READY, 1);
    ctrl_send(0xffffffffu, VIRTIO_CONSOLE_PORT_OPEN, 1);
    ctrl_send(1, 0x7777, 1);
    ctrl_send(1, VIRTIO_CONSOLE_PORT_OPEN, 1); /* before PORT_READY */
    ck_assert(!con.port[1].guest_open);
    for (int i = 0; i < 20; i++) {
        ctrl_send(0, VIRTIO_CONSOLE_DEVICE_READY, 1);
    }
    ck_assert_uint_le(con.ctrl_len, VCON_CTRL_PENDING);
    ck_assert_uint_gt(con.ctrl_dropped, 0);
    ck_assert_uint_eq(vdrv_status(&drv) & VIRTIO_S_NEEDS_RESET, 0);
    /* What is kept is still well-formed when buffers come. */
    ctrl_bufs(VCON_CTRL_PENDING); /* the ring holds 16 */
    while (ctrl_recv(&m)) {
        ck_assert_uint_eq(m.event, VIRTIO_CONSOLE_PORT_ADD);
        ck_assert_uint_lt(m.id, 3);
        got++;
    }
    ck_assert_uint_eq(got, VCON_CTRL_PENDING);
}
END_TEST

START_TEST(multiport_reset_forgets_the_guests_state)
{
    mp_handshake();
    ctrl_send(0, VIRTIO_CONSOLE_PORT_OPEN, 1);
    ck_assert(con.port[0].guest_open);
    vdrv_wr(&drv, 0x70, 0); /* Status = 0 */
    ck_assert(!con.port[0].guest_open);
    ck_assert(!con.port[0].ready);
    ck_assert_uint_eq(con.ctrl_len, 0);
    ck_assert_uint_eq(vcon_port_input(&con, 0, "x", 1), 0);
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
    tc = tcase_create("multiport");
    tcase_add_checked_fixture(tc, mp_setup, teardown);
    tcase_add_test(tc, multiport_offers_ports_and_names_them);
    tcase_add_test(tc, multiport_each_port_writes_to_its_own_sink);
    tcase_add_test(tc, multiport_input_waits_for_open_then_eof);
    tcase_add_test(tc, multiport_host_close_before_ready_goes_with_the_name);
    tcase_add_test(tc, multiport_hostile_control_messages);
    tcase_add_test(tc, multiport_reset_forgets_the_guests_state);
    suite_add_tcase(s, tc);
    return check_run(s);
}
