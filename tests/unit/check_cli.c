/*
 * check_cli.c: command-line values, and husk's exit statuses for bad input
 * (the husk binary is run; none of these cases needs /dev/kvm).
 */
#include <arpa/inet.h>
#include <check.h>
#include <glib.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "vmm/cli.h"
#include "vmm/config.h"
#include "vmm/vm.h"
#include "lib/error.h"
#include "lib/util.h"
#include "harness/check_run.h"

START_TEST(sizes)
{
    uint64_t v;

    ck_assert(cli_parse_size("512M", &v));
    ck_assert_uint_eq(v, 512 * MiB);
    ck_assert(cli_parse_size("2G", &v));
    ck_assert_uint_eq(v, 2 * GiB);
    ck_assert(cli_parse_size("2GiB", &v));
    ck_assert_uint_eq(v, 2 * GiB);
    ck_assert(cli_parse_size("1024k", &v));
    ck_assert_uint_eq(v, MiB);
    ck_assert(cli_parse_size("256", &v));
    ck_assert_uint_eq(v, 256 * MiB);
    ck_assert(cli_parse_size("1T", &v));
    ck_assert_uint_eq(v, 1024 * GiB);
    ck_assert(!cli_parse_size("", &v));
    ck_assert(!cli_parse_size("-1G", &v));
    ck_assert(!cli_parse_size("12x", &v));
    ck_assert(!cli_parse_size("G", &v));
    ck_assert(!cli_parse_size("1.5G", &v));
    ck_assert(!cli_parse_size("99999999999999999999", &v));
    ck_assert(!cli_parse_size("17179869184T", &v)); /* overflows 2^64 */
}
END_TEST

START_TEST(counts)
{
    unsigned v;

    ck_assert(cli_parse_uint("4", &v));
    ck_assert_uint_eq(v, 4);
    ck_assert(!cli_parse_uint("", &v));
    ck_assert(!cli_parse_uint("-1", &v));
    ck_assert(!cli_parse_uint("2x", &v));
    ck_assert(!cli_parse_uint("99999999999", &v));
}
END_TEST

/* Runs husk with argv; returns its exit status and stderr. */
static int run_husk(const char *const *args, char **err_out)
{
    GPtrArray *argv = g_ptr_array_new();
    int status = -1;
    GError *err = NULL;
    char *out = NULL;

    g_ptr_array_add(argv, (gpointer)HUSK_BIN);
    for (; *args; args++) {
        g_ptr_array_add(argv, (gpointer)*args);
    }
    g_ptr_array_add(argv, NULL);
    ck_assert(g_spawn_sync(NULL, (char **)argv->pdata, NULL,
                           G_SPAWN_STDIN_FROM_DEV_NULL, NULL, NULL, &out,
                           err_out, &status, &err));
    g_free(out);
    g_ptr_array_free(argv, TRUE);
    return g_spawn_check_wait_status(status, NULL) ? 0 : WEXITSTATUS(status);
}

static void expect(int code, const char *needle, const char *const *args)
{
    char *err = NULL;
    int st = run_husk(args, &err);

    ck_assert_msg(st == code, "%s: status %d, expected %d (%s)", args[0], st,
                  code, err);
    ck_assert_msg(strstr(err, needle), "stderr '%s' lacks '%s'", err, needle);
    /* One clear line, no stack trace (a PVM warning may precede it). */
    ck_assert_msg(!strstr(err, "Backtrace") && !strstr(err, "Aborted"), "%s",
                  err);
    g_free(err);
}

