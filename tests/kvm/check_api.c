/*
 * check_api.c: the control socket (--api-socket, husk ctl, docs/api.md)
 * driven directly, line by line, against the tiny guest on this host's
 * /dev/kvm: pause stops the counting guest and resume lets it go on; a
 * snapshot taken through the socket restores; events arrive; malformed
 * JSON, unknown commands, bad arguments, an over-long line and a client
 * that never reads get an error or a dropped connection while the VM
 * runs on; the socket's path rules.
 *
 *   check_api HUSK TINY_ELF [CASE]
 *
 * Exits 77 (skip) when /dev/kvm is unusable.
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness/check_run.h"
#include "harness/kvm_main.h"
#include "vmm/kvm.h"

static const char *husk, *tiny;
static char *tmp;

struct vmproc {
    GPid pid;
    int out; /* the guest's console */
    GString *seen;
    char *sock;
};

/* husk run of scenario with a control socket; waits until it listens. */
static void vm_start(struct vmproc *v, const char *scenario, const char *extra)
{
    g_autofree char *timeout = g_strdup("60");
    const char *argv[16] = {husk,        "run",       "--kernel",
                            tiny,        "--cmdline", scenario,
                            "--timeout", timeout,     "--api-socket"};
    unsigned n = 9;
    GError *err = NULL;

    v->sock = g_strdup_printf("%s/api-%s.sock", tmp, scenario);
    argv[n++] = v->sock;
    if (extra) {
        argv[n++] = extra;
    }
    argv[n] = NULL;
    v->seen = g_string_new(NULL);
    ck_assert_msg(g_spawn_async_with_pipes(
                      NULL, (char **)argv, NULL,
                      G_SPAWN_DO_NOT_REAP_CHILD | G_SPAWN_STDERR_TO_DEV_NULL,
                      NULL, NULL, &v->pid, NULL, &v->out, NULL, &err),
                  "spawn: %s", err ? err->message : "");
    fcntl(v->out, F_SETFL, O_NONBLOCK);
    for (int i = 0; i < 500 && !g_file_test(v->sock, G_FILE_TEST_EXISTS); i++) {
        g_usleep(10000);
    }
    ck_assert_msg(g_file_test(v->sock, G_FILE_TEST_EXISTS), "no socket %s",
                  v->sock);
}

/* What the guest printed so far. */
static const char *vm_output(struct vmproc *v)
{
    char buf[4096];
    ssize_t n;

    while ((n = read(v->out, buf, sizeof(buf))) > 0) {
        g_string_append_len(v->seen, buf, n);
    }
    return v->seen->str;
}

static void vm_wait_output(struct vmproc *v, const char *what)
{
    for (int i = 0; i < 3000 && !strstr(vm_output(v), what); i++) {
        g_usleep(10000);
    }
    ck_assert_msg(strstr(vm_output(v), what), "'%s' never came: %s", what,
                  v->seen->str);
}

static int vm_end(struct vmproc *v)
{
    int ws;

    ck_assert_int_eq(waitpid(v->pid, &ws, 0), v->pid);
    vm_output(v);
    close(v->out);
    return WIFEXITED(ws) ? WEXITSTATUS(ws) : 128 + WTERMSIG(ws);
}

static int connect_to(const char *path)
{
    struct sockaddr_un a = {.sun_family = AF_UNIX};
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

    g_strlcpy(a.sun_path, path, sizeof(a.sun_path));
    ck_assert_msg(connect(fd, (struct sockaddr *)&a, sizeof(a)) == 0,
                  "connect %s: %s", path, strerror(errno));
    return fd;
}

/* The next line from the socket (10 s bound), or NULL at its end. */
static char *get_line(int fd, GString *buf)
{
    char *nl;

    while (!(nl = memchr(buf->str, '\n', buf->len))) {
        struct pollfd p = {fd, POLLIN, 0};
        char b[4096];
        ssize_t n;

        ck_assert_msg(poll(&p, 1, 10000) == 1, "no line within 10 s");
        n = read(fd, b, sizeof(b));
        if (n <= 0) {
            return NULL;
        }
        g_string_append_len(buf, b, n);
    }
    {
        char *l = g_strndup(buf->str, (gsize)(nl - buf->str));

        g_string_erase(buf, 0, nl - buf->str + 1);
        return l;
    }
}

struct conn {
    int fd;
    GString *buf;
    GString *events; /* every event line seen, in order */
};

static struct conn conn_open(const char *path)
{
    struct conn c = {connect_to(path), g_string_new(NULL), g_string_new(NULL)};
    g_autofree char *hello = get_line(c.fd, c.buf);

