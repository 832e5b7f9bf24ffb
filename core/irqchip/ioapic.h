/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The IO-APIC model: one Intel 82093AA I/O Advanced Programmable Interrupt
 * Controller (datasheet 290566-001, May 1996; "the datasheet" below) with
 * 24 input pins, its indirect register access and its redirection table.
 * Portable state and logic only: a message the IO-APIC sends goes through
 * the @deliver callback, which routes it (apic_bus_deliver()) and returns
 * how many local APICs accepted it. The caller serializes calls.
 */
#ifndef HAXM_IRQCHIP_IOAPIC_H
#define HAXM_IRQCHIP_IOAPIC_H

#include "irqchip/lapic.h"

#define IOAPIC_PINS	    24
#define IOAPIC_ADDR_DEFAULT 0xfec00000ull
#define IOAPIC_MMIO_SIZE    0x100

/* Memory-mapped registers (datasheet 3.1, "Memory Mapped Registers for Accessing IOAPIC
 * Registers"). */
#define IOAPIC_IOREGSEL 0x00
#define IOAPIC_IOWIN	0x10

/* Indirect registers (datasheet 3.2, "IOAPIC Registers"). */
#define IOAPIC_REG_ID	  0x00
#define IOAPIC_REG_VER	  0x01
#define IOAPIC_REG_ARB	  0x02
#define IOAPIC_REG_REDTBL 0x10 /* pin n: 0x10 + 2n (bits 31:0), 0x11 + 2n (63:32) */

/* Version 0x11, maximum redirection entry 23 (datasheet 3.2.2, "IOAPICVER"). */
#define IOAPIC_VERSION 0x00170011u

/* Redirection entry fields (datasheet 3.2.4, "IOREDTBL[23:0]"). */
#define IOAPIC_RE_VECTOR     0xffull
#define IOAPIC_RE_DM_SHIFT   8
#define IOAPIC_RE_LOGICAL    (1ull << 11)
#define IOAPIC_RE_STATUS     (1ull << 12)
#define IOAPIC_RE_POLARITY   (1ull << 13)
#define IOAPIC_RE_REMOTE_IRR (1ull << 14)
#define IOAPIC_RE_LEVEL	     (1ull << 15)
#define IOAPIC_RE_MASKED     (1ull << 16)
#define IOAPIC_RE_DEST_SHIFT 56

/* The message sink: returns the number of local APICs that accepted @m. */
typedef int (*ioapic_deliver_fn)(void *ctx, const struct apic_msg *m);

struct ioapic {
	u32 id;	      /* the 4-bit IOAPIC ID */
	u32 arb;      /* the 4-bit arbitration ID */
	u32 ioregsel; /* the selected register index (bits 7:0) */
	u64 redir[IOAPIC_PINS];
	u32 lines; /* bit n: input pin n asserted now */
	ioapic_deliver_fn deliver;
	void *ctx;
};

/*
 * ioapic_init() - the reset state (datasheet 3.2: the ID from @id, every
 * redirection entry masked and otherwise 0, every line deasserted), sending
 * its messages to @deliver(@ctx, msg). No errors.
 */
void ioapic_init(struct ioapic *io, u32 id, ioapic_deliver_fn deliver, void *ctx);
/*
 * ioapic_mmio_read()/ioapic_mmio_write() - a 32-bit access at @off in the
 * IO-APIC's window: IOREGSEL at 0x00, IOWIN at 0x10 (other offsets and
 * narrower accesses read 0 and ignore writes). Errors: -EINVAL (@off or
 * @size outside the window).
 */
int ioapic_mmio_read(struct ioapic *io, u32 off, u32 size, u32 *val);
int ioapic_mmio_write(struct ioapic *io, u32 off, u32 size, u32 val);
/*
 * ioapic_read_reg()/ioapic_write_reg() - the indirect register @index (what
 * IOWIN reaches with IOREGSEL = @index). Undefined indexes read 0 and
 * ignore writes; read-only fields keep their value.
 */
u32 ioapic_read_reg(const struct ioapic *io, u32 index);
void ioapic_write_reg(struct ioapic *io, u32 index, u32 val);
/*
 * ioapic_set_irq() - input @pin is now asserted (@level true) or deasserted.
 * @level is the logical state: the polarity bit is recorded for the guest
 * but does not invert it (the board's wiring is the VMM's). An edge entry
 * sends on a deasserted -> asserted change; a level entry sends while
 * asserted and its remote IRR is clear, then sets remote IRR; a masked entry
 * sends nothing (a masked edge is lost). Errors: -EINVAL (@pin >= 24).
 */
int ioapic_set_irq(struct ioapic *io, u32 pin, bool level);
/*
 * ioapic_eoi() - a local APIC's EOI of level-triggered @vector: the remote
 * IRR of every level entry with that vector clears, and an entry whose line
 * is still asserted sends again.
 */
void ioapic_eoi(struct ioapic *io, u8 vector);
/*
 * ioapic_resample() - after a state was loaded: every unmasked level entry
 * whose line is asserted and remote IRR clear sends its message.
 */
void ioapic_resample(struct ioapic *io);
/* ioapic_entry_msg() - the message redirection entry @pin sends. */
void ioapic_entry_msg(const struct ioapic *io, u32 pin, struct apic_msg *m);

#endif /* HAXM_IRQCHIP_IOAPIC_H */
