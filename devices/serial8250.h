/*
 * serial8250.h: a 16550A UART (the PC's COM1), the guest's early console.
 *
 * Register access comes from vCPU threads, input from the I/O thread; one
 * mutex guards the register file.  Output bytes go to a sink callback,
 * called with the lock dropped.
 */
#ifndef HUSK_SERIAL8250_H
#define HUSK_SERIAL8250_H

#include <glib.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/bus.h"
#include "lib/state.h"
#include "lib/vmctl.h"

#define SERIAL_RX_BUF 256

struct serial8250 {
    GMutex lock;
    struct irq_line *irq;
    /* Output sink: bytes the guest transmitted. */
    void (*tx)(void *opaque, const uint8_t *buf, size_t len);
    void *tx_opaque;
    /* Called (lock dropped) when RX space opens after being full. */
    void (*rx_space)(void *opaque);
    void *rx_opaque;

    uint8_t ier, iir_fifo, lcr, mcr, lsr, msr, scr, dll, dlm, fcr;
    bool thr_ipending; /* THR-empty interrupt pending until IIR read/THR */
    bool irq_level;
    bool rx_was_full;
    uint8_t rx[SERIAL_RX_BUF];
    unsigned rx_head, rx_count;
    unsigned long tx_bytes;
};

extern const struct bus_ops serial8250_ops;

void serial8250_init(struct serial8250 *s,
                     struct irq_line *irq,
                     void (*tx)(void *, const uint8_t *, size_t),
                     void *tx_opaque);
void serial8250_cleanup(struct serial8250 *s);

/* Queues input for the guest; returns how many bytes were taken (fewer
 * when the buffer is full: the caller keeps the rest).  Any thread. */
size_t serial8250_input(struct serial8250 *s, const uint8_t *buf, size_t len);

/* Free space in the input buffer.  Any thread. */
size_t serial8250_rx_room(struct serial8250 *s);

/* Snapshots: the registers and pending input; load records a failure in
 * r and returns false.  The interrupt line's level is the irqchip's. */
void serial8250_save(struct serial8250 *s, struct st_writer *w);
bool serial8250_load(struct serial8250 *s, struct st_reader *r);

#endif
