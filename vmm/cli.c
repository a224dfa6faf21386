/*
 * cli.c: command-line value parsing (see cli.h).
 */
#include "vmm/cli.h"

#include <errno.h>
#include <arpa/inet.h>
#include <limits.h>
#include <glib.h>
#include <stdlib.h>
#include <string.h>

#include "lib/util.h"
#include "vmm/vm.h"

bool cli_parse_size(const char *s, uint64_t *out)
{
    char *end;
    uint64_t v, mult = MiB;

    errno = 0;
    if (!*s || *s == '-' || *s == '+') {
        return false;
    }
    v = strtoull(s, &end, 10);
    if (errno || end == s) {
        return false;
    }
    switch (*end) {
    case 'k':
    case 'K':
        mult = KiB;
        end++;
        break;
    case 'm':
    case 'M':
        mult = MiB;
        end++;
        break;
    case 'g':
    case 'G':
        mult = GiB;
        end++;
        break;
    case 't':
    case 'T':
        mult = 1024 * GiB;
        end++;
        break;
    }
    if (*end == 'i' && end[1] == 'B') {
        end += 2;
    } else if (*end == 'B') {
        end++;
    }
    if (*end || __builtin_mul_overflow(v, mult, out)) {
        return false;
    }
    return true;
}

bool cli_parse_seconds(const char *s, double *out)
{
    char *end;
    double v;

    errno = 0;
    v = strtod(s, &end);
    if (errno || end == s || *end || !(v > 0) || v > 1e7) {
        return false;
    }
    *out = v;
    return true;
}

bool cli_parse_uint(const char *s, unsigned *out)
{
    char *end;
    unsigned long v;

    errno = 0;
    if (!*s || *s == '-' || *s == '+') {
        return false;
    }
    v = strtoul(s, &end, 10);
    if (errno || *end || v > UINT_MAX) {
        return false;
    }
    *out = (unsigned)v;
    return true;
}

/* One trailing ",option" of --disk; false if suffix is not one. */
bool cli_disk_format_ok(const char *format)
{
    static const char *const known[] = {"raw", "qcow2", "qed", "vmdk",
                                        "vdi", "vhdx",  "vpc"};

    for (unsigned i = 0; i < G_N_ELEMENTS(known); i++) {
        if (!strcmp(format, known[i])) {
            return true;
        }
    }
    return false;
}

static bool disk_option(const char *opt,
                        struct vm_disk_config *d,
                        bool *aio_given,
                        const char **why)
{
    if (!strcmp(opt, "ro") || !strcmp(opt, "rw")) {
        d->read_only = !strcmp(opt, "ro");
    } else if (!strcmp(opt, "aio=io_uring")) {
        d->engine = BLK_ENGINE_URING;
    } else if (!strcmp(opt, "aio=sync")) {
        d->engine = BLK_ENGINE_SYNC;
    } else if (!strcmp(opt, "aio=auto")) {
        d->engine = BLK_ENGINE_AUTO;
    } else if (g_str_has_prefix(opt, "aio=")) {
        *why = "expected aio=io_uring, aio=sync or aio=auto";
    } else if (g_str_has_prefix(opt, "format=")) {
        if (!cli_disk_format_ok(opt + 7)) {
            *why = "format= takes raw, qcow2, qed, vmdk, vdi, vhdx or vpc";
        } else {
            g_free(d->format);
            d->format = g_strdup(opt + 7);
        }
    } else {
        return false;
    }
    *aio_given |= g_str_has_prefix(opt, "aio=");
    return true;
}

