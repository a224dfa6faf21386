/*
 * check_snapshot.c: snapshots of the tiny guest on this host's /dev/kvm
 * (husk run --snapshot-on, husk restore).  The guest's "c" scenario
 * counts 0 to 9 in memory, one line each, and writes the marker 0x70
 * after count 5; a restored VM must go on from there and end with the
 * guest's own exit status.  Then every way a snapshot can be damaged:
 * one line and a documented status, nothing run.
 *
 *   check_snapshot HUSK TINY_ELF [CASE]
 *
 * Exits 77 (skip) when /dev/kvm is unusable.
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness/check_run.h"
#include "harness/kvm_main.h"
#include "vmm/kvm.h"

static const char *husk, *tiny;
static GPtrArray *tmp_dirs; /* removed at exit */

static char *make_tmp(const char *tmpl)
{
    char *d = g_dir_make_tmp(tmpl, NULL);

    ck_assert(d);
    if (!tmp_dirs) {
        tmp_dirs = g_ptr_array_new_with_free_func(g_free);
    }
    g_ptr_array_add(tmp_dirs, g_strdup(d));
    return d;
}

static void remove_tmp_dirs(void)
{
    for (unsigned i = 0; tmp_dirs && i < tmp_dirs->len; i++) {
        g_autofree char *cmd = g_strdup_printf(
            "rm -rf '%s'", (const char *)g_ptr_array_index(tmp_dirs, i));

        if (system(cmd) != 0) {
            fprintf(stderr, "cannot remove %s\n",
                    (const char *)g_ptr_array_index(tmp_dirs, i));
        }
    }
}

struct result {
    int status;
    char *out, *err;
};

static struct result run(const char *const *args)
{
    const char *argv[32] = {husk};
    struct result r = {-1, NULL, NULL};
    GError *err = NULL;
    unsigned n = 1;
    int ws;

    for (; args[n - 1] && n < G_N_ELEMENTS(argv) - 1; n++) {
        argv[n] = args[n - 1];
    }
    argv[n] = NULL;
    ck_assert_msg(
        g_spawn_sync(NULL, (char **)argv, NULL, G_SPAWN_STDIN_FROM_DEV_NULL,
                     NULL, NULL, &r.out, &r.err, &ws, &err),
        "spawn: %s", err ? err->message : "");
    r.status = WIFEXITED(ws) ? WEXITSTATUS(ws) : 128 + WTERMSIG(ws);
    return r;
}

static void result_free(struct result *r)
{
    g_free(r->out);
    g_free(r->err);
}

/* husk's stderr without the PVM warning every run on such a host gets. */
static char *own_lines(const char *err)
{
    g_auto(GStrv) l = g_strsplit(err, "\n", -1);
    GString *s = g_string_new(NULL);

    for (unsigned i = 0; l[i]; i++) {
        if (*l[i] && !strstr(l[i], "is PVM (software-backed)")) {
            g_string_append_printf(s, "%s\n", l[i]);
        }
    }
    return g_string_free(s, FALSE);
}

/* A snapshot of the counting guest at its marker, in a new directory. */
static char *take_snapshot(void)
{
    g_autofree char *tmp = make_tmp("husk-snap-XXXXXX");
    char *dir = g_build_filename(tmp, "snap", NULL);
    g_autofree char *spec = g_strdup_printf("0x70=%s,exit", dir);
    const char *args[] = {"run", "--kernel",  tiny, "--cmdline",
                          "c",   "--timeout", "60", "--snapshot-on",
                          spec,  NULL};
    struct result r = run(args);

    ck_assert_msg(r.status == 0, "snapshot run: status %d\n%s", r.status,
                  r.err);
    ck_assert_msg(
        strstr(r.out, "husk-tiny: count 5\n") && !strstr(r.out, "count 6"),
        "the snapshot run went past its marker: %s", r.out);
    ck_assert_msg(strstr(r.err, "husk: snapshot written to"), "%s", r.err);
    result_free(&r);
    return dir;
}

static void expect_continues(struct result *r)
{
    ck_assert_msg(r->status == 10,
                  "restored guest exited %d, expected 10\nstdout: %s\n"
                  "stderr: %s",
                  r->status, r->out, r->err);
    /* Where the snapshot stopped: after count 5, before count 6. */
    ck_assert_msg(g_str_has_prefix(r->out, "husk-tiny: count 6\n") &&
                      strstr(r->out, "husk-tiny: count 9\n") &&
                      !strstr(r->out, "count 5"),
                  "restored output: %s", r->out);
}

