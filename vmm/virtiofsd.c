/*
 * virtiofsd.c: see virtiofsd.h.
 */
#define G_LOG_DOMAIN "husk"
#include "vmm/virtiofsd.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/error.h"

char *vfsd_program(const char *given)
{
    static const char *const places[] = {"/usr/lib/qemu/virtiofsd",
                                         "/usr/libexec/virtiofsd"};
    const char *env = g_getenv("HUSK_VIRTIOFSD");

    if (given) {
        return g_strdup(given);
    }
    if (env && *env) {
        return g_strdup(env);
    }
    for (unsigned i = 0; i < G_N_ELEMENTS(places); i++) {
        if (access(places[i], X_OK) == 0) {
            return g_strdup(places[i]);
        }
    }
    return NULL;
}

/* True if / is the initramfs (rootfs): virtiofsd's namespace sandbox
 * pivots its root, which the kernel refuses there. */
static bool root_is_initramfs(void)
{
    g_autofree char *mi = NULL;
    g_auto(GStrv) lines = NULL;

    if (!g_file_get_contents("/proc/self/mountinfo", &mi, NULL, NULL)) {
        return false;
    }
    lines = g_strsplit(mi, "\n", -1);
    for (char **l = lines; *l; l++) {
        g_auto(GStrv) f = g_strsplit(*l, " ", -1);
        guint n = g_strv_length(f);

        /* "ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTS ... - FSTYPE ..." */
        if (n > 7 && !strcmp(f[4], "/")) {
            for (guint i = 6; i + 1 < n; i++) {
                if (!strcmp(f[i], "-")) {
                    return !strcmp(f[i + 1], "rootfs");
                }
            }
        }
    }
    return false;
}

int vfsd_start(const struct vm_share_config *sh,
               const char *program,
               struct backend_proc *p,
               GError **errp)
{
    g_autofree char *name = g_strdup_printf("share '%s'", sh->tag);
    g_autofree char *source = NULL, *opt_source = NULL;
    char real[PATH_MAX];
    struct stat st;
    const char *argv[14];
    unsigned n = 0;

    if (!realpath(sh->dir, real) || stat(real, &st) < 0) {
        g_set_error(errp, HUSK_ERROR, HUSK_EXIT_NOINPUT, "--share %s: %s",
                    sh->spec, g_strerror(errno));
        return -1;
    }
    if (!S_ISDIR(st.st_mode)) {
        g_set_error(errp, HUSK_ERROR, HUSK_EXIT_NOINPUT,
                    "--share %s: not a directory", sh->spec);
        return -1;
    }
    if (access(real, R_OK | X_OK) < 0) {
        g_set_error(errp, HUSK_ERROR, HUSK_EXIT_NOINPUT,
                    "--share %s: cannot read it: %s", sh->spec,
                    g_strerror(errno));
        return -1;
    }
    if (!program || access(program, X_OK) < 0) {
        g_set_error(errp, HUSK_ERROR, HUSK_EXIT_UNAVAILABLE,
                    "--share needs virtiofsd: %s (apt-get install "
                    "qemu-system-common, or --virtiofsd PATH)",
                    program ? g_strerror(errno) : "not found");
        return -1;
    }
    if (sh->read_only && geteuid() != 0) {
        /* The read-only view is a bind mount in a mount namespace of the
         * backend's own; Debian's virtiofsd has no read-only option. */
        g_set_error(errp, HUSK_ERROR, HUSK_EXIT_UNAVAILABLE,
                    "--share %s: ro needs root (husk gives virtiofsd a "
                    "read-only bind mount of the directory)",
                    sh->spec);
        return -1;
    }
    opt_source = g_strdup_printf("source=%s", real);
    argv[n++] = program;
    argv[n++] = "--fd=3";
    argv[n++] = "-o";
    argv[n++] = opt_source;
    /* The namespace sandbox pivots into the directory: not possible on
     * an initramfs root, nor for / itself; chroot serves both. */
    argv[n++] = "-o";
    argv[n++] = !strcmp(real, "/") || root_is_initramfs() ? "sandbox=chroot"
                                                          : "sandbox=namespace";
    argv[n++] = "-o";
    /* Its warnings are about the guest's driver (a reset: "TODO!"),
     * not for husk's user; errors still show. */
    argv[n++] = "log_level=err";
    /* Each queue's requests served in order, by the queue's thread: what
     * lets husk fail the unfinished ones if virtiofsd dies
     * (vhost_user_dev.h, in_order).  Also its default. */
    argv[n++] = "--thread-pool-size=0";
    argv[n] = NULL;
    return bproc_start(
        p, name, argv,
        &(struct bproc_opts){.ro_dir = sh->read_only ? real : NULL}, errp);
}
