/*
 * restore.h: husk restore DIR: a VM built again from a snapshot
 * (snapshot.h) and resumed where it stopped.
 *
 * Guest memory is the snapshot's memory file mapped private and
 * copy-on-write: pages come in from the page cache when the guest first
 * touches them, and VMs restored from one snapshot share every page none
 * of them has written.
 *
 * Trust boundary: every file of a snapshot is untrusted.  The manifest
 * and state are bounded in size, checked against their SHA-256 and read
 * through lib/state.h; the configuration they describe goes through husk
 * run's own option parser and must build the same devices at the same
 * places; KVM refuses register values it does not accept.  Any failure is
 * one line and an exit status before the guest runs: 65 damaged or
 * inconsistent, 66 a file missing, 69 another husk build or a CPU that
 * lacks what the guest used.
 */
#ifndef HUSK_RESTORE_H
#define HUSK_RESTORE_H

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

struct vm;

int restore_main(int argc, char **argv);

/* For vm.c while it builds a restored VM (cfg.restore set). */
/* The memory file, and whether the layout vm.c made is the snapshot's. */
int snap_image_memory_fd(const struct vm *vm);
bool snap_image_check_layout(const struct vm *vm, GError **errp);
/* Copies size bytes of the memory file from off into hva (guest RAM that
 * must be shared with a backend process, so cannot be the file itself):
 * only the data, the holes are left as the zeros they are. */
bool snap_image_copy_memory(const struct vm *vm,
                            void *hva,
                            uint64_t size,
                            uint64_t off,
                            GError **errp);
/* Every vCPU, the irqchips, the clock and the devices set back. */
bool snap_image_load(struct vm *vm, GError **errp);

#endif
