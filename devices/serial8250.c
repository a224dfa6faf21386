/*
 * serial8250.c: 16550A UART emulation (National Semiconductor PC16550D
 * datasheet; register map as in Linux include/uapi/linux/serial_reg.h).
 *
 * Enough of the chip for Linux's 8250 driver: autoconfig (scratch, loopback
 * and FIFO probes), divisor latch, THRE and RX-data interrupts, line status.
 * Transmission is instantaneous; received bytes wait in a 256-byte buffer
 * that stands in for the 16-byte FIFO.
 */
#include "devices/serial8250.h"

#include <string.h>

#define UART_RX 0 /* DLAB=0, read */
#define UART_TX 0 /* DLAB=0, write */
#define UART_IER 1
#define UART_IIR 2 /* read */
#define UART_FCR 2 /* write */
#define UART_LCR 3
#define UART_MCR 4
#define UART_LSR 5
#define UART_MSR 6
#define UART_SCR 7

#define IER_RDI 0x01
#define IER_THRI 0x02
#define IER_RLSI 0x04
#define IER_MSI 0x08
#define IIR_NO_INT 0x01
#define IIR_THRI 0x02
#define IIR_RDI 0x04
#define IIR_FIFO_ENABLED 0xc0
#define FCR_ENABLE 0x01
#define FCR_CLEAR_RCVR 0x02
#define LCR_DLAB 0x80
#define MCR_DTR 0x01
#define MCR_RTS 0x02
#define MCR_OUT1 0x04
#define MCR_OUT2 0x08
#define MCR_LOOP 0x10
#define LSR_DR 0x01
#define LSR_THRE 0x20
#define LSR_TEMT 0x40
#define MSR_CTS 0x10
#define MSR_DSR 0x20
#define MSR_RI 0x40
#define MSR_DCD 0x80

static void irq_noop(struct irq_line *l, bool level)
{
}

static struct irq_line no_irq = {.set = irq_noop};

void serial8250_init(struct serial8250 *s,
                     struct irq_line *irq,
                     void (*tx)(void *, const uint8_t *, size_t),
                     void *tx_opaque)
{
    memset(s, 0, sizeof(*s));
    g_mutex_init(&s->lock);
    s->irq = irq ? irq : &no_irq;
    s->tx = tx;
    s->tx_opaque = tx_opaque;
    s->lsr = LSR_THRE | LSR_TEMT;
    s->msr = MSR_DCD | MSR_DSR | MSR_CTS;
    s->dll = 0x0c; /* 9600 baud, as after reset */
}

void serial8250_cleanup(struct serial8250 *s)
{
    g_mutex_clear(&s->lock);
}

/* Which interrupt is pending, by 16550 priority (RX data above THRE). */
static uint8_t iir_locked(struct serial8250 *s)
{
    if ((s->ier & IER_RDI) && (s->lsr & LSR_DR)) {
        return IIR_RDI;
    }
    if ((s->ier & IER_THRI) && s->thr_ipending) {
        return IIR_THRI;
    }
    return IIR_NO_INT;
}

/* Recomputes the interrupt output; returns the level to drive. */
static bool update_irq_locked(struct serial8250 *s)
{
    s->irq_level = iir_locked(s) != IIR_NO_INT;
    /* On a PC, OUT2 gates the UART's interrupt onto the ISA bus. */
    return s->irq_level && (s->mcr & MCR_OUT2);
}

static uint8_t rx_pop_locked(struct serial8250 *s)
{
    uint8_t c = 0;

    if (s->rx_count) {
        c = s->rx[s->rx_head];
        s->rx_head = (s->rx_head + 1) % SERIAL_RX_BUF;
        s->rx_count--;
    }
    if (!s->rx_count) {
        s->lsr &= ~LSR_DR;
    }
    return c;
}

