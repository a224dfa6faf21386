/*
 * check_net_user.c: --net user: virtio-net over vhost-user with the real
 * husk-slirp (husk-slirp/main.c) started as husk starts it
 * (vmm/user_net.c): guest RAM on a memfd, kick, call and error eventfds as
 * KVM and husk's I/O thread would have them, the transport and the
 * test-side driver in this process, DRIVER_OK and resets on a thread
 * under the vCPU seccomp filter.  Frames go through husk-slirp's slirp;
 * resets must stop it touching guest memory; a malformed ring it finds
 * must reach the driver as NEEDS_RESET; a husk-slirp that hangs must not
 * hang a reset.
 */
#include <arpa/inet.h>
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <linux/virtio_ids.h>
#include <linux/virtio_mmio.h>
#include <linux/virtio_net.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "devices/backend/net_user.h"
#include "devices/virtio/net.h"
#include "devices/virtio/vhost_user_dev.h"
#include "devices/virtio/virtio_mmio.h"
#include "harness/check_run.h"
#include "harness/frames.h"
#include "harness/sandboxed.h"
#include "harness/test_vm.h"
#include "harness/vdriver.h"
#include "lib/error.h"
#include "lib/util.h"
#include "vmm/user_net.h"

#define RAM (4 * MiB)
#define BASE 0xd0000000ULL
#define QSZ 64
#define MRG                                                      \
    ((1ULL << VIRTIO_F_VERSION_1) | (1ULL << VIRTIO_NET_F_MAC) | \
     (1ULL << VIRTIO_NET_F_STATUS) | (1ULL << VIRTIO_NET_F_MRG_RXBUF))

static const uint8_t mac[6] = {0x52, 0x54, 0x00, 0x12, 0x34, 0x56};
static struct test_mem tm;
static struct test_irq irq;
static struct bus bus;
static struct vudev dev;
static struct backend_proc proc;
static struct vdrv drv;
static int mem_fd, kick[2], irqfd, err_fd[2];
static uint64_t txbuf, rxbuf;

/* The driver's side, from a reset device to DRIVER_OK (rings and buffers
 * at the same addresses each time), on a thread under the vCPU filter
 * (the Status write sends the vhost-user messages). */
static void bring_up_fn(void *o)
{
    vdrv_init(&drv, &tm, &bus, BASE, 0x10000, RAM);
    vdrv_bringup(&drv, VIRTIO_ID_NET, MRG, 2, QSZ);
    txbuf = vdrv_alloc(&drv, 64 * KiB, 16);
    rxbuf = vdrv_alloc(&drv, 64 * KiB, 16);
}

static void bring_up(void)
{
    run_sandboxed(SANDBOX_VCPU, "vcpu0", bring_up_fn, NULL, NULL, 30);
}

static void reset_fn(void *o)
{
    vdrv_wr(&drv, VIRTIO_MMIO_STATUS, 0);
}

static void reset(void)
{
    run_sandboxed(SANDBOX_VCPU, "vcpu0", reset_fn, NULL, NULL, 30);
}

/* Guest RAM as husk makes it for --net user (one shared memfd), the
 * kick, interrupt and error eventfds, the bus. */
static void guest_side(void)
{
    mem_fd = test_mem_init_shared(&tm, RAM);
    ck_assert_int_ge(mem_fd, 0);
    test_irq_init(&irq);
    bus_init(&bus, "mmio");
    kick[0] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    kick[1] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    irqfd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    err_fd[0] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    err_fd[1] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
}

/* husk-slirp as vm_vhost_user.c starts it; NULL and *err if it did not
 * come up. */
static bool start_helper(const struct net_user_opts *o, GError **err)
{
    g_autofree char *prog = unet_program();
    int sock = unet_start(o, prog, &proc, err);

    if (sock < 0) {
        return false;
    }
    if (!vudev_init_net(&dev, sock, "--net user", mac, 1500, &tm.gm, &irq.line,
                        err)) {
        unet_failed(&proc, "--net user", err);
        return false;
    }
    vudev_set_backend_pidfd(&dev, bproc_server_pidfd(&proc));
    return true;
}

