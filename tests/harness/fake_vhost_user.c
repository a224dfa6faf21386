/*
 * fake_vhost_user.c: see fake_vhost_user.h.  The backend's side of the
 * messages husk sends (vhost-user.rst "Front-end message types"), each
 * answered as the spec says, unless the mode says otherwise.
 */
#include "harness/fake_vhost_user.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <linux/virtio_mmio.h>
#include <stdio.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "devices/backend/vhost_user.h"
#include "devices/virtio/vhost_user_dev.h"
#include "devices/virtio/virtio_mmio.h"
#include "harness/sandboxed.h"
#include "harness/test_vm.h"
#include "harness/vdriver.h"
#include "lib/util.h"

const char *const fvu_mode_name[FVU_MODES] = {
    "good",           "silent",           "huge reply",     "wrong request",
    "not a reply",    "fds in reply",     "no VERSION_1",   "truncated",
    "nack mem table", "close on kick",    "silent stop",    "wrong queue",
    "unasked",        "silent, VM stops", "shrinks memory", "floods calls"};

struct hdr {
    uint32_t request, flags, size;
} __attribute__((packed));

/* FVU_SHRINKS_MEMORY: what ftruncate of the guest RAM fd said (the
 * errno; 0 if it worked). */
static int shrink_errno = -1;
static bool try_shrink;
/* FVU_FLOOD_CALL: the last descriptor received is kept (a call fd). */
static bool keep_fds;
static int last_fd = -1;

static bool read_all(int fd, void *buf, size_t len)
{
    size_t got = 0;

    while (got < len) {
        /* A control buffer: descriptors husk sends are received and
         * closed below, as a backend would use them. */
        char cbuf[CMSG_SPACE(sizeof(int) * VHU_MAX_REGIONS)];
        struct iovec iov = {(char *)buf + got, len - got};
        struct msghdr mh = {.msg_iov = &iov,
                            .msg_iovlen = 1,
                            .msg_control = cbuf,
                            .msg_controllen = sizeof(cbuf)};
        ssize_t r = recvmsg(fd, &mh, 0);

        if (r <= 0) {
            return false;
        }
        for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c;
             c = CMSG_NXTHDR(&mh, c)) {
            if (c->cmsg_type == SCM_RIGHTS) {
                int n = (int)((c->cmsg_len - CMSG_LEN(0)) / sizeof(int));
                int fds[VHU_MAX_REGIONS];

                memcpy(fds, CMSG_DATA(c), sizeof(int) * (size_t)n);
                for (int i = 0; i < n; i++) {
                    if (try_shrink && i == 0) {
                        shrink_errno = ftruncate(fds[i], 0) == 0 ? 0 : errno;
                    }
                    if (keep_fds && i == 0) {
                        if (last_fd >= 0) {
                            close(last_fd);
                        }
                        last_fd = fds[i]; /* the caller's to use */
                        continue;
                    }
                    close(fds[i]);
                }
            }
        }
        got += (size_t)r;
    }
    return true;
}

static void reply(int fd,
                  uint32_t req,
                  uint32_t flags,
                  const void *p,
                  uint32_t size,
                  uint32_t claimed,
                  int nfds)
{
    struct hdr h = {req, flags, claimed};
    struct iovec iov[2] = {{&h, sizeof(h)}, {(void *)p, size}};
    char cbuf[CMSG_SPACE(sizeof(int) * 8)];
    struct msghdr mh = {.msg_iov = iov, .msg_iovlen = 2};

    if (nfds) {
        struct cmsghdr *c;
        int fds[8];

        for (int i = 0; i < nfds; i++) {
            fds[i] = open("/dev/null", O_RDONLY);
        }
        memset(cbuf, 0, sizeof(cbuf));
        mh.msg_control = cbuf;
        mh.msg_controllen = CMSG_SPACE(sizeof(int) * (size_t)nfds);
        c = CMSG_FIRSTHDR(&mh);
        c->cmsg_level = SOL_SOCKET;
        c->cmsg_type = SCM_RIGHTS;
        c->cmsg_len = CMSG_LEN(sizeof(int) * (size_t)nfds);
        memcpy(CMSG_DATA(c), fds, sizeof(int) * (size_t)nfds);
    }
    if (sendmsg(fd, &mh, MSG_NOSIGNAL) < 0) {
        _exit(0);
    }
}

