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
#include <stdio.h>
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

/* What a scenario run printed becomes the output the cases read: \r
 * dropped (the test host's console turns \n into \r\n), kept in the
 * build directory as log_name for whoever debugs a failure; no scenario
 * at all is the setup's failure. */
static inline void scenario_output_done(const char *log_name,
                                        int status,
                                        const char *err)
{
    char *w = output;

    for (const char *r = output; *r; r++) {
        if (*r != '\r') {
            *w++ = *r;
        }
    }
    *w = 0;
    g_file_set_contents(log_name, output, -1, NULL);
    printf("system: console output in %s/%s\n", g_get_current_dir(), log_name);
    if (!strstr(output, "=== END")) {
        setup_error =
            g_strdup_printf("no scenario ran (status %d):\n%s\nstderr:\n%s",
                            status, output, err ? err : "");
    }
}

/* Scenario name booted with --memory mib: MemTotal just under it (the
 * kernel keeps its image and early allocations out). */
static inline void expect_memtotal(const char *name, long mib, long low_mib)
{
    g_autofree char *b = expect(name, 0, "HUSK-GUEST-READY");
    long kb = meminfo_kb(b);

    ck_assert_msg(kb > low_mib * 1024 && kb <= mib * 1024,
                  "%s: MemTotal %ld kB for %ldM", name, kb, mib);
}

/* The sha256 the guest printed as guest_key= in scenario name is the one
 * this side printed as host_key= (anywhere in the output), a real one,
 * and not not_sha (what an untouched image hashes to, or NULL). */
static inline char *expect_same_sha(const char *name,
                                    const char *guest_key,
                                    const char *host_key,
                                    const char *not_sha)
{
    g_autofree char *needle = g_strdup_printf("%s=", guest_key);
    char *b = expect(name, 0, needle);
    g_autofree char *guest = value_of(b, guest_key);
    g_autofree char *host = value_of(output, host_key);

    ck_assert_msg(host, "no %s line", host_key);
    ck_assert_msg(guest && strlen(guest) == 64, "%s: %s is '%s'", name,
                  guest_key, guest ? guest : "");
    ck_assert_msg(!strcmp(guest, host), "%s: guest has %s, host %s", name,
                  guest, host);
    if (not_sha) {
        ck_assert_str_ne(host, not_sha);
    }
    return b;
}

/* --net user in scenario name: the DHCP lease and default route slirp
 * gives, the small page and the big file (BIG-GUEST-SHA against
 * BIG-HOST-SHA) fetched from this side through 10.0.2.2. */
static inline char *expect_user_net_download(const char *name)
{
    char *b = expect_same_sha(name, "BIG-GUEST-SHA", "BIG-HOST-SHA", NULL);

    ck_assert_msg(strstr(b, "inet 10.0.2.15/24"), "no lease:\n%s", tail(b));
    ck_assert_msg(strstr(b, "default via 10.0.2.2"), "%s", tail(b));
    ck_assert_msg(strstr(b, "hello-from-the-host"), "%s", tail(b));
    return b;
}

#endif
