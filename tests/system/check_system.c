/*
 * check_system.c: the system suite.  Real Linux guests (Debian's stock
 * cloud kernel, as bzImage and as PVH vmlinux, with the default busybox
 * initramfs) run scenarios.sh: on this host if its /dev/kvm is hardware
 * backed, otherwise inside the nested KVM test host (tests/testhost).  The
 * whole scenario list runs once (an unchecked fixture); each test then
 * judges one scenario and, when it fails, prints its last console lines.
 *
 *   check_system SRCDIR HUSK TINY_ELF CHECK_TINY
 */
#include <check.h>
#include <glib.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "harness/check_run.h"
#include "harness/json_check.h"
#include "harness/svg_check.h"
#include "harness/scenario_check.h"
#include "harness/timeline_check.h"

static const char *srcdir, *husk, *tiny, *check_tiny;
/* The scenario files (in tests/system), each run in a test host of its
 * own: a test host that wedges costs a rerun of one part, not of all. */
static const char *const all_parts[] = {
    "scenarios.sh",     "scenarios-backends.sh", "scenarios-exec.sh",
    "scenarios-net.sh", "scenarios-load.sh",     NULL};
static const char *const cold_parts[] = {"cold-scenario.sh", NULL};
static const char *const *parts = all_parts;
static char *exec_release; /* the cloud kernel's, what uname -r says */

static bool hardware_kvm(void)
{
    return g_file_test("/dev/kvm", G_FILE_TEST_EXISTS) &&
           (g_file_test("/sys/module/kvm_intel", G_FILE_TEST_IS_DIR) ||
            g_file_test("/sys/module/kvm_amd", G_FILE_TEST_IS_DIR));
}

