// SPDX-License-Identifier: GPL-2.0
/*
 * The 82093AA IO-APIC model: indirect registers, redirection entries, edge
 * and level inputs, remote IRR and the EOI broadcast. See ioapic.h.
 */
#include "irqchip/ioapic.h"

/* The low dword's writable bits: vector, delivery mode, destination mode,
 * polarity, trigger mode, mask; delivery status and remote IRR are
 * read-only (datasheet 3.2.4). The high dword: the destination, bits 63:56. */
#define RE_LO_WRITABLE 0x1afffu
#define RE_HI_WRITABLE 0xff000000u

void ioapic_init(struct ioapic *io, u32 id, ioapic_deliver_fn deliver, void *ctx)
{
	u32 i;

	io->id = id & 0xf;
	io->arb = io->id;
	io->ioregsel = 0;
	/* "the mask bit is set" at reset (datasheet 3.2.4, bit 16) */
	for (i = 0; i < IOAPIC_PINS; i++)
		io->redir[i] = IOAPIC_RE_MASKED;
	io->lines = 0;
	io->deliver = deliver;
	io->ctx = ctx;
}

void ioapic_entry_msg(const struct ioapic *io, u32 pin, struct apic_msg *m)
{
	u64 e = io->redir[pin];

	m->dest = (u32)(e >> IOAPIC_RE_DEST_SHIFT);
	m->vector = e & IOAPIC_RE_VECTOR;
	m->delivery = (e >> IOAPIC_RE_DM_SHIFT) & 7;
	m->shorthand = APIC_SH_NONE;
	m->logical = e & IOAPIC_RE_LOGICAL;
	m->level = e & IOAPIC_RE_LEVEL;
	m->assert = true;
	m->x2apic = false;
}

/* Send pin @pin's message; a level entry accepted by an APIC sets remote IRR. */
static void service(struct ioapic *io, u32 pin)
{
	struct apic_msg m;

	ioapic_entry_msg(io, pin, &m);
	/*
	 * Remote IRR: "set to 1 when local APIC(s) accept the level interrupt
	 * sent by the IOAPIC and reset to 0 when an EOI message with a matching
	 * interrupt vector is received" (datasheet 3.2.4, bit 14). A message no
	 * APIC accepted leaves it clear: no EOI would ever come.
	 */
	if (io->deliver(io->ctx, &m) > 0 && m.level)
		io->redir[pin] |= IOAPIC_RE_REMOTE_IRR;
}

/* Send the message of a level entry whose line is asserted, if it may. */
static void level_check(struct ioapic *io, u32 pin)
{
	u64 e = io->redir[pin];

	if ((e & IOAPIC_RE_LEVEL) && !(e & (IOAPIC_RE_MASKED | IOAPIC_RE_REMOTE_IRR)) &&
	    (io->lines & (1u << pin)))
		service(io, pin);
}

u32 ioapic_read_reg(const struct ioapic *io, u32 index)
{
	u32 pin;

	switch (index) {
	case IOAPIC_REG_ID: /* bits 27:24 (datasheet 3.2.1) */
		return io->id << 24;
	case IOAPIC_REG_VER:
		return IOAPIC_VERSION;
	case IOAPIC_REG_ARB: /* bits 27:24, read-only (datasheet 3.2.3) */
		return io->arb << 24;
	}
	if (index < IOAPIC_REG_REDTBL || index >= IOAPIC_REG_REDTBL + 2 * IOAPIC_PINS)
		return 0;
	pin = (index - IOAPIC_REG_REDTBL) / 2;
	/* delivery status (bit 12) reads 0: a message is sent when it is raised */
	return index & 1 ? (u32)(io->redir[pin] >> 32) : (u32)io->redir[pin];
}

