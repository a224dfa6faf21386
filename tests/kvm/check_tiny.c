/*
 * check_tiny.c: the kvm suite.  Runs husk on this host's /dev/kvm with the
 * tiny PVH guest (guest-images/tiny/tiny.S), one scenario per test: serial
 * output reaches husk's stdout, the exit port sets husk's status, an
 * unmapped MMIO access does not kill husk, two vCPUs both run, and every
 * way a guest can end (poweroff, resets, triple fault, panic, timeout).
 *
 *   check_tiny HUSK TINY_ELF [CASE]
 *
 * With CASE, only that case runs (meson registers one test per case, so a
 * case this host cannot run is reported skipped, with its reason, on its
 * own); without, all of them (the system suite's re-run in the test host).
 * Exits 77 (skip) when /dev/kvm is unusable.
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include "harness/check_run.h"
#include "harness/kvm_main.h"
#include "harness/timeline_check.h"
#include "vmm/kvm.h"

static const char *husk, *tiny;

struct result {
    int status;
    char *out, *err;
};

static struct result run_tiny(const char *scenario,
                              const char *extra1,
                              const char *extra2)
{
    const char *argv[12] = {husk,        "run",    "--kernel",  tiny,
                            "--cmdline", scenario, "--timeout", "60"};
    unsigned n = 8;
    struct result r = {-1, NULL, NULL};
    GError *err = NULL;
    int ws;

    if (extra1) {
        argv[n++] = extra1;
    }
    if (extra2) {
        argv[n++] = extra2;
    }
    argv[n] = NULL;
    ck_assert_msg(
        g_spawn_sync(NULL, (char **)argv, NULL, G_SPAWN_STDIN_FROM_DEV_NULL,
                     NULL, NULL, &r.out, &r.err, &ws, &err),
        "spawn: %s", err ? err->message : "");
    r.status = WIFEXITED(ws) ? WEXITSTATUS(ws) : 128 + WTERMSIG(ws);
    return r;
}

static void expect_status(const char *scenario,
                          int want,
                          const char *e1,
                          const char *e2)
{
    struct result r = run_tiny(scenario, e1, e2);

    ck_assert_msg(r.status == want,
                  "scenario '%s': husk exited %d, expected %d\nstdout: %s\n"
                  "stderr: %s",
                  scenario, r.status, want, r.out, r.err);
    g_free(r.out);
    g_free(r.err);
}

START_TEST(serial_output_reaches_stdout)
{
    struct result r = run_tiny("h", NULL, NULL);

    ck_assert_int_eq(r.status, 0);
    ck_assert_msg(strstr(r.out, "husk-tiny: hello\n"), "stdout: %s", r.out);
    g_free(r.out);
    g_free(r.err);
}
END_TEST

START_TEST(exit_port_sets_status)
{
    expect_status("e", 42, NULL, NULL);
}
END_TEST

START_TEST(unmapped_mmio_survives)
{
    struct result r = run_tiny("m", NULL, NULL);

    ck_assert_msg(r.status == 0, "status %d: %s", r.status, r.err);
    ck_assert(strstr(r.out, "husk-tiny: mmio ok"));
    g_free(r.out);
    g_free(r.err);
}
END_TEST

START_TEST(two_vcpus_run)
{
    expect_status("s2", 2, "--cpus", "2");
}
END_TEST

START_TEST(acpi_poweroff_is_clean)
{
    expect_status("o", 0, NULL, NULL);
}
END_TEST

START_TEST(acpi_reset_is_clean)
{
    expect_status("r", 0, NULL, NULL);
}
END_TEST

START_TEST(i8042_reset_is_clean)
{
    expect_status("k", 0, NULL, NULL);
}
END_TEST

/* A triple fault is a reset (KVM_EXIT_SHUTDOWN), which husk ends as a
 * clean exit.  PVM's instruction emulator cannot deliver int3 through an
 * empty IDT: KVM stops the vCPU with an emulation failure (QEMU -accel kvm
 * stops on the same instruction with "KVM internal error. Suberror: 1").
 * That, and only with a PVM /dev/kvm, is a skip: on hardware an emulation
 * failure here is husk's bug. */