static void run_scenarios(void)
{
    g_autofree char *guest_sh =
        g_build_filename(srcdir, "guest-images", "default-guest.sh", NULL);
    g_autofree char *scen = NULL; /* each part's path in turn */
    g_autoptr(GString) all = g_string_new("");
    g_autofree char *testhost =
        g_build_filename(srcdir, "tests", "testhost", "testhost.sh", NULL);
    g_autofree char *gdir = NULL, *vmlinuz = NULL, *vmlinux = NULL,
                    *initrd = NULL, *rootimg = NULL, *bench = NULL,
                    *runstat = NULL, *records = NULL, *fault = NULL, *rr = NULL,
                    *dur = NULL, *shares = NULL, *share_guest = NULL,
                    *qcow2 = NULL, *slirp_qemu = NULL, *exec_sh = NULL,
                    *exec_tar = NULL, *exec_init = NULL, *workdir = NULL,
                    *exec_tree = NULL, *snap_sh = NULL, *snap_net = NULL,
                    *vsock_tool = NULL;
    g_autofree char *err = NULL;
    int st;

    {
        char *argv[] = {guest_sh, NULL};
        char *out = run_cmd(argv, NULL, &st, &err);

        if (st != 0 || !g_file_test(g_strstrip(out), G_FILE_TEST_IS_DIR)) {
            setup_error = g_strdup_printf(
                "default-guest.sh failed (status %d, printed '%s'):\n%s", st,
                out, err);
            g_free(out);
            return;
        }
        gdir = out;
        g_clear_pointer(&err, g_free);
    }
    /* husk exec's modules: some of the cloud kernel's (exec.sh). */
    {
        g_autofree char *fetch =
            g_build_filename(srcdir, "guest-images", "fetch-kernel.sh", NULL);
        g_autofree char *mk = g_build_filename(srcdir, "tests", "system",
                                               "exec-modules.sh", NULL);
        char *argv[] = {fetch, "cloud", NULL};
        g_autofree char *kdir = run_cmd(argv, NULL, &st, &err);
        g_autofree char *relf = NULL;

        g_strstrip(kdir);
        relf = g_build_filename(kdir, "kernel-release", NULL);
        workdir = g_dir_make_tmp("husk-exec-XXXXXX", NULL);
        exec_tar = g_build_filename(workdir, "exec-modules.tar", NULL);
        if (st != 0 || !workdir ||
            !g_file_get_contents(relf, &exec_release, NULL, NULL)) {
            setup_error = g_strdup_printf(
                "fetch-kernel.sh cloud failed (status %d):\n%s", st, err);
            return;
        }
        g_strstrip(exec_release);
        g_clear_pointer(&err, g_free);
        {
            char *argv2[] = {mk, kdir, exec_tar, NULL};
            g_autofree char *o = run_cmd(argv2, NULL, &st, &err);

            if (st != 0) {
                setup_error = g_strdup_printf(
                    "exec-modules.sh failed (status %d):\n%s", st, err);
                return;
            }
            g_clear_pointer(&err, g_free);
        }
    }
    exec_sh = g_build_filename(srcdir, "tests", "system", "exec.sh", NULL);
    snap_sh = g_build_filename(srcdir, "tests", "system", "snapshot.sh", NULL);
    snap_net =
        g_build_filename(srcdir, "tests", "system", "snapshot-net.sh", NULL);
    exec_tree =
        g_build_filename(srcdir, "tests", "system", "exec-tree.sh", NULL);
    bench = g_build_filename(srcdir, "scripts", "husk-bench", NULL);
    dur = g_build_filename(srcdir, "tests", "system", "durability.sh", NULL);
    shares = g_build_filename(srcdir, "tests", "system", "shares.sh", NULL);
    share_guest =
        g_build_filename(srcdir, "tests", "system", "share-guest.sh", NULL);
    qcow2 = g_build_filename(srcdir, "tests", "system", "qcow2.sh", NULL);
    slirp_qemu =
        g_build_filename(srcdir, "tests", "system", "slirp-qemu.sh", NULL);
    {
        g_autofree char *bdir = g_path_get_dirname(husk);

        runstat = g_build_filename(bdir, "husk-runstat", NULL);
        records = g_build_filename(bdir, "guest-images", "husk-records", NULL);
        fault = g_build_filename(bdir, "tests", "husk-fault", NULL);
        rr = g_build_filename(bdir, "guest-images", "husk-rr", NULL);
        vsock_tool = g_build_filename(bdir, "guest-images", "husk-vsock", NULL);
        exec_init = g_build_filename(bdir, "husk-init", NULL);
    }
    vmlinuz = g_strdup_printf("%s/vmlinuz", gdir);
    vmlinux = g_strdup_printf("%s/vmlinux", gdir);
    initrd = g_strdup_printf("%s/initramfs.cpio.gz", gdir);
    rootimg = g_strdup_printf("%s/root.img", gdir);

    if (hardware_kvm()) {
        /* Same layout as inside the test host, in a scratch directory. */
        g_autofree char *dir = g_dir_make_tmp("husk-system-XXXXXX", NULL);
        g_autofree char *bindir = g_strdup_printf("%s/bin", dir);
        g_autoptr(GString) runs = g_string_new("");
        g_autofree char *cmd = NULL;

        for (unsigned p = 0; parts[p]; p++) {
            g_autofree char *f =
                g_build_filename(srcdir, "tests", "system", parts[p], NULL);

            g_string_append_printf(runs, "%ssh %s", p ? "; " : "", f);
        }
        scen = g_strdup(runs->str);
        cmd = g_strdup_printf(
            "mkdir -p %s && cp %s %s/ && ln -s %s %s/vmlinuz && "
            "ln -s %s %s/vmlinux && ln -s %s %s/initramfs.cpio.gz && "
            "cp %s %s/tiny.elf && cp %s %s/check_tiny && "
            "ln -s %s %s/root.img && cp %s %s/husk-bench && "
            "cp %s %s/ && cp %s %s/ && cp %s %s/ && cp %s %s/ && "
            "cp %s %s/ && cp %s %s/ && cp %s %s %s %s %s %s %s %s %s %s/ && "
            "cp %s %s/ && cd %s && export PATH=%s:/usr/sbin:$PATH && { %s; }",
            bindir, husk, bindir, vmlinuz, dir, vmlinux, dir, initrd, dir, tiny,
            dir, check_tiny, dir, rootimg, dir, bench, dir, runstat, bindir,
            records, dir, fault, dir, rr, dir, dur, dir, exec_init, bindir,
            exec_tar, shares, share_guest, qcow2, slirp_qemu, exec_sh,
            exec_tree, snap_sh, snap_net, dir, vsock_tool, bindir, dir, bindir,
            scen);
        char *argv[] = {"sh", "-c", cmd, NULL};

        printf("system: hardware KVM here, running the guests directly\n");
        output = run_cmd(argv, NULL, &st, &err);
    } else {
        g_autofree char *f1 = g_strdup_printf("%s:vmlinuz", vmlinuz);
        g_autofree char *f2 = g_strdup_printf("%s:vmlinux", vmlinux);
        g_autofree char *f3 = g_strdup_printf("%s:initramfs.cpio.gz", initrd);
        g_autofree char *f4 = g_strdup_printf("%s:tiny.elf", tiny);
        g_autofree char *f5 = g_strdup_printf("%s:check_tiny", check_tiny);
        g_autofree char *f6 = g_strdup_printf("%s:root.img", rootimg);
        g_autofree char *debugfs = g_find_program_in_path("debugfs");
        g_autofree char *f7 = g_strdup_printf(
            "%s:bin/debugfs", debugfs ? debugfs : "/usr/sbin/debugfs");
        g_autofree char *f8 = g_strdup_printf("%s:husk-bench", bench);
        g_autofree char *f9 = g_strdup_printf("%s:bin/husk-runstat", runstat);
        g_autofree char *f12 = g_strdup_printf("%s:husk-records", records);
        g_autofree char *f13 = g_strdup_printf("%s:husk-fault", fault);
        g_autofree char *f14 = g_strdup_printf("%s:husk-rr", rr);
        g_autofree char *f30 = g_strdup_printf("%s:bin/husk-vsock", vsock_tool);
        g_autofree char *f15 = g_strdup_printf("%s:durability.sh", dur);
        g_autofree char *f16 = g_strdup_printf("%s:shares.sh", shares);
        g_autofree char *f17 =
            g_strdup_printf("%s:share-guest.sh", share_guest);
        g_autofree char *f18 = g_strdup_printf("%s:qcow2.sh", qcow2);
        g_autofree char *qimg = g_find_program_in_path("qemu-img");
        g_autofree char *qio = g_find_program_in_path("qemu-io");
        g_autofree char *f19 = g_strdup_printf(
            "%s:bin/qemu-img", qimg ? qimg : "/usr/bin/qemu-img");
        g_autofree char *f20 =
            g_strdup_printf("%s:bin/qemu-io", qio ? qio : "/usr/bin/qemu-io");
        g_autofree char *f21 = g_strdup_printf("%s:slirp-qemu.sh", slirp_qemu);
        g_autofree char *f25 = g_strdup_printf("%s:exec.sh", exec_sh);
        g_autofree char *f26 = g_strdup_printf("%s:exec-modules.tar", exec_tar);
        g_autofree char *f27 = g_strdup_printf("%s:exec-tree.sh", exec_tree);
        g_autofree char *f28 = g_strdup_printf("%s:snapshot.sh", snap_sh);
        g_autofree char *f29 = g_strdup_printf("%s:snapshot-net.sh", snap_net);
        /* QEMU, off PATH (qemu/), for husk-slirp under another frontend. */
        g_autofree char *qemu = g_find_program_in_path("qemu-system-x86_64");
        g_autofree char *f22 =
            g_strdup_printf("%s:qemu/qemu-system-x86_64",
                            qemu ? qemu : "/usr/bin/qemu-system-x86_64");
        const char *f23 =
            "/usr/share/qemu/bios-microvm.bin:qemu-data/"
            "bios-microvm.bin";
        const char *f24 =
            "/usr/share/qemu/linuxboot_dma.bin:qemu-data/"
            "linuxboot_dma.bin";
        g_autofree char *runc = g_find_program_in_path("runc");
        g_autofree char *crun = g_find_program_in_path("crun");
        g_autofree char *f10 =
            g_strdup_printf("%s:bin/runc", runc ? runc : "/usr/sbin/runc");
        g_autofree char *f11 =
            g_strdup_printf("%s:bin/crun", crun ? crun : "/usr/bin/crun");
        char *argv[80] = {
            testhost, "--husk",    (char *)husk, "--scenario", "(each part)",
            "--file", f1,          "--file",     f2,           "--file",
            f3,       "--file",    f4,           "--file",     f5,
            "--file", f6,          "--file",     f7,           "--file",
            f8,       "--file",    f9,           "--file",     f12,
            "--file", f13,         "--file",     f14,          "--file",
            f15,      "--file",    f16,          "--file",     f17,
            "--file", f18,         "--file",     f19,          "--file",
            f20,      "--file",    f21,          "--file",     f22,
            "--file", (char *)f23, "--file",     (char *)f24,  "--file",
            f25,      "--file",    f26,          "--file",     f27,
            "--file", f28,         "--file",     f29,          "--file",
            f30,      "--timeout", "3000",       NULL};
        unsigned n = 0;

        while (argv[n]) {
            n++;
        }
        /* Container runtimes the bench compares with, when installed. */
        if (runc) {
            argv[n++] = "--file";
            argv[n++] = f10;
        }
        if (crun) {
            argv[n++] = "--file";
            argv[n++] = f11;
        }
        argv[n] = NULL;
        g_assert(n < G_N_ELEMENTS(argv));

        printf(
            "system: no hardware KVM here, running the guests inside the "
            "nested KVM test host\n");
        /* The nested host sometimes wedges with its own clock stopped (see
         * testhost.sh's stall watchdog); a user process cannot do that to
         * a kernel, so it is the test bed (KVM on emulated SVM) failing.
         * A stalled run is repeated (at most 3 runs), and says so; any
         * other failure is reported as is. */
        for (unsigned p = 0; parts[p]; p++) {
            g_free(scen);
            scen = g_build_filename(srcdir, "tests", "system", parts[p], NULL);
            argv[4] = scen;
            for (int attempt = 1; attempt <= 3; attempt++) {
                g_free(output);
                g_clear_pointer(&err, g_free);
                output = run_cmd(argv, NULL, &st, &err);
                if (!err || !strstr(err, "stalled (no console output")) {
                    break;
                }
                printf(
                    "system: the test host stalled in %s (attempt %d of "
                    "3)%s\n",
                    parts[p], attempt,
                    attempt < 3 ? "; running that part again" : "");
                fflush(stdout);
            }
            g_string_append(all, output);
        }
        g_free(output);
        output = g_strdup(all->str);
    }
    fflush(stdout);
    scenario_output_done("system-console.log", st, err);
}

START_TEST(tiny_guests_on_nested_kvm)
{
    g_autofree char *b = expect("tiny-suite", 0, "100%: Checks: 22");
}
END_TEST

/* Durability: 20 SIGKILLs at random moments while a guest
 * writes records with a FLUSH after each; every record whose FLUSH the
 * guest saw complete is in the image. */
