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
 * local APIC, and the VM an IO-APIC with HAX_LAPIC_ENABLE_IOAPIC, the PIC
 * pair with HAX_LAPIC_ENABLE_PIC, the PIT with HAX_LAPIC_ENABLE_PIT.
 * Errors: -EINVAL (an unknown flag, @reserved non-zero, PIC or PIT without
 * IOAPIC), -EEXIST (enabled
 * already), -EBUSY (the VM has vCPUs), -ENOMEM.
 */
int vm_lapic_enable(struct vm *vm, const struct hax_lapic_enable *a);
/* vm_lapic_free() - at VM destruction (its vCPUs are gone). */
void vm_lapic_free(struct vm *vm);

struct apic_msg;
/*
 * vm_apic_deliver() - route @m from LAPIC @src (-1: the IO-APIC, an MSI)
 * on the VM's APIC bus (apic_bus_deliver()) and kick each vCPU whose LAPIC
 * accepted it, but @src's. The VM's APIC lock is held. Returns how many
 * accepted it; never fails.
 */
int vm_apic_deliver(struct vm *vm, int src, const struct apic_msg *m);

/*
 * vm_signal_msi() - SIGNAL_MSI: the MSI write @a (struct hax_msi) to the
 * LAPICs it names: fixed, lowest priority (or fixed with RH: lowest
 * priority among the destinations), SMI, NMI, INIT, ExtINT, physical or
 * logical destination, edge or level (a level de-assert delivers nothing).
 * Returns how many LAPICs accepted it (0: none did).
 * Errors: -ENOTTY (the VM has no in-kernel LAPICs), -EINVAL (@flags not 0,
 * an address outside 0xFEExxxxx or with reserved bits, data with reserved
 * bits or delivery mode 3 or 6 (SIPI), RH with physical destination 0xFF).
 */
int vm_signal_msi(struct vm *vm, const struct hax_msi *a);

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
 * vcpu_lapic_get()/vcpu_lapic_set() - GET_LAPIC/SET_LAPIC; the
 * wait-for-SIPI state is HAX_LAPIC_WAIT_SIPI in @pending.
 * Errors (set): -EINVAL (reserved fields or unknown pending bits set, a
 * pending SIPI outside wait-for-SIPI, an
 * IA32_APIC_BASE the host may not restore, a register value the register
 * cannot hold, a vector below 16 in IRR/ISR/TMR).
 */
void vcpu_lapic_get(struct vcpu *v, struct hax_lapic_state *s);
int vcpu_lapic_set(struct vcpu *v, const struct hax_lapic_state *s);

/*
 * vcpu_lapic_mmio() - an access of @size bytes at guest-physical @gpa from
 * the instruction emulator: when @gpa is in the IO-APIC's window
 * (vcpu_ioapic_mmio()) or this vCPU's xAPIC page, read or write the
 * register and return 0; else 1 (not the irqchip's). A size or
 * offset the page refuses reads 0 and writes nothing (SDM 11.4.1).
 */
int vcpu_lapic_mmio(struct vcpu *v, u64 gpa, void *buf, u32 size, bool write);
/*
 * vcpu_lapic_apic_write() - an APIC-write VM exit at page offset @off
 * (vmx/apicv.c): the value the CPU wrote into the virtual-APIC page goes
 * to the LAPIC as a 4-byte xAPIC write, with its side effects; a write
 * inside a register is ignored. The page is written again before the next
 * entry. No errors.
 */
void vcpu_lapic_apic_write(struct vcpu *v, u32 off);
/*
 * vcpu_lapic_eoi_induced() - an EOI-induced VM exit for @vector (vmx/apicv.c,
 * SDM 29.1.4): the CPU's EOI virtualization took it out of ISR; a
 * level-triggered one's EOI goes to the IO-APIC. No errors.
 */
void vcpu_lapic_eoi_induced(struct vcpu *v, u8 vector);
/*
 * vcpu_lapic_page() - whether guest-physical @gpa is in this vCPU's
 * in-kernel xAPIC page now: a hint read without the APIC lock (only the
 * vCPU's own thread moves its page), vcpu_lapic_mmio() decides. No errors.
 */
bool vcpu_lapic_page(struct vcpu *v, u64 gpa);
/*
 * vcpu_lapic_msr() - RDMSR/WRMSR (or GET/SET_MSRS, @host) of
 * IA32_APIC_BASE or an x2APIC MSR. Returns 0, -ENOENT (not the LAPIC's MSR,
 * or no LAPIC), -EINVAL (#GP).
 */
