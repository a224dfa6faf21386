/*
 * qsd.h: disks in QEMU's image formats (qcow2 first), served by
 * qemu-storage-daemon as a vhost-user-blk export (QEMU's
 * docs/tools/qemu-storage-daemon.rst; the qcow2 header as in QEMU's
 * docs/interop/qcow2.txt, read only to detect the format).
 */
#ifndef HUSK_QSD_H
#define HUSK_QSD_H

#include <glib.h>

#include "vmm/backend_proc.h"
#include "vmm/config.h"

/* The qemu-storage-daemon to run: $HUSK_QSD, or the one in PATH, or
 * Debian's.  New string, or NULL. */
char *qsd_program(void);

/*
 * The format the disk is served in: format= if given, else what its
 * content says (qcow2's magic; anything else is raw).  1 and *format (a
 * new string) when qemu-storage-daemon serves it, 0 for husk's own raw
 * engine (and for files it cannot read: that engine says why), -1 with
 * errp: a qcow2 image found by content that names a backing file (a raw
 * image a guest wrote could name any host file: format=qcow2 says the
 * user means it).
 */
int qsd_format(const struct vm_disk_config *d, char **format, GError **errp);

/*
 * Starts qemu-storage-daemon on the image and returns husk's end of its
 * vhost-user socket, or -1.  Its stderr is husk's to read (bproc):
 * qsd_failed() turns its last words into the error.
 */
int qsd_start(const struct vm_disk_config *d,
              const char *format,
              const char *program,
              struct backend_proc *p,
              GError **errp);

/* It did not come up (the handshake failed): one line, from what it
 * printed, with the status that fits (65 not that format or corrupt,
 * 66 a file missing, 64 in use), replacing *errp's. */
void qsd_failed(const struct vm_disk_config *d,
                struct backend_proc *p,
                GError **errp);

#endif
