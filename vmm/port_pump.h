/*
 * port_pump.h: one virtio-console port (console.h, multiport) joined to
 * one host descriptor: an input port reads it (end of file closes the
 * host's side of the port: EOF for the guest), an output port writes to
 * it.  husk exec joins COMMAND's stdin, stdout and stderr this way.
 *
 * Nothing here blocks the I/O thread: input is read only while the guest
 * takes it, output is written only when the descriptor can take it
 * (poll first, then at most 4 KiB); a guest writer otherwise waits on its
 * full queue.  A reader that is gone (EPIPE) ends the VM as a pipe ends
 * its writer: VM_EXIT_SIGNAL with SIGPIPE (husk's status 141), since the
 * guest's writer would otherwise wait forever on a port nobody drains
 * (`husk exec -- yes | head -1`).
 *
 * Threads: the I/O thread (the main loop), and pump_finish on the main
 * thread once the vCPUs are stopped.
 */
#ifndef HUSK_PORT_PUMP_H
#define HUSK_PORT_PUMP_H

#include <glib.h>
#include <stdbool.h>

#include "devices/virtio/console.h"
#include "lib/vmctl.h"

struct pump {
    struct vcon *con;
    unsigned port;
    GMainContext *ctx;
    int fd;
    bool input;
    struct vcon_sink sink;
    GSource *src;      /* watching fd */
    uint8_t buf[4096]; /* input read, not yet taken by the guest */
    size_t len, off;
    bool eof;           /* input: fd said end of file (or failed) */
    bool gone;          /* output: the reader went away */
    struct vm_ctl *ctl; /* told when it does */
};

/* The sink to give vcon_init_ports for this pump's port. */
void pump_init(struct pump *p,
               GMainContext *ctx,
               int fd,
               bool input,
               struct vm_ctl *ctl);
struct vcon_sink *pump_sink(struct pump *p);
/* Starts reading (input) once the device exists.  I/O thread. */
void pump_start(struct pump *p, struct vcon *con, unsigned port);
/*
 * The VM has stopped: an output pump writes out what the guest had queued
 * (its transmit queue, and the chain half written), waiting at most
 * idle_ms for a reader that takes nothing; an input pump stops reading.
 * Main thread, vCPUs joined.
 */
void pump_finish(struct pump *p, int idle_ms);
void pump_cleanup(struct pump *p);

#endif
