/*
 * check_snapshot_state.c: device state in snapshots (lib/state.h,
 * devices/virtio/virtio_state.c, serial8250_save/load).  A field out of
 * its bounds, damaged or missing is refused with its name; a virtio
 * queue saved from one device and loaded into a fresh one carries on
 * where the first stopped; a loaded queue whose rings leave guest memory,
 * that has requests in flight or whose used ring is not the one the
 * device published is refused and the device left reset.
 */
#include <check.h>
#include <linux/virtio_ids.h>
#include <string.h>

#include "devices/serial8250.h"
#include "devices/virtio/rng.h"
#include "devices/virtio/virtio_mmio.h"
#include "harness/check_run.h"
#include "harness/test_vm.h"
#include "harness/vdriver.h"
#include "lib/state.h"
#include "lib/util.h"

#define RAM (2 * MiB)
#define BASE 0xd0000000ULL
#define WANT (1ULL << VIRTIO_F_VERSION_1)

static GKeyFile *kf;

static void kf_setup(void)
{
    kf = g_key_file_new();
}

static void kf_teardown(void)
{
    g_key_file_free(kf);
}

START_TEST(fields_round_trip)
{
    struct st_writer w = {kf, "dev"};
    struct st_reader r = {kf, "dev", NULL};
    uint8_t blob[200], back[200];

    for (unsigned i = 0; i < sizeof(blob); i++) {
        blob[i] = (uint8_t)(i * 7);
    }
    st_put_u64(&w, "big", UINT64_MAX);
    st_put_u64(&w, "small", 3);
    st_put_bool(&w, "flag", true);
    st_put_blob(&w, "blob", blob, sizeof(blob));
    st_put_blob(&w, "empty", blob, 0);
    ck_assert_uint_eq(st_get_u64(&r, "big", 0, UINT64_MAX), UINT64_MAX);
    ck_assert_uint_eq(st_get_u64(&r, "small", 3, 3), 3);
    ck_assert(st_get_bool(&r, "flag"));
    st_get_blob(&r, "blob", back, sizeof(back));
    ck_assert_mem_eq(back, blob, sizeof(blob));
    {
        size_t n = 99;
        g_autofree void *p = st_get_blob_max(&r, "empty", 16, &n);

        ck_assert_uint_eq(n, 0);
    }
    ck_assert(!st_failed(&r));
    ck_assert(st_finish(&r, NULL));
}
END_TEST

START_TEST(out_of_bounds_is_refused_by_name)
{
    struct st_writer w = {kf, "virtio0"};
    struct st_reader r = {kf, "virtio0", NULL};
    g_autoptr(GError) err = NULL;

    st_put_u64(&w, "q0.size", 5000);
    st_put_u64(&w, "isr", 1);
    ck_assert_uint_eq(st_get_u64(&r, "q0.size", 0, 256), 0);
    ck_assert(st_failed(&r));
    /* Sticky: later reads give 0 and keep the first message. */
    ck_assert_uint_eq(st_get_u64(&r, "isr", 0, 3), 0);
    ck_assert(!st_finish(&r, &err));
    ck_assert_int_eq(err->code, 65);
    ck_assert_str_eq(err->message,
                     "[virtio0]: q0.size=5000 is outside [0, 256]");
}
END_TEST

static void expect_refused(const char *value, bool blob, const char *want)
{
    struct st_reader r = {kf, "g", NULL};
    g_autoptr(GError) err = NULL;
    uint8_t b[4];

    g_key_file_set_value(kf, "g", "k", value);
    if (blob) {
        st_get_blob(&r, "k", b, sizeof(b));
    } else {
        st_get_u64(&r, "k", 0, UINT64_MAX);
    }
    ck_assert_msg(!st_finish(&r, &err), "'%s' accepted", value);
    ck_assert_msg(strstr(err->message, want), "'%s': %s", value, err->message);
}

START_TEST(damaged_fields_are_refused)
{
    struct st_reader r = {kf, "g", NULL};
    g_autoptr(GError) err = NULL;

    expect_refused("12x", false, "is not a number");
    expect_refused("-1", false, "is not a number");
    expect_refused(" 1", false, "is not a number");
    expect_refused("0x10", false, "is not a number");
    expect_refused("18446744073709551616", false, "is not a number");
    expect_refused("", false, "is not a number");
    expect_refused("AAA", true, "not base64");
    expect_refused("AA*A", true, "not base64");
    expect_refused("A=AA", true, "not base64");
    expect_refused("AAAAAAAAAAAA", true, "not base64"); /* 9 bytes > 4 */
    expect_refused("AAA=", true, "holds 2 bytes, not 4");
    st_get_u64(&r, "absent", 0, 1);
    ck_assert(!st_finish(&r, &err));
    ck_assert_str_eq(err->message, "[g]: absent is missing");
}
END_TEST