START_TEST(bad_input_exit_statuses)
{
    g_autofree char *trunc =
        g_build_filename(g_get_tmp_dir(), "husk-trunc-XXXXXX", NULL);
    int fd = g_mkstemp(trunc);
    const char bz_start[] = "MZ truncated bzImage";

    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(write(fd, bz_start, sizeof(bz_start)), sizeof(bz_start));
    close(fd);
    expect(HUSK_EXIT_USAGE, "unknown command", (const char *[]){"frob", 0});
    expect(HUSK_EXIT_USAGE, "no kernel", (const char *[]){"run", 0});
    expect(HUSK_EXIT_USAGE, "unknown option",
           (const char *[]){"run", "--frob", 0});
    expect(HUSK_EXIT_USAGE, "needs a value",
           (const char *[]){"run", "-k", TINY_ELF, "--memory", 0});
    expect(HUSK_EXIT_USAGE, "--memory '12x'",
           (const char *[]){"run", "-k", TINY_ELF, "-m", "12x", 0});
    expect(HUSK_EXIT_USAGE, "between 8M and 1T",
           (const char *[]){"run", "-k", TINY_ELF, "-m", "4M", 0});
    expect(
        HUSK_EXIT_USAGE, "with hugepages=on, a multiple of 2M",
        (const char *[]){"run", "-k", TINY_ELF, "-m", "513M,hugepages=on", 0});
    expect(HUSK_EXIT_USAGE,
           "SIZE[,hugepages=on|off][,prefault=on|off][,dump=on|off]",
           (const char *[]){"run", "-k", TINY_ELF, "-m", "512M,frob=1", 0});
    expect(HUSK_EXIT_USAGE,
           "SIZE[,hugepages=on|off][,prefault=on|off][,dump=on|off]",
           (const char *[]){"run", "-k", TINY_ELF, "-m", "512M,hugepages=maybe",
                            0});
    expect(HUSK_EXIT_USAGE, "--cpus '0'",
           (const char *[]){"run", "-k", TINY_ELF, "-c", "0", 0});
    expect(HUSK_EXIT_USAGE, "--timeout 'soon'",
           (const char *[]){"run", "-k", TINY_ELF, "--timeout", "soon", 0});
    expect(HUSK_EXIT_USAGE, "--rng-rate with --no-rng",
           (const char *[]){"run", "-k", TINY_ELF, "--rng-rate", "4K",
                            "--no-rng", 0});
    expect(
        HUSK_EXIT_USAGE, "expected aio=io_uring, aio=sync or aio=auto",
        (const char *[]){"run", "-k", TINY_ELF, "-d", "x.img,aio=native", 0});
    expect(HUSK_EXIT_USAGE, "--net 'user,hostfwd=tcp::x-:80'",
           (const char *[]){"run", "-k", TINY_ELF, "--net",
                            "user,hostfwd=tcp::x-:80", 0});
    /* Checked before anything runs, not found out after the boot. */
    expect(HUSK_EXIT_CANTCREAT, "--boot-timeline=/nonexistent/t.json",
           (const char *[]){"run", "-k", TINY_ELF,
                            "--boot-timeline=/nonexistent/t.json", 0});
    expect(HUSK_EXIT_USAGE, "expected a file name",
           (const char *[]){"run", "-k", TINY_ELF, "--boot-timeline=", 0});
    expect(HUSK_EXIT_NOINPUT, "No such file",
           (const char *[]){"run", "-k", "/nonexistent/vmlinuz", 0});
    /* --no-sandbox is an option like any other (the sandbox itself is
     * tested in check_sandbox and the kvm suite). */
    expect(HUSK_EXIT_NOINPUT, "No such file",
           (const char *[]){"run", "--no-sandbox", "-k", "/nonexistent/vmlinuz",
                            0});
    expect(HUSK_EXIT_NOINPUT, "initrd /nonexistent",
           (const char *[]){"run", "-k", TINY_ELF, "-i", "/nonexistent", 0});
    expect(HUSK_EXIT_DATAERR, "not a kernel",
           (const char *[]){"run", "-k", "/etc/hostname", 0});
    expect(HUSK_EXIT_DATAERR, "truncated",
           (const char *[]){"run", "-k", trunc, 0});
    unlink(trunc);
}
END_TEST

