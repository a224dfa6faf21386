/*
 * virtio_cases.c: catalogue cases played through the virtio-mmio
 * transport (virtio v1.2 §4.2.2), the split virtqueue (§2.7) and the
 * devices (§5.2 blk, §5.1 net, §5.3 console).  Each returns the verdict
 * it observed; the table (cases.c) says which one is right.
 */
#include <linux/virtio_blk.h>
#include <linux/virtio_mmio.h>
#include <linux/virtio_net.h>
#include <linux/virtio_ring.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "devices/virtio/virtio.h"
#include "tests/catalogue/catalogue.h"
#include "tests/catalogue/virtio_cases.h"
#include "lib/util.h"

#define V1 (1ULL << VIRTIO_F_VERSION_1)
#define F(bit) (1ULL << (bit))
#define QS DK_QSIZE

/* Scratch buffers of a case: header, data, status. */
#define HDR 0x200000ULL
#define DATA 0x201000ULL
#define STATUS 0x20f000ULL
#define TABLE 0x210000ULL /* indirect tables */

static uint64_t rd(struct devkit *k, uint64_t off, unsigned w)
{
    uint64_t v = 0;

    bus_read(&k->bus, DK_BASE + off, &v, w);
    return v;
}

static void wr(struct devkit *k, uint64_t off, unsigned w, uint64_t v)
{
    bus_write(&k->bus, DK_BASE + off, &v, w);
}

static uint32_t status(struct devkit *k)
{
    return (uint32_t)rd(k, VIRTIO_MMIO_STATUS, 4);
}

static bool live(struct devkit *k)
{
    return (status(k) & VIRTIO_S_DRIVER_OK) && !dk_needs_reset(k);
}

/* A register access that must be ignored: the device stays as it was. */
static enum verdict ignored_if(bool unchanged)
{
    return unchanged ? V_REJECT : V_PASS;
}

/* ---------------------------------------------------------------- M */

enum verdict m_narrow_status_write(struct devkit *k)
{
    wr(k, VIRTIO_MMIO_STATUS, 1, 0);
    return ignored_if(live(k));
}

enum verdict m_narrow_magic_read(struct devkit *k)
{
    return rd(k, VIRTIO_MMIO_MAGIC_VALUE, 2) == 0 ? V_REJECT : V_PASS;
}

enum verdict m_unaligned_read(struct devkit *k)
{
    return rd(k, VIRTIO_MMIO_VERSION + 1, 4) == 0 ? V_REJECT : V_PASS;
}

enum verdict m_wide_write(struct devkit *k)
{
    uint32_t before = (uint32_t)rd(k, VIRTIO_MMIO_QUEUE_DESC_LOW, 4);

    wr(k, VIRTIO_MMIO_QUEUE_DESC_LOW, 8, 0x1234567812345678ULL);
    return ignored_if(rd(k, VIRTIO_MMIO_QUEUE_DESC_LOW, 4) == before &&
                      live(k));
}

enum verdict m_undefined_offsets(struct devkit *k)
{
    uint64_t sum = 0;

    for (uint64_t off = 0xc0; off < 0x100; off += 4) {
        sum |= rd(k, off, 4);
        wr(k, off, 4, 0xffffffff);
    }
    return ignored_if(sum == 0 && live(k));
}

enum verdict m_past_config(struct devkit *k)
{
    uint64_t sum = rd(k, 0x1f8, 4) | rd(k, 0x1fc, 4) | rd(k, 0x200, 4);

    wr(k, 0x1fc, 4, 0xffffffff);
    return ignored_if(sum == 0 && live(k));
}

enum verdict m_read_write_only(struct devkit *k)
{
    uint64_t sum = rd(k, VIRTIO_MMIO_QUEUE_NOTIFY, 4) |
                   rd(k, VIRTIO_MMIO_INTERRUPT_ACK, 4) |
                   rd(k, VIRTIO_MMIO_DRIVER_FEATURES, 4);

    return ignored_if(sum == 0 && live(k));
}

static enum verdict write_read_only(struct devkit *k, uint64_t off)
{
    uint32_t before = (uint32_t)rd(k, off, 4);

    wr(k, off, 4, ~before);
    return ignored_if(rd(k, off, 4) == before && live(k));
}

enum verdict m_write_magic(struct devkit *k)
{
    return write_read_only(k, VIRTIO_MMIO_MAGIC_VALUE);
}

enum verdict m_write_device_id(struct devkit *k)
{
    return write_read_only(k, VIRTIO_MMIO_DEVICE_ID);
}

enum verdict m_write_queue_num_max(struct devkit *k)
{
    return write_read_only(k, VIRTIO_MMIO_QUEUE_NUM_MAX);
}

enum verdict m_write_interrupt_status(struct devkit *k)
{
    return write_read_only(k, VIRTIO_MMIO_INTERRUPT_STATUS);
}

enum verdict m_write_config_generation(struct devkit *k)
{
    return write_read_only(k, VIRTIO_MMIO_CONFIG_GENERATION);
}

enum verdict m_queue_sel_huge(struct devkit *k)
{
    uint32_t max;

    wr(k, VIRTIO_MMIO_QUEUE_SEL, 4, 0xffffffff);
    max = (uint32_t)rd(k, VIRTIO_MMIO_QUEUE_NUM_MAX, 4);
    wr(k, VIRTIO_MMIO_QUEUE_NUM, 4, 16);
    wr(k, VIRTIO_MMIO_QUEUE_DESC_LOW, 4, 0x10000);
    wr(k, VIRTIO_MMIO_QUEUE_READY, 4, 1);
    (void)rd(k, VIRTIO_MMIO_QUEUE_READY, 4);
    wr(k, VIRTIO_MMIO_QUEUE_NOTIFY, 4, 0xffffffff);
    return ignored_if(max == 0);
}

