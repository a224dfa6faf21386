/*
 * check_catalogue.c: runs every row of the malformed-input catalogue
 * (tests/catalogue/cases.c) under ASan+UBSan: the verdict must be the
 * row's, and afterwards the device, reset, must answer an ordinary
 * request.  Prints one line per case and the count.
 */
#include <check.h>
#include <stdio.h>

#include "harness/check_run.h"
#include "tests/catalogue/catalogue.h"

START_TEST(catalogue_case)
{
    const struct cat_case *c = &cat_cases[_i];
    static struct devkit kit;
    enum verdict v;

    if (c->dev != DK_N) {
        dk_setup(&kit, c->dev);
        dk_reach(&kit, DK_DRIVER_OK, 1ULL << 32 /* VERSION_1 */);
    }
    v = c->run(c->dev != DK_N ? &kit : NULL);
    printf("%s %-6s %s\n", c->id, verdict_name(v), c->rule);
    ck_assert_msg(v == c->want, "%s (%s): %s, expected %s", c->id, c->rule,
                  verdict_name(v), verdict_name(c->want));
    if (c->dev != DK_N) {
        dk_still_works(&kit, c->id);
        dk_teardown(&kit);
    }
}
END_TEST

int main(void)
{
    Suite *s = suite_create("catalogue");
    TCase *tc = tcase_create("cases");

    printf("catalogue: %u cases\n", cat_nr_cases);
    tcase_set_timeout(tc, 60);
    tcase_add_loop_test(tc, catalogue_case, 0, (int)cat_nr_cases);
    suite_add_tcase(s, tc);
    return check_run(s);
}
