/*
 * check_exec.c: husk exec's host-side pieces, without a guest: the cpio
 * writer (read back by a newc reader written here), modules.dep reading
 * (hostile trees too), the bzImage release, the kernel config check, the
 * options (COMMAND's own options are not husk's), the kernel log's tail,
 * and a console port joined to a pipe (EOF to the guest; everything the
 * guest queued written out at the end).
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <glib/gstdio.h>
#include <linux/virtio_console.h>
#include <linux/virtio_ids.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "devices/virtio/console.h"
#include "devices/virtio/virtio_mmio.h"
#include "firmware/kernel_x86.h"
#include "harness/check_run.h"
#include "harness/fake_bzimage.h"
#include "harness/test_vm.h"
#include "harness/vdriver.h"
#include "lib/cpio.h"
#include "lib/error.h"
#include "lib/exec_proto.h"
#include "vmm/config.h"
#include "vmm/exec_kernel.h"
#include "vmm/host_console.h"
#include "vmm/kmod.h"
#include "vmm/kvm.h"
#include "vmm/port_pump.h"

/* A newc reader: the entries' names, modes, sizes and data, checking the
 * format as the kernel's unpacker does (magic, 4-byte padding). */
struct entry {
    char name[64];
    unsigned mode, size, rmajor, rminor;
    const uint8_t *data;
};

static unsigned hex8(const uint8_t *p)
{
    char b[9];

    memcpy(b, p, 8);
    b[8] = 0;
    return (unsigned)strtoul(b, NULL, 16);
}

static unsigned read_cpio(const uint8_t *p,
                          size_t len,
                          struct entry *e,
                          unsigned max)
{
    size_t off = 0;
    unsigned n = 0;

    for (;;) {
        unsigned namesize, size;

        ck_assert_uint_le(off + 110, len);
        ck_assert_mem_eq(p + off, "070701", 6);
        ck_assert_uint_lt(n, max);
        e[n].mode = hex8(p + off + 14);
        size = e[n].size = hex8(p + off + 54);
        e[n].rmajor = hex8(p + off + 78);
        e[n].rminor = hex8(p + off + 86);
        namesize = hex8(p + off + 94);
        ck_assert_uint_lt(namesize, sizeof(e[n].name));
        memcpy(e[n].name, p + off + 110, namesize);
        ck_assert_uint_eq(e[n].name[namesize - 1], 0);
        off = (off + 110 + namesize + 3) & ~(size_t)3;
        e[n].data = p + off;
        off = (off + size + 3) & ~(size_t)3;
        ck_assert_uint_le(off, len);
        if (!strcmp(e[n].name, "TRAILER!!!")) {
            ck_assert_uint_eq(off, len);
            return n;
        }
        n++;
    }
}

START_TEST(cpio_round_trip)
{
    struct cpio c;
    struct entry e[8];
    GByteArray *b;
    unsigned n;

    cpio_init(&c);
    cpio_dir(&c, "dev", S_IFDIR | 0755);
    cpio_node(&c, "dev/console", S_IFCHR | 0600, 5, 1);
    cpio_file(&c, "init", S_IFREG | 0755, "abcde", 5); /* needs padding */
    cpio_file(&c, "etc/empty", S_IFREG | 0644, "", 0);
    b = cpio_finish(&c);
    ck_assert_uint_eq(b->len % 4, 0);
    n = read_cpio(b->data, b->len, e, 8);
    ck_assert_uint_eq(n, 4);
    ck_assert_str_eq(e[0].name, "dev");
    ck_assert_uint_eq(e[0].mode, S_IFDIR | 0755);
    ck_assert_str_eq(e[1].name, "dev/console");
    ck_assert_uint_eq(e[1].mode, S_IFCHR | 0600);
    ck_assert_uint_eq(e[1].rmajor, 5);
    ck_assert_uint_eq(e[1].rminor, 1);
    ck_assert_str_eq(e[2].name, "init");
    ck_assert_uint_eq(e[2].size, 5);
    ck_assert_mem_eq(e[2].data, "abcde", 5);
    ck_assert_str_eq(e[3].name, "etc/empty");
    ck_assert_uint_eq(e[3].size, 0);
    g_byte_array_free(b, TRUE);
}
END_TEST

static char *tree;

