/*
 * frame_stream.c: length-prefixed frames on a non-blocking stream socket
 * (see frame_stream.h).
 */
#include "devices/backend/frame_stream.h"

#include <errno.h>
#include <glib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

void fs_init(struct frame_stream *s, int fd)
{
    memset(s, 0, sizeof(*s));
    s->fd = fd;
    s->rbuf = g_malloc(FS_BUF);
    s->wbuf = g_malloc(FS_BUF);
}

void fs_free(struct frame_stream *s)
{
    g_free(s->rbuf);
    g_free(s->wbuf);
    s->rbuf = s->wbuf = NULL;
}

long fs_fill(struct frame_stream *s)
{
    ssize_t r;

    /* Keep the unread bytes at the front so a whole frame always fits. */
    if (s->rstart) {
        memmove(s->rbuf, s->rbuf + s->rstart, s->rlen);
        s->rstart = 0;
    }
    if (s->rlen == FS_BUF) {
        return -EAGAIN; /* full of frames nobody took yet */
    }
    do {
        r = recv(s->fd, s->rbuf + s->rlen, FS_BUF - s->rlen, MSG_DONTWAIT);
    } while (r < 0 && errno == EINTR);
    if (r < 0) {
        return errno == EWOULDBLOCK ? -EAGAIN : -errno;
    }
    s->rlen += (size_t)r;
    return r;
}

const uint8_t *fs_peek(struct frame_stream *s, size_t *len, int *err)
{
    const uint8_t *p = s->rbuf + s->rstart;
    uint32_t n;

    *err = 0;
    if (s->rlen < 4) {
        return NULL;
    }
    n = (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 |
        p[3];
    /* Peer controlled. */
    if (n == 0 || n > FS_MAX_FRAME) {
        *err = -EPROTO;
        return NULL;
    }
    if (s->rlen < 4 + (size_t)n) {
        return NULL;
    }
    *len = n;
    return p + 4;
}

void fs_consume(struct frame_stream *s, size_t len)
{
    s->rstart += 4 + len;
    s->rlen -= 4 + len;
}

int fs_flush(struct frame_stream *s)
{
    while (s->wlen) {
        ssize_t w = send(s->fd, s->wbuf, s->wlen, MSG_DONTWAIT | MSG_NOSIGNAL);

        if (w < 0 && errno == EINTR) {
            continue;
        }
        if (w < 0) {
            return errno == EWOULDBLOCK ? -EAGAIN : -errno;
        }
        memmove(s->wbuf, s->wbuf + w, s->wlen - (size_t)w);
        s->wlen -= (size_t)w;
    }
    return 0;
}

int fs_can_send(const struct frame_stream *s, size_t len)
{
    return s->wlen + 4 + len <= FS_BUF;
}

int fs_queue(struct frame_stream *s, const struct iovec *iov, int n)
{
    size_t len = 0;
    uint8_t *p;
    int r;

    for (int i = 0; i < n; i++) {
        len += iov[i].iov_len;
    }
    if (len == 0 || len > FS_MAX_FRAME) {
        return -EMSGSIZE;
    }
    if (!fs_can_send(s, len)) {
        r = fs_flush(s);
        if (r < 0 && r != -EAGAIN) {
            return r;
        }
        if (!fs_can_send(s, len)) {
            return -EAGAIN;
        }
    }
    p = s->wbuf + s->wlen;
    p[0] = (uint8_t)(len >> 24);
    p[1] = (uint8_t)(len >> 16);
    p[2] = (uint8_t)(len >> 8);
    p[3] = (uint8_t)len;
    p += 4;
    for (int i = 0; i < n; i++) {
        memcpy(p, iov[i].iov_base, iov[i].iov_len);
        p += iov[i].iov_len;
    }
    s->wlen += 4 + len;
    return 0;
}

int fs_send(struct frame_stream *s, const struct iovec *iov, int n)
{
    int r = fs_queue(s, iov, n);

    if (r < 0) {
        return r;
    }
    r = fs_flush(s);
    return r == -EAGAIN ? 0 : r;
}