static void serve(int fd, enum fvu_mode m)
{
    uint64_t features =
        (1ULL << VIRTIO_F_VERSION_1) | (1ULL << VHU_F_PROTOCOL_FEATURES);
    uint64_t pf = 1ULL << VHU_PF_REPLY_ACK;
    bool ack = false;
    int call_fd = -1;
    uint8_t payload[4096];
    struct hdr h;

    if (m == FVU_NO_VERSION_1) {
        features &= ~(1ULL << VIRTIO_F_VERSION_1);
    }
    try_shrink = m == FVU_SHRINKS_MEMORY;
    keep_fds = m == FVU_FLOOD_CALL;
    while (read_all(fd, &h, sizeof(h))) {
        uint32_t rf = VHU_FLAG_VERSION | VHU_FLAG_REPLY;
        uint64_t status = 0;

        if (h.size > sizeof(payload) || !read_all(fd, payload, h.size)) {
            return;
        }
        switch (h.request) {
        case VHU_GET_FEATURES:
            if (m == FVU_SILENT) {
                pause();
            }
            if (m == FVU_TRUNCATED) {
                reply(fd, h.request, rf, &features, 4, 8, 0);
                return;
            }
            reply(fd, m == FVU_WRONG_REQUEST ? VHU_GET_QUEUE_NUM : h.request,
                  m == FVU_NOT_A_REPLY ? VHU_FLAG_VERSION : rf, &features,
                  sizeof(features),
                  m == FVU_HUGE_REPLY ? 0xffffffffu : sizeof(features),
                  m == FVU_FDS_IN_REPLY ? 8 : 0);
            continue;
        case VHU_GET_PROTOCOL_FEATURES:
            reply(fd, h.request, rf, &pf, sizeof(pf), sizeof(pf), 0);
            continue;
        case VHU_SET_PROTOCOL_FEATURES:
            memcpy(&pf, payload, sizeof(pf));
            ack = (pf >> VHU_PF_REPLY_ACK) & 1;
            continue;
        case VHU_GET_VRING_BASE: {
            uint32_t st[2];

            if (m == FVU_SILENT_STOP || m == FVU_SILENT_VM_STOPS) {
                pause();
            }
            memcpy(st, payload, sizeof(st));
            st[0] += m == FVU_WRONG_QUEUE;
            st[1] = 0;
            reply(fd, h.request, rf, st, sizeof(st), sizeof(st), 0);
            continue;
        }
        case VHU_SET_VRING_CALL:
            if (m == FVU_FLOOD_CALL) {
                call_fd = last_fd;
                last_fd = -1;
            }
            break;
        case VHU_SET_VRING_KICK:
            if (m == FVU_CLOSE_ON_KICK) {
                return;
            }
            break;
        case VHU_SET_MEM_TABLE:
            status = m == FVU_NACK_MEM_TABLE ||
                     (m == FVU_SHRINKS_MEMORY && shrink_errno != EPERM);
            break;
        default:
            break;
        }
        if (ack && (h.flags & VHU_FLAG_NEED_REPLY)) {
            reply(fd, h.request, rf, &status, sizeof(status), sizeof(status),
                  0);
        }
        if (h.request == VHU_SET_VRING_ENABLE && m == FVU_UNASKED &&
            payload[0] == 1 && payload[4] == 1) {
            reply(fd, VHU_GET_FEATURES, rf, &features, sizeof(features),
                  sizeof(features), 0);
        }
        if (h.request == VHU_SET_VRING_ENABLE && m == FVU_FLOOD_CALL &&
            payload[0] == 1 && payload[4] == 1 && call_fd >= 0) {
            /* Interrupts without end, and no work in any ring. */
            static const uint64_t one = 1;

            for (;;) {
                if (write(call_fd, &one, sizeof(one)) < 0 && errno != EAGAIN) {
                    return;
                }
                usleep(20);
            }
        }
    }
}

pid_t fvu_start(enum fvu_mode m, int *sock, unsigned lifetime_s)
{
    int sv[2];
    pid_t pid;

    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) {
        return -1;
    }
    pid = fork();
    if (pid == 0) {
        close(sv[0]);
        signal(SIGALRM, SIG_DFL);
        alarm(lifetime_s);
        serve(sv[1], m);
        _exit(0);
    }
    close(sv[1]);
    *sock = sv[0];
    return pid;
}

/* ---- playing a mode against husk ---- */

#define FVU_RAM (4 * MiB)
#define FVU_BASE 0xd0000000ULL

struct fvu_play {
    struct test_mem tm;
    struct test_irq irq;
    struct bus bus;
    struct vudev dev;
    struct vdrv drv;
    int mem_fd, kick[2], call;
};

static int count_fds(void)
{
    DIR *d = opendir("/proc/self/fd");
    int n = 0;

    while (d && readdir(d)) {
        n++;
    }
    if (d) {
        closedir(d);
    }
    return n;
}

static void play_bring_up(void *o)
{
    struct fvu_play *p = o;

    vdrv_init(&p->drv, &p->tm, &p->bus, FVU_BASE, 0x10000, FVU_RAM);
    vdrv_bringup(&p->drv, 26, 1ULL << VIRTIO_F_VERSION_1, 2, 64);
}

static void play_reset(void *o)
{
    struct fvu_play *p = o;

    vdrv_wr(&p->drv, VIRTIO_MMIO_STATUS, 0);
}

static void play_watch(void *o)
{
    struct fvu_play *p = o;

    for (int i = 0; i < 200 && vudev_socket_event(&p->dev); i++) {
        g_usleep(10000);
    }
}

static bool play_call_was_cut;

static void play_cut_call(struct vudev *u)
{
    play_call_was_cut = true;
}

