// SPDX-License-Identifier: GPL-2.0
/*
 * The PC's two cascaded i8259A interrupt controllers (8259A data sheet):
 * ICW1-4 initialization, IMR, non-specific and specific EOI, IRR/ISR reads,
 * auto-EOI, edge or level triggering per line (the ELCR ports of PIIX-era
 * chipsets). Fixed priority (IR0 highest); rotation and special mask mode
 * are not modelled. The slave's output drives the master's IR2.
 */
#include <string.h>

#include "devices.h"

#define ICW1_ICW4   0x01
#define ICW1_SINGLE 0x02
#define ICW1_INIT   0x10
#define ICW4_AEOI   0x02
#define OCW3_SEL    0x08
#define OCW3_RR	    0x02
#define OCW3_RIS    0x01

static void chip_reset(struct i8259 *c, uint8_t base)
{
	uint8_t elcr = c->elcr, lines = c->lines;

	memset(c, 0, sizeof(*c));
	c->elcr = elcr;
	c->lines = lines;
	c->base = base;
	c->imr = 0xff;
}

void pic_init(struct pic *p, void (*notify)(void *), void *opaque)
{
	memset(p, 0, sizeof(*p));
	chip_reset(&p->chip[0], 0x08);
	chip_reset(&p->chip[1], 0x70);
	p->notify = notify;
	p->notify_opaque = opaque;
}

/* The highest-priority request that may interrupt what is in service; -1 if none. */
static int chip_irq(const struct i8259 *c)
{
	uint8_t pending = c->irr & ~c->imr;
	int irq;

	if (!pending)
		return -1;
	irq = __builtin_ctz(pending);
	if (c->isr && __builtin_ctz(c->isr) <= irq)
		return -1;
	return irq;
}

static void chip_line(struct i8259 *c, int irq, int level)
{
	uint8_t bit = 1u << irq;

	if (c->elcr & bit) {
		if (level)
			c->irr |= bit;
		else
			c->irr &= ~bit;
	} else if (level && !(c->lines & bit)) {
		c->irr |= bit; /* rising edge */
	}
	if (level)
		c->lines |= bit;
	else
		c->lines &= ~bit;
}

/*
 * Propagate the slave's output to the master's IR2, as a level (so a slave
 * with auto-EOI and several requests is not lost), then tell the VMM.
 */
static void pic_update(struct pic *p)
{
	if (chip_irq(&p->chip[1]) >= 0)
		p->chip[0].irr |= 1u << 2;
	else
		p->chip[0].irr &= ~(1u << 2);
	if (p->notify)
		p->notify(p->notify_opaque);
}

void pic_set_irq(void *opaque, int irq, int level)
{
	struct pic *p = opaque;

	if (irq < 0 || irq > 15)
		return;
	chip_line(&p->chip[irq >> 3], irq & 7, level);
	pic_update(p);
}

bool pic_pending(const struct pic *p)
{
	return chip_irq(&p->chip[0]) >= 0;
}

/* Acknowledge @irq on @c: in service unless auto-EOI, an edge request consumed. */
static void chip_ack(struct i8259 *c, int irq)
{
	uint8_t bit = 1u << irq;

	if (!c->auto_eoi)
		c->isr |= bit;
	if (!(c->elcr & bit) || !(c->lines & bit))
		c->irr &= ~bit;
}

uint8_t pic_ack(struct pic *p)
{
	struct i8259 *m = &p->chip[0], *s = &p->chip[1];
	int irq = chip_irq(m), sirq;
	uint8_t vec;

	if (irq < 0)
		return m->base + 7; /* spurious */
	if (irq == 2) {
		sirq = chip_irq(s);
		if (sirq >= 0) {
			chip_ack(s, sirq);
			vec = s->base + sirq;
		} else {
			vec = s->base + 7; /* spurious on the slave */
		}
		chip_ack(m, 2);
	} else {
		chip_ack(m, irq);
		vec = m->base + irq;
	}
	pic_update(p);
	return vec;
}

static void chip_write(struct i8259 *c, bool data, uint8_t v)
{
	if (!data && (v & ICW1_INIT)) {
		chip_reset(c, c->base);
		c->imr = 0; /* ICW1 clears the mask register */
		c->need_icw4 = v & ICW1_ICW4;
		c->single = v & ICW1_SINGLE;
		c->init_step = 1;
		return;
	}
	if (!data) {
		if (v & OCW3_SEL) {
			if (v & OCW3_RR)
				c->read_isr = v & OCW3_RIS;
			return;
		}
		switch (v >> 5) {
		case 1: /* non-specific EOI */
		case 5: /* rotate on non-specific EOI: treated as EOI */
			if (c->isr)
				c->isr &= ~(1u << __builtin_ctz(c->isr));
			break;
		case 3: /* specific EOI */
		case 7: /* rotate on specific EOI */
			c->isr &= ~(1u << (v & 7));
			break;
		default:
			break;
		}
		return;
	}
	switch (c->init_step) {
	case 1:
		c->base = v & 0xf8;
		c->init_step = c->single ? (c->need_icw4 ? 3 : 0) : 2;
		break;
	case 2: /* ICW3: the cascade wiring is fixed */
		c->init_step = c->need_icw4 ? 3 : 0;
		break;
	case 3:
		c->auto_eoi = v & ICW4_AEOI;
		c->init_step = 0;
		break;
	default:
		c->imr = v;
		break;
	}
}

void pic_io(void *opaque, uint16_t port, int size, bool write, uint32_t *val)
{
	struct pic *p = opaque;
	struct i8259 *c;

	(void)size; /* byte-wide registers: wider accesses use the low byte */

	if (port == 0x4d0 || port == 0x4d1) {
		c = &p->chip[port & 1];
		if (write)
			/* IR0-2 of the master and IR0 and IR5 of the slave are edge only */
			c->elcr = *val & ((port & 1) ? 0xde : 0xf8);
		else
			*val = c->elcr;
		pic_update(p);
		return;
	}
	c = &p->chip[port >= 0xa0];
	if (write)
		chip_write(c, port & 1, (uint8_t)*val);
	else if (port & 1)
		*val = c->imr;
	else
		*val = c->read_isr ? c->isr : c->irr;
	pic_update(p);
}
