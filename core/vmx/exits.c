// SPDX-License-Identifier: GPL-2.0
/* VM-exit handlers, in a table indexed by basic exit reason (SDM App. C). */
#include "exits.h"
#include "../vapic.h"
#include "apicv.h"
#include "caps.h"
#include "intr.h"
#include "msr_vmx.h"
#include "guest_ext.h"
#include "vmcs.h"
#include "vmx.h"

typedef int (*exit_handler_t)(struct vcpu *v, struct hax_tunnel *t);

void vmx_inject_event(struct vcpu *v, u32 info, u32 error)
{
	u32 queued = vmcs_read32(VM_ENTRY_INTR_INFO);

	/*
	 * The exit came while an external interrupt was being delivered
	 * (vmx_requeue_event() queued it again): the exception it raised goes
	 * first (SDM 6.15, handled serially); the interrupt waits, pending.
	 */
	if ((queued & (INTR_INFO_VALID | INTR_INFO_TYPE_MASK)) ==
	    (INTR_INFO_VALID | INTR_TYPE_EXT_INTR))
		vcpu_interrupt(v, queued & INTR_INFO_VECTOR_MASK);
	/* the same for an NMI of the in-kernel LAPIC: pending again */
	if ((queued & (INTR_INFO_VALID | INTR_INFO_TYPE_MASK)) ==
		    (INTR_INFO_VALID | INTR_TYPE_NMI) &&
	    v->lapic)
		vcpu_lapic_nmi_again(v);
	if (info & INTR_INFO_DELIVER_CODE)
		vmcs_write32(VM_ENTRY_EXCEPTION_ERROR_CODE, error);
	vmcs_write32(VM_ENTRY_INTR_INFO, info);
	if (os_trace_on(OS_TRACE_INJECT))
		os_trace_inject(v->vm->id, v->id, info, error);
}

/*
 * Faults, as opposed to traps (#BP, #OF; #DB too, as KVM counts it: its
 * fault forms, general detect and instruction breakpoints, leave RF to the
 * handler), NMIs and aborts (#DF, #MC): the SDM's table of exceptions.
 */
static bool exception_is_fault(u8 vec)
{
	return vec != HAX_VEC_DB && vec != HAX_VEC_NMI && vec != HAX_VEC_BP && vec != HAX_VEC_OF &&
	       vec != HAX_VEC_DF && vec != HAX_VEC_MC;
}

void vmx_inject_exception(struct vcpu *v, u8 vec, bool has_error, u32 error)
{
	u32 info = vec | INTR_TYPE_HW_EXCEPTION | INTR_INFO_VALID;

	/*
	 * A fault pushes RFLAGS with RF set, so that the IRET back to the
	 * faulting instruction does not hit its instruction breakpoint again
	 * (SDM Vol. 3, "Debug Exceptions", RF). The CPU does so for the faults
	 * it delivers (and saves RF so at an exit during their delivery), but
	 * an injected event pushes the guest-state area's RFLAGS as it is
	 * ("Event Injection"): the VMM sets RF for a fault it raises, as KVM
	 * does.
	 */
	if (exception_is_fault(vec))
		vmcs_writel(GUEST_RFLAGS, vmcs_readl(GUEST_RFLAGS) | HAX_RFLAGS_RF);

	/* SDM 26.2.1.3: no error code is delivered in real mode. */
	if (has_error && (vmcs_readl(GUEST_CR0) & HAX_CR0_PE))
		info |= INTR_INFO_DELIVER_CODE;
	vmx_inject_event(v, info, has_error ? error : 0);
}

void vmx_step_trap(struct vcpu *v, u64 rflags)
{
	if (!(rflags & HAX_RFLAGS_TF) || (v->debug_control & HAX_DEBUG_STEP))
		return;
	v->dr6 = (v->dr6 & ~DR6_TRAP_BITS) | DR6_BS;
	vmx_inject_exception(v, HAX_VEC_DB, false, 0);
}

void vmx_skip_instruction(struct vcpu *v)
{
	u32 intr = vmcs_read32(GUEST_INTERRUPTIBILITY);

	vmcs_writel(GUEST_RIP, vmcs_readl(GUEST_RIP) + vmcs_read32(VM_EXIT_INSTRUCTION_LEN));
	/* The instruction retired: STI/MOV SS blocking ends (SDM 24.4.2). */
	if (intr & (GUEST_INTR_STI | GUEST_INTR_MOVSS))
		vmcs_write32(GUEST_INTERRUPTIBILITY, intr & ~(GUEST_INTR_STI | GUEST_INTR_MOVSS));
	vmx_step_trap(v, vmcs_readl(GUEST_RFLAGS));
}

