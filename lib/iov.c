/*
 * iov.c: iovec helpers (see iov.h).
 */
#include "lib/iov.h"

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "lib/util.h"

/* Copies between iovecs (from byte off) and buf, in either direction. */
static size_t iov_copy(const struct iovec *iov,
                       unsigned n,
                       size_t off,
                       uint8_t *buf,
                       size_t len,
                       bool to_buf)
{
    size_t done = 0;

    for (unsigned i = 0; i < n && done < len; i++) {
        uint8_t *base = iov[i].iov_base;
        size_t l;

        if (off >= iov[i].iov_len) {
            off -= iov[i].iov_len;
            continue;
        }
        l = MIN(iov[i].iov_len - off, len - done);
        if (to_buf) {
            memcpy(buf + done, base + off, l);
        } else {
            memcpy(base + off, buf + done, l);
        }
        done += l;
        off = 0;
    }
    return done;
}

unsigned iov_slice(const struct iovec *src,
                   unsigned n,
                   size_t skip,
                   size_t len,
                   struct iovec *dst,
                   unsigned max)
{
    unsigned k = 0;

    for (unsigned i = 0; i < n && len && k < max; i++) {
        size_t l = src[i].iov_len;

        if (skip >= l) {
            skip -= l;
            continue;
        }
        dst[k].iov_base = (uint8_t *)src[i].iov_base + skip;
        dst[k].iov_len = MIN(l - skip, len);
        len -= dst[k].iov_len;
        skip = 0;
        k++;
    }
    return k;
}

size_t iov_to_buf(const struct iovec *iov,
                  unsigned n,
                  size_t off,
                  void *buf,
                  size_t len)
{
    return iov_copy(iov, n, off, buf, len, true);
}

size_t iov_from_buf(const struct iovec *iov,
                    unsigned n,
                    size_t off,
                    const void *buf,
                    size_t len)
{
    return iov_copy(iov, n, off, (uint8_t *)buf, len, false);
}
