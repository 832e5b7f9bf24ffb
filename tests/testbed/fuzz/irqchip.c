// SPDX-License-Identifier: GPL-2.0
/*
 * haxm-fuzz: the in-kernel interrupt controllers' ioctls (LAPIC_ENABLE,
 * IRQ_LINE, GET/SET_IOAPIC, _PIC, _PIT, GET/SET_LAPIC, SIGNAL_MSI;
 * docs/api.md):
 * random flags, lines and levels about their bounds, and SET states that
 * are mostly the controller's own with a few fields pushed to or past their
 * limits, so that the checks of every field are reached, not only the
 * first. Most new VMs (do_open(), do_build()) get the controllers, and the
 * random guests of built ones then reach the in-kernel PIC's and PIT's
 * ports.
 */
#include <string.h>
#include <sys/ioctl.h>

#include "fuzz.h"

/* the whole set most often: then every ioctl of this file acts */
static const uint32_t enable_flags[] = {
	HAX_LAPIC_ENABLE_IOAPIC | HAX_LAPIC_ENABLE_PIC | HAX_LAPIC_ENABLE_PIT,
	HAX_LAPIC_ENABLE_IOAPIC | HAX_LAPIC_ENABLE_PIC | HAX_LAPIC_ENABLE_PIT,
	HAX_LAPIC_ENABLE_IOAPIC | HAX_LAPIC_ENABLE_PIC | HAX_LAPIC_ENABLE_PIT,
	0,
	HAX_LAPIC_ENABLE_IOAPIC,
	HAX_LAPIC_ENABLE_IOAPIC | HAX_LAPIC_ENABLE_PIC,
	HAX_LAPIC_ENABLE_IOAPIC | HAX_LAPIC_ENABLE_PIT,
	HAX_LAPIC_ENABLE_IOAPIC | HAX_LAPIC_ENABLE_PIC | HAX_LAPIC_ENABLE_PIT,
	HAX_LAPIC_ENABLE_PIC, /* without the IO-APIC: EINVAL */
	HAX_LAPIC_ENABLE_PIT,
	1u << 3, /* no such flag */
	~0u,
};

/* A value at or about a field's bound: 0, 1, the limit, the limit + 1, all ones. */
static uint64_t boundary(struct fuzz_thread *t, uint64_t limit)
{
	switch (fuzz_rand(t) % 6) {
	case 0:
		return 0;
	case 1:
		return 1;
	case 2:
		return limit;
	case 3:
		return limit + 1;
	case 4:
		return ~0ull;
	}
	return fuzz_rand(t) % (limit + 2);
}

uint32_t fuzz_enable_flags(struct fuzz_thread *t)
{
	return enable_flags[fuzz_rand(t) % (sizeof(enable_flags) / sizeof(enable_flags[0]))];
}

void fuzz_irqchip_arg(struct fuzz_thread *t, unsigned long nr, uint8_t *a)
{
	switch (nr) {
	case HAX_VM_IOCTL_LAPIC_ENABLE: {
		struct hax_lapic_enable *e = (void *)a;

		e->flags = fuzz_enable_flags(t);
		e->reserved = fuzz_rand(t) % 8 == 0;
		break;
	}
	case HAX_VM_IOCTL_IRQ_LINE: {
		struct hax_irq_line *l = (void *)a;

		l->irq = boundary(t, HAX_IOAPIC_PINS - 1);
		l->level = fuzz_rand(t) % 8 ? fuzz_rand(t) % 2 : boundary(t, 1);
		break;
	}
	case HAX_VM_IOCTL_SIGNAL_MSI: {
		/* mostly well formed: 0xFEE, a destination, any delivery mode
		 * (3 and 6 reserved), a vector; sometimes one reserved bit */
		struct hax_msi *m = (void *)a;

		m->address = 0xfee00000u | (fuzz_rand(t) % 256) << 12 |
			     (fuzz_rand(t) % 2 ? HAX_MSI_ADDR_LOGICAL : 0) |
			     (fuzz_rand(t) % 4 ? 0 : HAX_MSI_ADDR_RH);
		m->data = (uint32_t)(fuzz_rand(t) % 256) | (uint32_t)(fuzz_rand(t) % 8) << 8 |
			  (fuzz_rand(t) % 2 ? 1u << 14 : 0) | (fuzz_rand(t) % 4 ? 0 : 1u << 15);
		m->flags = fuzz_rand(t) % 16 == 0;
		if (fuzz_rand(t) % 4 == 0)
			m->address ^= 1ull << (fuzz_rand(t) % 64);
		if (fuzz_rand(t) % 4 == 0)
			m->data ^= 1u << (fuzz_rand(t) % 32);
		break;
	}
	}
}

/* A field of @size bytes at @off of @s set to a boundary of @limit. */
static void poke(struct fuzz_thread *t, void *s, size_t off, size_t size, uint64_t limit)
{
	uint64_t v = boundary(t, limit);

	memcpy((uint8_t *)s + off, &v, size);
}

#define POKE(t, s, field, limit) \
	poke(t, s, (uint8_t *)&(field) - (uint8_t *)(s), sizeof(field), limit)

