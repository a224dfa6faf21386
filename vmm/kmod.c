/*
 * kmod.c: modules.dep and modules.builtin (see kmod.h; the formats are
 * depmod(8)'s: "PATH: NEED NEED ...", and one PATH per line).
 */
#define G_LOG_DOMAIN "husk"
#include "vmm/kmod.h"

#include <string.h>

#include "lib/error.h"

#define KMOD_FILE_MAX (64 * 1024 * 1024)
#define KMOD_DEPTH_MAX 32

char *kmod_name(const char *s)
{
    const char *base = strrchr(s, '/');
    char *n = g_strdup(base ? base + 1 : s);
    char *dot = strstr(n, ".ko");

    if (dot) {
        *dot = '\0';
    }
    for (char *p = n; *p; p++) {
        if (*p == '-') {
            *p = '_';
        }
    }
    return n;
}

/* A path from the tree's own files: relative, no "..", printable. */
static bool path_ok(const char *p)
{
    if (!*p || *p == '/' || strlen(p) > 1024) {
        return false;
    }
    for (const char *c = p; *c; c++) {
        if ((unsigned char)*c < 0x21 || (unsigned char)*c > 0x7e) {
            return false;
        }
    }
    return !strstr(p, "..");
}

static bool add_path(GPtrArray *v,
                     const char *f,
                     const char *dep_path,
                     GError **errp)
{
    if (!path_ok(f)) {
        g_set_error(errp, HUSK_ERROR, HUSK_EXIT_DATAERR,
                    "%s: a module path that is not the tree's: %s", dep_path,
                    f);
        return false;
    }
    g_ptr_array_add(v, g_strdup(f));
    return true;
}

static bool read_lines(const char *path,
                       bool needed,
                       GStrv *lines,
                       GError **errp)
{
    g_autofree char *text = NULL;
    gsize len;
    g_autoptr(GError) err = NULL;

    *lines = NULL;
    if (!g_file_get_contents(path, &text, &len, &err)) {
        if (!needed) {
            return true;
        }
        g_set_error(errp, HUSK_ERROR, HUSK_EXIT_NOINPUT, "%s", err->message);
        return false;
    }
    if (len > KMOD_FILE_MAX || memchr(text, '\0', len)) {
        g_set_error(errp, HUSK_ERROR, HUSK_EXIT_DATAERR,
                    "%s: not a depmod file", path);
        return false;
    }
    *lines = g_strsplit(text, "\n", -1);
    return true;
}

bool kmod_index_load(struct kmod_index *x, const char *tree, GError **errp)
{
    g_autofree char *dep_path = g_build_filename(tree, "modules.dep", NULL);
    g_autofree char *bi_path = g_build_filename(tree, "modules.builtin", NULL);
    g_auto(GStrv) dep = NULL, bi = NULL;

    memset(x, 0, sizeof(*x));
    x->tree = g_strdup(tree);
    x->dep = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
                                   (GDestroyNotify)g_strfreev);
    x->builtin = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    if (!read_lines(dep_path, true, &dep, errp) ||
        !read_lines(bi_path, false, &bi, errp)) {
        return false;
    }
    for (char **l = dep; *l; l++) {
        char *colon = strchr(*l, ':');
        g_auto(GStrv) needs = NULL;
        GPtrArray *v;

        if (!**l) {
            continue;
        }
        if (!colon) {
            g_set_error(errp, HUSK_ERROR, HUSK_EXIT_DATAERR,
                        "%s: a line without ':'", dep_path);
            return false;
        }
        *colon = '\0';
        needs = g_strsplit_set(colon + 1, " \t", -1);
        v = g_ptr_array_new_with_free_func(g_free);
        bool ok = add_path(v, *l, dep_path, errp); /* the module first */

        for (char **n = needs; ok && *n; n++) {
            ok = !**n || add_path(v, *n, dep_path, errp);
        }
        if (!ok) {
            g_ptr_array_free(v, TRUE);
            return false;
        }
        g_ptr_array_set_free_func(v, NULL);
        g_ptr_array_add(v, NULL);
        g_hash_table_replace(x->dep, kmod_name(*l),
                             (char **)g_ptr_array_free(v, FALSE));
    }
    for (char **l = bi; bi && *l; l++) {
        if (**l) {
            char *n = kmod_name(*l);

            g_hash_table_replace(x->builtin, n, n);
        }
    }
    return true;
}

void kmod_index_clear(struct kmod_index *x)
{
    g_free(x->tree);
    if (x->dep) {
        g_hash_table_destroy(x->dep);
    }
    if (x->builtin) {
        g_hash_table_destroy(x->builtin);
    }
    memset(x, 0, sizeof(*x));
}

static bool listed(GPtrArray *files, const char *f)
{
    for (guint i = 0; i < files->len; i++) {
        if (!strcmp(files->pdata[i], f)) {
            return true;
        }
    }
    return false;
}

static void add_file(const struct kmod_index *x,
                     const char *file,
                     GPtrArray *files,
                     unsigned depth)
{
    g_autofree char *name = kmod_name(file);
    char **e = g_hash_table_lookup(x->dep, name);

    if (listed(files, file) || depth > KMOD_DEPTH_MAX) {
        return; /* a loop in a hostile modules.dep ends here */
    }
    /* modules.dep lists every need, direct or not; each need's own line
     * orders them. */
    for (unsigned i = 1; e && e[i]; i++) {
        add_file(x, e[i], files, depth + 1);
    }
    if (!listed(files, file)) {
        g_ptr_array_add(files, g_strdup(file));
    }
}

enum kmod_found kmod_resolve(const struct kmod_index *x,
                             const char *name,
                             GPtrArray *files)
{
    g_autofree char *n = kmod_name(name);
    char **e = g_hash_table_lookup(x->dep, n);

    if (g_hash_table_contains(x->builtin, n)) {
        return KMOD_BUILTIN;
    }
    if (!e) {
        return KMOD_MISSING;
    }
    add_file(x, e[0], files, 0);
    return KMOD_FILE;
}