/* Two virtio-rng devices on one guest memory: the first runs a request,
 * its state goes into the second, which must carry on. */
static struct test_mem tm;
static struct test_irq irq;
static struct bus bus1, bus2;
static struct vrng rng1, rng2;
static struct vdrv drv1, drv2;

static void rng_setup(void)
{
    kf_setup();
    test_mem_init(&tm, RAM, 0);
    test_irq_init(&irq);
    bus_init(&bus1, "mmio");
    bus_init(&bus2, "mmio");
    vrng_init(&rng1, 0, &tm.gm, &irq.line);
    vrng_init(&rng2, 0, &tm.gm, &irq.line);
    ck_assert_int_eq(bus_add(&bus1, "rng", BASE, VIRTIO_MMIO_SIZE,
                             &virtio_mmio_ops, &rng1.vdev),
                     0);
    ck_assert_int_eq(bus_add(&bus2, "rng", BASE, VIRTIO_MMIO_SIZE,
                             &virtio_mmio_ops, &rng2.vdev),
                     0);
    vdrv_init(&drv1, &tm, &bus1, BASE, 0x10000, RAM);
    vdrv_bringup(&drv1, VIRTIO_ID_RNG, WANT, 1, 16);
}

static void rng_teardown(void)
{
    vrng_cleanup(&rng1);
    vrng_cleanup(&rng2);
    test_mem_free(&tm);
    kf_teardown();
}

/* One request through drv on queue 0; true if it came back used. */
static bool one_request(struct vdrv *d)
{
    struct vdrv_buf b = {vdrv_alloc(d, 64, 16), 64, true};
    uint16_t head = vdrv_add_chain(d, 0, &b, 1), h;
    uint32_t len;

    vdrv_kick(d, 0);
    return vdrv_get_used(d, 0, &h, &len) && h == head && len == 64;
}

static void save_rng1(void)
{
    struct st_writer w = {kf, "virtio0"};

    ck_assert(one_request(&drv1));
    ck_assert(one_request(&drv1));
    virtio_dev_save(&rng1.vdev, &w);
}

static bool load_rng2(char **msg)
{
    struct st_reader r = {kf, "virtio0", NULL};
    g_autoptr(GError) err = NULL;
    bool ok = virtio_dev_load(&rng2.vdev, &r);

    ck_assert(ok == st_finish(&r, &err));
    *msg = err ? g_strdup(err->message) : NULL;
    return ok;
}

START_TEST(queue_carries_on_in_a_fresh_device)
{
    g_autofree char *msg = NULL;

    save_rng1();
    ck_assert_msg(load_rng2(&msg), "%s", msg);
    /* The driver goes on as before, now talking to the second device. */
    drv2 = drv1;
    drv2.bus = &bus2;
    ck_assert_uint_eq(vdrv_status(&drv2),
                      VIRTIO_S_ACKNOWLEDGE | VIRTIO_S_DRIVER |
                          VIRTIO_S_FEATURES_OK | VIRTIO_S_DRIVER_OK);
    ck_assert(one_request(&drv2));
    ck_assert(one_request(&drv2));
    ck_assert_uint_eq(rng2.vdev.vq[0].used_idx, 4);
    ck_assert_uint_eq(rng2.requests, 2);
}
END_TEST

static void expect_load_refused(const char *key,
                                const char *value,
                                const char *want)
{
    g_autofree char *msg = NULL;

    g_key_file_set_value(kf, "virtio0", key, value);
    ck_assert_msg(!load_rng2(&msg), "%s=%s accepted", key, value);
    ck_assert_msg(strstr(msg, want), "%s=%s: %s", key, value, msg);
    /* Refused: the device is as a reset leaves it. */
    ck_assert_uint_eq(rng2.vdev.status, 0);
    ck_assert(!rng2.vdev.vq[0].active);
}

START_TEST(rings_outside_memory_are_refused)
{
    g_autofree char *v = g_strdup_printf("%llu", (unsigned long long)RAM);

    save_rng1();
    expect_load_refused("q0.desc", v, "rings are not valid");
}
END_TEST

START_TEST(requests_in_flight_are_refused)
{
    save_rng1();
    expect_load_refused("q0.last_avail", "3", "requests in flight");
}
END_TEST

