/*
 * virtiofsd.h: running virtiofsd for a --share (virtio v1.2 §5.11; the
 * program's options as Debian 12's C virtiofsd, QEMU 7.2, takes them,
 * which the Rust virtiofsd takes too).
 */
#ifndef HUSK_VIRTIOFSD_H
#define HUSK_VIRTIOFSD_H

#include <glib.h>
#include <stdbool.h>

#include "vmm/backend_proc.h"
#include "vmm/config.h"

/* The virtiofsd to run: given (--virtiofsd), $HUSK_VIRTIOFSD, or the
 * first of Debian's places that is there.  New string, or NULL. */
char *vfsd_program(const char *given);

/*
 * Checks the share's directory, starts virtiofsd on it (read-only if the
 * share is) and returns husk's end of its vhost-user socket, or -1 with
 * one line in errp (status 66: the directory; 69: virtiofsd).
 */
int vfsd_start(const struct vm_share_config *sh,
               const char *program,
               struct backend_proc *p,
               GError **errp);

#endif