int vcpu_lapic_msr(struct vcpu *v, u32 msr, u64 *val, bool write, bool host);

/*
 * The timer on the host (core/vapic_timer.c). A vCPU's LAPIC timer is timed
 * by its hrtimer (v->waker) outside its run loop and while it sleeps there,
 * and, while vapic_preempt_timer holds, by the VMX-preemption timer in the
 * run loop (v->timer_preempt; v->timer_tsc for the entry). The VM's APIC
 * lock is held for all but vapic_hrtimer() and the vcpu_lapic_*() calls.
 */

/* vapic_preempt_timer - the fast path is taken (module parameter). */
extern bool vapic_preempt_timer;
/*
 * vapic_timer_advance_ns - how long before a TSC deadline its host timer
 * goes off, the entry waiting out the rest (module parameter, at most
 * VAPIC_ADVANCE_MAX_NS); -1: adaptive, each vCPU's own, from
 * VAPIC_ADVANCE_INIT_NS tuned by each such interrupt's lateness.
 */
extern int vapic_timer_advance_ns;
#define VAPIC_ADVANCE_MAX_NS  100000
#define VAPIC_ADVANCE_INIT_NS 1000

/*
 * vcpu_lapic_tsc_changed() - @v's TSC offset changed: a TSC-deadline timer
 * in progress is due at another host time. Nothing without a LAPIC.
 */
void vcpu_lapic_tsc_changed(struct vcpu *v);
/*
 * vcpu_lapic_run() - RUN enters (@in) or leaves its run loop: the timer
 * goes to the fast path (when vapic_preempt_timer and the host's TSC rate
 * is known) or back to the hrtimer. Nothing without a LAPIC. No errors.
 */
void vcpu_lapic_run(struct vcpu *v, bool in);
/* vapic_hrtimer() - the LAPIC timer's hrtimer callback: count, kick. */
void vapic_hrtimer(void *arg);
/*
 * vapic_timer_arm() - the timer changed: re-arm the hrtimer for it, or on
 * the fast path nothing (the next poll looks). No errors.
 */
void vapic_timer_arm(struct vcpu *v);
/*
 * vapic_timer_poll() - from vcpu_lapic_poll(): fire the timer when it
 * expired, a TSC deadline when within the timer advance (on the hrtimer's
 * path re-arming it; @kicked: a kick came since the last poll) and set
 * v->timer_tsc, the host TSC of the next expiry on the fast path, a TSC
 * deadline's the advance before it (0: none, or the hrtimer's path). No
 * errors.
 */
void vapic_timer_poll(struct vcpu *v, bool kicked);
/*
 * vapic_timer_wait() - at the entry, interrupts off, when v->timer_wait_tsc:
 * wait for that host TSC, a deadline the poll fired early (at most the
 * advance), and tune the adaptive advance by how late the entry came to
 * it. No errors.
 */
void vapic_timer_wait(struct vcpu *v);
/*
 * vapic_timer_path() - put the timer on the fast path (@preempt; the
 * hrtimer cancelled, a timer it saw expire fired first) or on the hrtimer
 * (armed for the next expiry). No errors.
 */
void vapic_timer_path(struct vcpu *v, bool preempt);

/*
 * The LAPIC's registers in the vCPU's virtual-APIC page while the xAPIC
 * page is virtualized (core/vmx/apicv.c). The VM's APIC lock is held.
 */

/* vapic_reg_get()/vapic_reg_put() - the 32-bit register at @off of an xAPIC page copy. */
static inline u32 vapic_reg_get(const u8 *regs, u32 off)
{
	u32 val;

	__builtin_memcpy(&val, regs + off, 4);
	return val;
}

static inline void vapic_reg_put(u8 *regs, u32 off, u32 val)
{
	__builtin_memcpy(regs + off, &val, 4);
}

/*
 * vapic_regs_put() - what xAPIC reads of @l return, at the registers'
 * offsets in @regs (an xAPIC page's first KiB, SDM 11.4.1): all but APR,
 * PPR and the current count, which are computed at the read. The registers
 * a virtual-APIC page supplies to reads (SDM 29.4.2), most of GET_LAPIC's.
 */