START_TEST(restore_goes_on_where_the_snapshot_stopped)
{
    g_autofree char *dir = take_snapshot();
    const char *args[] = {"restore", dir, "--timeout", "60", NULL};

    /* Three in a row from the same snapshot: each starts at the same
     * point (restore writes nothing into it). */
    for (int i = 0; i < 3; i++) {
        struct result r = run(args);

        expect_continues(&r);
        result_free(&r);
    }
}
END_TEST

START_TEST(four_restores_at_once)
{
    g_autofree char *dir = take_snapshot();
    const char *argv[] = {husk, "restore", dir, "--timeout", "60", NULL};
    GPid pid[4];
    int out[4];

    for (int i = 0; i < 4; i++) {
        GError *err = NULL;

        ck_assert_msg(
            g_spawn_async_with_pipes(
                NULL, (char **)argv, NULL,
                G_SPAWN_DO_NOT_REAP_CHILD | G_SPAWN_STDERR_TO_DEV_NULL, NULL,
                NULL, &pid[i], NULL, &out[i], NULL, &err),
            "spawn: %s", err ? err->message : "");
    }
    for (int i = 0; i < 4; i++) {
        GString *s = g_string_new(NULL);
        char buf[4096];
        ssize_t n;
        int ws;
        struct result r;

        while ((n = read(out[i], buf, sizeof(buf))) > 0) {
            g_string_append_len(s, buf, n);
        }
        close(out[i]);
        ck_assert_int_eq(waitpid(pid[i], &ws, 0), pid[i]);
        r.status = WIFEXITED(ws) ? WEXITSTATUS(ws) : 128 + WTERMSIG(ws);
        r.out = g_string_free(s, FALSE);
        r.err = g_strdup("(not kept)");
        expect_continues(&r);
        result_free(&r);
    }
}
END_TEST

START_TEST(snapshot_and_go_on)
{
    g_autofree char *tmp = make_tmp("husk-snap-XXXXXX");
    g_autofree char *dir = g_build_filename(tmp, "snap", NULL);
    g_autofree char *spec = g_strdup_printf("0x70=%s", dir);
    g_autofree char *manifest = g_build_filename(dir, "manifest", NULL);
    const char *args[] = {"run", "--kernel",  tiny, "--cmdline",
                          "c",   "--timeout", "60", "--snapshot-on",
                          spec,  NULL};
    struct result r = run(args);

    /* The VM went on to its own end after the snapshot... */
    ck_assert_msg(r.status == 10, "status %d: %s", r.status, r.err);
    ck_assert_msg(strstr(r.out, "count 5\n") && strstr(r.out, "count 9\n"),
                  "%s", r.out);
    result_free(&r);
    /* ... and the snapshot is one that restores. */
    {
        const char *ra[] = {"restore", dir, "--timeout", "60", NULL};

        ck_assert(g_file_test(manifest, G_FILE_TEST_IS_REGULAR));
        r = run(ra);
        expect_continues(&r);
        result_free(&r);
    }
}
END_TEST

START_TEST(restore_paused_does_not_run)
{
    g_autofree char *dir = take_snapshot();
    const char *args[] = {"restore", dir, "--paused", "--timeout", "2", NULL};
    struct result r = run(args);

    ck_assert_msg(r.status == 124, "status %d: %s", r.status, r.err);
    ck_assert_msg(!strstr(r.out, "count"), "a paused guest printed: %s", r.out);
    result_free(&r);
}
END_TEST

START_TEST(memory_file_is_sparse)
{
    g_autofree char *dir = take_snapshot();
    g_autofree char *mem = g_build_filename(dir, "memory", NULL);
    GStatBuf st;

    ck_assert_int_eq(g_stat(mem, &st), 0);
    /* 256 MiB of guest memory; the tiny guest touched a few pages. */
    ck_assert_int_eq(st.st_size, 256 << 20);
    ck_assert_msg((uint64_t)st.st_blocks * 512 < (1u << 20),
                  "%llu bytes allocated",
                  (unsigned long long)st.st_blocks * 512);
}
END_TEST

/* --- damaged snapshots ------------------------------------------------ */

