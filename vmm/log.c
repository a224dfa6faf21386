/*
 * log.c: the rate limiter behind guest_error().
 */
#include "vmm/log.h"

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
