/*
 * panic_scan.h: recognising a Linux kernel panic in the guest's console
 * output, for machines whose guest kernels have no pvpanic driver
 * (Debian's arm64 kernels are built without CONFIG_PVPANIC).  The mark
 * is the last line panic() prints, "---[ end Kernel panic - not syncing:
 * ...", after the reason and the backtrace (kernel/panic.c), at the start
 * of a line or after a printk timestamp "[   12.345678] ".
 *
 * Fed the console's bytes in order, any chunking; it looks only at the
 * first PANIC_SCAN_LINE bytes of each line.  Plain C, no locking: the
 * caller serialises the feeds of one scanner.
 */
#ifndef HUSK_PANIC_SCAN_H
#define HUSK_PANIC_SCAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PANIC_SCAN_LINE 96

struct panic_scan {
    char line[PANIC_SCAN_LINE];
    size_t len;
    bool seen; /* the panic's end line went by */
};

/* True exactly once: when the line that completes the mark ends. */
bool panic_scan_feed(struct panic_scan *s, const uint8_t *buf, size_t len);

#endif