int vmx_statechange(struct vcpu *v, struct hax_tunnel *t)
{
	os_log_ratelimited(HAX_LOG_WARN, "vm%u vcpu%u: guest stopped, exit reason %u qual 0x%llx\n",
			   v->vm->id, v->id, v->exit_reason & 0xffff,
			   (unsigned long long)v->exit_qual);
	v->panicked = true;
	t->_exit_status = HAX_EXIT_STATECHANGE;
	return EXIT_TO_USER;
}

/*
 * A host interrupt or the preemption timer: the host has had the CPU. QEMU's
 * HAX vCPU threads keep their kick signal (SIG_IPI) blocked and flag the kick
 * in their own memory, so the kick is only visible as a queued signal; any
 * queued signal, blocked or not, sends the vCPU back to user space, as HAXM
 * did on every host interrupt.
 */
static int handle_host_event(struct vcpu *v, struct hax_tunnel *t)
{
	if (!os_signal_queued())
		return EXIT_RESUME;
	/* The exit answers a kick flagged in the tunnel as well. */
	__atomic_store_n(&t->user_event_pending, 0, __ATOMIC_RELEASE);
	t->_exit_status = HAX_EXIT_INTERRUPT;
	return EXIT_TO_USER;
}

/*
 * WBINVD (exiting when the CPU offers it, SDM 25.1.3) and INVD (always
 * exiting): the guest has no device doing non-coherent DMA and all its
 * memory is write-back, so there is nothing to write back for it; flushing
 * the host's caches on the guest's behalf would only slow every other CPU,
 * and INVD's discarding them without writing back would lose the host's
 * data. Both are no-ops, as in KVM (which emulates INVD as WBINVD).
 */
static int handle_wbinvd(struct vcpu *v, struct hax_tunnel *t)
{
	vmx_skip_instruction(v);
	return EXIT_RESUME;
}

static int handle_ud(struct vcpu *v, struct hax_tunnel *t)
{
	vmx_inject_exception(v, HAX_VEC_UD, false, 0);
	return EXIT_RESUME;
}

static int handle_gp(struct vcpu *v, struct hax_tunnel *t)
{
	vmx_inject_exception(v, HAX_VEC_GP, true, 0);
	return EXIT_RESUME;
}

/*
 * PAUSE-loop exiting (caps.h): a spin-wait at CPL 0, probably for a vCPU
 * the host has not scheduled. The PAUSE is done (it only hints); the
 * thread yields, then the guest goes on spinning or finds its lock free.
 */
static int handle_pause(struct vcpu *v, struct hax_tunnel *t)
{
	vmx_skip_instruction(v);
	return EXIT_YIELD;
}

/*
 * SGDT SIDT LGDT LIDT (46) and SLDT STR LLDT LTR (47) exit only while haxm
 * emulates the guest's CR4.UMIP (vmx_write_cr4(), SDM 25.6.2): the
 * instruction emulator carries them out, raising the #GP(0) UMIP gives the
 * stores at CPL > 0. SMSW cannot be made to exit: it stays unchecked.
 */
static int handle_desc(struct vcpu *v, struct hax_tunnel *t)
{
	return EXIT_EMULATE;
}

static int handle_ept_violation(struct vcpu *v, struct hax_tunnel *t)
{
	v->fault_gpa = vmcs_read64(GUEST_PHYSICAL_ADDRESS);
	return EXIT_FAULT_IN;
}

static int handle_ept_misconfig(struct vcpu *v, struct hax_tunnel *t)
{
	os_log_ratelimited(HAX_LOG_ERROR, "EPT misconfiguration at gpa 0x%llx\n",
			   (unsigned long long)vmcs_read64(GUEST_PHYSICAL_ADDRESS));
	return -EIO;
}

