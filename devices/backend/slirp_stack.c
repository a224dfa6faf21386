/*
 * slirp_stack.c: a libslirp TCP/IP stack on a GMainContext (libslirp.h;
 * the addresses of QEMU's "-netdev user": 10.0.2.0/24, gateway and host
 * loopback 10.0.2.2, DNS 10.0.2.3, DHCP from 10.0.2.15, IPv6 fec0::/64).
 * It runs in husk-slirp, the helper process behind `--net user`
 * (slirp_helper.c), and in-process in tests and the fuzzer.
 *
 * Event loop glue: a GSource whose prepare asks slirp for its sockets
 * (slirp_pollfds_fill) and whose dispatch hands the results back
 * (slirp_pollfds_poll); slirp's timers are glib timeout sources.  Every
 * libslirp call happens on the one context given at creation: libslirp is
 * not thread-safe.
 *
 * libslirp 4.9 renamed the poll API for Windows' 64-bit sockets
 * (slirp_pollfds_fill_socket, register_poll_socket); the shim below picks
 * by version.
 *
 * Frames for a guest with no RX buffers wait in a bounded queue, and while
 * any wait slirp's sockets are not polled for input, so the host side is
 * slowed down instead of frames being lost (a frame is dropped only when
 * the queue is full, which slirp's own timers alone can cause).
 */
#define G_LOG_DOMAIN "husk"
#include "devices/backend/slirp_stack.h"

#include <arpa/inet.h>
#include <errno.h>
#include <slirp/libslirp.h>
#include <stdlib.h>
#include <string.h>

#include "lib/error.h"
#include "lib/log.h"

#define RXQ_MAX_FRAMES 512
#define RXQ_MAX_BYTES (4u << 20)

#if SLIRP_CHECK_VERSION(4, 9, 0)
typedef slirp_os_socket slirp_sock;
#define slirp_fill slirp_pollfds_fill_socket
#else
typedef int slirp_sock;
#define slirp_fill slirp_pollfds_fill
#endif

struct net_slirp;

struct slirp_source {
    GSource source;
    struct net_slirp *s;
};

struct poll_rec {
    GPollFD pfd;
    unsigned gen; /* the last round slirp asked for it */
};

struct slirp_timer {
    struct net_slirp *s;
    SlirpTimerCb cb;
    void *cb_opaque;
    GSource *src;
};

struct net_slirp {
    slirp_output_fn output;
    void *output_opaque;
    Slirp *slirp;
    GMainContext *ctx;
    GSource *src;
    /* Poll records for slirp's sockets: one per descriptor, kept while
     * slirp keeps asking for it (its events updated in place, which glib
     * reads at every poll).  Adding or removing a record wakes the
     * context, so doing that at every prepare made the loop spin at 100%
     * CPU; now it happens only when a socket comes or goes. */
    GHashTable *recs;  /* fd -> struct poll_rec */
    GPtrArray *by_idx; /* slirp's index this round -> struct poll_rec */
    unsigned gen;
    gint64 deadline; /* when slirp wants a look without events */
    GQueue rxq;      /* GBytes frames waiting for RX buffers */
    size_t rxq_bytes;
    unsigned long dropped;
    unsigned long fragments; /* guest IPv4 fragments not passed on */
};

/* ---- slirp -> guest ---------------------------------------------------- */

static ssize_t cb_send_packet(const void *buf, size_t len, void *opaque)
{
    struct net_slirp *s = opaque;

    if (g_queue_is_empty(&s->rxq) && s->output(s->output_opaque, buf, len)) {
        return (ssize_t)len;
    }
    if (g_queue_get_length(&s->rxq) >= RXQ_MAX_FRAMES ||
        s->rxq_bytes + len > RXQ_MAX_BYTES) {
        s->dropped++;
        return (ssize_t)len;
    }
    g_queue_push_tail(&s->rxq, g_bytes_new(buf, len));
    s->rxq_bytes += len;
    return (ssize_t)len;
}

void slirp_stack_resume(struct slirp_stack *stack)
{
    struct net_slirp *s = (struct net_slirp *)stack;
    GBytes *b;

    while ((b = g_queue_peek_head(&s->rxq))) {
        gsize len;
        const void *data = g_bytes_get_data(b, &len);

        if (!s->output(s->output_opaque, data, len)) {
            return;
        }
        g_queue_pop_head(&s->rxq);
        s->rxq_bytes -= len;
        g_bytes_unref(b);
    }
    /* Empty again: the next prepare polls slirp's sockets for input. */
    g_main_context_wakeup(s->ctx);
}

