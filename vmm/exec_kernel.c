/*
 * exec_kernel.c: see exec_kernel.h.  The kernel image, the modules tree
 * and the config are the user's files, read as untrusted: the release is
 * bounded text from the image, tree paths go through kmod.c's checks.
 */
#define G_LOG_DOMAIN "husk"
#include "vmm/exec_kernel.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "lib/cpio.h"
#include "lib/error.h"
#include "lib/exec_proto.h"
#include "lib/paths.h"
#include "vmm/kmod.h"
#include "vmm/vm_arch.h"

#define RELEASE_MAX 128

static char *cache_dir(const char *sub)
{
    const char *c = g_getenv("HUSK_CACHE");

    if (c && *c) {
        return g_build_filename(c, sub, NULL);
    }
    return g_build_filename(g_get_home_dir(), ".cache", "husk", sub, NULL);
}

static bool is_dir(const char *p)
{
    return g_file_test(p, G_FILE_TEST_IS_DIR);
}

static bool is_file(const char *p)
{
    return g_file_test(p, G_FILE_TEST_IS_REGULAR);
}

/* "Linux version RELEASE (" in an uncompressed image (ELF vmlinux). */
static bool banner_release(const uint8_t *img, size_t len, char *out)
{
    static const char b[] = "Linux version ";
    const uint8_t *p = img;

    while ((p = memmem(p, len - (size_t)(p - img), b, sizeof(b) - 1))) {
        size_t off = (size_t)(p - img) + sizeof(b) - 1, n = 0;

        while (off + n < len && n + 1 < RELEASE_MAX && img[off + n] > ' ' &&
               img[off + n] < 0x7f) {
            out[n] = (char)img[off + n];
            n++;
        }
        out[n] = '\0';
        if (n > 0 && off + n + 1 < len && img[off + n] == ' ' &&
            img[off + n + 1] == '(') {
            return true;
        }
        p++;
    }
    return false;
}

static bool read_release(struct exec_kernel *k, GError **errp)
{
    g_autoptr(GMappedFile) f = NULL;
    g_autoptr(GError) err = NULL;
    char rel[RELEASE_MAX];
    const uint8_t *img;
    size_t len;

    f = g_mapped_file_new(k->path, FALSE, &err);
    if (!f) {
        g_set_error(errp, HUSK_ERROR, HUSK_EXIT_NOINPUT, "--kernel %s: %s",
                    k->path, err->message);
        return false;
    }
    img = (const uint8_t *)g_mapped_file_get_contents(f);
    len = g_mapped_file_get_length(f);
    if (!img || !(vm_arch_kernel_release(img, len, rel, sizeof(rel)) ||
                  banner_release(img, len, rel))) {
        g_set_error(errp, HUSK_ERROR, HUSK_EXIT_DATAERR,
                    "--kernel %s: names no kernel release (not a bzImage "
                    "or vmlinux?)",
                    k->path);
        return false;
    }
    k->release = g_strdup(rel);
    return true;
}

/* The newest default guest kernel husk's scripts fetched. */
static char *default_kernel(void)
{
    g_autofree char *dir = cache_dir("kernel");
    g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
    g_autofree char *best = NULL;
    const char *e;
    struct utsname u;
    char *p;

    if (g_getenv("HUSK_KERNEL") && *g_getenv("HUSK_KERNEL")) {
        return g_strdup(g_getenv("HUSK_KERNEL"));
    }
    while (d && (e = g_dir_read_name(d))) {
        if (g_str_has_prefix(e, "linux-image-") && strstr(e, "-cloud-") &&
            (!best || strverscmp(e, best) > 0)) {
            g_free(best);
            best = g_strdup(e);
        }
    }
    if (best) {
        p = g_build_filename(dir, best, "vmlinuz", NULL);
        if (is_file(p)) {
            return p;
        }
        g_free(p);
    }
    if (uname(&u) == 0) {
        p = g_strdup_printf("/boot/vmlinuz-%s", u.release);
        if (access(p, R_OK) == 0) {
            return p;
        }
        g_free(p);
    }
    return NULL;
}