static char *copy_snapshot(const char *src)
{
    g_autofree char *tmp = make_tmp("husk-snapbad-XXXXXX");
    char *dst = g_build_filename(tmp, "snap", NULL);
    g_autofree char *cmd =
        g_strdup_printf("cp -r --sparse=always '%s' '%s'", src, dst);

    ck_assert_int_eq(system(cmd), 0);
    return dst;
}

static GKeyFile *load_kf(const char *dir, const char *name)
{
    g_autofree char *p = g_build_filename(dir, name, NULL);
    GKeyFile *kf = g_key_file_new();

    ck_assert(g_key_file_load_from_file(kf, p, G_KEY_FILE_NONE, NULL));
    return kf;
}

static void save_kf(GKeyFile *kf, const char *dir, const char *name)
{
    g_autofree char *p = g_build_filename(dir, name, NULL);

    ck_assert(g_key_file_save_to_file(kf, p, NULL));
}

/* The state changed on purpose, with its checksum made to match, so the
 * bounds checks behind the checksum are what is tested. */
static void set_state(const char *dir,
                      const char *group,
                      const char *key,
                      const char *value)
{
    g_autoptr(GKeyFile) st = load_kf(dir, "state");
    g_autoptr(GKeyFile) m = load_kf(dir, "manifest");
    g_autofree char *data = NULL, *sha = NULL;
    gsize len;

    g_key_file_set_value(st, group, key, value);
    data = g_key_file_to_data(st, &len, NULL);
    save_kf(st, dir, "state");
    sha = g_compute_checksum_for_data(G_CHECKSUM_SHA256, (guchar *)data, len);
    g_key_file_set_uint64(m, "files", "state.size", len);
    g_key_file_set_string(m, "files", "state.sha256", sha);
    save_kf(m, dir, "manifest");
}

static void set_manifest(const char *dir,
                         const char *group,
                         const char *key,
                         const char *value)
{
    g_autoptr(GKeyFile) m = load_kf(dir, "manifest");

    g_key_file_set_value(m, group, key, value);
    save_kf(m, dir, "manifest");
}

/* A blob of the vCPU's state with one 32-bit word changed. */
static char *patched_blob(const char *dir,
                          const char *key,
                          size_t word,
                          uint32_t value)
{
    g_autoptr(GKeyFile) st = load_kf(dir, "state");
    g_autofree char *b64 = g_key_file_get_value(st, "vcpu0", key, NULL);
    gsize n;
    g_autofree guchar *raw = g_base64_decode(b64, &n);

    ck_assert(word * 4 + 4 <= n);
    memcpy(raw + word * 4, &value, 4);
    return g_base64_encode(raw, n);
}

static void expect_refused(const char *dir,
                           int status,
                           const char *want,
                           const char *what)
{
    const char *args[] = {"restore", dir, "--timeout", "20", NULL};
    struct result r = run(args);
    g_autofree char *lines = own_lines(r.err);

    ck_assert_msg(r.status == status,
                  "%s: husk exited %d, expected %d\nstderr: %s", what, r.status,
                  status, r.err);
    ck_assert_msg(!strstr(r.out, "count"), "%s: the guest ran: %s", what,
                  r.out);
    /* One line, saying what is wrong. */
    ck_assert_msg(strchr(lines, '\n') == lines + strlen(lines) - 1,
                  "%s: more than one line:\n%s", what, lines);
    ck_assert_msg(strstr(lines, want), "%s: '%s' not in: %s", what, want,
                  lines);
    result_free(&r);
}