START_TEST(disk_arguments)
{
    static const struct {
        const char *arg, *path, *format;
        bool ro;
        enum blk_engine e;
        bool vhost_user;
    } ok[] = {
        {"/img/a.raw", "/img/a.raw", NULL, false, BLK_ENGINE_AUTO, false},
        {"/img/a.raw,ro", "/img/a.raw", NULL, true, BLK_ENGINE_AUTO, false},
        {"a,b.raw", "a,b.raw", NULL, false, BLK_ENGINE_AUTO, false},
        /* Options in any order after the path. */
        {"a,b.raw,aio=sync,ro", "a,b.raw", NULL, true, BLK_ENGINE_SYNC, false},
        {"x.img,ro,aio=io_uring", "x.img", NULL, true, BLK_ENGINE_URING, false},
        {"x.qcow2,format=qcow2", "x.qcow2", "qcow2", false, BLK_ENGINE_AUTO,
         false},
        {"x,format=raw,ro", "x", "raw", true, BLK_ENGINE_AUTO, false},
        {"vhost-user=/run/vu.sock", "/run/vu.sock", NULL, false,
         BLK_ENGINE_AUTO, true},
        {"vhost-user=/run/vu.sock,ro", "/run/vu.sock", NULL, true,
         BLK_ENGINE_AUTO, true},
    };
    static const char *const bad[] = {
        "x.img,aio=native",       ",ro",         "",
        "x,format=qcow3",         "vhost-user=", "vhost-user=/s,format=qcow2",
        "vhost-user=/s,aio=sync",
    };

    for (unsigned i = 0; i < G_N_ELEMENTS(ok); i++) {
        struct vm_disk_config d = {0};
        const char *why;

        ck_assert_msg(cli_parse_disk(ok[i].arg, &d, &why), "%s", ok[i].arg);
        ck_assert_str_eq(d.path, ok[i].path);
        if (ok[i].format) {
            ck_assert_str_eq(d.format, ok[i].format);
        } else {
            ck_assert_ptr_null(d.format);
        }
        ck_assert_int_eq(d.read_only, ok[i].ro);
        ck_assert_int_eq(d.engine, ok[i].e);
        ck_assert_int_eq(d.vhost_user, ok[i].vhost_user);
        cli_disk_config_clear(&d);
    }
    for (unsigned i = 0; i < G_N_ELEMENTS(bad); i++) {
        struct vm_disk_config d = {0};
        const char *why = NULL;

        ck_assert_msg(!cli_parse_disk(bad[i], &d, &why), "%s", bad[i]);
        ck_assert(why);
        ck_assert_ptr_null(d.path);
    }
}
END_TEST

START_TEST(net_arguments)
{
    struct vm_net_config c, d;
    char *why = NULL;
    char a[INET_ADDRSTRLEN];

    ck_assert(cli_parse_net("user", 0, &c, &why));
    ck_assert_int_eq(c.kind, VM_NET_USER);
    ck_assert(c.user.ipv6);
    ck_assert(!c.user.restrict_);
    /* The big user-mode MTU, advised to the guest too. */
    ck_assert_uint_eq(c.user.mtu, NET_USER_MTU_DEFAULT);
    ck_assert_uint_eq(c.mtu, NET_USER_MTU_DEFAULT);
    ck_assert_uint_eq(c.mac[0], 0x02); /* generated: local, unicast */
    /* Stable: the same option gives the same MAC; another index differs. */
    ck_assert(cli_parse_net("user", 0, &d, &why));
    ck_assert(!memcmp(c.mac, d.mac, 6));
    cli_net_config_clear(&d);
    ck_assert(cli_parse_net("user", 1, &d, &why));
    ck_assert(memcmp(c.mac, d.mac, 6));
    cli_net_config_clear(&d);
    cli_net_config_clear(&c);

    ck_assert(
        cli_parse_net("user,hostfwd=tcp::8080-:80,hostfwd=udp:0.0.0.0:"
                      "5353-10.0.2.16:53,restrict=on,ipv6=off,"
                      "mac=52:54:00:ab:cd:EF",
                      0, &c, &why));
    ck_assert_uint_eq(c.user.nr_fwd, 2);
    ck_assert(!c.user.fwd[0].udp);
    inet_ntop(AF_INET, &c.user.fwd[0].host_addr, a, sizeof(a));
    ck_assert_str_eq(a, "127.0.0.1"); /* loopback unless asked */
    ck_assert_uint_eq(c.user.fwd[0].host_port, 8080);
    ck_assert_uint_eq(c.user.fwd[0].guest_port, 80);
    ck_assert(c.user.fwd[1].udp);
    inet_ntop(AF_INET, &c.user.fwd[1].host_addr, a, sizeof(a));
    ck_assert_str_eq(a, "0.0.0.0");
    inet_ntop(AF_INET, &c.user.fwd[1].guest_addr, a, sizeof(a));
    ck_assert_str_eq(a, "10.0.2.16");
    ck_assert(c.user.restrict_);
    ck_assert(!c.user.ipv6);
    ck_assert_uint_eq(c.mac[5], 0xef);
    cli_net_config_clear(&c);

    ck_assert(cli_parse_net("user,mtu=1500", 0, &c, &why));
    ck_assert_uint_eq(c.user.mtu, 1500);
    ck_assert_uint_eq(c.mtu, 1500);
    cli_net_config_clear(&c);

    ck_assert(cli_parse_net("tap=tap7", 0, &c, &why));
    ck_assert_int_eq(c.kind, VM_NET_TAP);
    ck_assert_str_eq(c.tap_name, "tap7");
    ck_assert_uint_eq(c.mtu, 0); /* the TAP device's own, not advised */
    cli_net_config_clear(&c);
    ck_assert(cli_parse_net("tap=tap7,mtu=9000", 0, &c, &why));
    ck_assert_uint_eq(c.mtu, 9000);
    cli_net_config_clear(&c);
    ck_assert(cli_parse_net("tap,fd=5", 0, &c, &why));
    ck_assert_int_eq(c.tap_fd, 5);
    cli_net_config_clear(&c);

    static const char *bad[] = {
        "",
        "bridge",
        "tap",
        "tap=",
        "user,hostfwd=tcp::0-:80",
        "user,hostfwd=tcp::80",
        "user,hostfwd=sctp::1-:2",
        "user,hostfwd=tcp:999.1.1.1:1-:2",
        "user,hostfwd=tcp::70000-:2",
        "user,restrict=maybe",
        "user,frob=1",
        "user,mac=01:00:00:00:00:01",
        "user,mac=00:00:00:00:00:00",
        "user,mac=0x:54:00:12:34:56",
        "user,mac=52:54:00:12:34",
        "tap=x,fd=3",
        "tap,hostfwd=tcp::1-:2",
        "user,hostfwd",
        "user,mtu=1279",
        "user,mtu=65522",
        "user,mtu=",
        "user,mtu=x",
        "tap=t,mtu=67",
        "tap=t,mtu=65536",
    };
    for (unsigned i = 0; i < G_N_ELEMENTS(bad); i++) {
        ck_assert_msg(!cli_parse_net(bad[i], 0, &c, &why), "accepted '%s'",
                      bad[i]);
        ck_assert_ptr_nonnull(why);
        g_free(why);
        why = NULL;
    }
}
END_TEST