START_TEST(durability_under_sigkill)
{
    g_autofree char *b = expect("durability", 0, "DURABILITY kills=");
    const char *d = strstr(b, "DURABILITY kills=");
    unsigned kills = 0, acked = 0, lost = 1;

    ck_assert_int_eq(sscanf(d, "DURABILITY kills=%u acked=%u lost=%u", &kills,
                            &acked, &lost),
                     3);
    printf("durability: %u kills, %u records acknowledged, %u lost\n", kills,
           acked, lost);
    ck_assert_msg(kills == 20, "husk ended before the kill:\n%s", b);
    /* Not vacuous: every kill came after at least one acknowledgement. */
    ck_assert_msg(acked >= 20, "too few records acknowledged:\n%s", b);
    ck_assert_msg(lost == 0, "acknowledged records lost:\n%s", b);
}
END_TEST

/* The disk error matrix: EIO on read, write and flush (injected
 * around husk by husk-fault), ENOSPC on a full tmpfs with each engine:
 * the guest sees an I/O error, keeps running, and every record it was
 * told is written is in the image. */
START_TEST(disk_errors_reach_the_guest)
{
    static const struct {
        const char *name, *guest_error;
        bool some_acked, none_written;
    } cases[] = {
        {"err-read-eio", "husk-records: pread: Input/output error", false,
         true},
        {"err-write-eio", "husk-records: pwrite: Input/output error", false,
         true},
        /* The write landed; only its flush failed: not acknowledged. */
        {"err-flush-eio", "husk-records: fdatasync: Input/output error", false,
         false},
        {"err-enospc-io_uring", ": Input/output error", true, false},
        {"err-enospc-sync", ": Input/output error", true, false},
    };

    for (unsigned i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autofree char *b = expect(cases[i].name, 0, "GUEST-ALIVE");
        const char *v = strstr(b, "RECORDS-ACKED=");
        unsigned acked = 0, lost = 1;

        ck_assert_msg(strstr(b, cases[i].guest_error),
                      "%s: the guest saw no I/O error:\n%s", cases[i].name,
                      tail(b));
        ck_assert_msg(!strstr(b, "DONE"), "%s: all written?\n%s", cases[i].name,
                      tail(b));
        ck_assert_msg(v && sscanf(v, "RECORDS-ACKED=%u RECORDS-LOST=%u", &acked,
                                  &lost) == 2,
                      "%s: no check of the image:\n%s", cases[i].name, tail(b));
        ck_assert_msg(lost == 0, "%s: %u acknowledged records missing",
                      cases[i].name, lost);
        ck_assert_msg(cases[i].some_acked ? acked > 0 : acked == 0,
                      "%s: %u records acknowledged", cases[i].name, acked);
        if (cases[i].none_written) {
            ck_assert_msg(strstr(v, "RECORDS-EXTRA=0"),
                          "%s: records in the image the guest was not told "
                          "about: %s",
                          cases[i].name, v);
        }
    }
}
END_TEST

/* Load: 8 VMs at once all boot and exit cleanly; console
 * floods (64 MiB virtio-console, 256 KiB UART) and a 10 s UDP flood leave
 * husk's own memory within 2 MiB of a quiet run and husk-slirp's within
 * 8 MiB; the network works after the flood; a guest kicking in a loop
 * does not starve another VM's disk writes. */
static double field(const char *b, const char *key)
{
    const char *p = strstr(b, key);

    ck_assert_msg(p, "no %s in:\n%s", key, b);
    return g_ascii_strtod(p + strlen(key), NULL);
}

START_TEST(load_many_vms_and_floods)
{
    g_autofree char *many = expect("load-many", 0, "LOAD-MANY started=8");
    g_autofree char *con = expect("load-console", 0, "uart256k done=");
    g_autofree char *net = expect("load-net", 0, "netflood husk_mib=");
    g_autofree char *kick = expect("load-kicks", 0, "KICKS alone:");
    double quiet, hvc, uart, nethusk, before, after, alone, beside;

    ck_assert_msg(strstr(many, "clean=8 ok-lines=8"), "%s", many);
    {
        const char *m = strstr(many, "LOAD-MANY husk MiB per VM:");

        printf("load: 8 VMs at once, all clean; %s\n",
               m ? m : "(no memory figures)");
    }
    ck_assert_msg(
        strstr(con, "hvc64m done=1") && strstr(con, "uart256k done=1"),
        "a flood did not finish:\n%s", con);
    quiet = field(con, "quiet done=1 husk_mib=");
    hvc = field(con, "hvc64m done=1 husk_mib=");
    uart = field(con, "uart256k done=1 husk_mib=");
    printf(
        "load: husk's own memory quiet %.1f MiB, after 64 MiB on "
        "virtio-console %.1f, after 256 KiB on the UART %.1f\n",
        quiet, hvc, uart);
    ck_assert_msg(hvc <= quiet + 2 && uart <= quiet + 2, "%s", con);
    ck_assert_msg(strstr(net, "NET-STILL-WORKS"), "%s", net);
    before = field(net, "slirp_rss_before_kb=");
    after = field(net, "slirp_rss_after_kb=");
    nethusk = field(net, "netflood husk_mib=");
    printf(
        "load: UDP flood: %s; husk-slirp's own memory (RssAnon) %.0f -> "
        "%.0f KiB, husk's own memory %.1f MiB\n",
        strstr(net, "UDP_SENT="), before, after, nethusk);
    ck_assert_msg(after <= before + 8192, "%s", net);
    ck_assert_msg(nethusk <= quiet + 2, "%s", net);
    alone = field(kick, "alone:WRITE-SECONDS=");
    beside = field(kick, "beside:WRITE-SECONDS=");
    printf(
        "load: 32 MiB disk write alone %.2f s, beside a kicking guest "
        "%.2f s\n",
        alone, beside);
    /* One CPU shared with a spinning vCPU: about twice as slow is
     * fair; ten times would be starvation. */
    ck_assert_msg(beside < 10 * alone + 1, "%s", kick);
}
END_TEST

START_TEST(bzimage_boots_to_marker)
{
    g_autofree char *b = expect("bzimage", 0, "HUSK-GUEST-READY");

    ck_assert(strstr(b, "HUSK-RUN-OK"));
}
END_TEST

START_TEST(pvh_vmlinux_boots_to_marker)
{
    g_autofree char *b = expect("pvh", 0, "HUSK-GUEST-READY");

    ck_assert(strstr(b, "HUSK-RUN-OK"));
}
END_TEST

/* The boot timeline of a Linux boot: consistent, with the markers the
 * default init writes (0x60 on port 0x80 when it starts, 123 on the boot
 * timer before HUSK-GUEST-READY) in that order after the first console
 * byte, and the table on stderr. */
START_TEST(boot_timeline_of_linux)
{
    g_autofree char *b = expect("timeline", 0, "HUSK-RUN-OK");
    g_autofree char *j = NULL, *why = NULL;
    GArray *a;
    int rc, status, at;

    ck_assert_msg(strstr(b, "husk: boot timeline") &&
                      strstr(b, "marker: boot timer = 123"),
                  "no timeline table:\n%s", b);
    j = block_out("timeline-json", &rc);
    ck_assert_int_eq(rc, 0);
    a = tlc_check(j, &status, &why);
    ck_assert_msg(a, "%s\n%s", why, j);
    ck_assert_int_eq(status, 0);
    at = tlc_find(a, "first-console-byte", 0);
    ck_assert_msg(at >= 0, "%s", j);
    at = tlc_find(a, "marker-debug-port", (unsigned)at);
    ck_assert_msg(at >= 0, "no init marker after the console:\n%s", j);
    ck_assert_uint_eq(g_array_index(a, struct tlc_event, at).code, 0x60);
    at = tlc_find(a, "marker-boot-timer", (unsigned)at);
    ck_assert_msg(at >= 0, "no boot-complete marker after init's:\n%s", j);
    ck_assert_uint_eq(g_array_index(a, struct tlc_event, at).code, 123);
    g_array_free(a, TRUE);
}
END_TEST

