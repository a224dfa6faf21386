/*
 * main.c: husk-api, the control socket's helper (docs/api.md).
 *
 *   husk-api serve --fd=N --socket=PATH   (husk starts it: --api-socket)
 *   husk-api ctl PATH COMMAND [ARG]       (husk ctl runs it)
 *
 * serve listens on PATH (a UNIX stream socket, mode 0600; an existing
 * path is an error unless it is a stale socket) and speaks QMP's shape to
 * each client: one JSON object per line each way, parsed and written with
 * json-glib.  On connect a greeting; then {"execute": NAME, "arguments":
 * {...}, "id": ANY} gets {"return": {...}, "id": ANY} or {"error":
 * {"class", "desc", "status"}, "id": ANY}; events come as {"event": NAME,
 * "timestamp": {...}, "data": {...}}.  Each command goes to husk as a
 * fixed-size record over fd N (lib/api_proto.h); husk parses no JSON.
 *
 * Trust boundary: a client is any process of the user (the socket is
 * 0600).  Every line is bounded (64 KiB) and parsed whole; a malformed
 * one gets an error reply, a client that sends an over-long line or does
 * not read what it is sent (256 KiB queued) is dropped.  The VM never
 * waits for a client: husk's records are answered in order, without
 * blocking, and a full queue to a client drops that client.
 */
#define G_LOG_DOMAIN "husk-api"
#include <errno.h>
#include <fcntl.h>
#include <glib-unix.h>
#include <glib.h>
#include <json-glib/json-glib.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "lib/api_proto.h"
#include "lib/error.h"
#include "vmm/sandbox.h"
#include "vmm/snapshot.h"

#define LINE_MAX_BYTES (64 * 1024)
#define OUT_MAX_BYTES (256 * 1024)
#define MAX_CLIENTS 16
#define FLUSH_MS 1000 /* the last events to clients when husk ends */

struct helper;

struct client {
    struct helper *h;
    int fd;
    GSource *in_src, *out_src;
    GString *in, *out;
    bool waiting;    /* a command is with husk */
    uint64_t tag;    /* its tag */
    JsonNode *id;    /* its "id", echoed */
    char *command;   /* its name, for the reply's shape */
    char *snap_path; /* snapshot: the directory */
};

struct helper {
    int husk_fd, listen_fd;
    char *path;
    GMainLoop *loop;
    GPtrArray *clients;
    uint64_t next_tag;
    bool paused; /* as husk last said */
};

static const char *const commands[] = {
    "qmp_capabilities", "query-status", "pause", "resume",
    "snapshot",         "powerdown",    "quit",
};

static void client_drop(struct client *c);

static char *to_line(JsonBuilder *b)
{
    g_autoptr(JsonNode) root = json_builder_get_root(b);
    g_autoptr(JsonGenerator) g = json_generator_new();
    char *s;

    json_generator_set_root(g, root);
    s = json_generator_to_data(g, NULL);
    return s;
}

static gboolean on_writable(gint fd, GIOCondition cond, gpointer opaque);

/* Queues a line for the client; drops it if it does not keep up. */
static void client_send(struct client *c, const char *line)
{
    if (c->fd < 0) {
        return;
    }
    if (c->out->len + strlen(line) + 1 > OUT_MAX_BYTES) {
        g_debug("client %d reads nothing: dropped", c->fd);
        client_drop(c);
        return;
    }
    g_string_append(c->out, line);
    g_string_append_c(c->out, '\n');
    if (!c->out_src) {
        c->out_src = g_unix_fd_source_new(c->fd, G_IO_OUT);
        g_source_set_callback(c->out_src, G_SOURCE_FUNC(on_writable), c, NULL);
        g_source_attach(c->out_src, NULL);
    }
}

static gboolean on_writable(gint fd, GIOCondition cond, gpointer opaque)
{
    struct client *c = opaque;
    ssize_t n = send(fd, c->out->str, c->out->len, MSG_DONTWAIT | MSG_NOSIGNAL);

    if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
        return G_SOURCE_CONTINUE;
    }
    if (n < 0) {
        client_drop(c);
        return G_SOURCE_REMOVE;
    }
    g_string_erase(c->out, 0, n);
    if (c->out->len) {
        return G_SOURCE_CONTINUE;
    }
    g_source_unref(c->out_src);
    c->out_src = NULL;
    return G_SOURCE_REMOVE;
}

