/*
 * check_virtio_blk.c: the virtqueue library, the virtio-mmio transport and
 * virtio-blk, driven by the test-side driver over a calloc'd guest memory
 * and an in-memory backend: normal I/O, durability rules, host errors, and
 * a hostile-guest case list (rings, descriptors, registers), each checking no
 * crash, the right status or NEEDS_RESET, untouched data, and that a valid
 * request after reset still works.
 */
#include <check.h>
#include <linux/virtio_blk.h>
#include <linux/virtio_ids.h>
#include <linux/virtio_mmio.h>
#include <linux/virtio_ring.h>
#include <string.h>

#include "devices/virtio/blk.h"
#include "devices/virtio/virtio_mmio.h"
#include "harness/blk_mem.h"
#include "harness/test_vm.h"
#include "harness/vdriver.h"
#include "lib/util.h"
#include "harness/check_run.h"

#define RAM (4 * MiB)
#define BASE 0xd0000000ULL
#define DISK (1 * MiB)
#define QSZ 16
#define WANT                                                            \
    ((1ULL << VIRTIO_F_VERSION_1) | (1ULL << VIRTIO_BLK_F_FLUSH) |      \
     (1ULL << VIRTIO_BLK_F_BLK_SIZE) | (1ULL << VIRTIO_BLK_F_DISCARD) | \
     (1ULL << VIRTIO_BLK_F_WRITE_ZEROES) | (1ULL << VIRTIO_F_INDIRECT_DESC))

static struct test_mem tm;
static struct test_irq irq;
static struct bus bus;
static struct blk_mem mem;
static struct vblk blk;
static struct vdrv drv;
static uint64_t req; /* 16-byte header, 4 KiB data, status, in guest RAM */

static void setup_ro(bool ro)
{
    test_mem_init(&tm, RAM, 0);
    test_irq_init(&irq);
    bus_init(&bus, "mmio");
    blk_mem_init(&mem, DISK, ro);
    vblk_init(&blk, &mem.be, &tm.gm, &irq.line);
    ck_assert_int_eq(bus_add(&bus, "blk", BASE, VIRTIO_MMIO_SIZE,
                             &virtio_mmio_ops, &blk.vdev),
                     0);
    vdrv_init(&drv, &tm, &bus, BASE, 0x10000, RAM);
    vdrv_bringup(&drv, VIRTIO_ID_BLOCK, WANT, 1, QSZ);
    req = vdrv_alloc(&drv, 16 + 4096 + 1, 16);
}

static void setup(void)
{
    setup_ro(false);
}

static void setup_readonly(void)
{
    setup_ro(true);
}

static void teardown(void)
{
    vblk_cleanup(&blk);
    free(mem.data);
    test_mem_free(&tm);
}

static void put_hdr(uint32_t type, uint64_t sector)
{
    put_le32(tm.low + req, type);
    put_le32(tm.low + req + 4, 0);
    put_le64(tm.low + req + 8, sector);
    tm.low[req + 16 + 4096] = 0xee; /* status sentinel */
}

/* Sends hdr + data (len bytes, direction by type) + status; returns the
 * status byte and the used length. */
static uint8_t do_req(uint32_t type,
                      uint64_t sector,
                      uint32_t len,
                      uint32_t *used_len)
{
    struct vdrv_buf b[3];
    unsigned n = 0;
    uint16_t head, h;
    uint32_t l = 0;

    put_hdr(type, sector);
    b[n++] = (struct vdrv_buf){req, 16, false};
    if (len) {
        b[n++] = (struct vdrv_buf){
            req + 16, len,
            type == VIRTIO_BLK_T_IN || type == VIRTIO_BLK_T_GET_ID};
    }
    b[n++] = (struct vdrv_buf){req + 16 + 4096, 1, true};
    head = vdrv_add_chain(&drv, 0, b, n);
    vdrv_kick(&drv, 0);
    ck_assert_msg(vdrv_get_used(&drv, 0, &h, &l), "request not completed");
    ck_assert_uint_eq(h, head);
    if (used_len) {
        *used_len = l;
    }
    return tm.low[req + 16 + 4096];
}

/* --- normal operation --- */