/* husk bench boot --runs 3 in the test host: it completes, its JSON
 * parses, its SVG is well-formed with husk's box, and it says what it
 * skipped (QEMU is not shipped into the suite's test host). */
START_TEST(bench_boot_runs)
{
    g_autofree char *b = expect("bench-boot", 0, "husk boot timeline");
    g_autofree char *js = NULL, *svg = NULL;
    struct svg_count seen;
    g_autoptr(GError) err = NULL;
    int rc;

    ck_assert_msg(strstr(b, "host/husk ") && strstr(b, "qemu-microvm") &&
                      strstr(b, "skipped"),
                  "%s", b);
    js = block_out("bench-boot-json", &rc);
    ck_assert_int_eq(rc, 0);
    ck_assert_msg(json_valid(js), "boot.json is not JSON:\n%s", js);
    ck_assert_msg(strstr(js, "\"system\": \"host/husk\", \"runs\": 3"), "%s",
                  js);
    svg = block_out("bench-boot-svg", &rc);
    ck_assert_int_eq(rc, 0);
    ck_assert_msg(svg_check(svg, &seen, &err), "boot.svg: %s\n%s", err->message,
                  svg);
    ck_assert_uint_eq(seen.svg, 1);
    ck_assert_uint_ge(seen.rect, 2);
    ck_assert(strstr(svg, ">host/husk</text>"));
}
END_TEST

/* --memory 256M,hugepages=on: the guest boots with its 256M, held in 128
 * of the test host's 160 huge pages while it runs, all back after. */
START_TEST(hugepages_back_guest_ram)
{
    g_autofree char *b = expect("hugepages", 0, "HUSK-GUEST-READY");
    long kb = meminfo_kb(b);
    const char *d, *a;

    ck_assert_msg(kb > 256 * 1024 * 7 / 10 && kb <= 256 * 1024,
                  "MemTotal %ld kB for 256M", kb);
    d = strstr(output, "HOST-HUGEPAGES-AVAILABLE-DURING=");
    a = strstr(output, "HOST-HUGEPAGES-AVAILABLE-AFTER=");
    ck_assert(d && a);
    ck_assert_int_eq(atoi(d + strlen("HOST-HUGEPAGES-AVAILABLE-DURING=")),
                     160 - 128);
    ck_assert_int_eq(atoi(a + strlen("HOST-HUGEPAGES-AVAILABLE-AFTER=")), 160);
}
END_TEST

START_TEST(guest_sees_two_cpus)
{
    g_autofree char *b = expect("cpus2", 0, "CPUS=2");
}
END_TEST

START_TEST(memory_512m_matches)
{
    expect_memtotal("mem512", 512, 512 * 8 / 10);
}
END_TEST

START_TEST(memory_above_4g_is_used)
{
    /* More than the 3 GiB below the hole: the high region is in use. */
    expect_memtotal("mem3584", 3584, 3200);
}
END_TEST

START_TEST(exit_port_status)
{
    g_autofree char *b = expect("exit3", 3, "HUSK-GUEST-READY");
}
END_TEST

/* Output printed right before the exit port is written is not lost. */
START_TEST(output_before_exit_arrives)
{
    g_autofree char *b = expect("output-tail", 0, "LAST-LINE-ARRIVED");
}
END_TEST

START_TEST(panic_status)
{
    g_autofree char *b = expect("panic", 120, "Kernel panic");
}
END_TEST

START_TEST(reboot_is_clean)
{
    g_autofree char *b = expect("reboot", 0, "HUSK-GUEST-READY");
}
END_TEST

START_TEST(timeout_status)
{
    g_autofree char *b = expect("timeout", 124, "HUSK-GUEST-READY");
}
END_TEST

START_TEST(poweroff_is_clean)
{
    g_autofree char *b = expect("poweroff", 0, "HUSK-GUEST-READY");
}
END_TEST

/* Loop index 0: io_uring, 1: preadv/pwritev. */
START_TEST(disk_write_is_on_the_host_image)
{
    const char *aio = _i == 0 ? "io_uring" : "sync";
    g_autofree char *name = g_strdup_printf("disk-write-%s", aio);
    g_autofree char *key = g_strdup_printf("HOST-SHA-%s", aio);
    /* And it is not the all-zero image it started as. */
    g_autofree char *b =
        expect_same_sha(name, "GUEST-SHA", key,
                        "3b6a07d0d404fab4e23b6d34bc6696a6a312dd92821332"
                        "385e5af7c01c421351");
}
END_TEST

/* The test host's kernel (Debian 6.1) allows io_uring: husk must pick it. */
START_TEST(husk_check_picks_io_uring)
{
    g_autofree char *b = expect("husk-check", 0, "disk I/O:         io_uring");

    /* And it finds its user-networking helper next to it. */
    ck_assert_msg(strstr(b, "/husk-slirp (husk-slirp 0"), "%s", b);
}
END_TEST

START_TEST(read_only_disk_refuses_writes)
{
    g_autofree char *b = expect("disk-ro", 0, "RO-WRITE-REFUSED");
    g_autofree char *host = value_of(output, "RO-HOST-SHA");

    /* sha256 of 4 MiB of zeros: untouched. */
    ck_assert_msg(host && !strcmp(host,
                                  "bb9f8df61474d25e71fa00722318cd387396"
                                  "ca1736605e1248821cc0de3d3af8"),
                  "read-only image changed: %s", host);
    ck_assert_msg(strstr(b, "\n512\n"), "could not read the disk:\n%s",
                  tail(b));
}
END_TEST

START_TEST(virtio_console_carries_the_shell)
{
    /* Computed by a shell whose console is hvc0 (the last console=). */
    g_autofree char *b = expect("hvc-console", 0, "HVC-TYPED-42");

    ck_assert_msg(
        strstr(b, "HVC-TYPED-42 ttyS0 hvc0") || strstr(b, "HVC-TYPED-42 hvc0"),
        "%s", tail(b));
}
END_TEST

START_TEST(boots_from_ext4_root_disk)
{
    g_autofree char *b = expect("rootfs", 0, "husk root filesystem");
    g_autofree char *host = value_of(output, "ROOTFS-HOST");

    ck_assert_msg(host && !strcmp(host, "written-by-the-guest"),
                  "debugfs read '%s' from the image", host ? host : "");
}
END_TEST

START_TEST(rng_gives_hwrng)
{
    g_autofree char *b = expect("rng", 0, "HWRNG-BYTES=256");

    ck_assert_msg(strstr(b, "RNG=virtio_rng"), "%s", tail(b));
}
END_TEST

START_TEST(no_rng_means_no_hwrng)
{
    g_autofree char *b = expect("no-rng", 0, "RNG=");

    ck_assert_msg(strstr(b, "RNG=none"), "%s", tail(b));
}
END_TEST

/* --net user: DHCP lease, slirp's DNS, and 32 MiB from this side's
 * loopback through 10.0.2.2 with a matching sha256. */
START_TEST(net_user_dhcp_dns_and_download)
{
    g_autofree char *b = expect_user_net_download("net-user");

    ck_assert_msg(strstr(b, "nameserver 10.0.2.3"), "%s", tail(b));
}
END_TEST

/* The driver resets the NIC twice (unbind/bind): husk-slirp's queue work
 * stops and restarts, and the network works after each. */
START_TEST(net_user_survives_nic_resets)
{
    g_autofree char *b = expect("net-reset", 0, "NET-AFTER-RESET-2");

    ck_assert_msg(strstr(b, "NET-AFTER-RESET-1"), "%s", tail(b));
    ck_assert_msg(!strstr(b, "network is down"), "%s", tail(b));
    ck_assert_msg(!strstr(b, "needs reset"), "%s", tail(b));
}
END_TEST