static void add_id(JsonBuilder *b, JsonNode *id)
{
    if (id) {
        json_builder_set_member_name(b, "id");
        json_builder_add_value(b, json_node_copy(id));
    }
}

static void send_error(struct client *c,
                       JsonNode *id,
                       const char *cls,
                       const char *desc,
                       int status)
{
    g_autoptr(JsonBuilder) b = json_builder_new();
    g_autofree char *line = NULL;

    json_builder_begin_object(b);
    json_builder_set_member_name(b, "error");
    json_builder_begin_object(b);
    json_builder_set_member_name(b, "class");
    json_builder_add_string_value(b, cls);
    json_builder_set_member_name(b, "desc");
    json_builder_add_string_value(b, desc);
    json_builder_set_member_name(b, "status");
    json_builder_add_int_value(b, status);
    json_builder_end_object(b);
    add_id(b, id);
    json_builder_end_object(b);
    line = to_line(b);
    client_send(c, line);
}

static void send_status_return(struct client *c, JsonBuilder *b, bool paused)
{
    json_builder_set_member_name(b, "status");
    json_builder_add_string_value(b, paused ? "paused" : "running");
    json_builder_set_member_name(b, "running");
    json_builder_add_boolean_value(b, !paused);
}

/* What a snapshot reply and its event say: where, how long (husk sends
 * microseconds) and how much memory it wrote. */
static void add_snapshot_result(JsonBuilder *b,
                                const char *path,
                                const struct api_response *r)
{
    json_builder_set_member_name(b, "path");
    json_builder_add_string_value(b, path);
    json_builder_set_member_name(b, "ms");
    json_builder_add_double_value(b, (double)r->value[0] / 1000.0);
    json_builder_set_member_name(b, "memory-bytes");
    json_builder_add_int_value(b, (gint64)r->value[1]);
}

/* husk's reply to the client's command. */
static void finish_command(struct client *c, const struct api_response *r)
{
    g_autoptr(JsonBuilder) b = json_builder_new();
    g_autofree char *line = NULL;

    c->waiting = false;
    if (r->error) {
        send_error(c, c->id, "GenericError", r->text, r->error);
    } else {
        json_builder_begin_object(b);
        json_builder_set_member_name(b, "return");
        json_builder_begin_object(b);
        if (!strcmp(c->command, "query-status")) {
            send_status_return(c, b, r->paused);
        } else if (!strcmp(c->command, "snapshot")) {
            add_snapshot_result(b, c->snap_path, r);
        }
        json_builder_end_object(b);
        add_id(b, c->id);
        json_builder_end_object(b);
        line = to_line(b);
        client_send(c, line);
    }
    g_clear_pointer(&c->id, json_node_unref);
    g_clear_pointer(&c->command, g_free);
    g_clear_pointer(&c->snap_path, g_free);
}

static const char *event_name(uint32_t ev)
{
    switch (ev) {
    case API_EV_STOP:
        return "STOP";
    case API_EV_RESUME:
        return "RESUME";
    case API_EV_SHUTDOWN:
        return "SHUTDOWN";
    case API_EV_GUEST_PANICKED:
        return "GUEST_PANICKED";
    case API_EV_SNAPSHOT_DONE:
        return "SNAPSHOT_DONE";
    }
    return NULL;
}

static void broadcast_event(struct helper *h, const struct api_response *r)
{
    g_autoptr(JsonBuilder) b = json_builder_new();
    g_autofree char *line = NULL;
    gint64 now = g_get_real_time();

    json_builder_begin_object(b);
    json_builder_set_member_name(b, "event");
    json_builder_add_string_value(b, event_name(r->event));
    json_builder_set_member_name(b, "timestamp");
    json_builder_begin_object(b);
    json_builder_set_member_name(b, "seconds");
    json_builder_add_int_value(b, now / G_USEC_PER_SEC);
    json_builder_set_member_name(b, "microseconds");
    json_builder_add_int_value(b, now % G_USEC_PER_SEC);
    json_builder_end_object(b);
    json_builder_set_member_name(b, "data");
    json_builder_begin_object(b);
    if (r->event == API_EV_SHUTDOWN) {
        json_builder_set_member_name(b, "reason");
        json_builder_add_string_value(b, r->text);
    } else if (r->event == API_EV_SNAPSHOT_DONE) {
        add_snapshot_result(b, r->text, r);
    }
    json_builder_end_object(b);
    json_builder_end_object(b);
    line = to_line(b);
    /* Over a copy: a client that does not keep up is dropped on the way. */
    {
        g_autoptr(GPtrArray) all = g_ptr_array_copy(h->clients, NULL, NULL);

        for (unsigned i = 0; i < all->len; i++) {
            client_send(g_ptr_array_index(all, i), line);
        }
    }
}

