/*
 * host_console.c: host terminal <-> guest console (see host_console.h).
 */
#define G_LOG_DOMAIN "husk"
#include "vmm/host_console.h"

#include <errno.h>
#include <glib-unix.h>
#include <poll.h>
#include <string.h>
#include <unistd.h>

#include "vmm/term.h"
#include "vmm/timeline.h"
#include "lib/util.h"

#define CTRL_A 0x01
/* At exit, how long the UART's last output may wait for a reader that
 * does not read. */
#define CONSOLE_EXIT_FLUSH_MS 2000

void console_init(struct console *c,
                  GMainContext *ctx,
                  struct vm_ctl *ctl,
                  int in_fd,
                  int out_fd)
{
    memset(c, 0, sizeof(*c));
    c->ctx = ctx;
    c->ctl = ctl;
    c->in_fd = in_fd;
    c->out_fd = out_fd;
    g_mutex_init(&c->out_lock);
    c->ring = g_malloc(CONSOLE_RING_SIZE);
}

void console_cleanup(struct console *c)
{
    if (c->dropped) {
        g_printerr(
            "husk: %lu bytes of console output were dropped (nobody "
            "read husk's output)\n",
            c->dropped);
    }
    g_free(c->ring);
    c->ring = NULL;
    g_free(c->tail);
    c->tail = NULL;
    g_mutex_clear(&c->out_lock);
}

/* One write of what the ring holds, as much as out_fd takes without
 * blocking (POLLOUT first, then at most PIPE_BUF's worth: a pipe with
 * room for that much takes it whole).  0 if the ring is empty now,
 * -EAGAIN if out_fd is full.  out_lock held. */
static int flush_once_locked(struct console *c)
{
    struct pollfd p = {.fd = c->out_fd, .events = POLLOUT};
    size_t chunk;
    ssize_t n;

    while (c->ring_len) {
        if (c->out_gone) {
            c->dropped += c->ring_len;
            c->ring_len = 0;
            break;
        }
        if (poll(&p, 1, 0) <= 0 ||
            !(p.revents & (POLLOUT | POLLERR | POLLHUP))) {
            return -EAGAIN;
        }
        chunk = MIN(c->ring_len, CONSOLE_RING_SIZE - c->ring_head);
        n = write(c->out_fd, c->ring + c->ring_head, MIN(chunk, (size_t)4096));
        if (n < 0 && (errno == EINTR || errno == EAGAIN)) {
            return -EAGAIN;
        }
        if (n <= 0) {
            c->out_gone = true; /* closed pipe: drop, keep the guest up */
            continue;
        }
        c->ring_head = (c->ring_head + (size_t)n) % CONSOLE_RING_SIZE;
        c->ring_len -= (size_t)n;
    }
    c->ring_head = 0;
    return 0;
}

static gboolean on_uart_writable(gint fd, GIOCondition cond, gpointer opaque);

/* I/O thread: write out, or wait until out_fd takes more. */
static gboolean flush_ring(gpointer opaque)
{
    struct console *c = opaque;

    g_mutex_lock(&c->out_lock);
    c->flush_queued = false;
    if (flush_once_locked(c) == -EAGAIN && !c->uart_out_src) {
        c->uart_out_src = g_unix_fd_source_new(c->out_fd, G_IO_OUT);
        g_source_set_callback(c->uart_out_src, G_SOURCE_FUNC(on_uart_writable),
                              c, NULL);
        g_source_attach(c->uart_out_src, c->ctx);
    }
    g_mutex_unlock(&c->out_lock);
    return G_SOURCE_REMOVE;
}

static gboolean on_uart_writable(gint fd, GIOCondition cond, gpointer opaque)
{
    struct console *c = opaque;

    g_mutex_lock(&c->out_lock);
    g_source_unref(c->uart_out_src);
    c->uart_out_src = NULL;
    g_mutex_unlock(&c->out_lock);
    flush_ring(c);
    return G_SOURCE_REMOVE;
}

