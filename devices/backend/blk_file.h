/*
 * blk_file.h: a raw disk image file or a host block device as a
 * blk_backend, with preadv/pwritev/fdatasync.
 */
#ifndef HUSK_BLK_FILE_H
#define HUSK_BLK_FILE_H

#include <glib.h>

#include "devices/backend/blk_backend.h"

/*
 * Opens path (O_RDONLY for a read-only disk) and takes an advisory lock
 * (shared for read-only, exclusive otherwise) so two VMs cannot write one
 * image.  Errors: HUSK_EXIT_NOINPUT (cannot open), HUSK_EXIT_USAGE (locked
 * by another process, empty, or not a file or block device).
 */
struct blk_backend *blk_file_open(const char *path, bool read_only,
                                  GError **errp);

#endif