static void process_lines(struct client *c);

/* A record from husk, checked before anything in it is used. */
static gboolean on_husk(gint fd, GIOCondition cond, gpointer opaque)
{
    struct helper *h = opaque;
    struct api_response r;
    ssize_t n = recv(fd, &r, sizeof(r), MSG_DONTWAIT);

    if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
        return G_SOURCE_CONTINUE;
    }
    if (n == 0 || (n < 0 && !(cond & G_IO_IN))) {
        g_main_loop_quit(h->loop); /* husk is gone */
        return G_SOURCE_REMOVE;
    }
    if (n != (ssize_t)sizeof(r) || r.magic != API_MAGIC ||
        !memchr(r.text, '\0', sizeof(r.text)) ||
        (r.kind != API_REPLY && r.kind != API_EVENT) ||
        (r.kind == API_EVENT && !event_name(r.event))) {
        g_printerr("husk-api: a malformed record from husk; ending\n");
        g_main_loop_quit(h->loop);
        return G_SOURCE_REMOVE;
    }
    h->paused = r.paused != 0;
    if (r.kind == API_EVENT) {
        broadcast_event(h, &r);
        return G_SOURCE_CONTINUE;
    }
    for (unsigned i = 0; i < h->clients->len; i++) {
        struct client *c = g_ptr_array_index(h->clients, i);

        if (c->waiting && c->tag == r.tag) {
            finish_command(c, &r);
            process_lines(c); /* what it sent meanwhile */
            break;
        }
    }
    return G_SOURCE_CONTINUE;
}

static bool send_to_husk(struct helper *h,
                         struct client *c,
                         uint32_t cmd,
                         const char *text,
                         const int *fds,
                         unsigned nfds)
{
    struct api_request q = {.magic = API_MAGIC, .cmd = cmd};
    struct iovec iov = {&q, sizeof(q)};
    union {
        struct cmsghdr hd;
        char buf[CMSG_SPACE(sizeof(int) * 3)];
    } u;
    struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1};

    q.tag = ++h->next_tag;
    g_strlcpy(q.text, text ? text : "", sizeof(q.text));
    if (nfds) {
        struct cmsghdr *ch;

        memset(&u, 0, sizeof(u));
        m.msg_control = u.buf;
        m.msg_controllen = CMSG_SPACE(sizeof(int) * nfds);
        ch = CMSG_FIRSTHDR(&m);
        ch->cmsg_level = SOL_SOCKET;
        ch->cmsg_type = SCM_RIGHTS;
        ch->cmsg_len = CMSG_LEN(sizeof(int) * nfds);
        memcpy(CMSG_DATA(ch), fds, sizeof(int) * nfds);
    }
    /* Blocking would make the helper wait for a VM that is taking a
     * snapshot; husk answers in order, so a full queue is husk stuck. */
    if (sendmsg(h->husk_fd, &m, MSG_DONTWAIT | MSG_NOSIGNAL) !=
        (ssize_t)sizeof(q)) {
        return false;
    }
    c->tag = q.tag;
    c->waiting = true;
    return true;
}

static uint32_t command_code(const char *name)
{
    static const struct {
        const char *name;
        uint32_t cmd;
    } map[] = {
        {"query-status", API_CMD_QUERY_STATUS},
        {"pause", API_CMD_PAUSE},
        {"resume", API_CMD_RESUME},
        {"snapshot", API_CMD_SNAPSHOT},
        {"powerdown", API_CMD_POWERDOWN},
        {"quit", API_CMD_QUIT},
    };

    for (unsigned i = 0; i < G_N_ELEMENTS(map); i++) {
        if (!strcmp(map[i].name, name)) {
            return map[i].cmd;
        }
    }
    return 0;
}

