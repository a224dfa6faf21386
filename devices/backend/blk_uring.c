/*
 * blk_uring.c: io_uring engine (io_uring(7), io_uring_enter(2); liburing
 * 2.x API).  One ring per disk, shared by the I/O thread (submit, reap on
 * eventfd) and a vCPU thread resetting the device (reap while draining),
 * so the ring is used under u->lock only.
 *
 * Completions are finished here, not by the device: a short read or write
 * is continued from where it stopped (a read that reaches EOF is EIO, a
 * write that makes no progress ENOSPC), -EINTR/-EAGAIN are resubmitted,
 * and a FUA write gets its fdatasync before it is returned.
 */
#include "devices/backend/blk_uring.h"

#include <errno.h>
#include <stddef.h>

#ifdef HAVE_LIBURING

#include <fcntl.h>
#include <glib.h>
#include <liburing.h>
#include <sys/syscall.h>

#include "lib/iov.h"
#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

struct blk_uring {
    GMutex lock;
    struct io_uring ring;
    int fd;     /* the disk */
    int efd;    /* eventfd registered with the ring */
    bool fixed; /* restricted: requests name registered file 0 */
};

static const char *check_ops(struct io_uring *ring)
{
    static const int needed[] = {IORING_OP_READV, IORING_OP_WRITEV,
                                 IORING_OP_FSYNC, IORING_OP_FALLOCATE};
    struct io_uring_probe *p = io_uring_get_probe_ring(ring);
    const char *why = NULL;

    if (!p) {
        return "io_uring cannot report its opcodes (kernel older than 5.6)";
    }
    for (size_t i = 0; i < sizeof(needed) / sizeof(needed[0]); i++) {
        if (!io_uring_opcode_supported(p, needed[i])) {
            why = "io_uring lacks READV/WRITEV/FSYNC/FALLOCATE";
        }
    }
    io_uring_free_probe(p);
    return why;
}

static const char *init_error(int r)
{
    switch (-r) {
    case EPERM:
        return "io_uring is disabled (kernel.io_uring_disabled, or a "
               "seccomp filter)";
    case ENOSYS:
        return "the kernel has no io_uring";
    case ENOMEM:
        return "io_uring ring does not fit (RLIMIT_MEMLOCK)";
    default:
        return "io_uring_setup failed";
    }
}

bool blk_uring_probe(const char **why)
{
    struct io_uring ring;
    int r = io_uring_queue_init(4, &ring, 0);

    if (r < 0) {
        *why = init_error(r);
        return false;
    }
    *why = check_ops(&ring);
    io_uring_queue_exit(&ring);
    return *why == NULL;
}

/*
 * seccomp cannot see io_uring requests: the ring runs them in the kernel
 * whatever the thread's filter says.  So the ring is locked down itself
 * before it is enabled (IORING_REGISTER_RESTRICTIONS): the four opcodes
 * the engine uses, on registered file 0 (the disk) only.  A compromised
 * husk cannot open, connect or read other files through it.
 */
static const char *restrict_ring(struct blk_uring *u, int fd)
{
    struct io_uring_restriction res[] = {
        {.opcode = IORING_RESTRICTION_SQE_OP, .sqe_op = IORING_OP_READV},
        {.opcode = IORING_RESTRICTION_SQE_OP, .sqe_op = IORING_OP_WRITEV},
        {.opcode = IORING_RESTRICTION_SQE_OP, .sqe_op = IORING_OP_FSYNC},
        {.opcode = IORING_RESTRICTION_SQE_OP, .sqe_op = IORING_OP_FALLOCATE},
        {.opcode = IORING_RESTRICTION_SQE_FLAGS_REQUIRED,
         .sqe_flags = IOSQE_FIXED_FILE},
    };

    if (io_uring_register_files(&u->ring, &fd, 1) < 0) {
        return "io_uring_register_files failed";
    }
    /* io_uring_register(2) directly: Debian's liburing 2.3 shared library
     * does not export liburing's wrappers for these two. */
    if (syscall(__NR_io_uring_register, u->ring.ring_fd,
                IORING_REGISTER_RESTRICTIONS, res, G_N_ELEMENTS(res)) < 0) {
        return "io_uring_register_restrictions failed";
    }
    if (syscall(__NR_io_uring_register, u->ring.ring_fd,
                IORING_REGISTER_ENABLE_RINGS, NULL, 0) < 0) {
        return "io_uring_enable_rings failed";
    }
    u->fixed = true;
    return NULL;
}

