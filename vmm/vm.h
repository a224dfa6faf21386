/*
 * vm.h: a virtual machine: KVM VM, guest memory, buses, devices, vCPUs and
 * the I/O thread's main loop.  vm.c wires every device explicitly.
 *
 * Threads: the main thread runs the glib main loop (console input, timers,
 * signals) and is the I/O thread; each vCPU has its own thread.
 */
#ifndef HUSK_VM_H
#define HUSK_VM_H

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

#include "devices/backend/blk_file.h"
#include "devices/serial8250.h"
#include "devices/backend/net_user.h"
#include "devices/virtio/blk.h"
#include "devices/virtio/net.h"
#include "devices/virtio/rng.h"
#include "devices/virtio/vhost_user_dev.h"
#include "firmware/fw_device.h"
#include "lib/bus.h"
#include "vmm/host_console.h"
#include "lib/guest_mem.h"
#include "vmm/api.h"
#include "vmm/backend_proc.h"
#include "vmm/kvm.h"
#include "vmm/port_pump.h"
#include "vmm/sandbox.h"
#include "vmm/snapshot.h"
#include "vmm/vcpu.h"
#include "vmm/config.h"
#include "vmm/vm_arch.h"
#include "vmm/vm_virtio.h"
#include "lib/vmctl.h"

#define VM_MAX_FW_DEVICES 32

struct vm {
    struct kvm kvm;
    int fd;
    struct vm_config cfg;
    uint8_t *kernel_img, *initrd_img; /* mapped until loaded */
    size_t kernel_len, initrd_len;
    struct guest_mem gm;
    void *ram_low, *ram_high;
    uint64_t ram_low_size, ram_high_size;
    /* Guest RAM as a file (memfd), shared with the vhost-user backends
     * that serve queues (husk-slirp, virtiofsd, qemu-storage-daemon);
     * else -1. */
    int ram_fd;
    unsigned nr_ram;
    struct vm_ram_region {
        uint64_t gpa, size, offset; /* offset: in ram_fd */
    } ram[GM_MAX_REGIONS];
    struct bus pio, mmio;
    unsigned nr_vcpus, nr_vcpus_created;
    struct vcpu *vcpus;

    struct vm_ctl ctl;
    int stopping; /* atomic: set once by the first exit request */
    enum vm_exit_reason exit_reason;
    int exit_status;
    char *error; /* message for VM_EXIT_ERROR */

    struct kvm_irq_line irq_com1;
    struct serial8250 com1; /* the console UART */
    struct vm_arch arch;    /* the architecture's part (vm_arch.h) */
    struct fw_device fw_devs[VM_MAX_FW_DEVICES];
    unsigned nr_fw_devs;
    struct vm_virtio *virtio[VM_MAX_VIRTIO];
    unsigned nr_virtio;
    struct blk_backend *disk_be[VM_MAX_DISKS]; /* opened, not yet plugged */
    struct vblk *blk[VM_MAX_DISKS];
    struct vrng *rng;
    struct vnet *net[VM_MAX_NICS];
    struct vcon *vcon;
    /* husk exec: COMMAND's stdin, stdout and stderr (cfg.exec_ports),
     * and whether the guest's init said COMMAND started (lib/exec_proto.h;
     * atomic: a vCPU sets it). */
    struct vcon *xcon;
    struct pump pumps[3];
    int exec_started;
    struct vudev *share[VM_MAX_SHARES];            /* virtio-fs, --share */
    struct backend_proc share_proc[VM_MAX_SHARES]; /* their virtiofsd */
    /* --disk not on husk's raw engine: the format qemu-storage-daemon
     * serves (NULL: vhost-user=SOCKET), the device, the daemon. */
    char *disk_format[VM_MAX_DISKS];
    struct vudev *vdisk[VM_MAX_DISKS];
    struct backend_proc disk_proc[VM_MAX_DISKS];
    /* --net user: husk-slirp and its device. */
    struct vudev *vnic[VM_MAX_NICS];
    struct vudev *vsock; /* --vsock: virtio-vsock on vhost-vsock */
    struct backend_proc nic_proc[VM_MAX_NICS];
    bool rng_retry_pending;