bool cli_parse_disk(const char *arg, struct vm_disk_config *d, const char **why)
{
    g_autofree char *p = g_strdup(arg);
    bool aio_given = false;
    char *comma;

    d->read_only = false;
    d->engine = BLK_ENGINE_AUTO;
    d->path = d->format = NULL;
    d->vhost_user = false;
    *why = NULL;
    /* Options come last; a comma elsewhere belongs to the path. */
    while ((comma = strrchr(p, ',')) &&
           disk_option(comma + 1, d, &aio_given, why)) {
        if (*why) {
            break;
        }
        *comma = '\0';
    }
    if (g_str_has_prefix(p, "vhost-user=")) {
        d->vhost_user = true;
        memmove(p, p + strlen("vhost-user="), strlen(p) - 10);
        if (!*why && (d->format || aio_given)) {
            *why = "vhost-user= takes only ro: the backend serves the format";
        }
    }
    if (!*why && !*p) {
        *why = d->vhost_user ? "expected vhost-user=SOCKET" : "expected a path";
    }
    if (*why) {
        cli_disk_config_clear(d);
        return false;
    }
    d->path = g_steal_pointer(&p);
    return true;
}

void cli_disk_config_clear(struct vm_disk_config *d)
{
    g_clear_pointer(&d->path, g_free);
    g_clear_pointer(&d->format, g_free);
}

static bool share_tag_ok(const char *t)
{
    size_t n = strlen(t);

    if (!n || n > CLI_SHARE_TAG_MAX) {
        return false;
    }
    for (const char *c = t; *c; c++) {
        if (!g_ascii_isalnum(*c) && !strchr("._+-", *c)) {
            return false;
        }
    }
    return true;
}

bool cli_parse_share(const char *arg,
                     char **dir,
                     char **tag,
                     bool *read_only,
                     const char **why)
{
    g_autofree char *p = g_strdup(arg);
    g_autofree char *t = NULL;
    char *comma;

    *read_only = false;
    *dir = *tag = NULL;
    /* Options come last; a comma elsewhere belongs to the path. */
    while ((comma = strrchr(p, ','))) {
        const char *o = comma + 1;

        if (!strcmp(o, "ro") || !strcmp(o, "rw")) {
            *read_only = !strcmp(o, "ro");
        } else if (g_str_has_prefix(o, "tag=")) {
            g_free(t);
            t = g_strdup(o + 4);
            if (!share_tag_ok(t)) {
                *why = "a tag has 1 to 36 of A-Z a-z 0-9 . _ + -";
                return false;
            }
        } else {
            break;
        }
        *comma = '\0';
    }
    if (!*p) {
        *why = "expected DIR[,tag=NAME][,ro]";
        return false;
    }
    if (!t) {
        /* The directory's own name: /srv/src/ -> "src"; / -> "root". */
        g_autofree char *trimmed = g_strdup(p);
        size_t n = strlen(trimmed);

        while (n > 1 && trimmed[n - 1] == '/') {
            trimmed[--n] = '\0';
        }
        t = strcmp(trimmed, "/") ? g_path_get_basename(trimmed)
                                 : g_strdup("root");
        if (!share_tag_ok(t)) {
            *why =
                "the directory's name is not a tag (1 to 36 of A-Z a-z "
                "0-9 . _ + -): give tag=NAME";
            return false;
        }
    }
    *dir = g_steal_pointer(&p);
    *tag = g_steal_pointer(&t);
    return true;
}

bool cli_parse_onoff(const char *v, bool *out)
{
    if (!strcmp(v, "on") || !strcmp(v, "yes") || !strcmp(v, "true")) {
        *out = true;
    } else if (!strcmp(v, "off") || !strcmp(v, "no") || !strcmp(v, "false")) {
        *out = false;
    } else {
        return false;
    }
    return true;
}

static bool parse_mac(const char *v, uint8_t mac[6])
{
    if (strlen(v) != 17) {
        return false;
    }
    for (int i = 0; i < 6; i++) {
        const char *p = v + 3 * i;
        int hi = g_ascii_xdigit_value(p[0]), lo = g_ascii_xdigit_value(p[1]);

        if (hi < 0 || lo < 0 || (i < 5 && p[2] != ':')) {
            return false;
        }
        mac[i] = (uint8_t)(hi << 4 | lo);
    }
    /* Unicast and not all zeroes. */
    return !(mac[0] & 1) &&
           (mac[0] | mac[1] | mac[2] | mac[3] | mac[4] | mac[5]);
}

