/*
 * net_user.c: husk's side of `--net user`: the hostfwd syntax, and the
 * husk-slirp helper process started with its options, which serves the
 * device's queues itself (net_remote.h; husk's end is net_remote.c).
 *
 * Start-up handshake, on the control socket: the helper writes 'R' once
 * slirp runs and every forwarding rule listens; or 'E', one byte of exit
 * status and a message, and exits.
 */
#define G_LOG_DOMAIN "husk"
#include "devices/backend/net_user.h"

#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "devices/backend/net_remote.h"
#include "lib/error.h"
#include "lib/paths.h"

#ifndef HUSK_LIBEXECDIR
#define HUSK_LIBEXECDIR "/usr/local/libexec"
#endif

/* How long the helper may take to come up (it starts slirp and binds the
 * forwarded ports). */
#define HELPER_START_MS 10000

char *net_user_fwd_string(const struct net_user_fwd *f)
{
    char h[INET_ADDRSTRLEN], g[INET_ADDRSTRLEN];

    inet_ntop(AF_INET, &f->host_addr, h, sizeof(h));
    inet_ntop(AF_INET, &f->guest_addr, g, sizeof(g));
    return g_strdup_printf("%s:%s:%u-%s:%u", f->udp ? "udp" : "tcp", h,
                           f->host_port, g, f->guest_port);
}

char *net_user_helper_path(void)
{
    return husk_find_program("HUSK_SLIRP", "husk-slirp");
}

/* Waits for the helper's verdict; true if it said ready. */
static bool handshake(int fd, const char *helper, GError **errp)
{
    struct pollfd pfd = {.fd = fd, .events = POLLIN};
    char msg[512];
    size_t got = 0;
    int r;

    /* One message (SEQPACKET): 'R' alone, or 'E', a status byte and the
     * text.  Read whole: a shorter read discards the rest of the record
     * (the text once went that way, leaving "see above" with nothing
     * above). */
    do {
        r = poll(&pfd, 1, HELPER_START_MS);
    } while (r < 0 && errno == EINTR);
    if (r == 0) {
        g_set_error(errp, HUSK_ERROR, HUSK_EXIT_OSERR,
                    "%s did not start within %d s", helper,
                    HELPER_START_MS / 1000);
        return false;
    }
    {
        ssize_t n;

        do {
            n = recv(fd, msg, sizeof(msg) - 1, 0);
        } while (n < 0 && errno == EINTR);
        got = n > 0 ? (size_t)n : 0;
    }
    if (got == 1 && msg[0] == 'R') {
        return true;
    }
    msg[got] = '\0';
    if (got >= 3 && msg[0] == 'E' && msg[1] != 0) {
        /* The helper's text: only printable ASCII goes on. */
        for (char *p = msg + 2; *p; p++) {
            if (*p < 0x20 || *p > 0x7e) {
                *p = '?';
            }
        }
        g_set_error(errp, HUSK_ERROR, (unsigned char)msg[1], "%s", msg + 2);
        return false;
    }
    g_set_error(errp, HUSK_ERROR, HUSK_EXIT_OSERR,
                "%s failed to start (it exited without saying "
                "why)",
                helper);
    return false;
}

struct net_backend *net_user_new(const struct net_user_opts *o,
                                 GMainContext *ctx,
                                 GError **errp)
{
    g_autofree char *helper = net_user_helper_path();
    g_autoptr(GPtrArray) argv = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(GError) err = NULL;
    int sv[2], ev[2], source[2], target[2] = {3, 4};
    GPid pid;
    struct net_backend *be;

    if (!helper) {
        g_set_error(
            errp, HUSK_ERROR, HUSK_EXIT_UNAVAILABLE,
            "user networking needs the husk-slirp helper: not found next "
            "to husk or in %s (set HUSK_SLIRP=PATH)",
            HUSK_LIBEXECDIR);
        return NULL;
    }
    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) {
        g_set_error(errp, HUSK_ERROR, HUSK_EXIT_OSERR, "socketpair: %s",
                    g_strerror(errno));
        return NULL;
    }
    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, ev) < 0) {
        g_set_error(errp, HUSK_ERROR, HUSK_EXIT_OSERR, "socketpair: %s",
                    g_strerror(errno));
        close(sv[0]);
        close(sv[1]);
        return NULL;
    }
    source[0] = sv[1];
    source[1] = ev[1];
    g_ptr_array_add(argv, g_strdup(helper));
    g_ptr_array_add(argv, g_strdup("--fd=3"));
    g_ptr_array_add(argv, g_strdup("--events=4"));
    if (o->restrict_) {
        g_ptr_array_add(argv, g_strdup("--restrict"));
    }
    if (!o->ipv6) {
        g_ptr_array_add(argv, g_strdup("--no-ipv6"));
    }
    g_ptr_array_add(argv, g_strdup_printf("--mtu=%u", o->mtu));
    if (o->helper_sandbox) {
        g_ptr_array_add(argv,
                        g_strdup_printf("--sandbox=%s", o->helper_sandbox));
    }
    for (unsigned i = 0; i < o->nr_fwd; i++) {
        g_autofree char *f = net_user_fwd_string(&o->fwd[i]);

        g_ptr_array_add(argv, g_strdup_printf("--hostfwd=%s", f));
    }
    g_ptr_array_add(argv, NULL);
    if (!g_spawn_async_with_pipes_and_fds(
            NULL, (const char *const *)argv->pdata, NULL,
            G_SPAWN_DO_NOT_REAP_CHILD | G_SPAWN_CLOEXEC_PIPES, NULL, NULL, -1,
            -1, -1, source, target, 2, &pid, NULL, NULL, NULL, &err)) {
        g_set_error(errp, HUSK_ERROR, HUSK_EXIT_OSERR, "cannot start %s: %s",
                    helper, err->message);
        close(sv[0]);
        close(sv[1]);
        close(ev[0]);
        close(ev[1]);
        return NULL;
    }
    close(sv[1]);
    close(ev[1]);
    if (!handshake(sv[0], helper, errp)) {
        close(sv[0]); /* the helper exits on EOF */
        close(ev[0]);
        return NULL;
    }
    /* The helper lives as long as its control socket: husk's exit ends
     * it. */
    be = net_remote_new(sv[0], ev[0], pid, "user", ctx, errp);
    if (!be) {
        close(sv[0]);
        close(ev[0]);
    }
    return be;
}
