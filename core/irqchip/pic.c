// SPDX-License-Identifier: GPL-2.0
/*
 * The 8259A pair: initialization and operation command words, priority
 * resolution with rotation, EOIs, automatic EOI, special mask and special
 * fully nested modes, polls, the cascade through the master's IR2, and the
 * ELCR's edge/level selection. See pic.h.
 */
#include "irqchip/pic.h"

#define MASTER 0
#define SLAVE  1

void i8259_init(struct i8259 *p)
{
	__builtin_memset(p, 0, sizeof(*p));
	p->chip[MASTER].imr = 0xff;
	p->chip[SLAVE].imr = 0xff;
	p->chip[MASTER].elcr_mask = PIC_ELCR_MASK_MASTER;
	p->chip[SLAVE].elcr_mask = PIC_ELCR_MASK_SLAVE;
}

/*
 * The priority (0 the highest) of the highest-priority bit of @mask, 8 when
 * @mask is 0. IR(priority_add) has priority 0, the next IRs follow in
 * circular order (datasheet, "Rotation").
 */
static int priority(const struct i8259_chip *c, u8 mask)
{
	int n;

	if (!mask)
		return 8;
	for (n = 0; !(mask & (1u << ((n + c->priority_add) & 7))); n++)
		;
	return n;
}

/* The IR the chip would request service for now, or -1. */
static int chip_pending(const struct i8259_chip *c, bool master)
{
	u8 busy = c->isr;
	int req = priority(c, c->irr & ~c->imr);

	if (req == 8)
		return -1;
	/* special fully nested mode: the slave's IR2 in service does not
	 * block more requests from the slave (datasheet, "Special Fully
	 * Nested Mode") */
	if (c->special_fnm && master)
		busy &= ~(1u << PIC_CASCADE_IR);
	/* special mask mode: a masked level in service blocks nothing
	 * (datasheet, "Special Mask Mode") */
	if (c->special_mask)
		busy &= ~c->imr;
	if (req >= priority(c, busy))
		return -1;
	return (req + c->priority_add) & 7;
}

bool i8259_slave_output(const struct i8259 *p)
{
	return chip_pending(&p->chip[SLAVE], false) >= 0;
}

void i8259_update(struct i8259 *p)
{
	struct i8259_chip *m = &p->chip[MASTER];

	/* the slave's INT is the master's IR2 input, as a level */
	if (i8259_slave_output(p))
		m->irr |= 1u << PIC_CASCADE_IR;
	else
		m->irr &= ~(1u << PIC_CASCADE_IR);
}

bool i8259_output(const struct i8259 *p)
{
	return chip_pending(&p->chip[MASTER], true) >= 0;
}

/* One input of one chip: an edge input latches 0 -> 1, a level one follows. */
static void chip_set_irq(struct i8259_chip *c, u32 ir, bool level)
{
	u8 bit = 1u << ir;

	if (c->elcr & bit) {
		if (level)
			c->irr |= bit;
		else
			c->irr &= ~bit;
	} else if (level && !(c->lines & bit)) {
		c->irr |= bit;
	}
	if (level)
		c->lines |= bit;
	else
		c->lines &= ~bit;
}

int i8259_set_irq(struct i8259 *p, u32 irq, bool level)
{
	if (irq == PIC_CASCADE_IR || irq > 15)
		return -EINVAL;
	chip_set_irq(&p->chip[irq >> 3], irq & 7, level);
	i8259_update(p);
	return 0;
}

/*
 * The INTA of @ir: its ISR bit set, or in automatic-EOI mode a rotation if
 * asked; an edge request is consumed (a level one stays while its line is
 * high).
 */
static void chip_ack(struct i8259_chip *c, int ir)
{
	u8 bit = 1u << ir;

	if (c->auto_eoi) {
		if (c->rotate_aeoi)
			c->priority_add = (ir + 1) & 7;
	} else {
		c->isr |= bit;
	}
	if (!(c->elcr & bit))
		c->irr &= ~bit;
}

u8 i8259_intack(struct i8259 *p)
{
	struct i8259_chip *m = &p->chip[MASTER], *s = &p->chip[SLAVE];
	int ir, sir;
	u8 vec;

	i8259_update(p);
	ir = chip_pending(m, true);
	if (ir < 0) {
		/* no request left by the INTA: IR7, nothing in service
		 * (datasheet, "Interrupt Sequence", the default IR7) */
		vec = m->irq_base | 7;
	} else if (ir == PIC_CASCADE_IR) {
		chip_ack(m, ir);
		sir = chip_pending(s, false);
		if (sir >= 0) {
			chip_ack(s, sir);
			vec = s->irq_base | sir;
		} else {
			vec = s->irq_base | 7; /* the slave's spurious IR7 */
		}
	} else {
		chip_ack(m, ir);
		vec = m->irq_base | ir;
	}
	i8259_update(p);
	return vec;
}

/* OCW3's poll: acknowledge as an INTA would; 0x80 | IR, or 0 with nothing. */
static u8 chip_poll(struct i8259 *p, struct i8259_chip *c)
{
	int ir;

	c->poll = 0;
	i8259_update(p);
	ir = chip_pending(c, c == &p->chip[MASTER]);
	if (ir < 0)
		return 0;
	chip_ack(c, ir);
	i8259_update(p);
	return 0x80 | ir;
}