/* A stable MAC for a NIC without mac=: 02:68:75 ("hu", locally
 * administered) and 24 bits of FNV-1a over its index and spec, so the same
 * command line gives the same address and two TAP devices differ. */
static void generate_mac(const char *spec, unsigned index, uint8_t mac[6])
{
    uint32_t h = 2166136261u;

    h = (h ^ index) * 16777619u;
    for (const char *p = spec; *p; p++) {
        h = (h ^ (uint8_t)*p) * 16777619u;
    }
    mac[0] = 0x02;
    mac[1] = 0x68;
    mac[2] = 0x75;
    mac[3] = (uint8_t)(h >> 16);
    mac[4] = (uint8_t)(h >> 8);
    mac[5] = (uint8_t)h;
}

void cli_net_config_clear(struct vm_net_config *c)
{
    g_free(c->tap_name);
    memset(c, 0, sizeof(*c));
    c->tap_fd = -1;
}

bool cli_parse_net(const char *arg,
                   unsigned index,
                   struct vm_net_config *c,
                   char **why)
{
    g_auto(GStrv) parts = g_strsplit(arg, ",", -1);
    bool mac_set = false, fd_given = false;

    memset(c, 0, sizeof(*c));
    c->tap_fd = -1;
    c->user.ipv6 = true;
    c->user.mtu = NET_USER_MTU_DEFAULT;
    *why = NULL;
    if (!parts[0] || !*parts[0]) {
        *why = g_strdup("expected user[,...] or tap=NAME or tap,fd=N");
        return false;
    }
    if (!strcmp(parts[0], "user")) {
        c->kind = VM_NET_USER;
    } else if (!strcmp(parts[0], "tap")) {
        c->kind = VM_NET_TAP;
    } else if (g_str_has_prefix(parts[0], "tap=") && parts[0][4]) {
        c->kind = VM_NET_TAP;
        c->tap_name = g_strdup(parts[0] + 4);
    } else {
        *why = g_strdup_printf("unknown network '%s': expected user or tap",
                               parts[0]);
        return false;
    }
    for (int i = 1; parts[i]; i++) {
        char *eq = strchr(parts[i], '=');
        const char *key = parts[i], *val = eq ? eq + 1 : "";
        const char *fwhy;
        bool ok = eq != NULL;

        if (eq) {
            *eq = '\0';
        }
        if (ok && !strcmp(key, "mac")) {
            ok = parse_mac(val, c->mac);
            mac_set = true;
        } else if (ok && c->kind == VM_NET_USER && !strcmp(key, "hostfwd")) {
            if (c->user.nr_fwd == NET_USER_MAX_FWD) {
                *why = g_strdup_printf("at most %d hostfwd rules",
                                       NET_USER_MAX_FWD);
                goto fail;
            }
            if (!cli_parse_hostfwd(val, &c->user.fwd[c->user.nr_fwd], &fwhy)) {
                *why = g_strdup_printf("hostfwd=%s: %s", val, fwhy);
                goto fail;
            }
            c->user.nr_fwd++;
        } else if (ok && c->kind == VM_NET_USER && !strcmp(key, "restrict")) {
            ok = cli_parse_onoff(val, &c->user.restrict_);
        } else if (ok && c->kind == VM_NET_USER && !strcmp(key, "ipv6")) {
            ok = cli_parse_onoff(val, &c->user.ipv6);
        } else if (ok && !strcmp(key, "mtu")) {
            unsigned mtu;

            /* user: slirp's link MTU; tap: advice to the guest, which
             * should match the TAP device's. */
            ok = cli_parse_uint(val, &mtu) &&
                 (c->kind == VM_NET_USER
                      ? mtu >= NET_USER_MTU_MIN && mtu <= NET_USER_MTU_MAX
                      : mtu >= 68 && mtu <= 65535);
            c->mtu = (uint16_t)mtu;
            c->user.mtu = mtu;
        } else if (ok && c->kind == VM_NET_TAP && !strcmp(key, "vhost")) {
            bool on;

            ok = cli_parse_onoff(val, &on);
            c->vhost = on ? VM_VHOST_ON : VM_VHOST_OFF;
        } else if (ok && c->kind == VM_NET_TAP && !c->tap_name &&
                   !strcmp(key, "fd")) {
            unsigned fd;

            ok = cli_parse_uint(val, &fd) && fd <= INT_MAX;
            c->tap_fd = (int)fd;
            fd_given = true;
        } else {
            *why = g_strdup_printf("unknown option '%s'%s", key,
                                   c->kind == VM_NET_USER
                                       ? " (user takes hostfwd=, restrict=, "
                                         "ipv6=, mac=, mtu=)"
                                       : " (tap takes fd= or =NAME, mac=, "
                                         "mtu=, vhost=)");
            goto fail;
        }
        if (!ok) {
            *why = g_strdup_printf("%s=%s: bad value", key, val);
            goto fail;
        }
    }
    if (c->kind == VM_NET_TAP && !c->tap_name && !fd_given) {
        *why = g_strdup(
            "tap needs a device name (tap=NAME) or a descriptor "
            "(tap,fd=N)");
        goto fail;
    }
    if (!mac_set) {
        generate_mac(arg, index, c->mac);
    }
    if (c->kind == VM_NET_USER) {
        c->mtu = (uint16_t)c->user.mtu;
    }
    return true;
fail:
    cli_net_config_clear(c);
    return false;
}

