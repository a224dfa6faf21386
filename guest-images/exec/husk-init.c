/*
 * husk-init.c: the init of `husk exec`'s guest (PID 1, static, from the
 * initramfs husk builds; the protocol is lib/exec_proto.h).  It loads the
 * modules it was given, mounts the host's root (virtio-fs, read-only)
 * under a tmpfs overlay, gives the new root its own /proc, /sys, /dev,
 * /tmp and /run, mounts the shares, brings up networking if asked, and
 * runs COMMAND as the caller with the console ports as its stdin, stdout
 * and stderr; then ends the VM with COMMAND's status through husk's exit
 * port.  What cannot be set up ends the VM with a failure code (enum
 * exec_failure) and a line on the kernel console, never a hang: every
 * wait here has a deadline.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <net/if.h>
#include <net/route.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "guest-images/exec/husk-init.h"
#include "lib/exec_proto.h"

#define MAX_ARGS 4096
#define MAX_ENV 256
#define MAX_MOUNTS 16
#define SPEC_MAX (1 << 20)
#define MODULE_INIT_COMPRESSED_FILE 4

static char spec[SPEC_MAX + 1];
static char *args[MAX_ARGS + 1];
static char *envs[MAX_ENV + 1];
static char *mounts[MAX_MOUNTS];
static unsigned nargs, nenvs, nmounts;
static const char *cwd = "/", *modules_tag;
static uid_t uid;
static gid_t gid;
static bool net;

static void say(const char *fmt, ...)
{
    char line[512];
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(line, sizeof(line) - 1, fmt, ap);
    va_end(ap);
    if (n < 0) {
        return;
    }
    n = n > (int)sizeof(line) - 2 ? (int)sizeof(line) - 2 : n;
    line[n++] = '\n';
    if (write(2, "husk-init: ", 11) < 0 || write(2, line, (size_t)n) < 0) {
        /* nowhere else to say it */
    }
}

/* Ends the VM with status; under husk the exit port does not return. */
static void __attribute__((noreturn)) end_vm(int status)
{
    sync();
    init_exit_port(status);
    reboot(RB_POWER_OFF);
    for (;;) {
        pause();
    }
}

static void __attribute__((noreturn, format(printf, 2, 3)))
fail(enum exec_failure why, const char *fmt, ...)
{
    char line[512];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    say("%s", line);
    end_vm(why);
}

static double now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void nap_ms(long ms)
{
    struct timespec ts = {0, ms * 1000000L};

    nanosleep(&ts, NULL);
}

static bool parse_uint(const char *s, unsigned long *out)
{
    char *end;

    errno = 0;
    *out = strtoul(s, &end, 10);
    return *s && !*end && !errno;
}

static void read_spec(void)
{
    int fd = open(EXEC_SPEC_PATH, O_RDONLY | O_CLOEXEC);
    size_t len = 0;
    ssize_t n;

    if (fd < 0) {
        fail(EXEC_FAIL_SPEC, "cannot open %s: %s", EXEC_SPEC_PATH,
             strerror(errno));
    }
    while (len < SPEC_MAX && (n = read(fd, spec + len, SPEC_MAX - len)) > 0) {
        len += (size_t)n;
    }
    close(fd);
    if (len == 0 || len >= SPEC_MAX || spec[len - 1] != '\0') {
        fail(EXEC_FAIL_SPEC, "%s is malformed", EXEC_SPEC_PATH);
    }
    for (char *p = spec, *next; p < spec + len; p = next) {
        char *v = strchr(p, '=');
        unsigned long u;

        next = p + strlen(p) + 1; /* before the '=' becomes a NUL */
        if (!v) {
            fail(EXEC_FAIL_SPEC, "%s: a record without '='", EXEC_SPEC_PATH);
        }
        *v++ = '\0';
        if (!strcmp(p, "arg") && nargs < MAX_ARGS) {
            args[nargs++] = v;
        } else if (!strcmp(p, "env") && nenvs < MAX_ENV) {
            envs[nenvs++] = v;
        } else if (!strcmp(p, "cwd")) {
            cwd = v;
        } else if (!strcmp(p, "uid") && parse_uint(v, &u)) {
            uid = (uid_t)u;
        } else if (!strcmp(p, "gid") && parse_uint(v, &u)) {
            gid = (gid_t)u;
        } else if (!strcmp(p, "net")) {
            net = !strcmp(v, "1");
        } else if (!strcmp(p, "mount") && nmounts < MAX_MOUNTS) {
            mounts[nmounts++] = v;
        } else if (!strcmp(p, "modules")) {
            modules_tag = v;
        } else {
            fail(EXEC_FAIL_SPEC, "%s: unknown or excess record '%s'",
                 EXEC_SPEC_PATH, p);
        }
    }
    if (nargs == 0) {
        fail(EXEC_FAIL_SPEC, "%s names no command", EXEC_SPEC_PATH);
    }
}

