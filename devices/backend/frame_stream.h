/*
 * frame_stream.h: Ethernet frames over a byte stream, each preceded by its
 * length as a 32-bit big-endian number: the framing of QEMU's "-netdev
 * stream" and of passt's socket.  husk and husk-slirp speak it over a
 * SOCK_STREAM socketpair: unlike a datagram socket (whose queue holds ten
 * messages by default, net.unix.max_dgram_qlen), a stream carries many
 * frames per read and per wakeup.
 *
 * Non-blocking both ways, bounded both ways: frames read but not yet taken
 * stay in the read buffer; frames written while the peer is slow wait in
 * the write buffer, and when that is full the writer is told -EAGAIN.
 * The length is peer-controlled: one outside [1, FS_MAX_FRAME] breaks the
 * stream (-EPROTO), never the reader.
 */
#ifndef HUSK_FRAME_STREAM_H
#define HUSK_FRAME_STREAM_H

#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#define FS_MAX_FRAME (12 + 65550)   /* a virtio-net header and a frame */
#define FS_BUF (512 * 1024)

struct frame_stream {
    int fd;
    uint8_t *rbuf, *wbuf;
    size_t rstart, rlen;    /* unread bytes: rbuf[rstart, rstart + rlen) */
    size_t wlen;            /* bytes waiting to be written */
};

void fs_init(struct frame_stream *s, int fd);
void fs_free(struct frame_stream *s);

/* Reads what the socket has (as much as fits).  >0 bytes, 0 at EOF,
 * -EAGAIN if nothing now, -errno. */
long fs_fill(struct frame_stream *s);

/* The next complete frame (*len set), NULL if none is complete yet; sets
 * *err to -EPROTO on a bad length (the stream is then useless). */
const uint8_t *fs_peek(struct frame_stream *s, size_t *len, int *err);
/* Drops the frame fs_peek returned. */
void fs_consume(struct frame_stream *s, size_t len);

/* Queues one frame (gathered from iov), writing to the socket only when
 * the buffer has no room for it: the caller calls fs_flush at the end of
 * a run, so a burst of frames costs one send(2) instead of one each.
 * 0 when queued, -EAGAIN when the write buffer has no room (nothing
 * queued), -EMSGSIZE if it is too big, other -errno if the socket failed. */
int fs_queue(struct frame_stream *s, const struct iovec *iov, int n);

/* fs_queue, then writes what the socket takes. */
int fs_send(struct frame_stream *s, const struct iovec *iov, int n);

/* Writes queued bytes.  0 when all are out, -EAGAIN if some wait. */
int fs_flush(struct frame_stream *s);

/* Room for one more frame of len bytes in the write buffer? */
int fs_can_send(const struct frame_stream *s, size_t len);

#endif
