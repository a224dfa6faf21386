/*
 * main.c: husk-slirp, user-mode networking (libslirp) as a vhost-user-net
 * backend (QEMU docs/interop/vhost-user.rst, "Backend program
 * conventions").  husk runs it for `husk run --net user`; any vhost-user
 * frontend can use it, QEMU's `-netdev vhost-user` included:
 *
 *   husk-slirp --socket-path=PATH | --fd=FDNUM  [--restrict] [--no-ipv6]
 *              [--mtu=N] [--hostfwd=RULE]... [--sandbox=off|log]
 *   husk-slirp --print-capabilities | --version | --help
 *
 * --socket-path listens on PATH for one frontend; --fd takes a socket
 * already made, listening (then one frontend is accepted) or connected.
 * It serves one connection and exits when the frontend goes.  Errors
 * before it serves (a forwarded port that cannot listen) are one line on
 * stderr and an exit status of sysexits.h (71: a port).
 *
 * Nothing here trusts a frame or a ring: slirp parses frames (protocol
 * emulation off), husk's virtqueue code checks the rings.  Once slirp
 * runs, the ports listen and the frontend is connected, it enters its
 * sandbox (sandbox.h, role SANDBOX_SLIRP: sockets yes, exec and KVM no,
 * no file but /etc/resolv.conf), as nobody when started as root.
 */
#define G_LOG_DOMAIN "husk-slirp"
#include <errno.h>
#include <fcntl.h>
#include <glib-unix.h>
#include <glib.h>
#include <grp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "devices/backend/slirp_stack.h"
#include "devices/backend/vhost_user_serve.h"
#include "husk-slirp/usernet.h"
#include "lib/error.h"
#include "lib/log.h"
#include "vmm/cli.h"
#include "vmm/sandbox.h"

static const char usage_text[] =
    "Usage: husk-slirp --socket-path=PATH | --fd=FDNUM [OPTIONS]\n"
    "User-mode networking (libslirp) as a vhost-user-net backend: DHCP\n"
    "10.0.2.15, DNS 10.0.2.3, the host's loopback at 10.0.2.2.\n"
    "\n"
    "  --socket-path=PATH   listen on PATH for one vhost-user frontend\n"
    "  --fd=FDNUM           the vhost-user socket: listening or connected\n"
    "  --hostfwd=[tcp|udp]:[ADDR]:PORT-[GADDR]:GPORT\n"
    "                       forward a host port (repeatable; ADDR\n"
    "                       127.0.0.1 unless given)\n"
    "  --restrict           the guest reaches only its forwarded ports\n"
    "  --no-ipv6            no IPv6\n"
    "  --mtu=N              the link's MTU (1280..65521, default 32768);\n"
    "                       the frontend advises it to the guest\n"
    "  --sandbox=off|log    for debugging: no seccomp filter, or log only\n"
    "  --print-capabilities print the vhost-user backend capabilities\n"
    "  --version, --help\n"
    "\n"
    "With QEMU: -chardev socket,id=n0,path=PATH -netdev "
    "vhost-user,id=net0,chardev=n0\n"
    "  -device virtio-net-...,netdev=net0 (guest RAM shared: "
    "memory-backend-memfd,share=on)\n";

/* Started as root: become nobody once the ports are bound, keeping no
 * capability.  slirp then reaches the world as any unprivileged user
 * does (QEMU's -netdev user as a user): ICMP echo through it needs
 * net.ipv4.ping_group_range to include nogroup. */
#define NOBODY 65534

/* The parent-death signal husk gave it (backend_proc.c), kept across the
 * change of credentials; 0 when started by hand. */
static int pdeathsig;

static void die(int status, const char *fmt, ...) G_GNUC_PRINTF(2, 3);

static void die(int status, const char *fmt, ...)
{
    va_list ap;

    fputs("husk-slirp: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    exit(status);
}

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
    if (pdeathsig) {
        prctl(PR_SET_PDEATHSIG, pdeathsig);
        if (getppid() == 1) {
            _exit(0);
        }
    }
    return true;
}

/* The frontend's connection, from --socket-path or --fd. */
static int connect_frontend(const char *path, int fd)
{
    int listening = 0;
    socklen_t len = sizeof(listening);
    int c;

    if (path) {
        struct sockaddr_un sa = {.sun_family = AF_UNIX};
        struct stat st;

        if (strlen(path) >= sizeof(sa.sun_path)) {
            die(HUSK_EXIT_USAGE, "--socket-path: too long");
        }
        strcpy(sa.sun_path, path);
        /* A socket left by an earlier run is replaced; anything else is
         * not ours to remove. */
        if (lstat(path, &st) == 0 && S_ISSOCK(st.st_mode)) {
            unlink(path);
        }
        fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
            listen(fd, 1) < 0) {
            die(HUSK_EXIT_CANTCREAT, "cannot listen on %s: %s", path,
                g_strerror(errno));
        }
        listening = 1;
    } else if (fd < 0 || fcntl(fd, F_GETFD) < 0) {
        die(HUSK_EXIT_USAGE,
            "needs --socket-path=PATH or --fd=FDNUM (a "
            "socket); see --help");
    } else if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &len) <
               0) {
        die(HUSK_EXIT_USAGE, "--fd=%d is not a socket", fd);
    }
    if (!listening) {
        return fd;
    }
    do {
        c = accept4(fd, NULL, NULL, SOCK_CLOEXEC);
    } while (c < 0 && errno == EINTR);
    if (c < 0) {
        die(HUSK_EXIT_OSERR, "accept: %s", g_strerror(errno));
    }
    close(fd);
    if (path) {
        unlink(path); /* one frontend: nobody else may connect */
    }
    return c;
}

