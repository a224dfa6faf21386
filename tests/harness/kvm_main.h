/*
 * kvm_main.h: the command line every kvm-suite binary takes
 *
 *   check_X HUSK TINY_ELF [CASE]      one case, or all of them
 *   check_X --list                    the case names, one a line
 *
 * and the skip (status 77, with the reason) when this host's /dev/kvm
 * cannot be opened.  kvm_main_args() returns -1 when the caller goes on
 * to run the cases (husk and tiny set), else the status to exit with.
 */
#ifndef HUSK_KVM_MAIN_H
#define HUSK_KVM_MAIN_H

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "harness/check_run.h"
#include "vmm/kvm.h"

static inline int kvm_main_args(const char *prog,
                                const struct check_case *cases,
                                unsigned n,
                                int argc,
                                char **argv,
                                const char **husk,
                                const char **tiny)
{
    const char *dev = kvm_device_path();
    int fd;

    if (argc == 2 && !strcmp(argv[1], "--list")) {
        for (unsigned i = 0; i < n; i++) {
            printf("%s\n", cases[i].name);
        }
        return 0;
    }
    if (argc != 3 && argc != 4) {
        fprintf(stderr,
                "usage: %s HUSK TINY_ELF [CASE]\n"
                "       %s --list\n",
                prog, prog);
        return 2;
    }
    *husk = argv[1];
    *tiny = argv[2];
    fd = open(dev, O_RDWR | O_CLOEXEC);
    if (fd < 0) {
        printf("SKIP: %s: %s (the kvm suite needs KVM)\n", dev,
               strerror(errno));
        return 77;
    }
    close(fd);
    return -1;
}

#endif
