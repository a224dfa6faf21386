/*
 * check_run.h: runs a Check suite the way every husk test binary does
 * (fork mode, CK_NORMAL output) and turns the result into an exit status:
 * 0 all passed, 1 a failure, 77 (meson's "skipped") when a case said with
 * check_skip() that this host cannot do what it tests.
 *
 * A skipped case is never a passed one: a binary whose cases can skip is
 * registered one case per meson test (check_run_case), so the skip of one
 * does not hide the others' results, and the reason is printed as
 * "SKIP: ..." (scripts/run-checks.sh lists these lines at the end).
 */
#ifndef HUSK_CHECK_RUN_H
#define HUSK_CHECK_RUN_H

#include <check.h>
#include <glib.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Cases run in a forked child: the reason travels through a file. */
static inline void check_skip(const char *fmt, ...)
{
    const char *file = getenv("HUSK_CHECK_SKIP_FILE");
    FILE *f = file ? fopen(file, "a") : NULL;
    va_list ap;

    va_start(ap, fmt);
    if (f) {
        vfprintf(f, fmt, ap);
        fputc('\n', f);
        fclose(f);
    } else {
        vfprintf(stderr, fmt, ap);
        fputc('\n', stderr);
    }
    va_end(ap);
    /* Without the file nobody could tell a skip from a pass: fail. */
    ck_assert_msg(f, "check_skip outside check_run (HUSK_CHECK_SKIP_FILE)");
}

static inline int check_run(Suite *s)
{
    SRunner *sr = srunner_create(s);
    g_autofree char *file =
        g_build_filename(g_get_tmp_dir(), "husk-skip-XXXXXX", NULL);
    g_autofree char *why = NULL;
    int failed, fd = g_mkstemp(file);

    if (fd >= 0) {
        close(fd);
        g_setenv("HUSK_CHECK_SKIP_FILE", file, TRUE);
    }
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    if (fd >= 0) {
        g_file_get_contents(file, &why, NULL, NULL);
        unlink(file);
    }
    if (failed) {
        return 1;
    }
    if (why && *why) {
        g_auto(GStrv) lines = g_strsplit(g_strchomp(why), "\n", -1);

        for (unsigned i = 0; lines[i]; i++) {
            printf("SKIP: %s\n", lines[i]);
        }
        return 77;
    }
    return 0;
}

/* One named case of a suite (argument NAME of a test binary), or all of
 * them when name is NULL; an unknown name is a failure. */
struct check_case {
    const char *name;
    const TTest *test;
};

static inline int check_run_case(const char *suite,
                                 const struct check_case *c,
                                 unsigned n,
                                 const char *name,
                                 int timeout)
{
    Suite *su = suite_create(suite);
    TCase *tc = tcase_create(name ? name : suite);
    unsigned added = 0;

    tcase_set_timeout(tc, timeout);
    for (unsigned i = 0; i < n; i++) {
        if (!name || !strcmp(name, c[i].name)) {
            _tcase_add_test(tc, c[i].test, 0, 0, 0, 1);
            added++;
        }
    }
    if (!added) {
        fprintf(stderr, "%s: no case named %s\n", suite, name);
        return 1;
    }
    suite_add_tcase(su, tc);
    return check_run(su);
}

#endif