enum verdict m_notify_huge(struct devkit *k)
{
    wr(k, VIRTIO_MMIO_QUEUE_NOTIFY, 4, 0xffffffff);
    dk_poll(k);
    return ignored_if(live(k));
}

enum verdict m_notify_high_bit(struct devkit *k)
{
    wr(k, VIRTIO_MMIO_QUEUE_NOTIFY, 4, 0x80000000);
    dk_poll(k);
    return ignored_if(live(k));
}

enum verdict m_features_sel_high(struct devkit *k)
{
    uint64_t sum;

    wr(k, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 4, 2);
    sum = rd(k, VIRTIO_MMIO_DEVICE_FEATURES, 4);
    wr(k, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 4, 0xffffffff);
    sum |= rd(k, VIRTIO_MMIO_DEVICE_FEATURES, 4);
    wr(k, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 4, 0xffffffff);
    wr(k, VIRTIO_MMIO_DRIVER_FEATURES, 4, 0xffffffff);
    return ignored_if(sum == 0 && live(k));
}

/* Queue 0 programmed by hand after FEATURES_OK, then DRIVER_OK.  The
 * driver's view (k->drv.q[0]) follows, so requests can be posted. */
static void custom_queue(struct devkit *k,
                         uint32_t num,
                         uint64_t desc,
                         uint64_t avail,
                         uint64_t used,
                         uint64_t features)
{
    struct vdrv_queue *q = &k->drv.q[0];

    dk_reach(k, DK_FEATURES_OK, features);
    wr(k, VIRTIO_MMIO_QUEUE_SEL, 4, 0);
    wr(k, VIRTIO_MMIO_QUEUE_NUM, 4, num);
    wr(k, VIRTIO_MMIO_QUEUE_DESC_LOW, 4, (uint32_t)desc);
    wr(k, VIRTIO_MMIO_QUEUE_DESC_HIGH, 4, (uint32_t)(desc >> 32));
    wr(k, VIRTIO_MMIO_QUEUE_AVAIL_LOW, 4, (uint32_t)avail);
    wr(k, VIRTIO_MMIO_QUEUE_AVAIL_HIGH, 4, (uint32_t)(avail >> 32));
    wr(k, VIRTIO_MMIO_QUEUE_USED_LOW, 4, (uint32_t)used);
    wr(k, VIRTIO_MMIO_QUEUE_USED_HIGH, 4, (uint32_t)(used >> 32));
    wr(k, VIRTIO_MMIO_QUEUE_READY, 4, 1);
    wr(k, VIRTIO_MMIO_STATUS, 4,
       VIRTIO_S_ACKNOWLEDGE | VIRTIO_S_DRIVER | VIRTIO_S_FEATURES_OK |
           VIRTIO_S_DRIVER_OK);
    memset(q, 0, sizeof(*q));
    q->size = (uint16_t)num, q->desc = desc, q->avail = avail, q->used = used;
}

/* The queue did not come up: refused at QueueReady or DRIVER_OK, or
 * NEEDS_RESET. */
static enum verdict queue_refused(struct devkit *k)
{
    wr(k, VIRTIO_MMIO_QUEUE_SEL, 4, 0);
    return (!rd(k, VIRTIO_MMIO_QUEUE_READY, 4) || !live(k)) ? V_REJECT : V_PASS;
}

enum verdict m_queue_num_too_big(struct devkit *k)
{
    custom_queue(k, 4096, 0x10000, 0x20000, 0x30000, V1);
    return queue_refused(k);
}

enum verdict m_queue_num_zero(struct devkit *k)
{
    custom_queue(k, 0, 0x10000, 0x20000, 0x30000, V1);
    return queue_refused(k);
}

enum verdict m_queue_num_not_pow2(struct devkit *k)
{
    custom_queue(k, 3, 0x10000, 0x20000, 0x30000, V1);
    return queue_refused(k);
}

enum verdict m_ready_without_addresses(struct devkit *k)
{
    custom_queue(k, QS, 0, 0, 0, V1);
    return queue_refused(k);
}

enum verdict m_rings_moved_after_ready(struct devkit *k)
{
    uint32_t before;

    wr(k, VIRTIO_MMIO_QUEUE_SEL, 4, 0);
    before = (uint32_t)rd(k, VIRTIO_MMIO_QUEUE_DESC_LOW, 4);
    wr(k, VIRTIO_MMIO_QUEUE_DESC_LOW, 4, 0x3f0000);
    wr(k, VIRTIO_MMIO_QUEUE_NUM, 4, 2);
    return ignored_if(rd(k, VIRTIO_MMIO_QUEUE_DESC_LOW, 4) == before);
}

enum verdict m_status_clears_bits(struct devkit *k)
{
    wr(k, VIRTIO_MMIO_STATUS, 4, VIRTIO_S_ACKNOWLEDGE);
    return ignored_if(status(k) != VIRTIO_S_ACKNOWLEDGE);
}

enum verdict m_status_sets_needs_reset(struct devkit *k)
{
    wr(k, VIRTIO_MMIO_STATUS, 4, status(k) | VIRTIO_S_NEEDS_RESET);
    return ignored_if(live(k));
}