static void load_modules(void)
{
    FILE *f = fopen(EXEC_MODULES_PATH, "re");
    char name[256];

    if (!f) {
        return; /* nothing to load: all built in */
    }
    while (fgets(name, sizeof(name), f)) {
        char path[512];
        bool compressed;
        int fd;

        name[strcspn(name, "\n")] = '\0';
        if (!*name) {
            continue;
        }
        snprintf(path, sizeof(path), "%s/%s", EXEC_MODULES_DIR, name);
        compressed = !strstr(name, ".ko") || strcmp(strstr(name, ".ko"), ".ko");
        fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0 ||
            (syscall(SYS_finit_module, fd, "",
                     compressed ? MODULE_INIT_COMPRESSED_FILE : 0) < 0 &&
             errno != EEXIST)) {
            /* Said, not fatal: what it was for is checked next. */
            say("cannot load %s: %s", name, strerror(errno));
        }
        if (fd >= 0) {
            close(fd);
        }
    }
    fclose(f);
}

static bool have_fs(const char *fs)
{
    FILE *f = fopen("/proc/filesystems", "re");
    char line[128];
    bool found = false;

    while (f && !found && fgets(line, sizeof(line), f)) {
        char *t = strrchr(line, '\t');

        line[strcspn(line, "\n")] = '\0';
        found = !strcmp(t ? t + 1 : line, fs);
    }
    if (f) {
        fclose(f);
    }
    return found;
}

static bool have_virtio_devices(void)
{
    DIR *d = opendir("/sys/bus/virtio/devices");
    struct dirent *e;
    bool any = false;

    while (d && !any && (e = readdir(d))) {
        any = e->d_name[0] != '.';
    }
    if (d) {
        closedir(d);
    }
    return any;
}

static void mkdir_p(const char *path)
{
    char buf[4096];

    if (strlen(path) >= sizeof(buf)) {
        return;
    }
    strcpy(buf, path);
    for (char *p = buf + 1; *p; p++) {
        if (*p == '/') {
            *p = '\0';
            mkdir(buf, 0755);
            *p = '/';
        }
    }
    mkdir(buf, 0755);
}

/* A virtio-fs mount; the device may still be probing: retried for 2 s. */
static int mount_virtiofs(const char *tag, const char *dir, unsigned long flags)
{
    double until = now() + 2;

    for (;;) {
        if (mount(tag, dir, "virtiofs", flags, NULL) == 0) {
            return 0;
        }
        if ((errno != ENOENT && errno != ENODEV && errno != EINVAL) ||
            now() > until) {
            return -1;
        }
        nap_ms(10);
    }
}

