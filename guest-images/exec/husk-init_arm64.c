/*
 * husk-init_arm64.c: husk-init's machine side on arm64: the registers of
 * husk's system device page (devices/sysctl_arm64.h, at LAYOUT_SYSCTL in
 * lib/layout_arm64.h), written through /dev/mem (arm64 has no I/O
 * ports; the page is not RAM and no driver claims it, so the kernel's
 * STRICT_DEVMEM lets it be mapped).
 */
#include <fcntl.h>
#include <stdint.h>
#include <sys/mman.h>
#include <unistd.h>

#include "devices/sysctl_arm64.h"
#include "guest-images/exec/husk-init.h"
#include "lib/layout_arm64.h"

static void reg_write(unsigned off, uint32_t v)
{
    static volatile uint32_t *page;

    if (!page) {
        int fd = open("/dev/mem", O_RDWR | O_SYNC | O_CLOEXEC);
        void *p;

        if (fd < 0) {
            return;
        }
        p = mmap(NULL, LAYOUT_SYSCTL_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED,
                 fd, (off_t)LAYOUT_SYSCTL);
        close(fd);
        if (p == MAP_FAILED) {
            return;
        }
        /* Not husk's page (another VMM): write nothing there. */
        if (((volatile uint32_t *)p)[SYSCTL_ARM64_ID / 4] !=
            SYSCTL_ARM64_ID_VALUE) {
            munmap(p, LAYOUT_SYSCTL_SIZE);
            return;
        }
        page = p;
    }
    page[off / 4] = v;
}

void init_exit_port(int status)
{
    reg_write(SYSCTL_ARM64_EXIT, (uint8_t)status);
}

void init_mark(unsigned char code)
{
    reg_write(SYSCTL_ARM64_DEBUG, code);
}

void init_boot_timer(unsigned char code)
{
    reg_write(SYSCTL_ARM64_BOOT_TIMER, code);
}
