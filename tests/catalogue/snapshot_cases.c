/*
 * snapshot_cases.c: catalogue cases for snapshot files (vmm/snapshot.h).
 * A snapshot can be swapped or damaged on disk, so its device state and
 * its manifest are hostile input like a guest's rings.  Device rows save
 * the state of a running device, damage one field and load it back into
 * the same device (virtio_state.c): refused, the device is left reset,
 * and it still answers once brought up again.  Manifest rows feed
 * snap_manifest_parse(), the one parser restore uses.
 */
#include <string.h>

#include "devices/virtio/virtio.h"
#include "lib/state.h"
#include "tests/catalogue/catalogue.h"
#include "tests/catalogue/snapshot_cases.h"
#include "vmm/snapshot_manifest.h"

/* Saves the running device, sets key to value (value NULL: removes key;
 * key2 too if not NULL), loads it back. */
static enum verdict state_case2(struct devkit *k,
                                const char *key,
                                const char *value,
                                const char *key2,
                                const char *value2)
{
    g_autoptr(GKeyFile) kf = g_key_file_new();
    struct st_writer w = {kf, "dev"};
    struct st_reader r = {kf, "dev", NULL};
    bool ok;

    dk_reach(k, DK_DRIVER_OK, 1ULL << VIRTIO_F_VERSION_1);
    virtio_dev_save(k->dev, &w);
    if (key && value) {
        g_key_file_set_value(kf, "dev", key, value);
    } else if (key) {
        g_key_file_remove_key(kf, "dev", key, NULL);
    }
    if (key2) {
        g_key_file_set_value(kf, "dev", key2, value2);
    }
    ok = virtio_dev_load(k->dev, &r);
    if (ok != !st_failed(&r)) {
        return V_WEDGED; /* said one thing, did another */
    }
    g_clear_error(&r.err);
    return ok ? V_PASS : V_REJECT;
}

static enum verdict state_case(struct devkit *k,
                               const char *key,
                               const char *value)
{
    return state_case2(k, key, value, NULL, NULL);
}

enum verdict k_state_ok(struct devkit *k)
{
    return state_case(k, NULL, NULL);
}

enum verdict k_ring_outside_memory(struct devkit *k)
{
    return state_case(k, "q0.used", "4294967296");
}

enum verdict k_requests_in_flight(struct devkit *k)
{
    return state_case(k, "q0.last_avail", "9");
}

enum verdict k_used_ring_contradicts(struct devkit *k)
{
    /* Consistent with itself (nothing in flight), not with memory. */
    return state_case2(k, "q0.used_idx", "5", "q0.last_avail", "5");
}

enum verdict k_queue_above_max(struct devkit *k)
{
    return state_case(k, "q0.size", "65535");
}

enum verdict k_undefined_status_bits(struct devkit *k)
{
    return state_case(k, "status", "31"); /* 0x10 is not a status bit */
}

enum verdict k_features_never_offered(struct devkit *k)
{
    return state_case(k, "guest_features", "18446744073709551615");
}

enum verdict k_console_port_count(struct devkit *k)
{
    return state_case(k, "ports", "3");
}

enum verdict k_console_ctrl_overflow(struct devkit *k)
{
    return state_case(k, "ctrl_len", "4096");
}

enum verdict k_console_ctrl_bad_port(struct devkit *k)
{
    g_autoptr(GKeyFile) kf = g_key_file_new();
    struct st_writer w = {kf, "dev"};
    struct st_reader r = {kf, "dev", NULL};
    bool ok;

    dk_reach(k, DK_DRIVER_OK, 1ULL << VIRTIO_F_VERSION_1);
    virtio_dev_save(k->dev, &w);
    g_key_file_set_value(kf, "dev", "ctrl_len", "1");
    g_key_file_set_value(kf, "dev", "ctrl0.id", "7");
    g_key_file_set_value(kf, "dev", "ctrl0.event", "6");
    g_key_file_set_value(kf, "dev", "ctrl0.value", "1");
    g_key_file_set_value(kf, "dev", "ctrl0.with_name", "0");
    ok = virtio_dev_load(k->dev, &r);
    g_clear_error(&r.err);
    return ok ? V_PASS : V_REJECT;
}

enum verdict k_blk_flag_not_bool(struct devkit *k)
{
    return state_case(k, "flush_failed", "2");
}

