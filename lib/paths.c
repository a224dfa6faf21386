/*
 * paths.c: see paths.h.
 */
#include "lib/paths.h"

#include <glib.h>
#include <unistd.h>

char *husk_find_program(const char *env_var, const char *name)
{
    const char *env = env_var ? g_getenv(env_var) : NULL;
    g_autofree char *self = g_file_read_link("/proc/self/exe", NULL);
    char *p;

    if (env && *env) {
        return g_strdup(env);
    }
    if (self) {
        g_autofree char *dir = g_path_get_dirname(self);

        p = g_build_filename(dir, name, NULL);
        if (access(p, X_OK) == 0) {
            return p;
        }
        g_free(p);
    }
    p = g_build_filename(HUSK_LIBEXECDIR, name, NULL);
    if (access(p, X_OK) == 0) {
        return p;
    }
    g_free(p);
    return NULL;
}
