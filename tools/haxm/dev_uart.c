// SPDX-License-Identifier: GPL-2.0
/*
 * A 16550A UART (COM1): enough of it for Linux's 8250 driver (probe by the
 * scratch register, loopback and FIFO identification) and for polled
 * output. Transmission is instantaneous: THR and the shift register are
 * always empty again by the time the guest looks.
 */
#include <string.h>

#include "devices.h"

enum {
	UART_RBR_THR = 0, /* DLL with DLAB */
	UART_IER = 1,	  /* DLM with DLAB */
	UART_IIR_FCR = 2,
	UART_LCR = 3,
	UART_MCR = 4,
	UART_LSR = 5,
	UART_MSR = 6,
	UART_SCR = 7,
};

#define IER_RDI	     0x01 /* received data available */
#define IER_THRI     0x02 /* THR empty */
#define IIR_NONE     0x01
#define IIR_THRI     0x02
#define IIR_RDI	     0x04
#define IIR_FIFO     0xc0
#define FCR_ENABLE   0x01
#define FCR_CLEAR_RX 0x02
#define LCR_DLAB     0x80
#define MCR_DTR	     0x01
#define MCR_RTS	     0x02
#define MCR_OUT1     0x04
#define MCR_OUT2     0x08 /* gates the interrupt line on PCs */
#define MCR_LOOP     0x10
#define LSR_DR	     0x01
#define LSR_THRE     0x20
#define LSR_TEMT     0x40

static uint8_t uart_iir(const struct uart *u)
{
	uint8_t fifo = (u->fcr & FCR_ENABLE) ? IIR_FIFO : 0;

	if ((u->ier & IER_RDI) && u->rx_count)
		return IIR_RDI | fifo;
	if ((u->ier & IER_THRI) && u->thr_irq)
		return IIR_THRI | fifo;
	return IIR_NONE | fifo;
}

static void uart_update_irq(struct uart *u)
{
	int level = !(uart_iir(u) & IIR_NONE) && (u->mcr & MCR_OUT2);

	if (level != u->irq_level) {
		u->irq_level = level;
		if (u->irq)
			u->irq(u->irq_opaque, UART_COM1_IRQ, level);
	}
}

void uart_init(struct uart *u, void (*tx)(void *, uint8_t), void *tx_opaque, irq_fn irq,
	       void *irq_opaque)
{
	memset(u, 0, sizeof(*u));
	u->tx = tx;
	u->tx_opaque = tx_opaque;
	u->irq = irq;
	u->irq_opaque = irq_opaque;
	u->dll = 12;   /* 9600 baud */
	u->msr = 0xb0; /* DCD, DSR, CTS: a terminal is attached */
}

size_t uart_rx_room(const struct uart *u)
{
	return UART_FIFO_SIZE - u->rx_count;
}

static size_t uart_push(struct uart *u, const uint8_t *buf, size_t n)
{
	size_t i;

	for (i = 0; i < n && u->rx_count < UART_FIFO_SIZE; i++) {
		u->rx[(u->rx_head + u->rx_count) % UART_FIFO_SIZE] = buf[i];
		u->rx_count++;
	}
	return i;
}

size_t uart_rx(struct uart *u, const uint8_t *buf, size_t n)
{
	size_t done;

	/* In loopback mode the serial input is disconnected. */
	if (u->mcr & MCR_LOOP)
		return 0;
	done = uart_push(u, buf, n);
	uart_update_irq(u);
	return done;
}

/* Modem status in loopback: the outputs wired back to the inputs. */
static uint8_t uart_msr(const struct uart *u)
{
	uint8_t m = u->mcr;

	if (!(m & MCR_LOOP))
		return u->msr;
	return ((m & MCR_RTS) ? 0x10 : 0) | ((m & MCR_DTR) ? 0x20 : 0) |
	       ((m & MCR_OUT1) ? 0x40 : 0) | ((m & MCR_OUT2) ? 0x80 : 0);
}

static void uart_write(struct uart *u, unsigned int reg, uint8_t v)
{
	switch (reg) {
	case UART_RBR_THR:
		if (u->lcr & LCR_DLAB) {
			u->dll = v;
			break;
		}
		if (u->mcr & MCR_LOOP)
			uart_push(u, &v, 1);
		else if (u->tx)
			u->tx(u->tx_opaque, v);
		u->thr_irq = true;
		break;
	case UART_IER:
		if (u->lcr & LCR_DLAB) {
			u->dlm = v;
			break;
		}
		/* Enabling the THR interrupt with THR empty raises it at once. */
		if ((v & IER_THRI) && !(u->ier & IER_THRI))
			u->thr_irq = true;
		u->ier = v & 0x0f;
		break;
	case UART_IIR_FCR:
		if (v & FCR_CLEAR_RX)
			u->rx_count = 0;
		u->fcr = v & 0xc9;
		break;
	case UART_LCR:
		u->lcr = v;
		break;
	case UART_MCR:
		u->mcr = v & 0x1f;
		break;
	case UART_SCR:
		u->scr = v;
		break;
	default: /* LSR, MSR: read-only */
		break;
	}
}

static uint8_t uart_read(struct uart *u, unsigned int reg)
{
	uint8_t v;

	switch (reg) {
	case UART_RBR_THR:
		if (u->lcr & LCR_DLAB)
			return u->dll;
		if (!u->rx_count)
			return 0;
		v = u->rx[u->rx_head];
		u->rx_head = (u->rx_head + 1) % UART_FIFO_SIZE;
		u->rx_count--;
		return v;
	case UART_IER:
		return (u->lcr & LCR_DLAB) ? u->dlm : u->ier;
	case UART_IIR_FCR:
		v = uart_iir(u);
		/* Reading IIR when it reports THR empty clears that interrupt. */
		if ((v & 0x0f) == IIR_THRI)
			u->thr_irq = false;
		return v;
	case UART_LCR:
		return u->lcr;
	case UART_MCR:
		return u->mcr;
	case UART_LSR:
		return LSR_THRE | LSR_TEMT | (u->rx_count ? LSR_DR : 0);
	case UART_MSR:
		return uart_msr(u);
	default:
		return u->scr;
	}
}

void uart_io(void *opaque, uint16_t port, int size, bool write, uint32_t *val)
{
	struct uart *u = opaque;
	unsigned int reg = (port - UART_COM1_BASE) & 7;

	(void)size; /* byte-wide registers: wider accesses use the low byte */

	if (write)
		uart_write(u, reg, (uint8_t)*val);
	else
		*val = uart_read(u, reg);
	uart_update_irq(u);
}
