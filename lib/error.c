/*
 * error.c: husk's GError domain (see error.h).
 */
#include "lib/error.h"

G_DEFINE_QUARK(husk - error - quark, husk_error)