START_TEST(damaged_snapshots_are_refused)
{
    g_autofree char *good = take_snapshot();

#define CASE(what, status, want, ...)             \
    do {                                          \
        g_autofree char *d = copy_snapshot(good); \
        __VA_ARGS__;                              \
        expect_refused(d, status, want, what);    \
    } while (0)
#define P(name) g_autofree char *p = g_build_filename(d, name, NULL)

    CASE("no manifest", 66, "manifest: No such file", P("manifest");
         g_unlink(p));
    CASE("no memory file", 66, "memory: No such file", P("memory");
         g_unlink(p));
    CASE("memory truncated", 65, "is not the 268435456 bytes", P("memory");
         ck_assert_int_eq(truncate(p, 1 << 20), 0));
    CASE("state byte flipped", 65, "does not match its size and checksum",
         P("state");
         g_autofree char *s = NULL; gsize n;
         ck_assert(g_file_get_contents(p, &s, &n, NULL)); s[n / 2] ^= 1;
         ck_assert(g_file_set_contents(p, s, n, NULL)));
    CASE("state cut short", 65, "does not match its size", P("state");
         ck_assert_int_eq(truncate(p, 100), 0));
    CASE("format 2", 65, "format 2",
         set_manifest(d, "snapshot", "format", "2"));
    CASE("another husk build", 69, "restored by the build that wrote it",
         set_manifest(d, "snapshot", "husk", "0.0.1 build-id 00"));
    CASE("memory region moved", 65, "memory region",
         set_manifest(d, "vm", "region0", "4096,268435456,0"));
    CASE("a device less", 65, "device", set_manifest(d, "vm", "devices", "0"));
    CASE("unknown option in the configuration", 65,
         "configuration is not valid",
         set_manifest(d, "vm", "argv", "--kernel;x;--bogus;"));
    CASE("queue size out of range", 65, "q0.size=5000 is outside",
         set_state(d, "virtio0", "q0.size", "5000"));
    CASE("UART input longer than its buffer", 65, "rx",
         set_state(d, "com1", "rx",
                   "AAAA"
                   "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
                   "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
                   "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
                   "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
                   "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
                   "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
                   "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"));
    CASE("registers of the wrong size", 65, "regs holds",
         set_state(d, "vcpu0", "regs", "AAAA"));
    CASE("an MSR KVM does not have", 65, "MSR 0xdeadbeef",
         g_autofree char *b = patched_blob(good, "msrs", 0, 0xdeadbeef);
         set_state(d, "vcpu0", "msrs", b));
    CASE(
        "a CPU feature this host lacks", 69, "this CPU lacks features",
        /* entry 0 is leaf 0; find leaf 1 and set every ecx bit */
        g_autoptr(GKeyFile) st = load_kf(good, "state");
        g_autofree char *b64 = g_key_file_get_value(st, "vcpu0", "cpuid", NULL);
        gsize n; g_autofree guchar *raw = g_base64_decode(b64, &n);
        for (gsize off = 0; off + 40 <= n; off += 40) {
            uint32_t f;
            memcpy(&f, raw + off, 4);
            if (f == 1) {
                memset(raw + off + 20, 0xff, 4); /* ecx */
            }
        } g_autofree char *b = g_base64_encode(raw, n);
        set_state(d, "vcpu0", "cpuid", b));
    CASE("state without the vCPU", 65, "vcpu0",
         set_state(d, "vcpu0", "regs", "not base64!"));
#undef P
#undef CASE
}
END_TEST

START_TEST(unsupported_devices_are_refused_at_start)
{
    g_autofree char *tmp = make_tmp("husk-snap-XXXXXX");
    g_autofree char *spec = g_strdup_printf("0x70=%s/snap", tmp);
    const char *args[] = {"run", "--kernel",      tiny, "--cmdline",
                          "c",   "--share",       tmp,  "--timeout",
                          "60",  "--snapshot-on", spec, NULL};
    struct result r = run(args);
    g_autofree char *lines = own_lines(r.err);

    /* Before the guest runs: a snapshot of it could never be taken. */
    ck_assert_msg(r.status == 64, "status %d: %s", r.status, r.err);
    ck_assert_msg(strstr(lines, "not supported with --share"), "%s", lines);
    ck_assert(!strstr(r.out, "count"));
    result_free(&r);
}
END_TEST

int main(int argc, char **argv)
{
    const struct check_case cases[] = {
#define CASE(n) {#n, n}
        CASE(restore_goes_on_where_the_snapshot_stopped),
        CASE(four_restores_at_once),
        CASE(snapshot_and_go_on),
        CASE(restore_paused_does_not_run),
        CASE(memory_file_is_sparse),
        CASE(damaged_snapshots_are_refused),
        CASE(unsupported_devices_are_refused_at_start),
#undef CASE
    };
    int r = kvm_main_args("check_snapshot", cases, G_N_ELEMENTS(cases), argc,
                          argv, &husk, &tiny);

    if (r >= 0) {
        return r;
    }
    atexit(remove_tmp_dirs);
    return check_run_case("snapshot", cases, G_N_ELEMENTS(cases),
                          argc == 4 ? argv[3] : NULL, 120);
}