START_TEST(triple_fault_is_a_reset)
{
    struct result r = run_tiny("t", NULL, NULL);

    if (r.status == 70 && kvm_backing() == KVM_BACKING_PVM &&
        strstr(r.err, "KVM internal error, suberror 1")) {
        check_skip(
            "triple_fault_is_a_reset: this host's /dev/kvm is PVM, "
            "whose emulator fails on int3 through an empty IDT "
            "(KVM_INTERNAL_ERROR_EMULATION) instead of a triple "
            "fault; runs in the nested test host");
    } else {
        ck_assert_msg(r.status == 0, "husk exited %d, expected 0\nstderr: %s",
                      r.status, r.err);
    }
    g_free(r.out);
    g_free(r.err);
}
END_TEST

START_TEST(pvpanic_gives_panic_status)
{
    expect_status("p", 120, NULL, NULL);
}
END_TEST

START_TEST(timeout_gives_124)
{
    struct result r;
    gint64 t0 = g_get_monotonic_time();
    const char *argv[] = {husk, "run",       "-k", tiny, "-p",
                          "l",  "--timeout", "1",  NULL};
    int ws;

    ck_assert(g_spawn_sync(NULL, (char **)argv, NULL,
                           G_SPAWN_STDIN_FROM_DEV_NULL, NULL, NULL, &r.out,
                           &r.err, &ws, NULL));
    ck_assert_int_eq(WEXITSTATUS(ws), 124);
    ck_assert(strstr(r.err, "timeout"));
    ck_assert_int_lt(g_get_monotonic_time() - t0, 30 * G_USEC_PER_SEC);
    g_free(r.out);
    g_free(r.err);
}
END_TEST

/* --boot-timeline: every phase once, in order, and the guest's markers
 * (tiny.S "b") in the order it wrote them, after the first KVM_RUN. */
START_TEST(boot_timeline_is_consistent)
{
    g_autofree char *dir = g_dir_make_tmp("husk-tl-XXXXXX", NULL);
    g_autofree char *file = g_build_filename(dir, "t.json", NULL);
    g_autofree char *arg = g_strdup_printf("--boot-timeline=%s", file);
    g_autofree char *text = NULL, *why = NULL;
    struct result r = run_tiny("b", arg, NULL);
    static const struct {
        const char *name;
        unsigned code;
    } order[] = {
        {"marker-debug-port", 0x41}, {"first-console-byte", 0},
        {"marker-debug-port", 0x61}, {"marker-boot-timer", 123},
        {"marker-boot-timer", 124},  {"vm-exit", 0},
    };
    GArray *a;
    int status, at;

    ck_assert_msg(r.status == 0, "status %d: %s", r.status, r.err);
    /* The table on stderr. */
    ck_assert_msg(
        strstr(r.err, "boot timeline") && strstr(r.err, "first KVM_RUN") &&
            strstr(r.err, "marker: boot timer = 123 (boot complete)") &&
            strstr(r.err, "marker: port 0x80 = 0x61 (user space)"),
        "stderr: %s", r.err);
    ck_assert(g_file_get_contents(file, &text, NULL, NULL));
    a = tlc_check(text, &status, &why);
    ck_assert_msg(a, "%s\n%s", why, text);
    ck_assert_int_eq(status, 0);
    at = tlc_find(a, "first-kvm-run", 0);
    for (unsigned i = 0; i < G_N_ELEMENTS(order); i++) {
        const struct tlc_event *e;

        at = tlc_find(a, order[i].name, (unsigned)at + 1);
        ck_assert_msg(at >= 0, "%s (%u) missing or out of order:\n%s",
                      order[i].name, order[i].code, text);
        e = &g_array_index(a, struct tlc_event, at);
        ck_assert_uint_eq(e->code, order[i].code);
    }
    g_array_free(a, TRUE);
    unlink(file);
    rmdir(dir);
    g_free(r.out);
    g_free(r.err);
}
END_TEST

/* Guest RAM resident at exit, from the timeline JSON (KiB). */
static long resident_kib(const char *mem)
{
    g_autofree char *dir = g_dir_make_tmp("husk-mem-XXXXXX", NULL);
    g_autofree char *file = g_build_filename(dir, "t.json", NULL);
    g_autofree char *arg = g_strdup_printf("--boot-timeline=%s", file);
    g_autofree char *text = NULL;
    const char *argv[] = {husk, "run",      "-k", tiny, "-p",
                          "e",  "--memory", mem,  arg,  NULL};
    const char *p;
    int ws;

    ck_assert(g_spawn_sync(NULL, (char **)argv, NULL,
                           G_SPAWN_STDIN_FROM_DEV_NULL |
                               G_SPAWN_STDOUT_TO_DEV_NULL |
                               G_SPAWN_STDERR_TO_DEV_NULL,
                           NULL, NULL, NULL, NULL, &ws, NULL));
    ck_assert_int_eq(WEXITSTATUS(ws), 42);
    ck_assert(g_file_get_contents(file, &text, NULL, NULL));
    p = strstr(text, "\"guest_resident_kib\": ");
    ck_assert_msg(p, "%s", text);
    unlink(file);
    rmdir(dir);
    return atol(p + strlen("\"guest_resident_kib\": "));
}

