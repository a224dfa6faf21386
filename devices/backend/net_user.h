/*
 * net_user.h: `--net user`, user-mode networking (QEMU's "-netdev user"
 * addresses): DHCP, DNS, the host's loopback at 10.0.2.2, host port
 * forwarding, IPv6, no root and no host setup.
 *
 * The TCP/IP stack (libslirp) runs in husk-slirp, a vhost-user-net
 * backend (husk-slirp/main.c) that husk starts (vmm/user_net.h); these
 * are the options both share.
 */
#ifndef HUSK_NET_USER_H
#define HUSK_NET_USER_H

#include <glib.h>
#include <netinet/in.h>
#include <stdbool.h>

#define NET_USER_MAX_FWD 16

/*
 * The MTU of the user-mode link.  Nothing on it is a real wire: frames
 * are copied between the guest and slirp, and slirp's TCP writes to host
 * sockets.  A large MTU means far fewer frames, header parses and
 * interrupts per byte; the guest learns it from virtio-net's MTU field.
 * Not the largest, though: slirp keeps at most 128 KiB unacknowledged per
 * connection, so with 64 KiB segments a partial second segment waits for
 * the guest's delayed ACK (Nagle meets delayed ACK).  32768 leaves four
 * segments in flight (tests/bench/net-mtu.sh, docs/benchmarks.md).
 * mtu=1500 gives QEMU's behaviour.
 */
#define NET_USER_MTU_DEFAULT 32768
#define NET_USER_MTU_MIN 1280 /* IPv6's minimum */
#define NET_USER_MTU_MAX 65521

/* hostfwd=[tcp|udp]:[HOSTADDR]:PORT-[GUESTADDR]:GUESTPORT */
struct net_user_fwd {
    bool udp;
    struct in_addr host_addr; /* 127.0.0.1 unless given */
    uint16_t host_port;
    struct in_addr guest_addr; /* 10.0.2.15 unless given */
    uint16_t guest_port;
};

struct net_user_opts {
    bool restrict_;             /* restrict=on: forwarded ports only */
    bool ipv6;                  /* ipv6=on (the default) */
    unsigned mtu;               /* the link's MTU (NET_USER_MTU_DEFAULT) */
    const char *helper_sandbox; /* husk-slirp's --sandbox= (off, log);
                                 * NULL: its default, on */
    struct net_user_fwd fwd[NET_USER_MAX_FWD];
    unsigned nr_fwd;
};

/* A rule as "tcp:127.0.0.1:8080-10.0.2.15:80" (new string); the parser
 * is cli_parse_hostfwd. */
char *net_user_fwd_string(const struct net_user_fwd *f);

#endif
