/*
 * blk_file.c: raw image / block device backend (preadv(2), pwritev(2),
 * fdatasync(2), fallocate(2) PUNCH_HOLE and ZERO_RANGE, OFD locks
 * (fcntl(2) F_OFD_SETLK)).  Two engines behind the one blk_backend
 * interface, chosen at open: io_uring (blk_uring.c), many requests in
 * flight, when the host allows it; otherwise the synchronous calls here.
 */
#include "devices/backend/blk_file.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "devices/backend/blk_uring.h"
#include "lib/iov.h"
#include "lib/error.h"

struct blk_file {
    struct blk_backend be;
    int fd;
    bool is_blockdev;
    struct blk_uring *uring;
};

/*
 * The whole transfer or an error: loops over short transfers and EINTR.
 * A read that hits EOF (the image shrank under us) is EIO; a write that
 * makes no progress is ENOSPC.
 */
static ssize_t file_rw(struct blk_file *f,
                       const struct iovec *iov,
                       int n,
                       uint64_t off,
                       bool write)
{
    size_t want = 0, done = 0;
    struct iovec local[64];

    for (int i = 0; i < n; i++) {
        want += iov[i].iov_len;
    }
    while (done < want) {
        ssize_t r;
        /* The iovecs still to do, at most 64 at a time. */
        int cnt = (int)iov_slice(iov, (unsigned)n, done, want - done, local,
                                 G_N_ELEMENTS(local));

        r = write ? pwritev(f->fd, local, cnt, (off_t)(off + done))
                  : preadv(f->fd, local, cnt, (off_t)(off + done));
        if (r < 0 && errno == EINTR) {
            continue;
        }
        if (r < 0) {
            return -errno;
        }
        if (r == 0) {
            return write ? -ENOSPC : -EIO;
        }
        done += (size_t)r;
    }
    return (ssize_t)done;
}

static ssize_t file_preadv(struct blk_backend *be,
                           const struct iovec *iov,
                           int n,
                           uint64_t off)
{
    return file_rw((struct blk_file *)be, iov, n, off, false);
}

static ssize_t file_pwritev(struct blk_backend *be,
                            const struct iovec *iov,
                            int n,
                            uint64_t off)
{
    return file_rw((struct blk_file *)be, iov, n, off, true);
}

static int file_flush(struct blk_backend *be)
{
    struct blk_file *f = (struct blk_file *)be;

    while (fdatasync(f->fd) < 0) {
        if (errno != EINTR) {
            return -errno;
        }
    }
    return 0;
}

/* Deallocates or zeroes [off, off + len): an ioctl on a block device,
 * fallocate(2) on a file. */
static int file_range(struct blk_backend *be,
                      uint64_t off,
                      uint64_t len,
                      unsigned long blk_ioctl,
                      int falloc_mode)
{
    struct blk_file *f = (struct blk_file *)be;

    if (f->is_blockdev) {
        uint64_t range[2] = {off, len};
        return ioctl(f->fd, blk_ioctl, range) < 0 ? -errno : 0;
    }
    return fallocate(f->fd, falloc_mode | FALLOC_FL_KEEP_SIZE, (off_t)off,
                     (off_t)len) < 0
               ? -errno
               : 0;
}

static int file_discard(struct blk_backend *be, uint64_t off, uint64_t len)
{
    return file_range(be, off, len, BLKDISCARD, FALLOC_FL_PUNCH_HOLE);
}

static int file_write_zeroes(struct blk_backend *be, uint64_t off, uint64_t len)
{
    return file_range(be, off, len, BLKZEROOUT, FALLOC_FL_ZERO_RANGE);
}

static void file_close(struct blk_backend *be)
{
    struct blk_file *f = (struct blk_file *)be;

    blk_uring_free(f->uring);
    close(f->fd);
    g_free(f);
}

static int file_submit(struct blk_backend *be, struct blk_io *io)
{
    struct blk_file *f = (struct blk_file *)be;

    /* io_uring has no BLKDISCARD/BLKZEROOUT on 6.1: rare, done inline. */
    if (f->is_blockdev &&
        (io->op == BLK_OP_DISCARD || io->op == BLK_OP_WRITE_ZEROES)) {
        blk_run_sync(be, io);
        return 1;
    }
    return blk_uring_submit(f->uring, io);
}

