/*
 * check_net_remote.c: virtio-net whose queues husk-slirp serves
 * (net_remote.h), with the real helper process: guest RAM on a memfd,
 * kick and interrupt eventfds as KVM would have them, the transport and
 * the test-side driver in this process.  Frames go through the helper's
 * slirp; resets must stop it touching guest memory; a malformed ring in
 * the helper must reach the driver as NEEDS_RESET; a helper that hangs
 * must not hang a reset.
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

#include "devices/backend/net_remote.h"
#include "devices/backend/net_user.h"
#include "devices/virtio/net.h"
#include "devices/virtio/virtio_mmio.h"
#include "harness/check_run.h"
#include "harness/hostile_peers.h"
#include "harness/frames.h"
#include "harness/test_vm.h"
#include "harness/vdriver.h"
#include "lib/util.h"

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
static struct vnet net;
static struct vdrv drv;
static GMainContext *ctx;
static int mem_fd, kick[2], irqfd;
static uint64_t txbuf, rxbuf;

/* The driver's side, from a reset device to DRIVER_OK (rings and buffers
 * at the same addresses each time). */
static void bring_up(void)
{
    vdrv_init(&drv, &tm, &bus, BASE, 0x10000, RAM);
    vdrv_bringup(&drv, VIRTIO_ID_NET, MRG, 2, QSZ);
    txbuf = vdrv_alloc(&drv, 64 * KiB, 16);
    rxbuf = vdrv_alloc(&drv, 64 * KiB, 16);
}

/* Guest RAM as husk makes it for --net user (one shared memfd), the
 * kick and interrupt eventfds, the bus and the I/O thread's context. */
static void guest_side(void)
{
    mem_fd = test_mem_init_shared(&tm, RAM);
    ck_assert_int_ge(mem_fd, 0);
    test_irq_init(&irq);
    bus_init(&bus, "mmio");
    ctx = g_main_context_new();
    kick[0] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    kick[1] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    irqfd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
}

/* The device on the bus, its backend bound to the guest side. */
static void plug(struct net_backend *be)
{
    struct netr_env env;

    env = (struct netr_env){.mem_fd = mem_fd,
                            .nr_regions = 1,
                            .region = {{0, RAM, 0}},
                            .kick_fd = {kick[0], kick[1]},
                            .irq_fd = irqfd};
    net_remote_bind(be, &env);
    ck_assert_int_eq(bus_add(&bus, "net", BASE, VIRTIO_MMIO_SIZE,
                             &virtio_mmio_ops, &net.vdev),
                     0);
}

static void setup(void)
{
    struct net_user_opts o = {.ipv6 = false, .mtu = 1500};
    g_autoptr(GError) err = NULL;
    struct net_backend *be;

    guest_side();
    be = net_user_new(&o, ctx, &err);
    ck_assert_msg(be, "net_user_new: %s", err ? err->message : "?");
    vnet_init(&net, be, mac, 1500, &tm.gm, &irq.line);
    ck_assert(net.vdev.queues_remote);
    plug(be);
    bring_up();
}

static void teardown(void)
{
    vnet_cleanup(&net); /* closes the helper's sockets: it exits */
    g_main_context_unref(ctx);
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
    /* The queue bit came through the shared ISR word. */
    ck_assert_uint_eq(
        vdrv_rd(&drv, VIRTIO_MMIO_INTERRUPT_STATUS) & VIRTIO_ISR_QUEUE,
        VIRTIO_ISR_QUEUE);
    vdrv_wr(&drv, VIRTIO_MMIO_INTERRUPT_ACK, VIRTIO_ISR_QUEUE);
    ck_assert_uint_eq(vdrv_rd(&drv, VIRTIO_MMIO_INTERRUPT_STATUS), 0);
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

    vdrv_wr(&drv, VIRTIO_MMIO_STATUS, 0);
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
    for (int i = 0; i < 500 && !(vdrv_status(&drv) & VIRTIO_S_NEEDS_RESET);
         i++) {
        g_main_context_iteration(ctx, FALSE);
        g_usleep(10000);
    }
    ck_assert_uint_ne(vdrv_status(&drv) & VIRTIO_S_NEEDS_RESET, 0);
    ck_assert_uint_ne(
        vdrv_rd(&drv, VIRTIO_MMIO_INTERRUPT_STATUS) & VIRTIO_ISR_CONFIG, 0);
    /* Reset and bring-up: the device works again. */
    vdrv_wr(&drv, VIRTIO_MMIO_STATUS, 0);
    bring_up();
    post_rx();
    send_arp();
    expect_arp_reply();
}
END_TEST