void console_uart_tx(void *opaque, const uint8_t *buf, size_t len)
{
    struct console *c = opaque;
    bool schedule;

    tl_mark_once(TL_FIRST_CONSOLE);
    g_mutex_lock(&c->out_lock);
    if (c->watch_panic && panic_scan_feed(&c->panic_uart, buf, len)) {
        c->ctl->request_exit(c->ctl, VM_EXIT_PANIC, 0);
    }
    for (size_t i = 0; c->tail && i < len; i++) {
        c->tail[(c->tail_head + c->tail_len) % CONSOLE_TAIL_SIZE] = buf[i];
        if (c->tail_len < CONSOLE_TAIL_SIZE) {
            c->tail_len++;
        } else {
            c->tail_head = (c->tail_head + 1) % CONSOLE_TAIL_SIZE;
        }
    }
    if (c->out_fd < 0) {
        len = 0; /* kept only */
    }
    while (len && c->ring_len < CONSOLE_RING_SIZE) {
        size_t tail = (c->ring_head + c->ring_len) % CONSOLE_RING_SIZE;
        size_t n = MIN(len, MIN(CONSOLE_RING_SIZE - c->ring_len,
                                CONSOLE_RING_SIZE - tail));

        memcpy(c->ring + tail, buf, n);
        c->ring_len += n;
        buf += n;
        len -= n;
    }
    c->dropped += len;
    /* One wakeup per batch, not per byte: the UART exits once a byte. */
    schedule = !c->flush_queued && !c->uart_out_src && c->ring_len;
    c->flush_queued |= schedule;
    g_mutex_unlock(&c->out_lock);
    if (schedule) {
        GSource *src = g_idle_source_new();

        g_source_set_callback(src, flush_ring, c, NULL);
        g_source_attach(src, c->ctx);
        g_source_unref(src);
    }
}

static gboolean on_input(gint fd, GIOCondition cond, gpointer opaque);

static void watch_input(struct console *c)
{
    if (c->in_src || c->in_eof || c->in_fd < 0) {
        return;
    }
    c->in_src = g_unix_fd_source_new(c->in_fd, G_IO_IN | G_IO_HUP | G_IO_ERR);
    g_source_set_callback(c->in_src, G_SOURCE_FUNC(on_input), c, NULL);
    g_source_attach(c->in_src, c->ctx);
}

static void unwatch_input(struct console *c)
{
    if (c->in_src) {
        g_source_destroy(c->in_src);
        g_source_unref(c->in_src);
        c->in_src = NULL;
    }
}

/* Offers pending input to the guest device; true if all was taken. */
static bool deliver(struct console *c)
{
    while (c->pending_off < c->pending_len) {
        const uint8_t *p = c->pending + c->pending_off;
        size_t n = c->pending_len - c->pending_off, took;

        took = c->vcon ? vcon_input(c->vcon, p, n)
                       : serial8250_input(c->uart, p, n);
        if (took == 0) {
            return false;
        }
        c->pending_off += took;
    }
    c->pending_off = c->pending_len = 0;
    return true;
}

/* The guest made room (UART read, or new virtio RX buffers). */
static gboolean resume_input(gpointer opaque)
{
    struct console *c = opaque;

    if (deliver(c)) {
        watch_input(c);
    }
    return G_SOURCE_REMOVE;
}

/*
 * Runs resume_input later on the I/O thread.  Never inline: the callers
 * hold a device lock (virtio-console's RX kick) that resume_input takes
 * again through vcon_input; g_main_context_invoke() would run it at once
 * on the I/O thread and deadlock.
 */
static void defer_resume(struct console *c)
{
    GSource *src = g_idle_source_new();

    g_source_set_callback(src, resume_input, c, NULL);
    g_source_attach(src, c->ctx);
    g_source_unref(src);
}

static void uart_rx_space(void *opaque)
{
    defer_resume(opaque); /* from a vCPU thread */
}

static void vcon_rx_ready(struct vcon_sink *s)
{
    defer_resume(container_of(s, struct console, sink));
}

static gboolean on_input(gint fd, GIOCondition cond, gpointer opaque)
{
    struct console *c = opaque;
    uint8_t buf[sizeof(c->pending)];
    ssize_t n = read(fd, buf, sizeof(buf));

    if (n < 0 && (errno == EINTR || errno == EAGAIN)) {
        return G_SOURCE_CONTINUE;
    }
    if (n <= 0) {
        /* EOF: the guest simply gets no more input. */
        c->in_eof = true;
        g_source_unref(c->in_src);
        c->in_src = NULL;
        return G_SOURCE_REMOVE;
    }
    c->pending_len = c->pending_off = 0;
    for (ssize_t i = 0; i < n; i++) {
        uint8_t ch = buf[i];

        /* Ctrl-A x quits, Ctrl-A Ctrl-A sends Ctrl-A (as QEMU's
         * -nographic); only on a terminal, so piped input passes as is. */
        if (c->tty && c->escape) {
            c->escape = false;
            if (ch == 'x' || ch == 'X') {
                c->ctl->request_exit(c->ctl, VM_EXIT_QUIT, 0);
                return G_SOURCE_CONTINUE;
            }
            if (ch != CTRL_A) {
                continue;
            }
        } else if (c->tty && ch == CTRL_A) {
            c->escape = true;
            continue;
        }
        c->pending[c->pending_len++] = ch;
    }
    if (!deliver(c)) {
        /* The guest is not taking input: stop reading the host side until
         * it makes room, instead of dropping or spinning. */
        g_source_unref(c->in_src);
        c->in_src = NULL;
        return G_SOURCE_REMOVE;
    }
    return G_SOURCE_CONTINUE;
}