/* One line from a client: a command, or an error reply. */
static void handle_line(struct client *c, const char *line, size_t len)
{
    g_autoptr(JsonParser) p = json_parser_new();
    g_autoptr(GError) e = NULL;
    JsonNode *root;
    JsonObject *o, *args = NULL;
    JsonNode *id = NULL;
    const char *name;
    uint32_t cmd;
    int fds[3];
    unsigned nfds = 0;
    g_autofree char *path = NULL;

    if (!json_parser_load_from_data(p, line, (gssize)len, &e)) {
        send_error(c, NULL, "GenericError", "the line is not valid JSON",
                   HUSK_EXIT_USAGE);
        return;
    }
    root = json_parser_get_root(p);
    if (!root || !JSON_NODE_HOLDS_OBJECT(root)) {
        send_error(c, NULL, "GenericError", "expected a JSON object",
                   HUSK_EXIT_USAGE);
        return;
    }
    o = json_node_get_object(root);
    id = json_object_get_member(o, "id");
    if (!json_object_has_member(o, "execute") ||
        !JSON_NODE_HOLDS_VALUE(json_object_get_member(o, "execute")) ||
        json_node_get_value_type(json_object_get_member(o, "execute")) !=
            G_TYPE_STRING) {
        send_error(c, id, "GenericError",
                   "expected {\"execute\": COMMAND, ...}", HUSK_EXIT_USAGE);
        return;
    }
    name = json_object_get_string_member(o, "execute");
    if (json_object_has_member(o, "arguments")) {
        JsonNode *a = json_object_get_member(o, "arguments");

        if (!JSON_NODE_HOLDS_OBJECT(a)) {
            send_error(c, id, "GenericError", "arguments must be an object",
                       HUSK_EXIT_USAGE);
            return;
        }
        args = json_node_get_object(a);
    }
    if (!strcmp(name, "qmp_capabilities")) {
        /* QMP clients start with it; nothing to negotiate here. */
        g_autoptr(JsonBuilder) b = json_builder_new();
        g_autofree char *out = NULL;

        json_builder_begin_object(b);
        json_builder_set_member_name(b, "return");
        json_builder_begin_object(b);
        json_builder_end_object(b);
        add_id(b, id);
        json_builder_end_object(b);
        out = to_line(b);
        client_send(c, out);
        return;
    }
    cmd = command_code(name);
    if (!cmd) {
        g_autofree char *msg = g_strdup_printf("unknown command '%.64s'", name);

        send_error(c, id, "CommandNotFound", msg, HUSK_EXIT_USAGE);
        return;
    }
    if (cmd == API_CMD_SNAPSHOT) {
        JsonNode *pn = args ? json_object_get_member(args, "path") : NULL;
        struct snap_files f;
        g_autoptr(GError) fe = NULL;

        if (!pn || !JSON_NODE_HOLDS_VALUE(pn) ||
            json_node_get_value_type(pn) != G_TYPE_STRING ||
            !g_path_is_absolute(json_node_get_string(pn)) ||
            strlen(json_node_get_string(pn)) >= API_TEXT_MAX) {
            send_error(c, id, "GenericError",
                       "snapshot needs {\"path\": DIR}, DIR an absolute path",
                       HUSK_EXIT_USAGE);
            return;
        }
        path = g_strdup(json_node_get_string(pn));
        if (!snap_files_create(&f, path, &fe)) {
            send_error(c, id, "GenericError", fe->message, fe->code);
            return;
        }
        fds[0] = f.manifest_fd;
        fds[1] = f.state_fd;
        fds[2] = f.memory_fd;
        nfds = 3;
        f.manifest_fd = f.state_fd = f.memory_fd = -1;
        snap_files_close(&f);
    } else if (args && json_object_get_size(args)) {
        send_error(c, id, "GenericError", "this command takes no arguments",
                   HUSK_EXIT_USAGE);
        return;
    }
    if (!send_to_husk(c->h, c, cmd, path, fds, nfds)) {
        send_error(c, id, "GenericError", "husk is not answering",
                   HUSK_EXIT_SOFTWARE);
    } else {
        c->id = id ? json_node_copy(id) : NULL;
        c->command = g_strdup(name);
        c->snap_path = g_steal_pointer(&path);
    }
    for (unsigned i = 0; i < nfds; i++) {
        close(fds[i]); /* husk has its own copies now */
    }
}

