// SPDX-License-Identifier: GPL-2.0
/*
 * The in-kernel 8254 PIT (HAX_LAPIC_ENABLE_PIT): core/irqchip/pit.c under
 * the VM's APIC lock, counter 0 on a host timer of vCPU 0. See vpit.h and
 * docs/design.md, "In-kernel PIC and PIT".
 */
#include "vpit.h"
#include "vpic.h"
#include "irqchip/ioapic.h"
#include "irqchip/pit.h"

struct i8254 *vm_pit_alloc(void)
{
	struct i8254 *p = os_zalloc(sizeof(*p));

	if (p)
		i8254_init(p);
	return p;
}

void vm_pit_free(struct vm *vm)
{
	os_free(vm->pit);
	vm->pit = NULL;
}

/* The VM's PIT, or NULL: set once by LAPIC_ENABLE, before any vCPU. */
static struct i8254 *vm_pit(struct vm *vm)
{
	return __atomic_load_n(&vm->pit, __ATOMIC_ACQUIRE);
}

void vm_pit_rearm(struct vm *vm)
{
	struct vcpu *v0 = vm->apic_vcpus[0];

	if (vm->pit && v0 && v0->pit_waker)
		os_waker_arm(v0->pit_waker, i8254_irq_expiry(vm->pit));
}

void vm_pit_poll(struct vm *vm)
{
	if (!vm->pit || !i8254_irq_fire(vm->pit, os_now_ns()))
		return;
	/* a rising edge: a pulse, latched by the edge inputs it reaches */
	vm_pic_set_irq(vm, 0, true);
	vm_pic_set_irq(vm, 0, false);
	if (vm->ioapic) {
		ioapic_set_irq(vm->ioapic, VPIT_IOAPIC_PIN, true);
		ioapic_set_irq(vm->ioapic, VPIT_IOAPIC_PIN, false);
	}
	vm_pit_rearm(vm);
}

int vm_pit_port(struct vm *vm, u16 port, bool in, u8 *b)
{
	u64 now = os_now_ns();
	int r;

	if (!vm->pit)
		return -ENOENT;
	if (in)
		return i8254_port_read(vm->pit, port, now, b);
	r = i8254_port_write(vm->pit, port, *b, now);
	/* a control word or count of counter 0 moves its next edge */
	if (!r && (port == PIT_PORT_BASE || port == PIT_PORT_CTRL))
		vm_pit_rearm(vm);
	return r;
}

int vm_pit_get(struct vm *vm, struct hax_pit_state *s)
{
	struct i8254 *p = vm_pit(vm);
	u64 now;
	u32 i;

	if (!p)
		return -ENOTTY;
	__builtin_memset(s, 0, sizeof(*s));
	os_spin_lock(vm->apic_lock);
	now = os_now_ns();
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
	os_spin_unlock(vm->apic_lock);
	return 0;
}

/* An access state that the RW mode @rw can be in. */
static bool state_ok(u8 rw, u8 st)
{
	if (rw == PIT_RW_WORD0)
		return st == PIT_RW_WORD0 || st == PIT_RW_WORD1;
	return st == rw;
}

static int vpit_check(const struct hax_pit_state *s)
{
	u32 i, j;

	for (i = 0; i < sizeof(s->reserved) / sizeof(s->reserved[0]); i++)
		if (s->reserved[i])
			return -EINVAL;
	if ((s->port61 & ~0xfu) || (s->port61 & 1) != s->ch[2].gate)
		return -EINVAL;
	for (i = 0; i < 3; i++) {
		const struct hax_pit_channel *c = &s->ch[i];

		for (j = 0; j < sizeof(c->reserved); j++)
			if (c->reserved[j])
				return -EINVAL;
		if (!c->count || c->count > 0x10000 || c->count_latched > 3 ||
		    (c->status_latched | c->bcd | c->gate | c->counting) > 1 ||
		    (c->status & 0x40) || !c->rw_mode || c->rw_mode > 3 || c->mode > 5 ||
		    !state_ok(c->rw_mode, c->read_state) || !state_ok(c->rw_mode, c->write_state) ||
		    (i < 2 && !c->gate))
			return -EINVAL;
	}
	return 0;
}

int vm_pit_set(struct vm *vm, const struct hax_pit_state *s)
{
	struct i8254 *p = vm_pit(vm);
	u64 now;
	u32 i;
	int r;

	if (!p)
		return -ENOTTY;
	r = vpit_check(s);
	if (r)
		return r;
	os_spin_lock(vm->apic_lock);
	now = os_now_ns();
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
	vm_pit_rearm(vm);
	os_spin_unlock(vm->apic_lock);
	return 0;
}
