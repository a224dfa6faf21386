/*
 * user_net.c: see user_net.h.
 */
#define G_LOG_DOMAIN "husk"
#include "vmm/user_net.h"

#include <unistd.h>

#include "lib/error.h"
#include "lib/paths.h"

#ifndef HUSK_LIBEXECDIR
#define HUSK_LIBEXECDIR "/usr/local/libexec"
#endif

char *unet_program(void)
{
    return husk_find_program("HUSK_SLIRP", "husk-slirp");
}

int unet_start(const struct net_user_opts *o,
               const char *program,
               struct backend_proc *p,
               GError **errp)
{
    g_autoptr(GPtrArray) argv = g_ptr_array_new_with_free_func(g_free);

    if (!program) {
        g_set_error(errp, HUSK_ERROR, HUSK_EXIT_UNAVAILABLE,
                    "user networking needs the husk-slirp helper: not found "
                    "next to husk or in %s (set HUSK_SLIRP=PATH)",
                    HUSK_LIBEXECDIR);
        return -1;
    }
    g_ptr_array_add(argv, g_strdup(program));
    g_ptr_array_add(argv, g_strdup("--fd=3"));
    if (o->restrict_) {
        g_ptr_array_add(argv, g_strdup("--restrict"));
    }
    if (!o->ipv6) {
        g_ptr_array_add(argv, g_strdup("--no-ipv6"));
    }
    g_ptr_array_add(argv, g_strdup_printf("--mtu=%u", o->mtu));
    if (o->helper_sandbox) {
        g_ptr_array_add(argv,
                        g_strdup_printf("--sandbox=%s", o->helper_sandbox));
    }
    for (unsigned i = 0; i < o->nr_fwd; i++) {
        g_autofree char *f = net_user_fwd_string(&o->fwd[i]);

        g_ptr_array_add(argv, g_strdup_printf("--hostfwd=%s", f));
    }
    g_ptr_array_add(argv, NULL);
    return bproc_start(p, "husk-slirp", (const char *const *)argv->pdata,
                       &(struct bproc_opts){.capture_stderr = true}, errp);
}

void unet_failed(struct backend_proc *p, const char *label, GError **errp)
{
    g_autofree char *line = bproc_stderr_last_line(p, 2000);
    int status = bproc_exit_status(p, 1000);

    if (!line) {
        return; /* the handshake's own message stands */
    }
    g_clear_error(errp);
    /* Its status is one of sysexits.h, as husk's (71: a port). */
    g_set_error(errp, HUSK_ERROR,
                status >= 64 && status <= 78 ? status : HUSK_EXIT_OSERR,
                "%s: %s", label, line);
}