/* Whole lines, in order; one command with husk at a time. */
static void process_lines(struct client *c)
{
    char *nl;

    while (c->fd >= 0 && !c->waiting &&
           (nl = memchr(c->in->str, '\n', c->in->len))) {
        size_t len = (size_t)(nl - c->in->str);
        g_autofree char *line = g_strndup(c->in->str, len);

        g_string_erase(c->in, 0, (gssize)len + 1);
        if (len && line[len - 1] == '\r') {
            line[--len] = '\0';
        }
        if (len) {
            handle_line(c, line, len);
        }
    }
}

static gboolean on_client(gint fd, GIOCondition cond, gpointer opaque)
{
    struct client *c = opaque;
    char buf[4096];
    ssize_t n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);

    if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
        return G_SOURCE_CONTINUE;
    }
    if (n <= 0) {
        client_drop(c);
        return G_SOURCE_REMOVE;
    }
    g_string_append_len(c->in, buf, n);
    process_lines(c);
    if (c->fd >= 0 && c->in->len > LINE_MAX_BYTES) {
        send_error(c, NULL, "GenericError", "line over 64 KiB: dropped",
                   HUSK_EXIT_USAGE);
        /* What was queued goes out before the close, within the bound. */
        (void)!send(c->fd, c->out->str, c->out->len,
                    MSG_DONTWAIT | MSG_NOSIGNAL);
        client_drop(c);
        return G_SOURCE_REMOVE;
    }
    return G_SOURCE_CONTINUE;
}

static gboolean client_free(gpointer opaque)
{
    struct client *c = opaque;

    g_string_free(c->in, TRUE);
    g_string_free(c->out, TRUE);
    if (c->id) {
        json_node_unref(c->id);
    }
    g_free(c->command);
    g_free(c->snap_path);
    g_free(c);
    return G_SOURCE_REMOVE;
}

static void client_drop(struct client *c)
{
    struct helper *h = c->h;

    if (c->fd < 0) {
        return;
    }
    if (c->in_src) {
        g_source_destroy(c->in_src);
        g_source_unref(c->in_src);
    }
    if (c->out_src) {
        g_source_destroy(c->out_src);
        g_source_unref(c->out_src);
    }
    c->in_src = c->out_src = NULL;
    close(c->fd);
    c->fd = -1;
    g_ptr_array_remove(h->clients, c);
    /* A reply husk still owes this client finds no one and is dropped.
     * Freed once the loop is idle: a caller up the stack (a reply being
     * written, a broadcast) may still hold c. */
    g_idle_add(client_free, c);
}

static void greet(struct client *c)
{
    g_autoptr(JsonBuilder) b = json_builder_new();
    g_autofree char *line = NULL;

    json_builder_begin_object(b);
    json_builder_set_member_name(b, "husk");
    json_builder_begin_object(b);
    json_builder_set_member_name(b, "version");
    json_builder_add_string_value(b, HUSK_VERSION);
    json_builder_set_member_name(b, "commands");
    json_builder_begin_array(b);
    for (unsigned i = 0; i < G_N_ELEMENTS(commands); i++) {
        json_builder_add_string_value(b, commands[i]);
    }
    json_builder_end_array(b);
    json_builder_end_object(b);
    json_builder_end_object(b);
    line = to_line(b);
    client_send(c, line);
}