static void write_tree(const char *dep, const char *builtin)
{
    g_autofree char *d = g_build_filename(tree, "modules.dep", NULL);
    g_autofree char *b = g_build_filename(tree, "modules.builtin", NULL);

    ck_assert(g_file_set_contents(d, dep, -1, NULL));
    if (builtin) {
        ck_assert(g_file_set_contents(b, builtin, -1, NULL));
    }
}

static void tree_setup(void)
{
    tree = g_dir_make_tmp("check-exec-XXXXXX", NULL);
    ck_assert(tree);
}

static void tree_teardown(void)
{
    g_autofree char *cmd = g_strdup_printf("rm -rf '%s'", tree);

    ck_assert_int_eq(system(cmd), 0);
    g_free(tree);
}

START_TEST(kmod_resolves_needs_first)
{
    struct kmod_index x;
    g_autoptr(GError) err = NULL;
    GPtrArray *f = g_ptr_array_new_with_free_func(g_free);

    write_tree(
        "kernel/fs/fuse/virtiofs.ko: kernel/fs/fuse/fuse.ko "
        "kernel/drivers/virtio/virtio.ko "
        "kernel/drivers/virtio/virtio_ring.ko\n"
        "kernel/fs/fuse/fuse.ko:\n"
        "kernel/drivers/virtio/virtio.ko: "
        "kernel/drivers/virtio/virtio_ring.ko\n"
        "kernel/drivers/virtio/virtio_ring.ko:\n"
        "kernel/drivers/misc/pvpanic/pvpanic-mmio.ko.xz: "
        "kernel/drivers/misc/pvpanic/pvpanic.ko.xz\n"
        "kernel/drivers/misc/pvpanic/pvpanic.ko.xz:\n",
        "kernel/fs/overlayfs/overlay.ko\n");
    ck_assert_msg(kmod_index_load(&x, tree, &err), "%s", err->message);
    ck_assert_int_eq(kmod_resolve(&x, "virtiofs", f), KMOD_FILE);
    ck_assert_uint_eq(f->len, 4);
    ck_assert_str_eq(f->pdata[0], "kernel/fs/fuse/fuse.ko");
    ck_assert_str_eq(f->pdata[1], "kernel/drivers/virtio/virtio_ring.ko");
    ck_assert_str_eq(f->pdata[2], "kernel/drivers/virtio/virtio.ko");
    ck_assert_str_eq(f->pdata[3], "kernel/fs/fuse/virtiofs.ko");
    /* '-' and '_' are one; compressed names; nothing listed twice. */
    ck_assert_int_eq(kmod_resolve(&x, "pvpanic_mmio", f), KMOD_FILE);
    ck_assert_int_eq(kmod_resolve(&x, "virtio", f), KMOD_FILE);
    ck_assert_uint_eq(f->len, 6);
    ck_assert_str_eq(f->pdata[5],
                     "kernel/drivers/misc/pvpanic/pvpanic-mmio.ko.xz");
    ck_assert_int_eq(kmod_resolve(&x, "overlay", f), KMOD_BUILTIN);
    ck_assert_int_eq(kmod_resolve(&x, "no_such", f), KMOD_MISSING);
    ck_assert_uint_eq(f->len, 6);
    kmod_index_clear(&x);
    g_ptr_array_free(f, TRUE);
}
END_TEST

/* The tree is the user's: paths out of it, junk and loops are refused or
 * end, never followed. */
START_TEST(kmod_hostile_trees)
{
    static const char *const bad[] = {
        "kernel/a.ko: ../../etc/shadow\n",
        "/etc/passwd.ko:\n",
        "kernel/a.ko kernel/b.ko\n",
        "kernel/a\x01.ko:\n",
    };
    struct kmod_index x;
    GPtrArray *f = g_ptr_array_new_with_free_func(g_free);

    for (unsigned i = 0; i < G_N_ELEMENTS(bad); i++) {
        g_autoptr(GError) err = NULL;

        write_tree(bad[i], NULL);
        ck_assert_msg(!kmod_index_load(&x, tree, &err), "accepted %s", bad[i]);
        ck_assert_int_eq(err->code, HUSK_EXIT_DATAERR);
        kmod_index_clear(&x);
    }
    /* A loop (a needs b, b needs a) resolves to both, once each. */
    write_tree("kernel/a.ko: kernel/b.ko\nkernel/b.ko: kernel/a.ko\n", NULL);
    ck_assert(kmod_index_load(&x, tree, NULL));
    ck_assert_int_eq(kmod_resolve(&x, "a", f), KMOD_FILE);
    ck_assert_uint_eq(f->len, 2);
    kmod_index_clear(&x);
    /* No modules.dep at all. */
    {
        g_autofree char *d = g_build_filename(tree, "modules.dep", NULL);
        g_autoptr(GError) err = NULL;

        g_unlink(d);
        ck_assert(!kmod_index_load(&x, tree, &err));
        ck_assert_int_eq(err->code, HUSK_EXIT_NOINPUT);
        kmod_index_clear(&x);
    }
    g_ptr_array_free(f, TRUE);
}
END_TEST