/* hostfwd: this side fetches the guest's page through 127.0.0.1:8080. */
START_TEST(net_hostfwd_reaches_the_guest)
{
    g_autofree char *b = expect("net-hostfwd", 0, "GUEST-DONE");

    ck_assert_msg(strstr(b, "HOSTFWD-GOT=served-by-the-guest"), "%s", tail(b));
}
END_TEST

/* restrict=on: forwarded ports work, the host's other ports do not. */
START_TEST(net_restrict_allows_only_forwarded_ports)
{
    g_autofree char *b = expect("net-restrict", 0, "GUEST-DONE");

    ck_assert_msg(strstr(b, "HOSTFWD-GOT=served-by-the-guest"), "%s", tail(b));
    ck_assert_msg(strstr(b, "RESTRICT-BLOCKED-rc"), "%s", tail(b));
    ck_assert_msg(!strstr(b, "RESTRICT-BLOCKED-rc139"), "wget crashed:\n%s",
                  tail(b));
    ck_assert_msg(!strstr(b, "RESTRICT-LEAK"), "%s", tail(b));
}
END_TEST

/* Two VMs with TAP devices on one bridge ping each other and one fetches
 * 8 MiB of zeros from the other.  Without vhost_net loaded, TAP falls
 * back to husk's own path with one line. */
static char *tap_pair_checked(const char *name, const char *want_fds)
{
    g_autofree char *b = expect(name, 0, "TAP-PING-OK-192.168.77.1");
    g_autofree char *sha = value_of(b, "TAP-XFER-SHA");
    g_autofree char *fds = value_of(b, "VHOST-NET-FDS");

    ck_assert_msg(strstr(b, "TAP-PING-OK-192.168.77.2"), "%s", tail(b));
    ck_assert_msg(sha && !strcmp(sha,
                                 "2daeb1f36095b44b318410b3f4e8b5d989dc"
                                 "c7bb023d1426c492dab0a3053e74"),
                  "%s: 8 MiB fetched as %s", name, sha ? sha : "nothing");
    ck_assert_msg(fds && !strcmp(fds, want_fds),
                  "%s: %s husk processes on /dev/vhost-net, not %s", name,
                  fds ? fds : "?", want_fds);
    return g_steal_pointer(&b);
}

START_TEST(net_tap_vms_ping_each_other)
{
    const char *name = "net-tap";
    g_autofree char *b = tap_pair_checked(name, "0");

    /* Said once per husk when it falls back. */
    ck_assert_msg(strstr(b, "husk serves the TAP NIC itself"),
                  "%s: no fallback line:\n%s", name, tail(b));
}
END_TEST

/* vhost_net loaded: one VM's NIC on vhost-net (the default when
 * /dev/vhost-net is usable), the other on husk's path (vhost=off), the
 * same pings and transfer between them, no fallback line. */
START_TEST(net_tap_with_vhost_net_on_and_off)
{
    const char *name = "net-tap-vhost";
    g_autofree char *b = tap_pair_checked(name, "1");

    ck_assert_msg(!strstr(b, "husk serves the TAP NIC itself"),
                  "%s: fell back:\n%s", name, tail(b));
}
END_TEST

START_TEST(vhost_on_without_vhost_net_is_refused)
{
    g_autofree char *b = expect("vhost-on-refused", 69, "modprobe vhost_net");

    ck_assert_msg(!strstr(b, "HUSK-GUEST-READY"), "the guest ran");
}
END_TEST

/* --vsock: 16 MiB each way byte-exact through the kernel's vhost-vsock,
 * this side to the guest and the guest to this side (CID 2). */
START_TEST(vsock_host_to_guest_echo)
{
    /* This side to the guest's echo; the guest's own way: below. */
    g_autofree char *b = expect("vsock-echo", 0, "listening");
    g_autofree char *host = value_of(output, "VSOCK-HOST-SHA");
    g_autofree char *echoed = value_of(output, "VSOCK-ECHO-SHA");

    ck_assert_msg(host && echoed, "no VSOCK-HOST-SHA or VSOCK-ECHO-SHA line");
    ck_assert_uint_eq(strlen(host), 64);
    ck_assert_str_eq(echoed, host);
}
END_TEST

START_TEST(vsock_guest_to_host)
{
    g_autofree char *b = expect("vsock-to-host", 0, "G-BACK-SHA=");
    g_autofree char *made = value_of(b, "G-SHA");
    g_autofree char *back = value_of(b, "G-BACK-SHA");
    g_autofree char *rc = value_of(output, "VSOCK-HOST-LISTENER-RC");

    ck_assert_msg(made && back, "%s", tail(b));
    ck_assert_uint_eq(strlen(made), 64);
    ck_assert_str_eq(made, back);
    ck_assert_msg(rc && !strcmp(rc, "0"), "this side's listener: %s",
                  rc ? rc : "?");
}
END_TEST

START_TEST(vsock_two_vms_and_a_taken_cid)
{
    g_autofree char *a = expect("vsock-a", 0, "VM-A");
    g_autofree char *b = expect("vsock-b", 0, "VM-B");
    g_autofree char *t = expect("vsock-taken", 69, "CID 5 is taken");
    g_autofree char *ra = value_of(output, "VSOCK-A-REPLY");
    g_autofree char *rb = value_of(output, "VSOCK-B-REPLY");

    ck_assert_msg(!strstr(t, "HUSK-GUEST-READY"), "the third guest ran");
    ck_assert_msg(ra && !strcmp(ra, "hello-a"), "A answered '%s'",
                  ra ? ra : "");
    ck_assert_msg(rb && !strcmp(rb, "hello-b"), "B answered '%s'",
                  rb ? rb : "");
}
END_TEST

START_TEST(vsock_survives_device_resets)
{
    g_autofree char *b = expect("vsock-reset", 0, "RESET-DONE");
    g_autofree char *host = value_of(output, "VSOCK-HOST-SHA");
    g_autofree char *after = value_of(output, "VSOCK-RESET-SHA");

    ck_assert_msg(after && host && !strcmp(after, host),
                  "after the resets: %s, sent %s", after ? after : "?",
                  host ? host : "?");
}
END_TEST

START_TEST(vsock_bad_cid_is_one_line)
{
    g_autofree char *b = expect("vsock-bad-cid", 64, "--vsock '2'");
}
END_TEST

START_TEST(console_input_reaches_the_shell)
{
    /* The guest computed 6*7 from what was typed on husk's stdin. */
    g_autofree char *b = expect("console-input", 0, "TYPED-42");
}
END_TEST

/* --cold: the guest images and the test host built from an empty cache
 * (a new HUSK_CACHE), and a real guest booted with them, so a first run's
 * failure (a download, a missing tool, a script that reads stderr as
 * data) cannot hide behind a warm cache. */
/* --share: the tree reads the same in the guest (sum over contents,
 * names with spaces and UTF-8, a symlink, 1,000 entries); a guest write
 * is on the host; the ro share refuses writes; after an unbind and bind
 * of the virtio-fs driver both shares mount and read the same. */
