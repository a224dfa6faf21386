/*
 * api_cases.c: catalogue cases for the control socket (docs/api.md): each
 * row sends one input to the real husk-api helper, under its sandbox,
 * with this process playing husk on the other end of the socket pair
 * (lib/api_proto.h), and judges the reply: an error is REJECT, a return
 * PASS, silence within 5 s WEDGED.  After every row a query-status must
 * still be answered on a new connection (the helper is not left dead).
 */
#include <errno.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib/api_proto.h"
#include "tests/catalogue/api_cases.h"
#include "tests/catalogue/catalogue.h"

#define WAIT_MS 5000

struct api_kit {
    GPid pid;
    int husk; /* our end: we are husk */
    char *dir, *sock;
};

static bool kit_start(struct api_kit *k)
{
    const char *prog = g_getenv("HUSK_API");
    g_autofree char *sarg = NULL;
    struct api_response ready;
    struct pollfd p;
    int sp[2];

    memset(k, 0, sizeof(*k));
    k->husk = -1;
    if (!prog || socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp)) {
        return false;
    }
    k->dir = g_dir_make_tmp("husk-apicat-XXXXXX", NULL);
    k->sock = g_build_filename(k->dir, "s", NULL);
    sarg = g_strdup_printf("--socket=%s", k->sock);
    {
        const char *argv[] = {prog, "serve", "--fd=3", sarg, NULL};
        gint src[] = {sp[1]}, dst[] = {3};

        if (!g_spawn_async_with_pipes_and_fds(
                NULL, argv, NULL, G_SPAWN_DO_NOT_REAP_CHILD, NULL, NULL, -1, -1,
                -1, src, dst, 1, &k->pid, NULL, NULL, NULL, NULL)) {
            close(sp[0]);
            close(sp[1]);
            return false;
        }
    }
    close(sp[1]);
    k->husk = sp[0];
    p = (struct pollfd){k->husk, POLLIN, 0};
    return poll(&p, 1, WAIT_MS) == 1 &&
           recv(k->husk, &ready, sizeof(ready), 0) == sizeof(ready) &&
           ready.magic == API_MAGIC && ready.error == 0;
}

static void kit_stop(struct api_kit *k)
{
    if (k->husk >= 0) {
        close(k->husk); /* husk is gone: the helper ends */
    }
    if (k->pid > 0) {
        for (int i = 0; i < 100 && waitpid(k->pid, NULL, WNOHANG) == 0; i++) {
            g_usleep(10000);
        }
        kill(k->pid, SIGKILL);
        waitpid(k->pid, NULL, 0);
    }
    if (k->sock) {
        unlink(k->sock);
    }
    if (k->dir) {
        g_rmdir(k->dir);
    }
    g_free(k->sock);
    g_free(k->dir);
}

static int client(const struct api_kit *k)
{
    struct sockaddr_un a = {.sun_family = AF_UNIX};
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

    g_strlcpy(a.sun_path, k->sock, sizeof(a.sun_path));
    if (fd >= 0 && connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
        close(fd);
        fd = -1;
    }
    return fd;
}

/* The next line from fd, answering husk's side meanwhile; NULL when the
 * connection ends or nothing comes within the bound. */
static char *next_line(struct api_kit *k, int fd, GString *buf)
{
    gint64 end = g_get_monotonic_time() + WAIT_MS * 1000;
    char *nl;

    while (!(nl = memchr(buf->str, '\n', buf->len))) {
        struct pollfd p[2] = {{fd, POLLIN, 0}, {k->husk, POLLIN, 0}};
        int left = (int)((end - g_get_monotonic_time()) / 1000);
        char b[4096];
        ssize_t n;

        if (left <= 0 || poll(p, 2, left) <= 0) {
            return NULL;
        }
        if (p[1].revents & POLLIN) {
            /* A request: answer it as husk would (snapshots refused: no
             * VM here), and close what came with it. */
            struct api_request q;
            union {
                struct cmsghdr h;
                char c[CMSG_SPACE(3 * sizeof(int))];
            } u;
            struct iovec iov = {&q, sizeof(q)};
            struct msghdr m = {.msg_iov = &iov,
                               .msg_iovlen = 1,
                               .msg_control = u.c,
                               .msg_controllen = sizeof(u.c)};
            struct api_response r = {.magic = API_MAGIC, .kind = API_REPLY};

            if (recvmsg(k->husk, &m, 0) == sizeof(q)) {
                for (struct cmsghdr *h = CMSG_FIRSTHDR(&m); h;
                     h = CMSG_NXTHDR(&m, h)) {
                    int *fds = (int *)CMSG_DATA(h);

                    for (size_t i = 0;
                         i < (h->cmsg_len - CMSG_LEN(0)) / sizeof(int); i++) {
                        close(fds[i]);
                    }
                }
                r.tag = q.tag;
                if (q.cmd == API_CMD_SNAPSHOT) {
                    r.error = 70;
                    g_strlcpy(r.text, "no VM here", sizeof(r.text));
                }
                (void)!send(k->husk, &r, sizeof(r), 0);
            }
        }
        if (p[0].revents & (POLLIN | POLLHUP)) {
            n = read(fd, b, sizeof(b));
            if (n <= 0) {
                return NULL;
            }
            g_string_append_len(buf, b, n);
        }
    }
    {
        char *l = g_strndup(buf->str, (gsize)(nl - buf->str));

        g_string_erase(buf, 0, nl - buf->str + 1);
        return l;
    }
}

