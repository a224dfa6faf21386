/*
 * check_timeline.c: the boot timeline's bookkeeping without KVM: nothing
 * is recorded when off; events come back in time order with CPU times;
 * a phase marked "once" is recorded once even from many threads; markers
 * past the table are counted, not written out of bounds; the JSON file
 * parses back and passes the consistency check the kvm and system suites
 * use; the sysctl devices report markers through vm_ctl.
 */
#include <check.h>
#include <fcntl.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <unistd.h>

#include "devices/sysctl_x86.h"
#include "harness/check_run.h"
#include "harness/json_check.h"
#include "harness/timeline_check.h"
#include "vmm/timeline.h"

static void setup(void)
{
    tl_reset();
    tl_process_start();
}

START_TEST(off_records_nothing)
{
    struct tl_entry e[4];
    unsigned dropped;

    tl_mark(TL_VM_CREATED, 0);
    tl_mark_once(TL_FIRST_RUN);
    ck_assert(!tl_enabled());
    ck_assert_uint_eq(tl_entries(e, 4, &dropped), 0);
}
END_TEST

START_TEST(events_in_order_with_cpu_time)
{
    struct tl_entry e[8];
    unsigned dropped, n;

    tl_enable();
    tl_mark(TL_VM_CREATED, 0);
    g_usleep(2000);
    tl_mark(TL_MEMORY_READY, 0);
    tl_mark(TL_MARKER_DEBUG, 0x41);
    n = tl_entries(e, 8, &dropped);
    ck_assert_uint_eq(n, 4);
    ck_assert_uint_eq(dropped, 0);
    ck_assert_int_eq(e[0].ev, TL_PROCESS_START);
    ck_assert_int_eq(e[0].t_ns, 0);
    ck_assert_int_eq(e[1].ev, TL_VM_CREATED);
    ck_assert_int_eq(e[2].ev, TL_MEMORY_READY);
    ck_assert_int_ge(e[2].t_ns - e[1].t_ns, 2000000);
    ck_assert_int_eq(e[3].ev, TL_MARKER_DEBUG);
    ck_assert_uint_eq(e[3].code, 0x41);
    ck_assert_int_gt(e[1].cpu_ns, 0);
    ck_assert_int_ge(e[3].cpu_ns, e[1].cpu_ns);
    ck_assert_int_ge(e[1].guest_ns, 0); /* read from /proc/self/stat */
}
END_TEST

static gpointer race_once(gpointer data)
{
    for (int i = 0; i < 1000; i++) {
        tl_mark_once(TL_FIRST_CONSOLE);
    }
    return NULL;
}

START_TEST(once_is_once_across_threads)
{
    GThread *t[4];
    struct tl_entry e[8];
    unsigned dropped;

    tl_enable();
    for (int i = 0; i < 4; i++) {
        t[i] = g_thread_new("once", race_once, NULL);
    }
    for (int i = 0; i < 4; i++) {
        g_thread_join(t[i]);
    }
    ck_assert_uint_eq(tl_entries(e, 8, &dropped), 2);
    ck_assert_int_eq(e[1].ev, TL_FIRST_CONSOLE);
}
END_TEST

/* A guest writing markers in a loop fills the table and no more. */
START_TEST(markers_past_the_table_are_counted)
{
    static struct tl_entry e[TL_MAX_ENTRIES + 8];
    unsigned dropped;

    tl_enable();
    for (unsigned i = 0; i < TL_MAX_ENTRIES + 100; i++) {
        tl_mark(TL_MARKER_DEBUG, i & 0x7f);
    }
    ck_assert_uint_eq(tl_entries(e, G_N_ELEMENTS(e), &dropped), TL_MAX_ENTRIES);
    ck_assert_uint_eq(dropped, 101); /* slot 0 is the process start */
}
END_TEST

