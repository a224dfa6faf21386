/*
 * snapshot_cases.h: the case functions of snapshot_cases.c (for cases.c).
 */
#ifndef HUSK_SNAPSHOT_CASES_H
#define HUSK_SNAPSHOT_CASES_H

#include "tests/catalogue/catalogue.h"

enum verdict k_state_ok(struct devkit *k);
enum verdict k_ring_outside_memory(struct devkit *k);
enum verdict k_requests_in_flight(struct devkit *k);
enum verdict k_used_ring_contradicts(struct devkit *k);
enum verdict k_queue_above_max(struct devkit *k);
enum verdict k_undefined_status_bits(struct devkit *k);
enum verdict k_features_never_offered(struct devkit *k);
enum verdict k_console_port_count(struct devkit *k);
enum verdict k_console_ctrl_overflow(struct devkit *k);
enum verdict k_console_ctrl_bad_port(struct devkit *k);
enum verdict k_blk_flag_not_bool(struct devkit *k);
enum verdict k_field_not_a_number(struct devkit *k);
enum verdict k_field_missing(struct devkit *k);
enum verdict k_manifest_ok(struct devkit *k);
enum verdict k_manifest_format_2(struct devkit *k);
enum verdict k_manifest_other_build(struct devkit *k);
enum verdict k_manifest_regions_short(struct devkit *k);
enum verdict k_manifest_region_wraps(struct devkit *k);
enum verdict k_manifest_too_many_args(struct devkit *k);
enum verdict k_manifest_bad_checksum(struct devkit *k);
enum verdict k_manifest_nul_byte(struct devkit *k);
enum verdict k_manifest_too_large(struct devkit *k);
enum verdict k_manifest_not_keyfile(struct devkit *k);

#endif
