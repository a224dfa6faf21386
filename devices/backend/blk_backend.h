/*
 * blk_backend.h: what a virtio-blk device asks of its storage.  The device
 * never sees a file descriptor; backends: blk_file.c (raw image or block
 * device) and, in tests, an in-memory or fault-injecting one.
 *
 * All calls are synchronous and return bytes transferred or -errno.
 */
#ifndef HUSK_BLK_BACKEND_H
#define HUSK_BLK_BACKEND_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/uio.h>

struct blk_backend;

struct blk_backend_ops {
    ssize_t (*preadv)(struct blk_backend *be, const struct iovec *iov, int n,
                      uint64_t off);
    ssize_t (*pwritev)(struct blk_backend *be, const struct iovec *iov, int n,
                       uint64_t off);
    int (*flush)(struct blk_backend *be);
    /* Deallocate (discard) or zero a range; only called when the backend
     * says it can (can_discard, can_write_zeroes). */
    int (*discard)(struct blk_backend *be, uint64_t off, uint64_t len);
    int (*write_zeroes)(struct blk_backend *be, uint64_t off, uint64_t len);
    void (*close)(struct blk_backend *be);
};

struct blk_backend {
    const struct blk_backend_ops *ops;
    uint64_t size;          /* bytes */
    uint32_t block_size;    /* logical block size, >= 512 */
    bool read_only;
    bool can_discard;       /* offer VIRTIO_BLK_F_DISCARD */
    bool can_write_zeroes;  /* offer VIRTIO_BLK_F_WRITE_ZEROES */
    char serial[21];        /* VIRTIO_BLK_ID_BYTES, NUL-terminated */
};

#endif