static void mount_root(void)
{
    mkdir("/run", 0755);
    if (mount("tmpfs", "/run", "tmpfs", 0, "mode=0755") < 0) {
        fail(EXEC_FAIL_SETUP, "cannot mount a tmpfs on /run: %s",
             strerror(errno));
    }
    mkdir("/run/lower", 0755);
    mkdir("/run/upper", 0755);
    mkdir("/run/work", 0755);
    mkdir("/newroot", 0755);
    if (mount_virtiofs(EXEC_ROOT_TAG, "/run/lower", MS_RDONLY) < 0) {
        fail(EXEC_FAIL_ROOT,
             "cannot mount the host's root (virtio-fs tag %s): %s",
             EXEC_ROOT_TAG, strerror(errno));
    }
    if (!have_fs("overlay")) {
        fail(EXEC_FAIL_OVERLAY,
             "the guest kernel has no overlay file system "
             "(CONFIG_OVERLAY_FS)");
    }
    if (mount("overlay", "/newroot", "overlay", 0,
              "lowerdir=/run/lower,upperdir=/run/upper,workdir=/run/work") <
        0) {
        fail(EXEC_FAIL_OVERLAY, "cannot mount the overlay on the root: %s",
             strerror(errno));
    }
}

static void mount_in(const char *src,
                     const char *dir,
                     const char *type,
                     unsigned long flags,
                     const char *opts)
{
    char path[4096];

    snprintf(path, sizeof(path), "/newroot%s", dir);
    mkdir_p(path);
    if (mount(src, path, type, flags, opts) < 0) {
        fail(EXEC_FAIL_SETUP, "cannot mount %s on %s: %s", type, dir,
             strerror(errno));
    }
}

static void mount_guest_dirs(void)
{
    char path[4096];

    mount_in("proc", "/proc", "proc", 0, NULL);
    mount_in("sysfs", "/sys", "sysfs", 0, NULL);
    snprintf(path, sizeof(path), "/newroot/dev");
    mkdir_p(path);
    if (mount("/dev", path, NULL, MS_MOVE, NULL) < 0) {
        fail(EXEC_FAIL_SETUP, "cannot move /dev: %s", strerror(errno));
    }
    mount_in("devpts", "/dev/pts", "devpts", 0, "mode=0620,ptmxmode=0666");
    mount_in("tmpfs", "/dev/shm", "tmpfs", 0, "mode=1777");
    mount_in("tmpfs", "/tmp", "tmpfs", 0, "mode=1777");
    mount_in("tmpfs", "/run", "tmpfs", 0, "mode=0755");
}

static void mount_shares(void)
{
    struct utsname u;

    for (unsigned i = 0; i < nmounts; i++) {
        char *tag = mounts[i], *dir = strchr(tag, ':'), *ro;
        char path[4096];

        if (!dir) {
            fail(EXEC_FAIL_SPEC, "mount record without a path: %s", tag);
        }
        *dir++ = '\0';
        ro = strrchr(dir, ':');
        if (ro && !strcmp(ro, ":ro")) {
            *ro = '\0';
        } else {
            ro = NULL;
        }
        snprintf(path, sizeof(path), "/newroot%s", dir);
        mkdir_p(path);
        if (mount_virtiofs(tag, path, ro ? MS_RDONLY : 0) < 0) {
            fail(EXEC_FAIL_SETUP, "cannot mount share %s on %s: %s", tag, dir,
                 strerror(errno));
        }
    }
    if (modules_tag && uname(&u) == 0) {
        char path[512];

        snprintf(path, sizeof(path), "/newroot/lib/modules/%s", u.release);
        mkdir_p(path);
        if (mount_virtiofs(modules_tag, path, MS_RDONLY) < 0) {
            fail(EXEC_FAIL_SETUP, "cannot mount the modules on %s: %s",
                 path + 8, strerror(errno));
        }
    }
}

static void switch_root(void)
{
    if (chdir("/newroot") < 0 || mount(".", "/", NULL, MS_MOVE, NULL) < 0 ||
        chroot(".") < 0 || chdir("/") < 0) {
        fail(EXEC_FAIL_SETUP, "cannot switch to the new root: %s",
             strerror(errno));
    }
}

static void if_up(int s, const char *name)
{
    struct ifreq ifr;

    memset(&ifr, 0, sizeof(ifr));
    strncpy(ifr.ifr_name, name, IFNAMSIZ - 1);
    if (ioctl(s, SIOCGIFFLAGS, &ifr) == 0) {
        ifr.ifr_flags |= IFF_UP;
        ioctl(s, SIOCSIFFLAGS, &ifr);
    }
}

