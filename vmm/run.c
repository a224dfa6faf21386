/*
 * run.c: see run.h.
 */
#define G_LOG_DOMAIN "husk"
#include "vmm/run.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

#include "lib/error.h"
#include "vmm/kvm.h"
#include "vmm/timeline.h"

int run_vm(struct vm_config *cfg, run_after_fn after, void *opaque)
{
    g_autoptr(GError) err = NULL;
    struct vm vm;
    int status, timeline_fd = -1;

    if (cfg->timeline) {
        tl_enable();
    }
    if (cfg->timeline_path) {
        /* Now, not after the boot: a bad path is an error before anything
         * runs.  Kept open: the sandbox lets husk open nothing later. */
        timeline_fd = open(cfg->timeline_path,
                           O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (timeline_fd < 0) {
            g_printerr("husk: --boot-timeline=%s: %s\n", cfg->timeline_path,
                       g_strerror(errno));
            return HUSK_EXIT_CANTCREAT;
        }
    }
    if (kvm_backing() == KVM_BACKING_PVM &&
        g_file_test(kvm_device_path(), G_FILE_TEST_EXISTS)) {
        g_printerr(
            "husk: warning: /dev/kvm here is PVM (software-backed): "
            "tiny guests run, Linux kernels cannot boot "
            "(see 'husk check')\n");
    }
    if (!vm_create(&vm, cfg, &err)) {
        vm_destroy(&vm);
        if (timeline_fd >= 0) {
            close(timeline_fd);
        }
        g_printerr("husk: %s\n", err->message);
        return err->code;
    }
    status = vm_run(&vm);
    if (after) {
        status = after(&vm, status, opaque);
    }
    if (tl_enabled()) {
        tl_print(stderr);
        if (timeline_fd >= 0 &&
            !tl_write_json(timeline_fd, vm_exit_reason_name(vm.exit_reason),
                           status, &err)) {
            g_printerr("husk: %s\n", err->message);
        }
    }
    if (timeline_fd >= 0) {
        close(timeline_fd);
    }
    vm_destroy(&vm);
    return status;
}
