/*
 * husk-vsock: AF_VSOCK from a shell (busybox has none), for husk's
 * --vsock in the guest and on the host (vsock(7)):
 *   husk-vsock connect CID PORT   stdin to the peer, the peer to stdout;
 *                                 stdin's end half-closes the stream
 *   husk-vsock listen PORT        one connection, then the same relay
 *   husk-vsock listen PORT echo   one connection, everything sent back
 *   husk-vsock listen PORT echo N N connections, one after another
 *   husk-vsock rr CID PORT N      N 1-byte round trips to an echo peer:
 *                                 prints rr_us=MEAN (tests/bench/vsock.sh)
 *   husk-vsock bulk CID PORT MIB  MIB MiB to an echo peer and back:
 *                                 prints mb_per_s=RATE (both ways' bytes)
 * "listening" on stderr once the socket listens, so a script can wait.
 * Exit status 0 once the peer closed, 1 on an error (said on stderr).
 * On the host, socat VSOCK-CONNECT:CID:PORT - does the same as connect.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* accept4 */
#endif
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <linux/vm_sockets.h>

#define CHUNK 65536

static char buf[CHUNK];

static int die(const char *what)
{
    fprintf(stderr, "husk-vsock: %s: %s\n", what, strerror(errno));
    return 1;
}