static void file_commit(struct blk_backend *be)
{
    blk_uring_commit(((struct blk_file *)be)->uring);
}

static int file_reap(struct blk_backend *be,
                     struct blk_io **out,
                     int max,
                     int timeout_ms)
{
    return blk_uring_reap(((struct blk_file *)be)->uring, out, max, timeout_ms);
}

static const struct blk_backend_ops file_sync_ops = {
    .preadv = file_preadv,
    .pwritev = file_pwritev,
    .flush = file_flush,
    .discard = file_discard,
    .write_zeroes = file_write_zeroes,
    .close = file_close,
};

static const struct blk_backend_ops file_uring_ops = {
    .preadv = file_preadv,
    .pwritev = file_pwritev,
    .flush = file_flush,
    .discard = file_discard,
    .write_zeroes = file_write_zeroes,
    .submit = file_submit,
    .commit = file_commit,
    .reap = file_reap,
    .close = file_close,
};

const char *blk_engine_name(enum blk_engine e)
{
    switch (e) {
    case BLK_ENGINE_URING:
        return "io_uring";
    case BLK_ENGINE_SYNC:
        return "preadv/pwritev";
    default:
        return "auto";
    }
}

enum blk_engine blk_engine_default(const char **why)
{
    return blk_uring_probe(why) ? BLK_ENGINE_URING : BLK_ENGINE_SYNC;
}

/* Picks the engine for f: io_uring unless told otherwise or unavailable
 * (then the synchronous calls, or an error if io_uring was demanded). */
static bool set_engine(struct blk_file *f,
                       const char *path,
                       enum blk_engine engine,
                       GError **errp)
{
    const char *why = NULL;

    f->be.event_fd = -1;
    if (engine != BLK_ENGINE_SYNC) {
        f->uring = blk_uring_new(f->fd, BLK_URING_DEPTH, &why);
    }
    if (f->uring) {
        f->be.ops = &file_uring_ops;
        f->be.event_fd = blk_uring_event_fd(f->uring);
        f->be.engine = blk_engine_name(BLK_ENGINE_URING);
        return true;
    }
    if (engine == BLK_ENGINE_URING) {
        g_set_error(errp, HUSK_ERROR, HUSK_EXIT_UNAVAILABLE,
                    "%s: io_uring is not available: %s", path, why);
        return false;
    }
    if (why) {
        g_debug("disk %s: preadv/pwritev, not io_uring: %s", path, why);
    }
    f->be.ops = &file_sync_ops;
    f->be.engine = blk_engine_name(BLK_ENGINE_SYNC);
    return true;
}

/* Does this file support a fallocate mode?  Probe one page past the end
 * with KEEP_SIZE, which changes nothing where the mode is supported. */
static bool supports_fallocate(int fd, int mode, uint64_t size)
{
    off_t at = (off_t)((size + 4095) & ~(uint64_t)4095);

    return fallocate(fd, mode | FALLOC_FL_KEEP_SIZE, at, 4096) == 0;
}

/* A stable serial: the file's device and inode, so it survives renames
 * and reboots of the guest but differs between images. */
static void make_serial(struct blk_file *f, const struct stat *st)
{
    g_snprintf(f->be.serial, sizeof(f->be.serial), "husk-%lx-%lx",
               (unsigned long)st->st_dev, (unsigned long)st->st_ino);
}

/*
 * QEMU's image locking (block/file-posix.c), so husk, QEMU, qemu-img and
 * qemu-storage-daemon agree on who may use an image: byte 100 + i is
 * read-locked by whoever holds permission i, byte 200 + i by whoever
 * does not share it (OFD locks, advisory).  Permissions: 0 consistent
 * read, 1 write, 2 write unchanged, 3 resize.  A writer holds read, write
 * and write-unchanged; a reader read; neither shares write or resize,
 * as QEMU's virtio-blk by default.  Checked first, then taken (QEMU's
 * order, with its window between the two).
 */
#define QLOCK_PERM_BASE 100
#define QLOCK_SHARED_BASE 200
#define QLOCK_READ 0
#define QLOCK_WRITE 1
#define QLOCK_WRITE_UNCHANGED 2
#define QLOCK_RESIZE 3

