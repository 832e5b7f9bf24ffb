// SPDX-License-Identifier: GPL-2.0
/*
 * The 8254 PIT: control words, counter latch and read-back commands, the
 * LSB/MSB access states, the counting element and OUT of modes 0-5 from the
 * host clock, the gate of counter 2 and port 0x61. See pit.h.
 */
#include "irqchip/pit.h"

#define NS 1000000000ull

/* The PIT clocks in @ns (rounded down). */
static u64 ns_to_ticks(u64 ns)
{
	return ns / NS * PIT_HZ + ns % NS * PIT_HZ / NS;
}

/* The time of @t PIT clocks (rounded up: an edge is never early). */
static u64 ticks_to_ns(u64 t)
{
	return t / PIT_HZ * NS + (t % PIT_HZ * NS + PIT_HZ - 1) / PIT_HZ;
}

void i8254_init(struct i8254 *p)
{
	u32 i;

	__builtin_memset(p, 0, sizeof(*p));
	for (i = 0; i < 3; i++) {
		struct i8254_channel *c = &p->ch[i];

		c->count = 0x10000;
		c->rw_mode = PIT_RW_WORD0;
		c->read_state = PIT_RW_WORD0;
		c->write_state = PIT_RW_WORD0;
		c->gate = i != 2;
	}
}

static bool periodic(const struct i8254_channel *c)
{
	return c->mode == 2 || c->mode == 3;
}

/* Modes the gate stops while low (datasheet, "Gate"): 0, 2, 3, 4. */
static bool gate_stops(const struct i8254_channel *c)
{
	return c->mode != 1 && c->mode != 5;
}

u64 i8254_elapsed(const struct i8254 *p, u32 i, u64 now)
{
	const struct i8254_channel *c = &p->ch[i];

	if (!c->counting)
		return 0;
	if (!c->gate && gate_stops(c))
		return c->frozen;
	return now - c->start;
}

u32 i8254_count(const struct i8254 *p, u32 i, u64 now)
{
	const struct i8254_channel *c = &p->ch[i];
	u64 d = ns_to_ticks(i8254_elapsed(p, i, now));

	if (!c->counting)
		return c->count;
	switch (c->mode) {
	case 2: /* C, C-1, ... 1, reload */
		return (c->count - d % c->count) & 0xffff;
	case 3: /* by twos, twice per period */
		return (c->count - (2 * d) % c->count) & 0xffff;
	default: /* one-shot modes wrap through 0xffff after the terminal count */
		return (c->count - d) & 0xffff;
	}
}

bool i8254_out(const struct i8254 *p, u32 i, u64 now)
{
	const struct i8254_channel *c = &p->ch[i];
	u64 d = ns_to_ticks(i8254_elapsed(p, i, now));

	/* after a control word OUT is low in mode 0, high in the others
	 * (datasheet, "Mode Definitions") */
	if (!c->counting)
		return c->mode != 0;
	switch (c->mode) {
	case 0: /* low until the terminal count */
	case 1: /* low from the trigger to the terminal count */
		return d >= c->count;
	case 2: /* low for the clock at which the count is 1; high while gated off */
		return !c->gate || d % c->count != c->count - 1;
	case 3: /* high for the first half (rounded up) of each period */
		return !c->gate || d % c->count < (c->count + 1) / 2;
	default: /* 4, 5: low for one clock at the terminal count */
		return d != c->count;
	}
}

/* Counter 0's first rising edge of OUT after the load. */
static u64 first_edge(const struct i8254_channel *c)
{
	return c->mode >= 4 ? (u64)c->count + 1 : c->count;
}

static void schedule(struct i8254_channel *c, u64 d)
{
	u64 e = first_edge(c);

	if (!c->counting)
		c->irq_tick = 0;
	else if (periodic(c))
		c->irq_tick = (d / c->count + 1) * c->count;
	else
		c->irq_tick = d < e ? e : 0;
}

void i8254_restart(struct i8254 *p, u32 i, u64 elapsed, u64 now)
{
	struct i8254_channel *c = &p->ch[i];

	c->start = now - elapsed;
	c->frozen = elapsed;
	schedule(c, ns_to_ticks(elapsed));
}

u64 i8254_irq_expiry(const struct i8254 *p)
{
	const struct i8254_channel *c = &p->ch[0];
	u64 t;

	if (!c->counting || !c->irq_tick)
		return 0;
	t = c->start + ticks_to_ns(c->irq_tick);
	return t ? t : 1;
}

bool i8254_irq_fire(struct i8254 *p, u64 now)
{
	struct i8254_channel *c = &p->ch[0];
	u64 t = i8254_irq_expiry(p);

	if (!t || now < t)
		return false;
	schedule(c, ns_to_ticks(now - c->start));
	return true;
}

/* A count written: 0 is the largest (0x10000, datasheet "Counter Loading"). */
static void load(struct i8254_channel *c, u32 val, u64 now)
{
	c->count = val ? val : 0x10000;
	c->counting = 1;
	c->start = now;
	c->frozen = 0;
	schedule(c, 0);
}

