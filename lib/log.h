/*
 * log.h: logging.  husk's own messages go through glib (G_LOG_DOMAIN is set
 * per directory).  Conditions a guest causes are not husk errors: they go
 * through guest_error(), which is rate limited per call site so a hostile
 * guest cannot flood the host's log (cf. Firecracker #5799), and logged at
 * debug level: shown with HUSK_DEBUG=1, as QEMU shows them with
 * -d guest_errors.
 */
#ifndef HUSK_LOG_H
#define HUSK_LOG_H

#include <glib.h>
#include <stdbool.h>
#include <inttypes.h>
#include <stdint.h>

/* Counts every guest error, including the suppressed ones; tests read it. */
extern unsigned long guest_error_count;

/* Sends husk's log to stderr as plain "husk: ..." lines (log_program:
 * husk-slirp sets its own name); debug messages (guest errors among
 * them) only with HUSK_DEBUG=1.  glib's own handler would probe stderr
 * with calls no sandbox list allows. */
extern const char *log_program;
void log_init(void);

/* True if this call site may log now: at most 10 messages per 5 seconds. */
bool log_ratelimit_ok(gint64 *window_start, unsigned *count);

#define guest_error(fmt, ...)                                           \
    do {                                                                \
        static gint64 ge_win_;                                          \
        static unsigned ge_cnt_;                                        \
        __atomic_add_fetch(&guest_error_count, 1, __ATOMIC_RELAXED);    \
        if (log_ratelimit_ok(&ge_win_, &ge_cnt_)) {                     \
            g_log(G_LOG_DOMAIN, G_LOG_LEVEL_DEBUG, "guest error: " fmt, \
                  ##__VA_ARGS__);                                       \
        }                                                               \
    } while (0)

#endif