enum verdict m_unoffered_feature(struct devkit *k)
{
    dk_reach(k, DK_DRIVER, V1);
    wr(k, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 4, 1);
    /* VERSION_1 (bit 32) and bit 50, which no husk device offers. */
    wr(k, VIRTIO_MMIO_DRIVER_FEATURES, 4, 1u | (1u << 18));
    wr(k, VIRTIO_MMIO_STATUS, 4,
       VIRTIO_S_ACKNOWLEDGE | VIRTIO_S_DRIVER | VIRTIO_S_FEATURES_OK);
    return (status(k) & VIRTIO_S_FEATURES_OK) ? V_PASS : V_REJECT;
}

enum verdict m_no_version_1(struct devkit *k)
{
    dk_reach(k, DK_DRIVER, V1);
    wr(k, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 4, 1);
    wr(k, VIRTIO_MMIO_DRIVER_FEATURES, 4, 0);
    wr(k, VIRTIO_MMIO_STATUS, 4,
       VIRTIO_S_ACKNOWLEDGE | VIRTIO_S_DRIVER | VIRTIO_S_FEATURES_OK);
    return (status(k) & VIRTIO_S_FEATURES_OK) ? V_PASS : V_REJECT;
}

enum verdict m_config_odd_width(struct devkit *k)
{
    uint64_t before = rd(k, 0x100, 4);

    wr(k, 0x101, 2, 0xffff);
    wr(k, 0x100, 8, 0);
    return ignored_if(rd(k, 0x100, 4) == before && live(k));
}

enum verdict m_interrupt_ack_unraised(struct devkit *k)
{
    wr(k, VIRTIO_MMIO_INTERRUPT_ACK, 4, 0xffffffff);
    return live(k) ? V_PASS : V_REJECT;
}

/* A GET_ID request (blk) on queue 0, chained as given. */
static void getid_hdr(struct devkit *k, uint32_t type, uint64_t sector)
{
    uint8_t *h = dk_mem(k, HDR);

    memset(h, 0, 16);
    put_le32(h, type);
    put_le64(h + 8, sector);
    *dk_mem(k, STATUS) = 0xee;
}

/* What became of the request whose status byte is at STATUS. */
static enum verdict blk_outcome(struct devkit *k)
{
    uint16_t head;
    uint32_t len;

    dk_poll(k);
    if (dk_needs_reset(k)) {
        return V_REJECT;
    }
    if (!vdrv_get_used(&k->drv, 0, &head, &len)) {
        return V_WEDGED;
    }
    return *dk_mem(k, STATUS) == VIRTIO_BLK_S_OK ? V_PASS : V_REJECT;
}

struct d {
    uint64_t addr;
    uint32_t len;
    uint16_t flags;
    uint16_t next;
};

/* Descriptors 0..n-1 of queue 0 as given, head 0 published and kicked. */
static enum verdict play(struct devkit *k, const struct d *d, unsigned n)
{
    for (unsigned i = 0; i < n; i++) {
        vdrv_set_desc(&k->drv, 0, (uint16_t)i, d[i].addr, d[i].len, d[i].flags,
                      d[i].next);
    }
    vdrv_publish(&k->drv, 0, 0);
    vdrv_kick(&k->drv, 0);
    return blk_outcome(k);
}

#define N VRING_DESC_F_NEXT
#define W VRING_DESC_F_WRITE
#define I VRING_DESC_F_INDIRECT

/* The well-formed GET_ID chain: header, 20 writable bytes, status. */
#define GETID                              \
    {HDR, 16, N, 1}, {DATA, 20, W | N, 2}, \
    {                                      \
        STATUS, 1, W, 0                    \
    }

enum verdict m_kick_before_driver_ok(struct devkit *k)
{
    const struct d d[] = {GETID};

    dk_reach(k, DK_FEATURES_OK, V1);
    vdrv_queue_setup(&k->drv, 0, QS);
    getid_hdr(k, VIRTIO_BLK_T_GET_ID, 0);
    return play(k, d, 3) == V_WEDGED ? V_REJECT : V_PASS;
}

enum verdict m_kick_after_reset(struct devkit *k)
{
    const struct d d[] = {GETID};

    wr(k, VIRTIO_MMIO_STATUS, 4, 0);
    getid_hdr(k, VIRTIO_BLK_T_GET_ID, 0);
    return play(k, d, 3) == V_WEDGED ? V_REJECT : V_PASS;
}

/* ---------------------------------------------------------------- R */

enum verdict r_self_loop(struct devkit *k)
{
    const struct d d[] = {{HDR, 16, N, 0}};

    getid_hdr(k, VIRTIO_BLK_T_GET_ID, 0);
    return play(k, d, 1);
}

enum verdict r_two_cycle(struct devkit *k)
{
    const struct d d[] = {{HDR, 16, N, 1}, {DATA, 20, W | N, 0}};

    getid_hdr(k, VIRTIO_BLK_T_GET_ID, 0);
    return play(k, d, 2);
}

enum verdict r_chain_of_queue_size(struct devkit *k)
{
    struct d d[QS];

    d[0] = (struct d){HDR, 16, N, 1};
    for (unsigned i = 1; i < QS - 1; i++) {
        d[i] = (struct d){DATA + 512 * (i - 1), 512, W | N, (uint16_t)(i + 1)};
    }
    d[QS - 1] = (struct d){STATUS, 1, W, 0};
    getid_hdr(k, VIRTIO_BLK_T_IN, 0);
    return play(k, d, QS);
}

enum verdict r_next_out_of_range(struct devkit *k)
{
    const struct d d[] = {{HDR, 16, N, QS}};

    getid_hdr(k, VIRTIO_BLK_T_GET_ID, 0);
    return play(k, d, 1);
}

static enum verdict getid_with_data(struct devkit *k,
                                    uint64_t addr,
                                    uint32_t len)
{
    const struct d d[] = {
        {HDR, 16, N, 1}, {addr, len, W | N, 2}, {STATUS, 1, W, 0}};

    getid_hdr(k, VIRTIO_BLK_T_GET_ID, 0);
    return play(k, d, 3);
}