static gboolean on_accept(gint fd, GIOCondition cond, gpointer opaque)
{
    struct helper *h = opaque;
    int cfd = accept4(fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
    struct client *c;

    if (cfd < 0) {
        return G_SOURCE_CONTINUE;
    }
    c = g_new0(struct client, 1);
    c->h = h;
    c->fd = cfd;
    c->in = g_string_new(NULL);
    c->out = g_string_new(NULL);
    if (h->clients->len >= MAX_CLIENTS) {
        send_error(c, NULL, "GenericError", "too many clients",
                   HUSK_EXIT_UNAVAILABLE);
        (void)!send(cfd, c->out->str, c->out->len, MSG_DONTWAIT | MSG_NOSIGNAL);
        g_ptr_array_add(h->clients, c);
        client_drop(c);
        return G_SOURCE_CONTINUE;
    }
    g_ptr_array_add(h->clients, c);
    c->in_src = g_unix_fd_source_new(cfd, G_IO_IN | G_IO_HUP | G_IO_ERR);
    g_source_set_callback(c->in_src, G_SOURCE_FUNC(on_client), c, NULL);
    g_source_attach(c->in_src, NULL);
    greet(c);
    return G_SOURCE_CONTINUE;
}

/* A socket at path nobody listens on any more (a husk that died). */
static bool is_stale_socket(const char *path)
{
    struct sockaddr_un a = {.sun_family = AF_UNIX};
    struct stat st;
    int fd;
    bool stale;

    if (lstat(path, &st) < 0 || !S_ISSOCK(st.st_mode)) {
        return false;
    }
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    g_strlcpy(a.sun_path, path, sizeof(a.sun_path));
    stale = fd >= 0 && connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0 &&
            errno == ECONNREFUSED;
    if (fd >= 0) {
        close(fd);
    }
    return stale;
}

static int listen_on(const char *path, GError **errp)
{
    struct sockaddr_un a = {.sun_family = AF_UNIX};
    mode_t old;
    int fd;

    if (strlen(path) >= sizeof(a.sun_path)) {
        g_set_error(errp, HUSK_ERROR, HUSK_EXIT_USAGE,
                    "%s: longer than a socket path may be (%zu bytes)", path,
                    sizeof(a.sun_path) - 1);
        return -1;
    }
    if (g_file_test(path, G_FILE_TEST_EXISTS) || is_stale_socket(path)) {
        if (!is_stale_socket(path)) {
            g_set_error(errp, HUSK_ERROR, HUSK_EXIT_CANTCREAT,
                        "%s exists (and is not a socket left by a husk "
                        "that ended)",
                        path);
            return -1;
        }
        unlink(path);
    }
    g_strlcpy(a.sun_path, path, sizeof(a.sun_path));
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    /* 0600 from the start: no moment where another user may connect. */
    old = umask(0177);
    if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0 ||
        listen(fd, 8) < 0) {
        int e = errno;

        umask(old);
        if (fd >= 0) {
            close(fd);
        }
        g_set_error(errp, HUSK_ERROR, HUSK_EXIT_CANTCREAT, "%s: %s", path,
                    g_strerror(e));
        return -1;
    }
    umask(old);
    return fd;
}

static void tell_husk(int fd, int error, const char *msg)
{
    struct api_response r = {.magic = API_MAGIC, .kind = API_REPLY};

    r.error = error;
    g_strlcpy(r.text, msg ? msg : "", sizeof(r.text));
    (void)!send(fd, &r, sizeof(r), MSG_NOSIGNAL);
}

/* Everything that might open a file or make a descriptor the first time
 * it is used (the type system, the main context's wakeup), done before
 * the filter. */
static void warm_up(void)
{
    g_autoptr(JsonParser) p = json_parser_new();
    g_autoptr(JsonBuilder) b = json_builder_new();
    g_autofree char *s = NULL;

    json_parser_load_from_data(p, "{\"a\": [1, 2.5, \"x\"]}", -1, NULL);
    json_builder_begin_object(b);
    json_builder_end_object(b);
    s = to_line(b);
    g_main_context_wakeup(NULL);
}

static int serve(int husk_fd, const char *path, enum sandbox_mode mode)
{
    struct helper h = {.husk_fd = husk_fd, .path = (char *)path};
    g_autoptr(GError) err = NULL;
    gint64 deadline;

    signal(SIGPIPE, SIG_IGN);
    h.listen_fd = listen_on(path, &err);
    if (h.listen_fd < 0) {
        tell_husk(husk_fd, err->code, err->message);
        return err->code;
    }
    h.clients = g_ptr_array_new();
    h.loop = g_main_loop_new(NULL, FALSE);
    g_unix_fd_add(h.listen_fd, G_IO_IN, on_accept, &h);
    g_unix_fd_add(husk_fd, G_IO_IN | G_IO_HUP | G_IO_ERR, on_husk, &h);
    warm_up();
    /* Its own seccomp filter (role SANDBOX_API: no exec, no KVM, no
     * sockets but those it has); no Landlock, since a snapshot may go
     * wherever the user may write. */
    if (!sandbox_prepare(mode, SANDBOX_ROLE_BIT(SANDBOX_API), &err) ||
        (mode != SANDBOX_OFF && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) ||
        sandbox_enter(SANDBOX_API, "api") < 0) {
        tell_husk(husk_fd, HUSK_EXIT_OSERR,
                  err ? err->message : "cannot enter the sandbox");
        unlink(path);
        return HUSK_EXIT_OSERR;
    }
    tell_husk(husk_fd, 0, NULL);
    g_main_loop_run(h.loop);
    /* husk ended: the last events to those who read them, bounded. */
    unlink(path);
    close(h.listen_fd);
    deadline = g_get_monotonic_time() + FLUSH_MS * 1000;
    for (;;) {
        bool pending = false;

        for (unsigned i = 0; i < h.clients->len; i++) {
            pending |=
                ((struct client *)g_ptr_array_index(h.clients, i))->out->len >
                0;
        }
        if (!pending || g_get_monotonic_time() > deadline) {
            break;
        }
        g_main_context_iteration(NULL, FALSE);
        g_usleep(1000);
    }
    while (h.clients->len) {
        client_drop(g_ptr_array_index(h.clients, 0));
    }
    return 0;
}

