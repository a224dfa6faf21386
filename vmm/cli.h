/*
 * cli.h: parsing of command-line values, one function per kind (sizes,
 * counts, on/off, disks, NICs, forwarding rules): what config.c builds
 * struct vm_config from, and husk-slirp its options.
 */
#ifndef HUSK_CLI_H
#define HUSK_CLI_H

#include <stdbool.h>
#include <stdint.h>

#include "devices/backend/blk_file.h"

/* "512M", "2G", "1024K", "1T", "256" (MiB); an optional "B" or "iB"
 * after the suffix.  False for anything else or on overflow. */
bool cli_parse_size(const char *s, uint64_t *out);
/* on/yes/true or off/no/false.  False if none of those. */
bool cli_parse_onoff(const char *v, bool *out);

/* A plain decimal number that fits an unsigned int. */
bool cli_parse_uint(const char *s, unsigned *out);

/* --timeout's value: seconds, > 0 and at most 1e7. */
bool cli_parse_seconds(const char *s, double *out);

struct vm_disk_config;

/* The image formats --disk takes (format=): raw is husk's own engine,
 * the others qemu-storage-daemon's. */
bool cli_disk_format_ok(const char *format);

/* One --disk option: "PATH[,ro|,rw][,aio=io_uring|sync|auto][,format=F]"
 * or "vhost-user=SOCKET[,ro]".  Fills d's path, read_only, engine, format
 * and vhost_user (new strings; cli_disk_config_clear).  False, with *why,
 * for an empty path, an unknown aio= or format=, or aio=/format= with
 * vhost-user=. */
bool cli_parse_disk(const char *arg,
                    struct vm_disk_config *d,
                    const char **why);
void cli_disk_config_clear(struct vm_disk_config *d);

#define CLI_SHARE_TAG_MAX 36 /* virtio-fs: tag[36] */

/* One --share option: "DIR[,tag=NAME][,ro|,rw]".  The tag defaults to
 * the directory's last component ("root" for /).  *dir and *tag are new
 * strings; on false, *why says what is wrong. */
bool cli_parse_share(const char *arg,
                     char **dir,
                     char **tag,
                     bool *read_only,
                     const char **why);

struct vm_net_config;

/*
 * One --net option: "user[,hostfwd=RULE]...[,restrict=on|off][,ipv6=on|off]"
 * "tap=NAME" or "tap,fd=N", each with optional ",mac=XX:XX:XX:XX:XX:XX" and
 * ",mtu=N" (user: the link's MTU, default NET_USER_MTU_DEFAULT; tap: the
 * MTU advised to the guest, none by default).
 * index is the NIC's position (for the generated MAC).  False and a
 * message in *why (new string, caller frees) on bad input.
 */
bool cli_parse_net(const char *arg,
                   unsigned index,
                   struct vm_net_config *out,
                   char **why);
void cli_net_config_clear(struct vm_net_config *c);

struct net_user_fwd;

/* One hostfwd rule (the text after "hostfwd="), the grammar of QEMU's
 * -netdev user: [tcp|udp]:[HOSTADDR]:PORT-[GUESTADDR]:GUESTPORT (husk's
 * --net user and husk-slirp's --hostfwd).  False and a message in *why
 * (static) if it is malformed. */
bool cli_parse_hostfwd(const char *s,
                       struct net_user_fwd *out,
                       const char **why);

#endif