static void play_interrupts(void *o)
{
    struct fvu_play *p = o;
    uint64_t n;

    for (int i = 0; i < 20000 && !p->dev.lost; i++) {
        while (read(p->call, &n, sizeof(n)) < 0) {
            g_usleep(10);
        }
        vdrv_rd(&p->drv, VIRTIO_MMIO_INTERRUPT_STATUS);
    }
}

static bool always_stopping(struct vm_ctl *c)
{
    return true;
}

static struct vm_ctl stopping_ctl = {.stopping = always_stopping};

static int64_t timed(void (*fn)(void *), enum sandbox_role role, void *o)
{
    gint64 t0 = g_get_monotonic_time();

    run_sandboxed(role, role == SANDBOX_VCPU ? "vcpu0" : "io", fn, NULL, o, 30);
    return g_get_monotonic_time() - t0;
}

void fvu_play(enum fvu_mode m, struct fvu_outcome *o)
{
    struct fvu_play *p = g_new0(struct fvu_play, 1);
    g_autoptr(GError) err = NULL;
    int before, sock, st = 0;
    gint64 t0;
    pid_t pid;

    memset(o, 0, sizeof(*o));
    p->mem_fd = test_mem_init_shared(&p->tm, FVU_RAM);
    test_irq_init(&p->irq);
    bus_init(&p->bus, "mmio");
    p->kick[0] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    p->kick[1] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    p->call = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    before = count_fds();
    pid = fvu_start(m, &sock, 30);
    t0 = g_get_monotonic_time();
    o->init_ok = vudev_init_fs(&p->dev, sock, "share 'x'", "x", &p->tm.gm,
                               &p->irq.line, &err);
    vudev_set_backend_pidfd(&p->dev, (int)syscall(SYS_pidfd_open, pid, 0));
    o->longest_us = g_get_monotonic_time() - t0;
    if (!o->init_ok) {
        g_strlcpy(o->message, err ? err->message : "", sizeof(o->message));
    } else {
        struct vudev_env env;
        int64_t t;

        vudev_env_init(&env);
        env.mem_fd = p->mem_fd;
        env.nr_regions = 1;
        env.region[0] =
            (struct vhu_region){0, FVU_RAM, (uintptr_t)p->tm.low, 0};
        env.kick_fd[0] = p->kick[0];
        env.kick_fd[1] = p->kick[1];
        env.call_fd = p->call;
        vudev_bind(&p->dev, &env);
        bus_add(&p->bus, "fs", FVU_BASE, VIRTIO_MMIO_SIZE, &virtio_mmio_ops,
                &p->dev.vdev);
        t = timed(play_bring_up, SANDBOX_VCPU, p);
        o->longest_us = MAX(o->longest_us, t);
        o->isr = vdrv_rd(&p->drv, VIRTIO_MMIO_INTERRUPT_STATUS);
        o->tag0 = (uint8_t)vdrv_rd(&p->drv, VIRTIO_MMIO_CONFIG);
        if (m == FVU_FLOOD_CALL && !p->dev.lost) {
            /* KVM and the guest: each interrupt, an InterruptStatus read
             * (the driver's handler) on a vCPU thread. */
            p->dev.cut_call = play_cut_call;
            t = timed(play_interrupts, SANDBOX_VCPU, p);
            o->longest_us = MAX(o->longest_us, t);
            o->call_cut = play_call_was_cut;
        }
        if (!p->dev.lost) {
            /* Unasked messages are seen by the I/O thread's watch. */
            timed(play_watch, SANDBOX_MAIN, p);
        }
        if (!p->dev.lost) {
            /* A silent backend holds a reset no longer than the bound,
             * and not at all once the VM is stopping. */
            p->dev.conn.reply_ms = 300;
            if (m == FVU_SILENT_VM_STOPS) {
                p->dev.conn.reply_ms = VHU_REPLY_MS;
                p->dev.vdev.ctl = &stopping_ctl;
            }
            t = timed(play_reset, SANDBOX_VCPU, p);
            o->longest_us = MAX(o->longest_us, t);
            if (!p->dev.lost) {
                play_bring_up(p); /* and it comes back */
            }
        }
        o->needs_reset = vdrv_status(&p->drv) & VIRTIO_S_NEEDS_RESET;
        o->lost = p->dev.lost;
        g_strlcpy(o->message, p->dev.conn.why, sizeof(o->message));
    }
    vudev_cleanup(&p->dev);
    /* The fake exits at EOF unless husk killed it, or it is pausing. */
    for (int i = 0; i < 100 && waitpid(pid, &st, WNOHANG) == 0; i++) {
        g_usleep(10000);
        if (i == 99) {
            kill(pid, SIGKILL);
            waitpid(pid, &st, 0);
            st = 0; /* killed by us, not by husk */
        }
    }
    o->killed = WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL;
    o->fds_kept = count_fds() - before;
    munmap(p->tm.low, FVU_RAM);
    close(p->mem_fd);
    close(p->kick[0]);
    close(p->kick[1]);
    close(p->call);
    g_free(p);
}
