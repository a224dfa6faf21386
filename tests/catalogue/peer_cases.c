/*
 * peer_cases.c: see peer_cases.h.  PASS: handled as if nothing were
 * wrong (the disk reset cleanly, START worked, output kept or counted);
 * REJECT: the peer was cut off in bounded time (NEEDS_RESET, the helper
 * killed); anything else, or a vCPU held past its bound, is WEDGED.
 */
#include "tests/catalogue/peer_cases.h"

#include "devices/backend/vhost_user.h"
#include "harness/fake_vhost_user.h"
#include "harness/hostile_peers.h"

static enum verdict reset_in_flight(enum blk_engine e)
{
    bool works;

    if (!hp_blk_reset_in_flight(e, &works)) {
        return V_PASS; /* no io_uring here: nothing can be in flight */
    }
    return works ? V_PASS : V_WEDGED;
}

enum verdict g_reset_in_flight_uring(struct devkit *k)
{
    return reset_in_flight(BLK_ENGINE_URING);
}

enum verdict g_reset_in_flight_sync(struct devkit *k)
{
    return reset_in_flight(BLK_ENGINE_SYNC);
}

enum verdict x_output_unread(struct devkit *k)
{
    struct hp_uart_result r;

    hp_uart_flood(false, &r);
    return r.returned && r.arrived + r.dropped == 1024 * 1024 ? V_PASS
                                                              : V_WEDGED;
}

enum verdict x_output_reader_gone(struct devkit *k)
{
    struct hp_uart_result r;

    hp_uart_flood(true, &r);
    return r.returned && r.out_gone ? V_PASS : V_WEDGED;
}

/* A vhost-user backend (fake_vhost_user.h): REJECT if husk refused it in
 * bounded time (the handshake failed with a message, or the device went
 * NEEDS_RESET and gave the backend up) and kept no descriptor; PASS for
 * the well-behaved one; anything else is WEDGED. */
static enum verdict vhost_user(enum fvu_mode m)
{
    struct fvu_outcome o;

    fvu_play(m, &o);
    if (o.longest_us >= (VHU_START_MS + 1000) * 1000LL || o.fds_kept) {
        return V_WEDGED;
    }
    if (m == FVU_GOOD) {
        return o.init_ok && !o.lost && !o.needs_reset ? V_PASS : V_WEDGED;
    }
    if (!o.init_ok) {
        return o.message[0] ? V_REJECT : V_WEDGED;
    }
    if ((m == FVU_SILENT_STOP || m == FVU_SILENT_VM_STOPS) && !o.killed) {
        return V_WEDGED; /* it might still write the forgotten rings */
    }
    if (m == FVU_SILENT_VM_STOPS && o.longest_us >= 500 * 1000) {
        return V_WEDGED; /* a stopping VM waits for nobody */
    }
    if (m == FVU_FLOOD_CALL && !o.call_cut) {
        return V_WEDGED; /* the interrupts would go on */
    }
    if (m == FVU_SHRINKS_MEMORY) {
        /* The sealed memfd refused it; the device runs as usual. */
        return !o.lost && !o.needs_reset ? V_PASS : V_WEDGED;
    }
    return o.lost ? V_REJECT : V_WEDGED;
}

#define VU_CASE(fn, mode)             \
    enum verdict fn(struct devkit *k) \
    {                                 \
        return vhost_user(mode);      \
    }
VU_CASE(v_good, FVU_GOOD)
VU_CASE(v_silent, FVU_SILENT)
VU_CASE(v_huge_reply, FVU_HUGE_REPLY)
VU_CASE(v_wrong_request, FVU_WRONG_REQUEST)
VU_CASE(v_not_a_reply, FVU_NOT_A_REPLY)
VU_CASE(v_fds_in_reply, FVU_FDS_IN_REPLY)
VU_CASE(v_no_version_1, FVU_NO_VERSION_1)
VU_CASE(v_truncated, FVU_TRUNCATED)
VU_CASE(v_nack_mem_table, FVU_NACK_MEM_TABLE)
VU_CASE(v_close_on_kick, FVU_CLOSE_ON_KICK)
VU_CASE(v_silent_stop, FVU_SILENT_STOP)
VU_CASE(v_wrong_queue, FVU_WRONG_QUEUE)
VU_CASE(v_unasked, FVU_UNASKED)
VU_CASE(v_silent_vm_stops, FVU_SILENT_VM_STOPS)
VU_CASE(v_shrinks_memory, FVU_SHRINKS_MEMORY)
VU_CASE(v_floods_calls, FVU_FLOOD_CALL)