START_TEST(probe_and_config)
{
    struct virtio_blk_config c;
    uint8_t one;

    ck_assert(vdrv_probe(&drv, VIRTIO_ID_BLOCK));
    ck_assert_uint_eq(vdrv_status(&drv) & VIRTIO_S_DRIVER_OK,
                      VIRTIO_S_DRIVER_OK);
    for (unsigned i = 0; i < sizeof(c); i += 4) {
        uint32_t v = vdrv_rd(&drv, VIRTIO_MMIO_CONFIG + i);
        memcpy((uint8_t *)&c + i, &v, MIN(4u, sizeof(c) - i));
    }
    ck_assert_uint_eq(c.capacity, DISK / 512);
    ck_assert_uint_eq(c.blk_size, 512);
    /* Config space allows byte access and zero-fills past its end. */
    bus_read(&bus, BASE + VIRTIO_MMIO_CONFIG + 1, &one, 1);
    ck_assert_uint_eq(one, (DISK / 512) >> 8 & 0xff);
    ck_assert_uint_eq(vdrv_rd(&drv, VIRTIO_MMIO_CONFIG + 0x200), 0);
}
END_TEST

START_TEST(write_then_read)
{
    uint32_t ul;

    memcpy(tm.low + req + 16, "TEST-DATA", 9);
    ck_assert_uint_eq(do_req(VIRTIO_BLK_T_OUT, 3, 512, &ul), VIRTIO_BLK_S_OK);
    ck_assert_uint_eq(ul, 1);
    ck_assert_mem_eq(mem.data + 3 * 512, "TEST-DATA", 9);
    memset(tm.low + req + 16, 0, 512);
    ck_assert_uint_eq(do_req(VIRTIO_BLK_T_IN, 3, 512, &ul), VIRTIO_BLK_S_OK);
    ck_assert_uint_eq(ul, 513); /* data + status */
    ck_assert_mem_eq(tm.low + req + 16, "TEST-DATA", 9);
    ck_assert_uint_ge(irq.rising, 1);
    ck_assert_uint_eq(vdrv_rd(&drv, VIRTIO_MMIO_INTERRUPT_STATUS) & 1, 1);
    vdrv_wr(&drv, VIRTIO_MMIO_INTERRUPT_ACK, 1);
    ck_assert_uint_eq(vdrv_rd(&drv, VIRTIO_MMIO_INTERRUPT_STATUS), 0);
}
END_TEST

START_TEST(flush_after_write_and_latched_failure)
{
    ck_assert_uint_eq(do_req(VIRTIO_BLK_T_OUT, 0, 512, NULL), VIRTIO_BLK_S_OK);
    ck_assert_uint_eq(do_req(VIRTIO_BLK_T_FLUSH, 0, 0, NULL), VIRTIO_BLK_S_OK);
    ck_assert_str_eq(mem.log, "wf");
    mem.fail_flush = -EIO;
    ck_assert_uint_eq(do_req(VIRTIO_BLK_T_FLUSH, 0, 0, NULL),
                      VIRTIO_BLK_S_IOERR);
    /* The host recovered, but data may be lost: never report success. */
    mem.fail_flush = 0;
    ck_assert_uint_eq(do_req(VIRTIO_BLK_T_FLUSH, 0, 0, NULL),
                      VIRTIO_BLK_S_IOERR);
}
END_TEST

START_TEST(write_through_without_flush_feature)
{
    vdrv_negotiate(&drv, WANT & ~(1ULL << VIRTIO_BLK_F_FLUSH));
    vdrv_queue_setup(&drv, 0, QSZ);
    vdrv_driver_ok(&drv);
    mem.nlog = 0;
    memset(mem.log, 0, sizeof(mem.log));
    ck_assert_uint_eq(do_req(VIRTIO_BLK_T_OUT, 0, 512, NULL), VIRTIO_BLK_S_OK);
    ck_assert_str_eq(mem.log, "wf");
}
END_TEST

START_TEST(host_errors_reach_the_guest)
{
    mem.fail_write = -ENOSPC;
    ck_assert_uint_eq(do_req(VIRTIO_BLK_T_OUT, 0, 512, NULL),
                      VIRTIO_BLK_S_IOERR);
    mem.fail_read = -EIO;
    ck_assert_uint_eq(do_req(VIRTIO_BLK_T_IN, 0, 512, NULL),
                      VIRTIO_BLK_S_IOERR);
    ck_assert_uint_eq(blk.io_errors, 2);
    /* The device keeps serving. */
    mem.fail_write = mem.fail_read = 0;
    ck_assert_uint_eq(do_req(VIRTIO_BLK_T_OUT, 0, 512, NULL), VIRTIO_BLK_S_OK);
}
END_TEST

