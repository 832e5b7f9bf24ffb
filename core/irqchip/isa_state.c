// SPDX-License-Identifier: GPL-2.0
/*
 * The ABI form of the PIC and PIT models' state (struct hax_pic_state,
 * struct hax_pit_state; docs/api.md, "In-kernel PIC and PIT"): what
 * GET_PIC/GET_PIT report and SET_PIC/SET_PIT check and load, and what
 * `haxm run` saves and restores of its own (user-space) PIC and PIT, which
 * are the same models. See pic.h and pit.h.
 */
#include "../include/uapi/haxm.h"
#include "irqchip/pic.h"
#include "irqchip/pit.h"

#define REFUSE(msg)                   \
	do {                          \
		if (why)              \
			*why = (msg); \
		return -EINVAL;       \
	} while (0)

void i8259_get_state(const struct i8259 *p, struct hax_pic_state *s)
{
	struct hax_pic_chip *o[2] = { &s->master, &s->slave };
	u32 i;

	__builtin_memset(s, 0, sizeof(*s));
	for (i = 0; i < 2; i++) {
		const struct i8259_chip *c = &p->chip[i];

		*o[i] = (struct hax_pic_chip){
			.irr = c->irr,
			.imr = c->imr,
			.isr = c->isr,
			.lines = c->lines,
			.priority_add = c->priority_add,
			.irq_base = c->irq_base,
			.read_isr = c->read_isr,
			.poll = c->poll,
			.special_mask = c->special_mask,
			.init_state = c->init_state,
			.auto_eoi = c->auto_eoi,
			.rotate_aeoi = c->rotate_aeoi,
			.special_fnm = c->special_fnm,
			.icw4_needed = c->icw4_needed,
			.elcr = c->elcr,
			.icw3 = c->icw3,
		};
	}
}

/* One chip of a state into @c (its elcr_mask set); 0 or -EINVAL with @why. */
static int pic_load_chip(struct i8259_chip *c, const struct hax_pic_chip *s, const char **why)
{
	if ((s->read_isr | s->poll | s->special_mask | s->auto_eoi | s->rotate_aeoi |
	     s->special_fnm | s->icw4_needed) > 1)
		REFUSE("a mode flag above 1");
	if (s->init_state > 3)
		REFUSE("init_state above 3");
	if (s->priority_add > 7)
		REFUSE("priority_add above 7");
	if (s->irq_base & 7)
		REFUSE("irq_base with bits 2:0 set");
	if (s->elcr & ~c->elcr_mask)
		REFUSE("an ELCR bit of an edge-only input");
	if ((s->irr ^ s->lines) & s->elcr)
		REFUSE("a level input's IRR bit unlike its line");
	c->irr = s->irr;
	c->imr = s->imr;
	c->isr = s->isr;
	c->lines = s->lines;
	c->priority_add = s->priority_add;
	c->irq_base = s->irq_base;
	c->read_isr = s->read_isr;
	c->poll = s->poll;
	c->special_mask = s->special_mask;
	c->init_state = s->init_state;
	c->auto_eoi = s->auto_eoi;
	c->rotate_aeoi = s->rotate_aeoi;
	c->special_fnm = s->special_fnm;
	c->icw4_needed = s->icw4_needed;
	c->elcr = s->elcr;
	c->icw3 = s->icw3;
	return 0;
}

int i8259_set_state(struct i8259 *p, const struct hax_pic_state *s, const char **why)
{
	struct i8259 n;
	u32 i;

	for (i = 0; i < sizeof(s->reserved) / sizeof(s->reserved[0]); i++)
		if (s->reserved[i])
			REFUSE("a reserved word set");
	i8259_init(&n);
	if (pic_load_chip(&n.chip[0], &s->master, why) || pic_load_chip(&n.chip[1], &s->slave, why))
		return -EINVAL;
	/* IR2 of the master is the cascade: no line, its request the slave's INT */
	if (s->master.lines & (1u << PIC_CASCADE_IR))
		REFUSE("the master's line 2 (the cascade) set");
	if (!!(s->master.irr & (1u << PIC_CASCADE_IR)) != i8259_slave_output(&n))
		REFUSE("the master's IRR bit 2 unlike the slave's INT");
	*p = n;
	return 0;
}