/* A kernel build tree's top: FILE is TOP/arch/ARCH/boot/IMAGE or
 * TOP/vmlinux, and TOP has modules.order. */
static char *build_tree_of(const char *kernel)
{
    g_autofree char *real = realpath(kernel, NULL);
    char *top;

    if (!real) {
        return NULL;
    }
    top = g_path_get_dirname(real);
    for (int up = 0; up < 4; up++) {
        g_autofree char *order = g_build_filename(top, "modules.order", NULL);
        g_autofree char *mk = g_build_filename(top, "Makefile", NULL);
        char *parent;

        if (is_file(order) && is_file(mk)) {
            return top;
        }
        parent = g_path_get_dirname(top);
        g_free(top);
        top = parent;
    }
    g_free(top);
    return NULL;
}

static char *find_program_in(const char *name)
{
    static const char *const dirs[] = {"/usr/sbin", "/sbin", "/usr/bin",
                                       "/bin"};
    char *p = g_find_program_in_path(name);

    for (unsigned i = 0; !p && i < G_N_ELEMENTS(dirs); i++) {
        p = g_build_filename(dirs[i], name, NULL);
        if (access(p, X_OK) < 0) {
            g_clear_pointer(&p, g_free);
        }
    }
    return p;
}

/* Hard link if the cache is on the same file system, else a copy. */
static bool place(const char *from, const char *to, GError **errp)
{
    g_autofree char *dir = g_path_get_dirname(to);
    g_autofree char *data = NULL;
    g_autoptr(GError) err = NULL;
    gsize len;

    g_mkdir_with_parents(dir, 0755);
    if (link(from, to) == 0 || errno == EEXIST) {
        return true;
    }
    if (!g_file_get_contents(from, &data, &len, &err) ||
        !g_file_set_contents(to, data, (gssize)len, &err)) {
        g_set_error(errp, HUSK_ERROR, HUSK_EXIT_CANTCREAT,
                    "cannot stage the module %s: %s", from, err->message);
        return false;
    }
    return true;
}

/* A modules.order line's module file: FILE.ko (a build tree may list
 * FILE.o), or NULL for a line that is not a path inside the tree. */
static char *order_entry(const char *line)
{
    if (!*line || strstr(line, "..") || *line == '/') {
        return NULL;
    }
    return g_str_has_suffix(line, ".o")
               ? g_strdup_printf("%.*s.ko", (int)strlen(line) - 2, line)
               : g_strdup(line);
}

/*
 * A tree depmod has not been run on: its modules (listed in
 * modules.order; a build tree's entries may end in .o) go under
 * STAGE/lib/modules/RELEASE/kernel/, with modules.order and
 * modules.builtin*, and depmod -b STAGE makes modules.dep.  Keyed by
 * the tree, the release and every module's size and time.
 */
