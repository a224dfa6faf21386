/*
 * blk_uring.h: an io_uring engine for one file descriptor (io_uring(7),
 * liburing 2.x): READV, WRITEV, FSYNC(DATASYNC) and FALLOCATE requests,
 * completions signalled through an eventfd.
 */
#ifndef HUSK_BLK_URING_H
#define HUSK_BLK_URING_H

#include <stdbool.h>

#include "devices/backend/blk_backend.h"

struct blk_uring;

/* Can this host run the engine?  false and *why (static) if not: built
 * without liburing, io_uring disabled or blocked, or an opcode missing. */
bool blk_uring_probe(const char **why);

/* A ring of `depth` entries for fd; NULL and *why (static) on failure. */
struct blk_uring *blk_uring_new(int fd, unsigned depth, const char **why);
void blk_uring_free(struct blk_uring *u);
int blk_uring_event_fd(const struct blk_uring *u);

/* The blk_backend_ops contract (submit/commit/reap); DISCARD and
 * WRITE_ZEROES are fallocate(2) punch-hole and zero-range. */
int blk_uring_submit(struct blk_uring *u, struct blk_io *io);
void blk_uring_commit(struct blk_uring *u);
int blk_uring_reap(struct blk_uring *u,
                   struct blk_io **out,
                   int max,
                   int timeout_ms);

/* Test hook: submits one request with this opcode (no arguments) on the
 * disk, as registered file 0 or as its plain descriptor, waits for it and
 * returns its result: -EACCES when the ring's restrictions refuse it. */
int blk_uring_try_op(struct blk_uring *u, int opcode, bool fixed);

#endif