START_TEST(disk_errors)
{
    g_autofree char *img =
        g_build_filename(g_get_tmp_dir(), "husk-disk-XXXXXX", NULL);
    g_autofree char *arg = NULL;
    int fd = g_mkstemp(img);
    struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET};

    ck_assert_int_ge(fd, 0);
    expect(HUSK_EXIT_NOINPUT, "disk /nonexistent.img",
           (const char *[]){"run", "-k", TINY_ELF, "--disk", "/nonexistent.img",
                            0});
    expect(HUSK_EXIT_USAGE, "smaller than one",
           (const char *[]){"run", "-k", TINY_ELF, "--disk", img, 0});
    ck_assert_int_eq(ftruncate(fd, 1 << 20), 0);
    /* Another process holds the image: husk refuses to share it. */
    ck_assert_int_eq(fcntl(fd, F_OFD_SETLK, &fl), 0);
    expect(HUSK_EXIT_USAGE, "in use by another process",
           (const char *[]){"run", "-k", TINY_ELF, "--disk", img, 0});
    arg = g_strdup_printf("%s,ro", img);
    expect(HUSK_EXIT_USAGE, "in use by another process",
           (const char *[]){"run", "-k", TINY_ELF, "--disk", arg, 0});
    expect(HUSK_EXIT_USAGE, "--disk ',ro'",
           (const char *[]){"run", "-k", TINY_ELF, "--disk", ",ro", 0});
    close(fd);
    unlink(img);
}
END_TEST

START_TEST(missing_kvm_device)
{
    char *err = NULL;
    int st;

    g_setenv("HUSK_KVM_DEV", "/nonexistent/kvm", TRUE);
    st = run_husk((const char *[]){"run", "-k", TINY_ELF, 0}, &err);
    ck_assert_int_eq(st, HUSK_EXIT_UNAVAILABLE);
    ck_assert(strstr(err, "/nonexistent/kvm does not exist"));
    g_free(err);
    st = run_husk((const char *[]){"check", 0}, &err);
    ck_assert_int_eq(st, HUSK_EXIT_UNAVAILABLE);
    g_free(err);
    g_unsetenv("HUSK_KVM_DEV");
}
END_TEST

/* husk check names each kind of /dev/kvm (from a fake sysfs root and
 * device node): "none" on a machine whose kernel is a PVM guest itself
 * (kvm_pvm loaded, no /dev/kvm), PVM where it is bound, hardware. */
