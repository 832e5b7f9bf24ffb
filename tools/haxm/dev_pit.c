// SPDX-License-Identifier: GPL-2.0
/*
 * The i8254 programmable interval timer (82C54 data sheet) and the PC's
 * port 0x61 (channel 2's gate and output). Counters are computed from the
 * monotonic clock rather than ticked: a count read at time t is what the
 * chip, counting at PIT_HZ since the count was loaded, would show. Channel 0
 * drives IRQ0; the VMM's timer thread sleeps until pit_next_irq() and calls
 * pit_tick(). Modes 0, 2 and 3 are modelled; 1, 4 and 5 count like mode 0.
 * Counter latch and the read-back command's count latch are supported.
 */
#include <string.h>

#include "devices.h"

#define NS_PER_S 1000000000ll

void pit_init(struct pit *p, int64_t (*now)(void), irq_fn irq, void *opaque)
{
	int i;

	memset(p, 0, sizeof(*p));
	p->now = now;
	p->irq = irq;
	p->irq_opaque = opaque;
	for (i = 0; i < 3; i++) {
		p->ch[i].reload = 65536;
		p->ch[i].access = 3;
	}
}

/* PIT clocks since @c started counting, at time @now. */
static uint64_t pit_ticks(const struct pit_channel *c, int64_t now)
{
	if (now <= c->start_ns)
		return 0;
	return (uint64_t)((unsigned __int128)(now - c->start_ns) * PIT_HZ / NS_PER_S);
}

static int64_t pit_ns(uint64_t ticks)
{
	return (int64_t)(((unsigned __int128)ticks * NS_PER_S + PIT_HZ - 1) / PIT_HZ);
}

static uint16_t pit_count(const struct pit_channel *c, int64_t now)
{
	uint64_t t, phase;

	if (!c->counting)
		return (uint16_t)c->reload;
	t = pit_ticks(c, now);
	switch (c->mode) {
	case 2:
		return (uint16_t)(c->reload - t % c->reload);
	case 3: /* counts down by two, twice per period */
		phase = (2 * (t % c->reload)) % c->reload;
		return (uint16_t)((c->reload - phase) & ~1u);
	default: /* after terminal count the counter wraps and goes on */
		if (t < c->reload)
			return (uint16_t)(c->reload - t);
		return (uint16_t)(0x10000 - (t - c->reload) % 0x10000);
	}
}

static bool pit_out(const struct pit_channel *c, int64_t now)
{
	uint64_t t;

	if (!c->counting)
		return c->mode != 0;
	t = pit_ticks(c, now);
	switch (c->mode) {
	case 2:
		return true; /* low for one clock only */
	case 3:
		return t % c->reload < (c->reload + 1) / 2;
	default:
		return t >= c->reload;
	}
}

static void pit_start(struct pit *p, int n)
{
	struct pit_channel *c = &p->ch[n];

	c->counting = c->loaded && (n != 2 || (p->port61 & 1));
	c->start_ns = p->now();
	c->irqs = 0;
}

static void pit_load(struct pit *p, int n, uint32_t v)
{
	struct pit_channel *c = &p->ch[n];

	c->reload = v ? v : 65536;
	c->loaded = true;
	pit_start(p, n);
}

static void pit_control(struct pit *p, uint8_t v)
{
	int n = v >> 6, i;
	struct pit_channel *c;

	if (n == 3) { /* read-back: bit 5 clear latches the selected counts */
		for (i = 0; i < 3; i++)
			if ((v & (2u << i)) && !(v & 0x20) && !p->ch[i].latched) {
				p->ch[i].latch = pit_count(&p->ch[i], p->now());
				p->ch[i].latched = true;
				p->ch[i].read_hi = false;
			}
		return;
	}
	c = &p->ch[n];
	if (!(v & 0x30)) { /* counter latch */
		if (!c->latched) {
			c->latch = pit_count(c, p->now());
			c->latched = true;
			c->read_hi = false;
		}
		return;
	}
	c->access = (v >> 4) & 3;
	c->mode = (v >> 1) & 7;
	if (c->mode > 5)
		c->mode -= 4; /* 6 and 7 are 2 and 3 */
	c->write_hi = c->read_hi = c->latched = false;
	c->loaded = c->counting = false;
}

static void pit_write(struct pit *p, int n, uint8_t v)
{
	struct pit_channel *c = &p->ch[n];

	switch (c->access) {
	case 1:
		pit_load(p, n, v);
		break;
	case 2:
		pit_load(p, n, (uint32_t)v << 8);
		break;
	default:
		if (!c->write_hi) {
			c->wlo = v;
			c->write_hi = true;
		} else {
			c->write_hi = false;
			pit_load(p, n, c->wlo | ((uint32_t)v << 8));
		}
		break;
	}
}

static uint8_t pit_read(struct pit *p, int n)
{
	struct pit_channel *c = &p->ch[n];
	uint16_t v = c->latched ? c->latch : pit_count(c, p->now());
	uint8_t r;

	switch (c->access) {
	case 1:
		c->latched = false;
		return v & 0xff;
	case 2:
		c->latched = false;
		return v >> 8;
	default:
		r = c->read_hi ? v >> 8 : v & 0xff;
		if (c->read_hi)
			c->latched = false;
		c->read_hi = !c->read_hi;
		return r;
	}
}

void pit_io(void *opaque, uint16_t port, int size, bool write, uint32_t *val)
{
	struct pit *p = opaque;
	uint8_t old;

	(void)size; /* byte-wide registers: wider accesses use the low byte */

	if (port == 0x61) {
		if (!write) {
			p->refresh = !p->refresh;
			*val = (p->port61 & 3) | (p->refresh ? 0x10 : 0) |
			       (pit_out(&p->ch[2], p->now()) ? 0x20 : 0);
			return;
		}
		old = p->port61;
		p->port61 = *val & 3;
		if ((old ^ p->port61) & 1) {
			if (p->port61 & 1)
				pit_start(p, 2);
			else
				p->ch[2].counting = false;
		}
		return;
	}
	if (port == 0x43) {
		if (write)
			pit_control(p, (uint8_t)*val);
		else
			*val = 0xff;
		return;
	}
	if (write)
		pit_write(p, port - 0x40, (uint8_t)*val);
	else
		*val = pit_read(p, port - 0x40);
}

/* Channel 0's IRQs due by @ticks: every period in modes 2 and 3, once in the others. */
static uint64_t pit_irqs_due(const struct pit_channel *c, uint64_t ticks)
{
	uint64_t n = ticks / c->reload;

	if (c->mode != 2 && c->mode != 3 && n > 1)
		n = 1;
	return n;
}

int64_t pit_next_irq(const struct pit *p)
{
	const struct pit_channel *c = &p->ch[0];

	if (!c->counting)
		return -1;
	if (c->mode != 2 && c->mode != 3 && c->irqs)
		return -1;
	return c->start_ns + pit_ns((c->irqs + 1) * c->reload);
}

int pit_tick(struct pit *p)
{
	struct pit_channel *c = &p->ch[0];
	uint64_t due;

	if (!c->counting)
		return 0;
	due = pit_irqs_due(c, pit_ticks(c, p->now()));
	if (due <= c->irqs)
		return 0;
	c->irqs = due;
	if (p->irq) {
		p->irq(p->irq_opaque, PIT_IRQ, 1);
		p->irq(p->irq_opaque, PIT_IRQ, 0);
	}
	return 1;
}
