/*
 * panic_scan.c: a kernel panic's end line in console output
 * (panic_scan.h).
 */
#include "lib/panic_scan.h"

#include <string.h>

static const char mark[] = "---[ end Kernel panic - not syncing";

/* The line without a printk timestamp "[ digits.digits] " in front. */
static const char *after_timestamp(const char *l)
{
    const char *p = l;

    if (*p != '[') {
        return l;
    }
    p++;
    while (*p == ' ') {
        p++;
    }
    while ((*p >= '0' && *p <= '9') || *p == '.') {
        p++;
    }
    return *p == ']' && p[1] == ' ' ? p + 2 : l;
}

static bool line_done(struct panic_scan *s)
{
    s->line[s->len] = '\0';
    s->len = 0;
    if (s->seen || strncmp(after_timestamp(s->line), mark, strlen(mark))) {
        return false;
    }
    s->seen = true;
    return true;
}

bool panic_scan_feed(struct panic_scan *s, const uint8_t *buf, size_t len)
{
    bool hit = false;

    for (size_t i = 0; i < len; i++) {
        if (buf[i] == '\n' || buf[i] == '\r') {
            hit |= line_done(s);
        } else if (s->len < PANIC_SCAN_LINE - 1) {
            s->line[s->len++] = (char)buf[i];
        }
    }
    return hit;
}