START_TEST(check_names_each_kind_of_kvm)
{
    static const struct {
        const char *module;
        bool dev;
        const char *line;
    } kinds[] = {
        {"kvm_pvm", false, "kvm backed by:    none (no /dev/kvm)"},
        {"kvm_pvm", true, "kvm backed by:    PVM, software-backed (kvm_pvm)"},
        {"kvm_amd", true, "kvm backed by:    hardware virtualization"},
    };

    for (unsigned i = 0; i < G_N_ELEMENTS(kinds); i++) {
        g_autofree char *root = g_dir_make_tmp("husk-sysfs-XXXXXX", NULL);
        g_autofree char *m1 = g_build_filename(root, "module", "kvm", NULL);
        g_autofree char *m2 =
            g_build_filename(root, "module", kinds[i].module, NULL);
        g_autofree char *dev = g_build_filename(root, "kvm", NULL);
        g_autofree char *cmd = g_strdup_printf("rm -rf '%s'", root);
        g_autofree char *out = NULL;
        const char *argv[] = {HUSK_BIN, "check", NULL};
        g_auto(GStrv) env = g_get_environ();

        ck_assert(g_mkdir_with_parents(m1, 0755) == 0 &&
                  g_mkdir_with_parents(m2, 0755) == 0);
        if (kinds[i].dev) {
            ck_assert(g_file_set_contents(dev, "", 0, NULL));
        }
        env = g_environ_setenv(env, "HUSK_SYSFS_ROOT", root, TRUE);
        env = g_environ_setenv(env, "HUSK_KVM_DEV", dev, TRUE);
        ck_assert(g_spawn_sync(
            NULL, (char **)argv, env,
            G_SPAWN_STDIN_FROM_DEV_NULL | G_SPAWN_STDERR_TO_DEV_NULL, NULL,
            NULL, &out, NULL, NULL, NULL));
        ck_assert_msg(strstr(out, kinds[i].line), "%s: %s", kinds[i].line, out);
        ck_assert_int_eq(system(cmd), 0);
    }
}
END_TEST

/* The command line becomes a typed configuration in one place
 * (config.c); its errors are usage errors that name the option. */
START_TEST(config_is_typed)
{
    char *argv[] = {"run",
                    "-k",
                    "K",
                    "--memory",
                    "512M,hugepages=on,thp=off",
                    "--cpus",
                    "2",
                    "--disk",
                    "a.img,ro,aio=sync",
                    "--net",
                    "user,hostfwd=tcp::8080-:80,mtu=1500",
                    "--timeout",
                    "5",
                    "--boot-timeline=/tmp/t.json",
                    "--console",
                    "virtio",
                    "--no-sandbox",
                    NULL};
    char *bad[] = {"run", "-k", "K", "--cpus", "0", NULL};
    char *help[] = {"run", "--help", NULL};
    struct vm_config cfg;
    enum config_action act;
    g_autoptr(GError) err = NULL;

    ck_assert(config_parse_run(G_N_ELEMENTS(argv) - 1, argv, &cfg, &act, &err));
    ck_assert_int_eq(act, CONFIG_RUN);
    ck_assert_str_eq(cfg.kernel, "K");
    ck_assert_uint_eq(cfg.mem, 512 * MiB);
    ck_assert(cfg.mem_hugepages && !cfg.mem_prefault && !cfg.mem_thp);
    ck_assert_uint_eq(cfg.cpus, 2);
    ck_assert_uint_eq(cfg.nr_disks, 1);
    ck_assert_str_eq(cfg.disks[0].path, "a.img");
    ck_assert_str_eq(cfg.disks[0].spec, "a.img,ro,aio=sync");
    ck_assert(cfg.disks[0].read_only);
    ck_assert_int_eq(cfg.disks[0].engine, BLK_ENGINE_SYNC);
    ck_assert_uint_eq(cfg.nr_nets, 1);
    ck_assert_int_eq(cfg.nets[0].kind, VM_NET_USER);
    ck_assert_uint_eq(cfg.nets[0].user.nr_fwd, 1);
    ck_assert_uint_eq(cfg.nets[0].user.fwd[0].host_port, 8080);
    ck_assert_uint_eq(cfg.nets[0].user.fwd[0].guest_port, 80);
    ck_assert_uint_eq(cfg.nets[0].user.mtu, 1500);
    ck_assert(cfg.timeout == 5.0);
    ck_assert(cfg.timeline);
    ck_assert_str_eq(cfg.timeline_path, "/tmp/t.json");
    ck_assert(cfg.virtio_console);
    ck_assert_str_eq(cfg.cmdline, "console=ttyS0 console=hvc0");
    ck_assert_int_eq(cfg.sandbox, SANDBOX_OFF);
    config_clear(&cfg);

    ck_assert(!config_parse_run(G_N_ELEMENTS(bad) - 1, bad, &cfg, &act, &err));
    ck_assert_int_eq(err->code, HUSK_EXIT_USAGE);
    ck_assert_msg(g_str_has_prefix(err->message, "--cpus '0'"), "%s",
                  err->message);
    config_clear(&cfg);
    g_clear_error(&err);

    ck_assert(config_parse_run(G_N_ELEMENTS(help) - 1, help, &cfg, &act, &err));
    ck_assert_int_eq(act, CONFIG_HELP);
    ck_assert(cfg.mem_thp); /* on unless thp=off */
    config_clear(&cfg);
}
END_TEST