/* Latch counter @i's count, unless a latched one is still unread. */
static void latch_count(struct i8254 *p, u32 i, u64 now)
{
	struct i8254_channel *c = &p->ch[i];

	if (c->count_latched)
		return;
	c->latched_count = i8254_count(p, i, now);
	c->count_latched = c->rw_mode;
}

/* The status byte (datasheet, "Status Byte"): OUT, null count (0), RW, mode, BCD. */
static void latch_status(struct i8254 *p, u32 i, u64 now)
{
	struct i8254_channel *c = &p->ch[i];

	if (c->status_latched)
		return;
	c->status = (u8)i8254_out(p, i, now) << 7 | c->rw_mode << 4 | c->mode << 1 | c->bcd;
	c->status_latched = 1;
}

static void write_control(struct i8254 *p, u8 val, u64 now)
{
	u32 sc = val >> 6, rw = (val >> 4) & 3, i;
	struct i8254_channel *c;

	if (sc == 3) { /* read-back: COUNT# (bit 5) and STATUS# (bit 4) active low */
		for (i = 0; i < 3; i++) {
			if (!(val & (2u << i)))
				continue;
			if (!(val & 0x20))
				latch_count(p, i, now);
			if (!(val & 0x10))
				latch_status(p, i, now);
		}
		return;
	}
	c = &p->ch[sc];
	if (!rw) {
		latch_count(p, sc, now);
		return;
	}
	c->rw_mode = rw;
	c->read_state = rw;
	c->write_state = rw;
	c->mode = (val >> 1) & 7;
	if (c->mode > 5) /* 6 and 7 are modes 2 and 3 (datasheet, "Control Word Format") */
		c->mode -= 4;
	c->bcd = val & 1;
	/* a new control word stops the counter until a count is written */
	c->counting = 0;
	c->irq_tick = 0;
}

static void write_counter(struct i8254_channel *c, u8 val, u64 now)
{
	switch (c->write_state) {
	case PIT_RW_LSB:
		load(c, val, now);
		break;
	case PIT_RW_MSB:
		load(c, (u32)val << 8, now);
		break;
	case PIT_RW_WORD0:
		c->write_latch = val;
		c->write_state = PIT_RW_WORD1;
		break;
	default:
		load(c, c->write_latch | (u32)val << 8, now);
		c->write_state = PIT_RW_WORD0;
		break;
	}
}

static u8 read_counter(struct i8254 *p, u32 i, u64 now)
{
	struct i8254_channel *c = &p->ch[i];
	u32 v;

	if (c->status_latched) {
		c->status_latched = 0;
		return c->status;
	}
	if (c->count_latched) {
		v = c->latched_count;
		switch (c->count_latched) {
		case PIT_RW_LSB:
			c->count_latched = 0;
			return v & 0xff;
		case PIT_RW_MSB:
			c->count_latched = 0;
			return v >> 8;
		default: /* the LSB, the MSB next */
			c->count_latched = PIT_RW_MSB;
			return v & 0xff;
		}
	}
	v = i8254_count(p, i, now);
	switch (c->read_state) {
	case PIT_RW_LSB:
		return v & 0xff;
	case PIT_RW_MSB:
		return (v >> 8) & 0xff;
	case PIT_RW_WORD0:
		c->read_state = PIT_RW_WORD1;
		return v & 0xff;
	default:
		c->read_state = PIT_RW_WORD0;
		return (v >> 8) & 0xff;
	}
}

/* Gate 2 from port 0x61 bit 0 (datasheet, "Gate"). */
static void set_gate2(struct i8254 *p, bool gate, u64 now)
{
	struct i8254_channel *c = &p->ch[2];

	if (c->gate == gate)
		return;
	if (!gate) {
		c->frozen = i8254_elapsed(p, 2, now);
	} else if (c->mode == 0 || c->mode == 4) {
		c->start = now - c->frozen; /* counting resumes */
	} else {
		c->start = now; /* a rising edge restarts modes 1, 2, 3, 5 */
		c->frozen = 0;
	}
	c->gate = gate;
}

int i8254_port_read(struct i8254 *p, u16 port, u64 now, u8 *val)
{
	if (port == PIT_PORT_61) {
		/* bits 3:0 as written; 4 the refresh request toggling every
		 * 15.085 us; 5 OUT2; 7:6 (parity and I/O check errors) 0 */
		*val = p->port61 | (u8)((now / 15085) & 1) << 4 | (u8)i8254_out(p, 2, now) << 5;
		return 0;
	}
	if (port < PIT_PORT_BASE || port > PIT_PORT_CTRL)
		return -ENOENT;
	/* the control word register cannot be read (datasheet, "Read Operations") */
	*val = port == PIT_PORT_CTRL ? 0xff : read_counter(p, port - PIT_PORT_BASE, now);
	return 0;
}

int i8254_port_write(struct i8254 *p, u16 port, u8 val, u64 now)
{
	if (port == PIT_PORT_61) {
		p->port61 = val & 0xf;
		set_gate2(p, val & 1, now);
		return 0;
	}
	if (port < PIT_PORT_BASE || port > PIT_PORT_CTRL)
		return -ENOENT;
	if (port == PIT_PORT_CTRL)
		write_control(p, val, now);
	else
		write_counter(&p->ch[port - PIT_PORT_BASE], val, now);
	return 0;
}