static size_t rx_push_locked(struct serial8250 *s,
                             const uint8_t *buf,
                             size_t len)
{
    size_t n = 0;

    while (n < len && s->rx_count < SERIAL_RX_BUF) {
        s->rx[(s->rx_head + s->rx_count) % SERIAL_RX_BUF] = buf[n++];
        s->rx_count++;
    }
    if (s->rx_count) {
        s->lsr |= LSR_DR;
    }
    if (n < len) {
        s->rx_was_full = true;
    }
    return n;
}

static uint64_t serial_read(void *opaque, uint64_t off, unsigned size)
{
    struct serial8250 *s = opaque;
    uint8_t v = 0;
    bool level, notify_room = false;

    g_mutex_lock(&s->lock);
    switch (off) {
    case UART_RX:
        if (s->lcr & LCR_DLAB) {
            v = s->dll;
        } else {
            v = rx_pop_locked(s);
            if (s->rx_was_full && s->rx_count < SERIAL_RX_BUF / 2) {
                s->rx_was_full = false;
                notify_room = true;
            }
        }
        break;
    case UART_IER:
        v = (s->lcr & LCR_DLAB) ? s->dlm : s->ier;
        break;
    case UART_IIR:
        v = iir_locked(s);
        /* Reading IIR with THRE as the cause clears that cause. */
        if (v == IIR_THRI) {
            s->thr_ipending = false;
        }
        if (s->fcr & FCR_ENABLE) {
            v |= IIR_FIFO_ENABLED;
        }
        break;
    case UART_LCR:
        v = s->lcr;
        break;
    case UART_MCR:
        v = s->mcr;
        break;
    case UART_LSR:
        v = s->lsr;
        break;
    case UART_MSR:
        if (s->mcr & MCR_LOOP) {
            /* Loopback: the modem outputs drive the modem inputs. */
            v = ((s->mcr & MCR_RTS) ? MSR_CTS : 0) |
                ((s->mcr & MCR_DTR) ? MSR_DSR : 0) |
                ((s->mcr & MCR_OUT1) ? MSR_RI : 0) |
                ((s->mcr & MCR_OUT2) ? MSR_DCD : 0);
        } else {
            v = s->msr;
        }
        break;
    case UART_SCR:
        v = s->scr;
        break;
    }
    /* Drive the line under the lock: updates from the vCPU and I/O
     * threads must reach the irqchip in the order they were computed. */
    level = update_irq_locked(s);
    s->irq->set(s->irq, level);
    g_mutex_unlock(&s->lock);
    if (notify_room && s->rx_space) {
        s->rx_space(s->rx_opaque);
    }
    return v;
}

static void serial_write(void *opaque,
                         uint64_t off,
                         uint64_t val,
                         unsigned size)
{
    struct serial8250 *s = opaque;
    uint8_t v = (uint8_t)val, out = 0;
    bool level, send = false;

    g_mutex_lock(&s->lock);
    switch (off) {
    case UART_TX:
        if (s->lcr & LCR_DLAB) {
            s->dll = v;
        } else if (s->mcr & MCR_LOOP) {
            rx_push_locked(s, &v, 1);
            s->thr_ipending = true;
        } else {
            out = v;
            send = true;
            s->tx_bytes++;
            /* The byte left at once: THR is empty again. */
            s->thr_ipending = true;
        }
        break;
    case UART_IER:
        if (s->lcr & LCR_DLAB) {
            s->dlm = v;
        } else {
            uint8_t old = s->ier;

            s->ier = v & (IER_RDI | IER_THRI | IER_RLSI | IER_MSI);
            /* Enabling THRI with THR empty raises it (as real 16550s do). */
            if (!(old & IER_THRI) && (s->ier & IER_THRI)) {
                s->thr_ipending = true;
            }
        }
        break;
    case UART_FCR:
        s->fcr = v & FCR_ENABLE;
        if (v & FCR_CLEAR_RCVR) {
            s->rx_head = s->rx_count = 0;
            s->lsr &= ~LSR_DR;
        }
        break;
    case UART_LCR:
        s->lcr = v;
        break;
    case UART_MCR:
        s->mcr = v & 0x1f;
        break;
    case UART_SCR:
        s->scr = v;
        break;
    default: /* LSR and MSR are read-only */
        break;
    }
    level = update_irq_locked(s);
    s->irq->set(s->irq, level);
    g_mutex_unlock(&s->lock);
    if (send && s->tx) {
        s->tx(s->tx_opaque, &out, 1);
    }
}