struct loop {
    struct vus *vus;
    GMainLoop *loop;
};

static gboolean on_socket(gint fd, GIOCondition c, gpointer opaque)
{
    struct loop *l = opaque;

    if (!vus_dispatch(l->vus)) {
        g_main_loop_quit(l->loop);
        return G_SOURCE_REMOVE;
    }
    return G_SOURCE_CONTINUE;
}

int main(int argc, char **argv)
{
    static struct loop l;
    struct net_user_opts o = {.ipv6 = true, .mtu = NET_USER_MTU_DEFAULT};
    enum sandbox_mode sandbox = SANDBOX_ON;
    g_autoptr(GError) err = NULL;
    const char *path = NULL;
    struct slirp_stack *stack;
    struct usernet *net;
    int fd = -1;

    log_program = "husk-slirp";
    log_init();
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];

        if (g_str_has_prefix(a, "--fd=")) {
            fd = atoi(a + 5);
        } else if (g_str_has_prefix(a, "--socket-path=")) {
            path = a + 14;
        } else if (!strcmp(a, "--restrict")) {
            o.restrict_ = true;
        } else if (!strcmp(a, "--no-ipv6")) {
            o.ipv6 = false;
        } else if (g_str_has_prefix(a, "--mtu=")) {
            o.mtu = (unsigned)atoi(a + 6);
            if (o.mtu < NET_USER_MTU_MIN || o.mtu > NET_USER_MTU_MAX) {
                die(HUSK_EXIT_USAGE, "--mtu: 1280 to 65521");
            }
        } else if (g_str_has_prefix(a, "--hostfwd=")) {
            const char *why = "too many";

            if (o.nr_fwd == NET_USER_MAX_FWD ||
                !cli_parse_hostfwd(a + 10, &o.fwd[o.nr_fwd], &why)) {
                die(HUSK_EXIT_USAGE, "--hostfwd=%s: %s", a + 10, why);
            }
            o.nr_fwd++;
        } else if (!strcmp(a, "--sandbox=off")) {
            sandbox = SANDBOX_OFF;
        } else if (!strcmp(a, "--sandbox=log")) {
            sandbox = SANDBOX_LOG;
        } else if (!strcmp(a, "--print-capabilities")) {
            printf("{\n  \"type\": \"net\"\n}\n");
            return 0;
        } else if (!strcmp(a, "--version")) {
            printf("husk-slirp %s, libslirp %s\n", HUSK_VERSION,
                   slirp_stack_version());
            return 0;
        } else if (!strcmp(a, "--help")) {
            fputs(usage_text, stdout);
            return 0;
        } else {
            die(HUSK_EXIT_USAGE, "unknown option %s (see --help)", a);
        }
    }
    if (path && fd >= 0) {
        die(HUSK_EXIT_USAGE, "--socket-path and --fd exclude each other");
    }
    prctl(PR_GET_PDEATHSIG, &pdeathsig);
    signal(SIGPIPE, SIG_IGN);
    l.loop = g_main_loop_new(NULL, FALSE);
    net = usernet_new((uint16_t)o.mtu);
    stack = slirp_stack_new(&o, NULL, usernet_output, net, &err);
    if (!stack) {
        die(err->code, "%s", err->message);
    }
    usernet_attach(net, stack);
    fd = connect_frontend(path, fd);
    {
        struct sandbox_file resolv = {"/etc/resolv.conf", false};
        bool have = g_file_test(resolv.path, G_FILE_TEST_EXISTS);

        if (!sandbox_prepare(sandbox, SANDBOX_ROLE_BIT(SANDBOX_SLIRP), &err) ||
            (sandbox != SANDBOX_OFF && !drop_privileges(&err)) ||
            !sandbox_jail(&resolv, have ? 1 : 0, SANDBOX_JAIL_SCOPE, &err)) {
            die(err->code, "%s", err->message);
        }
        if (sandbox_enter(SANDBOX_SLIRP, "slirp") < 0) {
            die(HUSK_EXIT_OSERR, "cannot enter the sandbox");
        }
    }
    l.vus = vus_new(fd, usernet_dev(net), usernet_mem(net),
                    usernet_features(net), NULL);
    g_unix_fd_add(fd, G_IO_IN | G_IO_HUP | G_IO_ERR, on_socket, &l);
    g_main_loop_run(l.loop);
    /* Frames are dropped only when the queue for a guest without RX room
     * overflows: rare, and worth a line when it happens. */
    if (slirp_stack_dropped(stack) || g_getenv("HUSK_SLIRP_STATS")) {
        fprintf(stderr,
                "husk-slirp: %lu frames for the guest dropped (queue "
                "full)\n",
                slirp_stack_dropped(stack));
    }
    if (slirp_stack_fragments(stack) || g_getenv("HUSK_SLIRP_STATS")) {
        fprintf(stderr,
                "husk-slirp: %lu IPv4 fragments from the guest dropped "
                "(libslirp cannot take them safely)\n",
                slirp_stack_fragments(stack));
    }
    vus_free(l.vus); /* stops the queues first */
    usernet_free(net);
    slirp_stack_free(stack);
    return 0;
}
