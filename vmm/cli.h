/*
 * cli.h: parsing of command-line values (sizes, counts), shared by main.c
 * and its tests.
 */
#ifndef HUSK_CLI_H
#define HUSK_CLI_H

#include <stdbool.h>
#include <stdint.h>

#include "devices/backend/blk_file.h"

/* "512M", "2G", "1024K", "1T", "256" (MiB); an optional "B" or "iB"
 * after the suffix.  False for anything else or on overflow. */
bool cli_parse_size(const char *s, uint64_t *out);

/* A plain decimal number that fits an unsigned int. */
bool cli_parse_uint(const char *s, unsigned *out);

/* "PATH[,ro|,rw][,aio=io_uring|sync|auto]": *path is a new string the
 * caller frees.  False for an empty path or an unknown aio= value. */
bool cli_parse_disk(const char *arg, char **path, bool *read_only,
                    enum blk_engine *engine);

#endif
