/*
 * state.h: device and vCPU state as a snapshot holds it: named fields in
 * groups of a GKeyFile (one group per device or vCPU), integers in
 * decimal, binary blobs in base64.
 *
 * Trust boundary: a snapshot on disk can be swapped or damaged, so every
 * field is read through st_get_*(), which checks it against the bounds
 * the caller gives (a queue index against the queue's size, a blob
 * against the exact size of the structure it fills).  The first failure
 * is kept in the reader with the group and key it concerns; later reads
 * return 0 and do nothing, so a loader reads every field and checks
 * st_failed() once.
 */
#ifndef HUSK_STATE_H
#define HUSK_STATE_H

#include <glib.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct st_writer {
    GKeyFile *kf;
    const char *group;
};

struct st_reader {
    GKeyFile *kf;
    const char *group;
    GError *err; /* the first failure, or NULL */
};

void st_put_u64(struct st_writer *w, const char *key, uint64_t v);
void st_put_bool(struct st_writer *w, const char *key, bool v);
void st_put_blob(struct st_writer *w,
                 const char *key,
                 const void *p,
                 size_t len);

/* The field as an integer in [min, max]; 0 once the reader failed. */
uint64_t st_get_u64(struct st_reader *r,
                    const char *key,
                    uint64_t min,
                    uint64_t max);
bool st_get_bool(struct st_reader *r, const char *key);
/* Exactly len bytes into p (zeroed on failure). */
void st_get_blob(struct st_reader *r, const char *key, void *p, size_t len);
/* A blob of at most max bytes (caller frees); *len its size. */
void *st_get_blob_max(struct st_reader *r,
                      const char *key,
                      size_t max,
                      size_t *len);

/* Records a failure of the loader's own checks (a value that is in range
 * alone but not together with another). */
void st_fail(struct st_reader *r, const char *fmt, ...) G_GNUC_PRINTF(2, 3);

static inline bool st_failed(const struct st_reader *r)
{
    return r->err != NULL;
}

/* Hands the reader's failure to errp (HUSK_EXIT_DATAERR); true if none. */
bool st_finish(struct st_reader *r, GError **errp);

#endif
