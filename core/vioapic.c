// SPDX-License-Identifier: GPL-2.0
/*
 * The in-kernel IO-APIC (HAX_CAP_IOAPIC): core/irqchip/ioapic.c on the VM's
 * APIC bus. See vioapic.h and docs/design.md, "In-kernel interrupt
 * controllers (issue 18)".
 */
#include "vioapic.h"
#include "vapic.h"
#include "vpic.h"
#include "irqchip/apic_bus.h"
#include "irqchip/ioapic.h"

/* What a SET may hold in an entry: all but delivery status (bit 12) and 55:17. */
#define RE_VALID (0xff00000000000000ull | 0x1efffull)

/* The IO-APIC's message: route it, kick whom it reached. APIC lock held. */
static int vioapic_deliver(void *ctx, const struct apic_msg *m)
{
	return vm_apic_deliver(ctx, -1, m);
}

struct ioapic *vm_ioapic_alloc(struct vm *vm)
{
	struct ioapic *io = os_zalloc(sizeof(*io));

	if (io)
		ioapic_init(io, 0, vioapic_deliver, vm);
	return io;
}

void vm_ioapic_free(struct vm *vm)
{
	os_free(vm->ioapic);
	vm->ioapic = NULL;
}

/* The VM's IO-APIC, or NULL: set once by LAPIC_ENABLE, before any vCPU. */
static struct ioapic *vm_ioapic(struct vm *vm)
{
	return __atomic_load_n(&vm->ioapic, __ATOMIC_ACQUIRE);
}

int vm_irq_line(struct vm *vm, const struct hax_irq_line *a)
{
	struct ioapic *io = vm_ioapic(vm);

	if (!io)
		return -ENOTTY;
	if (a->irq >= IOAPIC_PINS || a->level > 1)
		return -EINVAL;
	os_spin_lock(vm->apic_lock);
	ioapic_set_irq(io, a->irq, a->level);
	/* the ISA IRQs reach the PIC too (its IR2 is the cascade, not a line) */
	if (a->irq < 16)
		vm_pic_set_irq(vm, a->irq, a->level);
	os_spin_unlock(vm->apic_lock);
	return 0;
}

int vm_ioapic_get(struct vm *vm, struct hax_ioapic_state *s)
{
	struct ioapic *io = vm_ioapic(vm);
	u32 i;

	if (!io)
		return -ENOTTY;
	__builtin_memset(s, 0, sizeof(*s));
	s->base = IOAPIC_ADDR_DEFAULT;
	os_spin_lock(vm->apic_lock);
	s->id = io->id;
	s->arb = io->arb;
	s->ioregsel = io->ioregsel;
	s->lines = io->lines;
	for (i = 0; i < IOAPIC_PINS; i++)
		s->redir[i] = io->redir[i];
	os_spin_unlock(vm->apic_lock);
	return 0;
}

static int vioapic_check(const struct hax_ioapic_state *s)
{
	u32 i;

	if (s->base != IOAPIC_ADDR_DEFAULT || s->id > 0xf || s->arb > 0xf || s->ioregsel > 0xff ||
	    (s->lines >> IOAPIC_PINS))
		return -EINVAL;
	for (i = 0; i < sizeof(s->reserved) / sizeof(s->reserved[0]); i++)
		if (s->reserved[i])
			return -EINVAL;
	for (i = 0; i < IOAPIC_PINS; i++) {
		u64 e = s->redir[i];

		/* remote IRR is undefined for edge entries: the model keeps it clear */
		if ((e & ~RE_VALID) || ((e & IOAPIC_RE_REMOTE_IRR) && !(e & IOAPIC_RE_LEVEL)))
			return -EINVAL;
	}
	return 0;
}

int vm_ioapic_set(struct vm *vm, const struct hax_ioapic_state *s)
{
	struct ioapic *io = vm_ioapic(vm);
	u32 i;
	int r;

	if (!io)
		return -ENOTTY;
	r = vioapic_check(s);
	if (r)
		return r;
	os_spin_lock(vm->apic_lock);
	io->id = s->id;
	io->arb = s->arb;
	io->ioregsel = s->ioregsel;
	io->lines = s->lines;
	for (i = 0; i < IOAPIC_PINS; i++)
		io->redir[i] = s->redir[i];
	ioapic_resample(io);
	os_spin_unlock(vm->apic_lock);
	return 0;
}

int vcpu_ioapic_mmio(struct vcpu *v, u64 gpa, void *buf, u32 size, bool write)
{
	struct ioapic *io = vm_ioapic(v->vm);
	u32 val = 0, n = size < 4 ? size : 4, off;

	if (!io || gpa < IOAPIC_ADDR_DEFAULT || gpa >= IOAPIC_ADDR_DEFAULT + IOAPIC_MMIO_SIZE)
		return 1;
	off = gpa - IOAPIC_ADDR_DEFAULT;
	os_spin_lock(v->vm->apic_lock);
	if (write) {
		__builtin_memcpy(&val, buf, n);
		/* an access past the window's end is refused: nothing written */
		if (size <= 4)
			ioapic_mmio_write(io, off, size, val);
	} else {
		if (size > 4 || ioapic_mmio_read(io, off, size, &val))
			val = 0;
		__builtin_memset(buf, 0, size);
		__builtin_memcpy(buf, &val, n);
	}
	os_spin_unlock(v->vm->apic_lock);
	return 0;
}

void vm_ioapic_eoi(struct vm *vm, u8 vector)
{
	if (vm->ioapic)
		ioapic_eoi(vm->ioapic, vector);
}
