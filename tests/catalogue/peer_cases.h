/*
 * peer_cases.h: catalogue rows for peers other than the guest's rings:
 * a guest resetting its disk with reads in flight, a hostile network
 * helper, the host-side reader of husk's output (harness/hostile_peers.h
 * plays each; these turn what it saw into a verdict).
 */
#ifndef HUSK_PEER_CASES_H
#define HUSK_PEER_CASES_H

#include "tests/catalogue/catalogue.h"

enum verdict g_reset_in_flight_uring(struct devkit *k);
enum verdict g_reset_in_flight_sync(struct devkit *k);
enum verdict p_fd_in_reply(struct devkit *k);
enum verdict p_stale_replies_forever(struct devkit *k);
enum verdict p_silent(struct devkit *k);
enum verdict p_oversized_event(struct devkit *k);
enum verdict p_silent_while_vm_stops(struct devkit *k);
enum verdict p_shrinks_guest_memory(struct devkit *k);
enum verdict x_output_unread(struct devkit *k);
enum verdict x_output_reader_gone(struct devkit *k);

#endif
