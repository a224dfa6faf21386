/*
 * api_cases.h: the case functions of api_cases.c (for cases.c).
 */
#ifndef HUSK_API_CASES_H
#define HUSK_API_CASES_H

#include "tests/catalogue/catalogue.h"

enum verdict a_query_status(struct devkit *k);
enum verdict a_not_json(struct devkit *k);
enum verdict a_not_an_object(struct devkit *k);
enum verdict a_execute_not_a_string(struct devkit *k);
enum verdict a_unknown_command(struct devkit *k);
enum verdict a_arguments_not_an_object(struct devkit *k);
enum verdict a_arguments_not_taken(struct devkit *k);
enum verdict a_snapshot_relative_path(struct devkit *k);
enum verdict a_snapshot_path_too_long(struct devkit *k);
enum verdict a_snapshot_unwritable(struct devkit *k);
enum verdict a_nul_in_line(struct devkit *k);
enum verdict a_invalid_utf8(struct devkit *k);
enum verdict a_deep_nesting(struct devkit *k);
enum verdict a_line_over_64k(struct devkit *k);

#endif
