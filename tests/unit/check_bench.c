/*
 * check_bench.c: `husk bench boot`'s summary without booting anything:
 * canned measurement lines (as the inner runs print them) go through
 * husk-bench's summarize step, and the results must be right: statistics
 * (min / median / p95 / max) computed correctly, runs without the marker
 * counted but not timed, skipped runtimes listed with their reason, the
 * husk timeline medians, a JSON file that parses, and an SVG that is
 * well-formed XML with one box per measured system.
 */
#include <check.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <string.h>

#include "harness/check_run.h"
#include "harness/json_check.h"
#include "harness/svg_check.h"

static const char raw[] =
    "S env=host sys=crun "
    "why=cgroups\037in\037hybrid\037mode\037not\037supported\n"
    "R env=testhost sys=husk run=1 wall_ms=500 marker_ms=400 cpu_ms=300 "
    "maxrss_kb=20480 status=0\n"
    "T env=testhost run=1 event=process-start code=0 t_ms=0 husk_cpu_ms=-1\n"
    "T env=testhost run=1 event=first-kvm-run code=0 t_ms=1.5 husk_cpu_ms=1.2\n"
    "T env=testhost run=1 event=marker-boot-timer code=123 t_ms=390 "
    "husk_cpu_ms=3\n"
    "T env=testhost run=1 event=vm-exit code=0 t_ms=480 husk_cpu_ms=4\n"
    "M env=testhost run=1 peak_rss_kib=20480 guest_resident_kib=18432\n"
    "R env=testhost sys=runc run=1 wall_ms=60 marker_ms=50 cpu_ms=70 "
    "maxrss_kb=10240 status=0\n"
    "R env=testhost sys=husk run=2 wall_ms=700 marker_ms=600 cpu_ms=500 "
    "maxrss_kb=22528 status=0\n"
    "T env=testhost run=2 event=process-start code=0 t_ms=0 husk_cpu_ms=-1\n"
    "T env=testhost run=2 event=first-kvm-run code=0 t_ms=2.5 husk_cpu_ms=1.4\n"
    "T env=testhost run=2 event=marker-boot-timer code=123 t_ms=590 "
    "husk_cpu_ms=5\n"
    "T env=testhost run=2 event=vm-exit code=0 t_ms=680 husk_cpu_ms=6\n"
    "M env=testhost run=2 peak_rss_kib=22528 guest_resident_kib=20480\n"
    "R env=testhost sys=runc run=2 wall_ms=80 marker_ms=70 cpu_ms=90 "
    "maxrss_kb=10240 status=0\n"
    "R env=testhost sys=husk run=3 wall_ms=600 marker_ms=500 cpu_ms=400 "
    "maxrss_kb=21504 status=0\n"
    "T env=testhost run=3 event=process-start code=0 t_ms=0 husk_cpu_ms=-1\n"
    "T env=testhost run=3 event=first-kvm-run code=0 t_ms=2 husk_cpu_ms=1.3\n"
    "T env=testhost run=3 event=marker-boot-timer code=123 t_ms=490 "
    "husk_cpu_ms=4\n"
    "T env=testhost run=3 event=vm-exit code=0 t_ms=580 husk_cpu_ms=5\n"
    "M env=testhost run=3 peak_rss_kib=21504 guest_resident_kib=19456\n"
    "R env=testhost sys=runc run=3 wall_ms=120000 marker_ms=-1 cpu_ms=1 "
    "maxrss_kb=1 status=124\n"
    "I env=testhost sys=husk ISO-KERNEL=6.1.0-guest ISO-PROCS=60\n"
    "I env=testhost sys=runc ISO-KERNEL=6.1.0-host ISO-PROCS=4\n"
    "I env=testhost sys=host ISO-KERNEL=6.1.0-host ISO-PROCS=40\n"
    "R env=host sys=unshare run=1 wall_ms=9 marker_ms=8 cpu_ms=8 "
    "maxrss_kb=1700 status=0\n"
    "R env=testhost sys=husk-restore run=1 wall_ms=90 marker_ms=30 cpu_ms=20 "
    "maxrss_kb=9000 status=0\n"
    "R env=testhost sys=husk-restore run=2 wall_ms=95 marker_ms=40 cpu_ms=20 "
    "maxrss_kb=9000 status=0\n"
    "R env=testhost sys=docker run=1 wall_ms=330 marker_ms=310 cpu_ms=40 "
    "maxrss_kb=40000 status=0\n";