static char *stage_tree(const char *src,
                        bool build_tree,
                        const char *release,
                        GError **errp)
{
    g_autofree char *order_path = g_build_filename(src, "modules.order", NULL);
    g_autofree char *order = NULL, *key = NULL, *base = NULL, *tree = NULL;
    g_autofree char *tmp_base = NULL, *depmod = NULL, *out = NULL;
    g_autofree char *new_order = NULL;
    g_autoptr(GChecksum) sum = g_checksum_new(G_CHECKSUM_SHA256);
    g_auto(GStrv) lines = NULL;
    g_autoptr(GError) err = NULL;
    GString *order_out = g_string_new(NULL);
    static const char *const extra[] = {"modules.builtin",
                                        "modules.builtin.modinfo"};
    int status;

    if (!g_file_get_contents(order_path, &order, NULL, &err)) {
        g_set_error(errp, HUSK_ERROR, HUSK_EXIT_NOINPUT, "%s", err->message);
        g_string_free(order_out, TRUE);
        return NULL;
    }
    lines = g_strsplit(order, "\n", -1);
    g_checksum_update(sum, (const guchar *)src, -1);
    g_checksum_update(sum, (const guchar *)release, -1);
    for (char **l = lines; *l; l++) {
        g_autofree char *ko = NULL, *file = NULL;
        struct stat st;
        char stamp[64];

        ko = order_entry(*l);
        if (!ko) {
            continue;
        }
        file = g_build_filename(src, ko, NULL);
        if (stat(file, &st) < 0) {
            continue; /* listed, not built */
        }
        snprintf(stamp, sizeof(stamp), "%lld.%ld.%lld", (long long)st.st_size,
                 (long)st.st_mtim.tv_sec, (long long)st.st_ino);
        g_checksum_update(sum, (const guchar *)ko, -1);
        g_checksum_update(sum, (const guchar *)stamp, -1);
    }
    key = g_strndup(g_checksum_get_string(sum), 16);
    {
        g_autofree char *exec_dir = cache_dir("exec-modules");

        base = g_build_filename(exec_dir, key, NULL);
        tree = g_build_filename(base, "lib", "modules", release, NULL);
        g_autofree char *done = g_build_filename(tree, ".husk-done", NULL);

        if (is_file(done)) {
            g_string_free(order_out, TRUE);
            return g_steal_pointer(&tree);
        }
        tmp_base = g_strdup_printf("%s.tmp%d", base, (int)getpid());
    }
    for (char **l = lines; *l; l++) {
        g_autofree char *ko = NULL, *from = NULL, *to = NULL, *rel = NULL;

        ko = order_entry(*l);
        if (!ko) {
            continue;
        }
        from = g_build_filename(src, ko, NULL);
        if (!is_file(from)) {
            continue;
        }
        /* An installed tree's entries already start with kernel/. */
        rel = build_tree ? g_build_filename("kernel", ko, NULL) : g_strdup(ko);
        to = g_build_filename(tmp_base, "lib", "modules", release, rel, NULL);
        if (!place(from, to, errp)) {
            g_string_free(order_out, TRUE);
            return NULL;
        }
        g_string_append_printf(order_out, "%s\n", rel);
    }
    new_order = g_string_free(order_out, FALSE);
    {
        g_autofree char *dst =
            g_build_filename(tmp_base, "lib", "modules", release, NULL);
        g_autofree char *o = g_build_filename(dst, "modules.order", NULL);

        g_mkdir_with_parents(dst, 0755);
        if (!g_file_set_contents(o, new_order, -1, &err)) {
            g_set_error(errp, HUSK_ERROR, HUSK_EXIT_CANTCREAT, "%s",
                        err->message);
            return NULL;
        }
        for (unsigned i = 0; i < G_N_ELEMENTS(extra); i++) {
            g_autofree char *f = g_build_filename(src, extra[i], NULL);
            g_autofree char *t = g_build_filename(dst, extra[i], NULL);

            if (is_file(f) && !place(f, t, errp)) {
                return NULL;
            }
        }
    }
    depmod = find_program_in("depmod");
    if (!depmod) {
        g_set_error(errp, HUSK_ERROR, HUSK_EXIT_UNAVAILABLE,
                    "the modules in %s have no modules.dep, and depmod is "
                    "not installed (apt-get install kmod)",
                    src);
        return NULL;
    }
    {
        const char *argv[] = {depmod, "-b", tmp_base, release, NULL};

        if (!g_spawn_sync(NULL, (char **)argv, NULL, G_SPAWN_STDOUT_TO_DEV_NULL,
                          NULL, NULL, NULL, &out, &status, &err) ||
            !g_spawn_check_wait_status(status, NULL)) {
            g_set_error(errp, HUSK_ERROR, HUSK_EXIT_DATAERR,
                        "depmod failed on the modules of %s: %s", src,
                        err ? err->message : (out ? g_strstrip(out) : "?"));
            return NULL;
        }
    }
    {
        g_autofree char *done = g_build_filename(tmp_base, "lib", "modules",
                                                 release, ".husk-done", NULL);

        if (!g_file_set_contents(done, "", 0, &err) ||
            (rename(tmp_base, base) < 0 && errno != ENOTEMPTY &&
             errno != EEXIST)) {
            g_set_error(errp, HUSK_ERROR, HUSK_EXIT_CANTCREAT,
                        "cannot stage the modules in %s: %s", base,
                        err ? err->message : g_strerror(errno));
            return NULL;
        }
    }
    return g_steal_pointer(&tree);
}

