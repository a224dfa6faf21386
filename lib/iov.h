/*
 * iov.h: iovec helpers for buffers that a chain of descriptors (or any
 * other scatter list) describes: slicing and copying to and from a flat
 * buffer.  Used by devices and their backends alike.
 */
#ifndef HUSK_IOV_H
#define HUSK_IOV_H

#include <stddef.h>
#include <sys/uio.h>

/* The bytes of src from offset skip, at most len of them, as at most max
 * iovecs in dst (pointing into the same buffers; dst may be src, to drop
 * a prefix in place); returns the count. */
unsigned iov_slice(const struct iovec *src,
                   unsigned n,
                   size_t skip,
                   size_t len,
                   struct iovec *dst,
                   unsigned max);

/* Copy between an iovec array and a flat buffer; return bytes copied. */
size_t iov_to_buf(const struct iovec *iov,
                  unsigned n,
                  size_t off,
                  void *buf,
                  size_t len);
size_t iov_from_buf(const struct iovec *iov,
                    unsigned n,
                    size_t off,
                    const void *buf,
                    size_t len);

#endif
