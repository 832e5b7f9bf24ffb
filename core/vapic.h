/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The in-kernel local APICs of a VM (HAX_CAP_LAPIC, issue 18): the models of
 * core/irqchip/ wired to the vCPUs. One spinlock per VM guards every LAPIC
 * of it and the APIC bus; a vCPU takes it for its own register accesses and
 * at each entry, a sender for the delivery of an IPI. What must wake or
 * interrupt a vCPU (an accepted IPI, its timer) is a kick: a flag the vCPU
 * reads before each entry, a wake-up of its halt sleep, and an interrupt to
 * its host CPU while it runs the guest.
 */
#ifndef HAXM_CORE_VAPIC_H
#define HAXM_CORE_VAPIC_H

#include "vm.h"

/*
 * vm_lapic_enable() - LAPIC_ENABLE: give each vCPU created from now on a
 * local APIC. Errors: -EINVAL (@flags or @reserved non-zero), -EEXIST
 * (enabled already), -EBUSY (the VM has vCPUs), -ENOMEM.
 */
int vm_lapic_enable(struct vm *vm, const struct hax_lapic_enable *a);
/* vm_lapic_free() - at VM destruction (its vCPUs are gone). */
void vm_lapic_free(struct vm *vm);

/*
 * vcpu_lapic_create() - a new vCPU's LAPIC, in the power-up state, its ID
 * the vCPU id, BSP for vCPU 0; nothing when the VM has none.
 * Errors: -ENOMEM.
 */
int vcpu_lapic_create(struct vcpu *v);
/* vcpu_lapic_attach() - put it on the VM's APIC bus (vCPU now in vm->vcpus). */
void vcpu_lapic_attach(struct vcpu *v);
/* vcpu_lapic_destroy() - off the bus, timer stopped, freed. */
void vcpu_lapic_destroy(struct vcpu *v);

/*
 * vcpu_lapic_get()/vcpu_lapic_set() - GET_LAPIC/SET_LAPIC.
 * Errors (set): -EINVAL (reserved fields or unknown pending bits set, an
 * IA32_APIC_BASE the host may not restore, a register value the register
 * cannot hold, a vector below 16 in IRR/ISR/TMR).
 */
void vcpu_lapic_get(struct vcpu *v, struct hax_lapic_state *s);
int vcpu_lapic_set(struct vcpu *v, const struct hax_lapic_state *s);

/* vcpu_lapic_kick() - see above; any context. */
void vcpu_lapic_kick(struct vcpu *v);

#endif /* HAXM_CORE_VAPIC_H */
