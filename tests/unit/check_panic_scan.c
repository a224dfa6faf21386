/*
 * check_panic_scan.c: a kernel panic's end line found in console output
 * however it is chunked, with or without a printk timestamp, once; and
 * the lines that merely mention a panic not taken for one.
 */
#include <check.h>
#include <string.h>

#include "harness/check_run.h"
#include "lib/panic_scan.h"

static bool feed(struct panic_scan *s, const char *text)
{
    return panic_scan_feed(s, (const uint8_t *)text, strlen(text));
}

START_TEST(timestamped_end_line_is_a_panic)
{
    struct panic_scan s = {0};

    ck_assert(!feed(&s,
                    "[    1.000000] Kernel panic - not syncing: sysrq "
                    "triggered crash\r\n[    1.1] Call trace:\r\n"));
    ck_assert(feed(&s,
                   "[    1.200000] ---[ end Kernel panic - not syncing: "
                   "sysrq triggered crash ]---\r\n"));
    /* Once only. */
    ck_assert(!feed(&s, "---[ end Kernel panic - not syncing: again ]---\n"));
}
END_TEST

START_TEST(byte_by_byte_and_without_timestamp)
{
    const char *t = "noise\n---[ end Kernel panic - not syncing: VFS ]---\n";
    struct panic_scan s = {0};
    unsigned hits = 0;

    for (size_t i = 0; i < strlen(t); i++) {
        hits += panic_scan_feed(&s, (const uint8_t *)t + i, 1);
    }
    ck_assert_uint_eq(hits, 1);
}
END_TEST

START_TEST(mentions_are_not_panics)
{
    struct panic_scan s = {0};

    ck_assert(!feed(&s, "echo ---[ end Kernel panic - not syncing\n"));
    ck_assert(!feed(&s, "[    2.0] Kernel panic - not syncing: x\n"));
    ck_assert(!feed(&s, "[ abc] ---[ end Kernel panic - not syncing\n"));
    /* A line longer than the scanner keeps: only its start counts. */
    {
        char longline[400];

        memset(longline, 'x', sizeof(longline) - 2);
        longline[sizeof(longline) - 2] = '\n';
        longline[sizeof(longline) - 1] = 0;
        ck_assert(!feed(&s, longline));
    }
    ck_assert(!s.seen);
    /* The mark with no line end yet: not until it ends. */
    ck_assert(!feed(&s, "---[ end Kernel panic - not syncing: x ]---"));
    ck_assert(feed(&s, "\n"));
}
END_TEST

int main(void)
{
    Suite *s = suite_create("panic_scan");
    TCase *tc = tcase_create("scan");

    tcase_add_test(tc, timestamped_end_line_is_a_panic);
    tcase_add_test(tc, byte_by_byte_and_without_timestamp);
    tcase_add_test(tc, mentions_are_not_panics);
    suite_add_tcase(s, tc);
    return check_run(s);
}