struct blk_uring *blk_uring_new(int fd, unsigned depth, const char **why)
{
    struct blk_uring *u = g_new0(struct blk_uring, 1);
    int r = io_uring_queue_init(depth, &u->ring, IORING_SETUP_R_DISABLED);
    bool restrictable = r == 0;

    if (r == -EINVAL) {
        /* Before Linux 5.10: no restrictions, the filters alone. */
        r = io_uring_queue_init(depth, &u->ring, 0);
    }
    if (r < 0) {
        *why = init_error(r);
        g_free(u);
        return NULL;
    }
    *why = check_ops(&u->ring);
    u->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (!*why && u->efd < 0) {
        *why = "eventfd failed";
    }
    if (!*why && io_uring_register_eventfd(&u->ring, u->efd) < 0) {
        *why = "io_uring_register_eventfd failed";
    }
    if (!*why && restrictable) {
        *why = restrict_ring(u, fd);
    }
    if (*why) {
        if (u->efd >= 0) {
            close(u->efd);
        }
        io_uring_queue_exit(&u->ring);
        g_free(u);
        return NULL;
    }
    u->fd = fd;
    g_mutex_init(&u->lock);
    return u;
}

void blk_uring_free(struct blk_uring *u)
{
    if (!u) {
        return;
    }
    /* Tearing the ring down cancels or waits for what is still queued. */
    io_uring_queue_exit(&u->ring);
    close(u->efd);
    g_mutex_clear(&u->lock);
    g_free(u);
}

int blk_uring_event_fd(const struct blk_uring *u)
{
    return u->efd;
}

/* Queues the next step of io.  u->lock held.  -EBUSY if the SQ is full
 * even after handing it to the kernel. */
static int queue_locked(struct blk_uring *u, struct blk_io *io)
{
    struct io_uring_sqe *sqe = io_uring_get_sqe(&u->ring);

    if (!sqe) {
        io_uring_submit(&u->ring);
        sqe = io_uring_get_sqe(&u->ring);
        if (!sqe) {
            return -EBUSY;
        }
    }
    if (io->syncing) {
        io_uring_prep_fsync(sqe, u->fd, IORING_FSYNC_DATASYNC);
    } else {
        switch (io->op) {
        case BLK_OP_READ:
            io_uring_prep_readv(sqe, u->fd, io->iov, (unsigned)io->iovcnt,
                                io->off + io->done);
            break;
        case BLK_OP_WRITE:
            io_uring_prep_writev(sqe, u->fd, io->iov, (unsigned)io->iovcnt,
                                 io->off + io->done);
            break;
        case BLK_OP_FLUSH:
            io_uring_prep_fsync(sqe, u->fd, IORING_FSYNC_DATASYNC);
            break;
        case BLK_OP_DISCARD:
            io_uring_prep_fallocate(sqe, u->fd,
                                    FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
                                    (off_t)io->off, (off_t)io->len);
            break;
        case BLK_OP_WRITE_ZEROES:
            io_uring_prep_fallocate(sqe, u->fd,
                                    FALLOC_FL_ZERO_RANGE | FALLOC_FL_KEEP_SIZE,
                                    (off_t)io->off, (off_t)io->len);
            break;
        }
    }
    if (u->fixed) {
        /* The disk is registered file 0; the ring takes nothing else. */
        sqe->fd = 0;
        sqe->flags |= IOSQE_FIXED_FILE;
    }
    io_uring_sqe_set_data(sqe, io);
    return 0;
}

int blk_uring_try_op(struct blk_uring *u, int opcode, bool fixed)
{
    struct io_uring_sqe *sqe;
    struct io_uring_cqe *cqe;
    int r;

    g_mutex_lock(&u->lock);
    sqe = io_uring_get_sqe(&u->ring);
    if (!sqe) {
        g_mutex_unlock(&u->lock);
        return -EBUSY;
    }
    io_uring_prep_nop(sqe);
    sqe->opcode = (uint8_t)opcode;
    sqe->fd = fixed ? 0 : u->fd;
    if (fixed) {
        sqe->flags |= IOSQE_FIXED_FILE;
    }
    io_uring_sqe_set_data(sqe, NULL);
    io_uring_submit(&u->ring);
    r = io_uring_wait_cqe(&u->ring, &cqe);
    if (r == 0) {
        r = cqe->res;
        io_uring_cqe_seen(&u->ring, cqe);
    }
    g_mutex_unlock(&u->lock);
    return r;
}