/* ---- husk ctl ------------------------------------------------------ */

static int ctl_fail(int status, const char *fmt, ...) G_GNUC_PRINTF(2, 3);

static int ctl_fail(int status, const char *fmt, ...)
{
    va_list ap;

    fputs("husk ctl: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    return status;
}

/* The next line from fd within the deadline, or NULL. */
static char *read_line(int fd, GString *buf, gint64 deadline)
{
    char *nl;

    while (!(nl = memchr(buf->str, '\n', buf->len))) {
        struct pollfd p = {fd, POLLIN, 0};
        gint64 left = (deadline - g_get_monotonic_time()) / 1000;
        char b[4096];
        ssize_t n;

        if (left <= 0 || poll(&p, 1, (int)MIN(left, G_MAXINT)) <= 0) {
            return NULL;
        }
        n = read(fd, b, sizeof(b));
        if (n <= 0 || buf->len > LINE_MAX_BYTES * 4) {
            return NULL;
        }
        g_string_append_len(buf, b, n);
    }
    {
        char *line = g_strndup(buf->str, (gsize)(nl - buf->str));

        g_string_erase(buf, 0, nl - buf->str + 1);
        return line;
    }
}

static int ctl(int argc, char **argv)
{
    struct sockaddr_un a = {.sun_family = AF_UNIX};
    g_autoptr(JsonBuilder) b = json_builder_new();
    g_autofree char *req = NULL, *abs = NULL;
    g_autoptr(GString) buf = g_string_new(NULL);
    gint64 deadline;
    double timeout = 60;
    const char *path, *cmd;
    int fd;

    if (argc >= 2 && !strncmp(argv[0], "--timeout=", 10)) {
        timeout = g_ascii_strtod(argv[0] + 10, NULL);
        argc--;
        argv++;
    }
    if (argc < 2 || !(timeout > 0)) {
        return ctl_fail(HUSK_EXIT_USAGE,
                        "usage: husk ctl [--timeout=SECONDS] SOCKET COMMAND "
                        "[DIR] (commands: query-status, pause, resume, "
                        "snapshot DIR, powerdown, quit)");
    }
    path = argv[0];
    cmd = argv[1];
    if (!command_code(cmd)) {
        return ctl_fail(HUSK_EXIT_USAGE, "unknown command '%s'", cmd);
    }
    if ((command_code(cmd) == API_CMD_SNAPSHOT) != (argc == 3) || argc > 3) {
        return ctl_fail(HUSK_EXIT_USAGE,
                        command_code(cmd) == API_CMD_SNAPSHOT
                            ? "snapshot needs a directory"
                            : "%s takes no argument",
                        cmd);
    }
    json_builder_begin_object(b);
    json_builder_set_member_name(b, "execute");
    json_builder_add_string_value(b, cmd);
    if (argc == 3) {
        abs = g_canonicalize_filename(argv[2], NULL);
        json_builder_set_member_name(b, "arguments");
        json_builder_begin_object(b);
        json_builder_set_member_name(b, "path");
        json_builder_add_string_value(b, abs);
        json_builder_end_object(b);
    }
    json_builder_set_member_name(b, "id");
    json_builder_add_int_value(b, 1);
    json_builder_end_object(b);
    req = to_line(b);

    if (strlen(path) >= sizeof(a.sun_path)) {
        return ctl_fail(HUSK_EXIT_USAGE, "%s: path too long", path);
    }
    g_strlcpy(a.sun_path, path, sizeof(a.sun_path));
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
        return ctl_fail(HUSK_EXIT_UNAVAILABLE, "%s: %s", path,
                        g_strerror(errno));
    }
    deadline = g_get_monotonic_time() + (gint64)(timeout * G_USEC_PER_SEC);
    g_free(read_line(fd, buf, deadline)); /* the greeting */
    if (write(fd, req, strlen(req)) != (ssize_t)strlen(req) ||
        write(fd, "\n", 1) != 1) {
        return ctl_fail(HUSK_EXIT_UNAVAILABLE, "%s: %s", path,
                        g_strerror(errno));
    }
    for (;;) {
        g_autofree char *line = read_line(fd, buf, deadline);
        g_autoptr(JsonParser) p = json_parser_new();
        JsonObject *o;

        if (!line) {
            return ctl_fail(HUSK_EXIT_TIMEOUT, "no reply from %s within %g s",
                            path, timeout);
        }
        if (!json_parser_load_from_data(p, line, -1, NULL) ||
            !JSON_NODE_HOLDS_OBJECT(json_parser_get_root(p))) {
            return ctl_fail(HUSK_EXIT_DATAERR, "not JSON: %.200s", line);
        }
        o = json_node_get_object(json_parser_get_root(p));
        if (json_object_has_member(o, "event")) {
            continue; /* not ours */
        }
        if (json_object_has_member(o, "error")) {
            JsonNode *en = json_object_get_member(o, "error");
            JsonObject *e =
                JSON_NODE_HOLDS_OBJECT(en) ? json_node_get_object(en) : NULL;
            const char *desc = e && json_object_has_member(e, "desc")
                                   ? json_object_get_string_member(e, "desc")
                                   : NULL;
            gint64 st = e && json_object_has_member(e, "status")
                            ? json_object_get_int_member(e, "status")
                            : 1;

            return ctl_fail(st > 0 && st < 256 ? (int)st : 1, "%s",
                            desc ? desc : line);
        }
        {
            JsonNode *rn = json_object_get_member(o, "return");
            g_autoptr(JsonGenerator) g = json_generator_new();
            g_autofree char *s = NULL;

            if (!rn) {
                return ctl_fail(HUSK_EXIT_DATAERR, "unexpected: %.200s", line);
            }
            json_generator_set_root(g, rn);
            s = json_generator_to_data(g, NULL);
            printf("%s\n", s);
            return 0;
        }
    }
}

