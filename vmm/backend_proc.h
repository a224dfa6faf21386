/*
 * backend_proc.h: device backend programs husk starts for itself
 * (virtiofsd today), following the vhost-user backend program
 * conventions (QEMU docs/interop/vhost-user.rst, "Backend program
 * conventions": --fd=FDNUM names a listening socket).
 *
 * The socket is bound in a fresh 0700 directory, handed to the program
 * as fd 3, connected to by husk, and its name removed at once: only the
 * two of them ever reach it.  The program gets SIGKILL if husk dies
 * (PR_SET_PDEATHSIG), and may be given a read-only view of a directory
 * (a read-only bind mount in a private mount namespace), for backends
 * that cannot enforce that themselves.
 */
#ifndef HUSK_BACKEND_PROC_H
#define HUSK_BACKEND_PROC_H

#include <glib.h>
#include <stdbool.h>

struct backend_proc {
    char name[64]; /* "virtiofsd for share 'src'" */
    GPid pid;      /* 0: not running */
    int pidfd;     /* opened at start: stopping needs no pidfd_open */
};

/*
 * Starts argv (argv[0] is the program; the caller adds "--fd=3") and
 * returns husk's end of the connection, or -1 with errp set.  ro_dir: a
 * directory the program then sees read-only (needs root), or NULL.
 * Setup thread, before the sandbox.
 */
int bproc_start(struct backend_proc *p,
                const char *name,
                const char *const *argv,
                const char *ro_dir,
                GError **errp);

/* A new pidfd for the running program (to kill it from a device), or
 * -1.  Setup thread. */
int bproc_pidfd(const struct backend_proc *p);

/* The process that serves (the program itself, or the one child it
 * forked to run in namespaces of its own, as virtiofsd does), and a new
 * pidfd for it: what a device kills when the backend fails.  Once the
 * backend has answered (its child exists), on the setup thread. */
pid_t bproc_server_pid(const struct backend_proc *p);
int bproc_server_pidfd(const struct backend_proc *p);

/* Ends the program: SIGTERM, and after grace_ms SIGKILL.  Returns within about
 * grace_ms + 1 s.  Any thread of husk's sandbox (poll, pidfd_send_signal,
 * waitid). */
void bproc_stop(struct backend_proc *p, unsigned grace_ms);

#endif
