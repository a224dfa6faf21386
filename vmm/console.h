/*
 * console.h: the host terminal as the guest's console.  Input from the
 * host (stdin) goes to one guest device, the UART or virtio-console; the
 * escape Ctrl-A x quits.  Output: the UART writes through console_out
 * (blocking, it is a slow device anyway); virtio-console through the
 * non-blocking vcon_sink, which waits for the terminal instead of
 * dropping or spinning.
 *
 * Threads: everything here runs on the I/O thread (the main loop), except
 * the UART's output and rx-space callbacks, which hop over to it.
 */
#ifndef HUSK_CONSOLE_H
#define HUSK_CONSOLE_H

#include <glib.h>
#include <stdbool.h>

#include "devices/serial8250.h"
#include "devices/virtio/console.h"
#include "vmm/vmctl.h"

struct console {
    GMainContext *ctx;
    struct vm_ctl *ctl;
    int in_fd, out_fd;
    bool tty;
    bool escape;             /* saw Ctrl-A */
    GSource *in_src;         /* NULL while paused or after EOF */
    bool in_eof;
    uint8_t pending[256];    /* input read but not yet taken by the guest */
    size_t pending_len, pending_off;
    struct serial8250 *uart; /* input target, unless vcon is set */
    struct vcon *vcon;
    struct vcon_sink sink;
    GSource *out_src;        /* waiting for out_fd to drain */
};

void console_init(struct console *c, GMainContext *ctx, struct vm_ctl *ctl,
                  int in_fd, int out_fd);
/* Guest input goes to the UART (default) or to virtio-console. */
void console_use_uart(struct console *c, struct serial8250 *uart);
void console_use_vcon(struct console *c, struct vcon *vcon);
/* Raw mode on a terminal, and start reading input.  Main thread. */
void console_start(struct console *c);
void console_stop(struct console *c);
/* The UART's output sink (any thread; blocking write). */
void console_uart_tx(void *opaque, const uint8_t *buf, size_t len);

#endif
