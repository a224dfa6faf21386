/*
 * slirp_helper.c: husk-slirp, the user-mode network stack behind
 * `husk run --net user`.  husk starts it with two SOCK_SEQPACKET sockets,
 * control (descriptor 3) and events (4), and at DRIVER_OK hands it the
 * virtio-net queues (net_remote.h), which it serves itself with husk's
 * device code (net_remote_serve.c).  It exits when husk closes the
 * control socket.
 *
 *   husk-slirp --fd=3 --events=4 [--restrict] [--no-ipv6] [--mtu=N]
 *              [--hostfwd=RULE]... [--sandbox=off|log]
 *   husk-slirp --version
 *
 * First it writes 'R' (running, every forwarding rule listening), or 'E',
 * an exit-status byte and a message (net_user.c), on the control socket.
 * Nothing here trusts a frame or a ring: slirp parses frames (with its
 * protocol emulation off), husk's virtqueue code checks the rings.  Once
 * slirp runs and the forwarded ports listen, the helper enters its
 * sandbox (sandbox.h, role SANDBOX_SLIRP): sockets yes, exec and KVM no,
 * no file but /etc/resolv.conf; guest RAM and the eventfds come as
 * descriptors.
 */
#define G_LOG_DOMAIN "husk-slirp"
#include <errno.h>
#include <fcntl.h>
#include <glib-unix.h>
#include <glib.h>
#include <grp.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "devices/backend/net_remote_serve.h"
#include "devices/backend/slirp_stack.h"
#include "vmm/cli.h"
#include "lib/error.h"
#include "vmm/sandbox.h"

struct helper {
    struct netr_server *srv;
    GMainLoop *loop;
};

/* Started as root (husk run as root): become nobody once the forwarded
 * ports are bound, keeping no capability.  slirp then reaches the world
 * as any unprivileged user does (QEMU's -netdev user as a user): ICMP
 * echo through it needs net.ipv4.ping_group_range to include nogroup. */
#define NOBODY 65534

static bool drop_privileges(GError **errp)
{
    if (geteuid() != 0 && getuid() != 0) {
        return true;
    }
    if (setgroups(0, NULL) < 0 || setresgid(NOBODY, NOBODY, NOBODY) < 0 ||
        setresuid(NOBODY, NOBODY, NOBODY) < 0) {
        g_set_error(errp, HUSK_ERROR, HUSK_EXIT_OSERR,
                    "cannot drop root privileges: %s", g_strerror(errno));
        return false;
    }
    /* A change of credentials clears the parent-death signal: again. */
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() == 1) {
        _exit(0);
    }
    return true;
}

/* husk's requests; EOF when husk exits. */
static gboolean on_control(gint fd, GIOCondition c, gpointer opaque)
{
    struct helper *h = opaque;

    if (!netr_server_control(h->srv)) {
        g_main_loop_quit(h->loop);
        return G_SOURCE_REMOVE;
    }
    return G_SOURCE_CONTINUE;
}

static void say(int fd, const char *msg, size_t len)
{
    if (send(fd, msg, len, MSG_NOSIGNAL) < 0) {
        _exit(HUSK_EXIT_OSERR);
    }
}

static void fail(int fd, int status, const char *text)
{
    g_autofree char *m = g_strdup_printf("E%c%s", status, text);

    if (fd >= 0) {
        say(fd, m, strlen(m));
    } else {
        fprintf(stderr, "husk-slirp: %s\n", text);
    }
    exit(status);
}

