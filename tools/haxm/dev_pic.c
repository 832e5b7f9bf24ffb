// SPDX-License-Identifier: GPL-2.0
/*
 * haxm run's user-space 8259A pair: the core's model (core/irqchip/pic.c,
 * the one the module runs for HAX_LAPIC_ENABLE_PIC) on the port bus, its
 * output change told to the VMM (devices.h).
 */
#include <string.h>

#include "devices.h"
#include "ioport.h"

void pic_init(struct pic *p, void (*notify)(void *), void *opaque)
{
	memset(p, 0, sizeof(*p));
	i8259_init(&p->chip);
	p->notify = notify;
	p->notify_opaque = opaque;
}

static void pic_changed(struct pic *p)
{
	if (p->notify)
		p->notify(p->notify_opaque);
}

void pic_set_irq(void *opaque, int irq, int level)
{
	struct pic *p = opaque;

	if (irq < 0 || i8259_set_irq(&p->chip, irq, level))
		return;
	pic_changed(p);
}

bool pic_pending(const struct pic *p)
{
	return i8259_output(&p->chip);
}

uint8_t pic_ack(struct pic *p)
{
	uint8_t vec = i8259_intack(&p->chip);

	pic_changed(p);
	return vec;
}

static int pic_byte(void *opaque, uint16_t port, bool write, uint8_t *b)
{
	struct pic *p = opaque;

	return write ? i8259_port_write(&p->chip, port, *b) : i8259_port_read(&p->chip, port, b);
}

void pic_io(void *opaque, uint16_t port, int size, bool write, uint32_t *val)
{
	io_bytes(opaque, port, size, write, val, pic_byte);
	pic_changed(opaque);
}