START_TEST(share_tree_reads_identically)
{
    g_autofree char *b = expect("share-tree", 0, "GUEST-TREE-SUM-AGAIN=");
    g_autofree char *host = value_of(output, "HOST-TREE-SUM");
    g_autofree char *guest = value_of(b, "GUEST-TREE-SUM");
    g_autofree char *again = value_of(b, "GUEST-TREE-SUM-AGAIN");
    g_autofree char *wrote = value_of(b, "GUEST-WROTE-SHA");
    g_autofree char *saw = value_of(output, "HOST-SAW-SHA");
    g_autofree char *ro = value_of(b, "RO-SHARE");
    g_autofree char *ro_file = value_of(output, "HOST-RO-FILE");
    g_autofree char *rebound = value_of(b, "REBOUND");

    ck_assert_msg(host && guest && strlen(host) == 64, "%s", tail(b));
    ck_assert_msg(!strcmp(host, guest), "host tree %s, guest saw %s", host,
                  guest);
    ck_assert_msg(!strcmp(host, again), "after rebind the guest saw %s", again);
    ck_assert_msg(wrote && saw && !strcmp(wrote, saw),
                  "guest wrote %s, host reads %s", wrote, saw);
    ck_assert_str_eq(ro, "refused");
    ck_assert_str_eq(ro_file, "absent");
    ck_assert_str_eq(rebound, "2");
}
END_TEST

/* Snapshots of a real Linux guest (snapshot.sh): taken at a marker while
 * the guest waits for a command on its console; restored three times in
 * a row and four at once, each running the command it is given and
 * ending with its status; the memory file sparse. */
START_TEST(snapshot_restores_a_linux_guest)
{
    g_autofree char *t = expect("snap-take", 0, "husk: snapshot written to");
    g_autofree char *alloc = value_of(output, "SNAP-MEMORY-ALLOC");
    g_autofree char *size = value_of(output, "SNAP-MEMORY-SIZE");
    g_autofree char *par = expect("snap-parallel", 0, NULL);

    ck_assert_msg(alloc && size && atol(alloc) * 1024 < atol(size) / 2,
                  "memory file: %s KiB allocated of %s bytes", alloc, size);
    for (int i = 1; i <= 3; i++) {
        g_autofree char *name = g_strdup_printf("snap-restore-%d", i);
        g_autofree char *want = g_strdup_printf("\nRESTORED-%d", i);
        g_autofree char *b = expect(name, 40 + i, want);
    }
    for (int i = 1; i <= 4; i++) {
        g_autofree char *want = g_strdup_printf("\nPARALLEL-%d", i);
        g_autofree char *rc = g_strdup_printf("PARALLEL-RC-%d=%d", i, 50 + i);

        ck_assert_msg(strstr(par, want) && strstr(par, rc),
                      "restore %d of 4 at once: %s", i, tail(par));
    }
}
END_TEST

/* A counter printed every 100 ms goes on after the restore from where the
 * snapshot took it, to the guest's own end (status 7). */
START_TEST(snapshot_counter_goes_on)
{
    g_autofree char *t = expect("snap-ticks-take", 0, "TICK-20\n");
    g_autofree char *r = expect("snap-ticks-restore", 7, "TICK-59");
    const char *first = strstr(r, "TICK-");

    ck_assert_msg(!strstr(t, "TICK-23"), "the snapshot run went on: %s",
                  tail(t));
    ck_assert_msg(first && atoi(first + 5) >= 20 && atoi(first + 5) <= 22 &&
                      !strstr(r, "TICK-0\n") && !strstr(r, "TICK-19\n"),
                  "restored counter: %s", r);
}
END_TEST

/* The control socket on a real guest: pause holds the counter, resume
 * lets it go on to its end; a snapshot through the socket restores; the
 * power button powers the default guest off. */
START_TEST(snapshot_api_pause_resume_and_powerdown)
{
    g_autofree char *b = expect("snap-api-pause", 0, NULL);
    g_autofree char *paused = value_of(b, "TICKS-WHILE-PAUSED");
    g_autofree char *total = value_of(b, "TICKS-TOTAL");
    g_autofree char *vmrc = value_of(b, "API-VM-RC");
    g_autofree char *r = expect("snap-api-restore", 9, "TICK-99");
    g_autofree char *pd = expect("snap-powerdown", 0, NULL);
    g_autofree char *pdrc = value_of(pd, "PD-VM-RC");

    ck_assert_msg(strstr(b, "PAUSE-RC=0") && strstr(b, "RESUME-RC=0") &&
                      strstr(b, "API-SNAPSHOT-RC=0") && strstr(b, "\"paused\""),
                  "%s", tail(b));
    ck_assert_msg(paused && !strcmp(paused, "0"),
                  "the paused guest printed %s ticks", paused);
    ck_assert_msg(vmrc && !strcmp(vmrc, "9") && total && !strcmp(total, "100"),
                  "after resume: status %s, %s ticks in all\n%s", vmrc, total,
                  tail(b));
    ck_assert_msg(strstr(pd, "POWERDOWN-RC=0") && pdrc && !strcmp(pdrc, "0") &&
                      strstr(pd, "power button pressed"),
                  "powerdown: %s", tail(pd));
}
END_TEST

/* What the restored guest writes and flushes to its disk is on the host
 * once husk has ended; the clone ran on a copy, the original is as it
 * was. */
START_TEST(snapshot_disk_holds_writes)
{
    g_autofree char *t = expect("snap-disk-take", 0, NULL);
    g_autofree char *b = expect("snap-disk-restore", 0, NULL);
    g_autofree char *g = value_of(b, "GUEST-SHA");
    g_autofree char *h = value_of(b, "HOST-SHA");
    g_autofree char *o = value_of(b, "ORIGINAL-SHA");
    g_autofree char *z = value_of(b, "ZERO-SHA");

    ck_assert_msg(g && h && !strcmp(g, h), "guest %s, host %s\n%s", g, h,
                  tail(b));
    ck_assert_msg(o && z && !strcmp(o, z), "the original image changed: %s", o);
}
END_TEST

/* Two vCPUs busy in user space at the snapshot both go on; --net user
 * works after a restore on a fresh stack. */
START_TEST(snapshot_two_busy_vcpus_and_user_net)
{
    g_autofree char *t = expect("snap-smp-take", 0, NULL);
    g_autofree char *b = expect("snap-smp-restore", 0, "BOTH-RUNNING");
    g_autofree char *n = expect("snap-net-restore", 0, "hello-after-restore");

    ck_assert_msg(strstr(b, "CPUS=2"), "%s", tail(b));
}
END_TEST

/* husk exec: COMMAND's output and status, in the guest kernel. */
START_TEST(exec_runs_command_with_its_status)
{
    int rc;
    g_autofree char *u = block_out("exec-uname", &rc);
    g_autofree char *lines = g_strdup_printf("\n%s", u);
    g_autofree char *want = g_strdup_printf("\n%s\n", exec_release);
    g_autofree char *x = expect("exec-exit3", 3, NULL);
    g_autofree char *nf = expect("exec-not-found", 127, "no-such-command");
    g_autofree char *dk = expect("exec-default-kernel", 0, "modules.dep");
    g_autofree char *dk_rel = value_of(dk, "RELEASE");

    /* The test host's own kernel messages may come between the lines. */
    ck_assert_msg(rc == 0 && strstr(lines, want),
                  "husk exec -- uname -r: status %d, printed:\n%s\n(wanted "
                  "%s)",
                  rc, u, exec_release);
    ck_assert_msg(dk_rel && !strcmp(dk_rel, exec_release),
                  "without --kernel: %s", tail(dk));
}
END_TEST

/* 1 MiB on stdout and another on stderr, each byte for byte, apart. */
START_TEST(exec_streams_are_byte_exact_and_apart)
{
    g_autofree char *b = expect("exec-streams", 0, "EXEC-ERR-SHA=");
    g_autofree char *a = value_of(output, "HOST-A-SHA");
    g_autofree char *bb = value_of(output, "HOST-B-SHA");
    g_autofree char *o = value_of(b, "EXEC-OUT-SHA");
    g_autofree char *e = value_of(b, "EXEC-ERR-SHA");

    ck_assert_msg(a && strlen(a) == 64 && bb, "%s", tail(output));
    ck_assert_msg(!strcmp(a, o), "stdout: host file %s, husk printed %s", a, o);
    ck_assert_msg(!strcmp(bb, e), "stderr: host file %s, husk printed %s", bb,
                  e);
}
END_TEST

