/*
 * hostile_peers.h: husk's paths that a peer can stall or break, played
 * as husk runs them (the work on a thread under the vCPU role's real
 * seccomp filter, an I/O thread beside it), each self-contained: a guest
 * resetting its disk with reads in flight, a host-side reader of husk's output
 * that stops reading or goes away. The unit suites assert on what each reports;
 * the malformed-input catalogue turns it into a verdict.
 */
#ifndef HUSK_HOSTILE_PEERS_H
#define HUSK_HOSTILE_PEERS_H

#include <stdbool.h>
#include <stdint.h>

#include "devices/backend/blk_file.h"

/* virtio-blk: 32 reads of 64 KiB from a file out of the page cache,
 * kicked and then reset (Status 0) by a vCPU thread.  False if the
 * engine is unavailable here (io_uring); else *works: the reset left
 * nothing in flight, Status 0, and a new bring-up answers a read. */
bool hp_blk_reset_in_flight(enum blk_engine e, bool *works);

/* The UART's output from a vCPU thread, 1 MiB a byte at a time, while
 * nobody reads husk's stdout (reader_gone false) or the reader has gone
 * (true). */
struct hp_uart_result {
    bool returned;         /* the vCPU was never held */
    unsigned long dropped; /* bytes dropped and counted */
    unsigned long arrived; /* bytes a late reader got (reader present) */
    bool out_gone;         /* EPIPE seen: output marked gone */
};

void hp_uart_flood(bool reader_gone, struct hp_uart_result *r);

#endif
