/*
 * cpio.c: the newc writer (see cpio.h).
 */
#include "lib/cpio.h"

#include <stdio.h>
#include <string.h>

static void pad4(struct cpio *c)
{
    static const uint8_t zero[4];

    g_byte_array_append(c->buf, zero, (4 - c->buf->len % 4) % 4);
}

static void entry(struct cpio *c,
                  const char *name,
                  unsigned mode,
                  unsigned nlink,
                  size_t size,
                  unsigned rmajor,
                  unsigned rminor)
{
    char hdr[111];
    size_t namesize = strlen(name) + 1;

    /* c_ino, mode, uid, gid, nlink, mtime, filesize, devmajor, devminor,
     * rdevmajor, rdevminor, namesize, check: eight hex digits each. */
    snprintf(hdr, sizeof(hdr),
             "070701%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X",
             ++c->ino, mode, 0u, 0u, nlink, 0u, (unsigned)size, 0u, 0u, rmajor,
             rminor, (unsigned)namesize, 0u);
    g_byte_array_append(c->buf, (const uint8_t *)hdr, 110);
    g_byte_array_append(c->buf, (const uint8_t *)name, (guint)namesize);
    pad4(c);
}

void cpio_init(struct cpio *c)
{
    c->buf = g_byte_array_new();
    c->ino = 0;
}

void cpio_dir(struct cpio *c, const char *name, unsigned mode)
{
    entry(c, name, mode, 2, 0, 0, 0);
}

void cpio_file(struct cpio *c,
               const char *name,
               unsigned mode,
               const void *data,
               size_t len)
{
    g_assert(len <= 0xffffffffu);
    entry(c, name, mode, 1, len, 0, 0);
    g_byte_array_append(c->buf, data, (guint)len);
    pad4(c);
}

void cpio_node(struct cpio *c,
               const char *name,
               unsigned mode,
               unsigned major,
               unsigned minor)
{
    entry(c, name, mode, 1, 0, major, minor);
}

GByteArray *cpio_finish(struct cpio *c)
{
    GByteArray *b = c->buf;

    entry(c, "TRAILER!!!", 0, 1, 0, 0, 0);
    c->buf = NULL;
    return b;
}
