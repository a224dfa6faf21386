/*
 * timeline.c: the boot timeline (see timeline.h).  Entries go into a
 * fixed array through an atomic index, so a vCPU thread records a marker
 * without a lock and without allocating.
 */
#include "vmm/timeline.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lib/error.h"

bool tl_on;
static int64_t t0_ns;
static struct tl_entry entries[TL_MAX_ENTRIES];
static unsigned nr_entries;          /* atomic: slots handed out */
static unsigned nr_dropped;          /* atomic */
static int once[TL_NR_EVENTS];       /* atomic */
static uint64_t mem_guest, mem_peak; /* bytes, 0: not noted */

static const struct {
    const char *key, *name;
} names[TL_NR_EVENTS] = {
    [TL_PROCESS_START] = {"process-start", "process start (main)"},
    [TL_VM_CREATED] = {"vm-created", "KVM VM created"},
    [TL_MEMORY_READY] = {"memory-ready", "guest memory ready"},
    [TL_DEVICES_READY] = {"devices-ready", "devices created"},
    [TL_KERNEL_LOADED] = {"kernel-loaded", "kernel and initrd loaded"},
    [TL_VCPUS_READY] = {"vcpus-ready", "vCPUs set up"},
    [TL_FIRST_RUN] = {"first-kvm-run", "first KVM_RUN"},
    [TL_FIRST_CONSOLE] = {"first-console-byte", "first console byte"},
    [TL_MARKER_FC] = {"marker-boot-timer", "marker: boot timer"},
    [TL_MARKER_DEBUG] = {"marker-debug-port", "marker: port 0x80"},
    [TL_VM_EXIT] = {"vm-exit", "VM exit"},
};

