/*
 * other_cases.c: catalogue cases outside virtio: frames a guest sends
 * into slirp (RFC 791/793/826, libslirp 4.7 with its protocol emulation
 * off), and host inputs the loader parses (Linux x86 boot protocol 2.15,
 * the PVH ELF note).  Slirp cases are played into an in-process stack:
 * virtio-net hands a TX frame over unchanged, so this is what reaches
 * slirp_input; each ends by checking slirp still answers an ARP request.
 */
#include <arpa/inet.h>
#include <asm/bootparam.h>
#include <string.h>

#include "devices/backend/slirp_stack.h"
#include "firmware/kernel_x86.h"
#include "lib/layout_x86.h"
#include "harness/fake_bzimage.h"
#include "harness/frames.h"
#include "tests/catalogue/catalogue.h"
#include "tests/catalogue/other_cases.h"
#include "lib/util.h"

/* ---------------------------------------------------------------- S */

static const uint8_t gmac[6] = {0x52, 0x54, 0, 0x12, 0x34, 0x56};
static const uint8_t bcast[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};

struct slirp_kit {
    GMainContext *ctx;
    struct slirp_stack *st;
    unsigned out; /* frames slirp sent to the guest */
    bool arp_reply;
};

static int out_fn(void *opaque, const void *frame, size_t len)
{
    struct slirp_kit *s = opaque;
    const uint8_t *f = frame;

    s->out++;
    if (len >= 42 && f[12] == 0x08 && f[13] == 0x06 && f[21] == 2) {
        s->arp_reply = true;
    }
    return 1;
}

static void sk_init(struct slirp_kit *s, bool ipv6)
{
    struct net_user_opts o = {.ipv6 = ipv6, .mtu = 1500};

    memset(s, 0, sizeof(*s));
    s->ctx = g_main_context_new();
    s->st = slirp_stack_new(&o, s->ctx, out_fn, s, NULL);
}

static void sk_poll(struct slirp_kit *s)
{
    for (int i = 0; i < 16; i++) {
        g_main_context_iteration(s->ctx, FALSE);
    }
}

static size_t eth(uint8_t *f, const uint8_t *dst, uint16_t type)
{
    return frame_eth(f, dst, gmac, type);
}

static size_t arp(uint8_t *f, const char *target)
{
    return frame_arp_request(f, gmac, target);
}

/* The stack still works: an ARP request for the gateway is answered.
 * Then it is freed.  V_WEDGED if it stopped answering. */
static enum verdict sk_done(struct slirp_kit *s, enum verdict v)
{
    uint8_t f[64];

    s->arp_reply = false;
    slirp_stack_input(s->st, f, arp(f, "10.0.2.2"));
    sk_poll(s);
    if (!s->arp_reply) {
        v = V_WEDGED;
    }
    slirp_stack_free(s->st);
    g_main_context_unref(s->ctx);
    return v;
}

static uint16_t csum(const uint8_t *p, size_t n)
{
    uint32_t s = 0;

    for (size_t i = 0; i + 1 < n; i += 2) {
        s += (uint32_t)(p[i] << 8 | p[i + 1]);
    }
    if (n & 1) {
        s += (uint32_t)p[n - 1] << 8;
    }
    while (s >> 16) {
        s = (s & 0xffff) + (s >> 16);
    }
    return (uint16_t)~s;
}

/* An IPv4 header to dst (gateway MAC is learnt by slirp from any MAC). */
static size_t ip4(uint8_t *f,
                  uint8_t proto,
                  const char *dst,
                  size_t payload,
                  uint16_t id,
                  uint16_t frag)
{
    uint8_t *ip = f + eth(f, bcast, 0x0800);
    uint16_t c;

    memset(ip, 0, 20);
    ip[0] = 0x45;
    ip[2] = (uint8_t)((20 + payload) >> 8);
    ip[3] = (uint8_t)(20 + payload);
    ip[4] = (uint8_t)(id >> 8), ip[5] = (uint8_t)id;
    ip[6] = (uint8_t)(frag >> 8), ip[7] = (uint8_t)frag;
    ip[8] = 64;
    ip[9] = proto;
    inet_pton(AF_INET, "10.0.2.15", ip + 12);
    inet_pton(AF_INET, dst, ip + 16);
    c = csum(ip, 20);
    ip[10] = (uint8_t)(c >> 8), ip[11] = (uint8_t)c;
    return 34;
}