    GMainContext *ctx;
    struct console console;
    int sig_fd; /* signalfd for SIGTERM, SIGINT, SIGHUP */

    /* vCPU threads wait here, filtered, until the main thread is too:
     * the guest runs only once every thread is in the sandbox. */
    GMutex gate_lock;
    GCond gate_cond;
    bool gate_open;

    /* Pausing (vcpu_pause_all): pause_req set, each vCPU completes its
     * last exit and parks, counted in nr_parked, until pause_req is
     * cleared or the VM stops.  pause_lock guards nr_parked and the
     * waits; pause_req is atomic so the vCPU loop reads it lock-free. */
    GMutex pause_lock;
    GCond pause_cond;
    int pause_req;
    unsigned nr_parked;
    bool paused; /* main thread: the VM is paused (status, resume) */

    /* --snapshot-on: its files, opened before the sandbox; snap_pending
     * is set (atomic) by the vCPU that wrote the marker, for the main
     * loop; snap_armed until then, so the marker counts once. */
    struct snap_files snap_on;
    int snap_pending, snap_armed;
    uint64_t snap_last_data; /* bytes of memory the last snapshot wrote */
    int pagemap_fd;          /* /proc/self/pagemap, for snapshots, or -1 */
    struct api api;          /* --api-socket */
};

/* vhost-user devices (vm_vhost_user.c): share i, disk i.  Setup thread. */
/* Share i in two steps: its virtiofsd started (husk's end of the socket,
 * or -1), then the device on that socket (which takes it, even on
 * failure), so that several virtiofsd come up at once. */
int vm_start_share(struct vm *vm, unsigned i, GError **errp);
bool vm_create_share(struct vm *vm, unsigned i, int sock, GError **errp);
bool vm_create_vu_disk(struct vm *vm, unsigned i, GError **errp);
bool vm_create_vu_nic(struct vm *vm, unsigned i, GError **errp);
/* --net tap, vhost: the kernel's vhost-net serves NIC i: 1 done, 0 not
 * possible and not asked for (husk's own path then), -1 error. */
int vm_create_vhost_nic(struct vm *vm, unsigned i, GError **errp);
/* --vsock: the kernel's vhost-vsock serves the device's rings. */
bool vm_create_vsock(struct vm *vm, GError **errp);

/* vCPU threads: waits until the sandbox is complete (vm_run). */
void vm_wait_gate(struct vm *vm);

/* Builds the VM described by cfg, ready to run.  Errors carry the exit
 * status (error.h).  Main thread. */
bool vm_create(struct vm *vm, const struct vm_config *cfg, GError **errp);

/* Runs the VM until it ends; returns husk's exit status. Main thread. */
int vm_run(struct vm *vm);

void vm_destroy(struct vm *vm);

/* True once an exit was requested.  Any thread. */
static inline bool vm_stopping(struct vm *vm)
{
    return __atomic_load_n(&vm->stopping, __ATOMIC_ACQUIRE);
}

/* Ends the VM with VM_EXIT_ERROR and a message.  Any thread. */
void vm_report_error(struct vm *vm, const char *fmt, ...) G_GNUC_PRINTF(2, 3);

/* Creates every device (vm_devices.c).  Setup thread, before vCPUs. */
bool vm_create_devices(struct vm *vm, GError **errp);

/* Presses the ACPI power button: a guest that handles it (systemd,
 * acpid) shuts down cleanly.  False if the machine has none (arm64, so
 * far).  Main thread. */
bool vm_powerdown(struct vm *vm);

/* Adds a device to the firmware's device list (DSDT, device tree).
 * Setup thread. */
void vm_add_fw_device(struct vm *vm, struct fw_device d);

/* Places a device on a bus of the VM (&vm->pio, x86's ports, or
 * &vm->mmio).  Setup thread. */
bool vm_add_device(struct vm *vm,
                   struct bus *bus,
                   const char *name,
                   uint64_t base,
                   uint64_t len,
                   const struct bus_ops *ops,
                   void *opaque,
                   GError **errp);

/* The exit status husk returns for a reason (and a port value). */
int vm_exit_status(enum vm_exit_reason r, int status);
/* "poweroff", "exit-port", ... */
const char *vm_exit_reason_name(enum vm_exit_reason r);

#endif
