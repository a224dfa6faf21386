/*
 * main.c: husk's command line.  Parses options, reports a bad one in one
 * line with a documented exit status (error.h), and hands over to vm.c.
 *
 *   husk run [OPTIONS]   boot a guest
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
#include "vmm/timeline.h"
#include "lib/util.h"
#include "vmm/vm.h"

#define DEFAULT_MEM (256 * MiB)
#define DEFAULT_CMDLINE "console=ttyS0"
#define MIN_MEM (8 * MiB)
#define MAX_MEM (1ULL << 40) /* 1 TiB */

static const char usage_run[] =
    "Usage: husk run --kernel FILE [OPTIONS]\n"
    "Boot a Linux kernel (bzImage or PVH ELF vmlinux) or any PVH ELF.\n"
    "\n"
    "  -k, --kernel FILE        kernel image (bzImage, or ELF with a PVH "
    "note)\n"
    "  -i, --initrd FILE        initial ramdisk\n"
    "  -p, --cmdline STRING     kernel command line (alias: --append;\n"
    "                           default \"console=ttyS0\")\n"
    "  -c, --cpus N             number of vCPUs (default 1)\n"
    "  -m, --memory SIZE[,hugepages=on][,prefault=on][,dump=on]\n"
    "                           guest memory, e.g. 512M, 2G (default 256M;\n"
    "                           a plain number means MiB); hugepages=on\n"
    "                           backs it with 2 MiB huge pages (reserved in\n"
    "                           /proc/sys/vm/nr_hugepages), prefault=on\n"
    "                           touches all of it before the guest starts;\n"
    "                           dump=on keeps it in husk's core dumps\n"
    "                           (left out by default)\n"
    "  -d, --disk PATH[,ro][,aio=io_uring|sync]\n"
    "                           a virtio-blk disk (raw image or block "
    "device);\n"
    "                           repeatable: /dev/vda, /dev/vdb, ...; I/O\n"
    "                           through io_uring when the host allows it\n"
    "                           (see 'husk check'), else preadv/pwritev\n"
    "      --console serial|virtio  where terminal input goes: the UART\n"
    "                           (ttyS0, default) or virtio-console (hvc0;\n"
    "                           default cmdline then console=ttyS0\n"
    "                           console=hvc0)\n"
    "      --net user[,hostfwd=[tcp|udp]:[ADDR]:PORT-[GADDR]:GPORT]...\n"
    "                [,restrict=on][,ipv6=off][,mac=MAC][,mtu=N]\n"
    "                           a virtio-net NIC on user-mode networking\n"
    "                           (no root: DHCP 10.0.2.15, DNS 10.0.2.3, the\n"
    "                           host's loopback at 10.0.2.2); hostfwd binds\n"
    "                           127.0.0.1 unless ADDR is given; MTU\n"
    "                           32768 unless mtu= (1280..65521)\n"
    "      --net tap=NAME[,mac=MAC][,mtu=N] | --net tap,fd=N[,...]\n"
    "                           a virtio-net NIC on a TAP device; repeat\n"
    "                           --net for more NICs (eth0, eth1, ...)\n"
    "      --no-rng             no virtio-rng device (by default the guest\n"
    "                           gets one, fed from getrandom(2))\n"
    "      --rng-rate BYTES     limit it to BYTES per second (e.g. 4K)\n"
    "      --timeout SECONDS    stop the VM after SECONDS (exit status 124)\n"
    "      --boot-timeline[=FILE]  at exit, print when each boot phase and\n"
    "                           guest marker happened (port 0x3f0 or MMIO\n"
    "                           0xc0000000, Firecracker's; port 0x80, Cloud\n"
    "                           Hypervisor's) and husk's CPU time; also\n"
    "                           as JSON to FILE\n"
    "      --no-sandbox         run without the sandbox (seccomp filters per\n"
    "                           thread, Landlock, no_new_privs, rlimits;\n"
    "                           see 'husk check'): for debugging only\n"
    "      --virtio-cmdline     also announce virtio-mmio devices with\n"
    "                           virtio_mmio.device= (kernels without ACPI)\n"
    "  -h, --help               this help\n"
    "      --version            husk's version\n"
    "\n"
    "The guest's serial console (ttyS0) is this terminal; Ctrl-A x quits.\n"
    "Exit status: 0 guest powered off or rebooted; the byte the guest wrote\n"
    "to I/O port 0xf4; 120 guest kernel panic; 124 timeout; 64 bad option;\n"
    "65 bad kernel or initrd file; 66 file not readable; 69 KVM unavailable;\n"
    "70 KVM failed to run the guest; 71 host out of resources;\n"
    "73 --boot-timeline file cannot be written;\n"
    "159 husk made a system call its sandbox forbids (the message names it);\n"
    "128+N killed by signal N.\n";