START_TEST(json_round_trip_is_consistent)
{
    static const enum tl_event boot[] = {
        TL_VM_CREATED,    TL_MEMORY_READY, TL_DEVICES_READY,
        TL_KERNEL_LOADED, TL_VCPUS_READY,  TL_FIRST_RUN,
        TL_FIRST_CONSOLE, TL_MARKER_FC,    TL_VM_EXIT,
    };
    g_autofree char *dir = g_dir_make_tmp("husk-tl-XXXXXX", NULL);
    g_autofree char *path = g_build_filename(dir, "t.json", NULL);
    g_autofree char *text = NULL, *why = NULL;
    g_autoptr(GError) err = NULL;
    GArray *a;
    int status, fd;

    tl_enable();
    for (unsigned i = 0; i < G_N_ELEMENTS(boot); i++) {
        tl_mark(boot[i], boot[i] == TL_MARKER_FC ? 123 : 0);
    }
    fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    ck_assert_int_ge(fd, 0);
    ck_assert(tl_write_json(fd, "exit-port", 7, &err));
    close(fd);
    ck_assert(g_file_get_contents(path, &text, NULL, NULL));
    ck_assert(strstr(text, "\"exit_reason\": \"exit-port\""));
    ck_assert_msg(json_valid(text), "not JSON:\n%s", text);
    a = tlc_parse(text, &status, &why);
    ck_assert_msg(a, "%s", why);
    ck_assert_int_eq(status, 7);
    ck_assert_uint_eq(a->len, G_N_ELEMENTS(boot) + 1);
    why = tlc_consistent(a);
    ck_assert_msg(!why, "%s\n%s", why, text);
    ck_assert_uint_eq(
        g_array_index(a, struct tlc_event, tlc_find(a, "marker-boot-timer", 0))
            .code,
        123);
    g_array_free(a, TRUE);
    g_unlink(path);
    g_rmdir(dir);
}
END_TEST

/* The checker itself catches what it is there to catch. */
START_TEST(checker_rejects_bad_timelines)
{
    static const char *const bad[] = {
        /* a phase missing */
        "{\"event\": \"process-start\", \"code\": 0, \"t_ms\": 0, \"cpu_ms\": "
        "-1, \"guest_ms\": -1, \"husk_cpu_ms\": -1}\n"
        "{\"event\": \"vm-exit\", \"code\": 0, \"t_ms\": 5, \"cpu_ms\": 1, "
        "\"guest_ms\": 0, \"husk_cpu_ms\": 1}\n",
        /* a marker before the first KVM_RUN */
        "{\"event\": \"process-start\", \"code\": 0, \"t_ms\": 0, \"cpu_ms\": "
        "-1, \"guest_ms\": -1, \"husk_cpu_ms\": -1}\n"
        "{\"event\": \"vm-created\", \"code\": 0, \"t_ms\": 1, \"cpu_ms\": 1, "
        "\"guest_ms\": 0, \"husk_cpu_ms\": 1}\n"
        "{\"event\": \"memory-ready\", \"code\": 0, \"t_ms\": 1, \"cpu_ms\": "
        "1, \"guest_ms\": 0, \"husk_cpu_ms\": 1}\n"
        "{\"event\": \"devices-ready\", \"code\": 0, \"t_ms\": 1, \"cpu_ms\": "
        "1, \"guest_ms\": 0, \"husk_cpu_ms\": 1}\n"
        "{\"event\": \"marker-boot-timer\", \"code\": 123, \"t_ms\": 1, "
        "\"cpu_ms\": 1, \"guest_ms\": 0, \"husk_cpu_ms\": 1}\n"
        "{\"event\": \"kernel-loaded\", \"code\": 0, \"t_ms\": 2, \"cpu_ms\": "
        "1, \"guest_ms\": 0, \"husk_cpu_ms\": 1}\n"
        "{\"event\": \"vcpus-ready\", \"code\": 0, \"t_ms\": 2, \"cpu_ms\": 1, "
        "\"guest_ms\": 0, \"husk_cpu_ms\": 1}\n"
        "{\"event\": \"first-kvm-run\", \"code\": 0, \"t_ms\": 3, \"cpu_ms\": "
        "1, \"guest_ms\": 0, \"husk_cpu_ms\": 1}\n"
        "{\"event\": \"vm-exit\", \"code\": 0, \"t_ms\": 5, \"cpu_ms\": 1, "
        "\"guest_ms\": 0, \"husk_cpu_ms\": 1}\n",
        /* time going back */
        "{\"event\": \"process-start\", \"code\": 0, \"t_ms\": 0, \"cpu_ms\": "
        "-1, \"guest_ms\": -1, \"husk_cpu_ms\": -1}\n"
        "{\"event\": \"vm-created\", \"code\": 0, \"t_ms\": 3, \"cpu_ms\": 1, "
        "\"guest_ms\": 0, \"husk_cpu_ms\": 1}\n"
        "{\"event\": \"memory-ready\", \"code\": 0, \"t_ms\": 2, \"cpu_ms\": "
        "1, \"guest_ms\": 0, \"husk_cpu_ms\": 1}\n",
    };

    for (unsigned i = 0; i < G_N_ELEMENTS(bad); i++) {
        g_autofree char *why = NULL, *verdict = NULL;
        int status;
        GArray *a = tlc_parse(bad[i], &status, &why);

        ck_assert_msg(a, "%s", why);
        verdict = tlc_consistent(a);
        ck_assert_msg(verdict, "accepted bad timeline %u", i);
        g_array_free(a, TRUE);
    }
}
END_TEST

