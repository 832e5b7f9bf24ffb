/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Event injection and CPU-mode exits: external interrupts queued by the
 * INTERRUPT ioctl, interrupt windows, HLT, MOV to CR0/CR4 and the PAE
 * PDPTEs they load.
 */
#ifndef HAXM_CORE_VMX_INTR_H
#define HAXM_CORE_VMX_INTR_H

#include "../vm.h"
#include "exits.h"

/*
 * vmx_intr_prepare() - before an entry (VMCS current, preemption off): inject
 * the highest pending interrupt when the guest can take it, arm or disarm
 * interrupt-window exiting, wake a HLTing guest that gets an event.
 * Returns EXIT_RESUME (enter the guest) or EXIT_TO_USER (the guest is halted
 * with nothing to deliver: the tunnel holds a HLT or INTERRUPT exit).
 */
int vmx_intr_prepare(struct vcpu *v, struct hax_tunnel *t);

/*
 * vmx_intr_update_ready() - set the tunnel's ready_for_interrupt_injection
 * from the guest state (VMCS current): no interrupt pending, none queued for
 * the next entry, RFLAGS.IF=1 and no STI/MOV-SS blocking.
 */
void vmx_intr_update_ready(struct vcpu *v, struct hax_tunnel *t);

/* Exit handlers (SDM App. C reasons 7, 8, 12, 28). Return an exit_action. */
int vmx_handle_intr_window(struct vcpu *v, struct hax_tunnel *t);
int vmx_handle_nmi_window(struct vcpu *v, struct hax_tunnel *t);
int vmx_handle_hlt(struct vcpu *v, struct hax_tunnel *t);
int vmx_handle_cr(struct vcpu *v, struct hax_tunnel *t);

/*
 * vmx_cr_finish() - complete a MOV to CR0/CR4 that enables or changes PAE
 * paging (vmx_handle_cr() returned EXIT_LOAD_PDPTES): read the four PDPTEs
 * from guest memory and commit the write, or inject #GP when they are
 * unreadable or have reserved bits set (SDM 4.4.1). Preemptible; loads the
 * VMCS itself. Returns EXIT_RESUME, or -EIO (VMX instruction failed).
 */
int vmx_cr_finish(struct vcpu *v);

/*
 * vmx_cr8_read_done() - complete a MOV from CR8 that asked user space for
 * the APIC's TPR (v->emu.pending VCPU_EMU_WAIT_CR8): @val is what it
 * answered; TPR[7:4] goes to the destination GPR and the instruction
 * retires. Preemptible; loads the VMCS itself. Returns EXIT_RESUME, or -EIO
 * (a VMX instruction failed).
 */
int vmx_cr8_read_done(struct vcpu *v, u64 val);

/*
 * vmx_cr8_access() - a MOV to (@to) or from CR8 with general-purpose
 * register @gpr that exited (the TPR shadow off; VMCS current). Returns an
 * exit_action: EXIT_TO_USER for the TPR's FAST_MMIO write or read.
 */
int vmx_cr8_access(struct vcpu *v, struct hax_tunnel *t, bool to, int gpr);

/*
 * vmx_tpr_setup() - at vCPU creation (VMCS current): the virtual-APIC page
 * address and a zero TPR threshold, when the CPU has the TPR shadow; for a
 * vCPU with an in-kernel LAPIC the shadow on for good, VTPR its TPR.
 */
void vmx_tpr_setup(struct vcpu *v);

/*
 * vmx_tpr_prepare() - before an entry (VMCS current): turn the TPR shadow
 * on (VTPR loaded with haxm's TPR) while haxm knows the TPR of the VMM's
 * xAPIC, off otherwise; when VTPR's class fell below the one the VMM saw,
 * sync it first. With an in-kernel LAPIC: load its TPR into VTPR when it
 * changed. Returns EXIT_RESUME or EXIT_TO_USER (the sync's write).
 */
int __vmx_tpr_prepare(struct vcpu *v, struct hax_tunnel *t);
static inline int vmx_tpr_prepare(struct vcpu *v, struct hax_tunnel *t)
{
	/* neither on nor to be turned on (it needs the TPR known): nothing */
	if (!v->tpr_shadow && !v->tpr_known)
		return EXIT_RESUME;
	return __vmx_tpr_prepare(v, t);
}

/*
 * vmx_tpr_threshold() - before an entry, after the injection decision: set
 * TPR_THRESHOLD to the class the VMM's APIC saw or that of the held-back
 * vector @held (-1: none), whichever is higher (with an in-kernel LAPIC:
 * v->lapic_tpr_held, from the poll), at most VTPR's class.
 */
void __vmx_tpr_threshold(struct vcpu *v, int held);
static inline void vmx_tpr_threshold(struct vcpu *v, int held)
{
	if (v->tpr_shadow)
		__vmx_tpr_threshold(v, held);
}

/*
 * vmx_tpr_after_exit() - after an exit: haxm's TPR copy from VTPR; with an
 * in-kernel LAPIC, its TPR when the guest changed VTPR.
 */
void __vmx_tpr_after_exit(struct vcpu *v);
static inline void vmx_tpr_after_exit(struct vcpu *v)
{
	if (v->tpr_shadow)
		__vmx_tpr_after_exit(v);
}

/*
 * vmx_tpr_holds() - the TPR shadow is on and VTPR masks INTERRUPT vector
 * @vec: its priority class is not above a nonzero TPR class (SDM 10.8.3.1).
 */
bool __vmx_tpr_holds(struct vcpu *v, int vec);
static inline bool vmx_tpr_holds(struct vcpu *v, int vec)
{
	return v->tpr_shadow && __vmx_tpr_holds(v, vec);
}

/* vmx_handle_tpr_below() - exit reason 43 (SDM 28.2.1): EXIT_RESUME. */
int vmx_handle_tpr_below(struct vcpu *v, struct hax_tunnel *t);

/*
 * vmx_tpr_mmio_write() - the instruction emulator wrote @size bytes at
 * guest-physical @gpa to user space: if they touch the TPR of the APIC at
 * IA32_APIC_BASE, haxm no longer knows its value (SDM 10.8.6.1).
 */
void vmx_tpr_mmio_write(struct vcpu *v, u64 gpa, u32 size);

/*
 * vmx_run_pdptes() - at RUN, before the first entry after SET_REGS or a host
 * EFER write (v->pdptes_pending): when the vCPU uses PAE paging outside long
 * mode, read the four PDPTEs its CR3 points to (may sleep) into the VMCS.
 * Deferred to here because a VMM may set EFER with SET_MSRS after SET_REGS
 * (QEMU does, sending _efer 0 in SET_REGS as HAXM ignored it): a long-mode
 * state passes through SET_REGS looking like PAE paging. Loads the VMCS
 * itself; clears v->pdptes_pending on success.
 * Errors: -EINVAL (the PDPTEs are not in guest RAM or have reserved bits set:
 * VM entry would fail, SDM 26.3.1.6; the vCPU does not run), -EIO (a VMX
 * instruction failed).
 */
int vmx_run_pdptes(struct vcpu *v);

/*
 * vmx_write_cr4() - the guest's CR4 @cr4 into the read shadow and GUEST_CR4
 * (the bits VMX fixes), and with emulated UMIP (vmx_caps.umip_emulated)
 * descriptor-table exiting on while @cr4 has UMIP (VMCS current).
 */
void vmx_write_cr4(u64 cr4);

/* vmx_write_pdptes() - load the VMCS guest PDPTE fields (VMCS current). */
void vmx_write_pdptes(const u64 pdpte[4]);

#endif /* HAXM_CORE_VMX_INTR_H */
