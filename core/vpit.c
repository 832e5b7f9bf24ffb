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

/*
 * Counter 0's edges reach the guest at most every VPIT_MIN_PERIOD_NS (200
 * us, as KVM's min_timer_period_us): a guest programming a count of 1 in
 * mode 2 asks for an edge every 838 ns, which would re-arm vCPU 0's host
 * timer and kick it as often. The model keeps its own time (reads of the
 * count are exact); the edges due in between are coalesced into the next
 * (i8254_irq_fire()), as missed ones are.
 */
#define VPIT_MIN_PERIOD_NS 200000

/* When counter 0's next edge is taken: its expiry, not before the minimum period. */
static u64 next_edge(struct vm *vm)
{
	u64 t = i8254_irq_expiry(vm->pit), min = vm->pit_fired + VPIT_MIN_PERIOD_NS;

	return t && t < min ? min : t;
}

void vm_pit_rearm(struct vm *vm)
{
	struct vcpu *v0 = vm->apic_vcpus[0];

	if (vm->pit && v0 && v0->pit_waker)
		os_waker_arm(v0->pit_waker, next_edge(vm));
}

void vm_pit_poll(struct vm *vm)
{
	u64 now, t;

	if (!vm->pit)
		return;
	now = os_now_ns();
	t = next_edge(vm);
	if (!t || now < t || !i8254_irq_fire(vm->pit, now))
		return;
	vm->pit_fired = now;
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
	/*
	 * An edge that came due while vCPU 0 was out of the guest (stopped to
	 * be saved) goes to the PIC and the IO-APIC now: the state counts past
	 * it, so a SET of it would never raise it again (a one-shot count lost
	 * and a tickless guest's clock stopped). GET_PIC, GET_IOAPIC and
	 * GET_LAPIC after this one hold it.
	 */
	vm_pit_poll(vm);
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