static const exit_handler_t exit_handlers[EXIT_REASON_MAX] = {
	[EXIT_REASON_EXCEPTION_NMI] = vmx_handle_exception,
	[EXIT_REASON_EXTERNAL_INTERRUPT] = handle_host_event,
	[EXIT_REASON_PREEMPTION_TIMER] = handle_host_event,
	[EXIT_REASON_TRIPLE_FAULT] = vmx_statechange,
	[EXIT_REASON_INTERRUPT_WINDOW] = vmx_handle_intr_window,
	[EXIT_REASON_NMI_WINDOW] = vmx_handle_nmi_window,
	[EXIT_REASON_CPUID] = vmx_handle_cpuid,
	[EXIT_REASON_GETSEC] = handle_ud,
	[EXIT_REASON_HLT] = vmx_handle_hlt,
	[EXIT_REASON_INVD] = handle_wbinvd,
	[EXIT_REASON_RDPMC] = handle_gp,
	[EXIT_REASON_VMCALL] = handle_ud,
	[EXIT_REASON_VMCLEAR] = handle_ud,
	[EXIT_REASON_VMLAUNCH] = handle_ud,
	[EXIT_REASON_VMPTRLD] = handle_ud,
	[EXIT_REASON_VMPTRST] = handle_ud,
	[EXIT_REASON_VMREAD] = handle_ud,
	[EXIT_REASON_VMRESUME] = handle_ud,
	[EXIT_REASON_VMWRITE] = handle_ud,
	[EXIT_REASON_VMXOFF] = handle_ud,
	[EXIT_REASON_VMXON] = handle_ud,
	[EXIT_REASON_INVEPT] = handle_ud,
	[EXIT_REASON_INVVPID] = handle_ud,
	[EXIT_REASON_VMFUNC] = handle_ud,
	[EXIT_REASON_MWAIT] = handle_ud,
	[EXIT_REASON_MONITOR] = handle_ud,
	[EXIT_REASON_PAUSE] = handle_pause,
	[EXIT_REASON_WBINVD] = handle_wbinvd,
	[EXIT_REASON_XSETBV] = vmx_handle_xsetbv,
	[EXIT_REASON_GDTR_IDTR] = handle_desc,
	[EXIT_REASON_LDTR_TR] = handle_desc,
	[EXIT_REASON_CR_ACCESS] = vmx_handle_cr,
	[EXIT_REASON_TPR_BELOW_THRESHOLD] = vmx_handle_tpr_below,
	[EXIT_REASON_APIC_ACCESS] = vmx_handle_apic_access,
	[EXIT_REASON_EOI_INDUCED] = vmx_handle_eoi_induced,
	[EXIT_REASON_APIC_WRITE] = vmx_handle_apic_write,
	[EXIT_REASON_DR_ACCESS] = vmx_handle_dr,
	[EXIT_REASON_IO] = vmx_handle_io,
	[EXIT_REASON_RDMSR] = vmx_handle_rdmsr,
	[EXIT_REASON_WRMSR] = vmx_handle_wrmsr,
	[EXIT_REASON_EPT_VIOLATION] = handle_ept_violation,
	[EXIT_REASON_EPT_MISCONFIG] = handle_ept_misconfig,
};

int vmx_handle_exit(struct vcpu *v, struct hax_tunnel *t)
{
	u32 reason = v->exit_reason & 0xffff;

	/* A machine check during entry went to the host (vmx_exit_irqoff): retry. */
	if (reason == EXIT_REASON_MCE_DURING_ENTRY)
		return EXIT_RESUME;
	/* A failed entry (SDM 26.8) or anything unexpected stops the guest. */
	if ((v->exit_reason & EXIT_REASON_ENTRY_FAILURE) || reason >= EXIT_REASON_MAX ||
	    !exit_handlers[reason])
		return vmx_statechange(v, t);
	/*
	 * The commonest exits by direct call: an indirect one goes through a
	 * retpoline in a host kernel built with them (as KVM's vmx.c does).
	 */
	switch (reason) {
	case EXIT_REASON_EXTERNAL_INTERRUPT:
	case EXIT_REASON_PREEMPTION_TIMER:
		return handle_host_event(v, t);
	case EXIT_REASON_IO:
		return vmx_handle_io(v, t);
	case EXIT_REASON_EPT_VIOLATION:
		return handle_ept_violation(v, t);
	case EXIT_REASON_CPUID:
		return vmx_handle_cpuid(v, t);
	case EXIT_REASON_HLT:
		return vmx_handle_hlt(v, t);
	case EXIT_REASON_WRMSR:
		return vmx_handle_wrmsr(v, t);
	case EXIT_REASON_APIC_WRITE:
		return vmx_handle_apic_write(v, t);
	}
	return exit_handlers[reason](v, t);
}
