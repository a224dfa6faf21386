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
    int err_fd;    /* its stderr, with capture_stderr; else -1 */
    GSource *err_src;
};

struct bproc_opts {
    const char *ro_dir;  /* a directory it sees read-only (root), or NULL */
    bool capture_stderr; /* its stderr comes to husk (bproc_stderr_*) */
};

/*
 * Starts argv (argv[0] is the program; the caller adds the socket's fd 3
 * in the program's own syntax) and returns husk's end of the connection,
 * or -1 with errp set.  Setup thread, before the sandbox.
 */
int bproc_start(struct backend_proc *p,
                const char *name,
                const char *const *argv,
                const struct bproc_opts *o,
                GError **errp);

/* With capture_stderr: the last line the program wrote, once it has
 * ended (why it did not come up), as a new string with its "PROGRAM: "
 * prefix removed; NULL if it said nothing.  Waits up to ms for the pipe
 * to close. */
char *bproc_stderr_last_line(struct backend_proc *p, unsigned ms);

/* Its exit status once it has ended (waiting up to ms), or -1: still
 * running, or killed by a signal.  Reaps it. */
int bproc_exit_status(struct backend_proc *p, unsigned ms);

/* With capture_stderr, once it is up: each line it writes from now on is
 * shown as "husk: NAME: LINE" by the I/O thread (ctx). */
void bproc_stderr_forward(struct backend_proc *p, GMainContext *ctx);

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