/* The helper: this process's one child. */
static pid_t helper_pid(void)
{
    char path[64], buf[64] = "";
    FILE *f;

    snprintf(path, sizeof(path), "/proc/self/task/%d/children", getpid());
    f = fopen(path, "r");
    ck_assert_ptr_nonnull(f);
    ck_assert_ptr_nonnull(fgets(buf, sizeof(buf), f));
    fclose(f);
    return (pid_t)atoi(buf);
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
    vdrv_wr(&drv, VIRTIO_MMIO_STATUS, 0);
    /* Bounded by NETR_REPLY_MS, and the helper is gone: it can no longer
     * touch guest memory. */
    ck_assert_int_lt(g_get_monotonic_time() - t0,
                     (NETR_REPLY_MS + 1000) * 1000LL);
    ck_assert_int_eq(waitpid(pid, &status, 0), pid);
    ck_assert(WIFSIGNALED(status));
    ck_assert_int_eq(WTERMSIG(status), SIGKILL);
    /* DRIVER_OK now fails cleanly: NEEDS_RESET, not a hang. */
    bring_up();
    ck_assert_uint_ne(vdrv_status(&drv) & VIRTIO_S_NEEDS_RESET, 0);
}
END_TEST

/* A forwarding rule on a port that is taken: the helper's own reason
 * reaches the user (the first byte of its message used to be read alone
 * and the rest of the record discarded: "failed to start (see above)"
 * with nothing above). */
START_TEST(busy_hostfwd_port_says_why)
{
    struct net_user_opts o = {.ipv6 = false, .mtu = 1500, .nr_fwd = 1};
    struct sockaddr_in a = {.sin_family = AF_INET};
    socklen_t alen = sizeof(a);
    g_autoptr(GError) err = NULL;
    g_autoptr(GMainContext) c = g_main_context_new();
    int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ck_assert_int_eq(bind(s, (struct sockaddr *)&a, sizeof(a)), 0);
    ck_assert_int_eq(listen(s, 1), 0);
    ck_assert_int_eq(getsockname(s, (struct sockaddr *)&a, &alen), 0);
    o.fwd[0] =
        (struct net_user_fwd){.host_port = ntohs(a.sin_port), .guest_port = 80};
    inet_pton(AF_INET, "127.0.0.1", &o.fwd[0].host_addr);
    inet_pton(AF_INET, "10.0.2.15", &o.fwd[0].guest_addr);
    ck_assert_ptr_null(net_user_new(&o, c, &err));
    ck_assert_msg(err && strstr(err->message, "cannot listen") &&
                      !strstr(err->message, "see above"),
                  "%s", err ? err->message : "no error");
    close(s);
}
END_TEST

/* A hostile helper instead of husk-slirp (harness/hostile_peers.c), with
 * the START sent as husk sends it: from the driver's DRIVER_OK write on a
 * vCPU thread under the vCPU seccomp filter, holding the NIC's lock.
 * husk survives, the vCPU is back within the reply deadline (at once if
 * the VM is stopping), the guest learns of it (NEEDS_RESET) and the
 * helper is killed; a helper that only tried to shrink the sealed memfds
 * got nowhere and START worked. */
START_TEST(hostile_helper)
{
    struct hp_helper_result r;

    hp_helper_run((enum hp_helper)_i, &r);
    ck_assert_int_lt(r.start_us, (NETR_REPLY_MS + 1000) * 1000LL);
    if (_i == HP_SILENT_VM_STOPS) {
        ck_assert_int_lt(r.start_us, 500 * 1000);
    }
    if (_i == HP_SHRINKS_MEMORY || _i == HP_OVERSIZED_EVENT) {
        ck_assert(!r.needs_reset); /* START was answered */
    } else {
        ck_assert(r.needs_reset);
    }
    ck_assert_msg(r.killed == (_i != HP_SHRINKS_MEMORY), "killed: %d",
                  r.killed);
    /* A reset afterwards returns at once. */
    ck_assert_int_lt(r.reset_us, 500 * 1000);
    ck_assert(r.reset_clean);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("net_remote");
    TCase *tc = tcase_create("helper");
    TCase *hostile = tcase_create("hostile");
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
    tcase_set_timeout(hostile, 30);
    tcase_add_loop_test(hostile, hostile_helper, 0, HP_COUNT);
    tcase_add_test(start, busy_hostfwd_port_says_why);
    suite_add_tcase(s, start);
    suite_add_tcase(s, hostile);
    return check_run(s);
}