START_TEST(bzimage_release_from_the_header)
{
    static uint8_t img[1024 + 4096];
    static const char banner[] =
        "6.1.0-57-cloud-amd64 (debian-kernel@lists) #1";
    char rel[64];

    make_bzimage(img, 4096);
    ck_assert(!bzimage_release(img, sizeof(img), rel, sizeof(rel)));
    memcpy(img + 0x300, banner, sizeof(banner));
    put_le16(img + 0x20e, 0x100); /* 0x200 + 0x100 */
    ck_assert(bzimage_release(img, sizeof(img), rel, sizeof(rel)));
    ck_assert_str_eq(rel, "6.1.0-57-cloud-amd64");
    /* Too small a buffer: refused, not cut. */
    ck_assert(!bzimage_release(img, sizeof(img), rel, 8));
    /* A pointer past the end, a string running to the end. */
    put_le16(img + 0x20e, 0xfff0);
    ck_assert(!bzimage_release(img, sizeof(img), rel, sizeof(rel)));
    ck_assert(!bzimage_release(img, 0x300, rel, sizeof(rel)));
}
END_TEST

START_TEST(config_check_names_what_is_missing)
{
    g_autofree char *cfgp = g_build_filename(tree, "config", NULL);
    struct exec_kernel k = {.path = "bzImage", .config = cfgp};
    g_autoptr(GError) err = NULL;

    ck_assert(g_file_set_contents(
        cfgp,
        "CONFIG_DEVTMPFS=y\nCONFIG_VIRTIO_MMIO=y\nCONFIG_FUSE_FS=m\n"
        "# CONFIG_VIRTIO_FS is not set\nCONFIG_OVERLAY_FS=m\n"
        "CONFIG_VIRTIO_CONSOLE=y\n",
        -1, NULL));
    ck_assert(!exec_kernel_check(&k, &err));
    ck_assert_int_eq(err->code, HUSK_EXIT_EXEC_GUEST);
    ck_assert_msg(strstr(err->message, "virtio-fs (CONFIG_VIRTIO_FS)"), "%s",
                  err->message);
    ck_assert_msg(!strstr(err->message, "OVERLAY"), "%s", err->message);
    g_clear_error(&err);
    ck_assert(g_file_set_contents(
        cfgp,
        "CONFIG_DEVTMPFS=y\nCONFIG_VIRTIO_MMIO=y\nCONFIG_FUSE_FS=m\n"
        "CONFIG_VIRTIO_FS=m\nCONFIG_OVERLAY_FS=m\nCONFIG_VIRTIO_CONSOLE=y\n",
        -1, NULL));
    ck_assert(exec_kernel_check(&k, NULL));
    k.config = NULL; /* none found: the guest's init checks */
    ck_assert(exec_kernel_check(&k, NULL));
}
END_TEST

static bool parse_exec(char **argv,
                       int argc,
                       struct vm_config *cfg,
                       GError **err)
{
    enum config_action act;

    return config_parse_exec(argc, argv, cfg, &act, err);
}

START_TEST(exec_options_end_at_command)
{
    char *a1[] = {"exec", "--cpus", "2",      "--env", "A_1=x=y",
                  "ls",   "-l",     "--cpus", NULL};
    char *a2[] = {"exec", "-v", "--", "sh", "-c", "exit 3", NULL};
    struct vm_config cfg;

    ck_assert(parse_exec(a1, 8, &cfg, NULL));
    ck_assert_uint_eq(cfg.cpus, 2);
    ck_assert_str_eq(cfg.exec.argv[0], "ls");
    ck_assert_str_eq(cfg.exec.argv[1], "-l");
    ck_assert_str_eq(cfg.exec.argv[2], "--cpus");
    ck_assert_ptr_null(cfg.exec.argv[3]);
    ck_assert_uint_eq(cfg.exec.nr_env, 1);
    ck_assert_str_eq(cfg.exec.env[0], "A_1=x=y");
    ck_assert_ptr_null(cfg.kernel);  /* exec.c finds one */
    ck_assert_ptr_null(cfg.cmdline); /* exec.c's, unless --cmdline */
    config_clear(&cfg);
    ck_assert(parse_exec(a2, 6, &cfg, NULL));
    ck_assert(cfg.exec.verbose);
    ck_assert_str_eq(cfg.exec.argv[2], "exit 3");
    config_clear(&cfg);
}
END_TEST