static const char usage_top[] =
    "Usage: husk COMMAND [OPTIONS]\n"
    "\n"
    "Commands:\n"
    "  run      boot a virtual machine (husk run --help)\n"
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
    int status;

    memset(&cfg, 0, sizeof(cfg));
    status = run_with(argc, argv, &cfg);
    for (unsigned i = 0; i < cfg.nr_disks; i++) {
        g_free(cfg.disks[i].path);
    }
    for (unsigned i = 0; i < cfg.nr_nets; i++) {
        cli_net_config_clear(&cfg.nets[i]);
    }
    return status;
}

static int run_with(int argc, char **argv, struct vm_config *cfgp)
{
    enum {
        OPT_TIMEOUT = 256,
        OPT_VERSION,
        OPT_VIRTIO_CMDLINE,
        OPT_RNG,
        OPT_NO_RNG,
        OPT_RNG_RATE,
        OPT_CONSOLE,
        OPT_NET,
        OPT_TIMELINE,
        OPT_NO_SANDBOX
    };
    static const struct option opts[] = {
        {"kernel", required_argument, NULL, 'k'},
        {"initrd", required_argument, NULL, 'i'},
        {"cmdline", required_argument, NULL, 'p'},
        {"append", required_argument, NULL, 'p'},
        {"cpus", required_argument, NULL, 'c'},
        {"memory", required_argument, NULL, 'm'},
        {"timeout", required_argument, NULL, OPT_TIMEOUT},
        {"virtio-cmdline", no_argument, NULL, OPT_VIRTIO_CMDLINE},
        {"disk", required_argument, NULL, 'd'},
        {"rng", no_argument, NULL, OPT_RNG},
        {"no-rng", no_argument, NULL, OPT_NO_RNG},
        {"console", required_argument, NULL, OPT_CONSOLE},
        {"net", required_argument, NULL, OPT_NET},
        {"rng-rate", required_argument, NULL, OPT_RNG_RATE},
        {"boot-timeline", optional_argument, NULL, OPT_TIMELINE},
        {"no-sandbox", no_argument, NULL, OPT_NO_SANDBOX},
        {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, OPT_VERSION},
        {0},
    };
    /* What is parsed into *cfg (disk paths) is freed by cmd_run. */
    struct vm_config *cfg = cfgp;
    g_autoptr(GError) err = NULL;
    struct vm vm;
    int c, status;
    char *end;
    bool cmdline_given = false;
    int timeline_fd = -1;

    cfg->cpus = 1;
    cfg->mem = DEFAULT_MEM;
    cfg->console_in = STDIN_FILENO;
    cfg->console_out = STDOUT_FILENO;
    cfg->cmdline = DEFAULT_CMDLINE;
    /* On by default: it costs nothing measurable at boot
     * (docs/benchmarks.md) and seeds the guest's entropy pool early. */
    cfg->rng = true;
    /* HUSK_SANDBOX=log: for checking the allow-lists (sandbox.h). */
    cfg->sandbox =
        !g_strcmp0(g_getenv("HUSK_SANDBOX"), "log") ? SANDBOX_LOG : SANDBOX_ON;
    opterr = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, ":k:i:p:c:m:d:h", opts, NULL)) != -1) {
        switch (c) {
        case 'k':
            cfg->kernel = optarg;
            break;
        case 'i':
            cfg->initrd = optarg;
            break;
        case 'p':
            cfg->cmdline = optarg;
            cmdline_given = true;
            break;
        case 'c':
            if (!cli_parse_uint(optarg, &cfg->cpus) || cfg->cpus == 0) {
                return fail(HUSK_EXIT_USAGE,
                            "--cpus '%s': expected a whole number >= 1",
                            optarg);
            }
            break;
        case 'm': {
            g_auto(GStrv) parts = g_strsplit(optarg, ",", -1);

            if (!parts[0] || !cli_parse_size(parts[0], &cfg->mem)) {
                return fail(HUSK_EXIT_USAGE,
                            "--memory '%s': expected a size such as 512M "
                            "or 2G",
                            optarg);
            }
            for (int i = 1; parts[i]; i++) {
                bool ok = false;

                if (g_str_has_prefix(parts[i], "hugepages=")) {
                    ok = cli_parse_onoff(parts[i] + 10, &cfg->mem_hugepages);
                } else if (g_str_has_prefix(parts[i], "prefault=")) {
                    ok = cli_parse_onoff(parts[i] + 9, &cfg->mem_prefault);
                } else if (g_str_has_prefix(parts[i], "dump=")) {
                    ok = cli_parse_onoff(parts[i] + 5, &cfg->mem_dump);
                }
                if (!ok) {
                    return fail(HUSK_EXIT_USAGE,
                                "--memory '%s': expected SIZE[,hugepages=on|"
                                "off][,prefault=on|off][,dump=on|off]",
                                optarg);
                }
            }
            if (cfg->mem_hugepages && cfg->mem % (2 * MiB)) {
                return fail(HUSK_EXIT_USAGE,
                            "--memory '%s': with hugepages=on, a multiple "
                            "of 2M",
                            optarg);
            }
            if (cfg->mem < MIN_MEM || cfg->mem > MAX_MEM) {
                return fail(HUSK_EXIT_USAGE,
                            "--memory '%s': must be between 8M and 1T", optarg);
            }
            if (cfg->mem % (4 * KiB)) {
                return fail(HUSK_EXIT_USAGE,
                            "--memory '%s': must be a multiple of 4K", optarg);
            }
            break;
        }
        case OPT_TIMEOUT:
            errno = 0;
            cfg->timeout = strtod(optarg, &end);
            if (errno || end == optarg || *end || !(cfg->timeout > 0) ||
                cfg->timeout > 1e7) {
                return fail(HUSK_EXIT_USAGE,
                            "--timeout '%s': expected a number of seconds "
                            "> 0",
                            optarg);
            }
            break;
        case 'd':
            if (cfg->nr_disks >= VM_MAX_DISKS) {
                return fail(HUSK_EXIT_USAGE, "--disk: at most %d disks",
                            VM_MAX_DISKS);
            }
            if (!cli_parse_disk(optarg, &cfg->disks[cfg->nr_disks].path,
                                &cfg->disks[cfg->nr_disks].read_only,
                                &cfg->disks[cfg->nr_disks].engine)) {
                return fail(HUSK_EXIT_USAGE,
                            "--disk '%s': expected "
                            "PATH[,ro][,aio=io_uring|sync]",
                            optarg);
            }
            cfg->nr_disks++;
            break;
        case OPT_RNG:
            cfg->rng = true;
            break;
        case OPT_NO_RNG:
            cfg->rng = false;
            break;
        case OPT_NET: {
            g_autofree char *why = NULL;

            if (cfg->nr_nets >= VM_MAX_NICS) {
                return fail(HUSK_EXIT_USAGE, "--net: at most %d NICs",
                            VM_MAX_NICS);
            }
            if (!cli_parse_net(optarg, cfg->nr_nets, &cfg->nets[cfg->nr_nets],
                               &why)) {
                return fail(HUSK_EXIT_USAGE, "--net '%s': %s", optarg, why);
            }
            cfg->nr_nets++;
            break;
        }
        case OPT_CONSOLE:
            if (!strcmp(optarg, "virtio")) {
                cfg->virtio_console = true;
            } else if (!strcmp(optarg, "serial")) {
                cfg->virtio_console = false;
            } else {
                return fail(HUSK_EXIT_USAGE,
                            "--console '%s': expected serial or virtio",
                            optarg);
            }
            break;
        case OPT_RNG_RATE:
            /* A size without suffix means bytes here, not MiB. */
            if (!cli_parse_size(optarg, &cfg->rng_rate) || !cfg->rng_rate) {
                return fail(HUSK_EXIT_USAGE,
                            "--rng-rate '%s': expected bytes per second, "
                            "e.g. 4K",
                            optarg);
            }
            if (strspn(optarg, "0123456789") == strlen(optarg)) {
                cfg->rng_rate = strtoull(optarg, NULL, 10);
            }
            break;
        case OPT_VIRTIO_CMDLINE:
            cfg->virtio_cmdline = true;
            break;
        case OPT_NO_SANDBOX:
            cfg->sandbox = SANDBOX_OFF;
            break;
        case OPT_TIMELINE:
            tl_enable();
            if (optarg) {
                int fd;

                if (!*optarg) {
                    return fail(HUSK_EXIT_USAGE,
                                "--boot-timeline=: expected a file name");
                }
                /* Now, not after the boot: a bad path is a usage error
                 * before anything runs. */
                fd = open(optarg, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
                          0644);
                if (fd < 0) {
                    return fail(HUSK_EXIT_CANTCREAT, "--boot-timeline=%s: %s",
                                optarg, g_strerror(errno));
                }
                /* Kept open: the sandbox lets husk open nothing later. */
                if (timeline_fd >= 0) {
                    close(timeline_fd);
                }
                timeline_fd = fd;
            }
            break;
        case 'h':
            fputs(usage_run, stdout);
            return 0;
        case OPT_VERSION:
            printf("husk %s\n", HUSK_VERSION);
            return 0;
        case ':':
            return fail(HUSK_EXIT_USAGE, "option '%s' needs a value",
                        argv[optind - 1]);
        default:
            return fail(HUSK_EXIT_USAGE,
                        "unknown option '%s' (see husk run --help)",
                        argv[optind - 1]);
        }
    }
    if (optind < argc) {
        return fail(HUSK_EXIT_USAGE, "unexpected argument '%s'", argv[optind]);
    }
    if (cfg->rng_rate && !cfg->rng) {
        return fail(HUSK_EXIT_USAGE,
                    "--rng-rate with --no-rng: there is no "
                    "rng device to limit");
    }
    if (cfg->virtio_console && !cmdline_given) {
        /* Kernel messages on both; /dev/console (init's shell) on hvc0. */
        cfg->cmdline = "console=ttyS0 console=hvc0";
    }
    if (!cfg->kernel) {
        return fail(HUSK_EXIT_USAGE,
                    "no kernel given: husk run --kernel FILE (see --help)");
    }
    if (kvm_backing() == KVM_BACKING_PVM &&
        g_file_test(kvm_device_path(), G_FILE_TEST_EXISTS)) {
        g_printerr(
            "husk: warning: /dev/kvm here is PVM (software-backed): "
            "tiny guests run, Linux kernels cannot boot "
            "(see 'husk check')\n");
    }
    if (!vm_create(&vm, cfg, &err)) {
        vm_destroy(&vm);
        return fail(err->code, "%s", err->message);
    }
    status = vm_run(&vm);
    if (tl_enabled()) {
        tl_print(stderr);
        if (timeline_fd >= 0 &&
            !tl_write_json(timeline_fd, vm_exit_reason_name(vm.exit_reason),
                           status, &err)) {
            g_printerr("husk: %s\n", err->message);
        }
    }
    if (timeline_fd >= 0) {
        close(timeline_fd);
    }
    vm_destroy(&vm);
    return status;
}