static int write_all(int fd, const char *p, size_t n)
{
    while (n) {
        ssize_t w = write(fd, p, n);

        if (w < 0 && errno == EINTR) {
            continue;
        }
        if (w <= 0) {
            return -1;
        }
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

/* in -> s and s -> out until s ends; in's end half-closes s. */
static int relay(int s, int in, int out)
{
    struct pollfd p[2] = {{s, POLLIN, 0}, {in, POLLIN, 0}};

    for (;;) {
        if (poll(p, in >= 0 ? 2 : 1, -1) < 0) {
            if (errno == EINTR) {
                continue;
            }
            return die("poll");
        }
        if (p[0].revents) {
            ssize_t n = read(s, buf, sizeof(buf));

            if (n < 0) {
                return die("read");
            }
            if (n == 0) {
                return 0;
            }
            if (write_all(out, buf, (size_t)n) < 0) {
                return die("write");
            }
        }
        if (in >= 0 && p[1].revents) {
            ssize_t n = read(in, buf, sizeof(buf));

            if (n < 0) {
                return die("read stdin");
            }
            if (n == 0) {
                shutdown(s, SHUT_WR);
                in = -1;
            } else if (write_all(s, buf, (size_t)n) < 0) {
                return die("send");
            }
        }
    }
}

/* Everything read from s goes back, until s's peer half-closes. */
static int echo(int s)
{
    for (;;) {
        ssize_t n = read(s, buf, sizeof(buf));

        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0) {
            return die("read");
        }
        if (n == 0) {
            shutdown(s, SHUT_WR);
            return 0;
        }
        if (write_all(s, buf, (size_t)n) < 0) {
            return die("send");
        }
    }
}

static double now_s(void)
{
    struct timespec t;

    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* 1-byte round trips: the peer echoes each at once. */
static int round_trips(int s, unsigned long n)
{
    double t0 = now_s();
    char c = 'x';

    for (unsigned long i = 0; i < n; i++) {
        if (write(s, &c, 1) != 1 || read(s, &c, 1) != 1) {
            return die("round trip");
        }
    }
    printf("rr_us=%.1f\n", (now_s() - t0) * 1e6 / (double)(n ? n : 1));
    return 0;
}

/* mib MiB out while the echo comes back, both counted in the rate. */
static int bulk(int s, unsigned long mib)
{
    unsigned long long left = (unsigned long long)mib << 20, back = 0;
    unsigned long long want = left;
    struct pollfd p = {s, POLLIN | POLLOUT, 0};
    double t0 = now_s();

    memset(buf, 'b', sizeof(buf));
    while (back < want) {
        p.events = POLLIN | (left ? POLLOUT : 0);
        if (poll(&p, 1, -1) < 0) {
            return die("poll");
        }
        if ((p.revents & POLLOUT) && left) {
            size_t n = left < sizeof(buf) ? (size_t)left : sizeof(buf);
            ssize_t w = write(s, buf, n);

            if (w < 0) {
                return die("send");
            }
            left -= (unsigned long long)w;
            if (!left) {
                shutdown(s, SHUT_WR);
            }
        }
        if (p.revents & (POLLIN | POLLHUP)) {
            static char in[CHUNK];
            ssize_t r = read(s, in, sizeof(in));

            if (r <= 0) {
                return r < 0 ? die("read") : (errno = EPIPE, die("echo"));
            }
            back += (unsigned long long)r;
        }
    }
    printf("mb_per_s=%.1f\n", 2.0 * (double)want / 1e6 / (now_s() - t0));
    return 0;
}

/* A stream connected to CID:PORT, or -1 (said on stderr). */
static int vsock_connect(unsigned long cid, unsigned long port)
{
    struct sockaddr_vm a = {.svm_family = AF_VSOCK,
                            .svm_cid = (unsigned)cid,
                            .svm_port = (unsigned)port};
    int s = socket(AF_VSOCK, SOCK_STREAM | SOCK_CLOEXEC, 0);

    if (s < 0) {
        die("socket");
        return -1;
    }
    if (connect(s, (struct sockaddr *)&a, sizeof(a)) < 0) {
        die("connect");
        close(s);
        return -1;
    }
    return s;
}

static int number(const char *s, unsigned long max, unsigned long *out)
{
    char *end;

    errno = 0;
    *out = strtoul(s, &end, 10);
    return *s && !*end && !errno && *out <= max ? 0 : -1;
}

int main(int argc, char **argv)
{
    struct sockaddr_vm a = {.svm_family = AF_VSOCK};
    unsigned long cid, port, count = 1;
    int s;

    if (argc == 5 && (!strcmp(argv[1], "rr") || !strcmp(argv[1], "bulk")) &&
        !number(argv[2], 0xffffffffUL, &cid) &&
        !number(argv[3], 0xffffffffUL, &port) &&
        !number(argv[4], 1000000000UL, &count)) {
        s = vsock_connect(cid, port);
        if (s < 0) {
            return 1;
        }
        return argv[1][0] == 'r' ? round_trips(s, count) : bulk(s, count);
    }
    if (argc == 4 && !strcmp(argv[1], "connect") &&
        !number(argv[2], 0xffffffffUL, &cid) &&
        !number(argv[3], 0xffffffffUL, &port)) {
        s = vsock_connect(cid, port);
        if (s < 0) {
            return 1;
        }
        return relay(s, 0, 1);
    }
    if ((argc == 3 || argc == 4 || argc == 5) && !strcmp(argv[1], "listen") &&
        !number(argv[2], 0xffffffffUL, &port) &&
        (argc == 3 || !strcmp(argv[3], "echo")) &&
        (argc < 5 || !number(argv[4], 1000000, &count))) {
        int one = 1;

        a.svm_cid = VMADDR_CID_ANY;
        a.svm_port = (unsigned)port;
        s = socket(AF_VSOCK, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (s < 0) {
            return die("socket");
        }
        setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
        if (bind(s, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(s, 4) < 0) {
            return die("bind");
        }
        fprintf(stderr, "listening\n");
        for (unsigned long i = 0; i < count; i++) {
            int c = accept4(s, NULL, NULL, SOCK_CLOEXEC);
            int r;

            if (c < 0) {
                return die("accept");
            }
            r = argc >= 4 ? echo(c) : relay(c, 0, 1);
            close(c);
            if (r) {
                return r;
            }
        }
        return 0;
    }
    fprintf(stderr,
            "usage: husk-vsock connect CID PORT | listen PORT [echo [N]] |\n"
            "       rr CID PORT N | bulk CID PORT MIB\n");
    return 2;
}