enum verdict r_addr_zero(struct devkit *k)
{
    return getid_with_data(k, 0, 20);
}

enum verdict r_addr_end_of_ram(struct devkit *k)
{
    return getid_with_data(k, DK_RAM - 1, 20);
}

enum verdict r_addr_mmio(struct devkit *k)
{
    return getid_with_data(k, DK_BASE, 20);
}

enum verdict r_addr_ring_itself(struct devkit *k)
{
    return getid_with_data(k, k->drv.q[0].used, 20);
}

enum verdict r_addr_wraps(struct devkit *k)
{
    return getid_with_data(k, 0xfffffffffffffff0ULL, 32);
}

enum verdict r_len_zero(struct devkit *k)
{
    return getid_with_data(k, DATA, 0);
}

enum verdict r_len_huge(struct devkit *k)
{
    return getid_with_data(k, DATA, 0xffffffff);
}

/* A request whose descriptor 0 points at an indirect table (at TABLE)
 * of n entries; negotiated with or without INDIRECT_DESC. */
static enum verdict indirect(struct devkit *k,
                             const struct d *t,
                             unsigned n,
                             uint32_t table_len,
                             uint16_t flags0,
                             uint64_t table_at,
                             bool feature)
{
    const struct d d[] = {{table_at, table_len, flags0, 0}};

    if (feature) {
        dk_reach(k, DK_DRIVER_OK, V1 | F(VIRTIO_RING_F_INDIRECT_DESC));
    }
    for (unsigned i = 0; i < n; i++) {
        uint8_t *p = dk_mem(k, TABLE + 16 * i);

        put_le64(p, t[i].addr);
        put_le32(p + 8, t[i].len);
        put_le16(p + 12, t[i].flags);
        put_le16(p + 14, t[i].next);
    }
    return play(k, d, 1);
}

static const struct d getid_table[] = {GETID};

enum verdict r_indirect_ok(struct devkit *k)
{
    getid_hdr(k, VIRTIO_BLK_T_GET_ID, 0);
    return indirect(k, getid_table, 3, 48, I, TABLE, true);
}

enum verdict r_indirect_without_feature(struct devkit *k)
{
    getid_hdr(k, VIRTIO_BLK_T_GET_ID, 0);
    return indirect(k, getid_table, 3, 48, I, TABLE, false);
}

enum verdict r_indirect_nested(struct devkit *k)
{
    const struct d t[] = {
        {HDR, 16, N, 1}, {TABLE, 48, I | N, 2}, {STATUS, 1, W, 0}};

    getid_hdr(k, VIRTIO_BLK_T_GET_ID, 0);
    return indirect(k, t, 3, 48, I, TABLE, true);
}

enum verdict r_indirect_len_zero(struct devkit *k)
{
    getid_hdr(k, VIRTIO_BLK_T_GET_ID, 0);
    return indirect(k, getid_table, 3, 0, I, TABLE, true);
}

enum verdict r_indirect_len_15(struct devkit *k)
{
    getid_hdr(k, VIRTIO_BLK_T_GET_ID, 0);
    return indirect(k, getid_table, 3, 15, I, TABLE, true);
}

enum verdict r_indirect_len_huge(struct devkit *k)
{
    getid_hdr(k, VIRTIO_BLK_T_GET_ID, 0);
    return indirect(k, getid_table, 3, 0xfffffff0, I, TABLE, true);
}

enum verdict r_indirect_in_mmio(struct devkit *k)
{
    getid_hdr(k, VIRTIO_BLK_T_GET_ID, 0);
    return indirect(k, getid_table, 0, 48, I, DK_BASE, true);
}

enum verdict r_indirect_with_next(struct devkit *k)
{
    getid_hdr(k, VIRTIO_BLK_T_GET_ID, 0);
    return indirect(k, getid_table, 3, 48, I | N, TABLE, true);
}

enum verdict r_indirect_longer_than_queue(struct devkit *k)
{
    struct d t[QS + 1];

    t[0] = (struct d){HDR, 16, N, 1};
    for (unsigned i = 1; i < QS; i++) {
        t[i] = (struct d){DATA + 512 * (i - 1), 512, W | N, (uint16_t)(i + 1)};
    }
    t[QS] = (struct d){STATUS, 1, W, 0};
    getid_hdr(k, VIRTIO_BLK_T_IN, 0);
    return indirect(k, t, QS + 1, 16 * (QS + 1), I, TABLE, true);
}

enum verdict r_total_over_4g(struct devkit *k)
{
    /* 1026 entries of 4 MiB each (all of RAM, again and again). */
    static struct d t[1026];

    t[0] = (struct d){HDR, 16, N, 1};
    for (unsigned i = 1; i < 1025; i++) {
        t[i] = (struct d){0, DK_RAM, W | N, (uint16_t)(i + 1)};
    }
    t[1025] = (struct d){STATUS, 1, W, 0};
    getid_hdr(k, VIRTIO_BLK_T_IN, 0);
    return indirect(k, t, 1026, 16 * 1026, I, TABLE, true);
}

static uint8_t *avail_ring(struct devkit *k)
{
    return dk_mem(k, k->drv.q[0].avail);
}

enum verdict r_avail_idx_jump(struct devkit *k)
{
    const struct d d[] = {GETID};

