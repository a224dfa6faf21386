/*
 * check_virtio_rng.c: virtio-rng through the test-side driver: buffers are
 * filled with random bytes, requests are capped, the rate limit makes a
 * request wait (never fail), and readable buffers are never written.
 */
#include <check.h>
#include <linux/virtio_ids.h>
#include <string.h>

#include "devices/virtio/rng.h"
#include "devices/virtio/virtio_mmio.h"
#include "harness/test_vm.h"
#include "harness/vdriver.h"
#include "lib/util.h"
#include "harness/check_run.h"

#define RAM (2 * MiB)
#define BASE 0xd0000000ULL
#define WANT (1ULL << VIRTIO_F_VERSION_1)

static struct test_mem tm;
static struct test_irq irq;
static struct bus bus;
static struct vrng rng;
static struct vdrv drv;
static unsigned retries;

static void count_retry(struct vrng *r, unsigned ms)
{
    retries++;
}

static void setup_rate(uint64_t rate)
{
    test_mem_init(&tm, RAM, 0);
    test_irq_init(&irq);
    bus_init(&bus, "mmio");
    vrng_init(&rng, rate, &tm.gm, &irq.line);
    rng.retry = count_retry;
    retries = 0;
    ck_assert_int_eq(bus_add(&bus, "rng", BASE, VIRTIO_MMIO_SIZE,
                             &virtio_mmio_ops, &rng.vdev),
                     0);
    vdrv_init(&drv, &tm, &bus, BASE, 0x10000, RAM);
    vdrv_bringup(&drv, VIRTIO_ID_RNG, WANT, 1, 16);
}

static void setup(void)
{
    setup_rate(0);
}

static void setup_limited(void)
{
    setup_rate(1000);
}

static void teardown(void)
{
    vrng_cleanup(&rng);
    test_mem_free(&tm);
}

static bool all_zero(const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (p[i]) {
            return false;
        }
    }
    return true;
}

START_TEST(fills_writable_buffers)
{
    uint64_t a = vdrv_alloc(&drv, 256, 16), b = vdrv_alloc(&drv, 256, 16);
    struct vdrv_buf bufs[2] = {{a, 256, true}, {b, 100, true}};
    uint16_t h;
    uint32_t l;

    vdrv_add_chain(&drv, 0, bufs, 2);
    vdrv_kick(&drv, 0);
    ck_assert(vdrv_get_used(&drv, 0, &h, &l));
    ck_assert_uint_eq(l, 356);
    ck_assert(!all_zero(tm.low + a, 256));
    ck_assert(!all_zero(tm.low + b, 100));
    ck_assert(all_zero(tm.low + b + 100, 156)); /* nothing past the buffer */
    ck_assert_uint_ge(irq.rising, 1);
}
END_TEST

START_TEST(large_request_is_capped)
{
    uint64_t a = vdrv_alloc(&drv, 128 * 1024, 16);
    struct vdrv_buf buf = {a, 128 * 1024, true};
    uint16_t h;
    uint32_t l;

    vdrv_add_chain(&drv, 0, &buf, 1);
    vdrv_kick(&drv, 0);
    ck_assert(vdrv_get_used(&drv, 0, &h, &l));
    ck_assert_uint_eq(l, 64 * 1024);
}
END_TEST

START_TEST(readable_buffer_is_not_written)
{
    uint64_t a = vdrv_alloc(&drv, 64, 16), b = vdrv_alloc(&drv, 64, 16);
    struct vdrv_buf bufs[2] = {{a, 64, false}, {b, 64, true}};
    uint16_t h;
    uint32_t l;

    vdrv_add_chain(&drv, 0, bufs, 2);
    vdrv_kick(&drv, 0);
    ck_assert(vdrv_get_used(&drv, 0, &h, &l));
    ck_assert_uint_eq(l, 64);
    ck_assert(all_zero(tm.low + a, 64));
}
END_TEST

START_TEST(rate_limit_makes_requests_wait)
{
    uint64_t a = vdrv_alloc(&drv, 4096, 16), b = vdrv_alloc(&drv, 4096, 16);
    struct vdrv_buf b1 = {a, 4096, true}, b2 = {b, 4096, true};
    uint16_t h;
    uint32_t l;

    vdrv_add_chain(&drv, 0, &b1, 1);
    vdrv_kick(&drv, 0);
    ck_assert(vdrv_get_used(&drv, 0, &h, &l));
    ck_assert_uint_le(l, 1000); /* one second's budget at most */
    ck_assert_uint_gt(l, 0);
    /* The budget is spent: the next request waits for a retry. */
    vdrv_add_chain(&drv, 0, &b2, 1);
    vdrv_kick(&drv, 0);
    ck_assert(!vdrv_get_used(&drv, 0, &h, &l));
    ck_assert_uint_ge(retries, 1);
    g_usleep(300 * 1000);
    virtio_dev_queue_notify(&rng.vdev, 0); /* the retry firing */
    ck_assert(vdrv_get_used(&drv, 0, &h, &l));
    ck_assert_uint_gt(l, 0);
    ck_assert_uint_le(l, 400);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("virtio_rng");
    TCase *tc = tcase_create("rng");
    TCase *lim = tcase_create("rate_limit");

    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, fills_writable_buffers);
    tcase_add_test(tc, large_request_is_capped);
    tcase_add_test(tc, readable_buffer_is_not_written);
    suite_add_tcase(s, tc);
    tcase_add_checked_fixture(lim, setup_limited, teardown);
    tcase_add_test(lim, rate_limit_makes_requests_wait);
    suite_add_tcase(s, lim);
    return check_run(s);
}
