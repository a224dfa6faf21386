/*
 * husk-randread: a small random-read benchmark for guests without fio.
 *   husk-randread DEVICE BLOCK COUNT [JOBS]
 * Reads COUNT blocks of BLOCK bytes at random aligned offsets with
 * O_DIRECT and prints "randread: N IOPS, M MB/s".  JOBS processes (default
 * 1) share the COUNT, so up to JOBS requests are in flight at once.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <linux/fs.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    long bs, count, jobs = 1;
    unsigned long long size = 0, blocks;
    struct timespec t0, t1;
    double secs;
    void *buf;
    int fd;

    if (argc != 4 && argc != 5) {
        fprintf(stderr, "usage: husk-randread DEVICE BLOCK COUNT [JOBS]\n");
        return 2;
    }
    if (argc == 5) {
        jobs = atol(argv[4]);
    }
    if (jobs < 1 || jobs > 64) {
        fprintf(stderr, "husk-randread: JOBS must be 1..64\n");
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
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (long j = 0; j < jobs; j++) {
        pid_t pid = jobs == 1 ? 0 : fork();

        if (pid < 0) {
            perror("husk-randread: fork");
            return 1;
        }
        if (pid > 0) {
            continue;
        }
        srand(42 + j);
        for (long i = j; i < count; i += jobs) {
            off_t off = (off_t)((unsigned long long)rand() % blocks) * bs;

            if (pread(fd, buf, bs, off) != bs) {
                perror("husk-randread: pread");
                _exit(1);
            }
        }
        if (jobs > 1) {
            _exit(0);
        }
    }
    for (long j = 0; jobs > 1 && j < jobs; j++) {
        int st;

        if (wait(&st) < 0 || !WIFEXITED(st) || WEXITSTATUS(st)) {
            fprintf(stderr, "husk-randread: a job failed\n");
            return 1;
        }
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    secs = (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;
    printf("randread: %.0f IOPS, %.1f MB/s\n", count / secs,
           count * bs / secs / 1e6);
    return 0;
}
