/*
 * cli.c: command-line value parsing (see cli.h).
 */
#include "vmm/cli.h"

#include <errno.h>
#include <limits.h>
#include <glib.h>
#include <stdlib.h>
#include <string.h>

#include "vmm/util.h"

bool cli_parse_size(const char *s, uint64_t *out)
{
    char *end;
    uint64_t v, mult = MiB;

    errno = 0;
    if (!*s || *s == '-' || *s == '+') {
        return false;
    }
    v = strtoull(s, &end, 10);
    if (errno || end == s) {
        return false;
    }
    switch (*end) {
    case 'k':
    case 'K':
        mult = KiB;
        end++;
        break;
    case 'm':
    case 'M':
        mult = MiB;
        end++;
        break;
    case 'g':
    case 'G':
        mult = GiB;
        end++;
        break;
    case 't':
    case 'T':
        mult = 1024 * GiB;
        end++;
        break;
    }
    if (*end == 'i' && end[1] == 'B') {
        end += 2;
    } else if (*end == 'B') {
        end++;
    }
    if (*end || __builtin_mul_overflow(v, mult, out)) {
        return false;
    }
    return true;
}

bool cli_parse_uint(const char *s, unsigned *out)
{
    char *end;
    unsigned long v;

    errno = 0;
    if (!*s || *s == '-' || *s == '+') {
        return false;
    }
    v = strtoul(s, &end, 10);
    if (errno || *end || v > UINT_MAX) {
        return false;
    }
    *out = (unsigned)v;
    return true;
}

bool cli_parse_disk(const char *arg, char **path, bool *read_only)
{
    const char *comma = strrchr(arg, ',');

    *read_only = false;
    if (comma && (!strcmp(comma, ",ro") || !strcmp(comma, ",rw"))) {
        *read_only = !strcmp(comma, ",ro");
        *path = g_strndup(arg, (gsize)(comma - arg));
    } else {
        *path = g_strdup(arg);
    }
    if (!**path) {
        g_free(*path);
        *path = NULL;
        return false;
    }
    return true;
}