static int cmd_check(void)
{
    g_autoptr(GError) err = NULL;
    enum kvm_backing b = kvm_backing();
    struct kvm k;
    bool ok;
    static const struct {
        long cap;
        const char *name;
    } caps[] = {
        {KVM_CAP_IRQCHIP, "IRQCHIP"},
        {KVM_CAP_USER_MEMORY, "USER_MEMORY"},
        {KVM_CAP_EXT_CPUID, "EXT_CPUID"},
        {KVM_CAP_IMMEDIATE_EXIT, "IMMEDIATE_EXIT"},
        {KVM_CAP_IOEVENTFD, "IOEVENTFD"},
        {KVM_CAP_IRQFD, "IRQFD"},
        {KVM_CAP_X2APIC_API, "X2APIC_API"},
        {KVM_CAP_TSC_DEADLINE_TIMER, "TSC_DEADLINE_TIMER"},
    };

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
        g_autofree char *helper = net_user_helper_path();
        g_autofree char *out = NULL;
        const char *argv[] = {helper, "--version", NULL};

        if (helper &&
            g_spawn_sync(NULL, (char **)argv, NULL, G_SPAWN_STDERR_TO_DEV_NULL,
                         NULL, NULL, &out, NULL, NULL, NULL) &&
            out) {
            g_strchomp(out);
            printf("user networking:  %s (%s)\n", helper, out);
        } else {
            printf(
                "user networking:  unavailable: husk-slirp not found "
                "(--net user needs it; set HUSK_SLIRP=PATH)\n");
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
    for (unsigned i = 0; i < G_N_ELEMENTS(caps); i++) {
        printf(" %s=%s", caps[i].name,
               kvm_check_extension(&k, caps[i].cap) > 0 ? "yes" : "no");
    }
    printf("\n");
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
    if (!strcmp(argv[1], "check")) {
        return cmd_check();
    }
    if (!strcmp(argv[1], "bench")) {
        return cmd_bench(argc - 1, argv + 1);
    }
    return fail(HUSK_EXIT_USAGE, "unknown command '%s' (try husk --help)",
                argv[1]);
}
