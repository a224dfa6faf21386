/*
 * config.c: `husk run`'s command line into a struct vm_config (config.h).
 * Every option is here, each value through its parser in cli.c; the
 * messages name the option and say what was expected.
 */
#include "vmm/config.h"

#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/error.h"
#include "lib/util.h"
#include "vmm/cli.h"

#define DEFAULT_MEM (256 * MiB)
#define DEFAULT_CMDLINE "console=ttyS0"
#define MIN_MEM (8 * MiB)
#define MAX_MEM (1ULL << 40) /* 1 TiB */

const char config_run_usage[] =
    "Usage: husk run --kernel FILE [OPTIONS]\n"
    "Boot a Linux kernel (bzImage or PVH ELF vmlinux) or any PVH ELF.\n"
    "\n"
    "  -k, --kernel FILE        kernel image (bzImage, or ELF with a PVH "
    "note)\n"
    "  -i, --initrd FILE        initial ramdisk\n"
    "  -p, --cmdline STRING     kernel command line (alias: --append;\n"
    "                           default \"console=ttyS0\")\n"
    "  -c, --cpus N             number of vCPUs (default 1)\n"
    "  -m, --memory SIZE[,hugepages=on][,prefault=on][,dump=on][,thp=off]\n"
    "                           guest memory, e.g. 512M, 2G (default 256M;\n"
    "                           a plain number means MiB); hugepages=on\n"
    "                           backs it with 2 MiB huge pages (reserved in\n"
    "                           /proc/sys/vm/nr_hugepages), prefault=on\n"
    "                           touches all of it before the guest starts;\n"
    "                           dump=on keeps it in husk's core dumps;\n"
    "                           thp=off does not ask for transparent huge\n"
    "                           pages (MADV_HUGEPAGE, asked by default)\n"
    "                           (left out by default)\n"
    "  -d, --disk PATH[,ro][,aio=io_uring|sync][,format=FMT]\n"
    "                           a virtio-blk disk (raw image or block "
    "device);\n"
    "                           repeatable: /dev/vda, /dev/vdb, ...; I/O\n"
    "                           through io_uring when the host allows it\n"
    "                           (see 'husk check'), else preadv/pwritev;\n"
    "                           a qcow2 image (found by its content, or\n"
    "                           format=qcow2|qed|vmdk|vdi|vhdx|vpc) is served\n"
    "                           by qemu-storage-daemon, which husk starts\n"
    "      --disk vhost-user=SOCKET[,ro]\n"
    "                           a virtio-blk disk served by a vhost-user-blk\n"
    "                           backend listening on SOCKET\n"
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
    "      --net tap=NAME[,mac=MAC][,mtu=N][,vhost=on|off] | --net "
    "tap,fd=N[,...]\n"
    "                           a virtio-net NIC on a TAP device, its data\n"
    "                           path in the host kernel (vhost-net) when\n"
    "                           /dev/vhost-net can be used (vhost=on: or\n"
    "                           fail; off: husk's own); repeat --net for\n"
    "                           more NICs (eth0, eth1, ...)\n"
    "      --share DIR[,tag=NAME][,ro]\n"
    "                           share the host directory DIR with the guest\n"
    "                           over virtio-fs (virtiofsd, which husk starts\n"
    "                           and stops); the tag defaults to DIR's name\n"
    "                           (\"root\" for /); ro: the guest cannot write;\n"
    "                           the default guest mounts it at /mnt/TAG;\n"
    "                           repeatable\n"
    "      --virtiofsd PATH     the virtiofsd to run (default: "
    "$HUSK_VIRTIOFSD,\n"
    "                           else /usr/lib/qemu/virtiofsd, then\n"
    "                           /usr/libexec/virtiofsd)\n"
    "      --vsock CID          a virtio-vsock device (kernel vhost-vsock)\n"
    "                           with the guest at CID (3..4294967294): host\n"
    "                           programs reach it as AF_VSOCK CID:PORT, it\n"
    "                           reaches the host as CID 2 (docs/vsock.md)\n"
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
    "      --api-socket PATH    a control socket at PATH (JSON, one object a\n"
    "                           line: query-status, pause, resume, snapshot,\n"
    "                           powerdown, quit; docs/api.md); husk ctl\n"
    "                           PATH COMMAND is its client\n"
    "      --snapshot-on [timer:]CODE=DIR[,exit]\n"
    "                           when the guest writes the byte CODE to port\n"
    "                           0x80 (timer: to the boot timer, port 0x3f0),\n"
    "                           write a snapshot of the VM to DIR (husk\n"
    "                           restore DIR resumes it); with exit husk then\n"
    "                           ends (status 0), else the VM goes on\n"
    "      --virtio-cmdline     also announce virtio-mmio devices with\n"
    "                           virtio_mmio.device= (kernels without ACPI)\n"
    "  -h, --help               this help\n"
    "      --version            husk's version\n"
    "\n"
    "The guest's serial console (ttyS0) is this terminal; Ctrl-A x quits.\n"
    "Exit status: 0 guest powered off or rebooted; the byte the guest wrote\n"
    "to I/O port 0xf4; 120 guest kernel panic; 124 timeout; 64 bad option;\n"
    "65 bad kernel or initrd file; 66 file or --share directory not\n"
    "readable; 69 KVM, or a backend (virtiofsd), unavailable;\n"
    "70 KVM failed to run the guest; 71 host out of resources;\n"
    "73 --boot-timeline file cannot be written;\n"
    "159 husk made a system call its sandbox forbids (the message names it);\n"
    "128+N killed by signal N.\n";

