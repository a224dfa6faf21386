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

/* One trailing ",option" of --disk; false if suffix is not one. */
static bool disk_option(const char *opt, bool *read_only,
                        enum blk_engine *engine, bool *bad)
{
    if (!strcmp(opt, "ro") || !strcmp(opt, "rw")) {
        *read_only = !strcmp(opt, "ro");
    } else if (!strcmp(opt, "aio=io_uring")) {
        *engine = BLK_ENGINE_URING;
    } else if (!strcmp(opt, "aio=sync")) {
        *engine = BLK_ENGINE_SYNC;
    } else if (!strcmp(opt, "aio=auto")) {
        *engine = BLK_ENGINE_AUTO;
    } else if (g_str_has_prefix(opt, "aio=")) {
        *bad = true;
    } else {
        return false;
    }
    return true;
}

bool cli_parse_disk(const char *arg, char **path, bool *read_only,
                    enum blk_engine *engine)
{
    g_autofree char *p = g_strdup(arg);
    char *comma;
    bool bad = false;

    *read_only = false;
    *engine = BLK_ENGINE_AUTO;
    *path = NULL;
    /* Options come last; a comma elsewhere belongs to the path. */
    while ((comma = strrchr(p, ',')) &&
           disk_option(comma + 1, read_only, engine, &bad)) {
        *comma = '\0';
    }
    if (bad || !*p) {
        return false;
    }
    *path = g_steal_pointer(&p);
    return true;
}
