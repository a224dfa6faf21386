/*
 * fuzz_snapshot.c: libFuzzer target for what husk restore parses of a
 * snapshot: the manifest (snap_manifest_parse) and the device state
 * (lib/state.h through serial8250_load and virtio_dev_load into a
 * virtio-rng, a three-port console and a virtio-blk on a 64 KiB guest
 * memory).  The input is the manifest, a NUL byte, then the state; with
 * no NUL, all of it is the state.  A loaded device is kicked and reset,
 * so a state that passed the checks is also used.  Any crash, sanitizer
 * report, leak or hang is a finding.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "devices/serial8250.h"
#include "devices/virtio/blk.h"
#include "devices/virtio/console.h"
#include "devices/virtio/rng.h"
#include "harness/blk_mem.h"
#include "harness/test_vm.h"
#include "lib/state.h"
#include "vmm/snapshot_manifest.h"

#define RAM (64 * 1024)

static ssize_t sink_write(struct vcon_sink *s, const void *b, size_t n)
{
    return (ssize_t)n;
}

static void sink_wait(struct vcon_sink *s)
{
}

static struct vcon_sink sink = {sink_write, sink_wait, sink_wait};

static void no_tx(void *opaque, const uint8_t *buf, size_t len)
{
}

static void load_and_use(struct virtio_dev *d, GKeyFile *kf, const char *g)
{
    struct st_reader r = {kf, g, NULL};

    if (virtio_dev_load(d, &r)) {
        for (unsigned q = 0; q < d->ops->num_queues; q++) {
            virtio_dev_queue_notify(d, q);
        }
    }
    g_clear_error(&r.err);
    /* Back to the reset state, as a driver's Status 0 would. */
    g_mutex_lock(&d->lock);
    if (d->ops->reset) {
        d->ops->reset(d);
    }
    for (unsigned q = 0; q < d->ops->num_queues; q++) {
        vq_reset(&d->vq[q]);
    }
    d->status = 0;
    g_mutex_unlock(&d->lock);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct test_mem tm;
    static struct test_irq irq;
    static bool ready;
    const uint8_t *nul = memchr(data, '\0', size);
    const char *state = (const char *)data;
    size_t slen = size;

    if (!ready) {
        test_mem_init(&tm, RAM, 0);
        test_irq_init(&irq);
        ready = true;
    }
    memset(tm.low, 0, RAM);
    if (nul) {
        struct snap_manifest m;
        g_autoptr(GError) e = NULL;

        snap_manifest_parse(&m, (const char *)data, (size_t)(nul - data),
                            "fuzz", &e);
        snap_manifest_clear(&m);
        state = (const char *)nul + 1;
        slen = size - (size_t)(nul - data) - 1;
    }
    if (memchr(state, '\0', slen)) {
        return 0; /* restore refuses these before parsing */
    }
    {
        g_autoptr(GKeyFile) kf = g_key_file_new();
        struct serial8250 s;
        struct vrng rng;
        struct vcon con;
        struct vblk blk;
        static struct blk_mem disk;
        static const char *const names[] = {"a", "b", "c"};
        struct vcon_sink *sinks[] = {&sink, &sink, &sink};

        if (!g_key_file_load_from_data(kf, state, slen, G_KEY_FILE_NONE,
                                       NULL)) {
            return 0;
        }
        serial8250_init(&s, &irq.line, no_tx, NULL);
        {
            struct st_reader r = {kf, "com1", NULL};

            serial8250_load(&s, &r);
            g_clear_error(&r.err);
        }
        serial8250_cleanup(&s);
        vrng_init(&rng, 0, &tm.gm, &irq.line);
        load_and_use(&rng.vdev, kf, "virtio0");
        vrng_cleanup(&rng);
        vcon_init_ports(&con, 3, names, sinks, &tm.gm, &irq.line);
        load_and_use(&con.vdev, kf, "virtio1");
        vcon_cleanup(&con);
        blk_mem_init(&disk, 64 * 1024, false);
        vblk_init(&blk, &disk.be, &tm.gm, &irq.line);
        load_and_use(&blk.vdev, kf, "virtio2");
        vblk_cleanup(&blk);
        free(disk.data);
    }
    return 0;
}