static int64_t clock_ns(clockid_t id)
{
    struct timespec ts;

    if (clock_gettime(id, &ts) < 0) {
        return -1;
    }
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* /proc/self/stat, opened once by tl_enable(): vCPU threads read it when
 * a marker arrives, and under the sandbox nothing may be opened then. */
static int stat_fd = -1;

/* guest_time (field 43 of /proc/self/stat) in ns; -1 if unreadable. */
static int64_t guest_time_ns(void)
{
    char buf[1024];
    const char *p;
    ssize_t n;
    long hz = sysconf(_SC_CLK_TCK);

    if (stat_fd < 0) {
        return -1;
    }
    /* Reading from offset 0 makes procfs generate the line afresh. */
    n = pread(stat_fd, buf, sizeof(buf) - 1, 0);
    if (n <= 0 || hz <= 0) {
        return -1;
    }
    buf[n] = '\0';
    /* The command name may hold spaces and ')': fields follow the last. */
    p = strrchr(buf, ')');
    if (!p) {
        return -1;
    }
    for (int field = 2; field < 43; field++) {
        p = strchr(p + 1, ' ');
        if (!p) {
            return -1;
        }
    }
    return (int64_t)(g_ascii_strtoull(p + 1, NULL, 10) * (1000000000 / hz));
}

void tl_process_start(void)
{
    t0_ns = clock_ns(CLOCK_MONOTONIC);
}

void tl_enable(void)
{
    if (tl_on) {
        return;
    }
    tl_on = true;
    if (stat_fd < 0) {
        stat_fd = open("/proc/self/stat", O_RDONLY | O_CLOEXEC);
    }
    /* Process start: its time is t0; its CPU time is not known then. */
    entries[0] = (struct tl_entry){TL_PROCESS_START, 0, 0, -1, -1};
    nr_entries = 1;
}

bool tl_enabled(void)
{
    return tl_on;
}

void tl_mark_slow(enum tl_event ev, uint32_t code)
{
    int64_t now = clock_ns(CLOCK_MONOTONIC);
    unsigned i = __atomic_fetch_add(&nr_entries, 1, __ATOMIC_RELAXED);

    if (i >= TL_MAX_ENTRIES) {
        __atomic_fetch_add(&nr_dropped, 1, __ATOMIC_RELAXED);
        return;
    }
    entries[i] = (struct tl_entry){
        .ev = ev,
        .code = code,
        .t_ns = now - t0_ns,
        .cpu_ns = clock_ns(CLOCK_PROCESS_CPUTIME_ID),
        .guest_ns = guest_time_ns(),
    };
}

void tl_mark_once(enum tl_event ev)
{
    if (!__builtin_expect(tl_on, 0)) {
        return;
    }
    if (__atomic_exchange_n(&once[ev], 1, __ATOMIC_RELAXED) == 0) {
        tl_mark_slow(ev, 0);
    }
}

static int by_time(const void *a, const void *b)
{
    const struct tl_entry *x = a, *y = b;

    return (x->t_ns > y->t_ns) - (x->t_ns < y->t_ns);
}

unsigned tl_entries(struct tl_entry *out, unsigned max, unsigned *dropped)
{
    /* Called after the vCPU threads were joined: every slot handed out
     * has been written (the join orders it). */
    unsigned n =
        MIN(__atomic_load_n(&nr_entries, __ATOMIC_ACQUIRE), TL_MAX_ENTRIES);

    n = MIN(n, max);
    memcpy(out, entries, n * sizeof(*out));
    /* Stable for equal times: qsort is not, but slots are taken in order
     * and two events in the same nanosecond are rare enough. */
    qsort(out, n, sizeof(*out), by_time);
    *dropped = __atomic_load_n(&nr_dropped, __ATOMIC_RELAXED);
    return n;
}

const char *tl_event_name(enum tl_event ev)
{
    return ev < TL_NR_EVENTS ? names[ev].name : "?";
}

const char *tl_event_key(enum tl_event ev)
{
    return ev < TL_NR_EVENTS ? names[ev].key : "?";
}

/* "0x41 (kernel)" for the debug port's ranges (Cloud Hypervisor's). */
static const char *debug_range(uint32_t code)
{
    if (code < 0x20) {
        return "firmware";
    } else if (code < 0x40) {
        return "boot loader";
    } else if (code < 0x60) {
        return "kernel";
    } else if (code < 0x80) {
        return "user space";
    }
    return "other";
}

static char *describe(const struct tl_entry *e)
{
    if (e->ev == TL_MARKER_FC) {
        return g_strdup_printf("%s = %u%s", tl_event_name(e->ev), e->code,
                               e->code == 123 ? " (boot complete)" : "");
    }
    if (e->ev == TL_MARKER_DEBUG) {
        return g_strdup_printf("%s = 0x%02x (%s)", tl_event_name(e->ev),
                               e->code, debug_range(e->code));
    }
    return g_strdup(tl_event_name(e->ev));
}

/* husk's own CPU time at e: user+sys less the guest's share. */
static double vmm_cpu_ms(const struct tl_entry *e)
{
    int64_t g = e->guest_ns > 0 ? e->guest_ns : 0;

    return e->cpu_ns < 0 ? -1 : (double)(e->cpu_ns - g) / 1e6;
}

void tl_note_memory(uint64_t guest_resident, uint64_t peak_rss)
{
    mem_guest = guest_resident;
    mem_peak = peak_rss;
}

void tl_print(FILE *f)
{
    struct tl_entry *e = g_new(struct tl_entry, TL_MAX_ENTRIES);
    unsigned dropped, n = tl_entries(e, TL_MAX_ENTRIES, &dropped);
    int64_t prev = 0;

    fprintf(f,
            "husk: boot timeline (ms since main(); husk CPU = user+sys "
            "less guest time)\n");
    fprintf(f, "  %-38s %10s %10s %10s\n", "event", "time", "+delta",
            "husk CPU");
    for (unsigned i = 0; i < n; i++) {
        g_autofree char *what = describe(&e[i]);
        double cpu = vmm_cpu_ms(&e[i]);

        fprintf(f, "  %-38s %10.3f %10.3f ", what, (double)e[i].t_ns / 1e6,
                (double)(e[i].t_ns - prev) / 1e6);
        if (cpu < 0) {
            fprintf(f, "%10s\n", "-");
        } else {
            fprintf(f, "%10.3f\n", cpu);
        }
        prev = e[i].t_ns;
    }
    if (dropped) {
        fprintf(f, "  (%u more markers not recorded)\n", dropped);
    }
    if (mem_peak) {
        fprintf(f,
                "  memory: peak RSS %.1f MiB = guest RAM touched %.1f MiB "
                "+ husk %.1f MiB\n",
                mem_peak / 1048576.0, mem_guest / 1048576.0,
                ((double)mem_peak - (double)mem_guest) / 1048576.0);
    }
    g_free(e);
}

bool tl_write_json(int fd, const char *exit_reason, int status, GError **errp)
{
    struct tl_entry *e = g_new(struct tl_entry, TL_MAX_ENTRIES);
    unsigned dropped, n = tl_entries(e, TL_MAX_ENTRIES, &dropped);
    GString *s = g_string_new(NULL);
    bool ok;

    g_string_append_printf(s,
                           "{\n  \"husk_version\": \"%s\",\n"
                           "  \"clock\": \"CLOCK_MONOTONIC\",\n"
                           "  \"t0_monotonic_ns\": %" G_GINT64_FORMAT
                           ",\n"
                           "  \"exit_reason\": \"%s\",\n"
                           "  \"exit_status\": %d,\n"
                           "  \"markers_dropped\": %u,\n"
                           "  \"peak_rss_kib\": %" G_GUINT64_FORMAT
                           ",\n"
                           "  \"guest_resident_kib\": %" G_GUINT64_FORMAT
                           ",\n"
                           "  \"events\": [\n",
                           HUSK_VERSION, t0_ns, exit_reason, status, dropped,
                           mem_peak / 1024, mem_guest / 1024);
    /* One event per line: easy for scripts without a JSON parser too. */
    for (unsigned i = 0; i < n; i++) {
        g_string_append_printf(
            s,
            "    {\"event\": \"%s\", \"code\": %u, "
            "\"t_ms\": %.6f, \"cpu_ms\": %.3f, "
            "\"guest_ms\": %.3f, \"husk_cpu_ms\": %.3f}%s\n",
            tl_event_key(e[i].ev), e[i].code, (double)e[i].t_ns / 1e6,
            e[i].cpu_ns < 0 ? -1.0 : (double)e[i].cpu_ns / 1e6,
            e[i].guest_ns < 0 ? -1.0 : (double)e[i].guest_ns / 1e6,
            vmm_cpu_ms(&e[i]), i + 1 < n ? "," : "");
    }
    g_string_append(s, "  ]\n}\n");
    /* Written through a descriptor opened before the VM ran: under the
     * sandbox husk can no longer open files (sandbox.h). */
    ok = true;
    for (size_t done = 0; done < s->len;) {
        ssize_t w = write(fd, s->str + done, s->len - done);

        if (w < 0 && errno == EINTR) {
            continue;
        }
        if (w <= 0) {
            g_set_error(errp, HUSK_ERROR, HUSK_EXIT_CANTCREAT,
                        "--boot-timeline: %s",
                        g_strerror(w < 0 ? errno : ENOSPC));
            ok = false;
            break;
        }
        done += (size_t)w;
    }
    g_string_free(s, TRUE);
    g_free(e);
    return ok;
}

void tl_reset(void)
{
    tl_on = false;
    nr_entries = 0;
    nr_dropped = 0;
    mem_guest = mem_peak = 0;
    memset(once, 0, sizeof(once));
}
