/*
 * check_bus.c: device ranges, overlap rejection and access bounds.
 */
#include <check.h>
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "lib/bus.h"
#include "harness/check_run.h"

struct rec {
    uint64_t last_off, last_val;
    unsigned last_size, reads, writes;
};

static uint64_t rec_read(void *opaque, uint64_t off, unsigned size)
{
    struct rec *r = opaque;

    r->reads++;
    r->last_off = off;
    r->last_size = size;
    return 0x1122334455667788ULL;
}

static void rec_write(void *opaque, uint64_t off, uint64_t val, unsigned size)
{
    struct rec *r = opaque;

    r->writes++;
    r->last_off = off;
    r->last_val = val;
    r->last_size = size;
}

static const struct bus_ops rec_ops = {.read = rec_read, .write = rec_write};
static struct bus b;
static struct rec ra, rb;

static void setup(void)
{
    bus_init(&b, "test");
    memset(&ra, 0, sizeof(ra));
    memset(&rb, 0, sizeof(rb));
    ck_assert_int_eq(bus_add(&b, "a", 0x100, 0x10, &rec_ops, &ra), 0);
    ck_assert_int_eq(bus_add(&b, "b", 0x200, 0x8, &rec_ops, &rb), 0);
}

START_TEST(add_rejects_overlap_and_bad_lengths)
{
    ck_assert_int_eq(bus_add(&b, "x", 0x10f, 1, &rec_ops, NULL), -EEXIST);
    ck_assert_int_eq(bus_add(&b, "x", 0xf0, 0x11, &rec_ops, NULL), -EEXIST);
    ck_assert_int_eq(bus_add(&b, "x", 0x1f8, 0x100, &rec_ops, NULL), -EEXIST);
    ck_assert_int_eq(bus_add(&b, "x", 0x0, 0x1000, &rec_ops, NULL), -EEXIST);
    ck_assert_int_eq(bus_add(&b, "x", 0x300, 0, &rec_ops, NULL), -EINVAL);
    ck_assert_int_eq(bus_add(&b, "x", UINT64_MAX, 2, &rec_ops, NULL), -EINVAL);
    /* Adjacent ranges are fine, and the top of the space is reachable. */
    ck_assert_int_eq(bus_add(&b, "x", 0x110, 0x10, &rec_ops, NULL), 0);
    ck_assert_int_eq(bus_add(&b, "x", 0xf0, 0x10, &rec_ops, NULL), 0);
    ck_assert_int_eq(bus_add(&b, "x", UINT64_MAX, 1, &rec_ops, NULL), 0);
}
END_TEST

START_TEST(dispatch_uses_relative_offsets)
{
    uint8_t data[8];
    uint32_t v = 0xdeadbeef;

    ck_assert(bus_read(&b, 0x104, data, 4));
    ck_assert_uint_eq(ra.last_off, 4);
    ck_assert_uint_eq(ra.last_size, 4);
    ck_assert_uint_eq(data[0], 0x88); /* little-endian low bytes */
    ck_assert_uint_eq(data[3], 0x55);
    ck_assert(bus_write(&b, 0x206, &v, 2));
    ck_assert_uint_eq(rb.last_off, 6);
    ck_assert_uint_eq(rb.last_val, 0xbeef);
    ck_assert_uint_eq(ra.writes, 0);
}
END_TEST

START_TEST(access_crossing_the_end_is_unmapped)
{
    uint8_t data[8];
    uint64_t v = 0;

    memset(data, 0xaa, sizeof(data));
    ck_assert(!bus_read(&b, 0x10e, data, 4)); /* 2 bytes past the end */
    ck_assert_uint_eq(data[0], 0);
    ck_assert_uint_eq(data[3], 0);
    ck_assert_uint_eq(ra.reads, 0);
    ck_assert(!bus_write(&b, 0x204, &v, 8));
    ck_assert_uint_eq(rb.writes, 0);
    ck_assert(bus_read(&b, 0x200, data, 8)); /* exactly the range */
    ck_assert_uint_eq(b.unmapped, 2);
}
END_TEST

START_TEST(unmapped_and_odd_sizes)
{
    uint8_t data[8];
    uint32_t v = 1;

    memset(data, 0xaa, sizeof(data));
    ck_assert(!bus_read(&b, 0x50, data, 2));
    ck_assert_uint_eq(data[0], 0);
    ck_assert_uint_eq(data[1], 0);
    ck_assert(!bus_write(&b, 0x50, &v, 4));
    ck_assert(!bus_read(&b, 0x100, data, 3));
    ck_assert(!bus_read(&b, 0x100, data, 0));
    ck_assert_uint_eq(ra.reads, 0);
}
END_TEST

START_TEST(many_ranges_binary_search)
{
    struct bus big;
    static struct rec recs[BUS_MAX_RANGES];
    uint8_t d;

    bus_init(&big, "big");
    /* Insert out of order; lookups must still find each. */
    for (unsigned i = 0; i < BUS_MAX_RANGES; i++) {
        unsigned k = (i * 37) % BUS_MAX_RANGES;
        ck_assert_int_eq(
            bus_add(&big, "r", 0x1000 + k * 0x10, 0x8, &rec_ops, &recs[k]), 0);
    }
    ck_assert_int_eq(bus_add(&big, "r", 0x9000, 1, &rec_ops, NULL), -ENOSPC);
    for (unsigned k = 0; k < BUS_MAX_RANGES; k++) {
        ck_assert(bus_read(&big, 0x1000 + k * 0x10 + 7, &d, 1));
        ck_assert_uint_eq(recs[k].reads, 1);
        ck_assert(!bus_read(&big, 0x1000 + k * 0x10 + 8, &d, 1));
    }
}
END_TEST

int main(void)
{
    Suite *s = suite_create("bus");
    TCase *tc = tcase_create("ranges");

    tcase_add_checked_fixture(tc, setup, NULL);
    tcase_add_test(tc, add_rejects_overlap_and_bad_lengths);
    tcase_add_test(tc, dispatch_uses_relative_offsets);
    tcase_add_test(tc, access_crossing_the_end_is_unmapped);
    tcase_add_test(tc, unmapped_and_odd_sizes);
    tcase_add_test(tc, many_ranges_binary_search);
    suite_add_tcase(s, tc);
    return check_run(s);
}