    ck_assert_msg(
        hello && strstr(hello, "\"husk\"") && strstr(hello, "\"commands\""),
        "greeting: %s", hello);
    return c;
}

static void conn_close(struct conn *c)
{
    close(c->fd);
    g_string_free(c->buf, TRUE);
    g_string_free(c->events, TRUE);
}

/* Sends a line; returns the next line that is not an event (events seen
 * on the way are kept in c->events). */
static char *ask(struct conn *c, const char *line)
{
    ck_assert_int_eq(write(c->fd, line, strlen(line)), (ssize_t)strlen(line));
    ck_assert_int_eq(write(c->fd, "\n", 1), 1);
    for (;;) {
        char *l = get_line(c->fd, c->buf);

        if (!l || !strstr(l, "\"event\"")) {
            return l;
        }
        g_string_append_printf(c->events, "%s\n", l);
        g_free(l);
    }
}

static void expect_reply(struct conn *c, const char *line, const char *want)
{
    g_autofree char *r = ask(c, line);

    ck_assert_msg(r && strstr(r, want), "%s -> %s (wanted %s)", line, r, want);
}

START_TEST(pause_stops_the_guest_and_resume_goes_on)
{
    struct vmproc v;
    struct conn c;
    g_autofree char *r = NULL;
    size_t len;

    vm_start(&v, "c", NULL);
    c = conn_open(v.sock);
    vm_wait_output(&v, "count 1\n");
    r = ask(&c, "{\"execute\": \"pause\", \"id\": \"p1\"}");
    ck_assert_msg(r && strstr(r, "\"return\"") && strstr(r, "\"p1\""), "%s", r);
    expect_reply(&c, "{\"execute\": \"query-status\"}", "\"paused\"");
    len = strlen(vm_output(&v));
    g_usleep(1500 * 1000); /* ten counts' time on this host */
    ck_assert_msg(strlen(vm_output(&v)) == len, "the paused guest printed: %s",
                  v.seen->str + len);
    expect_reply(&c, "{\"execute\": \"resume\"}", "\"return\"");
    expect_reply(&c, "{\"execute\": \"query-status\"}", "\"running\"");
    ck_assert_int_eq(vm_end(&v), 10);
    ck_assert_msg(strstr(v.seen->str, "count 9\n"), "%s", v.seen->str);
    /* STOP and RESUME came as events; SHUTDOWN last. */
    {
        g_autofree char *l = NULL;

        while ((l = get_line(c.fd, c.buf))) {
            g_string_append_printf(c.events, "%s\n", l);
            g_free(l);
        }
    }
    {
        const char *e = c.events->str, *stop = strstr(e, "\"STOP\""),
                   *res = strstr(e, "\"RESUME\""),
                   *down = strstr(e, "\"SHUTDOWN\"");

        ck_assert_msg(stop && res && down && stop < res && res < down &&
                          strstr(down, "\"exit-port\""),
                      "events: %s", e);
    }
    conn_close(&c);
}
END_TEST

START_TEST(snapshot_through_the_socket_restores)
{
    struct vmproc v;
    struct conn c;
    g_autofree char *dir = g_strdup_printf("%s/snap", tmp);
    g_autofree char *req = g_strdup_printf(
        "{\"execute\": \"snapshot\", \"arguments\": {\"path\": \"%s\"}}", dir);
    g_autofree char *r = NULL, *out = NULL, *err = NULL;
    const char *cnt;
    int n, ws;

    vm_start(&v, "c", NULL);
    c = conn_open(v.sock);
    vm_wait_output(&v, "count 2\n");
    expect_reply(&c, "{\"execute\": \"pause\"}", "\"return\"");
    cnt = strrchr(vm_output(&v), 't'); /* "...count N\n": the last count */
    n = cnt ? atoi(cnt + 2) : -1;
    r = ask(&c, req);
    ck_assert_msg(r && strstr(r, "\"memory-bytes\""), "snapshot: %s", r);
    ck_assert_msg(strstr(c.events->str, "\"SNAPSHOT_DONE\""), "events: %s",
                  c.events->str);
    expect_reply(&c, "{\"execute\": \"quit\"}", "\"return\"");
    ck_assert_int_eq(vm_end(&v), 0);
    conn_close(&c);
    /* The restored guest goes on after the last count before the pause. */
    {
        const char *argv[] = {husk, "restore", dir, "--timeout", "60", NULL};
        g_autofree char *first =
            g_strdup_printf("husk-tiny: count %d\n", n + 1);

        ck_assert(g_spawn_sync(NULL, (char **)argv, NULL,
                               G_SPAWN_STDIN_FROM_DEV_NULL, NULL, NULL, &out,
                               &err, &ws, NULL));
        ck_assert_msg(WIFEXITED(ws) && WEXITSTATUS(ws) == 10, "%s", err);
        ck_assert_msg(g_str_has_prefix(out, first),
                      "paused after count %d, "
                      "restored: %s",
                      n, out);
    }
}
END_TEST

