/*
 * check_slirp.c: the slirp stack husk-slirp runs, in-process on a test
 * GMainContext: it answers ARP for the gateway and DHCP with 10.0.2.15,
 * holds frames (without loss) while its output is full, and reports a
 * forwarding rule that cannot listen.
 */
#include <arpa/inet.h>
#include <check.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "devices/backend/slirp_stack.h"
#include "vmm/cli.h"
#include "harness/check_run.h"
#include "harness/frames.h"
#include "lib/error.h"
#include "lib/util.h"

static const uint8_t guest_mac[6] = {0x02, 0x68, 0x75, 0xaa, 0xbb, 0xcc};
static GMainContext *ctx;
static struct slirp_stack *st;
static GPtrArray *frames; /* GBytes the stack sent to the "guest" */
static bool full;         /* the output says it has no room */

static int output(void *opaque, const void *frame, size_t len)
{
    if (full) {
        return 0;
    }
    g_ptr_array_add(frames, g_bytes_new(frame, len));
    return 1;
}

static void setup(void)
{
    /* IPv4 only: no router advertisements among the frames counted. */
    struct net_user_opts o = {.ipv6 = false};
    g_autoptr(GError) err = NULL;

    ctx = g_main_context_new();
    frames = g_ptr_array_new_with_free_func((GDestroyNotify)g_bytes_unref);
    full = false;
    st = slirp_stack_new(&o, ctx, output, NULL, &err);
    ck_assert_msg(st, "%s", err ? err->message : "");
}

static void teardown(void)
{
    slirp_stack_free(st);
    g_ptr_array_free(frames, TRUE);
    g_main_context_unref(ctx);
}

static size_t eth(uint8_t *f, const uint8_t *dst, uint16_t type)
{
    return frame_eth(f, dst, guest_mac, type);
}

static size_t arp_request(uint8_t *f, const char *target)
{
    return frame_arp_request(f, guest_mac, target);
}

static uint16_t ip_csum(const uint8_t *p, size_t len)
{
    uint32_t s = 0;

    for (size_t i = 0; i < len; i += 2) {
        s += (uint32_t)(p[i] << 8 | p[i + 1]);
    }
    while (s >> 16) {
        s = (s & 0xffff) + (s >> 16);
    }
    return (uint16_t)~s;
}