const char config_exec_usage[] =
    "Usage: husk exec [OPTIONS] [--] COMMAND [ARGS...]\n"
    "Boot a kernel on this host's own root file system and run COMMAND in\n"
    "it, as you, in your working directory; husk exits with COMMAND's\n"
    "status.  The root is shared read-only over virtio-fs under a tmpfs\n"
    "overlay: COMMAND may write anywhere, and nothing reaches the host but\n"
    "through --rw or --share.  /proc, /sys, /dev, /tmp and /run are the\n"
    "guest's own.  COMMAND's stdin, stdout and stderr are husk's, apart and\n"
    "byte for byte; the kernel's log stays off the terminal unless\n"
    "--verbose, and its last lines are printed if the guest panics, times\n"
    "out or cannot run COMMAND.  Needs root (virtiofsd's sandbox).\n"
    "\n"
    "  -k, --kernel FILE        a bzImage or vmlinux, e.g. a build tree's\n"
    "                           arch/x86/boot/bzImage (default: $HUSK_KERNEL,\n"
    "                           else the default guest's kernel in\n"
    "                           ~/.cache/husk, else /boot/vmlinuz-$(uname "
    "-r))\n"
    "      --modules DIR        the kernel's modules, at /lib/modules/RELEASE\n"
    "                           in the guest: a modules_install tree (or its\n"
    "                           INSTALL_MOD_PATH) or the kernel build tree;\n"
    "                           default: beside the kernel, its build tree,\n"
    "                           or the host's /lib/modules/RELEASE\n"
    "      --rw DIR             DIR writable in the guest, at the same path\n"
    "                           (writes reach the host); repeatable\n"
    "      --share DIR[,tag=NAME][,ro]\n"
    "                           the same, read-only with ro\n"
    "      --env NAME=VALUE     COMMAND's environment also has NAME; it has\n"
    "                           PATH, HOME, TERM, LANG and USER as husk's\n"
    "  -v, --verbose            the kernel's log on stderr\n"
    "  -p, --cmdline STRING     added to the kernel command line\n"
    "  -c, --cpus N, -m, --memory SIZE, -d, --disk ..., --net ...,\n"
    "      --timeout SECONDS, --no-rng, --rng-rate, --virtiofsd PATH,\n"
    "      --boot-timeline[=FILE], --no-sandbox\n"
    "                           as in husk run (see husk run --help);\n"
    "                           --net user sets up eth0 (10.0.2.15)\n"
    "  -h, --help               this help\n"
    "\n"
    "Examples:\n"
    "  husk exec -- uname -r                  the default guest's kernel\n"
    "  husk exec -k ~/linux/arch/x86/boot/bzImage -- ./run-tests\n"
    "                                         a kernel you just built, with\n"
    "                                         its tree's modules\n"
    "  husk exec -k bzImage --modules ~/linux -- modprobe -v my_module\n"
    "                                         a module test\n"
    "\n"
    "Exit status: COMMAND's (126: it cannot run, 127: not found, 128+N:\n"
    "killed by signal N); 120 the guest kernel panicked; 124 --timeout;\n"
    "125 the guest cannot run COMMAND (the line says what the kernel\n"
    "lacks); 64, 65, 66, 69, 70, 71 as in husk run.\n";

