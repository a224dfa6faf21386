/*
 * husk-mark: write a boot marker the way existing guest images do, for
 * `husk run --boot-timeline` (and any VMM that listens):
 *   husk-mark            123 to I/O port 0x3f0 (Firecracker's boot timer:
 *                        "guest boot complete")
 *   husk-mark debug N    N (0..255; 0x60-0x7f: user space) to port 0x80
 *                        (Cloud Hypervisor's debug port)
 * On a VMM without the device the write goes nowhere.  The stock kernel has
 * no /dev/port, hence this small static helper (like husk-exit).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/io.h>

int main(int argc, char **argv)
{
    unsigned port = 0x3f0;
    long v = 123;
    char *end;

    if (argc == 3 && !strcmp(argv[1], "debug")) {
        port = 0x80;
        v = strtol(argv[2], &end, 0);
        if (*end || v < 0 || v > 255) {
            fprintf(stderr, "husk-mark: code must be 0..255\n");
            return 2;
        }
    } else if (argc != 1) {
        fprintf(stderr, "usage: husk-mark [debug CODE]\n");
        return 2;
    }
    if (ioperm(port, 1, 1) < 0) {
        perror("husk-mark: ioperm");
        return 1;
    }
    outb((unsigned char)v, port);
    return 0;
}
