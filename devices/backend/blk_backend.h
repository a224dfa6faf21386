/*
 * blk_backend.h: what a virtio-blk device asks of its storage.  The device
 * never sees a file descriptor; backends: blk_file.c (raw image or block
 * device, with an io_uring or a preadv/pwritev engine) and, in tests, an
 * in-memory or fault-injecting one.
 *
 * The device hands the backend one struct blk_io per request through
 * blk_submit().  A synchronous backend (only the preadv..write_zeroes
 * calls) finishes it before blk_submit returns; an asynchronous one
 * (submit/reap) queues it and returns it later from blk_reap(), which the
 * device calls when event_fd becomes readable.
 */
#ifndef HUSK_BLK_BACKEND_H
#define HUSK_BLK_BACKEND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/uio.h>

struct blk_backend;

enum blk_op {
    BLK_OP_READ,
    BLK_OP_WRITE,
    BLK_OP_FLUSH,
    BLK_OP_DISCARD,
    BLK_OP_WRITE_ZEROES,
};

/*
 * One request.  The caller fills op..len and keeps the struct and its iov
 * array alive (and unchanged) until the request is finished; the backend
 * may rewrite iov and iovcnt to continue a short transfer.
 */
struct blk_io {
    enum blk_op op;
    bool fua;          /* WRITE: durable (fdatasync) before it finishes */
    struct iovec *iov; /* READ / WRITE buffers */
    int iovcnt;
    uint64_t off, len; /* bytes; len is the whole transfer */
    long result;       /* on finish: len (or 0 for FLUSH...) or -errno */
    /* Backend private. */
    uint64_t done;
    bool syncing; /* the fdatasync of a FUA write is running */
};

struct blk_backend_ops {
    /* Synchronous calls: bytes transferred (the whole transfer) or -errno. */
    ssize_t (*preadv)(struct blk_backend *be,
                      const struct iovec *iov,
                      int n,
                      uint64_t off);
    ssize_t (*pwritev)(struct blk_backend *be,
                       const struct iovec *iov,
                       int n,
                       uint64_t off);
    int (*flush)(struct blk_backend *be);
    /* Deallocate (discard) or zero a range; only called when the backend
     * says it can (can_discard, can_write_zeroes). */
    int (*discard)(struct blk_backend *be, uint64_t off, uint64_t len);
    int (*write_zeroes)(struct blk_backend *be, uint64_t off, uint64_t len);
    /*
     * Asynchronous engine (optional; NULL for synchronous backends).
     * submit: 1 if io finished already (result set), 0 if queued.
     * commit: hands everything queued to the host (one syscall a batch).
     * reap: up to max finished requests into out, waiting up to timeout_ms
     * for the first (0: do not wait).  All three are thread-safe.
     */
    int (*submit)(struct blk_backend *be, struct blk_io *io);
    void (*commit)(struct blk_backend *be);
    int (*reap)(struct blk_backend *be,
                struct blk_io **out,
                int max,
                int timeout_ms);
    void (*close)(struct blk_backend *be);
};

struct blk_backend {
    const struct blk_backend_ops *ops;
    uint64_t size;       /* bytes */
    uint32_t block_size; /* logical block size, >= 512 */
    bool read_only;
    bool can_discard;      /* offer VIRTIO_BLK_F_DISCARD */
    bool can_write_zeroes; /* offer VIRTIO_BLK_F_WRITE_ZEROES */
    char serial[21];       /* VIRTIO_BLK_ID_BYTES, NUL-terminated */
    int event_fd;          /* readable when reap has work; -1 if sync */
    const char *engine;    /* "io_uring", "preadv/pwritev", ... */
};

/* Starts io: 1 if it finished (io->result set), 0 if it will come back
 * from blk_reap(). */
int blk_submit(struct blk_backend *be, struct blk_io *io);

/* Runs io with the synchronous calls; sets and returns io->result. */
long blk_run_sync(struct blk_backend *be, struct blk_io *io);

static inline bool blk_is_async(const struct blk_backend *be)
{
    return be->ops->submit != NULL;
}

static inline void blk_commit(struct blk_backend *be)
{
    if (be->ops->commit) {
        be->ops->commit(be);
    }
}

static inline int blk_reap(struct blk_backend *be,
                           struct blk_io **out,
                           int max,
                           int timeout_ms)
{
    return be->ops->reap ? be->ops->reap(be, out, max, timeout_ms) : 0;
}

#endif
