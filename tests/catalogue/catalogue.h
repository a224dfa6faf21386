/*
 * catalogue.h: the malformed-input catalogue (docs/testing.md).  Every case is
 * one row of the table in cases.c: an id (M transport, R ring, B blk, N net, C
 * console, S slirp, H host inputs, G/P/X peers, V vhost-user backends), the
 * rule it breaks, the verdict husk must reach, and the function that plays
 * it.  check_catalogue.c runs each row, then
 * checks the device answers an ordinary request after a reset (the "never dead"
 * rule).
 */
#ifndef HUSK_CATALOGUE_H
#define HUSK_CATALOGUE_H

#include "harness/devkit.h"

enum verdict {
    V_PASS,   /* handled as a well-formed request would be */
    V_REJECT, /* refused: error status, dropped and counted, ignored
               * access, or NEEDS_RESET */
    V_WEDGED, /* neither answered nor refused: a guest would hang */
};

struct cat_case {
    const char *id;
    enum dk_device dev; /* the device it is played against */
    enum verdict want;
    const char *rule; /* what the input breaks, and where from */
    enum verdict (*run)(struct devkit *k);
};

extern const struct cat_case cat_cases[];
extern const unsigned cat_nr_cases;

const char *verdict_name(enum verdict v);

#endif
