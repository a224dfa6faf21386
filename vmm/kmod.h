/*
 * kmod.h: reading a kernel's modules tree (lib/modules/RELEASE as
 * `make modules_install` and depmod(8) leave it): modules.dep says where
 * each module's file is and what it needs, modules.builtin which modules
 * are built into the kernel.  The tree is the user's and is read as
 * untrusted text: lines are bounded, paths relative and without "..".
 */
#ifndef HUSK_KMOD_H
#define HUSK_KMOD_H

#include <glib.h>
#include <stdbool.h>

struct kmod_index {
    char *tree;
    GHashTable *dep;     /* name -> GStrv: its file, then its needs' files */
    GHashTable *builtin; /* name -> itself */
};

enum kmod_found { KMOD_MISSING, KMOD_BUILTIN, KMOD_FILE };

/* Loads tree/modules.dep (needed) and tree/modules.builtin (if there).
 * Errors are HUSK_EXIT_DATAERR or HUSK_EXIT_NOINPUT. */
bool kmod_index_load(struct kmod_index *x, const char *tree, GError **errp);
void kmod_index_clear(struct kmod_index *x);

/* A module's name as modprobe compares it: '-' and '_' are one. */
char *kmod_name(const char *s);

/*
 * Appends NAME's file, after the files it needs (relative to the tree),
 * to files, skipping files already there.  KMOD_BUILTIN adds nothing;
 * KMOD_MISSING: neither a file nor built in.
 */
enum kmod_found kmod_resolve(const struct kmod_index *x,
                             const char *name,
                             GPtrArray *files);

#endif