static bool byte_taken(int fd, off_t at)
{
    struct flock t = {
        .l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = at, .l_len = 1};

    return fcntl(fd, F_OFD_GETLK, &t) < 0 || t.l_type != F_UNLCK;
}

static bool lock_byte(int fd, off_t at)
{
    struct flock l = {
        .l_type = F_RDLCK, .l_whence = SEEK_SET, .l_start = at, .l_len = 1};

    return fcntl(fd, F_OFD_SETLK, &l) == 0;
}

static bool lock_image(int fd, bool read_only)
{
    unsigned have = 1u << QLOCK_READ;
    unsigned unshared = (1u << QLOCK_WRITE) | (1u << QLOCK_RESIZE);

    if (!read_only) {
        have |= (1u << QLOCK_WRITE) | (1u << QLOCK_WRITE_UNCHANGED);
    }
    for (unsigned i = 0; i < 4; i++) {
        /* Someone does not share what we want, or has what we do not
         * share. */
        if (((have >> i) & 1) && byte_taken(fd, QLOCK_SHARED_BASE + i)) {
            return false;
        }
        if (((unshared >> i) & 1) && byte_taken(fd, QLOCK_PERM_BASE + i)) {
            return false;
        }
    }
    for (unsigned i = 0; i < 4; i++) {
        if ((((have >> i) & 1) && !lock_byte(fd, QLOCK_PERM_BASE + i)) ||
            (((unshared >> i) & 1) && !lock_byte(fd, QLOCK_SHARED_BASE + i))) {
            return false;
        }
    }
    return true;
}

struct blk_backend *blk_file_open(const char *path,
                                  bool read_only,
                                  enum blk_engine engine,
                                  GError **errp)
{
    struct blk_file *f;
    struct stat st;
    int fd = open(path, (read_only ? O_RDONLY : O_RDWR) | O_CLOEXEC);

    if (fd < 0) {
        g_set_error(errp, HUSK_ERROR, HUSK_EXIT_NOINPUT, "%s: %s", path,
                    g_strerror(errno));
        return NULL;
    }
    if (fstat(fd, &st) < 0 || !(S_ISREG(st.st_mode) || S_ISBLK(st.st_mode))) {
        g_set_error(errp, HUSK_ERROR, HUSK_EXIT_USAGE,
                    "%s: not a regular file or block device", path);
        goto out_close;
    }
    /* Two users that would not share the image (husk or QEMU's tools)
     * cannot both have it. */
    if (!lock_image(fd, read_only)) {
        g_set_error(errp, HUSK_ERROR, HUSK_EXIT_USAGE,
                    "%s is in use by another process (locked)", path);
        goto out_close;
    }
    f = g_new0(struct blk_file, 1);
    f->fd = fd;
    f->is_blockdev = S_ISBLK(st.st_mode);
    f->be.read_only = read_only;
    f->be.block_size = 512;
    if (f->is_blockdev) {
        uint64_t bytes = 0;
        int lbs = 512;

        if (ioctl(fd, BLKGETSIZE64, &bytes) < 0) {
            bytes = 0;
        }
        if (ioctl(fd, BLKSSZGET, &lbs) == 0 && lbs >= 512) {
            f->be.block_size = (uint32_t)lbs;
        }
        f->be.size = bytes;
    } else {
        f->be.size = (uint64_t)st.st_size;
    }
    if (f->be.size < 512) {
        g_set_error(errp, HUSK_ERROR, HUSK_EXIT_USAGE,
                    "%s is smaller than one 512-byte sector", path);
        g_free(f);
        goto out_close;
    }
    if (!set_engine(f, path, engine, errp)) {
        g_free(f);
        goto out_close;
    }
    if (!read_only && !f->is_blockdev) {
        f->be.can_discard =
            supports_fallocate(fd, FALLOC_FL_PUNCH_HOLE, f->be.size);
        f->be.can_write_zeroes =
            supports_fallocate(fd, FALLOC_FL_ZERO_RANGE, f->be.size);
    }
    make_serial(f, &st);
    return &f->be;

out_close:
    close(fd);
    return NULL;
}
