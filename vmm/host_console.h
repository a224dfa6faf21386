/*
 * host_console.h: the host terminal as the guest's console.  Input from the
 * host (stdin) goes to one guest device, the UART or virtio-console; the
 * escape Ctrl-A x quits.  Output: the UART's bytes (written on a vCPU
 * thread) go into a bounded buffer that the I/O thread writes out when
 * the host side can take them, so a reader that stops reading never
 * blocks a vCPU (nor the stop that --timeout asks for); past the buffer,
 * bytes are dropped and counted.  virtio-console writes through the
 * non-blocking vcon_sink, which waits for the terminal instead of
 * dropping or spinning.  A host side that is gone (EPIPE: husk ignores
 * SIGPIPE) drops output and keeps the guest up.
 *
 * Threads: everything here runs on the I/O thread (the main loop), except
 * the UART's output and rx-space callbacks, which hop over to it.
 */
#ifndef HUSK_HOST_CONSOLE_H
#define HUSK_HOST_CONSOLE_H

#include <glib.h>
#include <stdbool.h>

#include "devices/serial8250.h"
#include "devices/virtio/console.h"
#include "lib/panic_scan.h"
#include "lib/vmctl.h"

struct console {
    GMainContext *ctx;
    struct vm_ctl *ctl;
    int in_fd, out_fd;
    bool tty;
    bool escape;     /* saw Ctrl-A */
    GSource *in_src; /* NULL while paused or after EOF */
    bool in_eof;
    uint8_t pending[256]; /* input read but not yet taken by the guest */
    size_t pending_len, pending_off;
    struct serial8250 *uart; /* input target, unless vcon is set */
    struct vcon *vcon;
    struct vcon_sink sink;
    GSource *out_src; /* waiting for out_fd to drain */
    /* The UART's output buffer: a ring, vCPU threads append, the I/O
     * thread writes out.  out_lock orders them; nothing blocks under it. */
    GMutex out_lock;
    uint8_t *ring;
    size_t ring_head, ring_len;
    bool flush_queued;     /* a flush is scheduled on the I/O thread */
    GSource *uart_out_src; /* waiting for out_fd to take more */
    bool out_gone;         /* EPIPE or another write error: drop */
    unsigned long dropped; /* bytes dropped: buffer full or out gone */
    /* The UART's last bytes, kept (console_keep_tail) for a report at
     * exit; written under out_lock, oldest overwritten. */
    uint8_t *tail;
    size_t tail_head, tail_len;
    /* console_watch_panic: the guest's console read for a kernel panic
     * (under out_lock for the UART; the vcon sink is the I/O thread's). */
    bool watch_panic;
    struct panic_scan panic_uart, panic_vcon;
};

/* How much of the UART's output console_keep_tail keeps. */
#define CONSOLE_TAIL_SIZE (16 * 1024)

/* The UART's output buffer (bytes). */
#define CONSOLE_RING_SIZE (256 * 1024)

void console_init(struct console *c,
                  GMainContext *ctx,
                  struct vm_ctl *ctl,
                  int in_fd,
                  int out_fd);
/* Also keep the UART's last CONSOLE_TAIL_SIZE bytes (an out_fd of -1
 * then means: only keep them).  Before console_start. */
void console_keep_tail(struct console *c);
/* End the VM as a panic (VM_EXIT_PANIC) when the guest's console shows
 * a kernel panic's end (lib/panic_scan.h): for machines whose guest
 * kernels have no pvpanic (arm64).  Before console_start. */
void console_watch_panic(struct console *c);
/* The last `lines` lines of what was kept (new string; "" if none). */
char *console_tail(struct console *c, unsigned lines);
/* Guest input goes to the UART (default) or to virtio-console. */
void console_use_uart(struct console *c, struct serial8250 *uart);
void console_use_vcon(struct console *c, struct vcon *vcon);
/* Raw mode on a terminal, and start reading input.  Main thread. */
void console_start(struct console *c);
/* Stops input, and writes out what the UART buffer still holds for at
 * most flush_ms without progress.  Main thread. */
void console_stop(struct console *c);
void console_stop_flush(struct console *c, int flush_ms);
/* The UART's output sink (any thread; never blocks). */
void console_uart_tx(void *opaque, const uint8_t *buf, size_t len);
/* Frees the buffer (after console_stop). */
void console_cleanup(struct console *c);

#endif