/* A snapshot of a paused VM leaves it paused; resume then lets it go on
 * (the second pause inside the snapshot once left the vCPUs unable to
 * enter the guest after resume). */
START_TEST(resume_after_a_snapshot_of_a_paused_vm)
{
    struct vmproc v;
    struct conn c;
    g_autofree char *dir = g_strdup_printf("%s/snap-paused", tmp);
    g_autofree char *req = g_strdup_printf(
        "{\"execute\": \"snapshot\", \"arguments\": {\"path\": \"%s\"}}", dir);

    vm_start(&v, "c", NULL);
    c = conn_open(v.sock);
    vm_wait_output(&v, "count 1\n");
    expect_reply(&c, "{\"execute\": \"pause\"}", "\"return\"");
    expect_reply(&c, req, "\"memory-bytes\"");
    expect_reply(&c, "{\"execute\": \"query-status\"}", "\"paused\"");
    expect_reply(&c, "{\"execute\": \"resume\"}", "\"return\"");
    ck_assert_int_eq(vm_end(&v), 10);
    ck_assert_msg(strstr(v.seen->str, "count 9\n"), "%s", v.seen->str);
    conn_close(&c);
}
END_TEST

START_TEST(malformed_input_gets_an_error_and_the_vm_runs_on)
{
    struct vmproc v;
    struct conn c, quiet;
    static const struct {
        const char *line, *want;
    } cases[] = {
        {"{\"execute\": ", "not valid JSON"},
        {"[1, 2, 3]", "expected a JSON object"},
        {"\"pause\"", "expected a JSON object"},
        {"{\"exec\": \"pause\"}", "expected {\\\"execute\\\""},
        {"{\"execute\": 42}", "expected {\\\"execute\\\""},
        {"{\"execute\": \"reboot-the-host\"}", "CommandNotFound"},
        {"{\"execute\": \"pause\", \"arguments\": [1]}", "must be an object"},
        {"{\"execute\": \"pause\", \"arguments\": {\"x\": 1}}",
         "takes no arguments"},
        {"{\"execute\": \"snapshot\"}", "absolute path"},
        {"{\"execute\": \"snapshot\", \"arguments\": {\"path\": \"rel\"}}",
         "absolute path"},
        {"{\"execute\": \"snapshot\", \"arguments\": {\"path\": 7}}",
         "absolute path"},
        {"{\"execute\": \"snapshot\", \"arguments\": {\"path\": "
         "\"/proc/nope/x\"}}",
         "\"error\""},
        {"\xff\xfe garbage \x01", "not valid JSON"},
    };

    vm_start(&v, "l", NULL);
    c = conn_open(v.sock);
    for (unsigned i = 0; i < G_N_ELEMENTS(cases); i++) {
        expect_reply(&c, cases[i].line, cases[i].want);
    }
    /* A client that never reads while another makes events, and one that
     * sends a line over the bound: neither stops the VM or the socket. */
    quiet = conn_open(v.sock);
    {
        bool dropped = false;

        /* Events until the helper gives up on the client that reads
         * none of them (256 KiB queued): its end then hangs up. */
        for (int i = 0; i < 5000 && !dropped; i++) {
            expect_reply(&c, "{\"execute\": \"pause\"}", "\"return\"");
            expect_reply(&c, "{\"execute\": \"resume\"}", "\"return\"");
            if (i % 50 == 0) {
                struct pollfd p = {quiet.fd, POLLRDHUP, 0};

                dropped =
                    poll(&p, 1, 0) == 1 && (p.revents & (POLLHUP | POLLRDHUP));
            }
        }
        ck_assert_msg(dropped, "a client that reads nothing was not dropped");
    }
    {
        struct conn big = conn_open(v.sock);
        size_t n = 100 * 1024;
        g_autofree char *line = g_malloc(n);
        g_autofree char *r = NULL;

        memset(line, ' ', n);
        line[n - 1] = '\0';
        (void)!write(big.fd, line, n - 1);
        r = get_line(big.fd, big.buf);
        ck_assert_msg(r && strstr(r, "over 64 KiB"), "%s", r);
        g_free(get_line(big.fd, big.buf)); /* then the end */
        conn_close(&big);
    }
    expect_reply(&c, "{\"execute\": \"query-status\"}", "\"running\"");
    expect_reply(&c, "{\"execute\": \"qmp_capabilities\"}", "\"return\"");
    expect_reply(&c, "{\"execute\": \"quit\", \"id\": [1, {\"a\": null}]}",
                 "\"id\":[1,{\"a\":null}]");
    ck_assert_int_eq(vm_end(&v), 0);
    conn_close(&quiet);
    conn_close(&c);
}
END_TEST