/* Where the modules are, for --modules DIR or without it. */
static bool find_tree(struct exec_kernel *k, const char *modules, GError **errp)
{
    g_autofree char *build = NULL, *host = NULL, *beside = NULL;
    const char *src = NULL;
    bool build_tree = false;

    if (modules) {
        g_autofree char *inst =
            g_build_filename(modules, "lib", "modules", k->release, NULL);
        g_autofree char *order =
            g_build_filename(modules, "modules.order", NULL);
        g_autofree char *mk = g_build_filename(modules, "Makefile", NULL);
        g_autofree char *kern = g_build_filename(modules, "kernel", NULL);

        if (!is_dir(modules)) {
            g_set_error(errp, HUSK_ERROR, HUSK_EXIT_NOINPUT,
                        "--modules %s: not a directory", modules);
            return false;
        }
        if (is_dir(inst)) {
            beside = g_steal_pointer(&inst); /* INSTALL_MOD_PATH=DIR */
            src = beside;
        } else if (is_file(order) && is_file(mk)) {
            src = modules;
            build_tree = true;
        } else if (is_file(order) || is_dir(kern)) {
            src = modules;
        } else {
            g_set_error(errp, HUSK_ERROR, HUSK_EXIT_NOINPUT,
                        "--modules %s: neither a modules tree (modules.order, "
                        "lib/modules/%s) nor a kernel build tree",
                        modules, k->release);
            return false;
        }
    } else {
        g_autofree char *dir = g_path_get_dirname(k->path);

        beside = g_build_filename(dir, "modules", NULL);
        build = build_tree_of(k->path);
        host = g_build_filename("/lib/modules", k->release, NULL);
        if (is_dir(beside)) {
            src = beside; /* the layout of husk's kernel cache */
        } else if (build) {
            src = build;
            build_tree = true;
        } else if (is_dir(host)) {
            src = host;
        } else {
            return true; /* none: only built-in drivers */
        }
    }
    {
        g_autofree char *dep = g_build_filename(src, "modules.dep", NULL);

        if (!build_tree && is_file(dep)) {
            k->tree = realpath(src, NULL);
            k->tree_is_hosts = host && !strcmp(src, host);
            return k->tree != NULL;
        }
    }
    k->tree = stage_tree(src, build_tree, k->release, errp);
    return k->tree != NULL;
}

static void find_config(struct exec_kernel *k)
{
    g_autofree char *dir = g_path_get_dirname(k->path);
    g_autofree char *build = build_tree_of(k->path);
    char *c[4] = {
        g_build_filename(dir, "config", NULL),
        build ? g_build_filename(build, ".config", NULL) : NULL,
        k->tree ? g_build_filename(k->tree, "build", ".config", NULL) : NULL,
        g_strdup_printf("/boot/config-%s", k->release),
    };

    for (unsigned i = 0; i < G_N_ELEMENTS(c); i++) {
        if (!k->config && c[i] && is_file(c[i])) {
            k->config = g_steal_pointer(&c[i]);
        }
        g_free(c[i]);
    }
}