START_TEST(get_id_and_unsupported)
{
    uint32_t ul;

    ck_assert_uint_eq(do_req(VIRTIO_BLK_T_GET_ID, 0, 20, &ul), VIRTIO_BLK_S_OK);
    ck_assert_mem_eq(tm.low + req + 16, "husk-test-serial-001", 20);
    ck_assert_uint_eq(ul, 21);
    ck_assert_uint_eq(do_req(0x1234, 0, 0, NULL), VIRTIO_BLK_S_UNSUPP);
}
END_TEST

START_TEST(discard_and_write_zeroes)
{
    struct virtio_blk_discard_write_zeroes seg = {2, 4, 0};

    memset(mem.data, 0xaa, DISK);
    memcpy(tm.low + req + 16, &seg, sizeof(seg));
    ck_assert_uint_eq(do_req(VIRTIO_BLK_T_DISCARD, 0, 16, NULL),
                      VIRTIO_BLK_S_OK);
    ck_assert_uint_eq(mem.data[2 * 512], 0);
    ck_assert_uint_eq(mem.data[6 * 512 - 1], 0);
    ck_assert_uint_eq(mem.data[6 * 512], 0xaa);
    seg = (struct virtio_blk_discard_write_zeroes){DISK / 512 - 1, 2, 0};
    memcpy(tm.low + req + 16, &seg, sizeof(seg));
    ck_assert_uint_eq(do_req(VIRTIO_BLK_T_WRITE_ZEROES, 0, 16, NULL),
                      VIRTIO_BLK_S_IOERR); /* runs past the end */
}
END_TEST

/* --- bad requests on a sound ring: error status, data untouched --- */

START_TEST(out_of_range_sectors)
{
    memset(mem.data, 0x5a, DISK);
    ck_assert_uint_eq(do_req(VIRTIO_BLK_T_OUT, DISK / 512, 512, NULL),
                      VIRTIO_BLK_S_IOERR);
    ck_assert_uint_eq(do_req(VIRTIO_BLK_T_OUT, DISK / 512 - 1, 1024, NULL),
                      VIRTIO_BLK_S_IOERR);
    ck_assert_uint_eq(do_req(VIRTIO_BLK_T_IN, UINT64_MAX, 512, NULL),
                      VIRTIO_BLK_S_IOERR);
    ck_assert_uint_eq(do_req(VIRTIO_BLK_T_IN, UINT64_MAX / 512 + 1, 512, NULL),
                      VIRTIO_BLK_S_IOERR);
    ck_assert_uint_eq(do_req(VIRTIO_BLK_T_OUT, 0, 100, NULL), /* not x512 */
                      VIRTIO_BLK_S_IOERR);
    {
        static uint8_t expect[DISK];

        memset(expect, 0x5a, DISK);
        ck_assert(memcmp(mem.data, expect, DISK) == 0); /* untouched */
    }
    ck_assert_uint_eq(vdrv_status(&drv) & VIRTIO_S_NEEDS_RESET, 0);
}
END_TEST

START_TEST(read_only_disk_refuses_writes)
{
    uint32_t f;

    vdrv_wr(&drv, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 0);
    f = vdrv_rd(&drv, VIRTIO_MMIO_DEVICE_FEATURES);
    ck_assert(f & (1u << VIRTIO_BLK_F_RO));
    ck_assert(!(f & (1u << VIRTIO_BLK_F_DISCARD)));
    ck_assert_uint_eq(do_req(VIRTIO_BLK_T_OUT, 0, 512, NULL),
                      VIRTIO_BLK_S_IOERR);
    ck_assert_uint_eq(mem.nlog, 0); /* the backend never saw a write */
    ck_assert_uint_eq(do_req(VIRTIO_BLK_T_IN, 0, 512, NULL), VIRTIO_BLK_S_OK);
}
END_TEST

START_TEST(header_in_writable_buffer)
{
    struct vdrv_buf b[2] = {{req, 16, true}, {req + 16 + 4096, 1, true}};
    uint16_t h;
    uint32_t l;

    put_hdr(VIRTIO_BLK_T_IN, 0);
    vdrv_add_chain(&drv, 0, b, 2);
    vdrv_kick(&drv, 0);
    ck_assert(vdrv_get_used(&drv, 0, &h, &l));
    ck_assert_uint_eq(tm.low[req + 16 + 4096], VIRTIO_BLK_S_IOERR);
    ck_assert_uint_eq(do_req(VIRTIO_BLK_T_IN, 0, 512, NULL), VIRTIO_BLK_S_OK);
}
END_TEST