int main(int argc, char **argv)
{
    static struct helper h;
    int fd = -1, evt = -1;
    struct slirp_stack *stack;
    struct net_user_opts o = {.ipv6 = true, .mtu = NET_USER_MTU_DEFAULT};
    g_autoptr(GError) err = NULL;
    enum sandbox_mode sandbox = SANDBOX_ON;

    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];

        if (g_str_has_prefix(a, "--fd=")) {
            fd = atoi(a + 5);
        } else if (g_str_has_prefix(a, "--events=")) {
            evt = atoi(a + 9);
        } else if (!strcmp(a, "--restrict")) {
            o.restrict_ = true;
        } else if (!strcmp(a, "--no-ipv6")) {
            o.ipv6 = false;
        } else if (g_str_has_prefix(a, "--mtu=")) {
            o.mtu = (unsigned)atoi(a + 6);
            if (o.mtu < NET_USER_MTU_MIN || o.mtu > NET_USER_MTU_MAX) {
                fail(fd, HUSK_EXIT_USAGE, "bad --mtu");
            }
        } else if (g_str_has_prefix(a, "--hostfwd=")) {
            const char *why;

            if (o.nr_fwd == NET_USER_MAX_FWD ||
                !cli_parse_hostfwd(a + 10, &o.fwd[o.nr_fwd], &why)) {
                fail(fd, HUSK_EXIT_USAGE, "bad --hostfwd");
            }
            o.nr_fwd++;
        } else if (!strcmp(a, "--sandbox=off")) {
            sandbox = SANDBOX_OFF;
        } else if (!strcmp(a, "--sandbox=log")) {
            sandbox = SANDBOX_LOG;
        } else if (!strcmp(a, "--version")) {
            printf("husk-slirp %s, libslirp %s\n", HUSK_VERSION,
                   slirp_stack_version());
            return 0;
        } else {
            fail(fd, HUSK_EXIT_USAGE,
                 "unknown option (this program is "
                 "started by husk run --net user)");
        }
    }
    if (fd < 0 || fcntl(fd, F_GETFD) < 0 || evt < 0 ||
        fcntl(evt, F_GETFD) < 0) {
        fail(-1, HUSK_EXIT_USAGE,
             "needs --fd=N and --events=N, two "
             "SOCK_SEQPACKET sockets (started by "
             "husk run --net user)");
    }
    /* Never outlive husk, even if the socket were somehow kept open. */
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() == 1) {
        return 0;
    }
    signal(SIGPIPE, SIG_IGN);
    h.loop = g_main_loop_new(NULL, FALSE);
    h.srv = netr_server_new(fd, evt, (uint16_t)o.mtu, NULL);
    stack = slirp_stack_new(&o, NULL, netr_server_output, h.srv, &err);
    if (!stack) {
        fail(fd, err->code, err->message);
    }
    netr_server_attach(h.srv, stack);
    {
        struct sandbox_file resolv = {"/etc/resolv.conf", false};
        bool have = g_file_test(resolv.path, G_FILE_TEST_EXISTS);
        int r;

        if (!sandbox_prepare(sandbox, SANDBOX_ROLE_BIT(SANDBOX_SLIRP), &err) ||
            (sandbox != SANDBOX_OFF && !drop_privileges(&err)) ||
            !sandbox_jail(&resolv, have ? 1 : 0, SANDBOX_JAIL_SCOPE, &err)) {
            fail(fd, err->code, err->message);
        }
        r = sandbox_enter(SANDBOX_SLIRP, "slirp");
        if (r < 0) {
            fail(fd, HUSK_EXIT_OSERR, "cannot enter the sandbox");
        }
    }
    say(fd, "R", 1);
    g_unix_fd_add(fd, G_IO_IN | G_IO_HUP | G_IO_ERR, on_control, &h);
    g_main_loop_run(h.loop);
    /* Frames are dropped only when the queue for a guest without RX room
     * overflows: rare, and worth a line when it happens. */
    if (slirp_stack_dropped(stack) || g_getenv("HUSK_SLIRP_STATS")) {
        fprintf(stderr,
                "husk-slirp: %lu frames for the guest dropped "
                "(queue full)\n",
                slirp_stack_dropped(stack));
    }
    if (slirp_stack_fragments(stack) || g_getenv("HUSK_SLIRP_STATS")) {
        fprintf(stderr,
                "husk-slirp: %lu IPv4 fragments from the guest "
                "dropped (libslirp cannot take them safely)\n",
                slirp_stack_fragments(stack));
    }
    netr_server_free(h.srv); /* stops the queues first */
    slirp_stack_free(stack);
    return 0;
}
