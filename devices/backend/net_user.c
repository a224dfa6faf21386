/*
 * net_user.c: `--net user`'s hostfwd rules as text (what husk passes to
 * husk-slirp, vmm/user_net.c).
 */
#define G_LOG_DOMAIN "husk"
#include "devices/backend/net_user.h"

#include <arpa/inet.h>

char *net_user_fwd_string(const struct net_user_fwd *f)
{
    char h[INET_ADDRSTRLEN], g[INET_ADDRSTRLEN];

    inet_ntop(AF_INET, &f->host_addr, h, sizeof(h));
    inet_ntop(AF_INET, &f->guest_addr, g, sizeof(g));
    return g_strdup_printf("%s:%s:%u-%s:%u", f->udp ? "udp" : "tcp", h,
                           f->host_port, g, f->guest_port);
}