/* ---- guest -> slirp ---------------------------------------------------- */

void slirp_stack_input(struct slirp_stack *stack, const void *frame, size_t len)
{
    struct net_slirp *s = (struct net_slirp *)stack;

    if (len > SLIRP_STACK_MAX_FRAME) {
        s->dropped++;
        return;
    }
    /*
     * IPv4 fragments from the guest stop here.  libslirp 4.7.0 (Debian
     * 12) crashes (SIGSEGV in its reassembly) on one frame: a last
     * fragment (MF clear, offset > 0) of a datagram it has no queue for
     * (tests/catalogue S13).  Letting only "safe" ones through would need
     * a copy of slirp's reassembly state and timers; guests rarely
     * fragment (TCP sets DF, and the link's MTU is 32768 by default), so
     * all of them are dropped and counted instead.
     */
    if (slirp_stack_is_ipv4_fragment(frame, len)) {
        s->fragments++;
        return;
    }
    slirp_input(s->slirp, frame, (int)len);
}

/* ---- callbacks --------------------------------------------------------- */

static void cb_guest_error(const char *msg, void *opaque)
{
    guest_error("slirp: %s", msg);
}

static int64_t cb_clock_ns(void *opaque)
{
    return g_get_monotonic_time() * 1000;
}

static gboolean timer_fire(gpointer opaque)
{
    struct slirp_timer *t = opaque;

    g_source_unref(t->src);
    t->src = NULL;
    t->cb(t->cb_opaque);
    return G_SOURCE_REMOVE;
}

static void *cb_timer_new(SlirpTimerCb cb, void *cb_opaque, void *opaque)
{
    struct slirp_timer *t = g_new0(struct slirp_timer, 1);

    t->s = opaque;
    t->cb = cb;
    t->cb_opaque = cb_opaque;
    return t;
}

static void timer_stop(struct slirp_timer *t)
{
    if (t->src) {
        g_source_destroy(t->src);
        g_source_unref(t->src);
        t->src = NULL;
    }
}

static void cb_timer_free(void *timer, void *opaque)
{
    timer_stop(timer);
    g_free(timer);
}

static void cb_timer_mod(void *timer, int64_t expire_ms, void *opaque)
{
    struct slirp_timer *t = timer;
    int64_t now_ms = g_get_monotonic_time() / 1000;
    int64_t delay = expire_ms - now_ms;

    timer_stop(t);
    t->src = g_timeout_source_new((guint)CLAMP(delay, 0, G_MAXUINT));
    g_source_set_callback(t->src, timer_fire, t, NULL);
    g_source_attach(t->src, t->s->ctx);
}

static void cb_register_poll(slirp_sock fd, void *opaque)
{
}

static void cb_unregister_poll(slirp_sock fd, void *opaque)
{
}

static void cb_notify(void *opaque)
{
    g_main_context_wakeup(((struct net_slirp *)opaque)->ctx);
}

static const SlirpCb callbacks = {
    .send_packet = cb_send_packet,
    .guest_error = cb_guest_error,
    .clock_get_ns = cb_clock_ns,
    .timer_new = cb_timer_new,
    .timer_free = cb_timer_free,
    .timer_mod = cb_timer_mod,
#if SLIRP_CHECK_VERSION(4, 9, 0)
    .register_poll_socket = cb_register_poll,
    .unregister_poll_socket = cb_unregister_poll,
#else
    .register_poll_fd = cb_register_poll,
    .unregister_poll_fd = cb_unregister_poll,
#endif
    .notify = cb_notify,
};

/* ---- the poll source --------------------------------------------------- */

static GIOCondition to_gio(int ev)
{
    return ((ev & SLIRP_POLL_IN) ? G_IO_IN : 0) |
           ((ev & SLIRP_POLL_OUT) ? G_IO_OUT : 0) |
           ((ev & SLIRP_POLL_PRI) ? G_IO_PRI : 0) |
           ((ev & SLIRP_POLL_ERR) ? G_IO_ERR : 0) |
           ((ev & SLIRP_POLL_HUP) ? G_IO_HUP : 0);
}

