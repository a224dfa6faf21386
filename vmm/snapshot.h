/*
 * snapshot.h: a running VM written to a directory, and read back.
 *
 * A snapshot is three files:
 *   manifest  what the snapshot is (GKeyFile): format version, the husk
 *             build that wrote it, the VM's configuration (husk run's
 *             options, memory layout, CPUs, each device's place), and the
 *             size and SHA-256 of the two others.  Written last, so a
 *             snapshot that was cut short has none that checks out.
 *   state     each vCPU (snapshot_arch.h), the VM's interrupt controllers
 *             and clock, and every device (lib/state.h), as a GKeyFile.
 *   memory    guest RAM, regions one after the other, as a sparse file:
 *             pages that hold only zeros are holes.
 * Disks are named in the manifest (path, size, device and inode), never
 * copied (docs/snapshots.md says how to clone them).
 *
 * Taking one (snap_take): every vCPU parked at an instruction boundary,
 * every device's in-flight work completed, then the state read.  Main
 * thread, from the main loop.
 */
#ifndef HUSK_SNAPSHOT_H
#define HUSK_SNAPSHOT_H

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

struct vm;

#define SNAP_FORMAT 1

/* The three files of one snapshot, opened (created and emptied) before
 * the sandbox closes the file system. */
struct snap_files {
    char *dir;
    int manifest_fd, state_fd, memory_fd;
};

bool snap_files_create(struct snap_files *f, const char *dir, GError **errp);
void snap_files_close(struct snap_files *f);

/* Why the VM cannot be snapshotted (a device whose state lives in
 * another process), or NULL.  Checked before the guest runs. */
const char *snap_unsupported(const struct vm *vm);

/* Writes the snapshot; the vCPUs are resumed again unless `keep_paused`.
 * Main thread. */
bool snap_take(struct vm *vm,
               struct snap_files *f,
               bool keep_paused,
               GError **errp);

/* Adds one non-zero page of guest memory at file offset off to the
 * memory file's hash (writing and verifying hash alike). */
void snap_memory_hash_page(GChecksum *h, uint64_t off, const uint8_t *page);

/* This husk's build: its version and its ELF build ID (or the version
 * alone where the binary has none).  Static string. */
const char *snap_husk_build(void);

#endif
