/*
 * blk_mem.h: an in-memory blk_backend for tests, which records the order
 * of calls and can be told to fail (EIO, ENOSPC) on the Nth call of a kind.
 */
#ifndef HUSK_BLK_MEM_H
#define HUSK_BLK_MEM_H

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "devices/backend/blk_backend.h"

struct blk_mem {
    struct blk_backend be;
    uint8_t *data;
    char log[256]; /* one letter per call: r w f d z */
    unsigned nlog;
    int fail_read, fail_write, fail_flush; /* -errno to return, or 0 */
    bool closed;
};

static inline void blk_mem_log(struct blk_mem *m, char c)
{
    if (m->nlog < sizeof(m->log) - 1) {
        m->log[m->nlog++] = c;
    }
}

static inline ssize_t blk_mem_preadv(struct blk_backend *be,
                                     const struct iovec *iov,
                                     int n,
                                     uint64_t off)
{
    struct blk_mem *m = (struct blk_mem *)be;
    size_t done = 0;

    blk_mem_log(m, 'r');
    if (m->fail_read) {
        return m->fail_read;
    }
    for (int i = 0; i < n; i++) {
        memcpy(iov[i].iov_base, m->data + off + done, iov[i].iov_len);
        done += iov[i].iov_len;
    }
    return (ssize_t)done;
}

static inline ssize_t blk_mem_pwritev(struct blk_backend *be,
                                      const struct iovec *iov,
                                      int n,
                                      uint64_t off)
{
    struct blk_mem *m = (struct blk_mem *)be;
    size_t done = 0;

    blk_mem_log(m, 'w');
    if (m->fail_write) {
        return m->fail_write;
    }
    for (int i = 0; i < n; i++) {
        memcpy(m->data + off + done, iov[i].iov_base, iov[i].iov_len);
        done += iov[i].iov_len;
    }
    return (ssize_t)done;
}

static inline int blk_mem_flush(struct blk_backend *be)
{
    struct blk_mem *m = (struct blk_mem *)be;

    blk_mem_log(m, 'f');
    return m->fail_flush;
}

static inline int blk_mem_discard(struct blk_backend *be,
                                  uint64_t off,
                                  uint64_t len)
{
    struct blk_mem *m = (struct blk_mem *)be;

    blk_mem_log(m, 'd');
    memset(m->data + off, 0, len);
    return 0;
}

static inline int blk_mem_zeroes(struct blk_backend *be,
                                 uint64_t off,
                                 uint64_t len)
{
    struct blk_mem *m = (struct blk_mem *)be;

    blk_mem_log(m, 'z');
    memset(m->data + off, 0, len);
    return 0;
}

static inline void blk_mem_close(struct blk_backend *be)
{
    ((struct blk_mem *)be)->closed = true;
}

static const struct blk_backend_ops blk_mem_ops = {
    .preadv = blk_mem_preadv,
    .pwritev = blk_mem_pwritev,
    .flush = blk_mem_flush,
    .discard = blk_mem_discard,
    .write_zeroes = blk_mem_zeroes,
    .close = blk_mem_close,
};

static inline void blk_mem_init(struct blk_mem *m, uint64_t size, bool ro)
{
    memset(m, 0, sizeof(*m));
    m->data = calloc(1, size);
    m->be.ops = &blk_mem_ops;
    m->be.size = size;
    m->be.block_size = 512;
    m->be.read_only = ro;
    m->be.can_discard = !ro;
    m->be.can_write_zeroes = !ro;
    m->be.event_fd = -1;
    m->be.engine = "memory";
    strcpy(m->be.serial, "husk-test-serial-001");
}

#endif
