// SPDX-License-Identifier: GPL-2.0
/*
 * The in-kernel 8259A pair (HAX_LAPIC_ENABLE_PIC): core/irqchip/pic.c
 * under the VM's APIC lock, its INT an ExtINT on vCPU 0's LINT0, and the
 * ISA devices' port I/O. See vpic.h and docs/design.md, "In-kernel PIC
 * and PIT".
 */
#include "vpic.h"
#include "vapic.h"
#include "vpit.h"
#include "irqchip/pic.h"

struct i8259 *vm_pic_alloc(void)
{
	struct i8259 *p = os_zalloc(sizeof(*p));

	if (p)
		i8259_init(p);
	return p;
}

void vm_pic_free(struct vm *vm)
{
	os_free(vm->pic);
	vm->pic = NULL;
}

/* The VM's PIC, or NULL: set once by LAPIC_ENABLE, before any vCPU. */
static struct i8259 *vm_pic(struct vm *vm)
{
	return __atomic_load_n(&vm->pic, __ATOMIC_ACQUIRE);
}

/* LINT0 unmasked in delivery mode NMI, the APIC software-enabled. */
static bool lint0_nmi(const struct lapic *l)
{
	u32 lvt = l->lvt[LVT_LINT0];

	return lapic_sw_enabled(l) && !(lvt & LAPIC_LVT_MASKED) &&
	       ((lvt & LAPIC_DM_MASK) >> LAPIC_DM_SHIFT) == APIC_DM_NMI;
}

/*
 * The PIC changed: vCPU 0 takes its INT at its next entry. With vCPU 0's
 * LINT0 programmed as NMI the INT's rising edge is an NMI instead (SDM
 * 11.5.1: an NMI entry is edge-triggered), no INTA following it. APIC
 * lock held.
 */
static void vpic_kick(struct vm *vm)
{
	bool out = i8259_output(vm->pic);
	struct lapic *l = vm->lapics[0];

	if (out && !vm->pic_int && l && lint0_nmi(l))
		lapic_lvt_fire(l, LVT_LINT0);
	vm->pic_int = out;
	if (out && vm->apic_vcpus[0])
		vcpu_lapic_kick(vm->apic_vcpus[0]);
}

void vm_pic_set_irq(struct vm *vm, u32 irq, bool level)
{
	if (!vm->pic || i8259_set_irq(vm->pic, irq, level))
		return;
	vpic_kick(vm);
}

/*
 * LINT0 takes the PIC's INT (SDM 11.5.1, delivery mode ExtINT) when unmasked
 * in ExtINT mode. A globally disabled APIC passes INTR straight to the
 * processor; a software-disabled one is the reset state, in which KVM and
 * QEMU give the BSP LINT0 = ExtINT unmasked (what firmware sets up for the
 * virtual wire, MP spec 3.6.2.2): taken too.
 */
static bool lint0_extint(const struct lapic *l)
{
	u32 lvt = l->lvt[LVT_LINT0];

	if (lapic_mode(l) == LAPIC_MODE_DISABLED || !lapic_sw_enabled(l))
		return true;
	return !(lvt & LAPIC_LVT_MASKED) &&
	       ((lvt & LAPIC_DM_MASK) >> LAPIC_DM_SHIFT) == APIC_DM_EXTINT;
}

bool vcpu_pic_pending(struct vcpu *v)
{
	struct i8259 *p = v->vm->pic;

	return p && v->id == 0 && lint0_extint(v->lapic) && i8259_output(p);
}

u8 vcpu_pic_intack(struct vcpu *v)
{
	u8 vec;

	os_spin_lock(v->vm->apic_lock);
	vec = i8259_intack(v->vm->pic);
	v->vm->pic_int = i8259_output(v->vm->pic);
	os_spin_unlock(v->vm->apic_lock);
	return vec;
}

int vm_pic_get(struct vm *vm, struct hax_pic_state *s)
{
	struct i8259 *p = vm_pic(vm);
	struct hax_pic_chip *o[2] = { &s->master, &s->slave };
	u32 i;

	if (!p)
		return -ENOTTY;
	__builtin_memset(s, 0, sizeof(*s));
	os_spin_lock(vm->apic_lock);
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
	os_spin_unlock(vm->apic_lock);
	return 0;
}

/* One chip of a SET into @c (its elcr_mask set); 0 or -EINVAL. */
static int vpic_load_chip(struct i8259_chip *c, const struct hax_pic_chip *s)
{
	if ((s->read_isr | s->poll | s->special_mask | s->auto_eoi | s->rotate_aeoi |
	     s->special_fnm | s->icw4_needed) > 1 ||
	    s->init_state > 3 || s->priority_add > 7 || (s->irq_base & 7) ||
	    (s->elcr & ~c->elcr_mask) || ((s->irr ^ s->lines) & s->elcr))
		return -EINVAL;
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

int vm_pic_set(struct vm *vm, const struct hax_pic_state *s)
{
	struct i8259 *p = vm_pic(vm), n;
	u32 i;

	if (!p)
		return -ENOTTY;
	for (i = 0; i < sizeof(s->reserved) / sizeof(s->reserved[0]); i++)
		if (s->reserved[i])
			return -EINVAL;
	i8259_init(&n);
	if (vpic_load_chip(&n.chip[0], &s->master) || vpic_load_chip(&n.chip[1], &s->slave))
		return -EINVAL;
	/* IR2 of the master is the cascade: no line, its request the slave's INT */
	if ((s->master.lines & (1u << PIC_CASCADE_IR)) ||
	    !!(s->master.irr & (1u << PIC_CASCADE_IR)) != i8259_slave_output(&n))
		return -EINVAL;
	os_spin_lock(vm->apic_lock);
	*p = n;
	vm->pic_int = i8259_output(p); /* a restored INT is no edge */
	vpic_kick(vm);
	os_spin_unlock(vm->apic_lock);
	return 0;
}

/* One byte at @port: 0 done, -ENOENT not a port of the VM's devices. */
static int isa_byte(struct vm *vm, u16 port, bool in, u8 *b)
{
	int r = -ENOENT;

	if (vm->pic) {
		r = in ? i8259_port_read(vm->pic, port, b) : i8259_port_write(vm->pic, port, *b);
		if (!r && !in)
			vpic_kick(vm);
	}
	if (r == -ENOENT)
		r = vm_pit_port(vm, port, in, b);
	return r;
}

int vcpu_isa_pio(struct vcpu *v, u16 port, u32 size, bool in, u32 *val)
{
	struct vm *vm = v->vm;
	u32 i, out = 0;
	u8 b;

	if (!vm->pic && !vm->pit)
		return 1;
	os_spin_lock(vm->apic_lock);
	for (i = 0; i < size && i < 4; i++) {
		b = in ? 0xff : (u8)(*val >> (8 * i));
		if (isa_byte(vm, (u16)(port + i), in, &b) && i == 0) {
			os_spin_unlock(vm->apic_lock);
			return 1; /* not a port of the kernel's devices */
		}
		out |= (u32)b << (8 * i);
	}
	os_spin_unlock(vm->apic_lock);
	if (in)
		*val = out;
	return 0;
}