    getid_hdr(k, VIRTIO_BLK_T_GET_ID, 0);
    for (unsigned i = 0; i < 3; i++) {
        vdrv_set_desc(&k->drv, 0, (uint16_t)i, d[i].addr, d[i].len, d[i].flags,
                      d[i].next);
    }
    put_le16(avail_ring(k) + 2, QS + 1);
    vdrv_kick(&k->drv, 0);
    return blk_outcome(k);
}

enum verdict r_avail_idx_backwards(struct devkit *k)
{
    const struct d d[] = {GETID};

    getid_hdr(k, VIRTIO_BLK_T_GET_ID, 0);
    if (play(k, d, 3) != V_PASS) {
        return V_WEDGED; /* the good request must work first */
    }
    put_le16(avail_ring(k) + 2, 0);
    vdrv_kick(&k->drv, 0);
    return blk_outcome(k);
}

enum verdict r_same_head_thrice(struct devkit *k)
{
    const struct d d[] = {GETID};
    uint16_t head;
    uint32_t len;
    unsigned n = 0;

    getid_hdr(k, VIRTIO_BLK_T_GET_ID, 0);
    for (unsigned i = 0; i < 3; i++) {
        vdrv_set_desc(&k->drv, 0, (uint16_t)i, d[i].addr, d[i].len, d[i].flags,
                      d[i].next);
    }
    for (unsigned i = 0; i < 3; i++) {
        vdrv_publish(&k->drv, 0, 0);
    }
    vdrv_kick(&k->drv, 0);
    dk_poll(k);
    while (vdrv_get_used(&k->drv, 0, &head, &len)) {
        n++;
    }
    return dk_needs_reset(k) ? V_REJECT : n == 3 ? V_PASS : V_WEDGED;
}

enum verdict r_avail_entry_out_of_range(struct devkit *k)
{
    getid_hdr(k, VIRTIO_BLK_T_GET_ID, 0);
    vdrv_publish(&k->drv, 0, QS + 3);
    vdrv_kick(&k->drv, 0);
    return blk_outcome(k);
}

enum verdict r_reused_after_rewrite(struct devkit *k)
{
    const struct d a[] = {GETID};
    const struct d b[] = {
        {HDR, 16, N, 1}, {DATA + 64, 20, W | N, 2}, {STATUS, 1, W, 0}};

    getid_hdr(k, VIRTIO_BLK_T_GET_ID, 0);
    if (play(k, a, 3) != V_PASS) {
        return V_WEDGED;
    }
    getid_hdr(k, VIRTIO_BLK_T_GET_ID, 0);
    return play(k, b, 3);
}

enum verdict r_unaligned_desc(struct devkit *k)
{
    custom_queue(k, QS, 0x10008, 0x20000, 0x30000, V1);
    return queue_refused(k);
}

enum verdict r_unaligned_avail(struct devkit *k)
{
    custom_queue(k, QS, 0x10000, 0x20001, 0x30000, V1);
    return queue_refused(k);
}

enum verdict r_unaligned_used(struct devkit *k)
{
    custom_queue(k, QS, 0x10000, 0x20000, 0x30002, V1);
    return queue_refused(k);
}

enum verdict r_overlapping_rings(struct devkit *k)
{
    const struct d d[] = {GETID};

    /* avail and used share a page: the device's used writes land on
     * the driver's avail ring.  Whatever follows is the guest's
     * problem; husk must survive it. */
    custom_queue(k, QS, 0x10000, 0x20000, 0x20000, V1);
    if (queue_refused(k) == V_REJECT) {
        return V_REJECT;
    }
    getid_hdr(k, VIRTIO_BLK_T_GET_ID, 0);
    (void)play(k, d, 3);
    return V_PASS;
}

enum verdict r_used_event_wrap(struct devkit *k)
{
    const struct d d[] = {GETID};
    uint8_t *avail;

    dk_reach(k, DK_DRIVER_OK, V1 | F(VIRTIO_RING_F_EVENT_IDX));
    avail = avail_ring(k);
    put_le16(avail + 4 + 2 * QS, 0xffff); /* used_event */
    getid_hdr(k, VIRTIO_BLK_T_GET_ID, 0);
    return play(k, d, 3);
}

enum verdict r_kick_nothing_new(struct devkit *k)
{
    uint16_t head;
    uint32_t len;

    vdrv_kick(&k->drv, 0);
    vdrv_kick(&k->drv, 0);
    dk_poll(k);
    return (live(k) && !vdrv_get_used(&k->drv, 0, &head, &len)) ? V_PASS
                                                                : V_REJECT;
}

/* ---------------------------------------------------------------- B */

static enum verdict blk_req(struct devkit *k,
                            uint32_t type,
                            uint64_t sector,
                            const struct d *d,
                            unsigned n)
{
    getid_hdr(k, type, sector);
    return play(k, d, n);
}

enum verdict b_head_writable(struct devkit *k)
{
    const struct d d[] = {
        {HDR, 16, W | N, 1}, {DATA, 20, W | N, 2}, {STATUS, 1, W, 0}};

    return blk_req(k, VIRTIO_BLK_T_GET_ID, 0, d, 3);
}

enum verdict b_status_read_only(struct devkit *k)
{
    const struct d d[] = {
        {HDR, 16, N, 1}, {DATA, 20, W | N, 2}, {STATUS, 1, 0, 0}};

    return blk_req(k, VIRTIO_BLK_T_GET_ID, 0, d, 3);
}

enum verdict b_status_len_zero(struct devkit *k)
{
    const struct d d[] = {
        {HDR, 16, N, 1}, {DATA, 20, W | N, 2}, {STATUS, 0, W, 0}};

    return blk_req(k, VIRTIO_BLK_T_GET_ID, 0, d, 3);
}

enum verdict b_head_only(struct devkit *k)
{
    const struct d d[] = {{HDR, 16, 0, 0}};