/* The device on the bus, bound to the guest side. */
static void plug(void)
{
    struct vudev_env env;

    vudev_env_init(&env);
    env.mem_fd = mem_fd;
    env.nr_regions = 1;
    env.region[0] = (struct vhu_region){0, RAM, (uintptr_t)tm.low, 0};
    env.kick_fd[0] = kick[0];
    env.kick_fd[1] = kick[1];
    env.call_fd = irqfd;
    env.err_fd[0] = err_fd[0];
    env.err_fd[1] = err_fd[1];
    vudev_bind(&dev, &env);
    ck_assert_int_eq(bus_add(&bus, "net", BASE, VIRTIO_MMIO_SIZE,
                             &virtio_mmio_ops, &dev.vdev),
                     0);
}

static void setup(void)
{
    struct net_user_opts o = {.ipv6 = false, .mtu = 1500};
    g_autoptr(GError) err = NULL;

    guest_side();
    ck_assert_msg(start_helper(&o, &err), "husk-slirp: %s",
                  err ? err->message : "?");
    plug();
    bring_up();
    ck_assert_uint_eq(vdrv_status(&drv) & VIRTIO_S_NEEDS_RESET, 0);
}

static void teardown(void)
{
    bproc_stop(&proc, 1000);
    vudev_cleanup(&dev); /* closes the error eventfds too */
    munmap(tm.low, RAM);
    close(mem_fd);
    close(kick[0]);
    close(kick[1]);
    close(irqfd);
}

/* Four 2 KiB RX buffers. */
static void post_rx(void)
{
    for (unsigned i = 0; i < 4; i++) {
        struct vdrv_buf b = {rxbuf + i * 2048, 2048, true};

        vdrv_publish(&drv, VNET_RX, vdrv_add_chain(&drv, VNET_RX, &b, 1));
    }
    vdrv_kick(&drv, VNET_RX);
}

/* An ARP request for the gateway, behind a zeroed virtio-net header. */
static void send_arp(void)
{
    uint8_t *p = tm.low + txbuf;
    struct vdrv_buf b;

    memset(p, 0, NET_HDR_LEN);
    b = (struct vdrv_buf){
        txbuf,
        NET_HDR_LEN + frame_arp_request(p + NET_HDR_LEN, mac, "10.0.2.2"),
        false};
    vdrv_publish(&drv, VNET_TX, vdrv_add_chain(&drv, VNET_TX, &b, 1));
    vdrv_kick(&drv, VNET_TX);
}

/* Waits for the irqfd (the helper's interrupt); false after ms. */
static bool wait_irq(int ms)
{
    struct pollfd pfd = {irqfd, POLLIN, 0};
    uint64_t n;

    if (poll(&pfd, 1, ms) != 1) {
        return false;
    }
    return read(irqfd, &n, sizeof(n)) == sizeof(n);
}

/* Waits for an RX frame; its length (header included), 0 after 5 s. */
static uint32_t wait_rx(uint16_t *head)
{
    uint32_t len;

    for (int i = 0; i < 50; i++) {
        if (vdrv_get_used(&drv, VNET_RX, head, &len)) {
            return len;
        }
        wait_irq(100);
    }
    return 0;
}

static void expect_arp_reply(void)
{
    uint16_t head;
    uint32_t len = wait_rx(&head);
    const uint8_t *f;

    ck_assert_uint_ge(len, NET_HDR_LEN + 42);
    f = tm.low + rxbuf + (uint64_t)head % 4 * 2048;
    /* Each chain is one buffer, posted in order: chain i at buffer i. */
    ck_assert_uint_eq(get_le16(f + 10), 1); /* num_buffers */
    f += NET_HDR_LEN;
    ck_assert_uint_eq(f[12], 0x08);
    ck_assert_uint_eq(f[13], 0x06);
    ck_assert_uint_eq(f[14 + 7], 2); /* reply */
    ck_assert_mem_eq(f, mac, 6);
    ck_assert_uint_eq(f[14 + 14], 10);
    ck_assert_uint_eq(f[14 + 17], 2); /* from 10.0.2.2 */
}

