/*
 * log.c: the rate limiter behind guest_error().
 */
#include "lib/log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

unsigned long guest_error_count;
const char *log_program = "husk";

bool log_ratelimit_ok(gint64 *window_start, unsigned *count)
{
    /* Racy across threads by design: an extra message is harmless. */
    gint64 now = g_get_monotonic_time();

    if (now - *window_start > 5 * G_USEC_PER_SEC) {
        *window_start = now;
        *count = 0;
    }
    return (*count)++ < 10;
}

static void log_handler(const gchar *domain,
                        GLogLevelFlags level,
                        const gchar *msg,
                        gpointer opaque)
{
    static int debug = -1;

    if (debug < 0) {
        const char *e = getenv("HUSK_DEBUG");
        debug = e && *e && strcmp(e, "0") != 0;
    }
    if ((level & (G_LOG_LEVEL_DEBUG | G_LOG_LEVEL_INFO)) && !debug) {
        return;
    }
    fprintf(stderr, "%s: %s%s\n", log_program,
            (level & G_LOG_LEVEL_WARNING) ? "warning: " : "", msg);
}

/* g_print/g_printerr as plain writes.  glib's own convert the text to the
 * locale's charset, and the first conversion loads iconv modules from
 * disk: after the sandbox is in, that open would stop husk. */
static void print_out(const gchar *s)
{
    fputs(s, stdout);
    fflush(stdout);
}

static void print_err(const gchar *s)
{
    fputs(s, stderr);
}

void log_init(void)
{
    g_log_set_default_handler(log_handler, NULL);
    g_set_print_handler(print_out);
    g_set_printerr_handler(print_err);
}
