/*
 * shm-fault.c: what a first touch of guest RAM costs the host kernel, per
 * 4 KiB page, for the two kinds of memory husk maps: anonymous private
 * (no NIC, or TAP) and a shared memfd (--net user, where husk-slirp maps
 * RAM too).  Touches every page of SIZE MiB once, RUNS times each, kinds
 * interleaved; prints one line per run for summarize.sh.  THP is off for
 * both (MADV_NOHUGEPAGE), so the figures are 4 KiB faults.
 *
 *   shm-fault [SIZE_MIB] [RUNS]
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

static double now(void)
{
    struct timespec t;

    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec / 1e9;
}

/* Touches every page once; microseconds per page. */
static double touch(volatile char *p, size_t size)
{
    double t = now();

    for (size_t i = 0; i < size; i += 4096) {
        p[i] = 1;
    }
    return (now() - t) * 1e6 / (double)(size / 4096);
}

int main(int argc, char **argv)
{
    size_t size = (size_t)(argc > 1 ? atoi(argv[1]) : 256) << 20;
    int runs = argc > 2 ? atoi(argv[2]) : 5;

    for (int r = 0; r < runs; r++) {
        char *a = mmap(NULL, size, PROT_READ | PROT_WRITE,
                       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
        int fd = memfd_create("shm-fault", MFD_CLOEXEC);
        char *b;

        if (a == MAP_FAILED || fd < 0 || ftruncate(fd, (off_t)size) < 0) {
            perror("shm-fault");
            return 1;
        }
        madvise(a, size, MADV_NOHUGEPAGE);
        printf("anon US_PER_PAGE=%.2f\n", touch(a, size));
        munmap(a, size);
        b = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
        if (b == MAP_FAILED) {
            perror("shm-fault");
            return 1;
        }
        madvise(b, size, MADV_NOHUGEPAGE);
        printf("memfd US_PER_PAGE=%.2f\n", touch(b, size));
        munmap(b, size);
        close(fd);
    }
    return 0;
}