START_TEST(share_arguments)
{
    static const struct {
        const char *arg, *dir, *tag;
        bool ro;
    } ok[] = {
        {"/srv/src", "/srv/src", "src", false},
        {"/srv/src/", "/srv/src/", "src", false},
        {"/", "/", "root", false},
        {"/srv/a,b,tag=x,ro", "/srv/a,b", "x", true},
        {"/srv/x,tag=data", "/srv/x", "data", false},
        {"/srv/x,ro,tag=t-1.2_+", "/srv/x", "t-1.2_+", true},
        {"/srv/x,tag=a,rw", "/srv/x", "a", false},
    };
    static const char *const bad[] = {
        "",
        ",ro",
        "/srv/x,tag=",
        "/srv/x,tag=has space",
        "/srv/x,tag=0123456789012345678901234567890123456", /* 37 */
        "/srv/with space",                                  /* no default */
    };

    for (unsigned i = 0; i < G_N_ELEMENTS(ok); i++) {
        g_autofree char *dir = NULL, *tag = NULL;
        const char *why = NULL;
        bool ro;

        ck_assert_msg(cli_parse_share(ok[i].arg, &dir, &tag, &ro, &why), "%s",
                      ok[i].arg);
        ck_assert_str_eq(dir, ok[i].dir);
        ck_assert_str_eq(tag, ok[i].tag);
        ck_assert_int_eq(ro, ok[i].ro);
    }
    for (unsigned i = 0; i < G_N_ELEMENTS(bad); i++) {
        char *dir = NULL, *tag = NULL;
        const char *why = NULL;
        bool ro;

        ck_assert_msg(!cli_parse_share(bad[i], &dir, &tag, &ro, &why), "%s",
                      bad[i]);
        ck_assert(why && !dir && !tag);
    }
}
END_TEST

/* Two shares may not have one tag: the guest could mount only one. */
START_TEST(share_tag_collision_is_a_usage_error)
{
    char *argv[] = {"run",    "--kernel", "k",      "--share",
                    "/a/src", "--share",  "/b/src", NULL};
    g_autoptr(GError) err = NULL;
    struct vm_config cfg;
    enum config_action act;

    ck_assert(
        !config_parse_run(G_N_ELEMENTS(argv) - 1, argv, &cfg, &act, &err));
    ck_assert_int_eq(err->code, HUSK_EXIT_USAGE);
    ck_assert_msg(strstr(err->message, "tag 'src' is taken"), "%s",
                  err->message);
    config_clear(&cfg);
}
END_TEST

START_TEST(help_and_version)
{
    char *err = NULL;

    ck_assert_int_eq(run_husk((const char *[]){"--version", 0}, &err), 0);
    g_free(err);
    ck_assert_int_eq(run_husk((const char *[]){"run", "--help", 0}, &err), 0);
    g_free(err);
}
END_TEST

int main(void)
{
    Suite *su = suite_create("cli");
    TCase *tc = tcase_create("values");
    TCase *ex = tcase_create("exit_status");

    tcase_add_test(tc, sizes);
    tcase_add_test(tc, counts);
    suite_add_tcase(su, tc);
    tcase_set_timeout(ex, 30);
    tcase_add_test(ex, bad_input_exit_statuses);
    tcase_add_test(tc, disk_arguments);
    tcase_add_test(tc, net_arguments);
    tcase_add_test(ex, disk_errors);
    tcase_add_test(ex, missing_kvm_device);
    tcase_add_test(ex, help_and_version);
    tcase_add_test(ex, check_names_each_kind_of_kvm);
    tcase_add_test(tc, config_is_typed);
    tcase_add_test(tc, share_arguments);
    tcase_add_test(tc, share_tag_collision_is_a_usage_error);
    suite_add_tcase(su, ex);
    return check_run(su);
}