static int from_gio(GIOCondition c)
{
    return ((c & G_IO_IN) ? SLIRP_POLL_IN : 0) |
           ((c & G_IO_OUT) ? SLIRP_POLL_OUT : 0) |
           ((c & G_IO_PRI) ? SLIRP_POLL_PRI : 0) |
           ((c & G_IO_ERR) ? SLIRP_POLL_ERR : 0) |
           ((c & G_IO_HUP) ? SLIRP_POLL_HUP : 0);
}

static int add_poll(slirp_sock fd, int events, void *opaque)
{
    struct net_slirp *s = opaque;
    struct poll_rec *r = g_hash_table_lookup(s->recs, GINT_TO_POINTER(fd));

    /* Frames wait for the guest: read nothing more from the host. */
    if (!g_queue_is_empty(&s->rxq)) {
        events &= ~SLIRP_POLL_IN;
    }
    if (!r) {
        r = g_new0(struct poll_rec, 1);
        r->pfd.fd = (int)fd;
        g_hash_table_insert(s->recs, GINT_TO_POINTER(fd), r);
        g_source_add_poll(s->src, &r->pfd);
    }
    if (r->gen != s->gen) {
        r->gen = s->gen;
        r->pfd.events = 0;
    }
    r->pfd.events |= (gushort)to_gio(events);
    g_ptr_array_add(s->by_idx, r);
    return (int)s->by_idx->len - 1;
}

static int get_revents(int idx, void *opaque)
{
    struct net_slirp *s = opaque;

    if (idx < 0 || (guint)idx >= s->by_idx->len) {
        return 0;
    }
    return from_gio(((struct poll_rec *)s->by_idx->pdata[idx])->pfd.revents);
}

static gboolean rec_stale(gpointer key, gpointer value, gpointer opaque)
{
    struct net_slirp *s = opaque;
    struct poll_rec *r = value;

    if (r->gen == s->gen) {
        return FALSE;
    }
    g_source_remove_poll(s->src, &r->pfd);
    g_free(r);
    return TRUE;
}

static void drop_polls(struct net_slirp *s)
{
    s->gen++; /* nothing is current: every record goes */
    g_hash_table_foreach_remove(s->recs, rec_stale, s);
    g_ptr_array_set_size(s->by_idx, 0);
}

static gboolean src_prepare(GSource *src, gint *timeout)
{
    struct net_slirp *s = ((struct slirp_source *)src)->s;
    uint32_t t = UINT32_MAX;

    s->gen++;
    g_ptr_array_set_size(s->by_idx, 0);
    slirp_fill(s->slirp, &t, add_poll, s);
    g_hash_table_foreach_remove(s->recs, rec_stale, s);
    if (t == UINT32_MAX) {
        *timeout = -1;
        s->deadline = -1;
    } else {
        *timeout = (gint)MIN(t, (uint32_t)G_MAXINT);
        s->deadline = g_source_get_time(src) + (gint64)t * 1000;
    }
    return t == 0;
}

static gboolean src_check(GSource *src)
{
    struct net_slirp *s = ((struct slirp_source *)src)->s;

    if (s->deadline >= 0 && g_source_get_time(src) >= s->deadline) {
        return TRUE;
    }
    for (guint i = 0; i < s->by_idx->len; i++) {
        if (((struct poll_rec *)s->by_idx->pdata[i])->pfd.revents) {
            return TRUE;
        }
    }
    return FALSE;
}

static gboolean src_dispatch(GSource *src, GSourceFunc cb, gpointer data)
{
    struct net_slirp *s = ((struct slirp_source *)src)->s;

    slirp_pollfds_poll(s->slirp, 0, get_revents, s);
    return G_SOURCE_CONTINUE;
}

static GSourceFuncs src_funcs = {
    .prepare = src_prepare,
    .check = src_check,
    .dispatch = src_dispatch,
};

/* ---- setup ------------------------------------------------------------- */

void slirp_stack_free(struct slirp_stack *stack)
{
    struct net_slirp *s = (struct net_slirp *)stack;
    GBytes *b;

    if (!s) {
        return;
    }
    drop_polls(s);
    g_source_destroy(s->src);
    g_source_unref(s->src);
    slirp_cleanup(s->slirp); /* frees its timers through cb_timer_free */
    while ((b = g_queue_pop_head(&s->rxq))) {
        g_bytes_unref(b);
    }
    g_hash_table_destroy(s->recs);
    g_ptr_array_free(s->by_idx, TRUE);
    g_free(s);
}