const struct bus_ops serial8250_ops = {
    .read = serial_read,
    .write = serial_write,
};

size_t serial8250_input(struct serial8250 *s, const uint8_t *buf, size_t len)
{
    size_t n;
    bool level;

    g_mutex_lock(&s->lock);
    n = rx_push_locked(s, buf, len);
    level = update_irq_locked(s);
    s->irq->set(s->irq, level);
    g_mutex_unlock(&s->lock);
    return n;
}

size_t serial8250_rx_room(struct serial8250 *s)
{
    size_t room;

    g_mutex_lock(&s->lock);
    room = SERIAL_RX_BUF - s->rx_count;
    if (!room) {
        s->rx_was_full = true;
    }
    g_mutex_unlock(&s->lock);
    return room;
}

/* Snapshots: every register and the input not yet read.  A loaded value
 * is a register value, any byte; the input buffer's geometry is bounded
 * by its size. */
void serial8250_save(struct serial8250 *s, struct st_writer *w)
{
    uint8_t rx[SERIAL_RX_BUF];

    g_mutex_lock(&s->lock);
    st_put_u64(w, "ier", s->ier);
    st_put_u64(w, "iir_fifo", s->iir_fifo);
    st_put_u64(w, "lcr", s->lcr);
    st_put_u64(w, "mcr", s->mcr);
    st_put_u64(w, "lsr", s->lsr);
    st_put_u64(w, "msr", s->msr);
    st_put_u64(w, "scr", s->scr);
    st_put_u64(w, "dll", s->dll);
    st_put_u64(w, "dlm", s->dlm);
    st_put_u64(w, "fcr", s->fcr);
    st_put_bool(w, "thr_ipending", s->thr_ipending);
    st_put_bool(w, "irq_level", s->irq_level);
    /* The input in order, from the ring. */
    for (unsigned i = 0; i < s->rx_count; i++) {
        rx[i] = s->rx[(s->rx_head + i) % SERIAL_RX_BUF];
    }
    st_put_blob(w, "rx", rx, s->rx_count);
    g_mutex_unlock(&s->lock);
}

bool serial8250_load(struct serial8250 *s, struct st_reader *r)
{
    size_t n;
    g_autofree uint8_t *rx = NULL;

    g_mutex_lock(&s->lock);
    s->ier = (uint8_t)st_get_u64(r, "ier", 0, 0x0f);
    s->iir_fifo = (uint8_t)st_get_u64(r, "iir_fifo", 0, 0xff);
    s->lcr = (uint8_t)st_get_u64(r, "lcr", 0, 0xff);
    s->mcr = (uint8_t)st_get_u64(r, "mcr", 0, 0xff);
    s->lsr = (uint8_t)st_get_u64(r, "lsr", 0, 0xff);
    s->msr = (uint8_t)st_get_u64(r, "msr", 0, 0xff);
    s->scr = (uint8_t)st_get_u64(r, "scr", 0, 0xff);
    s->dll = (uint8_t)st_get_u64(r, "dll", 0, 0xff);
    s->dlm = (uint8_t)st_get_u64(r, "dlm", 0, 0xff);
    s->fcr = (uint8_t)st_get_u64(r, "fcr", 0, 0xff);
    s->thr_ipending = st_get_bool(r, "thr_ipending");
    s->irq_level = st_get_bool(r, "irq_level");
    rx = st_get_blob_max(r, "rx", SERIAL_RX_BUF, &n);
    s->rx_head = 0;
    s->rx_count = st_failed(r) ? 0 : (unsigned)n;
    if (n) {
        memcpy(s->rx, rx, n);
    }
    g_mutex_unlock(&s->lock);
    return !st_failed(r);
}