/* The TCP checksum of the segment after the IPv4 header at f + 14. */
static void tcp_csum(uint8_t *f, size_t seg_len)
{
    uint8_t buf[1600];
    uint8_t *ip = f + 14, *t = f + 34;
    uint16_t c;

    memcpy(buf, ip + 12, 8);
    buf[8] = 0, buf[9] = 6;
    buf[10] = (uint8_t)(seg_len >> 8), buf[11] = (uint8_t)seg_len;
    t[16] = t[17] = 0;
    memcpy(buf + 12, t, seg_len);
    c = csum(buf, 12 + seg_len);
    t[16] = (uint8_t)(c >> 8), t[17] = (uint8_t)c;
}

/* Plays frames into a fresh stack; REJECT when none drew an answer. */
static enum verdict sk_play(uint8_t *const *frames,
                            const size_t *lens,
                            unsigned n,
                            bool ipv6)
{
    struct slirp_kit s;
    unsigned before;

    sk_init(&s, ipv6);
    sk_poll(&s);
    before = s.out;
    for (unsigned i = 0; i < n; i++) {
        slirp_stack_input(s.st, frames[i], lens[i]);
    }
    sk_poll(&s);
    return sk_done(&s, s.out > before ? V_PASS : V_REJECT);
}

static enum verdict sk_one(uint8_t *f, size_t len, bool ipv6)
{
    return sk_play(&f, &len, 1, ipv6);
}

enum verdict s_overlapping_fragments(struct devkit *k)
{
    static uint8_t a[1600], b[1600];
    uint8_t *fr[] = {a, b};
    size_t lens[2];

    /* Two fragments of one ICMP datagram, the second overlapping the
     * first and running past the 64 KiB datagram limit. */
    lens[0] = ip4(a, 1, "10.0.2.2", 1000, 77, 0x2000) + 1000;
    a[34] = 8; /* echo request */
    lens[1] = ip4(b, 1, "10.0.2.2", 1480, 77, 0x2000 | 8000) + 1480;
    return sk_play(fr, lens, 2, false);
}

enum verdict s_lone_last_fragment(struct devkit *k)
{
    static uint8_t a[64];

    /* MF clear, offset 8: crashed libslirp 4.7.0 in its reassembly. */
    return sk_one(a, ip4(a, 17, "10.0.2.2", 8, 85, 0x0001) + 8, false);
}

enum verdict s_huge_fragment_offset(struct devkit *k)
{
    static uint8_t a[1600];

    return sk_one(a, ip4(a, 1, "10.0.2.2", 1480, 78, 0x1fff) + 1480, false);
}

enum verdict s_tcp_urgent_past_data(struct devkit *k)
{
    static uint8_t f[100];
    size_t n = ip4(f, 6, "10.0.2.2", 20 + 4, 79, 0);
    uint8_t *t = f + n;

    memset(t, 0, 24);
    t[0] = 0x9c, t[1] = 0x40; /* port 40000 */
    t[3] = 9;                 /* to port 9 */
    t[12] = 5 << 4;
    t[13] = 0x20 | 0x08 | 0x10; /* URG PSH ACK, no connection */
    t[18] = 0xff, t[19] = 0xff; /* urgent pointer far past the data */
    tcp_csum(f, 24);
    /* No such connection: slirp answers with a reset. */
    return sk_one(f, n + 24, false);
}

enum verdict s_short_arp(struct devkit *k)
{
    uint8_t f[64];

    arp(f, "10.0.2.2");
    return sk_one(f, 20, false);
}

enum verdict s_short_ncsi(struct devkit *k)
{
    uint8_t f[64];

    memset(f, 0, sizeof(f));
    eth(f, bcast, 0x88f8);
    return sk_one(f, 16, false);
}

enum verdict s_truncated_dhcp(struct devkit *k)
{
    static uint8_t f[100];
    size_t n = ip4(f, 17, "255.255.255.255", 8 + 10, 80, 0);
    uint8_t *u = f + n;