START_TEST(missing_status_byte)
{
    struct vdrv_buf b[1] = {{req, 16, false}};
    uint16_t h;
    uint32_t l = 99;

    put_hdr(VIRTIO_BLK_T_FLUSH, 0);
    vdrv_add_chain(&drv, 0, b, 1);
    vdrv_kick(&drv, 0);
    /* Returned (not leaked) with nothing written, and the queue lives on. */
    ck_assert(vdrv_get_used(&drv, 0, &h, &l));
    ck_assert_uint_eq(l, 0);
    ck_assert_uint_eq(do_req(VIRTIO_BLK_T_IN, 0, 512, NULL), VIRTIO_BLK_S_OK);
}
END_TEST

/* --- malformed rings: NEEDS_RESET + config interrupt, then recovery --- */

static void expect_needs_reset_then_recover(void)
{
    uint16_t h;
    uint32_t l;

    vdrv_kick(&drv, 0);
    ck_assert_uint_eq(vdrv_status(&drv) & VIRTIO_S_NEEDS_RESET,
                      VIRTIO_S_NEEDS_RESET);
    ck_assert(vdrv_rd(&drv, VIRTIO_MMIO_INTERRUPT_STATUS) & VIRTIO_ISR_CONFIG);
    ck_assert(!vdrv_get_used(&drv, 0, &h, &l));
    /* Later kicks are ignored, not re-parsed. */
    vdrv_kick(&drv, 0);
    /* Reset and re-initialise, as a driver does: a valid request works. */
    vdrv_bringup(&drv, VIRTIO_ID_BLOCK, WANT, 1, QSZ);
    ck_assert_uint_eq(vdrv_status(&drv) & VIRTIO_S_NEEDS_RESET, 0);
    ck_assert_uint_eq(do_req(VIRTIO_BLK_T_IN, 0, 512, NULL), VIRTIO_BLK_S_OK);
}

START_TEST(looped_chain)
{
    vdrv_set_desc(&drv, 0, 0, req, 16, VRING_DESC_F_NEXT, 1);
    vdrv_set_desc(&drv, 0, 1, req + 16, 512, VRING_DESC_F_NEXT, 0);
    vdrv_publish(&drv, 0, 0);
    expect_needs_reset_then_recover();
}
END_TEST

START_TEST(self_loop)
{
    vdrv_set_desc(&drv, 0, 3, req, 16, VRING_DESC_F_NEXT, 3);
    vdrv_publish(&drv, 0, 3);
    expect_needs_reset_then_recover();
}
END_TEST

START_TEST(next_past_the_end)
{
    vdrv_set_desc(&drv, 0, 0, req, 16, VRING_DESC_F_NEXT, QSZ);
    vdrv_publish(&drv, 0, 0);
    expect_needs_reset_then_recover();
}
END_TEST

START_TEST(head_past_the_end)
{
    vdrv_publish(&drv, 0, QSZ + 5);
    expect_needs_reset_then_recover();
}
END_TEST

START_TEST(buffer_straddles_end_of_ram)
{
    vdrv_set_desc(&drv, 0, 0, RAM - 8, 16, VRING_DESC_F_NEXT, 1);
    vdrv_set_desc(&drv, 0, 1, req, 1, VRING_DESC_F_WRITE, 0);
    vdrv_publish(&drv, 0, 0);
    expect_needs_reset_then_recover();
}
END_TEST

START_TEST(buffer_address_wraps)
{
    vdrv_set_desc(&drv, 0, 0, UINT64_MAX - 4, 16, 0, 0);
    vdrv_publish(&drv, 0, 0);
    expect_needs_reset_then_recover();
}
END_TEST

START_TEST(buffer_in_mmio_hole)
{
    vdrv_set_desc(&drv, 0, 0, BASE, 16, 0, 0); /* the device's own window */
    vdrv_publish(&drv, 0, 0);
    expect_needs_reset_then_recover();
}
END_TEST

START_TEST(zero_length_descriptor)
{
    vdrv_set_desc(&drv, 0, 0, req, 0, 0, 0);
    vdrv_publish(&drv, 0, 0);
    expect_needs_reset_then_recover();
}
END_TEST

