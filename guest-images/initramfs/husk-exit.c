/*
 * husk-exit: write an exit status to husk's exit port (I/O port 0xf4), which
 * ends the VM with that status.  The stock cloud kernel has no /dev/port, so
 * the initramfs needs this small static helper.
 *   husk-exit N     (0 <= N <= 255)
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/io.h>

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
    if (ioperm(0xf4, 1, 1) < 0) {
        perror("husk-exit: ioperm");
        return 1;
    }
    outb((unsigned char)v, 0xf4);
    return 1; /* not reached when running under husk */
}