    return blk_req(k, VIRTIO_BLK_T_IN, 0, d, 1);
}

enum verdict b_short_header(struct devkit *k)
{
    const struct d d[] = {{HDR, 8, N, 1}, {STATUS, 1, W, 0}};

    return blk_req(k, VIRTIO_BLK_T_GET_ID, 0, d, 2);
}

static enum verdict rw(struct devkit *k,
                       uint32_t type,
                       uint64_t sector,
                       uint32_t len,
                       bool data_writable)
{
    const struct d d[] = {
        {HDR, 16, N, 1},
        {DATA, len, (uint16_t)((data_writable ? W : 0) | N), 2},
        {STATUS, 1, W, 0}};

    return blk_req(k, type, sector, d, 3);
}

enum verdict b_len_not_sector_multiple(struct devkit *k)
{
    return rw(k, VIRTIO_BLK_T_IN, 0, 100, true);
}

enum verdict b_sector_max(struct devkit *k)
{
    return rw(k, VIRTIO_BLK_T_IN, ~0ULL, 512, true);
}

enum verdict b_just_past_capacity(struct devkit *k)
{
    /* 64 KiB disk: sectors 0..127; 127 + 2 sectors ends one past. */
    return rw(k, VIRTIO_BLK_T_OUT, 127, 1024, false);
}

enum verdict b_last_sector(struct devkit *k)
{
    return rw(k, VIRTIO_BLK_T_IN, 127, 512, true);
}

enum verdict b_unknown_type(struct devkit *k)
{
    return rw(k, 0x1234, 0, 512, true);
}

enum verdict b_flush_no_data(struct devkit *k)
{
    const struct d d[] = {{HDR, 16, N, 1}, {STATUS, 1, W, 0}};

    dk_reach(k, DK_DRIVER_OK, V1 | F(VIRTIO_BLK_F_FLUSH));
    return blk_req(k, VIRTIO_BLK_T_FLUSH, 0, d, 2);
}

enum verdict b_flush_with_data(struct devkit *k)
{
    dk_reach(k, DK_DRIVER_OK, V1 | F(VIRTIO_BLK_F_FLUSH));
    return rw(k, VIRTIO_BLK_T_FLUSH, 0, 512, true);
}

enum verdict b_get_id_19(struct devkit *k)
{
    return rw(k, VIRTIO_BLK_T_GET_ID, 0, 19, true);
}

enum verdict b_get_id_20(struct devkit *k)
{
    return rw(k, VIRTIO_BLK_T_GET_ID, 0, 20, true);
}

enum verdict b_in_read_only_data(struct devkit *k)
{
    return rw(k, VIRTIO_BLK_T_IN, 0, 512, false);
}

enum verdict b_out_write_only_data(struct devkit *k)
{
    return rw(k, VIRTIO_BLK_T_OUT, 0, 512, true);
}

enum verdict b_64_data_descriptors(struct devkit *k)
{
    struct d t[66];

    t[0] = (struct d){HDR, 16, N, 1};
    for (unsigned i = 1; i < 65; i++) {
        t[i] = (struct d){DATA + 512 * (i - 1), 512, W | N, (uint16_t)(i + 1)};
    }
    t[65] = (struct d){STATUS, 1, W, 0};
    getid_hdr(k, VIRTIO_BLK_T_IN, 0);
    return indirect(k, t, 66, 16 * 66, I, TABLE, true);
}

enum verdict b_write_read_only_disk(struct devkit *k)
{
    vblk_cleanup(&k->blk);
    free(k->disk.data);
    blk_mem_init(&k->disk, 64 * 1024, true);
    vblk_init(&k->blk, &k->disk.be, &k->tm.gm, &k->irq.line);
    dk_reach(k, DK_DRIVER_OK, V1 | F(VIRTIO_BLK_F_RO));
    return rw(k, VIRTIO_BLK_T_OUT, 0, 512, false);
}

enum verdict b_host_read_error(struct devkit *k)
{
    k->disk.fail_read = -EIO;
    return rw(k, VIRTIO_BLK_T_IN, 0, 512, true);
}

enum verdict b_host_write_nospace(struct devkit *k)
{
    k->disk.fail_write = -ENOSPC;
    return rw(k, VIRTIO_BLK_T_OUT, 0, 512, false);
}

enum verdict b_host_flush_error_latched(struct devkit *k)
{
    const struct d d[] = {{HDR, 16, N, 1}, {STATUS, 1, W, 0}};
    enum verdict first;

    dk_reach(k, DK_DRIVER_OK, V1 | F(VIRTIO_BLK_F_FLUSH));
    k->disk.fail_flush = -EIO;
    first = blk_req(k, VIRTIO_BLK_T_FLUSH, 0, d, 2);
    k->disk.fail_flush = 0;
    /* The second flush succeeds at the host, but the data the first
     * one covered may be gone: still an error. */
    return first == V_REJECT ? blk_req(k, VIRTIO_BLK_T_FLUSH, 0, d, 2) : V_PASS;
}

/* ---------------------------------------------------------------- N */

/* TX of one chain (queue 1); PASS if a frame reached the backend, REJECT
 * if the chain came back without one (dropped, counted) or NEEDS_RESET. */
static enum verdict tx(struct devkit *k, const struct vdrv_buf *b, unsigned n)
{
    uint8_t got[65536 + 64];
    uint16_t head;
    uint32_t len;