/* husk exec -- yes | head -1: the reader's going ends it, 141. */
START_TEST(exec_reader_gone_ends_command)
{
    g_autofree char *b = expect("exec-sigpipe", 0, "HUSK-RC=141");

    ck_assert_msg(g_str_has_prefix(b, "y\n") || strstr(b, "\ny\n"), "%s", b);
}
END_TEST

/* A NUL byte through stdin, and end of file (od ends only on EOF). */
START_TEST(exec_stdin_binary_and_eof)
{
    g_autofree char *b = expect("exec-stdin", 0, NULL);

    ck_assert_msg(strstr(b, "a  \\0   b"), "od -c printed:\n%s", b);
}
END_TEST

/* / is read-only under an overlay: writes stay in the guest; --rw
 * writes reach the host; the caller's directory and --env carry over. */
START_TEST(exec_writes_stay_in_the_guest_except_rw)
{
    g_autofree char *b = expect("exec-overlay", 0, "WROTE");
    g_autofree char *ov = value_of(output, "HOST-OVERLAY-FILE");
    g_autofree char *rw = value_of(output, "HOST-RW-FILE");
    g_autofree char *c = expect("exec-cwd", 0, "HUSK_TEST=yes");

    ck_assert_msg(strstr(b, "guest\n"), "%s", tail(b));
    ck_assert_str_eq(ov, "absent");
    ck_assert_str_eq(rw, "through");
    ck_assert_msg(strstr(c, "/xd/cwd HUSK_TEST=yes"), "%s", c);
}
END_TEST

/* The usual options: --share ro at its own path, --net user (eth0 up,
 * the host reached at 10.0.2.2), --disk (/dev/vda). */
START_TEST(exec_share_net_and_disk_options)
{
    g_autofree char *r = expect("exec-share-ro", 0, "RO-REFUSED");
    g_autofree char *kept = value_of(output, "HOST-EXEC-RO-FILE");
    g_autofree char *n = expect("exec-net", 0, "HELLO-FROM-HOST");
    g_autofree char *d = expect("exec-disk", 0, "DISK-SECTOR-0");

    ck_assert_msg(strstr(r, "kept\n"), "%s", tail(r));
    ck_assert_str_eq(kept, "kept");
    ck_assert_msg(strstr(n, "nameserver 10.0.2.3"), "%s", tail(n));
}
END_TEST

/* A module of a kernel build tree loads with modprobe (--modules). */
START_TEST(exec_modprobe_from_a_build_tree)
{
    g_autofree char *b = expect("exec-modprobe", 0, "MODPROBE-OK");
}
END_TEST

/* A panic is 120 with the kernel's lines; --timeout is 124; a kernel
 * without virtio-fs is one line and 125, not a hang. */
START_TEST(exec_panic_timeout_and_unsuitable_kernel)
{
    g_autofree char *p = expect("exec-panic", 120, "the guest kernel panicked");
    g_autofree char *t = expect("exec-timeout", 124, "COMMAND timed out");
    g_autofree char *pr =
        expect("exec-panic-reboot", 120, "the guest kernel panicked");
    g_autofree char *n = expect("exec-no-virtiofs", 125,
                                "husk exec: the guest kernel has no virtio-fs");
    g_autofree char *u = expect("exec-no-command", 64, "no command given");
    g_autofree char *m = expect("exec-bad-modules", 66, "--modules");

    ck_assert_msg(strstr(p, "Kernel panic") || strstr(p, "sysrq"), "%s",
                  tail(p));
}
END_TEST

/* virtiofsd killed mid-run: the guest's reads fail, husk names the
 * backend, the guest runs to its end and husk exits with its status. */
START_TEST(share_backend_killed_gives_io_errors)
{
    g_autofree char *b = expect("share-killed", 0, "GUEST-STILL-RUNNING");

    ck_assert_msg(strstr(output, "KILLED-VIRTIOFSD="), "virtiofsd not found");
    ck_assert_msg(strstr(b, "READ-BEFORE=ok"), "%s", tail(b));
    ck_assert_msg(strstr(b, "READ-AFTER=error"), "%s", tail(b));
    ck_assert_msg(strstr(b,
                         "husk: warning: share 'src': the backend closed "
                         "the connection"),
                  "%s", tail(b));
    ck_assert_msg(strstr(b, "LS-AFTER=error"), "%s", tail(b));
}
END_TEST

/* Before the guest starts: one line and the documented status. */
START_TEST(share_errors_before_boot)
{
    static const struct {
        const char *name;
        int rc;
        const char *line;
    } c[] = {
        {"share-missing-dir", 66, "husk: --share /tmp/no-such-dir: No such"},
        {"share-tag-taken", 64, "tag 'share' is taken by --share"},
        {"share-no-virtiofsd", 69, "husk: --share needs virtiofsd"},
    };

    for (unsigned i = 0; i < G_N_ELEMENTS(c); i++) {
        g_autofree char *b = expect(c[i].name, c[i].rc, c[i].line);
        const char *mark = strstr(b, "=== STDERR");
        const char *msg = mark ? strchr(mark, '\n') : NULL;
        unsigned lines = 0;

        ck_assert_msg(msg, "%s: no stderr mark:\n%s", c[i].name, b);
        for (const char *p = msg + 1; *p; p++) {
            lines += *p == '\n';
        }
        /* One line: the message and nothing else. */
        ck_assert_msg(lines == 1, "%s: %u lines on stderr:\n%s", c[i].name,
                      lines, b);
    }
}
END_TEST

/* qcow2 through qemu-storage-daemon: what qemu-io wrote, the guest
 * reads; what the guest wrote with fsync, qemu-img reads after husk
 * exits, and the image checks clean; a backing chain (format=qcow2, ro)
 * reads its base and refuses writes. */
START_TEST(qcow2_disk_round_trip)
{
    g_autofree char *b = expect("qcow2-rw", 0, "GUEST-WROTE=");
    g_autofree char *host_wrote = value_of(output, "QCOW-HOST-WROTE");
    g_autofree char *guest_read = value_of(b, "GUEST-READ");
    g_autofree char *guest_wrote = value_of(b, "GUEST-WROTE");
    g_autofree char *host_read = value_of(output, "QCOW-HOST-READ");
    g_autofree char *check = value_of(output, "QCOW-CHECK");
    g_autofree char *c = expect("qcow2-chain", 0, "CHAIN-RO-REFUSED");
    g_autofree char *chain = value_of(c, "CHAIN-READ");

    ck_assert_msg(host_wrote && guest_read && !strcmp(host_wrote, guest_read),
                  "qemu-io wrote %s, the guest read %s", host_wrote,
                  guest_read);
    ck_assert_msg(host_read && !strcmp(guest_wrote, host_read),
                  "the guest wrote %s, qemu-img reads %s", guest_wrote,
                  host_read);
    ck_assert_str_eq(check, "clean");
    ck_assert_msg(chain && !strcmp(chain, host_wrote),
                  "the overlay read %s, its base holds %s", chain, host_wrote);
}
END_TEST

/* --disk vhost-user=SOCKET: a backend started by someone else serves the
 * disk; the guest's write is in the image afterwards. */
