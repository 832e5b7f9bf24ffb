/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The in-kernel 8259A pair of a VM (HAX_LAPIC_ENABLE_PIC, issue 18): the
 * model of core/irqchip/pic.c under the VM's APIC lock (vapic.h), its INT
 * wired to vCPU 0's LINT0 as an ExtINT, and the port I/O of the ISA
 * devices in the kernel (the PIC's ports here, the PIT's in vpit.c).
 */
#ifndef HAXM_CORE_VPIC_H
#define HAXM_CORE_VPIC_H

#include "vm.h"

/* vcpu_lapic_poll()'s answer for "the PIC's ExtINT": not a vector. */
#define VAPIC_EXTINT 256

/*
 * vm_pic_alloc() - a PIC pair in its creation state (i8259_init()), not yet
 * the VM's; NULL when out of memory. vm_pic_free() frees the VM's (NULL is
 * fine).
 */
struct i8259 *vm_pic_alloc(void);
void vm_pic_free(struct vm *vm);

/*
 * vm_pic_set_irq() - input @irq (0-15 but 2) of the VM's PIC is now
 * @level, and vCPU 0 is kicked when the master's INT is up. Nothing
 * without a PIC or for @irq 2 or above 15. The APIC lock is held.
 */
void vm_pic_set_irq(struct vm *vm, u32 irq, bool level);

/*
 * vcpu_pic_pending() - does the PIC's INT reach @v now? Only vCPU 0's
 * LINT0 is wired: its LAPIC globally or software disabled, or LINT0
 * unmasked in ExtINT mode. The APIC lock is held.
 */
bool vcpu_pic_pending(struct vcpu *v);
/*
 * vcpu_pic_intack() - the INTA cycle of @v's ExtINT: the vector the PIC
 * gives (i8259_intack()). Takes the APIC lock.
 */
u8 vcpu_pic_intack(struct vcpu *v);

/*
 * vm_pic_get()/vm_pic_set() - GET_PIC/SET_PIC. SET loads the whole state,
 * then kicks vCPU 0 if the master's INT is up.
 * Errors: -ENOTTY (no in-kernel PIC); set: -EINVAL (a field outside what
 * docs/api.md allows: a reserved word set, a flag above 1, init_state
 * above 3, priority_add above 7, irq_base bits 2:0 set, an ELCR bit the
 * chip has not, a level input's IRR bit unlike its line, the master's line
 * 2 set or its IRR bit 2 unlike the slave's INT); nothing changed.
 */
int vm_pic_get(struct vm *vm, struct hax_pic_state *s);
int vm_pic_set(struct vm *vm, const struct hax_pic_state *s);

/*
 * vcpu_isa_pio() - an IN (@in) or OUT of @size bytes at @port by @v: when
 * the VM handles the port in the kernel (the PIC's 0x20/0x21, 0xa0/0xa1,
 * 0x4d0/0x4d1; the PIT's 0x40-0x43, 0x61), carry it out byte by byte at
 * consecutive ports (bytes at ports nobody handles read 0xff) and return
 * 0, the bytes read in @val; else 1 (user space's). Takes the APIC lock.
 */
int vcpu_isa_pio(struct vcpu *v, u16 port, u32 size, bool in, u32 *val);

#endif /* HAXM_CORE_VPIC_H */