static void mutate_ioapic(struct fuzz_thread *t, struct hax_ioapic_state *s)
{
	uint32_t pin = fuzz_rand(t) % HAX_IOAPIC_PINS;

	switch (fuzz_rand(t) % 6) {
	case 0:
		POKE(t, s, s->id, 15);
		break;
	case 1:
		POKE(t, s, s->ioregsel, 255);
		break;
	case 2:
		s->lines ^= 1u << (fuzz_rand(t) % 32);
		break;
	case 3: /* a redirection entry: any bit, reserved, remote IRR, delivery status */
		s->redir[pin] ^= 1ull << (fuzz_rand(t) % 64);
		break;
	case 4:
		s->reserved[fuzz_rand(t) % 6] = fuzz_rand(t) % 2;
		break;
	default:
		s->base += fuzz_rand(t) % 2 ? 0x1000 : 0;
		break;
	}
}

static void mutate_pic(struct fuzz_thread *t, struct hax_pic_state *s)
{
	struct hax_pic_chip *c = fuzz_rand(t) % 2 ? &s->master : &s->slave;

	switch (fuzz_rand(t) % 8) {
	case 0:
		POKE(t, s, c->init_state, 3);
		break;
	case 1:
		POKE(t, s, c->priority_add, 7);
		break;
	case 2:
		c->irq_base ^= 1u << (fuzz_rand(t) % 8);
		break;
	case 3:
		POKE(t, s, c->auto_eoi, 1);
		break;
	case 4: /* a line, a request or an ELCR bit: level inputs must agree */
		((uint8_t *)c)[fuzz_rand(t) % 4] ^= 1u << (fuzz_rand(t) % 8);
		break;
	case 5:
		c->elcr ^= 1u << (fuzz_rand(t) % 8);
		break;
	case 6:
		s->reserved[fuzz_rand(t) % 4] = fuzz_rand(t) % 2;
		break;
	default:
		((uint8_t *)s)[fuzz_rand(t) % sizeof(*s)] = fuzz_rand(t);
		break;
	}
}

static void mutate_pit(struct fuzz_thread *t, struct hax_pit_state *s)
{
	struct hax_pit_channel *c = &s->ch[fuzz_rand(t) % 3];

	switch (fuzz_rand(t) % 9) {
	case 0:
		POKE(t, s, c->count, 0x10000);
		break;
	case 1:
		POKE(t, s, c->mode, 5);
		break;
	case 2:
		POKE(t, s, c->rw_mode, 3);
		break;
	case 3:
		POKE(t, s, c->read_state, 4);
		POKE(t, s, c->write_state, 4);
		break;
	case 4:
		POKE(t, s, c->count_latched, 3);
		break;
	case 5:
		POKE(t, s, c->gate, 1);
		break;
	case 6: /* any time counted: far past, or a wrap of the clock */
		c->elapsed_ns = fuzz_rand(t) % 2 ? fuzz_rand(t) : ~0ull - fuzz_rand(t) % 1000;
		break;
	case 7:
		POKE(t, s, s->port61, 0xf);
		break;
	default:
		((uint8_t *)s)[fuzz_rand(t) % sizeof(*s)] = fuzz_rand(t);
		break;
	}
}

static void mutate_lapic(struct fuzz_thread *t, struct hax_lapic_state *s)
{
	uint32_t reg = (fuzz_rand(t) % 64) * 16; /* a register's offset in the page */

	switch (fuzz_rand(t) % 6) {
	case 0:
		s->apic_base ^= 1ull << (fuzz_rand(t) % 64);
		break;
	case 1:
		s->pending ^= 1u << (fuzz_rand(t) % 32);
		break;
	case 2: /* a register: any bit of it */
		s->regs[reg + fuzz_rand(t) % 4] ^= 1u << (fuzz_rand(t) % 8);
		break;
	case 3:
		POKE(t, s, s->timer_current, 0xffffffff);
		s->tsc_deadline = fuzz_rand(t) % 2 ? 0 : fuzz_rand(t);
		break;
	case 4:
		s->reserved[fuzz_rand(t) % 9] = fuzz_rand(t) % 2;
		break;
	default:
		s->regs[fuzz_rand(t) % sizeof(s->regs)] = fuzz_rand(t);
		break;
	}
}

void *fuzz_irqchip_state(struct fuzz_thread *t, unsigned long nr, int fd, void *buf)
{
	unsigned long get = nr == HAX_VM_IOCTL_SET_IOAPIC    ? HAX_VM_IOCTL_GET_IOAPIC
			    : nr == HAX_VM_IOCTL_SET_PIC     ? HAX_VM_IOCTL_GET_PIC
			    : nr == HAX_VM_IOCTL_SET_PIT     ? HAX_VM_IOCTL_GET_PIT
			    : nr == HAX_VCPU_IOCTL_SET_LAPIC ? HAX_VCPU_IOCTL_GET_LAPIC
							     : 0;
	int k, n = fuzz_rand(t) % 3;

	if (!get || ioctl(fd, get, buf))
		return NULL;
	/* none changed (the state as it is: SET must take it), one or two */
	for (k = 0; k < n; k++) {
		if (nr == HAX_VM_IOCTL_SET_IOAPIC)
			mutate_ioapic(t, buf);
		else if (nr == HAX_VM_IOCTL_SET_PIC)
			mutate_pic(t, buf);
		else if (nr == HAX_VM_IOCTL_SET_PIT)
			mutate_pit(t, buf);
		else
			mutate_lapic(t, buf);
	}
	return buf;
}