/* ICW1 (datasheet, "Initialization Command Words"). */
static void chip_icw1(struct i8259_chip *c, u8 val)
{
	/*
	 * "The edge sense circuit is reset ... the Interrupt Mask Register is
	 * cleared, IR7 input is assigned priority 7, ... Special Mask Mode is
	 * cleared and Status Read is set to IRR. If IC4 = 0, then all functions
	 * selected in ICW4 are set to zero." The lines stay as they are: an
	 * edge input already high requests nothing until it rises again. SNGL
	 * and LTIM are not applied: the PC's pair always cascades (ICW3 comes)
	 * and its ELCR selects edge or level.
	 */
	c->irr &= c->elcr;
	c->imr = 0;
	c->isr = 0;
	c->priority_add = 0;
	c->special_mask = 0;
	c->read_isr = 0;
	c->poll = 0;
	c->auto_eoi = 0;
	c->rotate_aeoi = 0;
	c->special_fnm = 0;
	c->icw4_needed = val & 1;
	c->init_state = 1;
}

/* OCW2: EOIs, rotations and the priority (datasheet, "Operation Command Words"). */
static void chip_ocw2(struct i8259_chip *c, u8 val)
{
	u32 cmd = val >> 5, ir = val & 7;
	int n;

	switch (cmd) {
	case 0: /* rotate in automatic EOI mode: clear */
	case 4: /* set */
		c->rotate_aeoi = cmd >> 2;
		break;
	case 1: /* non-specific EOI: the highest-priority IS bit */
	case 5: /* rotate on non-specific EOI */
		n = priority(c, c->isr);
		if (n == 8)
			break;
		ir = (n + c->priority_add) & 7;
		c->isr &= ~(1u << ir);
		if (cmd == 5)
			c->priority_add = (ir + 1) & 7;
		break;
	case 3: /* specific EOI */
		c->isr &= ~(1u << ir);
		break;
	case 7: /* rotate on specific EOI */
		c->isr &= ~(1u << ir);
		c->priority_add = (ir + 1) & 7;
		break;
	case 6: /* set priority: IR(val & 7) the lowest */
		c->priority_add = (ir + 1) & 7;
		break;
	default: /* 2: no operation */
		break;
	}
}

static void chip_write_cmd(struct i8259_chip *c, u8 val)
{
	if (val & 0x10) {
		chip_icw1(c, val);
	} else if (val & 0x08) { /* OCW3 */
		if (val & 0x04)
			c->poll = 1;
		if (val & 0x02)
			c->read_isr = val & 1;
		if (val & 0x40)
			c->special_mask = (val >> 5) & 1;
	} else {
		chip_ocw2(c, val);
	}
}

static void chip_write_data(struct i8259_chip *c, u8 val)
{
	switch (c->init_state) {
	case 0: /* OCW1 */
		c->imr = val;
		break;
	case 1: /* ICW2: T7-T3 of the vectors */
		c->irq_base = val & 0xf8;
		c->init_state = 2;
		break;
	case 2: /* ICW3: cascade wiring (master: slaves' IRs; slave: its ID) */
		c->icw3 = val;
		c->init_state = c->icw4_needed ? 3 : 0;
		break;
	default: /* ICW4: SFNM (bit 4), AEOI (bit 1); uPM (bit 0) is taken as set */
		c->special_fnm = (val >> 4) & 1;
		c->auto_eoi = (val >> 1) & 1;
		c->init_state = 0;
		break;
	}
}

/* The chip of @port, with @cmd set for its command (even) port; NULL when none. */
static struct i8259_chip *port_chip(struct i8259 *p, u16 port, bool *cmd)
{
	*cmd = !(port & 1);
	switch (port) {
	case PIC_MASTER_CMD:
	case PIC_MASTER_DATA:
		return &p->chip[MASTER];
	case PIC_SLAVE_CMD:
	case PIC_SLAVE_DATA:
		return &p->chip[SLAVE];
	}
	return NULL;
}

int i8259_port_read(struct i8259 *p, u16 port, u8 *val)
{
	struct i8259_chip *c;
	bool cmd;

	if (port == PIC_ELCR_MASTER || port == PIC_ELCR_SLAVE) {
		*val = p->chip[port & 1].elcr;
		return 0;
	}
	c = port_chip(p, port, &cmd);
	if (!c)
		return -ENOENT;
	if (c->poll)
		*val = chip_poll(p, c);
	else if (cmd)
		*val = c->read_isr ? c->isr : c->irr;
	else
		*val = c->imr;
	return 0;
}

int i8259_port_write(struct i8259 *p, u16 port, u8 val)
{
	struct i8259_chip *c;
	bool cmd;

	if (port == PIC_ELCR_MASTER || port == PIC_ELCR_SLAVE) {
		c = &p->chip[port & 1];
		c->elcr = val & c->elcr_mask;
		/* a level input requests while its line is high */
		c->irr = (c->irr & ~c->elcr) | (c->lines & c->elcr);
		i8259_update(p);
		return 0;
	}
	c = port_chip(p, port, &cmd);
	if (!c)
		return -ENOENT;
	if (cmd)
		chip_write_cmd(c, val);
	else
		chip_write_data(c, val);
	i8259_update(p);
	return 0;
}