static bool parse_port(const char *s, uint16_t *out)
{
    char *end;
    unsigned long v;

    if (!*s || *s == '-' || *s == '+') {
        return false;
    }
    errno = 0;
    v = strtoul(s, &end, 10);
    if (errno || *end || v == 0 || v > 65535) {
        return false;
    }
    *out = (uint16_t)v;
    return true;
}

bool cli_parse_hostfwd(const char *spec,
                       struct net_user_fwd *f,
                       const char **why)
{
    g_autofree char *copy = g_strdup(spec);
    char *p = copy, *host, *hport, *guest, *gport, *dash;

    memset(f, 0, sizeof(*f));
    inet_pton(AF_INET, "127.0.0.1", &f->host_addr);
    inet_pton(AF_INET, "10.0.2.15", &f->guest_addr);
    *why = "expected [tcp|udp]:[HOSTADDR]:PORT-[GUESTADDR]:GUESTPORT";
    if (g_str_has_prefix(p, "tcp:")) {
        p += 4;
    } else if (g_str_has_prefix(p, "udp:")) {
        f->udp = true;
        p += 4;
    } else if (*p == ':') {
        p++; /* no protocol: tcp, as in QEMU */
    } else {
        return false;
    }
    dash = strchr(p, '-');
    if (!dash) {
        return false;
    }
    *dash = '\0';
    host = p;
    guest = dash + 1;
    hport = strrchr(host, ':');
    gport = strrchr(guest, ':');
    if (!hport || !gport) {
        return false;
    }
    *hport++ = '\0';
    *gport++ = '\0';
    if (*host && inet_pton(AF_INET, host, &f->host_addr) != 1) {
        *why = "the host address is not an IPv4 address";
        return false;
    }
    if (*guest && inet_pton(AF_INET, guest, &f->guest_addr) != 1) {
        *why = "the guest address is not an IPv4 address";
        return false;
    }
    if (!parse_port(hport, &f->host_port) ||
        !parse_port(gport, &f->guest_port)) {
        *why = "ports must be numbers from 1 to 65535";
        return false;
    }
    return true;
}