void ioapic_write_reg(struct ioapic *io, u32 index, u32 val)
{
	u64 e, old;
	u32 pin;

	if (index == IOAPIC_REG_ID) {
		/* the arbitration ID is loaded from the ID when the ID is written (datasheet 3.2.3)
		 */
		io->id = (val >> 24) & 0xf;
		io->arb = io->id;
		return;
	}
	if (index < IOAPIC_REG_REDTBL || index >= IOAPIC_REG_REDTBL + 2 * IOAPIC_PINS)
		return; /* version, arbitration and undefined indexes are read-only */
	pin = (index - IOAPIC_REG_REDTBL) / 2;
	old = e = io->redir[pin];
	if (index & 1) {
		e = (e & 0xffffffffull) | ((u64)(val & RE_HI_WRITABLE) << 32);
	} else {
		e &= ~(u64)RE_LO_WRITABLE;
		e |= val & RE_LO_WRITABLE;
	}
	/* remote IRR is undefined for edge entries (datasheet 3.2.4): cleared */
	if (!(e & IOAPIC_RE_LEVEL))
		e &= ~IOAPIC_RE_REMOTE_IRR;
	io->redir[pin] = e;
	/* an unmasked (or newly level) entry with its line asserted sends now */
	if (e != old)
		level_check(io, pin);
}

int ioapic_mmio_read(struct ioapic *io, u32 off, u32 size, u32 *val)
{
	if ((size != 1 && size != 2 && size != 4) || off >= IOAPIC_MMIO_SIZE ||
	    off + size > IOAPIC_MMIO_SIZE)
		return -EINVAL;
	*val = 0;
	/* "IOREGSEL and IOWIN ... must be accessed as dwords" (datasheet 3.1) */
	if (size != 4)
		return 0;
	if (off == IOAPIC_IOREGSEL)
		*val = io->ioregsel;
	else if (off == IOAPIC_IOWIN)
		*val = ioapic_read_reg(io, io->ioregsel);
	return 0;
}

int ioapic_mmio_write(struct ioapic *io, u32 off, u32 size, u32 val)
{
	if ((size != 1 && size != 2 && size != 4) || off >= IOAPIC_MMIO_SIZE ||
	    off + size > IOAPIC_MMIO_SIZE)
		return -EINVAL;
	if (size != 4)
		return 0;
	/* IOREGSEL bits 7:0 select the register; 31:8 are reserved (datasheet 3.1.1) */
	if (off == IOAPIC_IOREGSEL)
		io->ioregsel = val & 0xff;
	else if (off == IOAPIC_IOWIN)
		ioapic_write_reg(io, io->ioregsel, val);
	return 0;
}

int ioapic_set_irq(struct ioapic *io, u32 pin, bool level)
{
	u32 bit = 1u << pin, was;
	u64 e;

	if (pin >= IOAPIC_PINS)
		return -EINVAL;
	was = io->lines & bit;
	if (level)
		io->lines |= bit;
	else
		io->lines &= ~bit;
	e = io->redir[pin];
	if (!level || (e & IOAPIC_RE_MASKED))
		return 0;
	if (e & IOAPIC_RE_LEVEL)
		level_check(io, pin);
	else if (!was) /* edge: the rising edge only */
		service(io, pin);
	return 0;
}

void ioapic_eoi(struct ioapic *io, u8 vector)
{
	u32 pin;

	for (pin = 0; pin < IOAPIC_PINS; pin++) {
		u64 e = io->redir[pin];

		if ((e & IOAPIC_RE_VECTOR) != vector || !(e & IOAPIC_RE_LEVEL) ||
		    !(e & IOAPIC_RE_REMOTE_IRR))
			continue;
		io->redir[pin] = e & ~IOAPIC_RE_REMOTE_IRR;
		/* the line still asserted: the interrupt is sent again */
		level_check(io, pin);
	}
}

void ioapic_resample(struct ioapic *io)
{
	u32 pin;

	for (pin = 0; pin < IOAPIC_PINS; pin++)
		level_check(io, pin);
}
