/*
 * exec_kernel.h: what `husk exec` boots: the kernel (given, or the
 * default guest's), its release, the modules tree the guest sees at
 * /lib/modules/RELEASE, the kernel's config where one can be found, and
 * the initramfs (husk-init and the modules it loads first), built once
 * per set of inputs and cached under ~/.cache/husk/exec.
 */
#ifndef HUSK_EXEC_KERNEL_H
#define HUSK_EXEC_KERNEL_H

#include <glib.h>
#include <stdbool.h>

struct exec_kernel {
    char *path;    /* the image */
    char *release; /* from the image: "6.1.0-27-cloud-amd64" */
    /* The modules tree (with modules.dep), or NULL: none found.
     * tree_is_hosts: it is the host's /lib/modules/RELEASE, which the
     * guest sees through the shared root anyway. */
    char *tree;
    bool tree_is_hosts;
    char *config; /* the kernel's .config, or NULL: not found */
    bool acpi;    /* the config has ACPI (or is unknown) */
};

/*
 * Finds the kernel (given: --kernel, or NULL: $HUSK_KERNEL, the default
 * guest in the cache, /boot/vmlinuz-$(uname -r)) and its modules
 * (modules: --modules DIR, a modules_install tree or a kernel build
 * tree; else next to the kernel, in its build tree, or the host's
 * /lib/modules/RELEASE).  A tree without modules.dep (a build tree, an
 * unpacked package) is staged in the cache and depmod(8) run on it.
 */
bool exec_kernel_find(const char *given,
                      const char *modules,
                      struct exec_kernel *k,
                      GError **errp);
/* With a config: what the workflow needs, or one line naming what is
 * missing (status 125).  Without one: true (the guest's init checks). */
bool exec_kernel_check(const struct exec_kernel *k, GError **errp);
/* The cached initramfs with husk-init and the named modules (and what
 * they need) that are not built in. */
GBytes *exec_initramfs(const struct exec_kernel *k,
                       const char *const *modules,
                       GError **errp);
void exec_kernel_clear(struct exec_kernel *k);

#endif