START_TEST(readable_after_writable)
{
    vdrv_set_desc(&drv, 0, 0, req, 16, VRING_DESC_F_NEXT | VRING_DESC_F_WRITE,
                  1);
    vdrv_set_desc(&drv, 0, 1, req + 16, 16, 0, 0);
    vdrv_publish(&drv, 0, 0);
    expect_needs_reset_then_recover();
}
END_TEST

START_TEST(avail_index_runs_ahead)
{
    put_le16(tm.low + drv.q[0].avail + 2, QSZ + 1);
    expect_needs_reset_then_recover();
}
END_TEST

START_TEST(indirect_table_abuse)
{
    uint64_t table = vdrv_alloc(&drv, 64, 16);

    /* Length not a multiple of 16. */
    vdrv_set_desc(&drv, 0, 0, table, 24, VRING_DESC_F_INDIRECT, 0);
    vdrv_publish(&drv, 0, 0);
    expect_needs_reset_then_recover();
    /* Nested: an indirect descriptor inside the table. */
    put_le64(tm.low + table, table);
    put_le32(tm.low + table + 8, 16);
    put_le16(tm.low + table + 12, VRING_DESC_F_INDIRECT);
    vdrv_set_desc(&drv, 0, 0, table, 16, VRING_DESC_F_INDIRECT, 0);
    vdrv_publish(&drv, 0, 0);
    expect_needs_reset_then_recover();
    /* INDIRECT together with NEXT. */
    vdrv_set_desc(&drv, 0, 0, table, 32,
                  VRING_DESC_F_INDIRECT | VRING_DESC_F_NEXT, 1);
    vdrv_publish(&drv, 0, 0);
    expect_needs_reset_then_recover();
}
END_TEST

START_TEST(indirect_request_works)
{
    uint64_t table = vdrv_alloc(&drv, 48, 16);
    uint16_t h;
    uint32_t l;

    put_hdr(VIRTIO_BLK_T_IN, 0);
    memcpy(mem.data, "INDIRECT", 8);
    put_le64(tm.low + table, req);
    put_le32(tm.low + table + 8, 16);
    put_le16(tm.low + table + 12, VRING_DESC_F_NEXT);
    put_le16(tm.low + table + 14, 1);
    put_le64(tm.low + table + 16, req + 16);
    put_le32(tm.low + table + 24, 512);
    put_le16(tm.low + table + 28, VRING_DESC_F_NEXT | VRING_DESC_F_WRITE);
    put_le16(tm.low + table + 30, 2);
    put_le64(tm.low + table + 32, req + 16 + 4096);
    put_le32(tm.low + table + 40, 1);
    put_le16(tm.low + table + 44, VRING_DESC_F_WRITE);
    vdrv_set_desc(&drv, 0, 0, table, 48, VRING_DESC_F_INDIRECT, 0);
    vdrv_publish(&drv, 0, 0);
    vdrv_kick(&drv, 0);
    ck_assert(vdrv_get_used(&drv, 0, &h, &l));
    ck_assert_uint_eq(l, 513);
    ck_assert_uint_eq(tm.low[req + 16 + 4096], VIRTIO_BLK_S_OK);
    ck_assert_mem_eq(tm.low + req + 16, "INDIRECT", 8);
}
END_TEST

START_TEST(chain_of_exactly_queue_size)
{
    struct vdrv_buf b[QSZ];
    uint16_t h;
    uint32_t l;

    /* 16 descriptors: header, 14 x 512 bytes of data, status: legal. */
    put_hdr(VIRTIO_BLK_T_IN, 0);
    b[0] = (struct vdrv_buf){req, 16, false};
    for (unsigned i = 1; i < QSZ - 1; i++) {
        b[i] = (struct vdrv_buf){0x200000 + 512 * i, 512, true};
    }
    b[QSZ - 1] = (struct vdrv_buf){req + 16 + 4096, 1, true};
    vdrv_add_chain(&drv, 0, b, QSZ);
    vdrv_kick(&drv, 0);
    ck_assert(vdrv_get_used(&drv, 0, &h, &l));
    ck_assert_uint_eq(l, 14 * 512 + 1);
    ck_assert_uint_eq(tm.low[req + 16 + 4096], VIRTIO_BLK_S_OK);
}
END_TEST