START_TEST(exec_bad_options_are_one_line_64)
{
    static const struct {
        const char *args[8];
        const char *says;
    } bad[] = {
        {{"exec", NULL}, "no command given"},
        {{"exec", "--env", "1A=x", "true", NULL}, "--env '1A=x'"},
        {{"exec", "--env", "NOVALUE", "true", NULL}, "NAME=VALUE"},
        {{"exec", "--rw", "/tmp,ro", "true", NULL}, "--rw '/tmp,ro'"},
        {{"exec", "--share", "/tmp,tag=husk-root", "true", NULL},
         "husk exec's own"},
        {{"exec", "--initrd", "x", "true", NULL}, "makes the initrd"},
        {{"exec", "--console", "virtio", "true", NULL}, "the console"},
        {{"exec", "--bogus", "true", NULL}, "see husk exec --help"},
        {{"exec", "--share", "/tmp", "--rw", "/tmp", "true", NULL},
         "--rw '/tmp': tag 'tmp' is taken by --share '/tmp'"},
    };

    for (unsigned i = 0; i < G_N_ELEMENTS(bad); i++) {
        struct vm_config cfg;
        g_autoptr(GError) err = NULL;
        int argc = 0;

        while (bad[i].args[argc]) {
            argc++;
        }
        ck_assert_msg(!parse_exec((char **)bad[i].args, argc, &cfg, &err),
                      "case %u accepted", i);
        ck_assert_int_eq(err->code, HUSK_EXIT_USAGE);
        ck_assert_msg(strstr(err->message, bad[i].says), "case %u: %s", i,
                      err->message);
        ck_assert_ptr_null(strchr(err->message, '\n'));
        config_clear(&cfg);
    }
    /* husk run has none of exec's own options. */
    {
        char *run[] = {"run", "--kernel", "k", "--modules", "/tmp", NULL};
        struct vm_config cfg;
        enum config_action act;
        g_autoptr(GError) err = NULL;

        ck_assert(!config_parse_run(5, run, &cfg, &act, &err));
        ck_assert_msg(strstr(err->message, "unknown option '--modules'"), "%s",
                      err->message);
        config_clear(&cfg);
    }
}
END_TEST

START_TEST(console_tail_keeps_the_last_lines)
{
    struct console c;
    g_autofree char *t = NULL;
    GString *big = g_string_new(NULL);

    console_init(&c, NULL, NULL, -1, -1);
    console_keep_tail(&c);
    for (int i = 0; i < 3000; i++) {
        g_string_append_printf(big, "line %d\n", i);
    }
    console_uart_tx(&c, (const uint8_t *)big->str, big->len);
    console_uart_tx(&c, (const uint8_t *)"\x1b[0mKernel panic\x07", 17);
    t = console_tail(&c, 3);
    ck_assert_str_eq(t, "line 2998\nline 2999\n[0mKernel panic\n");
    {
        /* All that is kept, for the search for a panic's first line. */
        g_autofree char *all = console_tail(&c, UINT_MAX);

        ck_assert_uint_le(strlen(all), CONSOLE_TAIL_SIZE + 1);
        ck_assert_uint_gt(strlen(all), CONSOLE_TAIL_SIZE - 100);
        ck_assert(g_str_has_suffix(all, "[0mKernel panic\n"));
    }
    ck_assert_uint_eq(c.ring_len, 0); /* out_fd -1: kept only */
    ck_assert_uint_eq(c.dropped, 0);
    console_stop_flush(&c, 0);
    console_cleanup(&c);
    g_string_free(big, TRUE);
}
END_TEST

/* A port joined to pipes through the real device and a test driver. */
#define RAM (2 * MiB)
#define BASE 0xd0000000ULL

static struct test_mem tm;
static struct test_irq irq;
static struct bus bus;
static struct vdrv drv;