void i8254_get_state(const struct i8254 *p, u64 now, struct hax_pit_state *s)
{
	u32 i;

	__builtin_memset(s, 0, sizeof(*s));
	for (i = 0; i < 3; i++) {
		const struct i8254_channel *c = &p->ch[i];
		struct hax_pit_channel *o = &s->ch[i];

		o->count = c->count;
		o->latched_count = c->latched_count;
		o->count_latched = c->count_latched;
		o->status_latched = c->status_latched;
		o->status = c->status;
		o->read_state = c->read_state;
		o->write_state = c->write_state;
		o->write_latch = c->write_latch;
		o->rw_mode = c->rw_mode;
		o->mode = c->mode;
		o->bcd = c->bcd;
		o->gate = c->gate;
		o->counting = c->counting;
		o->elapsed_ns = i8254_elapsed(p, i, now);
	}
	s->port61 = p->port61;
}

/* An access state that the RW mode @rw can be in. */
static bool state_ok(u8 rw, u8 st)
{
	if (rw == PIT_RW_WORD0)
		return st == PIT_RW_WORD0 || st == PIT_RW_WORD1;
	return st == rw;
}

static int pit_check_channel(const struct hax_pit_channel *c, u32 i, const char **why)
{
	u32 j;

	for (j = 0; j < sizeof(c->reserved); j++)
		if (c->reserved[j])
			REFUSE("a reserved byte of a counter set");
	if (!c->count || c->count > 0x10000)
		REFUSE("a count of 0 or above 0x10000");
	if (c->count_latched > 3)
		REFUSE("count_latched above 3");
	if ((c->status_latched | c->bcd | c->gate | c->counting) > 1)
		REFUSE("a flag above 1");
	if (c->status & 0x40)
		REFUSE("the status byte's null count bit");
	if (!c->rw_mode || c->rw_mode > 3)
		REFUSE("an RW mode of 0 or above 3");
	if (c->mode > 5)
		REFUSE("a mode above 5");
	if (!state_ok(c->rw_mode, c->read_state) || !state_ok(c->rw_mode, c->write_state))
		REFUSE("a read or write state unlike the RW mode");
	if (i < 2 && !c->gate)
		REFUSE("gate 0 on counter 0 or 1");
	return 0;
}

int i8254_check_state(const struct hax_pit_state *s, const char **why)
{
	u32 i;

	for (i = 0; i < sizeof(s->reserved) / sizeof(s->reserved[0]); i++)
		if (s->reserved[i])
			REFUSE("a reserved word set");
	if (s->port61 & ~0xfu)
		REFUSE("port61 bits 31:4 set");
	if ((s->port61 & 1) != s->ch[2].gate)
		REFUSE("port61 bit 0 unlike counter 2's gate");
	for (i = 0; i < 3; i++)
		if (pit_check_channel(&s->ch[i], i, why))
			return -EINVAL;
	return 0;
}

int i8254_set_state(struct i8254 *p, const struct hax_pit_state *s, u64 now, const char **why)
{
	u32 i;

	if (i8254_check_state(s, why))
		return -EINVAL;
	for (i = 0; i < 3; i++) {
		struct i8254_channel *c = &p->ch[i];
		const struct hax_pit_channel *o = &s->ch[i];

		c->count = o->count;
		c->latched_count = o->latched_count;
		c->count_latched = o->count_latched;
		c->status_latched = o->status_latched;
		c->status = o->status;
		c->read_state = o->read_state;
		c->write_state = o->write_state;
		c->write_latch = o->write_latch;
		c->rw_mode = o->rw_mode;
		c->mode = o->mode;
		c->bcd = o->bcd;
		c->gate = o->gate;
		c->counting = o->counting;
		i8254_restart(p, i, o->elapsed_ns, now);
	}
	p->port61 = s->port61;
	return 0;
}
