/*
 * husk-init_x86.c: husk-init's machine side on x86: the exit-status port
 * 0xf4 and the debug port 0x80 (lib/layout_x86.h), through ioperm(2)
 * (the cloud kernel has no /dev/port).
 */
#include <sys/io.h>

#include "guest-images/exec/husk-init.h"
#include "lib/layout_x86.h"

static void port_write(unsigned short port, unsigned char v)
{
    if (ioperm(port, 1, 1) == 0) {
        outb(v, port);
    }
}

void init_exit_port(int status)
{
    port_write(LAYOUT_PORT_EXIT, (unsigned char)status);
}

void init_mark(unsigned char code)
{
    port_write(LAYOUT_PORT_POST, code);
}

void init_boot_timer(unsigned char code)
{
    port_write(LAYOUT_PORT_BOOT_TIMER, code);
}
