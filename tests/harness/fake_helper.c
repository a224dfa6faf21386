/*
 * fake_helper.c: see fake_helper.h.
 */
#include "harness/fake_helper.h"

#include <errno.h>
#include <glib.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

void fake_helper_spawn(struct fake_helper *h,
                       void (*serve)(int ctl, int evt, void *opaque),
                       void *opaque,
                       unsigned lifetime_s)
{
    int c[2], e[2];

    g_assert(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, c) == 0);
    g_assert(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, e) == 0);
    h->pid = fork();
    g_assert(h->pid >= 0);
    if (h->pid == 0) {
        close(c[0]);
        close(e[0]);
        signal(SIGALRM, SIG_DFL);
        alarm(lifetime_s);
        serve(c[1], e[1], opaque);
        _exit(0);
    }
    close(c[1]);
    close(e[1]);
    h->ctl = c[0];
    h->evt = e[0];
}

ssize_t fake_helper_recv(int sock,
                         void *buf,
                         size_t len,
                         int *out,
                         unsigned *nout)
{
    unsigned max = out && nout ? *nout : 0, got = 0;
    union {
        char b[CMSG_SPACE(sizeof(int) * 8)];
        struct cmsghdr align;
    } u;
    struct iovec iov = {buf, len};
    struct msghdr mh = {.msg_iov = &iov,
                        .msg_iovlen = 1,
                        .msg_control = u.b,
                        .msg_controllen = sizeof(u.b)};
    ssize_t n;

    do {
        n = recvmsg(sock, &mh, MSG_CMSG_CLOEXEC);
    } while (n < 0 && errno == EINTR);
    for (struct cmsghdr *c = n >= 0 ? CMSG_FIRSTHDR(&mh) : NULL; c;
         c = CMSG_NXTHDR(&mh, c)) {
        if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
            size_t k = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
            int fds[8];

            memcpy(fds, CMSG_DATA(c), MIN(k, 8) * sizeof(int));
            for (size_t i = 0; i < MIN(k, 8); i++) {
                if (got < max) {
                    out[got++] = fds[i];
                } else {
                    close(fds[i]);
                }
            }
        }
    }
    if (nout) {
        *nout = got;
    }
    return n;
}

bool fake_helper_send(int sock, const void *buf, size_t len, int fd)
{
    union {
        char b[CMSG_SPACE(sizeof(int))];
        struct cmsghdr align;
    } u;
    struct iovec iov = {(void *)buf, len};
    struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1};

    if (fd >= 0) {
        struct cmsghdr *c;

        memset(&u, 0, sizeof(u));
        mh.msg_control = u.b;
        mh.msg_controllen = sizeof(u.b);
        c = CMSG_FIRSTHDR(&mh);
        c->cmsg_level = SOL_SOCKET;
        c->cmsg_type = SCM_RIGHTS;
        c->cmsg_len = CMSG_LEN(sizeof(int));
        memcpy(CMSG_DATA(c), &fd, sizeof(int));
    }
    return sendmsg(sock, &mh, MSG_NOSIGNAL) == (ssize_t)len;
}

int fake_helper_wait(struct fake_helper *h, int ms)
{
    for (int waited = 0;; waited += 10) {
        int st;
        pid_t r = waitpid(h->pid, &st, WNOHANG);

        if (r == h->pid) {
            return st;
        }
        if (waited >= ms) {
            return -1;
        }
        g_usleep(10000);
    }
}