static void set_addr(int s, const char *name, unsigned long req, const char *a)
{
    struct ifreq ifr;
    struct sockaddr_in *sin = (struct sockaddr_in *)&ifr.ifr_addr;

    memset(&ifr, 0, sizeof(ifr));
    strncpy(ifr.ifr_name, name, IFNAMSIZ - 1);
    sin->sin_family = AF_INET;
    inet_pton(AF_INET, a, &sin->sin_addr);
    if (ioctl(s, req, &ifr) < 0) {
        say("%s: cannot set %s: %s", name, a, strerror(errno));
    }
}

/* --net user: husk-slirp's fixed addresses (what its DHCP would give). */
static void network(void)
{
    int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    struct rtentry rt;
    int fd;

    if (s < 0) {
        return;
    }
    if_up(s, "lo");
    if (net) {
        set_addr(s, "eth0", SIOCSIFADDR, "10.0.2.15");
        set_addr(s, "eth0", SIOCSIFNETMASK, "255.255.255.0");
        if_up(s, "eth0");
        memset(&rt, 0, sizeof(rt));
        ((struct sockaddr_in *)&rt.rt_dst)->sin_family = AF_INET;
        ((struct sockaddr_in *)&rt.rt_genmask)->sin_family = AF_INET;
        ((struct sockaddr_in *)&rt.rt_gateway)->sin_family = AF_INET;
        inet_pton(AF_INET, "10.0.2.2",
                  &((struct sockaddr_in *)&rt.rt_gateway)->sin_addr);
        rt.rt_flags = RTF_UP | RTF_GATEWAY;
        if (ioctl(s, SIOCADDRT, &rt) < 0) {
            say("eth0: cannot add the default route: %s", strerror(errno));
        }
        /* In the overlay (a link to /run/... is replaced, not followed). */
        unlink("/etc/resolv.conf");
        fd = open("/etc/resolv.conf", O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
                  0644);
        if (fd < 0 || write(fd, "nameserver 10.0.2.3\n", 20) != 20) {
            say("cannot write /etc/resolv.conf");
        }
        if (fd >= 0) {
            close(fd);
        }
    }
    close(s);
}

/* The three ports by name; they appear as the driver's control exchange
 * with husk goes on, so this waits for them, at most 5 s. */
static void find_ports(int fds[3])
{
    static const char *const names[3] = {EXEC_PORT_STDIN, EXEC_PORT_STDOUT,
                                         EXEC_PORT_STDERR};
    double until = now() + 5;

    fds[0] = fds[1] = fds[2] = -1;
    for (;;) {
        DIR *d = opendir("/sys/class/virtio-ports");
        struct dirent *e;
        unsigned found = 0;

        while (d && (e = readdir(d))) {
            char path[512], name[64];
            ssize_t n;
            int fd;

            if (e->d_name[0] == '.') {
                continue;
            }
            snprintf(path, sizeof(path), "/sys/class/virtio-ports/%s/name",
                     e->d_name);
            fd = open(path, O_RDONLY | O_CLOEXEC);
            n = fd < 0 ? -1 : read(fd, name, sizeof(name) - 1);
            if (fd >= 0) {
                close(fd);
            }
            if (n <= 0) {
                continue;
            }
            name[n] = '\0';
            name[strcspn(name, "\n")] = '\0';
            for (int i = 0; i < 3; i++) {
                if (fds[i] < 0 && !strcmp(name, names[i])) {
                    snprintf(path, sizeof(path), "/dev/%s", e->d_name);
                    fds[i] = open(path, (i ? O_WRONLY : O_RDONLY) | O_CLOEXEC);
                }
            }
        }
        if (d) {
            closedir(d);
        }
        for (int i = 0; i < 3; i++) {
            found += fds[i] >= 0;
        }
        if (found == 3) {
            return;
        }
        if (now() > until) {
            fail(EXEC_FAIL_PORTS,
                 "no console ports for COMMAND's streams (the guest kernel "
                 "needs CONFIG_VIRTIO_CONSOLE)");
        }
        nap_ms(10);
    }
}

