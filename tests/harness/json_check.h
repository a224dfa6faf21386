/*
 * json_check.h: is a text one well-formed JSON value (RFC 8259)?  A small
 * recursive-descent checker for the tests of files husk writes (glib has
 * no JSON parser, and the tests need no values from it, only validity).
 */
#ifndef HUSK_JSON_CHECK_H
#define HUSK_JSON_CHECK_H

#include <stdbool.h>
#include <string.h>

struct jc {
    const char *p;
    int depth;
};

static bool jc_value(struct jc *c);

static void jc_ws(struct jc *c)
{
    while (*c->p == ' ' || *c->p == '\t' || *c->p == '\n' || *c->p == '\r') {
        c->p++;
    }
}

static bool jc_lit(struct jc *c, const char *w)
{
    size_t n = strlen(w);

    if (strncmp(c->p, w, n)) {
        return false;
    }
    c->p += n;
    return true;
}

static bool jc_string(struct jc *c)
{
    if (*c->p++ != '"') {
        return false;
    }
    for (;;) {
        unsigned char ch = (unsigned char)*c->p++;

        if (ch == '"') {
            return true;
        }
        if (ch < 0x20) {
            return false; /* includes the end of the text */
        }
        if (ch == '\\') {
            ch = (unsigned char)*c->p++;
            if (ch == 'u') {
                for (int i = 0; i < 4; i++, c->p++) {
                    if (!strchr("0123456789abcdefABCDEF", *c->p) || !*c->p) {
                        return false;
                    }
                }
            } else if (!strchr("\"\\/bfnrt", ch) || !ch) {
                return false;
            }
        }
    }
}

static bool jc_digits(struct jc *c)
{
    const char *s = c->p;

    while (*c->p >= '0' && *c->p <= '9') {
        c->p++;
    }
    return c->p > s;
}

static bool jc_number(struct jc *c)
{
    if (*c->p == '-') {
        c->p++;
    }
    if (*c->p == '0') {
        c->p++;
    } else if (!jc_digits(c)) {
        return false;
    }
    if (*c->p == '.') {
        c->p++;
        if (!jc_digits(c)) {
            return false;
        }
    }
    if (*c->p == 'e' || *c->p == 'E') {
        c->p++;
        if (*c->p == '+' || *c->p == '-') {
            c->p++;
        }
        if (!jc_digits(c)) {
            return false;
        }
    }
    return true;
}

/* '[' or '{' already seen; close is ']' or '}'. */
static bool jc_seq(struct jc *c, char close, bool members)
{
    if (++c->depth > 64) {
        return false;
    }
    jc_ws(c);
    if (*c->p == close) {
        c->p++;
        c->depth--;
        return true;
    }
    for (;;) {
        jc_ws(c);
        if (members) {
            if (!jc_string(c)) {
                return false;
            }
            jc_ws(c);
            if (*c->p++ != ':') {
                return false;
            }
        }
        if (!jc_value(c)) {
            return false;
        }
        jc_ws(c);
        if (*c->p == ',') {
            c->p++;
            continue;
        }
        if (*c->p++ != close) {
            return false;
        }
        c->depth--;
        return true;
    }
}

static bool jc_value(struct jc *c)
{
    jc_ws(c);
    switch (*c->p) {
    case '{':
        c->p++;
        return jc_seq(c, '}', true);
    case '[':
        c->p++;
        return jc_seq(c, ']', false);
    case '"':
        return jc_string(c);
    case 't':
        return jc_lit(c, "true");
    case 'f':
        return jc_lit(c, "false");
    case 'n':
        return jc_lit(c, "null");
    default:
        return jc_number(c);
    }
}

/* True if text is exactly one JSON value (whitespace around allowed). */
static inline bool json_valid(const char *text)
{
    struct jc c = {text, 0};

    if (!jc_value(&c)) {
        return false;
    }
    jc_ws(&c);
    return *c.p == '\0';
}

#endif