/* --- the transport's register policy --- */

START_TEST(register_access_rules)
{
    uint16_t v16 = 0xffff;
    uint32_t st = vdrv_status(&drv);

    /* Control registers are 32-bit only: a 2-byte read gives 0. */
    bus_read(&bus, BASE + VIRTIO_MMIO_MAGIC_VALUE, &v16, 2);
    ck_assert_uint_eq(v16, 0);
    /* A 1-byte status write is ignored. */
    bus_write(&bus, BASE + VIRTIO_MMIO_STATUS, &(uint8_t){0}, 1);
    ck_assert_uint_eq(vdrv_status(&drv), st);
    /* QueueSel out of range: QueueNumMax reads 0, writes go nowhere. */
    vdrv_wr(&drv, VIRTIO_MMIO_QUEUE_SEL, 0xffffffff);
    ck_assert_uint_eq(vdrv_rd(&drv, VIRTIO_MMIO_QUEUE_NUM_MAX), 0);
    vdrv_wr(&drv, VIRTIO_MMIO_QUEUE_NUM, 4);
    vdrv_wr(&drv, VIRTIO_MMIO_QUEUE_NOTIFY, 0xffffffff);
    vdrv_wr(&drv, VIRTIO_MMIO_QUEUE_NOTIFY, 0x80000000);
    /* Read-only registers ignore writes. */
    vdrv_wr(&drv, VIRTIO_MMIO_MAGIC_VALUE, 0);
    ck_assert(vdrv_probe(&drv, VIRTIO_ID_BLOCK));
    /* Queue geometry cannot change after DRIVER_OK (CVE-2026-5747). */
    vdrv_wr(&drv, VIRTIO_MMIO_QUEUE_SEL, 0);
    vdrv_wr(&drv, VIRTIO_MMIO_QUEUE_NUM, 1024);
    vdrv_wr(&drv, VIRTIO_MMIO_QUEUE_DESC_LOW, 0);
    ck_assert_uint_eq(blk.vdev.vq[0].size, QSZ);
    ck_assert_uint_eq(blk.vdev.vq[0].desc_gpa, drv.q[0].desc);
    /* Status may not lose bits. */
    vdrv_wr(&drv, VIRTIO_MMIO_STATUS, VIRTIO_S_ACKNOWLEDGE);
    ck_assert_uint_eq(vdrv_status(&drv), st);
    ck_assert_uint_eq(do_req(VIRTIO_BLK_T_IN, 0, 512, NULL), VIRTIO_BLK_S_OK);
}
END_TEST

START_TEST(feature_negotiation_rules)
{
    /* Without VERSION_1 the features are refused. */
    ck_assert(!vdrv_negotiate(&drv, WANT & ~(1ULL << VIRTIO_F_VERSION_1)));
    /* Unoffered bits are masked off. */
    ck_assert(vdrv_negotiate(&drv, WANT | (1ULL << 60) | (1ULL << 7)));
    ck_assert_uint_eq(blk.vdev.guest_features & ((1ULL << 60) | (1ULL << 7)),
                      0);
    /* DRIVER_OK before FEATURES_OK is refused. */
    vdrv_wr(&drv, VIRTIO_MMIO_STATUS, 0);
    vdrv_wr(&drv, VIRTIO_MMIO_STATUS, VIRTIO_S_ACKNOWLEDGE);
    vdrv_wr(&drv, VIRTIO_MMIO_STATUS,
            VIRTIO_S_ACKNOWLEDGE | VIRTIO_S_DRIVER | VIRTIO_S_DRIVER_OK);
    ck_assert_uint_eq(vdrv_status(&drv), VIRTIO_S_ACKNOWLEDGE);
    /* Queue registers before FEATURES_OK are ignored. */
    vdrv_wr(&drv, VIRTIO_MMIO_QUEUE_READY, 1);
    ck_assert_uint_eq(vdrv_rd(&drv, VIRTIO_MMIO_QUEUE_READY), 0);
}
END_TEST

