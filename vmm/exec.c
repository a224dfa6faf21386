/*
 * exec.c: husk exec (see exec.h): the options (config.c), the kernel and
 * initramfs (exec_kernel.c), the run's description for the guest's init,
 * the shares, and what the VM's end means for husk's exit status.
 */
#define G_LOG_DOMAIN "husk"
#include "vmm/exec.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/cpio.h"
#include "lib/error.h"
#include "lib/exec_proto.h"
#include "vmm/config.h"
#include "vmm/exec_kernel.h"
#include "vmm/kvm.h"
#include "vmm/run.h"
#include "vmm/vm.h"

/* Lines of the kernel's log shown when the guest did not get as far as
 * COMMAND's end. */
#define EXEC_TAIL_LINES 40

/* The environment COMMAND gets: these of the caller's, then --env. */
static const char *const passed_env[] = {"PATH", "HOME", "TERM", "LANG",
                                         "USER"};

static const char *failure_text(int code)
{
    static const char *const text[EXEC_FAIL_MAX + 1] = {
        [EXEC_FAIL_SPEC] = "husk-init could not read the run's description",
        [EXEC_FAIL_DEVTMPFS] =
            "the guest kernel has no devtmpfs "
            "(CONFIG_DEVTMPFS)",
        [EXEC_FAIL_VIRTIO] =
            "the guest kernel found no virtio device "
            "(CONFIG_VIRTIO_MMIO, and ACPI or "
            "virtio_mmio.device=)",
        [EXEC_FAIL_VIRTIOFS] =
            "the guest kernel has no virtio-fs "
            "(CONFIG_VIRTIO_FS)",
        [EXEC_FAIL_ROOT] =
            "the guest could not mount the host's root over "
            "virtio-fs",
        [EXEC_FAIL_OVERLAY] =
            "the guest kernel has no overlayfs "
            "(CONFIG_OVERLAY_FS)",
        [EXEC_FAIL_PORTS] =
            "the guest kernel has no virtio-console ports "
            "(CONFIG_VIRTIO_CONSOLE)",
        [EXEC_FAIL_SETUP] = "the guest's setup failed",
    };

    return code > 0 && code <= EXEC_FAIL_MAX && text[code]
               ? text[code]
               : "the guest's init failed";
}

static void print_tail(struct vm *vm, const char *why)
{
    g_autofree char *t = console_tail(&vm->console, EXEC_TAIL_LINES);

    if (*t) {
        g_printerr("husk exec: %s; the kernel's last lines:\n%s", why, t);
    } else {
        g_printerr("husk exec: %s; the kernel printed nothing\n", why);
    }
}

/* A panic's report starts where the trouble does, often more than
 * EXEC_TAIL_LINES back (a long trace): from the first line of all that
 * is kept that opens an oops or a panic, to the end. */
static void print_panic(struct vm *vm)
{
    static const char *const opens[] = {"BUG:", "Oops:", "general protection",
                                        "sysrq: Trigger", "Kernel panic"};
    g_autofree char *all = console_tail(&vm->console, UINT_MAX);
    const char *from = NULL;

    for (unsigned i = 0; i < G_N_ELEMENTS(opens); i++) {
        const char *p = strstr(all, opens[i]);

        if (p && (!from || p < from)) {
            from = p;
        }
    }
    if (!from) {
        print_tail(vm, "the guest kernel panicked");
        return;
    }
    while (from > all && from[-1] != '\n') {
        from--;
    }
    g_printerr(
        "husk exec: the guest kernel panicked; the kernel's lines "
        "from the trouble on:\n%s",
        from);
}

/* What the VM's end means: COMMAND's status once it ran, else why the
 * guest never got there. */