START_TEST(used_ring_of_another_snapshot_is_refused)
{
    save_rng1();
    /* The memory's used->idx moves on; the state says 2. */
    tm.low[drv1.q[0].used + 2] = 7;
    expect_load_refused("q0.used_idx", "2", "not from one snapshot");
}
END_TEST

START_TEST(absurd_registers_are_refused)
{
    static const struct {
        const char *key, *value, *want;
    } cases[] = {
        {"status", "304", "status=304 is outside"},
        {"guest_features", "18446744073709551615", "guest_features="},
        {"q0.size", "1024", "q0.size=1024 is outside"},
        {"device_id", "2", "not a virtio-rng"},
        {"host_features", "0", "another configuration"},
        {"isr", "4", "isr=4 is outside"},
        {"q0.active", "2", "q0.active=2 is outside"},
        {"q0.ready", "0", "active but not ready"},
        {"q0.broken", "", "is not a number"},
    };

    save_rng1();
    for (unsigned i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autofree char *keep =
            g_key_file_get_value(kf, "virtio0", cases[i].key, NULL);

        expect_load_refused(cases[i].key, cases[i].value, cases[i].want);
        g_key_file_set_value(kf, "virtio0", cases[i].key, keep);
    }
    /* And the untouched state still loads. */
    {
        g_autofree char *msg = NULL;

        ck_assert_msg(load_rng2(&msg), "%s", msg);
    }
}
END_TEST

static void no_tx(void *opaque, const uint8_t *buf, size_t len)
{
}

START_TEST(serial_round_trip)
{
    struct serial8250 a, b;
    struct st_writer w = {kf, "com1"};
    struct st_reader r = {kf, "com1", NULL};

    test_irq_init(&irq);
    serial8250_init(&a, &irq.line, no_tx, NULL);
    serial8250_init(&b, &irq.line, no_tx, NULL);
    serial8250_ops.write(&a, 3, 0x03, 1); /* LCR 8N1 */
    serial8250_ops.write(&a, 7, 0x5a, 1); /* scratch */
    serial8250_ops.write(&a, 1, 0x01, 1); /* IER: RX data */
    ck_assert_uint_eq(serial8250_input(&a, (const uint8_t *)"abc", 3), 3);
    ck_assert_uint_eq(serial8250_ops.read(&a, 0, 1), 'a');
    serial8250_save(&a, &w);
    ck_assert(serial8250_load(&b, &r));
    ck_assert_uint_eq(serial8250_ops.read(&b, 3, 1), 0x03);
    ck_assert_uint_eq(serial8250_ops.read(&b, 7, 1), 0x5a);
    ck_assert_uint_eq(serial8250_ops.read(&b, 1, 1), 0x01);
    ck_assert_uint_eq(serial8250_ops.read(&b, 0, 1), 'b');
    ck_assert_uint_eq(serial8250_ops.read(&b, 0, 1), 'c');
    ck_assert_uint_eq(serial8250_ops.read(&b, 5, 1) & 1, 0); /* drained */
    /* More input than the buffer holds is refused. */
    {
        g_autofree char *big = NULL;
        uint8_t raw[SERIAL_RX_BUF + 1] = {0};

        big = g_base64_encode(raw, sizeof(raw));
        g_key_file_set_value(kf, "com1", "rx", big);
        r.err = NULL;
        ck_assert(!serial8250_load(&b, &r));
        g_clear_error(&r.err);
    }
    serial8250_cleanup(&a);
    serial8250_cleanup(&b);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("snapshot_state");
    TCase *f = tcase_create("fields");
    TCase *d = tcase_create("devices");

    tcase_add_checked_fixture(f, kf_setup, kf_teardown);
    tcase_add_test(f, fields_round_trip);
    tcase_add_test(f, out_of_bounds_is_refused_by_name);
    tcase_add_test(f, damaged_fields_are_refused);
    tcase_add_test(f, serial_round_trip);
    suite_add_tcase(s, f);
    tcase_add_checked_fixture(d, rng_setup, rng_teardown);
    tcase_add_test(d, queue_carries_on_in_a_fresh_device);
    tcase_add_test(d, rings_outside_memory_are_refused);
    tcase_add_test(d, requests_in_flight_are_refused);
    tcase_add_test(d, used_ring_of_another_snapshot_is_refused);
    tcase_add_test(d, absurd_registers_are_refused);
    suite_add_tcase(s, d);
    return check_run(s);
}
