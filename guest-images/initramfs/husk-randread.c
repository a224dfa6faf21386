/*
 * husk-randread: a small random-read benchmark for guests without fio.
 *   husk-randread DEVICE BLOCK COUNT
 * Reads COUNT blocks of BLOCK bytes at random aligned offsets with
 * O_DIRECT and prints "randread: N IOPS, M MB/s".
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <linux/fs.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    long bs, count;
    unsigned long long size = 0, blocks;
    struct timespec t0, t1;
    double secs;
    void *buf;
    int fd;

    if (argc != 4) {
        fprintf(stderr, "usage: husk-randread DEVICE BLOCK COUNT\n");
        return 2;
    }
    bs = atol(argv[2]);
    count = atol(argv[3]);
    fd = open(argv[1], O_RDONLY | O_DIRECT);
    if (fd < 0 || ioctl(fd, BLKGETSIZE64, &size) < 0 || bs <= 0 ||
        size < (unsigned long long)bs || posix_memalign(&buf, 4096, bs)) {
        perror("husk-randread");
        return 1;
    }
    blocks = size / bs;
    srand(42);
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (long i = 0; i < count; i++) {
        off_t off = (off_t)((unsigned long long)rand() % blocks) * bs;

        if (pread(fd, buf, bs, off) != bs) {
            perror("husk-randread: pread");
            return 1;
        }
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    secs = (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;
    printf("randread: %.0f IOPS, %.1f MB/s\n", count / secs,
           count * bs / secs / 1e6);
    return 0;
}