/* prefault=on: all guest RAM is in before the guest runs; without it the
 * host pays only for what the guest touched. */
START_TEST(prefault_populates_guest_ram)
{
    long lazy = resident_kib("64M"), eager = resident_kib("64M,prefault=on");

    ck_assert_msg(lazy < 8 * 1024, "64M lazily: %ld KiB resident", lazy);
    ck_assert_msg(eager >= 64 * 1024, "64M prefault: %ld KiB resident", eager);
}
END_TEST

/* hugepages=on with none reserved: a clear error (71), never a SIGBUS
 * when the guest touches memory. */
START_TEST(hugepages_without_reservation_fail_cleanly)
{
    g_autofree char *nr = NULL;

    if (!g_file_get_contents("/proc/sys/vm/nr_hugepages", &nr, NULL, NULL) ||
        atol(nr) != 0) {
        check_skip(
            "hugepages_without_reservation_fail_cleanly: huge pages "
            "are reserved on this host (vm.nr_hugepages %s); the "
            "system suite covers a reservation",
            nr ? g_strstrip(nr) : "unreadable");
        return;
    }
    {
        struct result r = run_tiny("e", "--memory", "64M,hugepages=on");

        ck_assert_msg(r.status == 71 && strstr(r.err, "nr_hugepages"),
                      "status %d: %s", r.status, r.err);
        g_free(r.out);
        g_free(r.err);
    }
}
END_TEST

/* The start address of the 96 MiB mapping (guest RAM) of a running husk,
 * and its VmFlags (new string), or 0 and NULL. */
static uintptr_t guest_ram_start(const char *mem, char **vmflags)
{
    const char *argv[] = {husk,       "run", "-k",        tiny, "-p", "l",
                          "--memory", mem,   "--timeout", "10", NULL};
    g_autofree char *path = NULL;
    uintptr_t start = 0;
    GPid pid;
    int ws;

    *vmflags = NULL;
    ck_assert(g_spawn_async(NULL, (char **)argv, NULL,
                            G_SPAWN_DO_NOT_REAP_CHILD |
                                G_SPAWN_STDOUT_TO_DEV_NULL |
                                G_SPAWN_STDERR_TO_DEV_NULL,
                            NULL, NULL, &pid, NULL));
    path = g_strdup_printf("/proc/%d/smaps", pid);
    for (int i = 0; i < 100 && !*vmflags; i++) {
        g_autofree char *smaps = NULL;
        g_auto(GStrv) lines = NULL;
        uintptr_t here = 0;
        bool in_ram = false;

        g_usleep(50000);
        if (!g_file_get_contents(path, &smaps, NULL, NULL)) {
            continue;
        }
        lines = g_strsplit(smaps, "\n", -1);
        for (unsigned l = 0; lines[l] && !*vmflags; l++) {
            unsigned long a, b;

            if (sscanf(lines[l], "%lx-%lx ", &a, &b) == 2) {
                here = a;
            } else if (g_str_has_prefix(lines[l], "Size:")) {
                in_ram = atol(lines[l] + 5) == 96 * 1024;
            } else if (in_ram && g_str_has_prefix(lines[l], "VmFlags:")) {
                *vmflags = g_strconcat(lines[l], " ", NULL);
                start = here;
            }
        }
    }
    kill(pid, SIGTERM);
    waitpid(pid, &ws, 0);
    g_spawn_close_pid(pid);
    return start;
}

/* The VmFlags of the guest RAM mapping of a running husk (new string), or
 * NULL if there is none. */
static char *guest_ram_vmflags(const char *mem)
{
    char *flags;

    (void)guest_ram_start(mem, &flags);
    return flags;
}

/* Guest RAM starts on a 2 MiB boundary in husk's address space (KVM maps
 * it with 2 MiB pages only where host and guest addresses agree modulo
 * 2 MiB; it started 0xd8000 past one) and asks for transparent huge pages
 * (VmFlags "hg") unless thp=off, anonymous or shared alike. */