/* The child: becomes COMMAND. */
static void __attribute__((noreturn)) run_command(const int fds[3])
{
    const char *path = NULL;
    char msg[512];
    int n;

    setsid();
    for (int i = 0; i < 3; i++) {
        if (dup2(fds[i], i) < 0) {
            _exit(126);
        }
    }
    if (setgroups(0, NULL) < 0 && uid == 0) {
        _exit(126);
    }
    if (setgid(gid) < 0 || setuid(uid) < 0) {
        n = snprintf(msg, sizeof(msg), "husk exec: cannot become %u:%u: %s\n",
                     (unsigned)uid, (unsigned)gid, strerror(errno));
        if (write(2, msg, (size_t)n) < 0) {
            _exit(126);
        }
        _exit(126);
    }
    if (chdir(cwd) < 0) {
        n = snprintf(msg, sizeof(msg),
                     "husk exec: warning: no %s in the guest (%s); in /\n", cwd,
                     strerror(errno));
        if (write(2, msg, (size_t)n) < 0 || chdir("/") < 0) {
            _exit(126);
        }
    }
    for (unsigned i = 0; i < nenvs; i++) {
        if (!strncmp(envs[i], "PATH=", 5)) {
            path = envs[i] + 5;
        }
    }
    environ = envs;
    if (path) {
        setenv("PATH", path, 1); /* execvp's search; environ keeps it */
    }
    execvp(args[0], args);
    n = snprintf(msg, sizeof(msg), "husk exec: %s: %s\n", args[0],
                 strerror(errno));
    if (write(2, msg, (size_t)n) < 0) {
        _exit(errno == ENOENT ? 127 : 126);
    }
    _exit(errno == ENOENT ? 127 : 126);
}

int main(void)
{
    int fds[3], status = 0;
    pid_t child, pid;

    if (getpid() != 1) {
        fprintf(stderr, "husk-init: the init of husk exec's guests\n");
        return 2;
    }
    mount("proc", "/proc", "proc", 0, NULL);
    mount("sysfs", "/sys", "sysfs", 0, NULL);
    if (mount("devtmpfs", "/dev", "devtmpfs", 0, NULL) < 0 && errno != EBUSY) {
        fail(EXEC_FAIL_DEVTMPFS,
             "the guest kernel has no devtmpfs (CONFIG_DEVTMPFS)");
    }
    init_mark(EXEC_MARK_INIT);
    read_spec();
    load_modules();
    init_mark(EXEC_MARK_MODULES);
    if (!have_virtio_devices()) {
        fail(EXEC_FAIL_VIRTIO,
             "the guest kernel found no virtio device (it needs "
             "CONFIG_VIRTIO_MMIO and ACPI, or virtio_mmio.device=)");
    }
    if (!have_fs("virtiofs")) {
        fail(EXEC_FAIL_VIRTIOFS,
             "the guest kernel has no virtio-fs (CONFIG_VIRTIO_FS)");
    }
    find_ports(fds);
    init_mark(EXEC_MARK_PORTS);
    mount_root();
    init_mark(EXEC_MARK_ROOT);
    mount_guest_dirs();
    mount_shares();
    switch_root();
    network();
    init_mark(EXEC_MARK_COMMAND);
    child = fork();
    if (child < 0) {
        fail(EXEC_FAIL_SETUP, "fork: %s", strerror(errno));
    }
    if (child == 0) {
        run_command(fds);
    }
    for (int i = 0; i < 3; i++) {
        close(fds[i]);
    }
    /* PID 1 reaps every orphan; COMMAND's own end decides. */
    while ((pid = wait(&status)) != child) {
        if (pid < 0 && errno != EINTR) {
            end_vm(126);
        }
    }
    status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    /* What COMMAND left running goes, so that its writes stop before the
     * sync that makes --rw and --share writes durable. */
    kill(-1, SIGKILL);
    end_vm(status);
}