    memset(u, 0, 18);
    u[1] = 68, u[3] = 67; /* bootpc -> bootps */
    u[5] = 18;            /* UDP length: a 10-byte BOOTP message */
    u[8] = 1;             /* BOOTREQUEST */
    return sk_one(f, n + 18, false);
}

enum verdict s_truncated_udp(struct devkit *k)
{
    static uint8_t f[64];
    size_t n = ip4(f, 17, "10.0.2.3", 4, 81, 0);

    memset(f + n, 0x35, 4); /* half a UDP header */
    return sk_one(f, n + 4, false);
}

enum verdict s_truncated_udp6(struct devkit *k)
{
    static uint8_t f[128];
    size_t n = eth(f, bcast, 0x86dd);
    uint8_t *ip = f + n;

    memset(ip, 0, 44);
    ip[0] = 0x60;
    ip[5] = 4; /* payload length 4: half a UDP header */
    ip[6] = 17;
    ip[7] = 64;
    inet_pton(AF_INET6, "fec0::15", ip + 8);
    inet_pton(AF_INET6, "fec0::3", ip + 24);
    return sk_one(f, n + 44, true);
}

enum verdict s_ftp_port_with_emu_off(struct devkit *k)
{
    static uint8_t f[200];
    const char *cmd = "PORT 10,0,2,15,200,1\r\n";
    size_t len = strlen(cmd);
    size_t n = ip4(f, 6, "10.0.2.2", 20 + len, 82, 0);
    uint8_t *t = f + n;

    memset(t, 0, 20);
    t[0] = 0x9c, t[1] = 0x41;
    t[3] = 21; /* FTP control, never connected */
    t[12] = 5 << 4;
    t[13] = 0x18; /* PSH ACK */
    memcpy(t + 20, cmd, len);
    tcp_csum(f, 20 + len);
    return sk_one(f, n + 20 + len, false);
}

enum verdict s_frame_over_mru(struct devkit *k)
{
    static uint8_t f[SLIRP_STACK_MAX_FRAME + 100];
    size_t n = ip4(f, 1, "10.0.2.2", sizeof(f) - 34, 83, 0);

    f[n] = 8;
    return sk_one(f, sizeof(f), false);
}

enum verdict s_ipv6_extension_chain(struct devkit *k)
{
    static uint8_t f[1400];
    size_t n = eth(f, bcast, 0x86dd);
    uint8_t *ip = f + n;
    unsigned hops = 150;

    memset(ip, 0, 40 + 8 * hops);
    ip[0] = 0x60;
    ip[4] = (uint8_t)((8 * hops) >> 8);
    ip[5] = (uint8_t)(8 * hops);
    ip[6] = 0; /* hop-by-hop options, chained */
    ip[7] = 64;
    inet_pton(AF_INET6, "fec0::15", ip + 8);
    inet_pton(AF_INET6, "fec0::2", ip + 24);
    for (unsigned i = 0; i < hops; i++) {
        ip[40 + 8 * i] = i + 1 < hops ? 0 : 59; /* next: hbh ... none */
    }
    return sk_one(f, n + 40 + 8 * hops, true);
}

enum verdict s_icmp_echo_flood(struct devkit *k)
{
    struct slirp_kit s;
    static uint8_t f[128];
    size_t n = ip4(f, 1, "10.0.2.2", 64, 84, 0);
    uint16_t c;

    memset(f + n, 0, 64);
    f[n] = 8; /* echo request */
    c = csum(f + n, 64);
    f[n + 2] = (uint8_t)(c >> 8), f[n + 3] = (uint8_t)c;
    sk_init(&s, false);
    for (unsigned i = 0; i < 5000; i++) {
        slirp_stack_input(s.st, f, n + 64);
        if (i % 64 == 0) {
            sk_poll(&s);
        }
    }
    sk_poll(&s);
    return sk_done(&s, s.out > 0 ? V_PASS : V_REJECT);
}

/* ---------------------------------------------------------------- H */

#define H_RAM (64 * 1024 * 1024)
#define PAYLOAD 4096