START_TEST(arp_answered_by_the_helper)
{
    uint16_t head;
    uint32_t len;

    post_rx();
    send_arp();
    expect_arp_reply();
    /* husk-slirp cannot set the queue bit; the transport shows it. */
    ck_assert_uint_eq(
        vdrv_rd(&drv, VIRTIO_MMIO_INTERRUPT_STATUS) & VIRTIO_ISR_QUEUE,
        VIRTIO_ISR_QUEUE);
    /* The TX chain came back. */
    for (int i = 0; i < 50 && !vdrv_get_used(&drv, VNET_TX, &head, &len); i++) {
        wait_irq(100);
    }
    ck_assert_uint_eq(len, 0);
}
END_TEST

/* Frames for the guest wait in the helper while it has no buffers. */
START_TEST(rx_waits_for_buffers)
{
    send_arp();
    wait_irq(500);
    post_rx();
    expect_arp_reply();
}
END_TEST

START_TEST(reset_stops_the_helper)
{
    uint16_t head;
    uint32_t len;
    uint64_t one = 1;

    reset();
    ck_assert_uint_eq(vdrv_status(&drv), 0);
    /* The old rings, written and kicked as a driver gone wrong would:
     * nothing may be taken or written once the reset returned. */
    post_rx();
    send_arp();
    ck_assert_int_eq(write(kick[0], &one, sizeof(one)), sizeof(one));
    ck_assert_int_eq(write(kick[1], &one, sizeof(one)), sizeof(one));
    ck_assert(!wait_irq(300));
    ck_assert(!vdrv_get_used(&drv, VNET_TX, &head, &len));
    ck_assert(!vdrv_get_used(&drv, VNET_RX, &head, &len));
    /* A new bring-up works: the helper was started a second time. */
    bring_up();
    post_rx();
    send_arp();
    expect_arp_reply();
}
END_TEST

START_TEST(malformed_ring_in_the_helper_needs_reset)
{
    /* A TX descriptor pointing past guest RAM: the helper's vq_pop
     * refuses it, and husk must learn of it. */
    vdrv_publish(&drv, VNET_TX,
                 vdrv_add_chain(&drv, VNET_TX,
                                &(struct vdrv_buf){RAM + 4096, 64, false}, 1));
    vdrv_kick(&drv, VNET_TX);
    /* husk's I/O thread watches the error eventfds (vm_vhost_user.c). */
    {
        struct pollfd pfd = {err_fd[VNET_TX], POLLIN, 0};

        ck_assert_int_eq(poll(&pfd, 1, 5000), 1);
        vudev_ring_error(&dev, VNET_TX);
    }
    ck_assert_uint_ne(vdrv_status(&drv) & VIRTIO_S_NEEDS_RESET, 0);
    ck_assert_uint_ne(
        vdrv_rd(&drv, VIRTIO_MMIO_INTERRUPT_STATUS) & VIRTIO_ISR_CONFIG, 0);
    /* Reset and bring-up: the device works again. */
    reset();
    bring_up();
    post_rx();
    send_arp();
    expect_arp_reply();
}
END_TEST

static pid_t helper_pid(void)
{
    return bproc_server_pid(&proc);
}

/* Started by root, husk-slirp runs as nobody with no capability (it
 * could otherwise open packet sockets or read any file). */
