/*
 * husk-rr: TCP request/response latency (netperf's TCP_RR, one
 * connection): the client sends a SIZE-byte request and waits for the
 * SIZE-byte answer, COUNT times, and prints the median and 99th
 * percentile round trip in microseconds.  The server echoes.  Used on both
 * sides of tests/bench/net-rtt.sh (guest and host).
 *
 *   husk-rr server PORT               (echoes, one connection at a time)
 *   husk-rr client ADDR PORT COUNT [SIZE]
 *   -> RR_MED_US=... RR_P99_US=... RR_N=...
 *   husk-rr udpflood ADDR PORT SECONDS
 *   -> UDP_SENT=datagrams (1400 bytes each, as fast as they go: the
 *      network flood of the system suite's load test)
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static int full(int fd, char *buf, int len, int wr)
{
    int done = 0;

    while (done < len) {
        ssize_t n = wr ? write(fd, buf + done, len - done)
                       : read(fd, buf + done, len - done);
        if (n <= 0) {
            return -1;
        }
        done += n;
    }
    return 0;
}

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
    char buf[65536];
    int one = 1, fd;
    struct sockaddr_in sa = {.sin_family = AF_INET};

    if (argc == 3 && !strcmp(argv[1], "server")) {
        int l = socket(AF_INET, SOCK_STREAM, 0);
        sa.sin_port = htons(atoi(argv[2]));
        setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
        if (bind(l, (void *)&sa, sizeof(sa)) || listen(l, 4)) {
            perror("husk-rr: bind");
            return 1;
        }
        for (;;) {
            ssize_t n;
            fd = accept(l, NULL, NULL);
            if (fd < 0) {
                continue;
            }
            setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
            while ((n = read(fd, buf, sizeof(buf))) > 0) {
                if (full(fd, buf, (int)n, 1)) {
                    break;
                }
            }
            close(fd);
        }
    }
    if ((argc == 5 || argc == 6) && !strcmp(argv[1], "client")) {
        int count = atoi(argv[4]), size = argc == 6 ? atoi(argv[5]) : 1;
        double *t = calloc(count > 0 ? count : 1, sizeof(*t));
        struct timespec a, b;

        if (count <= 0 || size <= 0 || size > (int)sizeof(buf) || !t ||
            inet_pton(AF_INET, argv[2], &sa.sin_addr) != 1) {
            fprintf(stderr, "husk-rr: bad arguments\n");
            return 2;
        }
        sa.sin_port = htons(atoi(argv[3]));
        fd = socket(AF_INET, SOCK_STREAM, 0);
        if (connect(fd, (void *)&sa, sizeof(sa))) {
            perror("husk-rr: connect");
            return 1;
        }
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
        memset(buf, 'r', size);
        for (int i = 0; i < count; i++) {
            clock_gettime(CLOCK_MONOTONIC, &a);
            if (full(fd, buf, size, 1) || full(fd, buf, size, 0)) {
                fprintf(stderr, "husk-rr: connection lost\n");
                return 1;
            }
            clock_gettime(CLOCK_MONOTONIC, &b);
            t[i] = (b.tv_sec - a.tv_sec) * 1e6 + (b.tv_nsec - a.tv_nsec) / 1e3;
        }
        qsort(t, count, sizeof(*t), cmp);
        printf("RR_MED_US=%.0f RR_P99_US=%.0f RR_N=%d\n", t[count / 2],
               t[(int)(count * 0.99)], count);
        return 0;
    }
    if (argc == 5 && !strcmp(argv[1], "udpflood")) {
        struct timespec a, b;
        long sent = 0;
        double secs = atof(argv[4]);

        fd = socket(AF_INET, SOCK_DGRAM, 0);
        sa.sin_port = htons(atoi(argv[3]));
        if (inet_pton(AF_INET, argv[2], &sa.sin_addr) != 1 ||
            connect(fd, (void *)&sa, sizeof(sa))) {
            perror("husk-rr: udpflood");
            return 1;
        }
        memset(buf, 'u', 1400);
        clock_gettime(CLOCK_MONOTONIC, &a);
        do {
            for (int i = 0; i < 64; i++) {
                sent += send(fd, buf, 1400, 0) == 1400;
            }
            clock_gettime(CLOCK_MONOTONIC, &b);
        } while ((b.tv_sec - a.tv_sec) + (b.tv_nsec - a.tv_nsec) / 1e9 < secs);
        printf("UDP_SENT=%ld\n", sent);
        return 0;
    }
    fprintf(stderr,
            "usage: husk-rr server PORT | client ADDR PORT COUNT "
            "[SIZE] | udpflood ADDR PORT SECONDS\n");
    return 2;
}