static int exec_after(struct vm *vm, int status, void *opaque)
{
    bool started = __atomic_load_n(&vm->exec_started, __ATOMIC_ACQUIRE);
    g_autofree char *tail = NULL;

    switch (vm->exit_reason) {
    case VM_EXIT_PORT:
        if (started) {
            return status;
        }
        print_tail(vm, failure_text(status));
        g_printerr("husk exec: %s\n", failure_text(status));
        return HUSK_EXIT_EXEC_GUEST;
    case VM_EXIT_PANIC:
        print_panic(vm);
        return HUSK_EXIT_GUEST_PANIC;
    case VM_EXIT_TIMEOUT:
        print_tail(vm, started ? "COMMAND timed out"
                               : "the guest timed out before COMMAND ran");
        return HUSK_EXIT_TIMEOUT;
    case VM_EXIT_RESET:
    case VM_EXIT_POWEROFF:
        /* panic=-1: a panic without pvpanic's driver (not loaded yet, or
         * not in this kernel) is a reboot.  Its first line may be more
         * than EXEC_TAIL_LINES back (a long trace): all that is kept. */
        tail = console_tail(&vm->console, UINT_MAX);
        if (strstr(tail, "Kernel panic")) {
            print_panic(vm);
            return HUSK_EXIT_GUEST_PANIC;
        }
        if (started) {
            return 0; /* COMMAND itself rebooted or powered off */
        }
        print_tail(vm, "the guest ended before COMMAND ran");
        return HUSK_EXIT_EXEC_GUEST;
    default:
        return status;
    }
}

static void record(GString *s, const char *key, const char *value)
{
    g_string_append_printf(s, "%s=", key);
    g_string_append_len(s, value, (gssize)strlen(value) + 1);
}

/* EXEC_SPEC_PATH: what the init does (lib/exec_proto.h). */
static GString *spec_of(const struct vm_config *cfg, bool modules_share)
{
    GString *s = g_string_new(NULL);
    g_autofree char *cwd = g_get_current_dir();
    char num[32];

    for (char **a = cfg->exec.argv; *a; a++) {
        record(s, "arg", *a);
    }
    for (unsigned i = 0; i < G_N_ELEMENTS(passed_env); i++) {
        const char *v = g_getenv(passed_env[i]);
        g_autofree char *e = NULL;

        if (!v && !strcmp(passed_env[i], "PATH")) {
            v = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
        }
        if (v) {
            e = g_strdup_printf("%s=%s", passed_env[i], v);
            record(s, "env", e);
        }
    }
    for (unsigned i = 0; i < cfg->exec.nr_env; i++) {
        record(s, "env", cfg->exec.env[i]);
    }
    record(s, "cwd", cwd);
    snprintf(num, sizeof(num), "%u", (unsigned)getuid());
    record(s, "uid", num);
    snprintf(num, sizeof(num), "%u", (unsigned)getgid());
    record(s, "gid", num);
    if (cfg->nr_nets && cfg->nets[0].kind == VM_NET_USER) {
        record(s, "net", "1");
    }
    for (unsigned i = 0; i < cfg->nr_shares; i++) {
        const struct vm_share_config *sh = &cfg->shares[i];
        g_autofree char *m = NULL;

        if (!sh->guest_path) {
            continue; /* husk's own: the root, the modules */
        }
        m = g_strdup_printf("%s:%s%s", sh->tag, sh->guest_path,
                            sh->read_only ? ":ro" : "");
        record(s, "mount", m);
    }
    if (modules_share) {
        record(s, "modules", EXEC_MODULES_TAG);
    }
    return s;
}

static bool add_own_share(struct vm_config *cfg,
                          const char *dir,
                          const char *tag,
                          GError **errp)
{
    struct vm_share_config *sh;

    if (cfg->nr_shares >= VM_MAX_SHARES) {
        g_set_error(errp, HUSK_ERROR, HUSK_EXIT_USAGE,
                    "husk exec: at most %d --share and --rw directories",
                    VM_MAX_SHARES - 2);
        return false;
    }
    sh = &cfg->shares[cfg->nr_shares++];
    sh->spec = dir;
    sh->opt = "husk exec";
    sh->dir = g_strdup(dir);
    sh->tag = g_strdup(tag);
    sh->read_only = true;
    return true;
}

