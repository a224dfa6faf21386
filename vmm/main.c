/*
 * main.c: husk's subcommands.  `run` has its options parsed into a typed
 * configuration (config.c), reports a bad one in one line with a
 * documented exit status (lib/error.h), and hands over to vm.c.
 *
 *   husk run [OPTIONS]   boot a guest
 *   husk exec [OPTIONS] [--] COMMAND...
 *                        COMMAND in a guest on the host's root (exec.c)
 *   husk restore DIR     a VM resumed from a snapshot (restore.c)
 *   husk ctl SOCKET CMD  the control socket's client (husk-api)
 *   husk check           what this host's KVM can do
 *   husk bench boot ...  boot time against QEMU and containers (runs the
 *                        husk-bench script that comes with husk)
 */
#define G_LOG_DOMAIN "husk"
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "devices/backend/net_user.h"
#include "vmm/cli.h"
#include "lib/error.h"
#include "vmm/kvm.h"
#include "lib/log.h"
#include "lib/paths.h"
#include "vmm/sandbox.h"
#include "vmm/qsd.h"
#include "vmm/restore.h"
#include "vmm/run.h"
#include "vmm/exec.h"
#include "vmm/user_net.h"
#include "vmm/timeline.h"
#include "vmm/virtiofsd.h"
#include "lib/util.h"
#include "vmm/vm.h"

static const char usage_top[] =
    "Usage: husk COMMAND [OPTIONS]\n"
    "\n"
    "Commands:\n"
    "  run      boot a virtual machine (husk run --help)\n"
    "  exec     run a command in a VM on this host's root file system\n"
    "           (husk exec --help)\n"
    "  restore  resume a VM from a snapshot (husk restore --help)\n"
    "  ctl      husk ctl SOCKET COMMAND [DIR]: the control socket's client\n"
    "           (query-status, pause, resume, snapshot DIR, powerdown,\n"
    "           quit)\n"
    "  check    report what this host's /dev/kvm can do\n"
    "  bench    benchmarks: husk bench boot --help\n"
    "\n"
    "  -h, --help     this help\n"
    "      --version  husk's version\n";

static int fail(int status, const char *fmt, ...) G_GNUC_PRINTF(2, 3);