/* y, m, or NULL (not set); from the config's text. */
static const char *config_value(const char *text, const char *name)
{
    g_autofree char *key = g_strdup_printf("\n%s=", name);
    const char *p = strstr(text, key);

    if (!p) {
        return NULL;
    }
    p += strlen(key);
    return *p == 'y' ? "y" : *p == 'm' ? "m" : NULL;
}

bool exec_kernel_check(const struct exec_kernel *k, GError **errp)
{
    static const struct {
        const char *option, *what;
    } need[] = {
        {"CONFIG_DEVTMPFS", "devtmpfs"},
        {"CONFIG_VIRTIO_MMIO", "virtio-mmio devices"},
        {"CONFIG_FUSE_FS", "FUSE (for virtio-fs)"},
        {"CONFIG_VIRTIO_FS", "virtio-fs"},
        {"CONFIG_OVERLAY_FS", "overlayfs"},
        {"CONFIG_VIRTIO_CONSOLE", "virtio-console ports"},
    };
    g_autofree char *text = NULL, *body = NULL;
    GString *missing = g_string_new(NULL);

    if (!k->config || !g_file_get_contents(k->config, &body, NULL, NULL)) {
        g_string_free(missing, TRUE);
        return true;
    }
    text = g_strconcat("\n", body, NULL);
    for (unsigned i = 0; i < G_N_ELEMENTS(need); i++) {
        if (!config_value(text, need[i].option)) {
            g_string_append_printf(missing, "%s%s (%s)",
                                   missing->len ? ", " : "", need[i].what,
                                   need[i].option);
        }
    }
    if (missing->len) {
        g_set_error(errp, HUSK_ERROR, HUSK_EXIT_EXEC_GUEST,
                    "the kernel %s cannot run husk exec: its config (%s) "
                    "lacks %s",
                    k->path, k->config, missing->str);
        g_string_free(missing, TRUE);
        return false;
    }
    g_string_free(missing, TRUE);
    return true;
}

bool exec_kernel_find(const char *given,
                      const char *modules,
                      struct exec_kernel *k,
                      GError **errp)
{
    memset(k, 0, sizeof(*k));
    k->acpi = true;
    k->path = given ? g_strdup(given) : default_kernel();
    if (!k->path) {
        g_set_error(errp, HUSK_ERROR, HUSK_EXIT_NOINPUT,
                    "no kernel: give --kernel FILE (a bzImage or vmlinux), "
                    "set HUSK_KERNEL, or fetch the default guest once with "
                    "'make demo'");
        return false;
    }
    if (!read_release(k, errp) || !find_tree(k, modules, errp)) {
        return false;
    }
    find_config(k);
    if (k->config) {
        g_autofree char *body = NULL;

        if (g_file_get_contents(k->config, &body, NULL, NULL)) {
            g_autofree char *text = g_strconcat("\n", body, NULL);

            k->acpi = config_value(text, "CONFIG_ACPI") != NULL;
        }
    }
    return true;
}

