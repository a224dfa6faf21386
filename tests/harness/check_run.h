/*
 * check_run.h: runs a Check suite the way every husk test binary does
 * (fork mode, CK_NORMAL output) and turns the result into an exit status.
 */
#ifndef HUSK_CHECK_RUN_H
#define HUSK_CHECK_RUN_H

#include <check.h>

static inline int check_run(Suite *s)
{
    SRunner *sr = srunner_create(s);
    int failed;

    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}

#endif
