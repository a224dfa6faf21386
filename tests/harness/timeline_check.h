/*
 * timeline_check.h: reads the JSON `husk run --boot-timeline=FILE` writes
 * (one event per line) and checks that it is consistent: every phase
 * present once and in order, times and CPU times never going back, the
 * guest's events after the first KVM_RUN, VM exit last.  Shared by the
 * kvm suite (tiny guest) and the system suite (Linux in the test host).
 */
#ifndef HUSK_TIMELINE_CHECK_H
#define HUSK_TIMELINE_CHECK_H

#include <glib.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

struct tlc_event {
    char name[40];
    unsigned code;
    double t_ms, cpu_ms, husk_cpu_ms;
};

/* Parses the events of the file's text.  NULL and *why if malformed. */
static inline GArray *tlc_parse(const char *text, int *exit_status, char **why)
{
    GArray *a = g_array_new(FALSE, TRUE, sizeof(struct tlc_event));
    g_auto(GStrv) lines = g_strsplit(text, "\n", -1);

    *exit_status = -1;
    for (unsigned i = 0; lines[i]; i++) {
        struct tlc_event e;
        const char *l = g_strstrip(lines[i]);

        sscanf(l, "\"exit_status\": %d", exit_status);
        if (!g_str_has_prefix(l, "{\"event\"")) {
            continue;
        }
        memset(&e, 0, sizeof(e));
        if (sscanf(l,
                   "{\"event\": \"%39[^\"]\", \"code\": %u, \"t_ms\": %lf, "
                   "\"cpu_ms\": %lf, \"guest_ms\": %*f, \"husk_cpu_ms\": %lf}",
                   e.name, &e.code, &e.t_ms, &e.cpu_ms, &e.husk_cpu_ms) != 5) {
            *why = g_strdup_printf("malformed event line: %s", l);
            g_array_free(a, TRUE);
            return NULL;
        }
        g_array_append_val(a, e);
    }
    return a;
}

static inline int tlc_find(GArray *a, const char *name, unsigned from)
{
    for (unsigned i = from; i < a->len; i++) {
        if (!strcmp(g_array_index(a, struct tlc_event, i).name, name)) {
            return (int)i;
        }
    }
    return -1;
}

/* NULL if consistent, else what is wrong (new string). */
static inline char *tlc_consistent(GArray *a)
{
    static const char *const phases[] = {
        "process-start", "vm-created",  "memory-ready",  "devices-ready",
        "kernel-loaded", "vcpus-ready", "first-kvm-run",
    };
    int prev = -1, run, exit_at;
    double last_cpu = 0;

    for (unsigned i = 0; i < G_N_ELEMENTS(phases); i++) {
        int at = tlc_find(a, phases[i], 0);

        if (at < 0) {
            return g_strdup_printf("phase %s missing", phases[i]);
        }
        if (tlc_find(a, phases[i], (unsigned)at + 1) >= 0) {
            return g_strdup_printf("phase %s recorded twice", phases[i]);
        }
        if (at <= prev) {
            return g_strdup_printf("phase %s out of order", phases[i]);
        }
        prev = at;
    }
    run = tlc_find(a, "first-kvm-run", 0);
    exit_at = tlc_find(a, "vm-exit", 0);
    if (exit_at != (int)a->len - 1) {
        return g_strdup("vm-exit missing or not last");
    }
    for (unsigned i = 0; i < a->len; i++) {
        const struct tlc_event *e = &g_array_index(a, struct tlc_event, i);

        if (i > 0 && e->t_ms < g_array_index(a, struct tlc_event, i - 1).t_ms) {
            return g_strdup_printf("time goes back at %s", e->name);
        }
        if (i > 0 && e->cpu_ms < last_cpu) {
            return g_strdup_printf("CPU time goes back at %s", e->name);
        }
        if (i > 0) {
            last_cpu = e->cpu_ms;
        }
        if ((g_str_has_prefix(e->name, "marker-") ||
             !strcmp(e->name, "first-console-byte")) &&
            (int)i < run) {
            return g_strdup_printf("%s before the first KVM_RUN", e->name);
        }
    }
    if (g_array_index(a, struct tlc_event, 0).t_ms != 0) {
        return g_strdup("process-start is not time 0");
    }
    return NULL;
}

/* Parsed and consistent, or NULL and *why (new string). */
static inline GArray *tlc_check(const char *text, int *exit_status, char **why)
{
    GArray *a = tlc_parse(text, exit_status, why);

    if (a && (*why = tlc_consistent(a))) {
        g_array_free(a, TRUE);
        return NULL;
    }
    return a;
}

#endif
