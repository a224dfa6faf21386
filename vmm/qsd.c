/*
 * qsd.c: see qsd.h.
 */
#define G_LOG_DOMAIN "husk"
#include "vmm/qsd.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include "lib/error.h"

#define QCOW2_MAGIC 0x514649fbu /* "QFI\xfb" */

char *qsd_program(void)
{
    const char *env = g_getenv("HUSK_QSD");
    char *p;

    if (env && *env) {
        return g_strdup(env);
    }
    p = g_find_program_in_path("qemu-storage-daemon");
    if (!p && access("/usr/bin/qemu-storage-daemon", X_OK) == 0) {
        p = g_strdup("/usr/bin/qemu-storage-daemon");
    }
    return p;
}

static uint64_t be64(const uint8_t *p)
{
    uint64_t v = 0;

    for (int i = 0; i < 8; i++) {
        v = v << 8 | p[i];
    }
    return v;
}

int qsd_format(const struct vm_disk_config *d, char **format, GError **errp)
{
    uint8_t h[16];
    ssize_t n;
    int fd;

    *format = NULL;
    if (d->vhost_user) {
        return 0;
    }
    if (d->format) {
        if (!strcmp(d->format, "raw")) {
            return 0;
        }
        *format = g_strdup(d->format);
        return 1;
    }
    fd = open(d->path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        return 0;
    }
    n = pread(fd, h, sizeof(h), 0);
    close(fd);
    if (n != (ssize_t)sizeof(h) || (be64(h) >> 32) != QCOW2_MAGIC) {
        return 0;
    }
    /* Header: magic, version (4 each), backing_file_offset (8). */
    if (be64(h + 8)) {
        g_set_error(errp, HUSK_ERROR, HUSK_EXIT_USAGE,
                    "--disk %s: a qcow2 image with a backing file; give "
                    "format=qcow2 to use it (found by content alone, it "
                    "could be a raw image that names any host file)",
                    d->spec ? d->spec : d->path);
        return -1;
    }
    *format = g_strdup("qcow2");
    return 1;
}

/* A value in QEMU's option syntax: commas doubled. */
static char *opt_escape(const char *v)
{
    g_auto(GStrv) parts = g_strsplit(v, ",", -1);

    return g_strjoinv(",,", parts);
}

int qsd_start(const struct vm_disk_config *d,
              const char *format,
              const char *program,
              struct backend_proc *p,
              GError **errp)
{
    g_autofree char *name = g_strdup_printf("qemu-storage-daemon for --disk %s",
                                            d->spec ? d->spec : d->path);
    g_autofree char *file = opt_escape(d->path);
    g_autofree char *fmt = opt_escape(format);
    const char *ro = d->read_only ? "on" : "off";
    g_autofree char *bd_file = NULL, *bd_fmt = NULL, *exp = NULL;
    const char *argv[8];

    if (!program || access(program, X_OK) < 0) {
        g_set_error(errp, HUSK_ERROR, HUSK_EXIT_UNAVAILABLE,
                    "--disk %s: a %s image needs qemu-storage-daemon: %s "
                    "(apt-get install qemu-system-common, or "
                    "HUSK_QSD=PATH)",
                    d->spec ? d->spec : d->path, format,
                    program ? g_strerror(errno) : "not found");
        return -1;
    }
    /* The file, the format on it, and the export on our socket (fd 3).
     * QEMU's own image lock stays on: two users of one image are
     * refused, as husk's raw engine refuses them. */
    bd_file = g_strdup_printf(
        "driver=file,node-name=husk-file,filename=%s,read-only=%s", file, ro);
    bd_fmt = g_strdup_printf(
        "driver=%s,node-name=husk-disk,file=husk-file,"
        "read-only=%s",
        fmt, ro);
    exp = g_strdup_printf(
        "type=vhost-user-blk,id=husk-export,node-name=husk-"
        "disk,addr.type=fd,addr.str=3,writable=%s",
        d->read_only ? "off" : "on");
    argv[0] = program;
    argv[1] = "--blockdev";
    argv[2] = bd_file;
    argv[3] = "--blockdev";
    argv[4] = bd_fmt;
    argv[5] = "--export";
    argv[6] = exp;
    argv[7] = NULL;
    return bproc_start(p, name, argv,
                       &(struct bproc_opts){.capture_stderr = true}, errp);
}

void qsd_failed(const struct vm_disk_config *d,
                struct backend_proc *p,
                GError **errp)
{
    g_autofree char *line = bproc_stderr_last_line(p, 2000);
    const char *spec = d->spec ? d->spec : d->path;
    int status = HUSK_EXIT_UNAVAILABLE;
    const char *why;

    if (!line) {
        return; /* the handshake's own message stands */
    }
    /* "--blockdev driver=...: Image is not in qcow2 format": keep what
     * follows the option it names. */
    why = g_str_has_prefix(line, "--") && strstr(line, ": ")
              ? strstr(line, ": ") + 2
              : line;
    if (strstr(why, "lock")) {
        status = HUSK_EXIT_USAGE; /* as the raw engine's "in use" */
    } else if (strstr(why, "No such file") || strstr(why, "ermission")) {
        status = HUSK_EXIT_NOINPUT;
    } else if (strstr(why, "format") || strstr(why, "corrupt") ||
               strstr(why, "qcow2") || strstr(why, "header") ||
               strstr(why, "nsupported")) {
        status = HUSK_EXIT_DATAERR;
    }
    g_clear_error(errp);
    g_set_error(errp, HUSK_ERROR, status, "--disk %s: %s", spec, why);
}
