/*
 * sysctl_arm64.h: husk's system device on arm64, one 4 KiB MMIO page at
 * LAYOUT_SYSCTL (lib/layout_arm64.h) holding the shared devices of
 * sysctl.h as 32-bit registers (an arm64 guest has no I/O ports):
 *   0x00  EXIT        write: end the VM with the low byte as exit status
 *   0x04  DEBUG       write: a debug code (boot marker), like x86 port 0x80
 *   0x08  BOOT_TIMER  write: Firecracker's boot timer byte
 *   0x0c  ID          read: SYSCTL_ARM64_ID ("HUSK")
 * Other offsets read 0 and ignore writes.  pvpanic has a page of its own
 * (qemu,pvpanic-mmio, sysctl_pvpanic_ops).
 */
#ifndef HUSK_SYSCTL_ARM64_H
#define HUSK_SYSCTL_ARM64_H

#include "devices/sysctl.h"
#include "lib/bus.h"

#define SYSCTL_ARM64_EXIT 0x00
#define SYSCTL_ARM64_DEBUG 0x04
#define SYSCTL_ARM64_BOOT_TIMER 0x08
#define SYSCTL_ARM64_ID 0x0c
#define SYSCTL_ARM64_ID_VALUE 0x4b535548U /* "HUSK", little-endian */

/* opaque: a struct sysctl. */
extern const struct bus_ops sysctl_arm64_ops;

#endif