/* Loads img into a fresh 64 MiB guest: PASS if it loads, REJECT on an
 * error (which must name the problem: message not empty). */
static enum verdict load(const uint8_t *img,
                         size_t len,
                         const char *cmdline,
                         size_t initrd_len)
{
    struct test_mem tm;
    struct kernel_load_args a = {.kernel = img,
                                 .kernel_len = len,
                                 .cmdline = cmdline,
                                 .low_ram = H_RAM,
                                 .rsdp = LAYOUT_ACPI_START};
    struct kernel_entry e;
    g_autoptr(GError) err = NULL;
    uint8_t *initrd = NULL;
    enum verdict v;

    test_mem_init(&tm, H_RAM, 0);
    if (initrd_len) {
        initrd = g_malloc0(initrd_len);
        a.initrd = initrd;
        a.initrd_len = initrd_len;
    }
    v = kernel_load(&tm.gm, &a, &e, &err) ? V_PASS : V_REJECT;
    if (v == V_REJECT && (!err || !*err->message)) {
        v = V_WEDGED;
    }
    g_free(initrd);
    test_mem_free(&tm);
    return v;
}

static uint8_t bz[1024 + PAYLOAD + 2048];

enum verdict h_bzimage_ok(struct devkit *k)
{
    make_bzimage(bz, PAYLOAD);
    return load(bz, 1024 + PAYLOAD, "console=ttyS0", 0);
}

enum verdict h_truncated_bzimage(struct devkit *k)
{
    make_bzimage(bz, PAYLOAD);
    return load(bz, 1024 + PAYLOAD / 2, "console=ttyS0", 0);
}

enum verdict h_setup_sects_zero(struct devkit *k)
{
    /* 0 means 4 (boot protocol): 2560 bytes of setup. */
    make_bzimage(bz, PAYLOAD + 1536);
    bz[0x1f1] = 0;
    put_le32(bz + 0x1f4, PAYLOAD / 16);
    return load(bz, 2560 + PAYLOAD, "console=ttyS0", 0);
}

enum verdict h_setup_sects_255(struct devkit *k)
{
    make_bzimage(bz, PAYLOAD);
    bz[0x1f1] = 255;
    return load(bz, 1024 + PAYLOAD, "console=ttyS0", 0);
}

enum verdict h_cmdline_longer_than_allowed(struct devkit *k)
{
    char line[300];

    make_bzimage(bz, PAYLOAD);
    put_le32(bz + 0x238, 16); /* cmdline_size */
    memset(line, 'a', sizeof(line) - 1);
    line[sizeof(line) - 1] = '\0';
    return load(bz, 1024 + PAYLOAD, line, 0);
}

enum verdict h_initrd_larger_than_gap(struct devkit *k)
{
    make_bzimage(bz, PAYLOAD);
    return load(bz, 1024 + PAYLOAD, "console=ttyS0", H_RAM);
}

enum verdict h_alignment_not_power_of_two(struct devkit *k)
{
    make_bzimage(bz, PAYLOAD);
    put_le32(bz + 0x230, 0x300000); /* kernel_alignment */
    return load(bz, 1024 + PAYLOAD, "console=ttyS0", 0);
}

enum verdict h_garbage_kernel(struct devkit *k)
{
    memset(bz, 0x5a, sizeof(bz));
    return load(bz, sizeof(bz), "console=ttyS0", 0);
}

enum verdict h_elf_phdr_past_file(struct devkit *k)
{
    /* An ELF header whose program headers lie beyond the file. */
    memset(bz, 0, 64);
    memcpy(bz, "\177ELF", 4);
    bz[4] = 1, bz[5] = 1, bz[6] = 1; /* 32-bit, little-endian */
    put_le16(bz + 16, 2);            /* ET_EXEC */
    put_le16(bz + 18, 3);            /* EM_386 */
    put_le32(bz + 28, 0x7ffffff0);   /* e_phoff */
    put_le16(bz + 42, 32);           /* e_phentsize */
    put_le16(bz + 44, 0xffff);       /* e_phnum */
    return load(bz, 64, "console=ttyS0", 0);
}
