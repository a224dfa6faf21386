/*
 * check_console.c: the host side of the guest console (vmm/console.c)
 * with virtio-console behind it, on a private GMainContext stepped by the
 * test: host input waits for guest buffers and then arrives; guest output
 * reaches the host fd.  Regression: the guest adding RX buffers (a kick,
 * handled with the device lock held) must not re-enter the device on the
 * same thread (it deadlocked).
 */
#include <check.h>
#include <glib.h>
#include <linux/virtio_ids.h>
#include <string.h>
#include <fcntl.h>
#include <unistd.h>

#include "devices/virtio/console.h"
#include "devices/virtio/virtio_mmio.h"
#include "harness/test_vm.h"
#include "harness/vdriver.h"
#include "vmm/host_console.h"
#include "lib/util.h"
#include "harness/check_run.h"
#include "harness/hostile_peers.h"
#include <signal.h>

#define RAM (2 * MiB)
#define BASE 0xd0000000ULL

static struct test_mem tm;
static struct test_irq irq;
static struct test_ctl ctl;
static struct bus bus;
static struct vcon vc;
static struct console con;
static struct vdrv drv;
static GMainContext *ctx;
static int in_pipe[2], out_pipe[2];

static void setup(void)
{
    ck_assert_int_eq(pipe(in_pipe), 0);
    ck_assert_int_eq(pipe(out_pipe), 0);
    ctx = g_main_context_new();
    ck_assert(g_main_context_acquire(ctx)); /* this thread is the I/O thread */
    test_mem_init(&tm, RAM, 0);
    test_irq_init(&irq);
    test_ctl_init(&ctl);
    bus_init(&bus, "mmio");
    console_init(&con, ctx, &ctl.ctl, in_pipe[0], out_pipe[1]);
    vcon_init(&vc, &con.sink, &tm.gm, &irq.line);
    console_use_vcon(&con, &vc);
    ck_assert_int_eq(bus_add(&bus, "con", BASE, VIRTIO_MMIO_SIZE,
                             &virtio_mmio_ops, &vc.vdev),
                     0);
    vdrv_init(&drv, &tm, &bus, BASE, 0x10000, RAM);
    vdrv_bringup(&drv, VIRTIO_ID_CONSOLE, 1ULL << VIRTIO_F_VERSION_1, 2, 16);
    console_start(&con);
}

static void teardown(void)
{
    console_stop(&con);
    vcon_cleanup(&vc);
    g_main_context_release(ctx);
    g_main_context_unref(ctx);
    test_mem_free(&tm);
    close(in_pipe[0]);
    close(in_pipe[1]);
    close(out_pipe[0]);
    close(out_pipe[1]);
}

static void step(void)
{
    for (int i = 0; i < 20; i++) {
        g_main_context_iteration(ctx, FALSE);
    }
}

START_TEST(input_waits_for_guest_buffers)
{
    uint64_t buf = vdrv_alloc(&drv, 16, 1);
    struct vdrv_buf b = {buf, 16, true};
    uint16_t h;
    uint32_t l;

    ck_assert_int_eq(write(in_pipe[1], "abc", 3), 3);
    step(); /* read from the host; no RX buffers yet: held, not lost */
    ck_assert(!vdrv_get_used(&drv, VCON_RX, &h, &l));
    /* The guest adds a buffer and kicks: processed inline here, with the
     * device lock held, exactly where the deadlock was. */
    vdrv_add_chain(&drv, VCON_RX, &b, 1);
    vdrv_kick(&drv, VCON_RX);
    step();
    ck_assert(vdrv_get_used(&drv, VCON_RX, &h, &l));
    ck_assert_uint_eq(l, 3);
    ck_assert_mem_eq(tm.low + buf, "abc", 3);
}
END_TEST

START_TEST(output_reaches_the_host)
{
    uint64_t a = vdrv_alloc(&drv, 8, 1);
    struct vdrv_buf b = {a, 8, false};
    char got[16] = {0};
    uint16_t h;
    uint32_t l;

    memcpy(tm.low + a, "guest!\r\n", 8);
    vdrv_add_chain(&drv, VCON_TX, &b, 1);
    vdrv_kick(&drv, VCON_TX);
    ck_assert(vdrv_get_used(&drv, VCON_TX, &h, &l));
    ck_assert_int_eq(read(out_pipe[0], got, sizeof(got)), 8);
    ck_assert_str_eq(got, "guest!\r\n");
}
END_TEST

START_TEST(eof_on_input_is_quiet)
{
    close(in_pipe[1]);
    in_pipe[1] = dup(in_pipe[0]); /* keep teardown's close balanced */
    step();
    ck_assert(con.in_eof);
    ck_assert_uint_eq(ctl.requests, 0); /* the VM keeps running */
}
END_TEST

/* The UART's output, as husk runs it (harness/hostile_peers.c): 1 MiB
 * written a byte at a time on a vCPU thread under the vCPU filter.
 * Nobody reads husk's output: the vCPU is never held (it once blocked in
 * write() and --timeout could not stop it); what does not fit is dropped
 * and counted; what fitted arrives once a reader reads. */
START_TEST(uart_output_nobody_reads)
{
    struct hp_uart_result r;

    hp_uart_flood(false, &r);
    ck_assert(r.returned);
    ck_assert_uint_gt(r.dropped, 0);
    ck_assert_uint_le(r.dropped, 1024 * 1024 - CONSOLE_RING_SIZE);
    ck_assert_uint_eq(r.arrived + r.dropped, 1024 * 1024);
}
END_TEST

/* The reader went away (husk run ... | head): output is dropped, nothing
 * kills husk (SIGPIPE is ignored, EPIPE marks the output gone). */
START_TEST(uart_output_reader_gone)
{
    struct hp_uart_result r;

    hp_uart_flood(true, &r);
    ck_assert(r.returned && r.out_gone);
    ck_assert_uint_eq(r.dropped, 1024 * 1024);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("console");
    TCase *tc = tcase_create("virtio_console_host");
    TCase *uart = tcase_create("uart_output");

    tcase_set_timeout(tc, 10);
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, input_waits_for_guest_buffers);
    tcase_add_test(tc, output_reaches_the_host);
    tcase_add_test(tc, eof_on_input_is_quiet);
    suite_add_tcase(s, tc);
    tcase_set_timeout(uart, 30);
    tcase_add_test(uart, uart_output_nobody_reads);
    tcase_add_test(uart, uart_output_reader_gone);
    suite_add_tcase(s, uart);
    return check_run(s);
}
