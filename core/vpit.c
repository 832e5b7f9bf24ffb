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

	if (!p)
		return -ENOTTY;
	os_spin_lock(vm->apic_lock);
	i8254_get_state(p, os_now_ns(), s);
	os_spin_unlock(vm->apic_lock);
	return 0;
}

int vm_pit_set(struct vm *vm, const struct hax_pit_state *s)
{
	struct i8254 *p = vm_pit(vm);

	if (!p)
		return -ENOTTY;
	if (i8254_check_state(s, NULL))
		return -EINVAL;
	os_spin_lock(vm->apic_lock);
	i8254_set_state(p, s, os_now_ns(), NULL);
	vm_pit_rearm(vm);
	os_spin_unlock(vm->apic_lock);
	return 0;
}