START_TEST(socket_path_rules)
{
    g_autofree char *file = g_strdup_printf("%s/not-a-socket", tmp);
    g_autofree char *stale = g_strdup_printf("%s/stale.sock", tmp);
    const char *a1[] = {
        husk,           "run", "--kernel",  tiny, "--cmdline", "h",
        "--api-socket", file,  "--timeout", "20", NULL};
    g_autofree char *out = NULL, *err = NULL;
    struct stat st;
    int ws;

    /* An existing file that is not a stale socket: an error, nothing run. */
    ck_assert(g_file_set_contents(file, "keep me", -1, NULL));
    ck_assert(g_spawn_sync(NULL, (char **)a1, NULL, G_SPAWN_STDIN_FROM_DEV_NULL,
                           NULL, NULL, &out, &err, &ws, NULL));
    ck_assert_msg(WIFEXITED(ws) && WEXITSTATUS(ws) == 73, "status %d: %s",
                  WEXITSTATUS(ws), err);
    ck_assert_msg(strstr(err, "exists"), "%s", err);
    ck_assert(!strstr(out, "hello"));
    {
        g_autofree char *keep = NULL;

        ck_assert(g_file_get_contents(file, &keep, NULL, NULL));
        ck_assert_str_eq(keep, "keep me");
    }
    /* A socket left by a husk that ended is taken over. */
    {
        struct sockaddr_un a = {.sun_family = AF_UNIX};
        int fd = socket(AF_UNIX, SOCK_STREAM, 0);
        g_strlcpy(a.sun_path, stale, sizeof(a.sun_path));
        ck_assert_int_eq(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
        close(fd); /* bound, never listened: nobody answers */
        g_free(out);
        g_free(err);
        out = err = NULL;
        {
            const char *a2[] = {
                husk,           "run", "--kernel",  tiny, "--cmdline", "h",
                "--api-socket", stale, "--timeout", "20", NULL};

            ck_assert(g_spawn_sync(NULL, (char **)a2, NULL,
                                   G_SPAWN_STDIN_FROM_DEV_NULL, NULL, NULL,
                                   &out, &err, &ws, NULL));
        }
        ck_assert_msg(WIFEXITED(ws) && WEXITSTATUS(ws) == 0, "%s", err);
        ck_assert(strstr(out, "husk-tiny: hello"));
        /* And removed when husk ended. */
        ck_assert(!g_file_test(stale, G_FILE_TEST_EXISTS));
    }
    /* The socket is the user's alone. */
    {
        struct vmproc v;
        struct conn c;

        vm_start(&v, "l", NULL);
        ck_assert_int_eq(lstat(v.sock, &st), 0);
        ck_assert_uint_eq(st.st_mode & 0777, 0600);
        c = conn_open(v.sock);
        expect_reply(&c, "{\"execute\": \"quit\"}", "\"return\"");
        ck_assert_int_eq(vm_end(&v), 0);
        conn_close(&c);
    }
}
END_TEST

static void remove_tmp(void)
{
    g_autofree char *cmd = g_strdup_printf("rm -rf '%s'", tmp);

    if (system(cmd) != 0) {
        fprintf(stderr, "cannot remove %s\n", tmp);
    }
}

int main(int argc, char **argv)
{
    const struct check_case cases[] = {
#define CASE(n) {#n, n}
        CASE(pause_stops_the_guest_and_resume_goes_on),
        CASE(snapshot_through_the_socket_restores),
        CASE(resume_after_a_snapshot_of_a_paused_vm),
        CASE(malformed_input_gets_an_error_and_the_vm_runs_on),
        CASE(socket_path_rules),
#undef CASE
    };
    int r = kvm_main_args("check_api", cases, G_N_ELEMENTS(cases), argc, argv,
                          &husk, &tiny);

    if (r >= 0) {
        return r;
    }
    signal(SIGPIPE, SIG_IGN);
    /* Short: a UNIX socket path has 107 bytes. */
    tmp = g_dir_make_tmp("husk-api-XXXXXX", NULL);
    atexit(remove_tmp);
    return check_run_case("api", cases, G_N_ELEMENTS(cases),
                          argc == 4 ? argv[3] : NULL, 120);
}
