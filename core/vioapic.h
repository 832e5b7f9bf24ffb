/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The in-kernel IO-APIC of a VM (HAX_CAP_IOAPIC, issue 18): the model of
 * core/irqchip/ioapic.c wired to the VM's local APICs. It lives under the
 * VM's APIC lock with the LAPICs (vapic.h): its messages are routed on the
 * APIC bus and kick the vCPUs whose LAPIC accepted them; a LAPIC's EOI of a
 * level-triggered vector reaches it under the same lock.
 */
#ifndef HAXM_CORE_VIOAPIC_H
#define HAXM_CORE_VIOAPIC_H

#include "vm.h"

/*
 * vm_ioapic_alloc() - an IO-APIC for @vm in its reset state (ID 0, every
 * entry masked, every line low), not yet the VM's; NULL when out of memory.
 * vm_ioapic_free() frees the VM's (at VM destruction; NULL is fine).
 */
struct ioapic *vm_ioapic_alloc(struct vm *vm);
void vm_ioapic_free(struct vm *vm);

/*
 * vm_irq_line() - IRQ_LINE: input pin @a->irq is now at @a->level (edge
 * entries send on a rising edge, level entries while high and their remote
 * IRR is clear); @irq 0-15 but 2 sets the PIC's input too when the VM has
 * one (vpic.h). Errors: -ENOTTY (the VM has no in-kernel IO-APIC),
 * -EINVAL (@irq above 23, @level other than 0 or 1).
 */
int vm_irq_line(struct vm *vm, const struct hax_irq_line *a);

/*
 * vm_ioapic_get()/vm_ioapic_set() - GET_IOAPIC/SET_IOAPIC. SET loads the
 * whole state, then an unmasked level entry whose line is high and remote
 * IRR clear sends its interrupt (ioapic_resample()).
 * Errors: -ENOTTY (no in-kernel IO-APIC); set: -EINVAL (@base not
 * 0xfec00000, an ID or arbitration ID above 15, IOREGSEL above 255, a line
 * above pin 23, a reserved word set, a redirection entry with reserved bits
 * or delivery status set, or remote IRR on an edge entry); nothing changed.
 */
int vm_ioapic_get(struct vm *vm, struct hax_ioapic_state *s);
int vm_ioapic_set(struct vm *vm, const struct hax_ioapic_state *s);

/*
 * vcpu_ioapic_mmio() - an access of @size bytes at guest-physical @gpa: in
 * the IO-APIC's window (0xfec00000, 256 bytes) of a VM that has one, carry
 * it out and return 0 (IOREGSEL and IOWIN take 32-bit accesses; others read
 * 0 and write nothing); else 1.
 */
int vcpu_ioapic_mmio(struct vcpu *v, u64 gpa, void *buf, u32 size, bool write);

/* vm_ioapic_eoi() - the EOI broadcast of level-triggered @vector; APIC lock held. */
void vm_ioapic_eoi(struct vm *vm, u8 vector);

#endif /* HAXM_CORE_VIOAPIC_H */