START_TEST(bad_queue_geometry)
{
    ck_assert(vdrv_negotiate(&drv, WANT));
    vdrv_wr(&drv, VIRTIO_MMIO_QUEUE_SEL, 0);
    vdrv_wr(&drv, VIRTIO_MMIO_QUEUE_NUM, 3); /* not a power of two */
    vdrv_wr(&drv, VIRTIO_MMIO_QUEUE_READY, 1);
    ck_assert_uint_eq(vdrv_rd(&drv, VIRTIO_MMIO_QUEUE_READY), 0);
    ck_assert(vdrv_status(&drv) & VIRTIO_S_NEEDS_RESET);
    /* Ring in the MMIO hole. */
    ck_assert(vdrv_negotiate(&drv, WANT));
    vdrv_wr(&drv, VIRTIO_MMIO_QUEUE_NUM, 16);
    vdrv_wr(&drv, VIRTIO_MMIO_QUEUE_DESC_LOW, (uint32_t)BASE);
    vdrv_wr(&drv, VIRTIO_MMIO_QUEUE_READY, 1);
    ck_assert(vdrv_status(&drv) & VIRTIO_S_NEEDS_RESET);
    /* Recovery. */
    vdrv_bringup(&drv, VIRTIO_ID_BLOCK, WANT, 1, QSZ);
    ck_assert_uint_eq(do_req(VIRTIO_BLK_T_IN, 0, 512, NULL), VIRTIO_BLK_S_OK);
}
END_TEST

START_TEST(reset_mid_life_forgets_queue_state)
{
    ck_assert_uint_eq(do_req(VIRTIO_BLK_T_IN, 0, 512, NULL), VIRTIO_BLK_S_OK);
    vdrv_wr(&drv, VIRTIO_MMIO_STATUS, 0);
    ck_assert_uint_eq(vdrv_status(&drv), 0);
    ck_assert(!blk.vdev.vq[0].active);
    ck_assert_uint_eq(blk.vdev.guest_features, 0);
    /* A kick after reset does nothing (and must not touch old rings). */
    vdrv_kick(&drv, 0);
    vdrv_bringup(&drv, VIRTIO_ID_BLOCK, WANT, 1, QSZ);
    ck_assert_uint_eq(do_req(VIRTIO_BLK_T_IN, 0, 512, NULL), VIRTIO_BLK_S_OK);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("virtio_blk");
    TCase *io = tcase_create("io");
    TCase *ro = tcase_create("read_only");
    TCase *bad = tcase_create("bad_requests");
    TCase *ring = tcase_create("malformed_ring");
    TCase *tr = tcase_create("transport");

    tcase_add_checked_fixture(io, setup, teardown);
    tcase_add_test(io, probe_and_config);
    tcase_add_test(io, write_then_read);
    tcase_add_test(io, flush_after_write_and_latched_failure);
    tcase_add_test(io, write_through_without_flush_feature);
    tcase_add_test(io, host_errors_reach_the_guest);
    tcase_add_test(io, get_id_and_unsupported);
    tcase_add_test(io, discard_and_write_zeroes);
    tcase_add_test(io, indirect_request_works);
    tcase_add_test(io, chain_of_exactly_queue_size);
    suite_add_tcase(s, io);
    tcase_add_checked_fixture(ro, setup_readonly, teardown);
    tcase_add_test(ro, read_only_disk_refuses_writes);
    suite_add_tcase(s, ro);
    tcase_add_checked_fixture(bad, setup, teardown);
    tcase_add_test(bad, out_of_range_sectors);
    tcase_add_test(bad, header_in_writable_buffer);
    tcase_add_test(bad, missing_status_byte);
    suite_add_tcase(s, bad);
    tcase_add_checked_fixture(ring, setup, teardown);
    tcase_add_test(ring, looped_chain);
    tcase_add_test(ring, self_loop);
    tcase_add_test(ring, next_past_the_end);
    tcase_add_test(ring, head_past_the_end);
    tcase_add_test(ring, buffer_straddles_end_of_ram);
    tcase_add_test(ring, buffer_address_wraps);
    tcase_add_test(ring, buffer_in_mmio_hole);
    tcase_add_test(ring, zero_length_descriptor);
    tcase_add_test(ring, readable_after_writable);
    tcase_add_test(ring, avail_index_runs_ahead);
    tcase_add_test(ring, indirect_table_abuse);
    suite_add_tcase(s, ring);
    tcase_add_checked_fixture(tr, setup, teardown);
    tcase_add_test(tr, register_access_rules);
    tcase_add_test(tr, feature_negotiation_rules);
    tcase_add_test(tr, bad_queue_geometry);
    tcase_add_test(tr, reset_mid_life_forgets_queue_state);
    suite_add_tcase(s, tr);
    return check_run(s);
}