/* A DHCPDISCOVER from the guest, broadcast, UDP checksum 0 (allowed). */
static size_t dhcp_discover(uint8_t *f)
{
    static const uint8_t bcast[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
    size_t o = eth(f, bcast, 0x0800);
    uint8_t *ip = f + o, *udp = ip + 20, *bp = udp + 8;
    size_t bplen = 236 + 312, udplen = 8 + bplen, iplen = 20 + udplen;
    uint16_t c;

    memset(ip, 0, iplen);
    ip[0] = 0x45;
    ip[2] = (uint8_t)(iplen >> 8);
    ip[3] = (uint8_t)iplen;
    ip[8] = 64;
    ip[9] = 17; /* UDP */
    memset(ip + 16, 0xff, 4);
    c = ip_csum(ip, 20);
    ip[10] = (uint8_t)(c >> 8);
    ip[11] = (uint8_t)c;
    udp[1] = 68;
    udp[3] = 67;
    udp[4] = (uint8_t)(udplen >> 8);
    udp[5] = (uint8_t)udplen;
    bp[0] = 1; /* BOOTREQUEST */
    bp[1] = 1;
    bp[2] = 6;
    memcpy(bp + 4, "\x12\x34\x56\x78", 4); /* xid */
    memcpy(bp + 28, guest_mac, 6);
    memcpy(bp + 236, "\x63\x82\x53\x63", 4);
    bp[240] = 53; /* DHCP message type */
    bp[241] = 1;
    bp[242] = 1; /* DISCOVER */
    bp[243] = 255;
    return o + iplen;
}

static void spin(void)
{
    for (int i = 0; i < 10; i++) {
        g_main_context_iteration(ctx, FALSE);
    }
}

static const uint8_t *frame(guint i, gsize *len)
{
    return g_bytes_get_data(frames->pdata[i], len);
}

START_TEST(answers_arp_for_the_gateway)
{
    uint8_t f[64];
    const uint8_t *r;
    gsize len;
    struct in_addr gw;

    slirp_stack_input(st, f, arp_request(f, "10.0.2.2"));
    spin();
    ck_assert_uint_ge(frames->len, 1);
    r = frame(0, &len);
    ck_assert_uint_ge(len, 42);
    ck_assert(!memcmp(r, guest_mac, 6)); /* to the guest */
    ck_assert_uint_eq(r[12] << 8 | r[13], 0x0806);
    ck_assert_uint_eq(r[14 + 7], 2); /* reply */
    inet_pton(AF_INET, "10.0.2.2", &gw);
    ck_assert(!memcmp(r + 14 + 14, &gw, 4)); /* sender: the gateway */
}
END_TEST

START_TEST(offers_10_0_2_15_by_dhcp)
{
    static uint8_t f[1024];
    const uint8_t *r, *bp;
    gsize len;
    struct in_addr yi;

    slirp_stack_input(st, f, dhcp_discover(f));
    spin();
    ck_assert_uint_ge(frames->len, 1);
    r = frame(frames->len - 1, &len);
    ck_assert_uint_eq(r[12] << 8 | r[13], 0x0800);
    ck_assert_uint_eq(r[14 + 9], 17);
    bp = r + 14 + 20 + 8;
    ck_assert_uint_ge(len, 14 + 20 + 8 + 244);
    ck_assert_uint_eq(bp[0], 2); /* BOOTREPLY */
    ck_assert(!memcmp(bp + 4, "\x12\x34\x56\x78", 4));
    inet_pton(AF_INET, "10.0.2.15", &yi);
    ck_assert(!memcmp(bp + 16, &yi, 4)); /* yiaddr */
}
END_TEST

/* A full output: frames wait (none lost) and come out in order once it
 * has room. */
START_TEST(holds_frames_while_output_is_full)
{
    uint8_t f[64];

    full = true;
    for (int i = 0; i < 5; i++) {
        slirp_stack_input(st, f, arp_request(f, "10.0.2.2"));
    }
    spin();
    ck_assert_uint_eq(frames->len, 0);
    full = false;
    slirp_stack_resume(st);
    ck_assert_uint_eq(frames->len, 5);
    ck_assert_uint_eq(slirp_stack_dropped(st), 0);
}
END_TEST

/* An oversized frame from the guest is dropped and counted. */
START_TEST(oversized_input_is_dropped)
{
    uint8_t *f = g_malloc0(SLIRP_STACK_MAX_FRAME + 1);

    slirp_stack_input(st, f, SLIRP_STACK_MAX_FRAME + 1);
    ck_assert_uint_eq(slirp_stack_dropped(st), 1);
    g_free(f);
}
END_TEST

/* A forwarding rule on a port someone else holds: a clear error. */
START_TEST(hostfwd_on_a_busy_port_fails)
{
    struct net_user_opts o = {.ipv6 = false, .nr_fwd = 1};
    struct sockaddr_in a = {.sin_family = AF_INET};
    socklen_t alen = sizeof(a);
    g_autoptr(GError) err = NULL;
    struct slirp_stack *s2;
    const char *why;
    g_autofree char *rule = NULL;
    int fd = socket(AF_INET, SOCK_STREAM, 0);

    inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
    ck_assert_int_eq(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
    ck_assert_int_eq(listen(fd, 1), 0);
    ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&a, &alen), 0);
    rule = g_strdup_printf("tcp::%u-:80", ntohs(a.sin_port));
    ck_assert(cli_parse_hostfwd(rule, &o.fwd[0], &why));
    s2 = slirp_stack_new(&o, ctx, output, NULL, &err);
    ck_assert_ptr_null(s2);
    ck_assert_int_eq(err->code, HUSK_EXIT_OSERR);
    ck_assert_msg(strstr(err->message, "cannot listen"), "%s", err->message);
    close(fd);
}
END_TEST

static gboolean set_flag(gpointer p)
{
    *(bool *)p = true;
    return G_SOURCE_REMOVE;
}

/* An idle stack lets its loop sleep: over 200 ms the context wakes a
 * handful of times, not thousands (prepare once re-registered every
 * socket, which woke the context at once: the loop spun at 100% CPU and
 * starved the guest on a one-CPU host). */
START_TEST(idle_stack_does_not_spin)
{
    struct net_user_opts o = {.ipv6 = false, .nr_fwd = 1};
    struct sockaddr_in a = {.sin_family = AF_INET};
    socklen_t alen = sizeof(a);
    g_autoptr(GError) err = NULL;
    g_autofree char *rule = NULL;
    struct slirp_stack *s2;
    const char *why;
    bool fired = false;
    unsigned n = 0;
    GSource *t;
    int fd = socket(AF_INET, SOCK_STREAM, 0);

    /* A forwarded port gives the stack a listening socket to watch. */
    inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
    ck_assert_int_eq(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
    ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&a, &alen), 0);
    close(fd);
    rule = g_strdup_printf("tcp::%u-:80", ntohs(a.sin_port));
    ck_assert(cli_parse_hostfwd(rule, &o.fwd[0], &why));
    s2 = slirp_stack_new(&o, ctx, output, NULL, &err);
    ck_assert_msg(s2, "%s", err ? err->message : "");
    t = g_timeout_source_new(200);
    g_source_set_callback(t, set_flag, &fired, NULL);
    g_source_attach(t, ctx);
    g_source_unref(t);
    while (!fired) {
        g_main_context_iteration(ctx, TRUE);
        n++;
    }
    ck_assert_uint_lt(n, 20);
    slirp_stack_free(s2);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("slirp");
    TCase *tc = tcase_create("stack");

    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, answers_arp_for_the_gateway);
    tcase_add_test(tc, offers_10_0_2_15_by_dhcp);
    tcase_add_test(tc, holds_frames_while_output_is_full);
    tcase_add_test(tc, oversized_input_is_dropped);
    tcase_add_test(tc, hostfwd_on_a_busy_port_fails);
    tcase_add_test(tc, idle_stack_does_not_spin);
    suite_add_tcase(s, tc);
    return check_run(s);
}
