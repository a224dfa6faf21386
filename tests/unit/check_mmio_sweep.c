/*
 * check_mmio_sweep.c: the exhaustive sweep of the virtio-mmio register
 * space (every offset, width and value): for each device
 * (rng, blk, console, net) and each driver stage (reset, ACKNOWLEDGE,
 * DRIVER, FEATURES_OK, DRIVER_OK with live queues), every byte offset of
 * the 0x200-byte window (registers and config space) is read and written
 * with every width (1, 2, 3, 4, 8; no bus takes 3), writes with several
 * values, each write followed by what a driver does next (read every
 * register, configure and enable the selected queue, kick every queue). Nothing
 * may crash (ASan/UBSan run this suite), hang or leave the device dead: after
 * each stage's sweep, a reset and a normal bring-up must give a device that
 * answers a request.
 */
#include <check.h>
#include <linux/virtio_ids.h>
#include <linux/virtio_mmio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "devices/virtio/virtio.h"
#include "harness/check_run.h"
#include "harness/devkit.h"

#define WINDOW 0x200
#define V1 (1ULL << VIRTIO_F_VERSION_1)

static struct devkit kit;

static void reg_access(uint64_t off, unsigned width, bool write, uint64_t v)
{
    uint64_t out = 0;

    if (write) {
        bus_write(&kit.bus, DK_BASE + off, &v, width);
    } else {
        bus_read(&kit.bus, DK_BASE + off, &out, width);
    }
}

static void kick_all(void)
{
    for (unsigned q = 0; q < kit.nq + 2; q++) {
        uint32_t v = q;

        bus_write(&kit.bus, DK_BASE + VIRTIO_MMIO_QUEUE_NOTIFY, &v, 4);
    }
    dk_poll(&kit);
}

/* What the state one write left behind meets next: every 32-bit register
 * read, the selected queue configured and enabled, every queue kicked.
 * (A bad QueueSel, say, is harmless alone and only bites here.) */
static void follow_up(void)
{
    static const struct {
        uint64_t off;
        uint32_t v;
    } w[] = {
        {VIRTIO_MMIO_QUEUE_NUM, 16},
        {VIRTIO_MMIO_QUEUE_DESC_LOW, 0x10000},
        {VIRTIO_MMIO_QUEUE_AVAIL_LOW, 0x11000},
        {VIRTIO_MMIO_QUEUE_USED_LOW, 0x12000},
        {VIRTIO_MMIO_QUEUE_READY, 1},
        {VIRTIO_MMIO_INTERRUPT_ACK, 3},
    };

    for (uint64_t off = 0; off < 0x100; off += 4) {
        reg_access(off, 4, false, 0);
    }
    for (unsigned i = 0; i < G_N_ELEMENTS(w); i++) {
        reg_access(w[i].off, 4, true, w[i].v);
    }
    kick_all();
}

START_TEST(sweep_every_register_in_every_stage)
{
    static const unsigned widths[] = {1, 2, 3, 4, 8};
    /* Small numbers matter for the index registers (QueueSel: one past
     * the device's queues, one past husk's table of 8, far out). */
    static const uint64_t values[] = {
        0, 1, 2, 3, 8, 9, 63, 0x1000, 0x80000001ULL, 0xffffffffffffffffULL};

    dk_setup(&kit, (enum dk_device)_i);
    for (enum dk_stage s = DK_RESET; s < DK_NSTAGES; s++) {
        uint64_t off = 0;
        char what[64];

        dk_reach(&kit, s, V1);
        for (off = 0; off < WINDOW; off++) {
            for (unsigned w = 0; w < G_N_ELEMENTS(widths); w++) {
                reg_access(off, widths[w], false, 0);
            }
        }
        for (off = 0; off < WINDOW; off++) {
            for (unsigned w = 0; w < G_N_ELEMENTS(widths); w++) {
                /* All values for the 32-bit registers; one for the rest. */
                unsigned nv = widths[w] == 4 ? G_N_ELEMENTS(values) : 1;

                for (unsigned v = 0; v < nv; v++) {
                    reg_access(off, widths[w], true,
                               widths[w] == 4
                                   ? values[v]
                                   : values[G_N_ELEMENTS(values) - 1]);
                    follow_up();
                    /* Every write starts from the stage again: a write
                     * to Status or QueueSel changes what the next one
                     * would reach. */
                    dk_reach(&kit, s, V1);
                }
            }
        }
        g_snprintf(what, sizeof(what), "sweep of stage %d", s);
        dk_still_works(&kit, what);
    }
    dk_teardown(&kit);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("mmio_sweep");
    TCase *tc = tcase_create("sweep");

    tcase_set_timeout(tc, 120);
    /* 0 rng, 1 blk, 2 console, 3 net */
    tcase_add_loop_test(tc, sweep_every_register_in_every_stage, 0, 4);
    suite_add_tcase(s, tc);
    return check_run(s);
}