static int fail(int status, const char *fmt, ...)
{
    va_list ap;

    fputs("husk: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    return status;
}

static int run_with(int argc, char **argv, struct vm_config *cfgp);

static int cmd_run(int argc, char **argv)
{
    struct vm_config cfg;
    int status = run_with(argc, argv, &cfg);

    config_clear(&cfg);
    return status;
}

static int run_with(int argc, char **argv, struct vm_config *cfg)
{
    g_autoptr(GError) err = NULL;
    enum config_action action;

    if (!config_parse_run(argc, argv, cfg, &action, &err)) {
        return fail(err->code, "%s", err->message);
    }
    if (action == CONFIG_HELP) {
        fputs(config_run_usage, stdout);
        return 0;
    }
    if (action == CONFIG_VERSION) {
        printf("husk %s\n", HUSK_VERSION);
        return 0;
    }
    return run_vm(cfg, NULL, NULL);
}

/* The first line `PROGRAM --version` prints, or NULL (no program, or it
 * would not say). */
static char *version_of(const char *program)
{
    const char *argv[] = {program, "--version", NULL};
    g_autofree char *out = NULL;

    if (!program ||
        !g_spawn_sync(NULL, (char **)argv, NULL, G_SPAWN_STDERR_TO_DEV_NULL,
                      NULL, NULL, &out, NULL, NULL, NULL) ||
        !out || !*out) {
        return NULL;
    }
    out[strcspn(out, "\n")] = '\0';
    return g_strdup(out);
}

static int cmd_check(void)
{
    g_autoptr(GError) err = NULL;
    enum kvm_backing b = kvm_backing();
    struct kvm k;
    bool ok;

    printf("husk %s\n", HUSK_VERSION);
    printf("kvm device:       %s\n", kvm_device_path());
    printf("kvm backed by:    %s\n", kvm_backing_name(b));
    {
        const char *why = NULL;
        enum blk_engine e = blk_engine_default(&why);

        printf("disk I/O:         %s%s%s%s\n", blk_engine_name(e),
               why ? " (io_uring unavailable: " : "", why ? why : "",
               why ? ")" : "");
    }
    {
        g_autofree char *helper = unet_program();
        g_autofree char *v = version_of(helper);

        if (v) {
            printf("user networking:  %s (%s)\n", helper, v);
        } else {
            printf(
                "user networking:  unavailable: husk-slirp not found "
                "(--net user needs it; set HUSK_SLIRP=PATH)\n");
        }
    }
    {
        g_autofree char *vfsd = vfsd_program(NULL);
        g_autofree char *v = version_of(vfsd);

        if (v) {
            printf("shared dirs:      %s (%s)\n", vfsd, v);
        } else {
            printf(
                "shared dirs:      unavailable: no virtiofsd (--share needs "
                "it: apt-get install qemu-system-common, or "
                "HUSK_VIRTIOFSD=PATH)\n");
        }
    }
    {
        g_autofree char *qsd = qsd_program();
        g_autofree char *v = version_of(qsd);

        if (v) {
            printf("image formats:    raw; qcow2 and others by %s (%s)\n", qsd,
                   v);
        } else {
            printf(
                "image formats:    raw only: no qemu-storage-daemon (qcow2 "
                "needs it: apt-get install qemu-system-common, or "
                "HUSK_QSD=PATH)\n");
        }
    }
    /* The kernel's vhost devices (--vsock; --net tap's data path). */
    {
        static const struct {
            const char *what, *path, *use, *module;
        } vh[] = {
            {"vsock:            ", "/dev/vhost-vsock", "--vsock CID",
             "vhost_vsock"},
            {"tap data path:    ", "/dev/vhost-net", "vhost-net for --net tap",
             "vhost_net"},
        };

        for (unsigned i = 0; i < G_N_ELEMENTS(vh); i++) {
            int fd = open(vh[i].path, O_RDWR | O_CLOEXEC);

            if (fd >= 0) {
                close(fd);
                printf("%s%s (%s)\n", vh[i].what, vh[i].path, vh[i].use);
            } else {
                int e = errno;

                printf("%sunavailable: %s: %s%s%s%s\n", vh[i].what, vh[i].path,
                       g_strerror(e), e == ENOENT ? " (modprobe " : "",
                       e == ENOENT ? vh[i].module : "", e == ENOENT ? ")" : "");
            }
        }
    }
    if (sandbox_prepare(SANDBOX_ON, ~0u, &err)) {
        int abi = sandbox_landlock_abi();

        printf(
            "sandbox:          seccomp filters (main thread %u system "
            "calls, vCPU threads %u, husk-slirp %u), no_new_privs, %s%s, "
            "RLIMIT_NOFILE; --no-sandbox turns it off\n",
            sandbox_allowed_count(SANDBOX_MAIN),
            sandbox_allowed_count(SANDBOX_VCPU),
            sandbox_allowed_count(SANDBOX_SLIRP),
            abi ? "Landlock ABI " : "no Landlock (not in this kernel)",
            abi ? (const char *[]){"0", "1", "2", "3", "4", "5", "6", "7",
                                   "8+"}[MIN(abi, 8)]
                : "");
    } else {
        printf("sandbox:          unavailable: %s\n", err->message);
        g_clear_error(&err);
    }
    ok = kvm_open(&k, &err);
    if (!ok) {
        printf("kvm:              unusable: %s\n", err->message);
        printf("verdict:          no guest can run on this host\n");
        return HUSK_EXIT_UNAVAILABLE;
    }
    printf("kvm api version:  %d\n", k.api_version);
    printf("max vcpus:        %d\n", k.max_vcpus);
    printf("capabilities:    ");
    for (const struct kvm_cap_name *c = kvm_arch_caps; c->name; c++) {
        printf(" %s=%s", c->name,
               kvm_check_extension(&k, c->cap) > 0 ? "yes" : "no");
    }
    printf("\n");
    if (k.ipa_bits) {
        printf("guest addresses:  %d bits (KVM_CAP_ARM_VM_IPA_SIZE)\n",
               k.ipa_bits);
    }
    kvm_close(&k);
    if (b == KVM_BACKING_PVM) {
        printf(
            "verdict:          tiny guests only: this /dev/kvm emulates "
            "guest kernel code in software; a Linux kernel cannot boot "
            "(use a nested test host: docs/testing.md)\n");
        return 0;
    }
    if (b == KVM_BACKING_HARDWARE) {
        printf("verdict:          Linux guests can boot\n");
    } else {
        printf(
            "verdict:          unknown KVM backing; Linux guests may or "
            "may not boot\n");
    }
    return 0;
}

/* husk ctl SOCKET COMMAND [ARG]: the control socket's client, which is
 * the husk-api helper's (it has the JSON library; husk has none). */
static int cmd_ctl(int argc, char **argv)
{
    g_autofree char *helper = husk_find_program("HUSK_API", "husk-api");
    char **args = g_new0(char *, (size_t)argc + 2);

    if (!helper) {
        return fail(HUSK_EXIT_UNAVAILABLE,
                    "husk ctl: the husk-api helper is not next to husk or in "
                    "%s (set HUSK_API=PATH)",
                    HUSK_LIBEXECDIR);
    }
    args[0] = helper;
    args[1] = "ctl";
    for (int i = 1; i < argc; i++) {
        args[i + 1] = argv[i];
    }
    execv(helper, args);
    return fail(HUSK_EXIT_OSERR, "husk ctl: cannot run %s: %s", helper,
                g_strerror(errno));
}

/* husk bench ...: the husk-bench script, told which husk to measure. */
static int cmd_bench(int argc, char **argv)
{
    g_autofree char *script = husk_find_program("HUSK_BENCH", "husk-bench");
    g_autofree char *self = g_file_read_link("/proc/self/exe", NULL);
    char **args = g_new0(char *, (size_t)argc + 3);

    if (!script) {
        return fail(HUSK_EXIT_UNAVAILABLE,
                    "husk bench: the husk-bench script is not next to husk "
                    "or in %s (set HUSK_BENCH=PATH)",
                    HUSK_LIBEXECDIR);
    }
    if (self && !g_getenv("HUSK_BIN")) {
        g_setenv("HUSK_BIN", self, TRUE);
    }
    args[0] = "sh";
    args[1] = script;
    for (int i = 1; i < argc; i++) {
        args[i + 1] = argv[i];
    }
    execv("/bin/sh", args);
    return fail(HUSK_EXIT_OSERR, "husk bench: cannot run /bin/sh: %s",
                g_strerror(errno));
}

int main(int argc, char **argv)
{
    tl_process_start();
    log_init();
    /* A file-size limit on a disk image must reach the guest as an I/O
     * error (EFBIG), not kill the VM with SIGXFSZ. */
    signal(SIGXFSZ, SIG_IGN);
    /* A reader that went away (husk run ... | head) is EPIPE on the
     * console, which then drops output and keeps the guest up; SIGPIPE
     * would end husk without restoring the terminal. */
    signal(SIGPIPE, SIG_IGN);
    if (argc < 2) {
        fputs(usage_top, stderr);
        return HUSK_EXIT_USAGE;
    }
    if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help") ||
        !strcmp(argv[1], "help")) {
        fputs(usage_top, stdout);
        return 0;
    }
    if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "version")) {
        printf("husk %s\n", HUSK_VERSION);
        return 0;
    }
    if (!strcmp(argv[1], "run")) {
        return cmd_run(argc - 1, argv + 1);
    }
    if (!strcmp(argv[1], "exec")) {
        return exec_main(argc - 1, argv + 1);
    }
    if (!strcmp(argv[1], "ctl")) {
        return cmd_ctl(argc - 1, argv + 1);
    }
    if (!strcmp(argv[1], "restore")) {
        return restore_main(argc - 1, argv + 1);
    }
    if (!strcmp(argv[1], "check")) {
        return cmd_check();
    }
    if (!strcmp(argv[1], "bench")) {
        return cmd_bench(argc - 1, argv + 1);
    }
    return fail(HUSK_EXIT_USAGE, "unknown command '%s' (try husk --help)",
                argv[1]);
}
