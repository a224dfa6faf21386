/*
 * husk-fault: runs a program with chosen system calls failing, for the
 * system suite's disk error matrix.  A seccomp filter returns
 * the errno for each named call; the program's own filters stack on top
 * (seccomp(2): the kernel takes the strictest action, and ERRNO is
 * stricter than ALLOW), so husk's sandbox does not undo it.
 *
 *   husk-fault preadv=EIO [fdatasync=EIO ...] -- husk run ...
 *
 * Names: preadv, pwritev, fdatasync, fallocate (the preadv/pwritev disk
 * engine's calls); errnos: EIO, ENOSPC or a number.
 */
#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

static const struct {
    const char *name;
    int nr;
} calls[] = {
    {"preadv", SYS_preadv},
    {"pwritev", SYS_pwritev},
    {"fdatasync", SYS_fdatasync},
    {"fallocate", SYS_fallocate},
};

int main(int argc, char **argv)
{
    struct sock_filter f[64];
    unsigned n = 0;
    int i;

    f[n++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
                                          offsetof(struct seccomp_data, arch));
    f[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K,
                                          AUDIT_ARCH_X86_64, 1, 0);
    f[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
    f[n++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
                                          offsetof(struct seccomp_data, nr));
    for (i = 1; i < argc && strcmp(argv[i], "--"); i++) {
        char *eq = strchr(argv[i], '=');
        int nr = -1, err;

        for (unsigned c = 0; eq && c < sizeof(calls) / sizeof(calls[0]); c++) {
            if ((size_t)(eq - argv[i]) == strlen(calls[c].name) &&
                !strncmp(argv[i], calls[c].name, eq - argv[i])) {
                nr = calls[c].nr;
            }
        }
        err = !eq                         ? 0
              : !strcmp(eq + 1, "EIO")    ? EIO
              : !strcmp(eq + 1, "ENOSPC") ? ENOSPC
                                          : atoi(eq + 1);
        if (nr < 0 || err <= 0 || err > 4095 || n > 60) {
            fprintf(stderr, "husk-fault: bad fault '%s'\n", argv[i]);
            return 64;
        }
        f[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K,
                                              (unsigned)nr, 0, 1);
        f[n++] = (struct sock_filter)BPF_STMT(
            BPF_RET | BPF_K, SECCOMP_RET_ERRNO | (unsigned)err);
    }
    f[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
    if (i + 1 >= argc) {
        fprintf(stderr, "usage: husk-fault CALL=ERRNO... -- PROGRAM ARGS\n");
        return 64;
    }
    struct sock_fprog prog = {.len = (unsigned short)n, .filter = f};
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) ||
        prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog)) {
        perror("husk-fault: seccomp");
        return 71;
    }
    execvp(argv[i + 1], argv + i + 1);
    perror("husk-fault: exec");
    return 127;
}
