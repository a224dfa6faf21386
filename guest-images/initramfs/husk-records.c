/*
 * husk-records: numbered, self-checking 4 KiB records on a block device,
 * for the durability test (tests/system: husk killed with SIGKILL while a
 * guest writes).
 *
 *   husk-records write DEV      record i at offset i*4096 for i = 1, 2, ...
 *                               (O_DIRECT), each followed by fdatasync (a
 *                               virtio-blk FLUSH); "ACK i" on stdout once
 *                               that returned, so whoever reads the console
 *                               may count record i as promised
 *   husk-records read DEV       reads record 1 (O_DIRECT): "READ-OK", or
 *                               the error (the disk error matrix)
 *   husk-records verify FILE N  checks records 1..N of an image:
 *                               "RECORDS-ACKED=N RECORDS-LOST=k
 *                               RECORDS-EXTRA=m" (m: valid records past N,
 *                               written but not yet acknowledged); exit 1
 *                               if any acknowledged record is missing
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* O_DIRECT */
#endif
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define REC 4096
#define MAGIC 0x3143455259535548ULL /* "HUSYREC1" */

static void fill(uint8_t *b, uint64_t i)
{
    uint64_t x = i * 0x9e3779b97f4a7c15ULL + 1;

    memcpy(b, &(uint64_t){MAGIC}, 8);
    memcpy(b + 8, &i, 8);
    for (int o = 16; o < REC; o += 8) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        memcpy(b + o, &x, 8);
    }
}

static int write_records(const char *dev)
{
    int fd = open(dev, O_RDWR | O_DIRECT);
    off_t size;
    uint8_t *b;

    if (fd < 0 || posix_memalign((void **)&b, REC, REC)) {
        perror("husk-records: open");
        return 1;
    }
    size = lseek(fd, 0, SEEK_END);
    for (uint64_t i = 1; (off_t)((i + 1) * REC) <= size; i++) {
        fill(b, i);
        if (pwrite(fd, b, REC, (off_t)(i * REC)) != REC) {
            perror("husk-records: pwrite");
            return 1;
        }
        if (fdatasync(fd)) {
            perror("husk-records: fdatasync");
            return 1;
        }
        printf("ACK %llu\n", (unsigned long long)i);
        fflush(stdout);
    }
    printf("DONE\n");
    return 0;
}

static int read_one(const char *dev)
{
    int fd = open(dev, O_RDONLY | O_DIRECT);
    uint8_t *b;

    if (fd < 0 || posix_memalign((void **)&b, REC, REC)) {
        perror("husk-records: open");
        return 1;
    }
    if (pread(fd, b, REC, REC) != REC) {
        perror("husk-records: pread");
        return 1;
    }
    printf("READ-OK\n");
    return 0;
}

static int verify(const char *file, uint64_t n)
{
    int fd = open(file, O_RDONLY);
    uint8_t got[REC], want[REC];
    uint64_t lost = 0, extra = 0;

    if (fd < 0) {
        perror("husk-records: open");
        return 2;
    }
    for (uint64_t i = 1;; i++) {
        ssize_t r = pread(fd, got, REC, (off_t)(i * REC));

        if (r != REC) {
            break;
        }
        fill(want, i);
        if (memcmp(got, want, REC) == 0) {
            extra += i > n;
        } else if (i <= n) {
            lost++;
            fprintf(stderr, "record %llu lost\n", (unsigned long long)i);
        }
        if (i > n && memcmp(got, want, REC) != 0) {
            break;
        }
    }
    printf("RECORDS-ACKED=%llu RECORDS-LOST=%llu RECORDS-EXTRA=%llu\n",
           (unsigned long long)n, (unsigned long long)lost,
           (unsigned long long)extra);
    return lost ? 1 : 0;
}

int main(int argc, char **argv)
{
    if (argc == 3 && !strcmp(argv[1], "write")) {
        return write_records(argv[2]);
    }
    if (argc == 3 && !strcmp(argv[1], "read")) {
        return read_one(argv[2]);
    }
    if (argc == 4 && !strcmp(argv[1], "verify")) {
        return verify(argv[2], strtoull(argv[3], NULL, 10));
    }
    fprintf(stderr,
            "usage: husk-records write DEV | read DEV | verify FILE N\n");
    return 2;
}