static bool usage(GError **errp, const char *fmt, ...) G_GNUC_PRINTF(2, 3);

static bool usage(GError **errp, const char *fmt, ...)
{
    g_autofree char *msg = NULL;
    va_list ap;

    va_start(ap, fmt);
    msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    g_set_error_literal(errp, HUSK_ERROR, HUSK_EXIT_USAGE, msg);
    return false;
}

static bool add_share(struct vm_config *cfg,
                      const char *opt,
                      const char *arg,
                      GError **errp)
{
    struct vm_share_config *sh = &cfg->shares[cfg->nr_shares];
    const char *why = NULL;

    if (cfg->nr_shares >= VM_MAX_SHARES) {
        return usage(errp, "%s: at most %d shares", opt, VM_MAX_SHARES);
    }
    if (!cli_parse_share(arg, &sh->dir, &sh->tag, &sh->read_only, &why)) {
        return usage(errp, "%s '%s': %s", opt, arg, why);
    }
    sh->spec = arg;
    sh->opt = opt;
    cfg->nr_shares++;
    for (unsigned i = 0; i + 1 < cfg->nr_shares; i++) {
        if (!strcmp(cfg->shares[i].tag, sh->tag)) {
            return usage(errp,
                         "%s '%s': tag '%s' is taken by %s '%s' (give "
                         "tag=NAME)",
                         opt, arg, sh->tag, cfg->shares[i].opt,
                         cfg->shares[i].spec);
        }
    }
    if (cfg->exec.argv && g_str_has_prefix(sh->tag, "husk-")) {
        return usage(errp, "%s '%s': tags husk-* are husk exec's own", opt,
                     arg);
    }
    return true;
}

static bool parse_opts(int argc,
                       char **argv,
                       bool exec,
                       struct vm_config *cfg,
                       enum config_action *action,
                       GError **errp);

bool config_parse_run(int argc,
                      char **argv,
                      struct vm_config *cfg,
                      enum config_action *action,
                      GError **errp)
{
    return parse_opts(argc, argv, false, cfg, action, errp);
}

bool config_parse_exec(int argc,
                       char **argv,
                       struct vm_config *cfg,
                       enum config_action *action,
                       GError **errp)
{
    return parse_opts(argc, argv, true, cfg, action, errp);
}