static int exec_with(int argc, char **argv, struct vm_config *cfg)
{
    static const char *const base_mods[] = {
        "virtio_mmio", "virtio_console", "virtiofs", "overlay", "pvpanic_mmio",
    };
    const char *mods[G_N_ELEMENTS(base_mods) + 4];
    g_autoptr(GError) err = NULL;
    g_autoptr(GBytes) base = NULL;
    g_autoptr(GByteArray) initrd = NULL;
    g_autofree char *cmdline = NULL;
    struct exec_kernel k;
    enum config_action action;
    unsigned nm = 0, user_shares;
    GString *spec;
    struct cpio c;
    int status;

    if (!config_parse_exec(argc, argv, cfg, &action, &err)) {
        g_printerr("husk: %s\n", err->message);
        return err->code;
    }
    if (action == CONFIG_HELP) {
        fputs(config_exec_usage, stdout);
        return 0;
    }
    if (action == CONFIG_VERSION) {
        printf("husk %s\n", HUSK_VERSION);
        return 0;
    }
    if (kvm_backing() == KVM_BACKING_PVM) {
        /* Its guest is always Linux, which PVM cannot run: the vCPU
         * would spin in software for minutes before KVM gives up. */
        g_printerr(
            "husk exec: this host's /dev/kvm is PVM (software-backed), "
            "which cannot boot a Linux kernel (see 'husk check')\n");
        return HUSK_EXIT_UNAVAILABLE;
    }
    if (geteuid() != 0) {
        g_printerr(
            "husk exec: needs root: virtiofsd shares / read-only from a "
            "mount namespace and a chroot of its own (Debian's virtiofsd has "
            "no unprivileged mode)\n");
        return HUSK_EXIT_UNAVAILABLE;
    }
    if (!exec_kernel_find(cfg->kernel, cfg->exec.modules, &k, &err) ||
        !exec_kernel_check(&k, &err)) {
        g_printerr("husk exec: %s\n", err->message);
        exec_kernel_clear(&k);
        return err->code;
    }
    cfg->kernel = k.path;
    for (unsigned i = 0; i < G_N_ELEMENTS(base_mods); i++) {
        mods[nm++] = base_mods[i];
    }
    if (cfg->nr_nets) {
        mods[nm++] = "virtio_net";
    }
    if (cfg->nr_disks) {
        mods[nm++] = "virtio_blk";
    }
    if (cfg->rng) {
        mods[nm++] = "virtio_rng";
    }
    mods[nm] = NULL;
    base = exec_initramfs(&k, mods, &err);
    if (!base) {
        g_printerr("husk exec: %s\n", err->message);
        exec_kernel_clear(&k);
        return err->code;
    }
    /* The user's shares appear at their own paths in the guest. */
    user_shares = cfg->nr_shares;
    for (unsigned i = 0; i < user_shares; i++) {
        char *real = realpath(cfg->shares[i].dir, NULL);

        if (!real) {
            g_printerr("husk exec: %s: %s\n", cfg->shares[i].spec,
                       g_strerror(errno));
            exec_kernel_clear(&k);
            return HUSK_EXIT_NOINPUT;
        }
        cfg->shares[i].guest_path = real;
    }
    if (!add_own_share(cfg, "/", EXEC_ROOT_TAG, &err) ||
        (k.tree && !k.tree_is_hosts &&
         !add_own_share(cfg, k.tree, EXEC_MODULES_TAG, &err))) {
        g_printerr("husk: %s\n", err->message);
        exec_kernel_clear(&k);
        return err->code;
    }
    spec = spec_of(cfg, k.tree && !k.tree_is_hosts);
    cpio_init(&c);
    cpio_file(&c, EXEC_SPEC_PATH + 1, S_IFREG | 0600, spec->str, spec->len);
    g_string_free(spec, TRUE);
    {
        GByteArray *tail = cpio_finish(&c);

        /* The cached archive, then this run's: the kernel unpacks both. */
        initrd = g_byte_array_new();
        g_byte_array_append(initrd, g_bytes_get_data(base, NULL),
                            (guint)g_bytes_get_size(base));
        g_byte_array_append(initrd, tail->data, tail->len);
        g_byte_array_free(tail, TRUE);
    }
    cfg->initrd_data = initrd->data;
    cfg->initrd_data_len = initrd->len;
    cmdline = g_strdup_printf("console=ttyS0 panic=-1 rdinit=/init%s%s%s",
                              cfg->exec.verbose ? "" : " quiet",
                              cfg->cmdline ? " " : "",
                              cfg->cmdline ? cfg->cmdline : "");
    cfg->cmdline = cmdline;
    cfg->virtio_cmdline |= !k.acpi;
    cfg->exec_ports = true;
    cfg->console_in = -1;
    cfg->console_out = cfg->exec.verbose ? STDERR_FILENO : -1;
    cfg->keep_console_tail = true;
    status = run_vm(cfg, exec_after, NULL);
    cfg->kernel = NULL;
    exec_kernel_clear(&k);
    return status;
}

int exec_main(int argc, char **argv)
{
    struct vm_config cfg;
    int status = exec_with(argc, argv, &cfg);

    config_clear(&cfg);
    return status;
}