    vdrv_add_chain(&k->drv, VNET_TX, b, n);
    vdrv_kick(&k->drv, VNET_TX);
    dk_poll(k);
    if (dk_needs_reset(k)) {
        return V_REJECT;
    }
    if (!vdrv_get_used(&k->drv, VNET_TX, &head, &len)) {
        return V_WEDGED;
    }
    return recv(k->world, got, sizeof(got), MSG_DONTWAIT) > 0 ? V_PASS
                                                              : V_REJECT;
}

static void net_hdr(struct devkit *k,
                    uint8_t flags,
                    uint8_t gso,
                    uint16_t csum_start,
                    uint16_t csum_off,
                    uint16_t nbuf)
{
    uint8_t *h = dk_mem(k, HDR);

    memset(h, 0, NET_HDR_LEN);
    h[0] = flags;
    h[1] = gso;
    put_le16(h + 6, csum_start);
    put_le16(h + 8, csum_off);
    put_le16(h + 10, nbuf);
    memset(dk_mem(k, DATA), 0x5a, 70000);
}

enum verdict n_no_header(struct devkit *k)
{
    const struct vdrv_buf b[] = {{HDR, 10, false}};

    net_hdr(k, 0, 0, 0, 0, 0);
    return tx(k, b, 1);
}

enum verdict n_header_only(struct devkit *k)
{
    const struct vdrv_buf b[] = {{HDR, NET_HDR_LEN, false}};

    net_hdr(k, 0, 0, 0, 0, 0);
    return tx(k, b, 1);
}

enum verdict n_frame_too_big(struct devkit *k)
{
    const struct vdrv_buf b[] = {{HDR, NET_HDR_LEN, false},
                                 {DATA, 65551, false}};

    net_hdr(k, 0, 0, 0, 0, 0);
    return tx(k, b, 2);
}

enum verdict n_frame_too_short(struct devkit *k)
{
    const struct vdrv_buf b[] = {{HDR, NET_HDR_LEN, false}, {DATA, 10, false}};

    net_hdr(k, 0, 0, 0, 0, 0);
    return tx(k, b, 2);
}

enum verdict n_bad_csum_offsets(struct devkit *k)
{
    const struct vdrv_buf b[] = {{HDR, NET_HDR_LEN, false}, {DATA, 60, false}};

    net_hdr(k, VIRTIO_NET_HDR_F_NEEDS_CSUM, 0, 58, 10, 0);
    return tx(k, b, 2);
}

enum verdict n_gso_without_feature(struct devkit *k)
{
    const struct vdrv_buf b[] = {{HDR, NET_HDR_LEN, false}, {DATA, 60, false}};

    net_hdr(k, 0, VIRTIO_NET_HDR_GSO_TCPV4, 0, 0, 0);
    return tx(k, b, 2);
}

/* A frame from the backend into one RX chain; PASS if it was written. */
static enum verdict rx_into(struct devkit *k,
                            const struct vdrv_buf *b,
                            unsigned n)
{
    uint8_t frame[60];
    uint16_t head;
    uint32_t len;

    memset(frame, 0x77, sizeof(frame));
    vdrv_add_chain(&k->drv, VNET_RX, b, n);
    vdrv_kick(&k->drv, VNET_RX);
    if (send(k->world, frame, sizeof(frame), 0) != sizeof(frame)) {
        return V_WEDGED;
    }
    dk_poll(k);
    if (dk_needs_reset(k)) {
        return V_REJECT;
    }
    if (!vdrv_get_used(&k->drv, VNET_RX, &head, &len)) {
        /* Dropped (counted) and the buffer kept for the next frame. */
        return V_REJECT;
    }
    return len >= sizeof(frame) ? V_PASS : V_REJECT;
}

enum verdict n_rx_read_only(struct devkit *k)
{
    const struct vdrv_buf b[] = {{DATA, 2048, false}};

    return rx_into(k, b, 1);
}

enum verdict n_rx_one_byte(struct devkit *k)
{
    const struct vdrv_buf b[] = {{DATA, 1, true}};

    return rx_into(k, b, 1);
}

enum verdict n_rx_ok(struct devkit *k)
{
    const struct vdrv_buf b[] = {{DATA, 2048, true}};

    return rx_into(k, b, 1);
}

enum verdict n_num_buffers_on_tx(struct devkit *k)
{
    const struct vdrv_buf b[] = {{HDR, NET_HDR_LEN, false}, {DATA, 60, false}};

    net_hdr(k, 0, 0, 0, 0, 7);
    return tx(k, b, 2);
}

enum verdict n_header_split(struct devkit *k)
{
    const struct vdrv_buf b[] = {
        {HDR, 5, false}, {HDR + 5, NET_HDR_LEN - 5, false}, {DATA, 60, false}};

    net_hdr(k, 0, 0, 0, 0, 0);
    return tx(k, b, 3);
}

enum verdict n_rx_waits_for_buffers(struct devkit *k)
{
    uint8_t frame[60];
    const struct vdrv_buf b[] = {{DATA, 2048, true}};
    uint16_t head;
    uint32_t len;

    memset(frame, 0x42, sizeof(frame));
    if (send(k->world, frame, sizeof(frame), 0) != sizeof(frame)) {
        return V_WEDGED;
    }
    dk_poll(k); /* no buffers: the frame must wait, not be dropped */
    vdrv_add_chain(&k->drv, VNET_RX, b, 1);
    vdrv_kick(&k->drv, VNET_RX);
    dk_poll(k);
    if (!vdrv_get_used(&k->drv, VNET_RX, &head, &len)) {
        return V_WEDGED;
    }
    return len == NET_HDR_LEN + sizeof(frame) &&
                   dk_mem(k, DATA)[NET_HDR_LEN] == 0x42
               ? V_PASS
               : V_REJECT;
}