static char *summarize(char **dir)
{
    g_autofree char *script =
        g_build_filename(SRCDIR, "scripts", "husk-bench", NULL);
    g_autofree char *rawf = NULL;
    char *out = NULL, *err = NULL;
    int ws;

    *dir = g_dir_make_tmp("husk-bench-XXXXXX", NULL);
    rawf = g_build_filename(*dir, "raw.txt", NULL);
    ck_assert(g_file_set_contents(rawf, raw, -1, NULL));
    {
        char *argv[] = {"sh",       script,    "summarize", rawf,   *dir,
                        "14680064", "4194304", "3916",      "256M", NULL};

        ck_assert(g_spawn_sync(NULL, argv, NULL, G_SPAWN_SEARCH_PATH, NULL,
                               NULL, &out, &err, &ws, NULL));
    }
    ck_assert_msg(g_spawn_check_wait_status(ws, NULL), "summarize failed: %s",
                  err);
    g_free(err);
    return out;
}

static char *read_out(const char *dir, const char *name)
{
    g_autofree char *p = g_build_filename(dir, name, NULL);
    char *text = NULL;

    ck_assert_msg(g_file_get_contents(p, &text, NULL, NULL), "no %s", name);
    return text;
}

static void cleanup(const char *dir)
{
    static const char *const f[] = {"raw.txt", "boot.json", "boot.svg"};

    for (unsigned i = 0; i < G_N_ELEMENTS(f); i++) {
        g_autofree char *p = g_build_filename(dir, f[i], NULL);

        g_unlink(p);
    }
    g_rmdir(dir);
}

START_TEST(tables_and_statistics)
{
    g_autofree char *dir = NULL;
    g_autofree char *out = summarize(&dir);

    /* husk: 400, 500, 600 -> median 500, p95 600 (nearest rank). */
    ck_assert_msg(
        strstr(out, "testhost/husk") && strstr(out, "400/500/600/600"), "%s",
        out);
    /* runc: the run without a marker is not timed, and is reported. */
    ck_assert_msg(strstr(out, "50.0/60.0/70.0/70.0"), "%s", out);
    ck_assert_msg(strstr(out, "(1 runs without the marker)"), "%s", out);
    ck_assert_msg(strstr(out, "host/crun") &&
                      strstr(out, "skipped: cgroups in hybrid mode"),
                  "%s", out);
    /* Timeline medians: first KVM_RUN at 2 ms, boot timer at 490. */
    ck_assert_msg(strstr(out, "first-kvm-run") && strstr(out, "2.000"), "%s",
                  out);
    ck_assert_msg(strstr(out, "marker-boot-timer-123"), "%s", out);
    ck_assert_msg(strstr(out, "guest RAM touched 19.0 MiB + husk 2.0 MiB"),
                  "%s", out);
    /* The VM-versus-container table, from the same environment. */
    ck_assert_msg(strstr(out, "own kernel 6.1.0-guest, sees 60 processes") &&
                      strstr(out, "host kernel 6.1.0-host (shared), sees 4"),
                  "%s", out);
    ck_assert_msg(strstr(out, "18.0 MiB (kernel 14.0 + initramfs 4.0)"), "%s",
                  out);
    /* The restored VM and docker beside them (medians 35 and 310). */
    ck_assert_msg(strstr(out,
                         "restored: 35.0 ms to the marker, 92.5 ms to "
                         "exit") &&
                      strstr(out, "docker: 310.0 ms to the marker"),
                  "%s", out);
    cleanup(dir);
}
END_TEST

START_TEST(json_is_valid)
{
    g_autofree char *dir = NULL;
    g_autofree char *out = summarize(&dir);
    g_autofree char *js = read_out(dir, "boot.json");

    ck_assert_msg(json_valid(js), "boot.json is not JSON:\n%s", js);
    ck_assert(strstr(js, "\"system\": \"testhost/husk\", \"runs\": 3"));
    ck_assert(strstr(js, "\"median\": 500.000"));
    ck_assert(strstr(js, "\"why\": \"cgroups in hybrid mode not supported\""));
    cleanup(dir);
}
END_TEST

START_TEST(svg_is_well_formed)
{
    g_autofree char *dir = NULL;
    g_autofree char *out = summarize(&dir);
    g_autofree char *svg = read_out(dir, "boot.svg");
    struct svg_count n;
    g_autoptr(GError) err = NULL;

    ck_assert_msg(svg_check(svg, &n, &err), "boot.svg: %s", err->message);
    ck_assert_uint_eq(n.svg, 1);
    /* Background, 5 boxes (testhost/husk, testhost/runc, host/unshare,
     * testhost/husk-restore, testhost/docker), 3 timeline phases with a
     * legend square each. */
    ck_assert_uint_eq(n.rect, 1 + 5 + 3 * 2);
    ck_assert(strstr(svg, ">testhost/husk-restore</text>"));
    ck_assert(strstr(svg, ">testhost/husk</text>"));
    cleanup(dir);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("bench");
    TCase *tc = tcase_create("summary");

    tcase_add_test(tc, tables_and_statistics);
    tcase_add_test(tc, json_is_valid);
    tcase_add_test(tc, svg_is_well_formed);
    suite_add_tcase(s, tc);
    return check_run(s);
}
