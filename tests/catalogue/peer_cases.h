/*
 * peer_cases.h: catalogue rows for peers other than the guest's rings:
 * a guest resetting its disk with reads in flight, the host-side reader of
 * husk's output (harness/hostile_peers.h plays each; these turn what it saw
 * into a verdict), a hostile vhost-user backend (harness/fake_vhost_user.h).
 */
#ifndef HUSK_PEER_CASES_H
#define HUSK_PEER_CASES_H

#include "tests/catalogue/catalogue.h"

enum verdict g_reset_in_flight_uring(struct devkit *k);
enum verdict g_reset_in_flight_sync(struct devkit *k);
enum verdict x_output_unread(struct devkit *k);
enum verdict x_output_reader_gone(struct devkit *k);
/* vhost-user backends (harness/fake_vhost_user.h). */
enum verdict v_good(struct devkit *k);
enum verdict v_silent(struct devkit *k);
enum verdict v_huge_reply(struct devkit *k);
enum verdict v_wrong_request(struct devkit *k);
enum verdict v_not_a_reply(struct devkit *k);
enum verdict v_fds_in_reply(struct devkit *k);
enum verdict v_no_version_1(struct devkit *k);
enum verdict v_truncated(struct devkit *k);
enum verdict v_nack_mem_table(struct devkit *k);
enum verdict v_close_on_kick(struct devkit *k);
enum verdict v_silent_stop(struct devkit *k);
enum verdict v_wrong_queue(struct devkit *k);
enum verdict v_unasked(struct devkit *k);
enum verdict v_silent_vm_stops(struct devkit *k);
enum verdict v_shrinks_memory(struct devkit *k);
enum verdict v_floods_calls(struct devkit *k);

#endif
