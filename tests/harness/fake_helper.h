/*
 * fake_helper.h: a stand-in for a device helper or backend process
 * (husk-slirp today, vhost-user backends next) that misbehaves on
 * purpose.  It is a real child process, so husk's pidfd, SIGKILL and
 * socket hang-ups work on it as on the real thing; what it does on its
 * sockets is the test's serve() function.
 */
#ifndef HUSK_TEST_FAKE_HELPER_H
#define HUSK_TEST_FAKE_HELPER_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct fake_helper {
    pid_t pid;
    int ctl, evt; /* husk's ends (SEQPACKET); ownership is the caller's */
};

/* Forks a child that runs serve(ctl, evt, opaque) on its ends of two
 * SEQPACKET socket pairs, then exits; it is killed after lifetime_s in
 * any case (SIGALRM), so no test leaves one behind. */
void fake_helper_spawn(struct fake_helper *h,
                       void (*serve)(int ctl, int evt, void *opaque),
                       void *opaque,
                       unsigned lifetime_s);

/* Child side: the next message on sock into buf; its length, 0 at EOF,
 * -1 on error.  Descriptors received go to fds (up to *nfds, which is set
 * to how many) or, with fds NULL or beyond that, are closed. */
ssize_t fake_helper_recv(int sock,
                         void *buf,
                         size_t len,
                         int *fds,
                         unsigned *nfds);
/* Child side: sends len bytes, with fd attached if fd >= 0. */
bool fake_helper_send(int sock, const void *buf, size_t len, int fd);

/* Parent side: waits up to ms for the child to end; its wait status, or
 * -1 if it is still running. */
int fake_helper_wait(struct fake_helper *h, int ms);

#endif
