/*
 * check_serial8250.c: the 16550A as Linux's 8250 driver probes and uses it.
 */
#include <check.h>
#include <string.h>

#include "devices/serial8250.h"
#include "harness/test_vm.h"
#include "harness/check_run.h"

static struct serial8250 s;
static struct test_irq irq;
static uint8_t out[1024];
static size_t out_len;

static void sink(void *opaque, const uint8_t *buf, size_t len)
{
    memcpy(out + out_len, buf, len);
    out_len += len;
}

static uint8_t rd(unsigned reg)
{
    return (uint8_t)serial8250_ops.read(&s, reg, 1);
}

static void wr(unsigned reg, uint8_t v)
{
    serial8250_ops.write(&s, reg, v, 1);
}

static void setup(void)
{
    test_irq_init(&irq);
    out_len = 0;
    serial8250_init(&s, &irq.line, sink, NULL);
}

static void teardown(void)
{
    serial8250_cleanup(&s);
}

START_TEST(autoconfig_probes)
{
    /* Scratch register. */
    wr(7, 0xa5);
    ck_assert_uint_eq(rd(7), 0xa5);
    /* IER readback (the driver's first test). */
    wr(1, 0x0f);
    ck_assert_uint_eq(rd(1), 0x0f);
    wr(1, 0);
    ck_assert_uint_eq(rd(1), 0);
    /* Loopback: MCR 0x1a => MSR reports CTS|DCD (0x90). */
    wr(4, 0x1a);
    ck_assert_uint_eq(rd(6) & 0xf0, 0x90);
    wr(4, 0);
    /* FIFO enabled shows as 0xc0 in IIR: a 16550A. */
    wr(2, 0x01);
    ck_assert_uint_eq(rd(2) & 0xc0, 0xc0);
    /* LSR: transmitter empty. */
    ck_assert_uint_eq(rd(5) & 0x60, 0x60);
}
END_TEST

START_TEST(divisor_latch)
{
    wr(3, 0x80);
    wr(0, 0x01);
    wr(1, 0x00);
    ck_assert_uint_eq(rd(0), 0x01);
    ck_assert_uint_eq(rd(1), 0x00);
    wr(3, 0x03);
    wr(0, 'A'); /* now a data byte */
    ck_assert_uint_eq(out_len, 1);
    ck_assert_uint_eq(out[0], 'A');
}
END_TEST

START_TEST(tx_and_thre_interrupt)
{
    wr(4, 0x08); /* OUT2 gates the IRQ onto the bus */
    wr(1, 0x02); /* enable THRI: THR is empty, so it fires */
    ck_assert(irq.level);
    ck_assert_uint_eq(rd(2) & 0x0f, 0x02);
    ck_assert(!irq.level); /* reading IIR cleared it */
    ck_assert_uint_eq(rd(2) & 0x01, 0x01);
    wr(0, 'h');
    wr(0, 'i');
    ck_assert_uint_eq(out_len, 2);
    ck_assert_mem_eq(out, "hi", 2);
    ck_assert(irq.level);
    ck_assert_uint_eq(s.tx_bytes, 2);
}
END_TEST

START_TEST(rx_with_interrupt_and_backpressure)
{
    uint8_t big[SERIAL_RX_BUF + 10];
    size_t n;

    wr(4, 0x08);
    wr(1, 0x01); /* RX data interrupt */
    ck_assert(!irq.level);
    n = serial8250_input(&s, (const uint8_t *)"ok", 2);
    ck_assert_uint_eq(n, 2);
    ck_assert(irq.level);
    ck_assert_uint_eq(rd(2) & 0x0f, 0x04);
    ck_assert_uint_eq(rd(5) & 1, 1);
    ck_assert_uint_eq(rd(0), 'o');
    ck_assert_uint_eq(rd(0), 'k');
    ck_assert_uint_eq(rd(5) & 1, 0);
    ck_assert(!irq.level);
    /* A full buffer takes what fits and no more. */
    memset(big, 'z', sizeof(big));
    ck_assert_uint_eq(serial8250_input(&s, big, sizeof(big)), SERIAL_RX_BUF);
    ck_assert_uint_eq(serial8250_rx_room(&s), 0);
    ck_assert_uint_eq(serial8250_input(&s, big, 1), 0);
    ck_assert_uint_eq(rd(0), 'z');
    ck_assert_uint_eq(serial8250_rx_room(&s), 1);
    /* FCR "clear receiver" empties it. */
    wr(2, 0x03);
    ck_assert_uint_eq(serial8250_rx_room(&s), SERIAL_RX_BUF);
    ck_assert_uint_eq(rd(5) & 1, 0);
}
END_TEST

START_TEST(irq_gated_by_out2)
{
    wr(1, 0x02);
    ck_assert(!irq.level); /* pending, but OUT2 is off */
    wr(4, 0x08);
    ck_assert(irq.level);
}
END_TEST

START_TEST(read_only_registers_ignore_writes)
{
    uint8_t lsr = rd(5), msr = rd(6);

    wr(5, 0);
    wr(6, 0);
    ck_assert_uint_eq(rd(5), lsr);
    ck_assert_uint_eq(rd(6), msr);
    ck_assert_uint_eq(rd(0), 0); /* empty RX reads 0 */
}
END_TEST

int main(void)
{
    Suite *su = suite_create("serial8250");
    TCase *tc = tcase_create("uart");

    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, autoconfig_probes);
    tcase_add_test(tc, divisor_latch);
    tcase_add_test(tc, tx_and_thre_interrupt);
    tcase_add_test(tc, rx_with_interrupt_and_backpressure);
    tcase_add_test(tc, irq_gated_by_out2);
    tcase_add_test(tc, read_only_registers_ignore_writes);
    suite_add_tcase(su, tc);
    return check_run(su);
}
