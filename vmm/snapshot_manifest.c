/*
 * snapshot_manifest.c: reading a snapshot's manifest (snapshot_manifest.h).
 */
#define G_LOG_DOMAIN "husk"
#include "vmm/snapshot_manifest.h"

#include <inttypes.h>
#include <string.h>

#include "lib/error.h"
#include "lib/state.h"
#include "vmm/snapshot.h"

static bool damaged(GError **errp, const char *fmt, ...) G_GNUC_PRINTF(2, 3);

static bool damaged(GError **errp, const char *fmt, ...)
{
    va_list ap;
    g_autofree char *msg = NULL;

    va_start(ap, fmt);
    msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    g_set_error(errp, HUSK_ERROR, HUSK_EXIT_DATAERR, "manifest: %s", msg);
    return false;
}

/* "A,B,C": three decimal numbers and nothing else. */
static bool three_numbers(const char *s, uint64_t v[3])
{
    g_auto(GStrv) parts = s ? g_strsplit(s, ",", 4) : NULL;

    if (!parts || g_strv_length(parts) != 3) {
        return false;
    }
    for (unsigned i = 0; i < 3; i++) {
        guint64 n;

        if (!g_ascii_string_to_unsigned(parts[i], 10, 0, G_MAXUINT64, &n,
                                        NULL)) {
            return false;
        }
        v[i] = n;
    }
    return true;
}

static bool sha256_field(GKeyFile *kf, const char *key, char out[65])
{
    g_autofree char *v = g_key_file_get_string(kf, "files", key, NULL);

    if (!v || strlen(v) != 64 || strspn(v, "0123456789abcdef") != 64) {
        return false;
    }
    memcpy(out, v, 65);
    return true;
}

bool snap_manifest_parse(struct snap_manifest *m,
                         const char *data,
                         size_t len,
                         const char *build,
                         GError **errp)
{
    g_autoptr(GKeyFile) kf = g_key_file_new();
    g_autoptr(GError) e = NULL;
    struct st_reader r = {NULL, "snapshot", NULL};
    gsize nargs = 0;
    g_auto(GStrv) args = NULL;
    uint64_t end = 0;

    memset(m, 0, sizeof(*m));
    if (len > SNAP_MANIFEST_MAX || memchr(data, '\0', len) ||
        !g_key_file_load_from_data(kf, data, len, G_KEY_FILE_NONE, &e)) {
        return damaged(errp, "not a manifest: %s",
                       e ? e->message : "too large or holds a NUL byte");
    }
    r.kf = kf;
    m->format = st_get_u64(&r, "format", 0, UINT32_MAX);
    if (!st_finish(&r, errp)) {
        g_prefix_error(errp, "manifest ");
        return false;
    }
    if (m->format != SNAP_FORMAT) {
        g_set_error(errp, HUSK_ERROR, HUSK_EXIT_DATAERR,
                    "manifest: snapshot format %" PRIu64
                    ", this husk reads format %u",
                    m->format, SNAP_FORMAT);
        return false;
    }
    m->husk = g_key_file_get_string(kf, "snapshot", "husk", NULL);
    if (!m->husk || strlen(m->husk) > 256 || g_strcmp0(m->husk, build)) {
        g_set_error(errp, HUSK_ERROR, HUSK_EXIT_UNAVAILABLE,
                    "it was written by husk %.256s; this is husk %s (a "
                    "snapshot is restored by the build that wrote it)",
                    m->husk ? m->husk : "(unknown)", build);
        return false;
    }

    r.group = "files";
    m->state_size = st_get_u64(&r, "state.size", 1, SNAP_STATE_MAX);
    m->memory_size = st_get_u64(&r, "memory.size", 0, UINT64_MAX / 4);
    m->memory_data = st_get_u64(&r, "memory.data", 0, m->memory_size);
    if (!st_finish(&r, errp)) {
        g_prefix_error(errp, "manifest ");
        return false;
    }
    if (!sha256_field(kf, "state.sha256", m->state_sha256) ||
        !sha256_field(kf, "memory.sha256", m->memory_sha256)) {
        return damaged(errp, "a checksum is missing or not SHA-256");
    }

    r.group = "vm";
    m->memory = st_get_u64(&r, "memory", 1, UINT64_MAX / 4);
    m->cpus = st_get_u64(&r, "cpus", 1, 1024);
    m->nr_regions = (unsigned)st_get_u64(&r, "regions", 1, GM_MAX_REGIONS);
    m->nr_devices = (unsigned)st_get_u64(&r, "devices", 0, SNAP_MAX_DEVICES);
    if (!st_finish(&r, errp)) {
        g_prefix_error(errp, "manifest ");
        return false;
    }
    for (unsigned i = 0; i < m->nr_regions; i++) {
        g_autofree char *k = g_strdup_printf("region%u", i);
        g_autofree char *v = g_key_file_get_string(kf, "vm", k, NULL);
        uint64_t n[3];

        /* In order, one after the other in the file, not wrapping. */
        if (!three_numbers(v, n) || !n[1] || n[2] != end ||
            n[0] + n[1] < n[0] || n[2] + n[1] < n[2]) {
            return damaged(errp, "memory region %u is not valid", i);
        }
        m->region[i].gpa = n[0];
        m->region[i].size = n[1];
        m->region[i].offset = n[2];
        end = n[2] + n[1];
    }
    if (end != m->memory || end != m->memory_size) {
        return damaged(errp,
                       "the memory regions do not add up to the guest's "
                       "memory and the memory file");
    }
    for (unsigned i = 0; i < m->nr_devices; i++) {
        g_autofree char *k = g_strdup_printf("device%u", i);

        m->device[i] = g_key_file_get_string(kf, "vm", k, NULL);
        if (!m->device[i] || strlen(m->device[i]) > 64) {
            return damaged(errp, "device %u is not described", i);
        }
    }
    for (unsigned i = 0; i < SNAP_MAX_DISKS; i++) {
        g_autofree char *k = g_strdup_printf("disk%u", i);
        g_autofree char *v = g_key_file_get_string(kf, "vm", k, NULL);
        uint64_t n[3];

        if (!v) {
            continue;
        }
        if (!three_numbers(v, n)) {
            return damaged(errp, "disk %u is not described", i);
        }
        m->disk[i].known = true;
        m->disk[i].size = n[0];
        m->disk[i].dev = n[1];
        m->disk[i].ino = n[2];
    }

    args = g_key_file_get_string_list(kf, "vm", "argv", &nargs, NULL);
    if (!args || nargs > SNAP_MAX_ARGS) {
        return damaged(errp, "it holds no usable configuration");
    }
    m->argv = g_new0(char *, nargs + 1);
    for (gsize i = 0; i < nargs; i++) {
        if (strlen(args[i]) > SNAP_MAX_ARG_LEN) {
            return damaged(errp, "an option of %zu bytes", strlen(args[i]));
        }
        m->argv[i] = g_strdup(args[i]);
    }
    return true;
}

void snap_manifest_clear(struct snap_manifest *m)
{
    g_free(m->husk);
    g_strfreev(m->argv);
    for (unsigned i = 0; i < SNAP_MAX_DEVICES; i++) {
        g_free(m->device[i]);
    }
    memset(m, 0, sizeof(*m));
}