int blk_uring_submit(struct blk_uring *u, struct blk_io *io)
{
    int r;

    io->done = 0;
    io->syncing = false;
    if ((io->op == BLK_OP_READ || io->op == BLK_OP_WRITE) && io->len == 0) {
        io->result = 0;
        return 1;
    }
    g_mutex_lock(&u->lock);
    r = queue_locked(u, io);
    g_mutex_unlock(&u->lock);
    if (r < 0) {
        io->result = r;
        return 1;
    }
    return 0;
}

void blk_uring_commit(struct blk_uring *u)
{
    g_mutex_lock(&u->lock);
    /* -EBUSY/-EAGAIN leave the entries queued; reap submits them again
     * once completions have been consumed. */
    io_uring_submit(&u->ring);
    g_mutex_unlock(&u->lock);
}

/*
 * One completion: true if io is finished (result set), false if its next
 * step was queued.  u->lock held.
 */
static bool complete_locked(struct blk_uring *u, struct blk_io *io, int res)
{
    if (res == -EINTR || res == -EAGAIN) {
        goto requeue;
    }
    if (io->syncing) {
        io->result = res < 0 ? res : (long)io->len;
        return true;
    }
    switch (io->op) {
    case BLK_OP_READ:
    case BLK_OP_WRITE:
        if (res < 0) {
            io->result = res;
            return true;
        }
        if (res == 0) {
            io->result = io->op == BLK_OP_READ ? -EIO : -ENOSPC;
            return true;
        }
        if ((uint64_t)res > io->len - io->done) {
            io->result = -EIO; /* more than asked: never trust it */
            return true;
        }
        io->done += (uint64_t)res;
        if (io->done < io->len) {
            /* Drop what was done from the front, in place (slot k is
             * written only after slot i >= k was read). */
            io->iovcnt =
                (int)iov_slice(io->iov, (unsigned)io->iovcnt, (size_t)res,
                               SIZE_MAX, io->iov, (unsigned)io->iovcnt);
            goto requeue;
        }
        if (io->op == BLK_OP_WRITE && io->fua) {
            io->syncing = true;
            goto requeue;
        }
        io->result = (long)io->len;
        return true;
    default:
        io->result = res;
        return true;
    }
requeue:
    if (queue_locked(u, io) < 0) {
        io->result = -EBUSY;
        return true;
    }
    return false;
}

int blk_uring_reap(struct blk_uring *u,
                   struct blk_io **out,
                   int max,
                   int timeout_ms)
{
    int n = 0;
    uint64_t v;

    for (;;) {
        struct io_uring_cqe *cqe;
        bool requeued = false;

        /* Consume the wakeup before looking, so a completion that lands
         * after the look signals again. */
        if (read(u->efd, &v, sizeof(v)) < 0 && errno != EAGAIN) {
            return -errno;
        }
        g_mutex_lock(&u->lock);
        while (n < max && io_uring_peek_cqe(&u->ring, &cqe) == 0) {
            struct blk_io *io = io_uring_cqe_get_data(cqe);
            int res = cqe->res;

            io_uring_cqe_seen(&u->ring, cqe);
            if (complete_locked(u, io, res)) {
                out[n++] = io;
            } else {
                requeued = true;
            }
        }
        if (requeued || io_uring_sq_ready(&u->ring)) {
            io_uring_submit(&u->ring);
        }
        g_mutex_unlock(&u->lock);
        if (n > 0 || timeout_ms <= 0) {
            return n;
        }
        struct pollfd pfd = {.fd = u->efd, .events = POLLIN};
        if (poll(&pfd, 1, timeout_ms) <= 0) {
            return n;
        }
        timeout_ms = 0; /* one more look, then return */
    }
}

#else /* !HAVE_LIBURING */

bool blk_uring_probe(const char **why)
{
    *why = "husk was built without liburing";
    return false;
}

struct blk_uring *blk_uring_new(int fd, unsigned depth, const char **why)
{
    *why = "husk was built without liburing";
    return NULL;
}

void blk_uring_free(struct blk_uring *u)
{
}

int blk_uring_event_fd(const struct blk_uring *u)
{
    return -1;
}

int blk_uring_submit(struct blk_uring *u, struct blk_io *io)
{
    io->result = -ENOSYS;
    return 1;
}

void blk_uring_commit(struct blk_uring *u)
{
}

int blk_uring_reap(struct blk_uring *u,
                   struct blk_io **out,
                   int max,
                   int timeout_ms)
{
    return 0;
}

int blk_uring_try_op(struct blk_uring *u, int opcode, bool fixed)
{
    return -ENOSYS;
}

#endif
