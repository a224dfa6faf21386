/*
 * hostile_peers.c: see hostile_peers.h.
 */
#include "harness/hostile_peers.h"

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/virtio_blk.h>
#include <linux/virtio_ids.h>
#include <linux/virtio_mmio.h>
#include <signal.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "devices/backend/blk_uring.h"
#include "devices/virtio/blk.h"
#include "devices/virtio/virtio_mmio.h"
#include "harness/sandboxed.h"
#include "harness/test_vm.h"
#include "harness/vdriver.h"
#include "lib/util.h"
#include "vmm/host_console.h"

#define HP_RAM (16 * MiB)
#define HP_BASE 0xd0000000ULL

/* What every scenario plays on: RAM, an interrupt line, an MMIO bus and
 * the test-side driver.  One scenario at a time (tests fork per case). */
static struct test_mem tm;
static struct test_irq irq;
static struct bus bus;
static struct vdrv drv;

/* ---- virtio-blk reset with reads in flight ---------------------------- */

#define HP_NREQ 32
#define HP_CHUNK (64 * KiB)
#define HP_DISK (HP_NREQ * HP_CHUNK)
#define HP_QSZ 128
#define HP_BLK_FEATURES \
    ((1ULL << VIRTIO_F_VERSION_1) | (1ULL << VIRTIO_BLK_F_FLUSH))

static struct vblk blk;
static uint64_t slot[HP_NREQ];

static uint16_t blk_post(unsigned i, uint32_t len)
{
    uint64_t s = slot[i];
    struct vdrv_buf b[3] = {
        {s, 16, false}, {s + 16, len, true}, {s + 16 + HP_CHUNK, 1, true}};

    put_le32(tm.low + s, VIRTIO_BLK_T_IN);
    put_le32(tm.low + s + 4, 0);
    put_le64(tm.low + s + 8, (uint64_t)i * HP_CHUNK / 512);
    tm.low[s + 16 + HP_CHUNK] = 0xee;
    return vdrv_add_chain(&drv, 0, b, 3);
}

/* A vCPU's two MMIO writes: QueueNotify (no ioeventfd), then Status 0. */
static void kick_then_reset(void *opaque)
{
    vdrv_kick(&drv, 0);
    vdrv_wr(&drv, VIRTIO_MMIO_STATUS, 0);
}

static void blk_io_thread(void *opaque)
{
    vblk_poll(&blk);
}

bool hp_blk_reset_in_flight(enum blk_engine e, bool *works)
{
    static uint8_t data[HP_CHUNK];
    g_autoptr(GError) err = NULL;
    char img[] = "/tmp/husk-hp-blk-XXXXXX";
    const char *why;
    struct blk_backend *be;
    int fd = mkstemp(img);
    uint16_t h;
    uint32_t l;
    bool answered = false;

    *works = false;
    ck_assert_int_ge(fd, 0);
    if (e == BLK_ENGINE_URING && !blk_uring_probe(&why)) {
        close(fd);
        unlink(img);
        return false;
    }
    /* Data, not holes, out of the page cache: really in flight. */
    memset(data, 0x3c, sizeof(data));
    for (unsigned i = 0; i < HP_NREQ; i++) {
        ck_assert_int_eq(pwrite(fd, data, HP_CHUNK, (off_t)i * HP_CHUNK),
                         HP_CHUNK);
    }
    ck_assert_int_eq(fdatasync(fd), 0);
    ck_assert_int_eq(posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED), 0);
    test_mem_init(&tm, HP_RAM, 0);
    test_irq_init(&irq);
    bus_init(&bus, "mmio");
    be = blk_file_open(img, false, e, &err);
    ck_assert_msg(be, "%s", err ? err->message : "");
    vblk_init(&blk, be, &tm.gm, &irq.line);
    ck_assert_int_eq(bus_add(&bus, "blk", HP_BASE, VIRTIO_MMIO_SIZE,
                             &virtio_mmio_ops, &blk.vdev),
                     0);
    vdrv_init(&drv, &tm, &bus, HP_BASE, 0x10000, HP_RAM);
    vdrv_bringup(&drv, VIRTIO_ID_BLOCK, HP_BLK_FEATURES, 1, HP_QSZ);
    for (unsigned i = 0; i < HP_NREQ; i++) {
        slot[i] = vdrv_alloc(&drv, 16 + HP_CHUNK + 1, 16);
        vdrv_publish(&drv, 0, blk_post(i, HP_CHUNK));
    }
    run_sandboxed(SANDBOX_VCPU, "vcpu0", kick_then_reset, blk_io_thread, NULL,
                  20);
    if (blk.inflight == 0 && vdrv_status(&drv) == 0) {
        vdrv_bringup(&drv, VIRTIO_ID_BLOCK, HP_BLK_FEATURES, 1, HP_QSZ);
        slot[0] = vdrv_alloc(&drv, 16 + HP_CHUNK + 1, 16);
        vdrv_publish(&drv, 0, blk_post(0, 512));
        vdrv_kick(&drv, 0);
        for (int spin = 0; spin < 10000 && !answered; spin++) {
            answered = vdrv_get_used(&drv, 0, &h, &l);
            if (!answered) {
                vblk_poll(&blk);
                g_usleep(1000);
            }
        }
        *works = answered && tm.low[slot[0] + 16 + HP_CHUNK] == VIRTIO_BLK_S_OK;
    }
    vblk_cleanup(&blk);
    test_mem_free(&tm);
    close(fd);
    unlink(img);
    return true;
}

/* ---- the UART's output against the host-side reader --------------------- */

static struct console ucon;
static GMainContext *uctx;

static void print_1mib(void *opaque)
{
    for (unsigned i = 0; i < 1024 * 1024; i++) {
        uint8_t ch = (uint8_t)('a' + i % 26);

        console_uart_tx(&ucon, &ch, 1);
    }
}

static void uart_io_thread(void *opaque)
{
    g_main_context_iteration(uctx, FALSE);
}

void hp_uart_flood(bool reader_gone, struct hp_uart_result *r)
{
    int p[2];
    char buf[4096];
    ssize_t n;

    memset(r, 0, sizeof(*r));
    signal(SIGPIPE, SIG_IGN); /* as husk's main() */
    ck_assert_int_eq(pipe(p), 0);
    if (reader_gone) {
        close(p[0]);
        p[0] = -1;
    }
    uctx = g_main_context_new();
    ck_assert(g_main_context_acquire(uctx));
    console_init(&ucon, uctx, NULL, -1, p[1]);
    run_sandboxed(SANDBOX_VCPU, "vcpu0", print_1mib, uart_io_thread, NULL, 20);
    r->returned = true;
    if (p[0] >= 0) {
        fcntl(p[0], F_SETFL, O_NONBLOCK);
    }
    for (int i = 0; i < 10000; i++) {
        g_main_context_iteration(uctx, FALSE);
        while (p[0] >= 0 && (n = read(p[0], buf, sizeof(buf))) > 0) {
            r->arrived += (unsigned long)n;
        }
        if (r->arrived + ucon.dropped == 1024 * 1024) {
            break;
        }
    }
    r->dropped = ucon.dropped;
    r->out_gone = ucon.out_gone;
    console_stop_flush(&ucon, 10);
    g_main_context_release(uctx);
    g_main_context_unref(uctx);
    console_cleanup(&ucon);
    if (p[0] >= 0) {
        close(p[0]);
    }
    close(p[1]);
}