START_TEST(vhost_user_socket_disk)
{
    g_autofree char *b = expect("vu-socket", 0, "VU-WROTE");
    g_autofree char *host = value_of(output, "VU-HOST-READ");

    ck_assert_msg(strstr(b, "VU-READ=vu-data"), "%s", tail(b));
    /* qemu-io's dump: the bytes of "vu-data" (its text column shows the
     * dash as a dot). */
    ck_assert_msg(host && strstr(host, "76 75 2d 64 61 74 61"),
                  "the image holds: %s", host ? host : "(nothing)");
}
END_TEST

START_TEST(qcow2_errors_before_boot)
{
    g_autofree char *a =
        expect("qcow2-corrupt", 65, "husk: --disk /tmp/bad.qcow2: ");
    g_autofree char *b =
        expect("qcow2-chain-unasked", 64, "give format=qcow2 to use it");

    ck_assert_msg(strstr(a, "qcow2"), "%s", a);
}
END_TEST

/* husk-slirp as a standard vhost-user-net backend: QEMU microvm with
 * -netdev vhost-user on it gets a lease and the 32 MiB file intact;
 * husk-slirp ends with its frontend. */
START_TEST(husk_slirp_serves_qemu)
{
    g_autofree char *b = expect("slirp-qemu", 1, "QEMU-BIG-SHA=");
    g_autofree char *host = value_of(output, "BIG-HOST-SHA");
    g_autofree char *guest = value_of(b, "QEMU-BIG-SHA");
    g_autofree char *exit_line = value_of(output, "SLIRP-EXIT");

    ck_assert_msg(strstr(b, "inet 10.0.2.15/"), "no DHCP lease:\n%s", tail(b));
    ck_assert_msg(host && guest && !strcmp(host, guest),
                  "the host served %s, QEMU's guest got %s", host, guest);
    ck_assert_str_eq(exit_line, "0");
}
END_TEST

START_TEST(cold_cache_builds_and_boots)
{
    g_autofree char *b = expect("cold-bzimage", 0, "HUSK-GUEST-READY");

    ck_assert_msg(strstr(b, "HUSK-RUN-OK"), "%s", tail(b));
}
END_TEST

static char *cold_cache;

static void remove_cold_cache(void)
{
    if (cold_cache) {
        g_autofree char *cmd = g_strdup_printf("rm -rf '%s'", cold_cache);

        if (system(cmd) != 0) {
            fprintf(stderr, "check_system: could not remove %s\n", cold_cache);
        }
    }
}

int main(int argc, char **argv)
{
    Suite *su = suite_create("system");
    TCase *tc = tcase_create("linux");
    bool cold = argc == 6 && !strcmp(argv[1], "--cold");

    if (cold) {
        argv++;
        argc--;
    }
    if (argc != 5) {
        fprintf(stderr,
                "usage: check_system [--cold] SRCDIR HUSK TINY_ELF "
                "CHECK_TINY\n");
        return 2;
    }
    srcdir = argv[1];
    husk = argv[2];
    tiny = argv[3];
    check_tiny = argv[4];
    if (cold) {
        cold_cache = g_dir_make_tmp("husk-cold-cache-XXXXXX", NULL);
        if (!cold_cache) {
            fprintf(stderr, "check_system: no temporary directory\n");
            return 1;
        }
        g_setenv("HUSK_CACHE", cold_cache, TRUE);
        printf("system: building everything in an empty cache, %s\n",
               cold_cache);
        parts = cold_parts;
        tcase_add_unchecked_fixture(tc, run_scenarios, NULL);
        tcase_set_timeout(tc, 1200);
        tcase_add_test(tc, cold_cache_builds_and_boots);
        suite_add_tcase(su, tc);
        {
            int rc = check_run(su);

            remove_cold_cache();
            return rc;
        }
    }

    tcase_add_unchecked_fixture(tc, run_scenarios, NULL);
    tcase_set_timeout(tc, 1800);
    tcase_add_test(tc, tiny_guests_on_nested_kvm);
    tcase_add_test(tc, bzimage_boots_to_marker);
    tcase_add_test(tc, durability_under_sigkill);
    tcase_add_test(tc, disk_errors_reach_the_guest);
    tcase_add_test(tc, load_many_vms_and_floods);
    tcase_add_test(tc, pvh_vmlinux_boots_to_marker);
    tcase_add_test(tc, guest_sees_two_cpus);
    tcase_add_test(tc, memory_512m_matches);
    tcase_add_test(tc, memory_above_4g_is_used);
    tcase_add_test(tc, exit_port_status);
    tcase_add_test(tc, output_before_exit_arrives);
    tcase_add_test(tc, panic_status);
    tcase_add_test(tc, reboot_is_clean);
    tcase_add_test(tc, timeout_status);
    tcase_add_test(tc, poweroff_is_clean);
    tcase_add_test(tc, console_input_reaches_the_shell);
    tcase_add_loop_test(tc, disk_write_is_on_the_host_image, 0, 2);
    tcase_add_test(tc, husk_check_picks_io_uring);
    tcase_add_test(tc, share_tree_reads_identically);
    tcase_add_test(tc, snapshot_restores_a_linux_guest);
    tcase_add_test(tc, snapshot_counter_goes_on);
    tcase_add_test(tc, snapshot_api_pause_resume_and_powerdown);
    tcase_add_test(tc, snapshot_disk_holds_writes);
    tcase_add_test(tc, snapshot_two_busy_vcpus_and_user_net);
    tcase_add_test(tc, exec_runs_command_with_its_status);
    tcase_add_test(tc, exec_streams_are_byte_exact_and_apart);
    tcase_add_test(tc, exec_stdin_binary_and_eof);
    tcase_add_test(tc, exec_reader_gone_ends_command);
    tcase_add_test(tc, exec_writes_stay_in_the_guest_except_rw);
    tcase_add_test(tc, exec_modprobe_from_a_build_tree);
    tcase_add_test(tc, exec_share_net_and_disk_options);
    tcase_add_test(tc, exec_panic_timeout_and_unsuitable_kernel);
    tcase_add_test(tc, share_backend_killed_gives_io_errors);
    tcase_add_test(tc, share_errors_before_boot);
    tcase_add_test(tc, qcow2_disk_round_trip);
    tcase_add_test(tc, qcow2_errors_before_boot);
    tcase_add_test(tc, vhost_user_socket_disk);
    tcase_add_test(tc, husk_slirp_serves_qemu);
    tcase_add_test(tc, read_only_disk_refuses_writes);
    tcase_add_test(tc, rng_gives_hwrng);
    tcase_add_test(tc, no_rng_means_no_hwrng);
    tcase_add_test(tc, boots_from_ext4_root_disk);
    tcase_add_test(tc, virtio_console_carries_the_shell);
    tcase_add_test(tc, net_user_dhcp_dns_and_download);
    tcase_add_test(tc, net_user_survives_nic_resets);
    tcase_add_test(tc, net_hostfwd_reaches_the_guest);
    tcase_add_test(tc, net_restrict_allows_only_forwarded_ports);
    tcase_add_test(tc, net_tap_vms_ping_each_other);
    tcase_add_test(tc, net_tap_with_vhost_net_on_and_off);
    tcase_add_test(tc, vhost_on_without_vhost_net_is_refused);
    tcase_add_test(tc, vsock_host_to_guest_echo);
    tcase_add_test(tc, vsock_guest_to_host);
    tcase_add_test(tc, vsock_two_vms_and_a_taken_cid);
    tcase_add_test(tc, vsock_survives_device_resets);
    tcase_add_test(tc, vsock_bad_cid_is_one_line);
    tcase_add_test(tc, boot_timeline_of_linux);
    tcase_add_test(tc, bench_boot_runs);
    tcase_add_test(tc, hugepages_back_guest_ram);
    suite_add_tcase(su, tc);
    return check_run(su);
}