START_TEST(guest_ram_is_aligned_for_huge_pages)
{
    static const struct {
        const char *mem;
        bool hg;
    } runs[] = {{"96M", true}, {"96M,thp=off", false}};

    for (unsigned i = 0; i < G_N_ELEMENTS(runs); i++) {
        g_autofree char *flags = NULL;
        uintptr_t start = guest_ram_start(runs[i].mem, &flags);

        ck_assert_msg(flags, "%s: no guest RAM mapping found", runs[i].mem);
        ck_assert_msg(start % (2 * 1024 * 1024) == 0,
                      "%s: guest RAM at 0x%lx, not 2 MiB-aligned", runs[i].mem,
                      (unsigned long)start);
        ck_assert_msg(!!strstr(flags, " hg ") == runs[i].hg, "%s: %s",
                      runs[i].mem, flags);
    }
}
END_TEST

/* Guest RAM stays out of husk's core dumps (VmFlags "dd") unless
 * --memory ...,dump=on. */
START_TEST(guest_ram_not_in_core_dumps)
{
    g_autofree char *off = guest_ram_vmflags("96M");
    g_autofree char *on = guest_ram_vmflags("96M,dump=on");

    ck_assert_msg(off && strstr(off, " dd "), "default: %s", off);
    ck_assert_msg(on && !strstr(on, " dd "), "dump=on: %s", on);
}
END_TEST

/* husk run with HUSK_SANDBOX_SELFTEST=what (a test hook of sandbox.c). */
static struct result run_selftest(const char *what, const char *scenario)
{
    const char *argv[] = {husk,     "run",       "--kernel", tiny, "--cmdline",
                          scenario, "--timeout", "20",       NULL};
    g_auto(GStrv) env =
        g_environ_setenv(g_get_environ(), "HUSK_SANDBOX_SELFTEST", what, TRUE);
    struct result r = {-1, NULL, NULL};
    int ws;

    ck_assert(g_spawn_sync(NULL, (char **)argv, env,
                           G_SPAWN_STDIN_FROM_DEV_NULL, NULL, NULL, &r.out,
                           &r.err, &ws, NULL));
    r.status = WIFEXITED(ws) ? WEXITSTATUS(ws) : 128 + WTERMSIG(ws);
    return r;
}

/* A forbidden call in a vCPU thread or the main thread, made after the
 * filters are in: husk stops with 159 and says which thread and call. */
START_TEST(sandbox_stops_forbidden_calls)
{
    static const char *const roles[][2] = {
        {"vcpu", "the vcpu0 thread made a forbidden system call: openat"},
        {"main", "the main thread made a forbidden system call: openat"},
    };

    for (unsigned i = 0; i < G_N_ELEMENTS(roles); i++) {
        struct result r = run_selftest(roles[i][0], "l");

        ck_assert_msg(r.status == 159 && strstr(r.err, roles[i][1]),
                      "%s: status %d, stderr: %s", roles[i][0], r.status,
                      r.err);
        g_free(r.out);
        g_free(r.err);
    }
}
END_TEST

/* Landlock (where the kernel has it): a file not on the command line is
 * out of reach once the guest runs. */
START_TEST(sandbox_landlock_hides_other_files)
{
    long abi = syscall(SYS_landlock_create_ruleset, NULL, 0, 1U);
    struct result r = run_selftest("landlock", "h");
    const char *want =
        abi > 0 ? "open /bin/sh: Permission denied" : "open /bin/sh: allowed";

    ck_assert_msg(r.status == 0 && strstr(r.err, want),
                  "Landlock ABI %ld: status %d, stderr: %s", abi, r.status,
                  r.err);
    g_free(r.out);
    g_free(r.err);
}
END_TEST

/* A thread the kernel attached to the process (task flags, field 9 of
 * /proc/PID/task/TID/stat): PF_KTHREAD, or PF_USER_WORKER, which Linux 6.4
 * added for the vhost and KVM worker tasks that are created in the
 * owner's thread group and never run user code.  Seen here: KVM's NX huge
 * page recovery worker "kvm-nx-lpage-re" (Linux 6.13 made it such a task;
 * before, it was a kernel thread outside the process). */
#define PF_USER_WORKER 0x00004000u
#define PF_KTHREAD 0x00200000u