static bool parse_opts(int argc,
                       char **argv,
                       bool exec,
                       struct vm_config *cfg,
                       enum config_action *action,
                       GError **errp)
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
        OPT_NO_SANDBOX,
        OPT_SHARE,
        OPT_VIRTIOFSD,
        OPT_SNAPSHOT_ON,
        OPT_API_SOCKET,
        OPT_VSOCK,
        OPT_MODULES, /* husk exec's own, from here on */
        OPT_RW,
        OPT_ENV,
        OPT_VERBOSE,
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
        {"share", required_argument, NULL, OPT_SHARE},
        {"virtiofsd", required_argument, NULL, OPT_VIRTIOFSD},
        {"snapshot-on", required_argument, NULL, OPT_SNAPSHOT_ON},
        {"api-socket", required_argument, NULL, OPT_API_SOCKET},
        {"vsock", required_argument, NULL, OPT_VSOCK},
        {"modules", required_argument, NULL, OPT_MODULES},
        {"rw", required_argument, NULL, OPT_RW},
        {"env", required_argument, NULL, OPT_ENV},
        {"verbose", no_argument, NULL, OPT_VERBOSE},
        {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, OPT_VERSION},
        {0},
    };
    int c;
    char *end;
    bool cmdline_given = false;

    memset(cfg, 0, sizeof(*cfg));
    *action = CONFIG_RUN;

    cfg->cpus = 1;
    cfg->snapshot_code = -1;
    cfg->run_argv = argv + 1;
    cfg->run_argc = argc - 1;
    cfg->mem = DEFAULT_MEM;
    cfg->mem_thp = true;
    cfg->console_in = STDIN_FILENO;
    cfg->console_out = STDOUT_FILENO;
    cfg->cmdline = DEFAULT_CMDLINE;
    /* On by default: it costs nothing measurable at boot
     * (docs/benchmarks.md) and seeds the guest's entropy pool early. */
    cfg->rng = true;
    cfg->sandbox = config_default_sandbox();
    if (exec) {
        cfg->exec.argv = argv + argc; /* a placeholder until COMMAND */
    }
    opterr = 0;
    optind = 1;
    /* "+": husk exec's options end at COMMAND, whose own are its. */
    while ((c = getopt_long(argc, argv,
                            exec ? "+:k:i:p:c:m:d:hv" : ":k:i:p:c:m:d:h", opts,
                            NULL)) != -1) {
        if (!exec && c >= OPT_MODULES) {
            /* optind is past the option's value when that was separate. */
            return usage(errp, "unknown option '%s' (see husk run --help)",
                         optarg && optarg == argv[optind - 1]
                             ? argv[optind - 2]
                             : argv[optind - 1]);
        }
        if (exec && (c == 'i' || c == OPT_CONSOLE)) {
            return usage(errp,
                         "%s: husk exec makes the initrd and the console "
                         "itself (use husk run)",
                         argv[optind - 1]);
        }
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
                return usage(errp, "--cpus '%s': expected a whole number >= 1",
                             optarg);
            }
            break;
        case 'm': {
            g_auto(GStrv) parts = g_strsplit(optarg, ",", -1);

            if (!parts[0] || !cli_parse_size(parts[0], &cfg->mem)) {
                return usage(errp,
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
                } else if (g_str_has_prefix(parts[i], "thp=")) {
                    ok = cli_parse_onoff(parts[i] + 4, &cfg->mem_thp);
                }
                if (!ok) {
                    return usage(
                        errp,
                        "--memory '%s': expected SIZE[,hugepages=on|"
                        "off][,prefault=on|off][,dump=on|off][,thp=on|off]",
                        optarg);
                }
            }
            if (cfg->mem_hugepages && cfg->mem % (2 * MiB)) {
                return usage(errp,
                             "--memory '%s': with hugepages=on, a multiple "
                             "of 2M",
                             optarg);
            }
            if (cfg->mem < MIN_MEM || cfg->mem > MAX_MEM) {
                return usage(errp, "--memory '%s': must be between 8M and 1T",
                             optarg);
            }
            if (cfg->mem % (4 * KiB)) {
                return usage(errp, "--memory '%s': must be a multiple of 4K",
                             optarg);
            }
            break;
        }
        case OPT_TIMEOUT:
            if (!cli_parse_seconds(optarg, &cfg->timeout)) {
                return usage(errp,
                             "--timeout '%s': expected a number of seconds "
                             "> 0",
                             optarg);
            }
            break;
        case 'd':
            if (cfg->nr_disks >= VM_MAX_DISKS) {
                return usage(errp, "--disk: at most %d disks", VM_MAX_DISKS);
            }
            cfg->disks[cfg->nr_disks].spec = optarg;
            {
                const char *why = NULL;

                if (!cli_parse_disk(optarg, &cfg->disks[cfg->nr_disks], &why)) {
                    return usage(errp, "--disk '%s': %s", optarg, why);
                }
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
                return usage(errp, "--net: at most %d NICs", VM_MAX_NICS);
            }
            if (!cli_parse_net(optarg, cfg->nr_nets, &cfg->nets[cfg->nr_nets],
                               &why)) {
                return usage(errp, "--net '%s': %s", optarg, why);
            }
            cfg->nets[cfg->nr_nets].spec = optarg;
            cfg->nr_nets++;
            break;
        }
        case OPT_SHARE:
            if (!add_share(cfg, "--share", optarg, errp)) {
                return false;
            }
            break;
        case OPT_RW:
            if (strchr(optarg, ',')) {
                return usage(errp,
                             "--rw '%s': expected a directory (for options, "
                             "--share DIR,...)",
                             optarg);
            }
            if (!add_share(cfg, "--rw", optarg, errp)) {
                return false;
            }
            break;
        case OPT_MODULES:
            if (!*optarg) {
                return usage(errp, "--modules: expected a directory");
            }
            cfg->exec.modules = optarg;
            break;
        case OPT_ENV: {
            const char *eq = strchr(optarg, '=');

            if (!eq || eq == optarg ||
                strspn(optarg,
                       "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrs"
                       "tuvwxyz0123456789_") != (size_t)(eq - optarg) ||
                g_ascii_isdigit(optarg[0])) {
                return usage(errp, "--env '%s': expected NAME=VALUE", optarg);
            }
            if (cfg->exec.nr_env >= VM_MAX_EXEC_ENV) {
                return usage(errp, "--env: at most %d", VM_MAX_EXEC_ENV);
            }
            cfg->exec.env[cfg->exec.nr_env++] = optarg;
            break;
        }
        case OPT_VERBOSE:
        case 'v':
            cfg->exec.verbose = true;
            break;
        case OPT_VIRTIOFSD:
            if (!*optarg) {
                return usage(errp, "--virtiofsd: expected a program's path");
            }
            cfg->virtiofsd = optarg;
            break;
        case OPT_CONSOLE:
            if (!strcmp(optarg, "virtio")) {
                cfg->virtio_console = true;
            } else if (!strcmp(optarg, "serial")) {
                cfg->virtio_console = false;
            } else {
                return usage(errp, "--console '%s': expected serial or virtio",
                             optarg);
            }
            break;
        case OPT_RNG_RATE:
            /* A size without suffix means bytes here, not MiB. */
            if (!cli_parse_size(optarg, &cfg->rng_rate) || !cfg->rng_rate) {
                return usage(errp,
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
        case OPT_VSOCK: {
            /* 0-2 are the hypervisor, local and host; 2^32 - 1 is "any"
             * (VMADDR_CID_ANY): neither can be a guest's. */
            guint64 cid;

            if (!g_ascii_string_to_unsigned(optarg, 10, 3, 0xfffffffeULL, &cid,
                                            NULL)) {
                return usage(errp,
                             "--vsock '%s': expected the guest's CID, a "
                             "number from 3 to 4294967294",
                             optarg);
            }
            cfg->vsock_cid = cid;
            break;
        }
        case OPT_API_SOCKET:
            if (exec || !*optarg) {
                return usage(errp, "--api-socket: expected a socket path");
            }
            cfg->api_socket = optarg;
            break;
        case OPT_SNAPSHOT_ON: {
            const char *eq = strchr(optarg, '=');
            g_autofree char *code = eq ? g_strndup(optarg, eq - optarg) : NULL;
            const char *num = code;
            unsigned long v;

            /* timer:CODE: Firecracker's boot timer (port 0x3f0 or MMIO
             * 0xc0000000), which the default guest writes just before
             * its ready marker. */
            cfg->snapshot_timer = code && g_str_has_prefix(code, "timer:");
            if (cfg->snapshot_timer) {
                num += strlen("timer:");
            }
            errno = 0;
            v = num ? strtoul(num, &end, 0) : 0;
            if (!eq || !*num || errno || *end || v > 255 || !eq[1] ||
                eq[1] == ',' || exec) {
                return usage(errp,
                             "--snapshot-on '%s': expected [timer:]CODE=DIR"
                             "[,exit], CODE the byte the guest writes to "
                             "port 0x80 (or, with timer:, to the boot timer)",
                             optarg);
            }
            cfg->snapshot_code = (int)v;
            {
                const char *comma = strchr(eq + 1, ',');

                if (comma && strcmp(comma, ",exit")) {
                    return usage(errp,
                                 "--snapshot-on '%s': after DIR only "
                                 "',exit' may follow",
                                 optarg);
                }
                cfg->snapshot_exit = comma != NULL;
                g_free(cfg->snapshot_dir);
                cfg->snapshot_dir = comma ? g_strndup(eq + 1, comma - (eq + 1))
                                          : g_strdup(eq + 1);
            }
            break;
        }
        case OPT_NO_SANDBOX:
            cfg->sandbox = SANDBOX_OFF;
            break;
        case OPT_TIMELINE:
            cfg->timeline = true;
            if (optarg) {
                if (!*optarg) {
                    return usage(errp,
                                 "--boot-timeline=: expected a file name");
                }
                cfg->timeline_path = optarg;
            }
            break;
        case 'h':
            *action = CONFIG_HELP;
            return true;
        case OPT_VERSION:
            *action = CONFIG_VERSION;
            return true;
        case ':':
            return usage(errp, "option '%s' needs a value", argv[optind - 1]);
        default:
            return usage(errp, "unknown option '%s' (see husk %s --help)",
                         argv[optind - 1], exec ? "exec" : "run");
        }
    }
    if (exec) {
        if (optind >= argc) {
            return usage(errp,
                         "no command given: husk exec [OPTIONS] [--] "
                         "COMMAND [ARGS...] (see --help)");
        }
        cfg->exec.argv = argv + optind;
        if (!cmdline_given) {
            cfg->cmdline = NULL; /* exec.c's own, and --cmdline's after */
        }
        return true;
    }
    if (optind < argc) {
        return usage(errp, "unexpected argument '%s'", argv[optind]);
    }
    if (cfg->rng_rate && !cfg->rng) {
        return usage(errp,
                     "--rng-rate with --no-rng: there is no "
                     "rng device to limit");
    }
    if (cfg->virtio_console && !cmdline_given) {
        /* Kernel messages on both; /dev/console (init's shell) on hvc0. */
        cfg->cmdline = "console=ttyS0 console=hvc0";
    }
    if (!cfg->kernel) {
        return usage(errp,
                     "no kernel given: husk run --kernel FILE (see --help)");
    }
    return true;
}

enum sandbox_mode config_default_sandbox(void)
{
    /* HUSK_SANDBOX=log: for checking the allow-lists (sandbox.h). */
    return !g_strcmp0(g_getenv("HUSK_SANDBOX"), "log") ? SANDBOX_LOG
                                                       : SANDBOX_ON;
}

void config_clear(struct vm_config *cfg)
{
    for (unsigned i = 0; i < cfg->nr_disks; i++) {
        cli_disk_config_clear(&cfg->disks[i]);
    }
    for (unsigned i = 0; i < cfg->nr_nets; i++) {
        cli_net_config_clear(&cfg->nets[i]);
    }
    for (unsigned i = 0; i < cfg->nr_shares; i++) {
        g_free(cfg->shares[i].dir);
        g_free(cfg->shares[i].tag);
        g_free(cfg->shares[i].guest_path);
    }
    g_free(cfg->snapshot_dir);
    memset(cfg, 0, sizeof(*cfg));
}
