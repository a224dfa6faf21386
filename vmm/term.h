/*
 * term.h: the host terminal while a guest owns it: raw mode on, and
 * restored on every way out (normal exit, error, fatal signal).
 */
#ifndef HUSK_TERM_H
#define HUSK_TERM_H

#include <stdbool.h>

/* Puts fd (a tty) into raw mode; no-op for a non-tty.  Main thread. */
void term_raw(int fd);
/* Restores the saved mode; idempotent and async-signal-safe. */
void term_restore(void);

#endif
