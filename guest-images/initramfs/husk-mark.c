/*
 * husk-mark: write a boot marker the way existing guest images do, for
 * `husk run --boot-timeline` (and any VMM that listens):
 *   husk-mark            123 to Firecracker's boot timer ("guest boot
 *                        complete"; x86 port 0x3f0)
 *   husk-mark debug N    N (0..255; 0x60-0x7f: user space) as a debug
 *                        code (x86 port 0x80, Cloud Hypervisor's debug
 *                        port)
 * The machine side is husk-init's (guest-images/exec/husk-init_ARCH.c);
 * on a VMM without the device the write goes nowhere.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "guest-images/exec/husk-init.h"

int main(int argc, char **argv)
{
    long v = 123;
    char *end;

    if (argc == 3 && !strcmp(argv[1], "debug")) {
        v = strtol(argv[2], &end, 0);
        if (*end || v < 0 || v > 255) {
            fprintf(stderr, "husk-mark: code must be 0..255\n");
            return 2;
        }
        init_mark((unsigned char)v);
        return 0;
    }
    if (argc != 1) {
        fprintf(stderr, "usage: husk-mark [debug CODE]\n");
        return 2;
    }
    init_boot_timer((unsigned char)v);
    return 0;
}
