/*
 * snapshot_files.c: creating a snapshot's three files (snapshot.h).  Apart
 * from snapshot.c so that the control socket's helper, which creates them
 * for a client's snapshot command, links this alone.
 */
#define G_LOG_DOMAIN "husk"
#include "vmm/snapshot.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/error.h"

static const char *const file_names[] = {"manifest", "state", "memory"};

bool snap_files_create(struct snap_files *f, const char *dir, GError **errp)
{
    int *fds[] = {&f->manifest_fd, &f->state_fd, &f->memory_fd};
    struct stat st;

    memset(f, 0, sizeof(*f));
    f->manifest_fd = f->state_fd = f->memory_fd = -1;
    if (mkdir(dir, 0700) < 0 && errno != EEXIST) {
        g_set_error(errp, HUSK_ERROR, HUSK_EXIT_CANTCREAT,
                    "snapshot directory %s: %s", dir, g_strerror(errno));
        return false;
    }
    if (stat(dir, &st) < 0 || !S_ISDIR(st.st_mode)) {
        g_set_error(errp, HUSK_ERROR, HUSK_EXIT_CANTCREAT,
                    "snapshot directory %s: not a directory", dir);
        return false;
    }
    f->dir = g_strdup(dir);
    for (unsigned i = 0; i < G_N_ELEMENTS(fds); i++) {
        g_autofree char *p = g_build_filename(dir, file_names[i], NULL);

        *fds[i] = open(p, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        if (*fds[i] < 0) {
            g_set_error(errp, HUSK_ERROR, HUSK_EXIT_CANTCREAT, "%s: %s", p,
                        g_strerror(errno));
            snap_files_close(f);
            return false;
        }
    }
    return true;
}

void snap_files_close(struct snap_files *f)
{
    int *fds[] = {&f->manifest_fd, &f->state_fd, &f->memory_fd};

    for (unsigned i = 0; i < G_N_ELEMENTS(fds); i++) {
        if (*fds[i] >= 0) {
            close(*fds[i]);
            *fds[i] = -1;
        }
    }
    g_clear_pointer(&f->dir, g_free);
}
