/*
 * snapshot_manifest.h: a snapshot's manifest (snapshot.h) read into
 * plain fields.  The one parser of it: restore and the fuzz target both
 * go through snap_manifest_parse(), which bounds every field (lib/state.h)
 * before anything uses it.
 */
#ifndef HUSK_SNAPSHOT_MANIFEST_H
#define HUSK_SNAPSHOT_MANIFEST_H

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

#include "lib/guest_mem.h"

#define SNAP_MANIFEST_MAX (1u << 20)
#define SNAP_STATE_MAX (64u << 20)
#define SNAP_MAX_ARGS 512
#define SNAP_MAX_ARG_LEN 4096
#define SNAP_MAX_DEVICES 16
#define SNAP_MAX_DISKS 8

struct snap_manifest {
    uint64_t format;
    char *husk;  /* the build that wrote it */
    char **argv; /* husk run's options, NULL-terminated */
    uint64_t memory, cpus;
    unsigned nr_regions;
    struct {
        uint64_t gpa, size, offset;
    } region[GM_MAX_REGIONS];
    unsigned nr_devices;
    char *device[SNAP_MAX_DEVICES]; /* "virtio-blk@0xd0000000:5" */
    struct {
        bool known;
        uint64_t size, dev, ino;
    } disk[SNAP_MAX_DISKS];
    uint64_t state_size, memory_size, memory_data;
    char state_sha256[65], memory_sha256[65];
};

/* Parses a manifest.  Errors are HUSK_EXIT_DATAERR (damaged, absurd) or
 * HUSK_EXIT_UNAVAILABLE (another format or husk build than `build`). */
bool snap_manifest_parse(struct snap_manifest *m,
                         const char *data,
                         size_t len,
                         const char *build,
                         GError **errp);
void snap_manifest_clear(struct snap_manifest *m);

#endif