void vapic_regs_put(const struct lapic *l, u8 *regs);
/*
 * vapic_pull() - after the guest ran: what it and the CPU changed in the
 * page without an exit (xAPIC: ICR high; with virtual-interrupt delivery
 * IRR, ISR and, xAPIC, ICR low too) into the LAPIC.
 */
void vapic_pull(struct vcpu *v);
/*
 * vapic_mirror() - the page's registers from the LAPIC (after vapic_pull()):
 * all of them when v->apicv_stale (in x2APIC mode as RDMSR reads them),
 * else those a kick or a timer changes (IRR, TMR, LINT0/LINT1).
 */
void vapic_mirror(struct vcpu *v);
/* vapic_page_ack() - @vector went from IRR to ISR: its words in the page too. */
void vapic_page_ack(struct vcpu *v, u8 vector);
/* vapic_page_reset() - the LAPIC was loaded or reset: the page is older than it. */
void vapic_page_reset(struct vcpu *v);
/* vapic_effects() - carry out a register access' side effects (struct lapic_effects). */
struct lapic_effects;
void vapic_effects(struct vcpu *v, struct lapic_effects *eff);

/*
 * vcpu_lapic_poll() - before an entry (any context but interrupt): clear the
 * kick, fire an expired timer (on vCPU 0 also the PIT's counter 0 edge,
 * vm_pit_poll()), note in v->lapic_tpr_held the class of a vector the TPR
 * holds back (lapic_tpr_held_class(), the TPR threshold's) and in
 * v->lapic_nmi whether an NMI is pending, and return
 * VAPIC_EXTINT (vpic.h) when the PIC's INT reaches this vCPU, else the
 * vector the LAPIC would deliver now, or -1.
 */
int vcpu_lapic_poll(struct vcpu *v);
/*
 * vcpu_lapic_nmi_take() - an NMI is about to be injected: clear the LAPIC's
 * pending NMI; returns whether there was one. vcpu_lapic_nmi_again() - an
 * NMI queued for injection was not delivered: pending again. Never fail.
 */
bool vcpu_lapic_nmi_take(struct vcpu *v);
void vcpu_lapic_nmi_again(struct vcpu *v);
/* vcpu_lapic_ack() - @vector was injected: IRR -> ISR. */
void vcpu_lapic_ack(struct vcpu *v, u8 vector);
/*
 * vcpu_lapic_halt() - HLT with nothing deliverable: sleep until a kick
 * (an interrupt accepted, the timer), a user-space kick
 * (user_event_pending) or a signal. Preemptible. Returns 0 either way.
 */
int vcpu_lapic_halt(struct vcpu *v, struct hax_tunnel *t);
/*
 * vcpu_lapic_startup() - before an entry (may sleep): carry out an INIT the
 * LAPIC accepted (vcpu_init_signal()), start a vCPU in wait-for-SIPI whose
 * start-up IPI arrived (vcpu_startup()), or keep one without it out of the
 * guest: sleep until a kick, a user-space kick or a signal. Returns 0 (enter
 * the guest), 1 (it slept: check for signals, then call again) or the error
 * of vcpu_init_signal()/vcpu_startup().
 */
int vcpu_lapic_startup(struct vcpu *v, struct hax_tunnel *t);
/*
 * vcpu_lapic_cr8() / vcpu_lapic_set_cr8() - MOV from/to CR8 on a vCPU with
 * an in-kernel LAPIC: TPR[7:4] (SDM Vol. 3A 10.8.6.1; a write clears
 * TPR[3:0]). Never fail; @cr8 is 0..15.
 */
u8 vcpu_lapic_cr8(struct vcpu *v);
void vcpu_lapic_set_cr8(struct vcpu *v, u8 cr8);
/*
 * vcpu_lapic_tpr() / vcpu_lapic_set_tpr() - the in-kernel LAPIC's TPR, for
 * the TPR shadow (vmx/tpr.c): read without the lock; written under it,
 * unless an INIT the LAPIC accepted since reset it (the write predates the
 * INIT). Never fail.
 */
u8 vcpu_lapic_tpr(struct vcpu *v);
void vcpu_lapic_set_tpr(struct vcpu *v, u8 tpr);
/* vcpu_lapic_kick() - see above; any context. */
void vcpu_lapic_kick(struct vcpu *v);

#endif /* HAXM_CORE_VAPIC_H */