static void ctrl(uint32_t id, uint16_t event, uint16_t value)
{
    uint64_t a = vdrv_alloc(&drv, 8, 8);
    struct vdrv_buf b = {a, 8, false};

    put_le32(tm.low + a, id);
    put_le16(tm.low + a + 4, event);
    put_le16(tm.low + a + 6, value);
    vdrv_add_chain(&drv, VCON_CTRL_TX, &b, 1);
    vdrv_kick(&drv, VCON_CTRL_TX);
}

START_TEST(pump_eof_reaches_the_guest_and_output_is_drained)
{
    static const char *const names[2] = {EXEC_PORT_STDIN, EXEC_PORT_STDOUT};
    GMainContext *ctx = g_main_context_new();
    struct pump pin, pout;
    struct vcon_sink *sinks[2];
    struct vcon con;
    int in[2], out[2];
    uint64_t rx = 0;
    bool closed = false;
    char got[16] = {0};

    ck_assert_int_eq(pipe(in), 0);
    ck_assert_int_eq(pipe2(out, O_NONBLOCK), 0);
    test_mem_init(&tm, RAM, 0);
    test_irq_init(&irq);
    bus_init(&bus, "mmio");
    pump_init(&pin, ctx, in[0], true, NULL);
    pump_init(&pout, ctx, out[1], false, NULL);
    sinks[0] = pump_sink(&pin);
    sinks[1] = pump_sink(&pout);
    vcon_init_ports(&con, 2, names, sinks, &tm.gm, &irq.line);
    ck_assert_int_eq(bus_add(&bus, "con", BASE, VIRTIO_MMIO_SIZE,
                             &virtio_mmio_ops, &con.vdev),
                     0);
    vdrv_init(&drv, &tm, &bus, BASE, 0x10000, RAM);
    vdrv_bringup(
        &drv, VIRTIO_ID_CONSOLE,
        (1ULL << VIRTIO_F_VERSION_1) | (1ULL << VIRTIO_CONSOLE_F_MULTIPORT), 6,
        16);
    pump_start(&pin, &con, 0);
    pump_start(&pout, &con, 1);
    for (int i = 0; i < 8; i++) { /* control receive buffers */
        struct vdrv_buf b = {vdrv_alloc(&drv, 64, 8), 64, true};

        vdrv_add_chain(&drv, VCON_CTRL_RX, &b, 1);
    }
    vdrv_kick(&drv, VCON_CTRL_RX);
    ctrl(0, VIRTIO_CONSOLE_DEVICE_READY, 1);
    ctrl(0, VIRTIO_CONSOLE_PORT_READY, 1);
    ctrl(1, VIRTIO_CONSOLE_PORT_READY, 1);
    ctrl(0, VIRTIO_CONSOLE_PORT_OPEN, 1);
    {
        struct vdrv_buf b = {vdrv_alloc(&drv, 16, 1), 16, true};

        rx = b.gpa;
        vdrv_add_chain(&drv, VCON_RX, &b, 1);
        vdrv_kick(&drv, VCON_RX);
    }
    /* stdin: "a\0b", then end of file. */
    ck_assert_int_eq(write(in[1], "a\0b", 3), 3);
    close(in[1]);
    for (int i = 0; i < 100 && !closed; i++) {
        uint16_t h;
        uint32_t l;

        g_main_context_iteration(ctx, FALSE);
        while (vdrv_get_used(&drv, VCON_CTRL_RX, &h, &l)) {
            const uint8_t *m =
                tm.low + get_le64(tm.low + drv.q[VCON_CTRL_RX].desc + 16u * h);

            closed |= get_le32(m) == 0 &&
                      get_le16(m + 4) == VIRTIO_CONSOLE_PORT_OPEN &&
                      get_le16(m + 6) == 0;
        }
    }
    ck_assert_msg(closed, "the host's side of stdin never closed");
    ck_assert_mem_eq(tm.low + rx, "a\0b", 3);
    /* stdout: the guest queues output and ends before it is written. */
    {
        uint64_t a = vdrv_alloc(&drv, 5, 1);
        struct vdrv_buf b = {a, 5, false};

        memcpy(tm.low + a, "bye\n!", 5);
        vdrv_add_chain(&drv, 5, &b, 1); /* port 1's transmitq */
    }
    pump_finish(&pin, 0);
    pump_finish(&pout, 1000);
    ck_assert_int_eq(read(out[0], got, sizeof(got)), 5);
    ck_assert_mem_eq(got, "bye\n!", 5);
    pump_cleanup(&pin);
    pump_cleanup(&pout);
    vcon_cleanup(&con);
    test_mem_free(&tm);
    close(in[0]);
    close(out[0]);
    close(out[1]);
    g_main_context_unref(ctx);
}
END_TEST

