// SPDX-License-Identifier: GPL-2.0
/*
 * haxm run's user-space 8254 PIT and port 0x61: the core's model
 * (core/irqchip/pit.c, the one the module runs for HAX_LAPIC_ENABLE_PIT) on
 * the port bus and the VMM's monotonic clock. Counter 0's output drives
 * IRQ0: the VMM's timer thread sleeps until pit_next_irq() and calls
 * pit_tick().
 */
#include <string.h>

#include "devices.h"
#include "ioport.h"

void pit_init(struct pit *p, int64_t (*now)(void), irq_fn irq, void *opaque)
{
	memset(p, 0, sizeof(*p));
	i8254_init(&p->chip);
	p->now = now;
	p->irq = irq;
	p->irq_opaque = opaque;
}

static int pit_byte(void *opaque, uint16_t port, bool write, uint8_t *b)
{
	struct pit *p = opaque;
	uint64_t now = (uint64_t)p->now();

	return write ? i8254_port_write(&p->chip, port, *b, now)
		     : i8254_port_read(&p->chip, port, now, b);
}

void pit_io(void *opaque, uint16_t port, int size, bool write, uint32_t *val)
{
	io_bytes(opaque, port, size, write, val, pit_byte);
}

int64_t pit_next_irq(const struct pit *p)
{
	uint64_t t = i8254_irq_expiry(&p->chip);

	return t ? (int64_t)t : -1;
}

int pit_tick(struct pit *p)
{
	if (!i8254_irq_fire(&p->chip, (uint64_t)p->now()))
		return 0;
	/* a rising edge: a pulse, latched by the edge input it reaches */
	p->irq(p->irq_opaque, PIT_IRQ, 1);
	p->irq(p->irq_opaque, PIT_IRQ, 0);
	return 1;
}
