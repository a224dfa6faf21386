/*
 * sandboxed.h: runs a piece of device work on a thread under the real
 * seccomp filter of the role that runs it in husk (sandbox.h), so a
 * system call missing from a list fails a unit test, not a user.
 *
 * The calling thread meanwhile plays husk's I/O thread: io(opaque) runs
 * every millisecond until the work returned (reaping completions, reading
 * a pipe).  A forbidden call ends the test process with status 159 and
 * the sandbox's one-line report, which Check shows as the case's error.
 */
#ifndef HUSK_TEST_SANDBOXED_H
#define HUSK_TEST_SANDBOXED_H

#include <check.h>
#include <glib.h>
#include <sys/prctl.h>

#include "lib/log.h"
#include "vmm/sandbox.h"

struct sandboxed_run {
    enum sandbox_role role;
    const char *name;
    void (*fn)(void *opaque);
    void *opaque;
    int entered; /* sandbox_enter's result */
    gint done;
};

static gpointer sandboxed_thread(gpointer p)
{
    struct sandboxed_run *r = p;

    prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
    r->entered = sandbox_enter(r->role, r->name);
    if (r->entered == 0) {
        r->fn(r->opaque);
    }
    g_atomic_int_set(&r->done, 1);
    return NULL;
}

/* io may be NULL; timeout_s bounds the whole run (then the case fails). */
static inline void run_sandboxed(enum sandbox_role role,
                                 const char *name,
                                 void (*fn)(void *),
                                 void (*io)(void *),
                                 void *opaque,
                                 unsigned timeout_s)
{
    g_autoptr(GError) err = NULL;
    struct sandboxed_run r = {role, name, fn, opaque, 0, 0};
    gint64 end = g_get_monotonic_time() + timeout_s * G_USEC_PER_SEC;
    GThread *t;

    /* husk's own log handler, as main() installs it: glib's default
     * writer probes stderr with getpeername, which no list allows. */
    log_init();
    ck_assert_msg(sandbox_prepare(SANDBOX_ON, SANDBOX_ROLE_BIT(role), &err),
                  "%s", err ? err->message : "");
    t = g_thread_new(name, sandboxed_thread, &r);
    while (!g_atomic_int_get(&r.done)) {
        ck_assert_msg(g_get_monotonic_time() < end,
                      "%s: still running after %u s", name, timeout_s);
        if (io) {
            io(opaque);
        }
        g_usleep(1000);
    }
    g_thread_join(t);
    ck_assert_msg(r.entered == 0, "sandbox_enter: %s", g_strerror(-r.entered));
}

#endif
