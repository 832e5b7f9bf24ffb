/* SPDX-License-Identifier: GPL-2.0 */
/* VM-exit handling: one handler per basic exit reason (SDM Appendix C). */
#ifndef HAXM_CORE_VMX_EXITS_H
#define HAXM_CORE_VMX_EXITS_H

#include "../vm.h"

/* What a handler asks of the run loop; negative values are errors. */
enum exit_action {
	EXIT_RESUME = 0,      /* enter the guest again */
	EXIT_TO_USER = 1,     /* the tunnel holds an exit for user space */
	EXIT_FAULT_IN = 2,    /* map v->fault_gpa (may sleep), then resume */
	EXIT_LOAD_PDPTES = 3, /* vmx_cr_finish(): a CR write needing PAE PDPTEs */
	EXIT_EMULATE = 4,     /* emulate the instruction at CS:RIP (may sleep) */
	EXIT_HALT = 5,	      /* HLT, in-kernel LAPIC: sleep until an interrupt (may sleep) */
	EXIT_YIELD = 6,	      /* a PAUSE loop: give the CPU to another thread, then resume */
};

/*
 * vmx_handle_exit() - dispatch the exit in v->exit_reason. VMCS current,
 * preemption off, interrupts on.
 * Returns an exit_action or -EIO.
 */
int vmx_handle_exit(struct vcpu *v, struct hax_tunnel *t);

/*
 * vmx_run_once() - enter the guest once and handle the exit's fast path.
 * Preemption off. Returns an exit_action or -EIO (VMX instruction failed).
 */
int vmx_run_once(struct vcpu *v, struct hax_tunnel *t);

/* vmx_preempt_timer_value() - what VMX_PREEMPTION_TIMER_VALUE is set to. */
u32 vmx_preempt_timer_value(void);

/*
 * vmx_inject_event() - deliver the event @info (VM-entry interruption-information
 * format, SDM 24.8.3; @error if it has INTR_INFO_DELIVER_CODE) at the next
 * entry. An external interrupt queued there again after an exit during its
 * delivery goes back to the pending set.
 */
void vmx_inject_event(struct vcpu *v, u32 info, u32 error);

/* vmx_inject_exception() - deliver exception @vec at the next entry. */
void vmx_inject_exception(struct vcpu *v, u8 vec, bool has_error, u32 error);

/*
 * vmx_skip_instruction() - step RIP over the instruction that exited, which
 * haxm carried out; with RFLAGS.TF set, its single-step trap follows.
 */
void vmx_skip_instruction(struct vcpu *v);

/*
 * vmx_step_trap() - an instruction that exited retired in haxm (or its
 * emulator) with RFLAGS.TF=1 in @rflags, its value when it began: queue
 * the single-step #DB the CPU would have raised after it, with DR6.BS set
 * and B0-B3 clear, as KVM does (an instruction that exits never gets the
 * CPU's own trap). Not while VCPU_DEBUG steps the guest: that TF is the
 * debugger's.
 */
void vmx_step_trap(struct vcpu *v, u64 rflags);

/* vmx_handle_io() - the I/O instruction exit (vmx_io.c). */
int vmx_handle_io(struct vcpu *v, struct hax_tunnel *t);

/* vmx_statechange() - report an exit the guest cannot continue from. */
int vmx_statechange(struct vcpu *v, struct hax_tunnel *t);

#endif /* HAXM_CORE_VMX_EXITS_H */
