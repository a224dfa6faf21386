/*
 * log.c: the rate limiter behind guest_error().
 */
#include "vmm/log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

unsigned long guest_error_count;

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

static void log_handler(const gchar *domain, GLogLevelFlags level,
                        const gchar *msg, gpointer opaque)
{
    static int debug = -1;

    if (debug < 0) {
        const char *e = getenv("HUSK_DEBUG");
        debug = e && *e && strcmp(e, "0") != 0;
    }
    if ((level & (G_LOG_LEVEL_DEBUG | G_LOG_LEVEL_INFO)) && !debug) {
        return;
    }
    fprintf(stderr, "husk: %s%s\n",
            (level & G_LOG_LEVEL_WARNING) ? "warning: " : "", msg);
}

void log_init(void)
{
    g_log_set_default_handler(log_handler, NULL);
}