struct slirp_stack *slirp_stack_new(const struct net_user_opts *o,
                                    GMainContext *ctx,
                                    slirp_output_fn output,
                                    void *opaque,
                                    GError **errp)
{
    struct net_slirp *s = g_new0(struct net_slirp, 1);
    SlirpConfig cfg = {.version = 4};

    cfg.restricted = o->restrict_;
    cfg.in_enabled = true;
    inet_pton(AF_INET, "10.0.2.0", &cfg.vnetwork);
    inet_pton(AF_INET, "255.255.255.0", &cfg.vnetmask);
    inet_pton(AF_INET, "10.0.2.2", &cfg.vhost);
    inet_pton(AF_INET, "10.0.2.15", &cfg.vdhcp_start);
    inet_pton(AF_INET, "10.0.2.3", &cfg.vnameserver);
    cfg.in6_enabled = o->ipv6;
    inet_pton(AF_INET6, "fec0::", &cfg.vprefix_addr6);
    cfg.vprefix_len = 64;
    inet_pton(AF_INET6, "fec0::2", &cfg.vhost6);
    inet_pton(AF_INET6, "fec0::3", &cfg.vnameserver6);
    cfg.vhostname = "husk";
    /* libslirp documents its protocol emulation (FTP, IRC, ...) as not
     * safe: CVE-2019-6778, CVE-2020-7039 lived there. */
    cfg.if_mtu = o->mtu ? o->mtu : NET_USER_MTU_DEFAULT;
    cfg.if_mru = cfg.if_mtu;
    cfg.enable_emu = false;
    cfg.disable_host_loopback = false;

    s->output = output;
    s->output_opaque = opaque;
    s->ctx = ctx;
    s->recs = g_hash_table_new(g_direct_hash, g_direct_equal);
    s->by_idx = g_ptr_array_new();
    s->deadline = -1;
    g_queue_init(&s->rxq);
    s->slirp = slirp_new(&cfg, &callbacks, s);
    if (!s->slirp) {
        g_set_error(errp, HUSK_ERROR, HUSK_EXIT_SOFTWARE,
                    "libslirp refused the configuration");
        g_hash_table_destroy(s->recs);
        g_ptr_array_free(s->by_idx, TRUE);
        g_free(s);
        return NULL;
    }
    s->src = g_source_new(&src_funcs, sizeof(struct slirp_source));
    ((struct slirp_source *)s->src)->s = s;
    g_source_set_name(s->src, "slirp");
    g_source_attach(s->src, ctx);
    for (unsigned i = 0; i < o->nr_fwd; i++) {
        const struct net_user_fwd *f = &o->fwd[i];
        char a[INET_ADDRSTRLEN];

        if (slirp_add_hostfwd(s->slirp, f->udp, f->host_addr, f->host_port,
                              f->guest_addr, f->guest_port) < 0) {
            inet_ntop(AF_INET, &f->host_addr, a, sizeof(a));
            g_set_error(errp, HUSK_ERROR, HUSK_EXIT_OSERR,
                        "hostfwd %s:%s:%u: cannot listen there "
                        "(port in use or not allowed)",
                        f->udp ? "udp" : "tcp", a, f->host_port);
            slirp_stack_free((struct slirp_stack *)s);
            return NULL;
        }
    }
    return (struct slirp_stack *)s;
}

bool slirp_stack_is_ipv4_fragment(const void *frame, size_t len)
{
    const uint8_t *f = frame;

    /* Ethernet II, IPv4, flags/fragment offset at bytes 6-7 of the IP
     * header: MF or a nonzero offset. */
    return len >= 14 + 20 && f[12] == 0x08 && f[13] == 0x00 &&
           ((f[14 + 6] & 0x3f) | f[14 + 7]) != 0;
}

unsigned long slirp_stack_fragments(struct slirp_stack *stack)
{
    return ((struct net_slirp *)stack)->fragments;
}

unsigned long slirp_stack_dropped(struct slirp_stack *stack)
{
    return ((struct net_slirp *)stack)->dropped;
}

const char *slirp_stack_version(void)
{
    return slirp_version_string();
}
