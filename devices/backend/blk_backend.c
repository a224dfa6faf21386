/*
 * blk_backend.c: the one way a device starts a block request, whatever the
 * backend's engine (see blk_backend.h).
 */
#include "devices/backend/blk_backend.h"

#include <errno.h>

long blk_run_sync(struct blk_backend *be, struct blk_io *io)
{
    const struct blk_backend_ops *o = be->ops;
    long r;

    switch (io->op) {
    case BLK_OP_READ:
        r = io->len ? o->preadv(be, io->iov, io->iovcnt, io->off) : 0;
        break;
    case BLK_OP_WRITE:
        r = io->len ? o->pwritev(be, io->iov, io->iovcnt, io->off) : 0;
        if (r >= 0 && io->fua) {
            int f = o->flush(be);
            r = f < 0 ? f : r;
        }
        break;
    case BLK_OP_FLUSH:
        r = o->flush(be);
        break;
    case BLK_OP_DISCARD:
        r = o->discard ? o->discard(be, io->off, io->len) : -EOPNOTSUPP;
        break;
    case BLK_OP_WRITE_ZEROES:
        r = o->write_zeroes ? o->write_zeroes(be, io->off, io->len)
                            : -EOPNOTSUPP;
        break;
    default:
        r = -EINVAL;
    }
    io->result = r;
    return r;
}

int blk_submit(struct blk_backend *be, struct blk_io *io)
{
    if (be->ops->submit) {
        return be->ops->submit(be, io);
    }
    blk_run_sync(be, io);
    return 1;
}