struct exit_seen {
    struct vm_ctl ctl;
    enum vm_exit_reason r;
    int status, calls;
};

static void seen_exit(struct vm_ctl *c, enum vm_exit_reason r, int status)
{
    struct exit_seen *e = (struct exit_seen *)c;

    e->r = r;
    e->status = status;
    e->calls++;
}

/* A reader that went away ends the VM as SIGPIPE ends a writer (else the
 * guest's writer would wait on its port forever: yes | head -1). */
START_TEST(pump_reader_gone_is_sigpipe)
{
    struct exit_seen e = {.ctl.request_exit = seen_exit};
    struct pump p;
    int fds[2];
    ssize_t n;

    signal(SIGPIPE, SIG_IGN); /* as husk's main() */
    ck_assert_int_eq(pipe(fds), 0);
    close(fds[0]);
    pump_init(&p, NULL, fds[1], false, &e.ctl);
    n = pump_sink(&p)->write(pump_sink(&p), "y\n", 2);
    ck_assert_int_eq(n, 2); /* taken (dropped), never -EAGAIN forever */
    ck_assert_int_eq(e.calls, 1);
    ck_assert_int_eq(e.r, VM_EXIT_SIGNAL);
    ck_assert_int_eq(e.status, SIGPIPE);
    ck_assert_int_eq(pump_sink(&p)->write(pump_sink(&p), "y\n", 2), 2);
    close(fds[1]);
}
END_TEST

/* On a PVM /dev/kvm husk exec says at once that Linux cannot boot (it
 * used to spin in the vCPU for minutes, 4.5 here, before KVM gave up). */
START_TEST(exec_on_pvm_is_refused_at_once)
{
    char *argv[] = {HUSK_BIN, "exec", "--", "true", NULL};
    g_autofree char *out = NULL, *err = NULL;
    gint64 t0 = g_get_monotonic_time();
    int ws = 0;

    if (kvm_backing() != KVM_BACKING_PVM) {
        check_skip(
            "exec_on_pvm_is_refused_at_once: this host's /dev/kvm "
            "is not PVM");
        return;
    }
    ck_assert(g_spawn_sync(NULL, argv, NULL, G_SPAWN_STDIN_FROM_DEV_NULL, NULL,
                           NULL, &out, &err, &ws, NULL));
    ck_assert_msg(WIFEXITED(ws) && WEXITSTATUS(ws) == HUSK_EXIT_UNAVAILABLE,
                  "status 0x%x: %s", ws, err);
    ck_assert_msg(strstr(err, "PVM") && strstr(err, "cannot boot a Linux"),
                  "%s", err);
    ck_assert_int_lt(g_get_monotonic_time() - t0, 5 * G_USEC_PER_SEC);
}
END_TEST

int main(int argc, char **argv)
{
    /* Host-dependent (it may skip): a meson test of its own. */
    const struct check_case pvm[] = {
        {"exec_on_pvm_is_refused_at_once", exec_on_pvm_is_refused_at_once},
    };
    Suite *s;

    if (argc > 1) {
        return check_run_case("exec", pvm, G_N_ELEMENTS(pvm), argv[1], 30);
    }
    s = suite_create("exec");
    TCase *tc = tcase_create("exec");

    tcase_add_checked_fixture(tc, tree_setup, tree_teardown);
    tcase_add_test(tc, cpio_round_trip);
    tcase_add_test(tc, kmod_resolves_needs_first);
    tcase_add_test(tc, kmod_hostile_trees);
    tcase_add_test(tc, bzimage_release_from_the_header);
    tcase_add_test(tc, config_check_names_what_is_missing);
    tcase_add_test(tc, exec_options_end_at_command);
    tcase_add_test(tc, exec_bad_options_are_one_line_64);
    tcase_add_test(tc, console_tail_keeps_the_last_lines);
    tcase_add_test(tc, pump_eof_reaches_the_guest_and_output_is_drained);
    tcase_add_test(tc, pump_reader_gone_is_sigpipe);
    suite_add_tcase(s, tc);
    return check_run(s);
}