static bool kernel_worker(const char *taskdir, const char *tid)
{
    g_autofree char *path = g_strdup_printf("%s/%s/stat", taskdir, tid);
    g_autofree char *text = NULL;
    const char *p;
    unsigned long flags = 0;

    if (!g_file_get_contents(path, &text, NULL, NULL) ||
        !(p = strrchr(text, ')'))) {
        return false;
    }
    /* After "pid (comm)": state ppid pgrp session tty_nr tpgid flags. */
    if (sscanf(p + 1, " %*c %*d %*d %*d %*d %*d %lu", &flags) != 1) {
        return false;
    }
    return flags & (PF_USER_WORKER | PF_KTHREAD);
}

static gint by_name(gconstpointer a, gconstpointer b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The threads of a running husk (two vCPUs) once all of husk's own are
 * there (and, when sandboxed, filtered): husk's threads as
 * "name=Seccomp/NoNewPrivs" sorted by name (new string), and the kernel's
 * workers in *workers. */
static char *thread_sandbox_states(const char *extra,
                                   bool sandboxed,
                                   char **workers)
{
    const char *argv[] = {husk,     "run", "-k",        tiny, "-p",  "l",
                          "--cpus", "2",   "--timeout", "10", extra, NULL};
    g_autofree char *dir = NULL;
    char *states = NULL;
    GPid pid;
    int ws;

    *workers = NULL;
    ck_assert(g_spawn_async(NULL, (char **)argv, NULL,
                            G_SPAWN_DO_NOT_REAP_CHILD |
                                G_SPAWN_STDOUT_TO_DEV_NULL |
                                G_SPAWN_STDERR_TO_DEV_NULL,
                            NULL, NULL, &pid, NULL));
    dir = g_strdup_printf("/proc/%d/task", pid);
    for (int i = 0; i < 100; i++) {
        GDir *d = g_dir_open(dir, 0, NULL);
        GPtrArray *own = g_ptr_array_new_with_free_func(g_free);
        GString *kw = g_string_new(NULL);
        const char *tid;
        bool unfiltered = false;

        g_usleep(50000);
        while (d && (tid = g_dir_read_name(d))) {
            g_autofree char *path = g_strdup_printf("%s/%s/status", dir, tid);
            g_autofree char *text = NULL;
            const char *sc, *nnp, *name;

            if (!g_file_get_contents(path, &text, NULL, NULL) ||
                !(name = strstr(text, "Name:\t")) ||
                !(sc = strstr(text, "\nSeccomp:\t")) ||
                !(nnp = strstr(text, "\nNoNewPrivs:\t"))) {
                continue;
            }
            name += 6;
            if (kernel_worker(dir, tid)) {
                g_string_append_printf(kw, "%s%.*s", kw->len ? " " : "",
                                       (int)strcspn(name, "\n"), name);
                continue;
            }
            unfiltered |= sc[10] == '0';
            g_ptr_array_add(
                own, g_strdup_printf("%.*s=%c/%c", (int)strcspn(name, "\n"),
                                     name, sc[10], nnp[13]));
        }
        if (d) {
            g_dir_close(d);
        }
        g_ptr_array_sort(own, by_name);
        g_ptr_array_add(own, NULL);
        g_free(states);
        states = g_strjoinv(" ", (char **)own->pdata);
        g_ptr_array_free(own, TRUE);
        g_free(*workers);
        *workers = g_string_free(kw, FALSE);
        /* The main thread is filtered last, just before the guest runs.
         * Unsandboxed, nothing more comes: sampling on until the guest's
         * --timeout once saw husk exiting, its vCPU threads gone (a loaded
         * test host). */
        if ((!unfiltered || !sandboxed) && strstr(states, "vcpu1")) {
            break;
        }
    }
    kill(pid, SIGTERM);
    waitpid(pid, &ws, 0);
    g_spawn_close_pid(pid);
    return states;
}

/* Every thread husk starts is filtered (main and both vCPUs: three
 * threads, no other), with no_new_privs; --no-sandbox leaves them as they
 * were.  Threads the kernel attaches to the process are not husk's to
 * filter; they are told apart by their task flags, never by name. */
START_TEST(sandbox_covers_every_thread)
{
    g_autofree char *kw_on = NULL, *kw_off = NULL;
    g_autofree char *on = thread_sandbox_states("--memory=64M", true, &kw_on);
    g_autofree char *off =
        thread_sandbox_states("--no-sandbox", false, &kw_off);

    ck_assert_str_eq(on, "husk=2/1 vcpu0=2/1 vcpu1=2/1");
    ck_assert_str_eq(off, "husk=0/0 vcpu0=0/0 vcpu1=0/0");
    if (*kw_on) {
        printf("kernel workers in husk's process: %s\n", kw_on);
    }
}
END_TEST

/* husk with the flooding guest (tiny.S "w") and its stdout a pipe; the
 * test reads keep bytes of it, then stops reading (keep < 0: never
 * reads) or closes it.  Returns husk's wait status, -1 if it was still
 * running after 30 s (then it is killed). */
static int run_flood(int keep, const char *timeout)
{
    const char *argv[] = {husk, "run",       "-k",    tiny, "-p",
                          "w",  "--timeout", timeout, NULL};
    GPid pid;
    int out, ws = -1;
    char buf[64];

    ck_assert(g_spawn_async_with_pipes(
        NULL, (char **)argv, NULL,
        G_SPAWN_DO_NOT_REAP_CHILD | G_SPAWN_STDERR_TO_DEV_NULL, NULL, NULL,
        &pid, NULL, &out, NULL, NULL));
    if (keep >= 0) {
        for (int got = 0; got < keep;) {
            ssize_t n = read(out, buf, (size_t)(keep - got));

            ck_assert_int_gt(n, 0);
            got += (int)n;
        }
        close(out);
        out = -1;
    }
    for (int i = 0; i < 300; i++) {
        if (waitpid(pid, &ws, WNOHANG) == pid) {
            break;
        }
        ws = -1;
        g_usleep(100000);
    }
    if (ws == -1) {
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
    }
    if (out >= 0) {
        close(out);
    }
    g_spawn_close_pid(pid);
    return ws;
}

/* A guest printing while nobody reads husk's output: --timeout still
 * ends the VM (the UART's write once blocked the vCPU thread, and the
 * stop request never reached it). */
START_TEST(unread_output_does_not_outlive_timeout)
{
    int ws = run_flood(-1, "3");

    ck_assert_msg(ws != -1, "husk still running 30 s after --timeout 3");
    ck_assert_msg(WIFEXITED(ws) && WEXITSTATUS(ws) == 124, "wait status 0x%x",
                  ws);
}
END_TEST

/* husk run ... | head -c 10: the reader goes away; husk drops the output
 * and runs on to its own end (it died of SIGPIPE, 141). */
START_TEST(closed_output_pipe_is_not_fatal)
{
    int ws = run_flood(10, "2");

    ck_assert_msg(ws != -1, "husk still running 30 s after --timeout 2");
    ck_assert_msg(WIFEXITED(ws) && WEXITSTATUS(ws) == 124,
                  "wait status 0x%x (signal %d)", ws,
                  WIFSIGNALED(ws) ? WTERMSIG(ws) : 0);
}
END_TEST

START_TEST(more_vcpus_than_kvm_allows)
{
    expect_status("h", 64, "--cpus", "100000");
}
END_TEST

START_TEST(memory_above_4g)
{
    /* 3.5 GiB: RAM is split around the 32-bit hole; MAP_NORESERVE keeps
     * the host cost to the pages touched. */
    expect_status("e", 42, "--memory", "3584M");
}
END_TEST

int main(int argc, char **argv)
{
    const struct check_case cases[] = {
#define CASE(n) {#n, n}
        CASE(serial_output_reaches_stdout),
        CASE(exit_port_sets_status),
        CASE(unmapped_mmio_survives),
        CASE(two_vcpus_run),
        CASE(acpi_poweroff_is_clean),
        CASE(acpi_reset_is_clean),
        CASE(i8042_reset_is_clean),
        CASE(triple_fault_is_a_reset),
        CASE(pvpanic_gives_panic_status),
        CASE(timeout_gives_124),
        CASE(more_vcpus_than_kvm_allows),
        CASE(boot_timeline_is_consistent),
        CASE(prefault_populates_guest_ram),
        CASE(hugepages_without_reservation_fail_cleanly),
        CASE(guest_ram_not_in_core_dumps),
        CASE(guest_ram_is_aligned_for_huge_pages),
        CASE(memory_above_4g),
        CASE(sandbox_stops_forbidden_calls),
        CASE(sandbox_landlock_hides_other_files),
        CASE(sandbox_covers_every_thread),
        CASE(unread_output_does_not_outlive_timeout),
        CASE(closed_output_pipe_is_not_fatal),
#undef CASE
    };
    int r = kvm_main_args("check_tiny", cases, G_N_ELEMENTS(cases), argc, argv,
                          &husk, &tiny);

    if (r >= 0) {
        return r;
    }
    return check_run_case("tiny", cases, G_N_ELEMENTS(cases),
                          argc == 4 ? argv[3] : NULL, 90);
}
