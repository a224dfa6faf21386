/*
 * state.c: snapshot fields, written and read back under bounds (state.h).
 */
#include "lib/state.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "lib/error.h"

void st_put_u64(struct st_writer *w, const char *key, uint64_t v)
{
    g_key_file_set_uint64(w->kf, w->group, key, v);
}

void st_put_bool(struct st_writer *w, const char *key, bool v)
{
    g_key_file_set_uint64(w->kf, w->group, key, v ? 1 : 0);
}

void st_put_blob(struct st_writer *w,
                 const char *key,
                 const void *p,
                 size_t len)
{
    g_autofree char *b = g_base64_encode(p, len);

    /* An empty blob is an empty value, which g_base64_decode gives back
     * as zero bytes. */
    g_key_file_set_value(w->kf, w->group, key, b);
}

void st_fail(struct st_reader *r, const char *fmt, ...)
{
    va_list ap;
    g_autofree char *msg = NULL;

    if (r->err) {
        return;
    }
    va_start(ap, fmt);
    msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    g_set_error(&r->err, HUSK_ERROR, HUSK_EXIT_DATAERR, "[%s]: %s", r->group,
                msg);
}

/* The raw value, or NULL with the failure recorded. */
static char *raw_value(struct st_reader *r, const char *key)
{
    char *v;

    if (r->err) {
        return NULL;
    }
    v = g_key_file_get_value(r->kf, r->group, key, NULL);
    if (!v) {
        st_fail(r, "%s is missing", key);
    }
    return v;
}

uint64_t st_get_u64(struct st_reader *r,
                    const char *key,
                    uint64_t min,
                    uint64_t max)
{
    g_autofree char *v = raw_value(r, key);
    guint64 n;

    if (!v) {
        return 0;
    }
    /* Decimal digits only: no sign, no spaces, no hex, no overflow. */
    if (!g_ascii_string_to_unsigned(v, 10, 0, G_MAXUINT64, &n, NULL)) {
        st_fail(r, "%s=%.40s is not a number", key, v);
        return 0;
    }
    if (n < min || n > max) {
        st_fail(
            r, "%s=%" G_GUINT64_FORMAT " is outside [%" PRIu64 ", %" PRIu64 "]",
            key, n, min, max);
        return 0;
    }
    return n;
}

bool st_get_bool(struct st_reader *r, const char *key)
{
    return st_get_u64(r, key, 0, 1) != 0;
}

/* Base64 with nothing else in it (g_base64_decode skips what it does not
 * know, which would let damage through). */
static bool is_base64(const char *s)
{
    size_t n = strlen(s);

    if (n % 4) {
        return false;
    }
    for (size_t i = 0; i < n; i++) {
        char c = s[i];

        if (!g_ascii_isalnum(c) && c != '+' && c != '/' &&
            !(c == '=' && i >= n - 2)) {
            return false;
        }
    }
    return !(n >= 2 && s[n - 2] == '=' && s[n - 1] != '=');
}

void *st_get_blob_max(struct st_reader *r,
                      const char *key,
                      size_t max,
                      size_t *len)
{
    g_autofree char *v = raw_value(r, key);
    guchar *p;
    gsize n;

    *len = 0;
    if (!v) {
        return NULL;
    }
    /* Bound the encoded length before decoding anything. */
    if (strlen(v) > (max + 2) / 3 * 4 || !is_base64(v)) {
        st_fail(r, "%s is not base64 of at most %zu bytes", key, max);
        return NULL;
    }
    p = g_base64_decode(v, &n);
    if (n > max) {
        g_free(p);
        st_fail(r, "%s holds %zu bytes, more than %zu", key, (size_t)n, max);
        return NULL;
    }
    *len = n;
    return p;
}

void st_get_blob(struct st_reader *r, const char *key, void *p, size_t len)
{
    size_t n;
    g_autofree uint8_t *b = st_get_blob_max(r, key, len, &n);

    memset(p, 0, len);
    if (!b && r->err) {
        return;
    }
    if (n != len) {
        st_fail(r, "%s holds %zu bytes, not %zu", key, n, len);
        return;
    }
    memcpy(p, b, len);
}

bool st_finish(struct st_reader *r, GError **errp)
{
    if (r->err) {
        g_propagate_error(errp, r->err);
        r->err = NULL;
        return false;
    }
    return true;
}
