/*
 * husk-exit: end the VM with an exit status through husk's exit device
 * (x86: I/O port 0xf4; arm64: the system device page), the machine side
 * being husk-init's (guest-images/exec/husk-init_ARCH.c).  The stock
 * cloud kernel has no /dev/port, so the initramfs needs this small
 * static helper.
 *   husk-exit N     (0 <= N <= 255)
 */
#include <stdio.h>
#include <stdlib.h>

#include "guest-images/exec/husk-init.h"

int main(int argc, char **argv)
{
    long v;
    char *end;

    if (argc != 2) {
        fprintf(stderr, "usage: husk-exit STATUS\n");
        return 2;
    }
    v = strtol(argv[1], &end, 10);
    if (*end || v < 0 || v > 255) {
        fprintf(stderr, "husk-exit: status must be 0..255\n");
        return 2;
    }
    init_exit_port((int)v);
    fprintf(stderr, "husk-exit: no husk exit device here\n");
    return 1; /* not reached when running under husk */
}
