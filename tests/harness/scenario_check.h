/*
 * scenario_check.h: judging what a system suite's scenarios printed
 * (the files in tests/system frame each one as "=== BEGIN name" ... "=== STDERR
 * name" ... "=== END name rc=N"), for check_system.c and
 * check_system_arm64.c: run a command keeping its stdout as data, find a
 * scenario's block, expect a status and a line in it, read KEY=value
 * lines and MemTotal.  One copy of each per test binary (static).
 */
#ifndef HUSK_SCENARIO_CHECK_H
#define HUSK_SCENARIO_CHECK_H

#include <check.h>
#include <glib.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

static char *output;      /* everything the scenarios printed */
static char *setup_error; /* why the scenarios could not run */

/* Runs argv; returns its stdout, the data (new string).  Its stderr is
 * diagnostics: never part of the data, kept in *err for a failure's
 * message (new string, or NULL).  A first build of the guest downloads
 * kernel packages and apt warns on stderr; that warning once became part
 * of the guest directory's path. */
static inline char *run_cmd(char **argv,
                            const char *cwd,
                            int *status,
                            char **err)
{
    char *out = NULL, *e_out = NULL;
    GError *e = NULL;
    int ws = -1;

    *err = NULL;
    if (!g_spawn_sync(cwd, argv, NULL, G_SPAWN_STDIN_FROM_DEV_NULL, NULL, NULL,
                      &out, &e_out, &ws, &e)) {
        *status = -1;
        *err = g_strdup_printf("spawn %s: %s", argv[0], e->message);
        g_error_free(e);
        return g_strdup("");
    }
    *status = WIFEXITED(ws) ? WEXITSTATUS(ws) : 128 + WTERMSIG(ws);
    *err = e_out;
    return out;
}

/* The console output of one scenario (its stdout, then after "=== STDERR
 * name" its stderr), and its exit status. */
static inline char *block(const char *name, int *rc)
{
    g_autofree char *begin = g_strdup_printf("=== BEGIN %s\n", name);
    g_autofree char *end = g_strdup_printf("=== END %s rc=", name);
    const char *b, *e;

    ck_assert_msg(!setup_error, "%s", setup_error);
    b = strstr(output, begin);
    ck_assert_msg(b, "scenario %s never started", name);
    b += strlen(begin);
    e = strstr(b, end);
    ck_assert_msg(e, "scenario %s never ended; its output:\n%s", name, b);
    *rc = atoi(e + strlen(end));
    return g_strndup(b, e - b);
}

/* The last lines of a block, for failure messages. */
static inline const char *tail(const char *s)
{
    const char *p = s + strlen(s);
    int lines = 0;

    while (p > s && lines < 25) {
        p--;
        if (*p == '\n') {
            lines++;
        }
    }
    return p;
}

/* A scenario's stdout alone: the data it printed (a JSON or SVG file),
 * without the diagnostics that follow it. */
static inline char *block_out(const char *name, int *rc)
{
    g_autofree char *mark = g_strdup_printf("=== STDERR %s\n", name);
    char *b = block(name, rc);
    char *e = strstr(b, mark);

    if (e) {
        *e = '\0';
    }
    return b;
}

static inline char *expect(const char *name, int want_rc, const char *needle)
{
    int rc;
    char *b = block(name, &rc);

    ck_assert_msg(rc == want_rc,
                  "%s: husk exited %d, expected %d; last console lines:\n%s",
                  name, rc, want_rc, tail(b));
    if (needle) {
        ck_assert_msg(strstr(b, needle),
                      "%s: no '%s' on the console; last lines:\n%s", name,
                      needle, tail(b));
    }
    return b;
}

static inline long meminfo_kb(const char *b)
{
    const char *m = strstr(b, "MemTotal:");

    ck_assert_msg(m, "no MemTotal line:\n%s", tail(b));
    return strtol(m + strlen("MemTotal:"), NULL, 10);
}

/* The value after "KEY=" on its own line in s, or NULL. */
static inline char *value_of(const char *s, const char *key)
{
    g_autofree char *k = g_strdup_printf("%s=", key);
    const char *p = s;

    while ((p = strstr(p, k))) {
        if (p == s || p[-1] == '\n') {
            const char *v = p + strlen(k);
            return g_strndup(v, strcspn(v, "\r\n"));
        }
        p++;
    }
    return NULL;
}

#endif