static enum verdict judge(const char *reply)
{
    return !reply                        ? V_WEDGED
           : strstr(reply, "\"error\"")  ? V_REJECT
           : strstr(reply, "\"return\"") ? V_PASS
                                         : V_WEDGED;
}

/* Whether a new client still gets a query-status answered. */
static bool still_serves(struct api_kit *k)
{
    int fd = client(k);
    g_autoptr(GString) buf = g_string_new(NULL);
    g_autofree char *hello = NULL, *r = NULL;
    static const char q[] = "{\"execute\":\"query-status\"}\n";

    if (fd < 0) {
        return false;
    }
    hello = next_line(k, fd, buf);
    if (hello && write(fd, q, sizeof(q) - 1) == sizeof(q) - 1) {
        r = next_line(k, fd, buf);
    }
    close(fd);
    return r && strstr(r, "\"running\"");
}

/* Sends data (len bytes) on a fresh connection and judges the first
 * reply; WEDGED too if the helper stops serving afterwards. */
static enum verdict play(const void *data, size_t len)
{
    struct api_kit k;
    g_autoptr(GString) buf = g_string_new(NULL);
    g_autofree char *hello = NULL, *r = NULL;
    enum verdict v = V_WEDGED;
    int fd;

    if (!kit_start(&k)) {
        kit_stop(&k);
        return V_WEDGED;
    }
    fd = client(&k);
    if (fd >= 0) {
        hello = next_line(&k, fd, buf);
        signal(SIGPIPE, SIG_IGN);
        if (hello && write(fd, data, len) == (ssize_t)len) {
            r = next_line(&k, fd, buf);
            v = judge(r);
        }
        close(fd);
    }
    if (!still_serves(&k)) {
        v = V_WEDGED;
    }
    kit_stop(&k);
    return v;
}

static enum verdict play_str(const char *s)
{
    return play(s, strlen(s));
}

enum verdict a_query_status(struct devkit *k)
{
    return play_str("{\"execute\": \"query-status\", \"id\": 7}\n");
}

enum verdict a_not_json(struct devkit *k)
{
    return play_str("{\"execute\": \n");
}

enum verdict a_not_an_object(struct devkit *k)
{
    return play_str("[\"pause\"]\n");
}

enum verdict a_execute_not_a_string(struct devkit *k)
{
    return play_str("{\"execute\": {\"pause\": 1}}\n");
}

enum verdict a_unknown_command(struct devkit *k)
{
    return play_str("{\"execute\": \"device_add\"}\n");
}

enum verdict a_arguments_not_an_object(struct devkit *k)
{
    return play_str("{\"execute\": \"pause\", \"arguments\": \"x\"}\n");
}

enum verdict a_arguments_not_taken(struct devkit *k)
{
    return play_str("{\"execute\": \"quit\", \"arguments\": {\"now\": 1}}\n");
}

enum verdict a_snapshot_relative_path(struct devkit *k)
{
    return play_str(
        "{\"execute\": \"snapshot\", \"arguments\": "
        "{\"path\": \"../../etc\"}}\n");
}

enum verdict a_snapshot_path_too_long(struct devkit *k)
{
    GString *s = g_string_new(
        "{\"execute\": \"snapshot\", \"arguments\": "
        "{\"path\": \"/");
    enum verdict v;

    for (int i = 0; i < 600; i++) {
        g_string_append_c(s, 'a');
    }
    g_string_append(s, "\"}}\n");
    v = play_str(s->str);
    g_string_free(s, TRUE);
    return v;
}

enum verdict a_snapshot_unwritable(struct devkit *k)
{
    return play_str(
        "{\"execute\": \"snapshot\", \"arguments\": "
        "{\"path\": \"/proc/husk/snap\"}}\n");
}

enum verdict a_nul_in_line(struct devkit *k)
{
    static const char line[] = "{\"execute\": \"pa\0use\"}\n";

    return play(line, sizeof(line) - 1);
}

enum verdict a_invalid_utf8(struct devkit *k)
{
    return play_str("{\"execute\": \"\xc3\x28\xff\"}\n");
}

enum verdict a_deep_nesting(struct devkit *k)
{
    GString *s = g_string_new("{\"execute\": \"pause\", \"id\": ");
    enum verdict v;

    for (int i = 0; i < 32000; i++) {
        g_string_append_c(s, '[');
    }
    for (int i = 0; i < 32000; i++) {
        g_string_append_c(s, ']');
    }
    g_string_append(s, "}\n");
    v = play_str(s->str);
    g_string_free(s, TRUE);
    return v;
}

enum verdict a_line_over_64k(struct devkit *k)
{
    size_t n = 70 * 1024;
    g_autofree char *s = g_malloc(n);

    memset(s, ' ', n);
    return play(s, n);
}