/* The JSON checker the bench and timeline tests rely on. */
START_TEST(json_checker)
{
    static const char *const good[] = {
        "{}",
        "[]",
        " {\"a\": [1, -2.5e3, true, false, null, \"x\\n\\u00e9\"]} ",
        "0",
        "{\"a\": {\"b\": []}}",
    };
    static const char *const bad[] = {
        "",
        "{",
        "{\"a\" 1}",
        "[1,]",
        "{\"a\": 1,}",
        "[01]",
        "[1.]",
        "\"ab",
        "[nan]",
        "{} {}",
        "[\"a\nb\"]",
        "[-]",
        "{\"a\": 1 \"b\": 2}",
    };

    for (unsigned i = 0; i < G_N_ELEMENTS(good); i++) {
        ck_assert_msg(json_valid(good[i]), "rejected %s", good[i]);
    }
    for (unsigned i = 0; i < G_N_ELEMENTS(bad); i++) {
        ck_assert_msg(!json_valid(bad[i]), "accepted %s", bad[i]);
    }
}
END_TEST

struct fake_ctl {
    struct vm_ctl ctl;
    enum vm_marker last;
    unsigned code, calls;
};

static void fake_marker(struct vm_ctl *c, enum vm_marker m, unsigned code)
{
    struct fake_ctl *f = (struct fake_ctl *)c;

    f->last = m;
    f->code = code;
    f->calls++;
}

START_TEST(sysctl_reports_markers)
{
    struct fake_ctl f = {.ctl.boot_marker = fake_marker};
    struct sysctl_x86 s;

    sysctl_x86_init(&s, &f.ctl);
    sysctl_post_ops.write(&s, 0, 0x61, 1);
    ck_assert_int_eq(f.last, VM_MARKER_DEBUG_PORT);
    ck_assert_uint_eq(f.code, 0x61);
    sysctl_boot_timer_ops.write(&s, 0, 0x17b, 4); /* the low byte counts */
    ck_assert_int_eq(f.last, VM_MARKER_BOOT_TIMER);
    ck_assert_uint_eq(f.code, 123);
    sysctl_boot_timer_ops.write(&s, 8, 123, 1); /* not the register */
    ck_assert_uint_eq(f.calls, 2);
    ck_assert_uint_eq(sysctl_boot_timer_ops.read(&s, 0, 1), 0);
    /* No callback (tests, other users): accepted quietly. */
    f.ctl.boot_marker = NULL;
    sysctl_post_ops.write(&s, 0, 1, 1);
    sysctl_boot_timer_ops.write(&s, 0, 123, 1);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("timeline");
    TCase *tc = tcase_create("timeline");

    tcase_add_checked_fixture(tc, setup, NULL);
    tcase_add_test(tc, off_records_nothing);
    tcase_add_test(tc, events_in_order_with_cpu_time);
    tcase_add_test(tc, once_is_once_across_threads);
    tcase_add_test(tc, markers_past_the_table_are_counted);
    tcase_add_test(tc, json_round_trip_is_consistent);
    tcase_add_test(tc, checker_rejects_bad_timelines);
    tcase_add_test(tc, sysctl_reports_markers);
    tcase_add_test(tc, json_checker);
    suite_add_tcase(s, tc);
    return check_run(s);
}
