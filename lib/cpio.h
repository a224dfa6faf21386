/*
 * cpio.h: writing a cpio archive in the "newc" format the Linux kernel
 * unpacks as an initramfs (Documentation/driver-api/early-userspace/
 * buffer-format.rst): a 110-byte ASCII header per entry, the name and
 * the data each padded to 4 bytes, ended by "TRAILER!!!".  Archives may
 * be concatenated; the kernel unpacks them in order.
 */
#ifndef HUSK_CPIO_H
#define HUSK_CPIO_H

#include <glib.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct cpio {
    GByteArray *buf;
    unsigned ino;
};

void cpio_init(struct cpio *c);
/* mode: the full st_mode (S_IFDIR | 0755, ...).  Owner root. */
void cpio_dir(struct cpio *c, const char *name, unsigned mode);
void cpio_file(struct cpio *c,
               const char *name,
               unsigned mode,
               const void *data,
               size_t len);
/* A character or block device node (S_IFCHR/S_IFBLK in mode). */
void cpio_node(struct cpio *c,
               const char *name,
               unsigned mode,
               unsigned major,
               unsigned minor);
/* Ends the archive; the bytes are the caller's (g_byte_array_free). */
GByteArray *cpio_finish(struct cpio *c);

#endif
