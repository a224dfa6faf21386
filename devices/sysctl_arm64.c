/*
 * sysctl_arm64.c: the arm64 system device page (sysctl_arm64.h), each
 * register handed to the shared device it stands for (sysctl.c).
 */
#include "devices/sysctl_arm64.h"

static uint64_t page_read(void *opaque, uint64_t off, unsigned size)
{
    return off == SYSCTL_ARM64_ID && size == 4 ? SYSCTL_ARM64_ID_VALUE : 0;
}

static void page_write(void *opaque, uint64_t off, uint64_t val, unsigned size)
{
    switch (off) {
    case SYSCTL_ARM64_EXIT:
        sysctl_exit_ops.write(opaque, 0, val, size);
        break;
    case SYSCTL_ARM64_DEBUG:
        sysctl_post_ops.write(opaque, 0, val, size);
        break;
    case SYSCTL_ARM64_BOOT_TIMER:
        sysctl_boot_timer_ops.write(opaque, 0, val, size);
        break;
    }
}

const struct bus_ops sysctl_arm64_ops = {
    .read = page_read,
    .write = page_write,
};
