/*
 * blk_file.h: a raw disk image file or a host block device as a
 * blk_backend, through io_uring or preadv/pwritev/fdatasync.
 */
#ifndef HUSK_BLK_FILE_H
#define HUSK_BLK_FILE_H

#include <glib.h>

#include "devices/backend/blk_backend.h"

enum blk_engine {
    BLK_ENGINE_AUTO,  /* io_uring if the host allows it, else sync */
    BLK_ENGINE_URING, /* io_uring or fail */
    BLK_ENGINE_SYNC,  /* preadv/pwritev/fdatasync on the I/O thread */
};

/* Ring entries per disk: the virtio-blk queue size. */
#define BLK_URING_DEPTH 256

const char *blk_engine_name(enum blk_engine e);
/* What AUTO picks on this host; *why (static) says why not io_uring. */
enum blk_engine blk_engine_default(const char **why);

/*
 * Opens path (O_RDONLY for a read-only disk) and takes an advisory lock
 * (shared for read-only, exclusive otherwise) so two VMs cannot write one
 * image.  Errors: HUSK_EXIT_NOINPUT (cannot open), HUSK_EXIT_USAGE (locked
 * by another process, empty, or not a file or block device),
 * HUSK_EXIT_UNAVAILABLE (engine io_uring demanded but unavailable).
 */
struct blk_backend *blk_file_open(const char *path,
                                  bool read_only,
                                  enum blk_engine engine,
                                  GError **errp);

#endif