START_TEST(helper_runs_unprivileged)
{
    g_autofree char *path = g_strdup_printf("/proc/%d/status", helper_pid());
    g_autofree char *st = NULL;

    if (getuid() != 0) {
        check_skip(
            "helper_runs_unprivileged: not run as root, nothing to "
            "drop");
        return;
    }
    ck_assert(g_file_get_contents(path, &st, NULL, NULL));
    ck_assert_msg(
        strstr(st, "\nUid:\t65534\t65534\t65534\t65534\n") &&
            strstr(st, "\nGid:\t65534\t65534\t65534\t65534\n") &&
            (strstr(st, "\nGroups:\t\n") || strstr(st, "\nGroups:\t \n")) &&
            strstr(st, "\nCapEff:\t0000000000000000\n") &&
            strstr(st, "\nCapPrm:\t0000000000000000\n"),
        "%s", st);
}
END_TEST

START_TEST(hung_helper_does_not_hang_a_reset)
{
    pid_t pid = helper_pid();
    gint64 t0;
    int status;

    ck_assert_int_gt(pid, 0);
    ck_assert_int_eq(kill(pid, SIGSTOP), 0);
    t0 = g_get_monotonic_time();
    reset();
    /* Bounded by VHU_REPLY_MS, and the helper is gone: it can no longer
     * touch guest memory. */
    ck_assert_int_lt(g_get_monotonic_time() - t0,
                     (VHU_REPLY_MS + 1000) * 1000LL);
    ck_assert_int_eq(waitpid(pid, &status, 0), pid);
    proc.pid = 0; /* reaped here */
    ck_assert(WIFSIGNALED(status));
    ck_assert_int_eq(WTERMSIG(status), SIGKILL);
    /* DRIVER_OK now fails cleanly: NEEDS_RESET, not a hang. */
    bring_up();
    ck_assert_uint_ne(vdrv_status(&drv) & VIRTIO_S_NEEDS_RESET, 0);
}
END_TEST

/* A forwarding rule on a port that is taken: the helper's own reason
 * reaches the user in one line, with its status (71), before any guest
 * (its message once arrived cut to one byte: "failed to start (see
 * above)" with nothing above). */
START_TEST(busy_hostfwd_port_says_why)
{
    struct net_user_opts o = {.ipv6 = false, .mtu = 1500, .nr_fwd = 1};
    struct sockaddr_in a = {.sin_family = AF_INET};
    socklen_t alen = sizeof(a);
    g_autoptr(GError) err = NULL;
    int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ck_assert_int_eq(bind(s, (struct sockaddr *)&a, sizeof(a)), 0);
    ck_assert_int_eq(listen(s, 1), 0);
    ck_assert_int_eq(getsockname(s, (struct sockaddr *)&a, &alen), 0);
    o.fwd[0] =
        (struct net_user_fwd){.host_port = ntohs(a.sin_port), .guest_port = 80};
    inet_pton(AF_INET, "127.0.0.1", &o.fwd[0].host_addr);
    inet_pton(AF_INET, "10.0.2.15", &o.fwd[0].guest_addr);
    guest_side();
    ck_assert(!start_helper(&o, &err));
    ck_assert_msg(err && strstr(err->message, "cannot listen") &&
                      !strchr(err->message, '\n'),
                  "%s", err ? err->message : "no error");
    ck_assert_int_eq(err->code, HUSK_EXIT_OSERR);
    bproc_stop(&proc, 1000);
    close(s);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("net_user");
    TCase *tc = tcase_create("husk-slirp");
    TCase *start = tcase_create("start");

    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, arp_answered_by_the_helper);
    tcase_add_test(tc, rx_waits_for_buffers);
    tcase_add_test(tc, reset_stops_the_helper);
    tcase_add_test(tc, malformed_ring_in_the_helper_needs_reset);
    tcase_add_test(tc, hung_helper_does_not_hang_a_reset);
    tcase_add_test(tc, helper_runs_unprivileged);
    suite_add_tcase(s, tc);
    tcase_add_test(start, busy_hostfwd_port_says_why);
    suite_add_tcase(s, start);
    return check_run(s);
}
