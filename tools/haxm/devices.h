/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The device models of `haxm run`, one per dev_*.c file. They are plain
 * state machines: no threads, no clocks of their own (times come in as
 * arguments), no locking (the VMM calls them under its device lock), so the
 * unit tests drive them directly (tests/unit/test_devices.c).
 *
 * Every *_io() function has the io_fn signature of ioport.h: @port is the
 * absolute port, @size 1, 2 or 4, @val is read (OUT) or written (IN).
 */
#ifndef HAXM_TOOL_DEVICES_H
#define HAXM_TOOL_DEVICES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "irqchip/pic.h"
#include "irqchip/pit.h"

/* An interrupt line: the device calls it with the line's new level. */
typedef void (*irq_fn)(void *opaque, int irq, int level);

/* ---- 16550A UART (dev_uart.c) ------------------------------------------- */

#define UART_COM1_BASE 0x3f8
#define UART_COM1_IRQ  4
#define UART_FIFO_SIZE 64

struct uart {
	uint8_t ier, lcr, mcr, lsr_extra, msr, scr, fcr, dll, dlm;
	bool thr_irq;		    /* a "THR empty" interrupt is pending */
	uint8_t rx[UART_FIFO_SIZE]; /* receive FIFO */
	unsigned int rx_head, rx_count;
	int irq_level;
	/* transmitted bytes go here (not in loopback mode) */
	void (*tx)(void *opaque, uint8_t byte);
	void *tx_opaque;
	irq_fn irq;
	void *irq_opaque;
};

/**
 * uart_init() - a 16550A after reset, at UART_COM1_BASE, IRQ UART_COM1_IRQ.
 * @u:          the state
 * @tx:         called with each byte the guest transmits
 * @tx_opaque:  its argument
 * @irq:        the interrupt line (called only on level changes)
 * @irq_opaque: its argument
 */
void uart_init(struct uart *u, void (*tx)(void *, uint8_t), void *tx_opaque, irq_fn irq,
	       void *irq_opaque);
/** uart_io() - port access to UART_COM1_BASE..+7. */
void uart_io(void *opaque, uint16_t port, int size, bool write, uint32_t *val);
/**
 * uart_rx() - bytes arriving from the terminal.
 * @u:   the state
 * @buf: the bytes
 * @n:   how many
 *
 * Returns how many fit in the receive FIFO (the caller keeps the rest).
 */
size_t uart_rx(struct uart *u, const uint8_t *buf, size_t n);
/** uart_rx_room() - free space in the receive FIFO. */
size_t uart_rx_room(const struct uart *u);

/*
 * ---- the PIC pair and the PIT: the core's models (dev_pic.c, dev_pit.c) ----
 *
 * The same code as the haxm module's in-kernel PIC and PIT
 * (core/irqchip/pic.c, pit.c), compiled into haxm run: --irqchip=user (or a
 * module without HAX_CAP_PIC_PIT) gets the chips --irqchip=kernel gets, and
 * their state travels in snapshots in the ABI's form (isa_state.c). These
 * files only wire them to the port bus, the VMM's clock and its IRQ lines.
 */

struct pic {
	struct i8259 chip;
	/* called after every change that may change pic_pending() */
	void (*notify)(void *opaque);
	void *notify_opaque;
};

/** pic_init() - both chips in their creation state (i8259_init()): all masked. */
void pic_init(struct pic *p, void (*notify)(void *), void *opaque);
/**
 * pic_io() - ports 0x20-0x21, 0xa0-0xa1 and the ELCRs 0x4d0-0x4d1; a wider
 * access is bytes at consecutive ports, as in the kernel.
 */
void pic_io(void *opaque, uint16_t port, int size, bool write, uint32_t *val);
/** pic_set_irq() - an irq_fn: set ISA interrupt line @irq (0-15 but 2) to @level. */
void pic_set_irq(void *opaque, int irq, int level);
/** pic_pending() - whether the master's INT output is asserted. */
bool pic_pending(const struct pic *p);
/**
 * pic_ack() - the CPU's interrupt acknowledge (i8259_intack()): the vector,
 * in service unless in automatic-EOI mode (a spurious IR7 vector when
 * nothing is pending).
 */
uint8_t pic_ack(struct pic *p);

#define PIT_IRQ 0

struct pit {
	struct i8254 chip;
	irq_fn irq;
	void *irq_opaque;
	int64_t (*now)(void); /* monotonic nanoseconds */
};

/** pit_init() - all counters stopped (i8254_init()); @now is the PIT's clock. */
void pit_init(struct pit *p, int64_t (*now)(void), irq_fn irq, void *opaque);
/** pit_io() - ports 0x40-0x43 and 0x61 (bytes at consecutive ports). */
void pit_io(void *opaque, uint16_t port, int size, bool write, uint32_t *val);
/**
 * pit_next_irq() - when counter 0's output next rises (IRQ0), in the @now
 * clock's nanoseconds; -1 when it will not.
 */
int64_t pit_next_irq(const struct pit *p);
/**
 * pit_tick() - pulse IRQ0 if counter 0's output rose since the last call;
 * missed periods are coalesced into one. Returns 1 if it did.
 */
int pit_tick(struct pit *p);

/* ---- MC146818 CMOS RTC (dev_rtc.c) ---------------------------------------- */

struct rtc {
	uint8_t index;
	uint8_t cmos[128];
	time_t (*clock)(void); /* wall-clock seconds (UTC) */
};

/** rtc_init() - the CMOS with the memory-size bytes for @ram_size bytes of RAM. */
void rtc_init(struct rtc *r, uint64_t ram_size, time_t (*clock)(void));
/** rtc_io() - ports 0x70 (index, bit 7 NMI mask) and 0x71 (data). */
void rtc_io(void *opaque, uint16_t port, int size, bool write, uint32_t *val);

/* ---- debug exit, port 0x501 (dev_debugexit.c) ---------------------------- */

#define DEBUGEXIT_PORT 0x501

/* Ends the VM with an exit status (the VMM's vmm_request_exit). */
typedef void (*exit_fn)(void *opaque, int status, const char *why);

struct debugexit {
	exit_fn exit;
	void *opaque;
};

/** debugexit_io() - a write of V ends `haxm run` with exit status V & 0xff. */
void debugexit_io(void *opaque, uint16_t port, int size, bool write, uint32_t *val);

/* ---- reset: port 0xcf9 and the keyboard controller (dev_reset.c) -------- */

struct resetdev {
	uint8_t cf9;
	exit_fn exit;
	void *opaque;
	int status; /* the exit status of a guest reset */
};

/**
 * reset_io() - 0xcf9 (a write with bit 2 resets), 0x64 (command 0xfe, the
 * pulse of the reset line, resets; status reads as idle) and 0x60 (reads 0).
 */
void reset_io(void *opaque, uint16_t port, int size, bool write, uint32_t *val);

#endif /* HAXM_TOOL_DEVICES_H */