enum verdict n_tx_burst_fills_ring(struct devkit *k)
{
    uint8_t got[2048];
    unsigned frames = 0, back = 0;
    uint16_t head;
    uint32_t len;

    net_hdr(k, 0, 0, 0, 0, 0);
    for (unsigned i = 0; i < QS / 2; i++) {
        const struct vdrv_buf b[] = {{HDR, NET_HDR_LEN, false},
                                     {DATA, 60, false}};

        vdrv_add_chain(&k->drv, VNET_TX, b, 2);
    }
    vdrv_kick(&k->drv, VNET_TX);
    dk_poll(k);
    while (recv(k->world, got, sizeof(got), MSG_DONTWAIT) > 0) {
        frames++;
    }
    while (vdrv_get_used(&k->drv, VNET_TX, &head, &len)) {
        back++;
    }
    return frames == QS / 2 && back == QS / 2 ? V_PASS : V_WEDGED;
}

/* ---------------------------------------------------------------- C */

static enum verdict con_tx(struct devkit *k,
                           const struct vdrv_buf *b,
                           unsigned n)
{
    uint16_t head;
    uint32_t len;

    vdrv_add_chain(&k->drv, 1, b, n);
    vdrv_kick(&k->drv, 1);
    dk_poll(k);
    if (dk_needs_reset(k)) {
        return V_REJECT;
    }
    return vdrv_get_used(&k->drv, 1, &head, &len) ? V_PASS : V_WEDGED;
}

enum verdict c_zero_length_tx(struct devkit *k)
{
    const struct vdrv_buf b[] = {{DATA, 0, false}};

    return con_tx(k, b, 1);
}

enum verdict c_huge_tx(struct devkit *k)
{
    const struct vdrv_buf b[] = {{0x100000, 0x200000, false}};
    enum verdict v = con_tx(k, b, 1);

    return v == V_PASS && k->console_out->len == 0x200000 ? V_PASS : V_WEDGED;
}

enum verdict c_multi_descriptor_tx(struct devkit *k)
{
    const struct vdrv_buf b[] = {
        {DATA, 2, false}, {DATA + 64, 2, false}, {DATA + 128, 2, false}};
    enum verdict v;

    memcpy(dk_mem(k, DATA), "ab", 2);
    memcpy(dk_mem(k, DATA + 64), "cd", 2);
    memcpy(dk_mem(k, DATA + 128), "ef", 2);
    v = con_tx(k, b, 3);
    return v == V_PASS && !strcmp(k->console_out->str, "abcdef") ? V_PASS
                                                                 : V_WEDGED;
}

static enum verdict con_rx(struct devkit *k,
                           const struct vdrv_buf *b,
                           unsigned n)
{
    uint16_t head;
    uint32_t len;
    size_t took;

    vdrv_add_chain(&k->drv, 0, b, n);
    vdrv_kick(&k->drv, 0);
    took = vcon_input(&k->con, "x", 1);
    dk_poll(k);
    if (dk_needs_reset(k)) {
        return V_REJECT;
    }
    if (!vdrv_get_used(&k->drv, 0, &head, &len)) {
        return took ? V_WEDGED : V_REJECT;
    }
    return len == 1 && *dk_mem(k, DATA) == 'x' ? V_PASS : V_REJECT;
}

enum verdict c_rx_read_only(struct devkit *k)
{
    const struct vdrv_buf b[] = {{DATA, 64, false}};

    return con_rx(k, b, 1);
}

enum verdict c_rx_len_zero(struct devkit *k)
{
    const struct vdrv_buf b[] = {{DATA, 0, true}};

    return con_rx(k, b, 1);
}

enum verdict c_input_flood_bounded(struct devkit *k)
{
    static char chunk[65536];
    const struct vdrv_buf b[] = {{DATA, 64, true}};
    size_t taken = 0;

    memset(chunk, 'f', sizeof(chunk));
    vdrv_add_chain(&k->drv, 0, b, 1);
    vdrv_kick(&k->drv, 0);
    /* 100 MiB offered with one 64-byte buffer posted: husk takes what
     * fits and refuses the rest (the caller keeps it); nothing piles up. */
    for (unsigned i = 0; i < 1600; i++) {
        taken += vcon_input(&k->con, chunk, sizeof(chunk));
    }
    return taken <= 64 && live(k) ? V_PASS : V_REJECT;
}

enum verdict c_output_blocked_then_reset(struct devkit *k)
{
    const struct vdrv_buf b[] = {{DATA, 8, false}};
    enum verdict v;

    memcpy(dk_mem(k, DATA), "blocked!", 8);
    k->console_blocked = true;
    v = con_tx(k, b, 1);
    /* Held while the terminal is blocked: not answered yet. */
    if (v != V_WEDGED) {
        return V_REJECT;
    }
    wr(k, VIRTIO_MMIO_STATUS, 4, 0); /* reset mid-TX */
    k->console_blocked = false;
    vcon_tx_resume(&k->con);
    dk_poll(k);
    return V_PASS;
}

enum verdict c_output_blocked_resumes(struct devkit *k)
{
    const struct vdrv_buf b[] = {{DATA, 8, false}};
    uint16_t head;
    uint32_t len;

    memcpy(dk_mem(k, DATA), "resumed!", 8);
    k->console_blocked = true;
    if (con_tx(k, b, 1) != V_WEDGED) {
        return V_REJECT;
    }
    k->console_blocked = false;
    vcon_tx_resume(&k->con);
    dk_poll(k);
    return vdrv_get_used(&k->drv, 1, &head, &len) &&
                   !strcmp(k->console_out->str, "resumed!")
               ? V_PASS
               : V_WEDGED;
}