int main(int argc, char **argv)
{
    if (argc >= 2 && !strcmp(argv[1], "ctl")) {
        return ctl(argc - 2, argv + 2);
    }
    if ((argc == 4 || argc == 5) && !strcmp(argv[1], "serve") &&
        g_str_has_prefix(argv[2], "--fd=") &&
        g_str_has_prefix(argv[3], "--socket=")) {
        enum sandbox_mode mode = SANDBOX_ON;
        guint64 fd;

        if (!g_ascii_string_to_unsigned(argv[2] + 5, 10, 0, 1024, &fd, NULL)) {
            fprintf(stderr, "husk-api: bad --fd\n");
            return HUSK_EXIT_USAGE;
        }
        if (argc == 5) {
            if (!strcmp(argv[4], "--sandbox=off")) {
                mode = SANDBOX_OFF;
            } else if (!strcmp(argv[4], "--sandbox=log")) {
                mode = SANDBOX_LOG;
            } else {
                fprintf(stderr, "husk-api: bad option %s\n", argv[4]);
                return HUSK_EXIT_USAGE;
            }
        }
        return serve((int)fd, argv[3] + 9, mode);
    }
    if (argc == 2 && !strcmp(argv[1], "--version")) {
        printf("husk-api %s\n", HUSK_VERSION);
        return 0;
    }
    fprintf(stderr,
            "usage: husk-api serve --fd=N --socket=PATH [--sandbox=off|log]\n"
            "       (husk starts it)\n"
            "       husk-api ctl [--timeout=SECONDS] SOCKET COMMAND [DIR]\n");
    return HUSK_EXIT_USAGE;
}
