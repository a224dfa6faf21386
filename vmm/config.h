/*
 * config.h: a VM's configuration, typed: what `husk run`'s command line
 * says, parsed in one place (config.c, with one parser per kind of value
 * in cli.c) before anything is opened.  Devices and backends get these
 * values, never option text; an error about a value is theirs, the
 * option's name is added here.
 */
#ifndef HUSK_CONFIG_H
#define HUSK_CONFIG_H

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

#include "devices/backend/blk_file.h"
#include "devices/backend/net_user.h"
#include "vmm/sandbox.h"

struct snap_image;

#define VM_MAX_DISKS 8
#define VM_MAX_NICS 4
#define VM_MAX_SHARES 8

struct vm_disk_config {
    const char *spec; /* the --disk argument, for messages */
    char *path;       /* the image, or with vhost_user the socket */
    bool read_only;
    enum blk_engine engine; /* husk's own raw engine */
    char *format;           /* format=: NULL to detect by content */
    bool vhost_user;        /* vhost-user=SOCKET: someone else's backend */
};

enum vm_net_kind { VM_NET_USER, VM_NET_TAP };
/* tap's vhost=: the kernel's vhost-net serves the queues (auto: when
 * /dev/vhost-net can be used, else husk's own path, said once). */
enum vm_vhost { VM_VHOST_AUTO, VM_VHOST_ON, VM_VHOST_OFF };

/* One --net option. */
struct vm_net_config {
    const char *spec; /* the --net argument, for messages */
    enum vm_net_kind kind;
    struct net_user_opts user; /* kind user */
    char *tap_name;            /* kind tap: a device name, or */
    int tap_fd;                /* a descriptor handed over (-1: none) */
    uint8_t mac[6];            /* given (mac=) or generated from spec */
    uint16_t mtu;              /* advised to the guest (0: not advised) */
    enum vm_vhost vhost;       /* kind tap */
};

/* One --share option: a host directory served by virtiofsd. */
struct vm_share_config {
    const char *spec; /* the --share argument, for messages */
    const char *opt;  /* the option that gave it: --share or --rw */
    char *dir;
    char *tag; /* what the guest mounts: mount -t virtiofs TAG /mnt */
    bool read_only;
    char *guest_path; /* husk exec: mounted here (DIR's real path) */
};

#define VM_MAX_EXEC_ENV 64

/* husk exec's own options (exec.c); argv is NULL for husk run. */
struct vm_exec_config {
    char **argv;         /* COMMAND and its arguments (into main's argv) */
    const char *modules; /* --modules DIR */
    const char *env[VM_MAX_EXEC_ENV]; /* --env NAME=VALUE */
    unsigned nr_env;
    bool verbose; /* the kernel's log on stderr */
};

struct vm_config {
    const char *kernel;
    const char *initrd;
    const char *cmdline;
    unsigned cpus;
    uint64_t mem;        /* bytes */
    bool mem_hugepages;  /* 2 MiB hugetlb pages */
    bool mem_prefault;   /* fault every page in before the boot */
    bool mem_dump;       /* guest RAM in husk's core dumps */
    bool mem_thp;        /* MADV_HUGEPAGE on guest RAM (thp=, default on) */
    double timeout;      /* seconds, 0 = none */
    bool virtio_cmdline; /* also list virtio-mmio devices on the cmdline */
    int console_in;      /* fd for guest console input, -1 for none */
    int console_out;     /* fd for guest console output */
    struct vm_disk_config disks[VM_MAX_DISKS];
    unsigned nr_disks;
    bool virtio_console; /* --console virtio: input to /dev/hvc0 */
    bool rng;            /* a virtio-rng device */
    uint64_t rng_rate;   /* its limit in bytes per second, 0 = none */
    uint64_t vsock_cid;  /* --vsock: the guest's CID, 0 = no device */
    struct vm_net_config nets[VM_MAX_NICS];
    unsigned nr_nets;
    struct vm_share_config shares[VM_MAX_SHARES];
    unsigned nr_shares;
    const char *virtiofsd;     /* --virtiofsd PATH, or NULL: the default */
    enum sandbox_mode sandbox; /* SANDBOX_ON unless --no-sandbox */
    bool timeline;             /* --boot-timeline */
    /* --snapshot-on CODE=DIR[,exit]: a snapshot to DIR when the guest
     * writes CODE to the debug port (0x80); then the VM goes on, or with
     * exit husk ends (status 0).  snapshot_code -1: none. */
    int snapshot_code;
    bool snapshot_timer;    /* the code is the boot timer's, not port 0x80's */
    const char *api_socket; /* --api-socket PATH: the control socket */
    char *snapshot_dir;
    bool snapshot_exit;
    /* husk run's own arguments (after "run"), for a snapshot's manifest. */
    char **run_argv;
    int run_argc;
    const char *timeline_path; /* --boot-timeline=FILE, or NULL */
    /* Set by husk exec, not by options: */
    struct vm_exec_config exec;
    const void *initrd_data; /* the initrd in memory, instead of a file */
    size_t initrd_data_len;
    bool exec_ports;        /* a 3-port console joined to fds 0, 1 and 2 */
    bool keep_console_tail; /* keep the UART's last output (console.h) */
    /* Set by husk restore: the snapshot the VM is built from (restore.h)
     * instead of a kernel, and whether its vCPUs start parked. */
    struct snap_image *restore;
    bool start_paused;
};

/* What `husk run` was asked to do. */
enum config_action {
    CONFIG_RUN,
    CONFIG_HELP,    /* --help: print config_run_usage */
    CONFIG_VERSION, /* --version */
};

extern const char config_run_usage[];
extern const char config_exec_usage[];

/*
 * Parses `husk run`'s arguments (argv[0] is "run") into cfg, defaults
 * first.  Strings point into argv or are owned by cfg (config_clear).
 * Errors: the GError's code is husk's exit status (HUSK_EXIT_USAGE), its
 * message one line naming the option.
 */
bool config_parse_run(int argc,
                      char **argv,
                      struct vm_config *cfg,
                      enum config_action *action,
                      GError **errp);
/* The same for `husk exec` (argv[0] is "exec"): the options up to the
 * first argument that is not one (or after "--") are husk's, the rest is
 * COMMAND; no kernel is needed (exec.c finds one). */
bool config_parse_exec(int argc,
                       char **argv,
                       struct vm_config *cfg,
                       enum config_action *action,
                       GError **errp);
void config_clear(struct vm_config *cfg);
/* The sandbox a VM gets unless --no-sandbox: on, or with HUSK_SANDBOX=log
 * logging only. */
enum sandbox_mode config_default_sandbox(void);

#endif