enum verdict k_field_not_a_number(struct devkit *k)
{
    return state_case(k, "queue_sel", "0x1");
}

enum verdict k_field_missing(struct devkit *k)
{
    return state_case(k, "q0.desc", NULL);
}

/* A manifest as snapshot.c writes one, with substitutions. */
#define GOOD_SHA \
    "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

static char *manifest(const char *format,
                      const char *build,
                      const char *region0,
                      const char *state_sha,
                      const char *argv)
{
    return g_strdup_printf(
        "[snapshot]\nformat=%s\nhusk=%s\ncreated=2026-12-01T00:00:00Z\n"
        "[vm]\nargv=%s\nmemory=268435456\ncpus=1\nregions=1\n"
        "region0=%s\ndevices=1\ndevice0=virtio-rng@0xd0000000:5\n"
        "[files]\nstate.size=100\nstate.sha256=%s\n"
        "memory.size=268435456\nmemory.data=4096\nmemory.sha256=" GOOD_SHA "\n",
        format, build, argv, region0, state_sha);
}

static enum verdict manifest_case(const char *text, size_t len)
{
    struct snap_manifest m;
    g_autoptr(GError) err = NULL;
    bool ok = snap_manifest_parse(&m, text, len, "test-build", &err);

    snap_manifest_clear(&m);
    if (ok != (err == NULL)) {
        return V_WEDGED;
    }
    return ok ? V_PASS : V_REJECT;
}

static enum verdict manifest_with(const char *format,
                                  const char *build,
                                  const char *region0,
                                  const char *sha,
                                  const char *argv)
{
    g_autofree char *t = manifest(format, build, region0, sha, argv);

    return manifest_case(t, strlen(t));
}

enum verdict k_manifest_ok(struct devkit *k)
{
    return manifest_with("1", "test-build", "0,268435456,0", GOOD_SHA,
                         "--kernel;k;");
}

enum verdict k_manifest_format_2(struct devkit *k)
{
    return manifest_with("2", "test-build", "0,268435456,0", GOOD_SHA,
                         "--kernel;k;");
}

enum verdict k_manifest_other_build(struct devkit *k)
{
    return manifest_with("1", "other-build", "0,268435456,0", GOOD_SHA,
                         "--kernel;k;");
}

enum verdict k_manifest_regions_short(struct devkit *k)
{
    return manifest_with("1", "test-build", "0,4096,0", GOOD_SHA,
                         "--kernel;k;");
}

enum verdict k_manifest_region_wraps(struct devkit *k)
{
    return manifest_with("1", "test-build", "18446744073709547520,268435456,0",
                         GOOD_SHA, "--kernel;k;");
}

enum verdict k_manifest_too_many_args(struct devkit *k)
{
    GString *a = g_string_new(NULL);
    enum verdict v;

    for (unsigned i = 0; i < SNAP_MAX_ARGS + 1; i++) {
        g_string_append(a, "x;");
    }
    v = manifest_with("1", "test-build", "0,268435456,0", GOOD_SHA, a->str);
    g_string_free(a, TRUE);
    return v;
}

enum verdict k_manifest_bad_checksum(struct devkit *k)
{
    return manifest_with("1", "test-build", "0,268435456,0", "12345",
                         "--kernel;k;");
}

enum verdict k_manifest_nul_byte(struct devkit *k)
{
    g_autofree char *t =
        manifest("1", "test-build", "0,268435456,0", GOOD_SHA, "--kernel;k;");
    size_t n = strlen(t);

    t[n / 2] = '\0';
    return manifest_case(t, n);
}

enum verdict k_manifest_too_large(struct devkit *k)
{
    g_autofree char *t =
        manifest("1", "test-build", "0,268435456,0", GOOD_SHA, "--kernel;k;");
    size_t n = SNAP_MANIFEST_MAX + 1;
    g_autofree char *big = g_malloc0(n);

    memset(big, '#', n);
    memcpy(big, t, strlen(t));
    big[strlen(t)] = '\n';
    return manifest_case(big, n);
}

enum verdict k_manifest_not_keyfile(struct devkit *k)
{
    static const char junk[] =
        "\x7f"
        "ELF\x02\x01\x01 not a key file at all";

    return manifest_case(junk, sizeof(junk) - 1);
}