/* virtio-console output: never blocks the I/O thread. */
static ssize_t sink_write(struct vcon_sink *s, const void *buf, size_t len)
{
    struct console *c = container_of(s, struct console, sink);
    struct pollfd p = {.fd = c->out_fd, .events = POLLOUT};
    ssize_t n;

    tl_mark_once(TL_FIRST_CONSOLE);
    if (poll(&p, 1, 0) <= 0 || !(p.revents & POLLOUT)) {
        return -EAGAIN;
    }
    n = write(c->out_fd, buf, MIN(len, (size_t)4096));
    if (n < 0) {
        return errno == EINTR ? -EAGAIN : -errno;
    }
    if (c->watch_panic && panic_scan_feed(&c->panic_vcon, buf, (size_t)n)) {
        c->ctl->request_exit(c->ctl, VM_EXIT_PANIC, 0);
    }
    return n;
}

static gboolean on_writable(gint fd, GIOCondition cond, gpointer opaque)
{
    struct console *c = opaque;

    g_source_unref(c->out_src);
    c->out_src = NULL;
    if (cond & (G_IO_ERR | G_IO_HUP | G_IO_NVAL)) {
        return G_SOURCE_REMOVE; /* nobody reads: the guest's writer waits */
    }
    vcon_tx_resume(c->vcon);
    return G_SOURCE_REMOVE;
}

static void sink_wait_writable(struct vcon_sink *s)
{
    struct console *c = container_of(s, struct console, sink);

    if (c->out_src) {
        return;
    }
    c->out_src = g_unix_fd_source_new(c->out_fd, G_IO_OUT);
    g_source_set_callback(c->out_src, G_SOURCE_FUNC(on_writable), c, NULL);
    g_source_attach(c->out_src, c->ctx);
}

void console_watch_panic(struct console *c)
{
    c->watch_panic = true;
}

void console_keep_tail(struct console *c)
{
    c->tail = g_malloc(CONSOLE_TAIL_SIZE);
}

char *console_tail(struct console *c, unsigned lines)
{
    GString *s = g_string_new(NULL);
    size_t start;

    g_mutex_lock(&c->out_lock);
    for (size_t i = 0; c->tail && i < c->tail_len; i++) {
        uint8_t ch = c->tail[(c->tail_head + i) % CONSOLE_TAIL_SIZE];

        /* The guest's bytes go to a terminal: printable text only. */
        if (ch == '\n' || ch == '\t' || (ch >= 0x20 && ch < 0x7f)) {
            g_string_append_c(s, (char)ch);
        }
    }
    g_mutex_unlock(&c->out_lock);
    if (s->len && s->str[s->len - 1] != '\n') {
        g_string_append_c(s, '\n');
    }
    start = s->len;
    for (unsigned n = 0; start > 0 && n <= lines; start--) {
        if (s->str[start - 1] == '\n' && ++n > lines) {
            break;
        }
    }
    g_string_erase(s, 0, (gssize)start);
    return g_string_free(s, FALSE);
}

void console_use_uart(struct console *c, struct serial8250 *uart)
{
    c->uart = uart;
    uart->rx_space = uart_rx_space;
    uart->rx_opaque = c;
}

void console_use_vcon(struct console *c, struct vcon *vcon)
{
    c->vcon = vcon;
    c->sink.write = sink_write;
    c->sink.wait_writable = sink_wait_writable;
    c->sink.rx_ready = vcon_rx_ready;
}

void console_start(struct console *c)
{
    if (c->in_fd < 0) {
        return;
    }
    c->tty = isatty(c->in_fd);
    term_raw(c->in_fd);
    watch_input(c);
}

void console_stop(struct console *c)
{
    console_stop_flush(c, CONSOLE_EXIT_FLUSH_MS);
}

void console_stop_flush(struct console *c, int flush_ms)
{
    unwatch_input(c);
    if (c->out_src) {
        g_source_destroy(c->out_src);
        g_source_unref(c->out_src);
        c->out_src = NULL;
    }
    /* What the guest printed last (a panic, the final lines) still goes
     * out, unless the reader has stopped reading for flush_ms. */
    g_mutex_lock(&c->out_lock);
    if (c->uart_out_src) {
        g_source_destroy(c->uart_out_src);
        g_source_unref(c->uart_out_src);
        c->uart_out_src = NULL;
    }
    while (flush_once_locked(c) == -EAGAIN) {
        struct pollfd p = {.fd = c->out_fd, .events = POLLOUT};

        if (poll(&p, 1, flush_ms) <= 0) {
            c->dropped += c->ring_len;
            c->ring_len = 0;
            break;
        }
    }
    g_mutex_unlock(&c->out_lock);
    term_restore();
}