GBytes *exec_initramfs(const struct exec_kernel *k,
                       const char *const *modules,
                       GError **errp)
{
    g_autofree char *init = husk_find_program("HUSK_INIT", "husk-init");
    g_autoptr(GPtrArray) files = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(GChecksum) sum = g_checksum_new(G_CHECKSUM_SHA256);
    g_autofree char *init_data = NULL, *dir = NULL, *path = NULL;
    g_autofree char *key = NULL, *cached = NULL;
    g_autoptr(GError) err = NULL;
    struct kmod_index x = {0};
    gsize init_len, cached_len;
    GString *list = g_string_new(NULL);
    struct cpio c;
    GByteArray *out;

    if (!init || !g_file_get_contents(init, &init_data, &init_len, &err)) {
        g_set_error(errp, HUSK_ERROR, HUSK_EXIT_UNAVAILABLE,
                    "husk exec needs husk-init, next to husk or in %s (or "
                    "HUSK_INIT=PATH): %s",
                    HUSK_LIBEXECDIR, err ? err->message : "not found");
        g_string_free(list, TRUE);
        return NULL;
    }
    if (k->tree) {
        if (!kmod_index_load(&x, k->tree, errp)) {
            kmod_index_clear(&x);
            g_string_free(list, TRUE);
            return NULL;
        }
        for (unsigned i = 0; modules[i]; i++) {
            kmod_resolve(&x, modules[i], files); /* missing: the init says */
        }
        kmod_index_clear(&x);
    }
    g_checksum_update(sum, (const guchar *)init_data, (gssize)init_len);
    for (guint i = 0; i < files->len; i++) {
        g_autofree char *f = g_build_filename(k->tree, files->pdata[i], NULL);
        struct stat st;
        char stamp[96];

        if (stat(f, &st) < 0) {
            g_set_error(errp, HUSK_ERROR, HUSK_EXIT_NOINPUT, "%s: %s", f,
                        g_strerror(errno));
            g_string_free(list, TRUE);
            return NULL;
        }
        snprintf(stamp, sizeof(stamp), "%lld.%ld.%lld", (long long)st.st_size,
                 (long)st.st_mtim.tv_sec, (long long)st.st_ino);
        g_checksum_update(sum, (const guchar *)f, -1);
        g_checksum_update(sum, (const guchar *)stamp, -1);
    }
    key = g_strndup(g_checksum_get_string(sum), 16);
    dir = cache_dir("exec");
    path = g_strdup_printf("%s/initramfs-%s.cpio", dir, key);
    if (g_file_get_contents(path, &cached, &cached_len, NULL)) {
        g_string_free(list, TRUE);
        return g_bytes_new_take(g_steal_pointer(&cached), cached_len);
    }
    cpio_init(&c);
    cpio_dir(&c, "dev", S_IFDIR | 0755);
    cpio_node(&c, "dev/console", S_IFCHR | 0600, 5, 1);
    cpio_dir(&c, "proc", S_IFDIR | 0755);
    cpio_dir(&c, "sys", S_IFDIR | 0755);
    cpio_dir(&c, "etc", S_IFDIR | 0755);
    cpio_dir(&c, "lib", S_IFDIR | 0755);
    cpio_dir(&c, EXEC_MODULES_DIR + 1, S_IFDIR | 0755);
    cpio_file(&c, "init", S_IFREG | 0755, init_data, init_len);
    for (guint i = 0; i < files->len; i++) {
        g_autofree char *f = g_build_filename(k->tree, files->pdata[i], NULL);
        g_autofree char *base = g_path_get_basename(files->pdata[i]);
        g_autofree char *name =
            g_build_filename(EXEC_MODULES_DIR + 1, base, NULL);
        g_autofree char *data = NULL;
        gsize len;

        if (!g_file_get_contents(f, &data, &len, &err)) {
            g_set_error(errp, HUSK_ERROR, HUSK_EXIT_NOINPUT, "%s",
                        err->message);
            g_byte_array_free(cpio_finish(&c), TRUE);
            g_string_free(list, TRUE);
            return NULL;
        }
        cpio_file(&c, name, S_IFREG | 0644, data, len);
        g_string_append_printf(list, "%s\n", base);
    }
    cpio_file(&c, EXEC_MODULES_PATH + 1, S_IFREG | 0644, list->str, list->len);
    g_string_free(list, TRUE);
    out = cpio_finish(&c);
    /* Cached for the next run; a cache that cannot be written only costs
     * time. */
    g_mkdir_with_parents(dir, 0755);
    g_file_set_contents(path, (const char *)out->data, out->len, NULL);
    return g_byte_array_free_to_bytes(out);
}

void exec_kernel_clear(struct exec_kernel *k)
{
    g_free(k->path);
    g_free(k->release);
    g_free(k->tree);
    g_free(k->config);
    memset(k, 0, sizeof(*k));
}
