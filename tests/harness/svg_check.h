/*
 * svg_check.h: is a text well-formed XML (GMarkup), and how many <svg> and
 * <rect> elements does it hold?  For the tests of husk bench's chart.
 */
#ifndef HUSK_SVG_CHECK_H
#define HUSK_SVG_CHECK_H

#include <glib.h>
#include <stdbool.h>
#include <string.h>

struct svg_count {
    unsigned svg, rect;
};

static void svg_count_start(GMarkupParseContext *c,
                            const char *name,
                            const char **an,
                            const char **av,
                            gpointer data,
                            GError **e)
{
    struct svg_count *n = data;

    n->svg += !strcmp(name, "svg");
    n->rect += !strcmp(name, "rect");
}

/* False (and *errp) if text is not well-formed. */
static inline bool svg_check(const char *text,
                             struct svg_count *n,
                             GError **errp)
{
    GMarkupParser p = {.start_element = svg_count_start};
    GMarkupParseContext *c = g_markup_parse_context_new(&p, 0, n, NULL);
    bool ok;

    memset(n, 0, sizeof(*n));
    ok = g_markup_parse_context_parse(c, text, -1, errp) &&
         g_markup_parse_context_end_parse(c, errp);
    g_markup_parse_context_free(c);
    return ok;
}

#endif
