// SPDX-License-Identifier: GPL-2.0
/* One trip into the guest and back (SDM 26-28), interrupts off around it. */
#include "apicv.h"
#include "../vapic.h"
#include "../irqchip/lapic.h"
#include "caps.h"
#include "cpu.h"
#include "exits.h"
#include "msr_vmx.h"
#include "intr.h"
#include "guest_ext.h"
#include "vmcs.h"
#include "vmx.h"

/*
 * About 2^21 TSC cycles between forced exits: the host always gets back
 * (a watchdog: Bochs, the testbed's CPU, does not exit on a host interrupt
 * while the guest has RFLAGS.IF=0).
 */
#define PREEMPT_TSC_CYCLES (1u << 21)

u32 vmx_preempt_timer_value(void)
{
	return PREEMPT_TSC_CYCLES >> vmx_caps.preempt_rate;
}

/*
 * The VMX-preemption timer for this entry (SDM 25.5.1, 26.7.4): it counts
 * down by one each time bit X = IA32_VMX_MISC[4:0] of the TSC changes and
 * exits at 0 (at once when it is 0 at the entry). It is the watchdog, or
 * the in-kernel LAPIC timer's host TSC deadline (v->timer_tsc, set by the
 * poll) when that comes first: ceil(left / 2^X) + 1 counts, since the
 * first count may come a cycle after the entry, so the exit is not before
 * the deadline. The exit control "save VMX-preemption timer value" is not
 * used: every entry computes the value afresh from the TSC. An exit for
 * the watchdog fires nothing: the poll compares the time itself.
 */
static void vmx_preempt_timer_load(struct vcpu *v)
{
	u32 val = vmx_preempt_timer_value(), x = vmx_caps.preempt_rate;
	u64 ticks;
	s64 left;

	if (v->timer_tsc) {
		left = (s64)(v->timer_tsc - hax_rdtsc());
		ticks = left <= 0 ? 0 : (((u64)left + (1ull << x) - 1) >> x) + 1;
		if (ticks < val)
			val = (u32)ticks;
	}
	if (val != v->preempt_val) {
		vmcs_write32(VMX_PREEMPTION_TIMER_VALUE, val);
		v->preempt_val = val;
	}
}

/* After a migration: this CPU's host fields, and no stale translations. */
static void vmx_after_migration(struct vcpu *v)
{
	vmcs_load_host_cpu();
	msr_after_migration(v);
	vmx_flush_ept_here(v->vm->ept.eptp);
	if (vmx_caps.vpid)
		vmx_invvpid(INVVPID_SINGLE_CONTEXT, v->vpid);
	v->need_flush = false;
}

/*
 * An exit during event delivery (SDM 28.2.4) leaves the event in the
 * IDT-vectoring field; it is delivered again at the next entry. @injected:
 * the event the entry injected (VM_ENTRY_INTR_INFO), when it did; @svi:
 * SVI at the entry, with virtual-interrupt delivery.
 */
static void vmx_requeue_event(struct vcpu *v, u32 injected, u8 svi)
{
	u32 info = vmcs_read32(IDT_VECTORING_INFO);
	u8 now;

	if (!(info & INTR_INFO_VALID))
		return;
	info &= ~(1u << 12);
	/*
	 * A virtual interrupt (apicv.c) whose delivery exited: the delivery
	 * had set SVI to its vector before using the IDT (SDM 29.2.2), and the
	 * field says "external interrupt, that vector"; requeued as it is, the
	 * injection completes the delivery (VISR has the vector already).
	 * Bochs 2.7 (the testbed's CPU) does not record a virtual interrupt's
	 * delivery for the field (its VMX_Deliver_Virtual_Interrupt() skips
	 * the VMexit_Event() its external interrupts get) and reports the
	 * event it recorded last instead: an earlier exception, vector 0 on a
	 * fresh CPU. With vmx_quirk_vid_vectoring (the testbed sets it), an
	 * exit with nothing injected and SVI a vector that went in service
	 * since the entry (the LAPIC's ISR, as the page had it at the entry,
	 * does not have it yet) is taken as that vector's delivery. Never on
	 * a CPU that reports the field: there the same state may be an
	 * exception delivered after the virtual interrupt, which the
	 * heuristic would lose.
	 */
	if (vmx_quirk_vid_vectoring && v->apicv_vid && !(injected & INTR_INFO_VALID)) {
		now = vmcs_read16(GUEST_INTR_STATUS) >> 8;
		if (now && now != svi && !((v->lapic->isr[now / 32] >> (now % 32)) & 1))
			info = INTR_INFO_VALID | INTR_TYPE_EXT_INTR | now;
	}
	/*
	 * The CPU may report an error code for an exception it was delivering
	 * in real mode, but an entry injecting one with CR0.PE=0 fails
	 * (SDM 26.2.1.3): real mode pushes none.
	 */
	if (!(vmcs_readl(GUEST_CR0) & HAX_CR0_PE))
		info &= ~INTR_INFO_DELIVER_CODE;
	/*
	 * An NMI whose delivery the exit interrupted (the in-kernel LAPIC's,
	 * virtual NMIs on) did not block NMIs yet; an entry injecting one
	 * with blocking by NMI set fails (SDM 26.3.1.5): clear it.
	 */
	if ((info & INTR_INFO_TYPE_MASK) == INTR_TYPE_NMI)
		vmcs_write32(GUEST_INTERRUPTIBILITY,
			     vmcs_read32(GUEST_INTERRUPTIBILITY) & ~GUEST_INTR_NMI);
	vmcs_write32(VM_ENTRY_INTR_INFO, info);
	if (info & INTR_INFO_DELIVER_CODE)
		vmcs_write32(VM_ENTRY_EXCEPTION_ERROR_CODE, vmcs_read32(IDT_VECTORING_ERROR_CODE));
	vmcs_write32(VM_ENTRY_INSTRUCTION_LEN, vmcs_read32(VM_EXIT_INSTRUCTION_LEN));
}

/*
 * What must run before interrupts are enabled again: an NMI or a machine
 * check that exited the guest belongs to the host (SDM 25.2; 27.1, 26.8
 * for #MC during entry). Host code runs at every such exit, and an
 * external interrupt's handler right after: the next entry is one after
 * host code (the L1D flush's "cond" mode).
 */
static void vmx_exit_irqoff(struct vcpu *v, u32 reason)
{
	u32 basic = reason & 0xffff, info;

	if (basic == EXIT_REASON_MCE_DURING_ENTRY) {
		os_machine_check();
		v->host_ran = true;
		return;
	}
	if (basic == EXIT_REASON_EXTERNAL_INTERRUPT) {
		v->host_ran = true;
		return;
	}
	if (basic != EXIT_REASON_EXCEPTION_NMI)
		return;
	info = vmcs_read32(VM_EXIT_INTR_INFO);
	if ((info & INTR_INFO_TYPE_MASK) == INTR_TYPE_NMI) {
		os_host_nmi();
		v->host_ran = true;
	} else if ((info & INTR_INFO_VECTOR_MASK) == HAX_VEC_MC) {
		os_machine_check();
		v->host_ran = true;
	}
}

/*
 * Exits that may reach user space and that the guest repeats when it runs
 * again (fault-like instruction exits; the kick, signal or window request
 * stays pending): with VTPR not yet seen by the VMM (tpr.c), RUN returns
 * the TPR's FAST_MMIO write instead of handling them.
 */
static bool tpr_sync_first(struct vcpu *v, struct hax_tunnel *t, u32 reason)
{
	switch (reason) {
	case EXIT_REASON_IO:
	case EXIT_REASON_HLT:
		return true;
	case EXIT_REASON_WRMSR:
		return (u32)v->regs[HAX_REG_RCX] == HAX_MSR_APIC_BASE;
	case EXIT_REASON_EXTERNAL_INTERRUPT:
	case EXIT_REASON_PREEMPTION_TIMER:
		return os_signal_queued();
	case EXIT_REASON_INTERRUPT_WINDOW:
		return __atomic_load_n(&t->request_interrupt_window, __ATOMIC_RELAXED);
	default:
		return false;
	}
}

int vmx_run_once(struct vcpu *v, struct hax_tunnel *t)
{
	struct os_host_segs segs;
	unsigned long flags;
	u32 failed, reason, injected = 0;
	u8 svi = 0;
	u64 host_debugctl;
	bool xcr0;
	u64 t0;
	int r;

	r = vmx_vcpu_load(v);
	if (r)
		return r;
	if (v->need_flush)
		vmx_after_migration(v);
	if (v->vm->apic_access.va)
		vmx_apicv_prepare(v);
	r = vmx_tpr_prepare(v, t);
	if (r == EXIT_RESUME)
		r = vmx_intr_prepare(v, t);
	if (r != EXIT_RESUME) {
		vmx_intr_update_ready(v, t);
		return vmx_take_error() ? -EIO : r;
	}

	if (os_trace_on(OS_TRACE_ENTRY))
		os_trace_entry(v->vm->id, v->id, vmcs_readl(GUEST_RIP));
	flags = os_irq_save();
	if (v->lapic) {
		/*
		 * A kick from now on interrupts this CPU, pending until the
		 * guest runs: it exits at once. One since the poll: poll again.
		 */
		__atomic_store_n(&v->in_guest, 1, __ATOMIC_SEQ_CST);
		if (__atomic_load_n(&v->kick, __ATOMIC_SEQ_CST)) {
			__atomic_store_n(&v->in_guest, 0, __ATOMIC_RELAXED);
			os_irq_restore(flags);
			return EXIT_RESUME;
		}
	}
	vmcs_sync_host(v);
	vmx_preempt_timer_load(v);
	if (v->apicv_vid) {
		injected = vmcs_read32(VM_ENTRY_INTR_INFO);
		svi = vmcs_read16(GUEST_INTR_STATUS) >> 8;
	}
	if (hax_read_cr2() != v->cr2)
		hax_write_cr2(v->cr2);
	msr_guest_load(v);
	os_host_segs_save(&segs);
	os_fpu_reload();
	xcr0 = vmx_xcr0_load(v);
	host_debugctl = vmx_debug_load(v);
	/* a deadline fired early: not in the guest before it (the L1D flush after) */
	if (v->timer_wait_tsc)
		vapic_timer_wait(v);
	os_vmx_before_entry(v->host_ran);
	v->host_ran = false;
	t0 = hax_rdtsc(); /* time in guest, for the statistics: cheaper than any clock */
	failed = os_vmx_enter(v->regs, v->launched ? OS_VMX_RESUME : 0);
	t0 = hax_rdtsc() - t0;
	os_vmx_entered(1);
	/* Reloading a host GS selector rewrites KERNEL_GS_BASE: keep the guest's. */
	if (segs.gs)
		segs.kernel_gs_base = vmx_rdmsr(0xc0000102);
	vmx_debug_put(v, host_debugctl);
	vmx_xcr0_put(xcr0);
	os_host_segs_restore(&segs);
	if (failed) {
		u32 err = vmcs_read32(VM_INSTRUCTION_ERROR);

		__atomic_store_n(&v->in_guest, 0, __ATOMIC_RELAXED);
		os_irq_restore(flags);
		os_log_ratelimited(HAX_LOG_ERROR,
				   "VM entry failed, VM-instruction error %u (entry event 0x%x len "
				   "%u, guest CR0 0x%llx)\n",
				   err, vmcs_read32(VM_ENTRY_INTR_INFO),
				   vmcs_read32(VM_ENTRY_INSTRUCTION_LEN),
				   (unsigned long long)vmcs_readl(GUEST_CR0));
		return -EIO;
	}
	v->cr2 = hax_read_cr2();
	v->exit_reason = reason = vmcs_read32(VM_EXIT_REASON);
	/* the guest may have changed its virtual-APIC page (core/vmx/apicv.c) */
	v->apicv_ran = v->apicv_on;
	/* A failed entry leaves the launch state as it was (SDM 26.8). */
	if (!(reason & EXIT_REASON_ENTRY_FAILURE))
		v->launched = true;
	vmx_exit_irqoff(v, reason);
	__atomic_store_n(&v->in_guest, 0, __ATOMIC_RELAXED);
	os_irq_restore(flags);

	v->exit_qual = vmcs_readl(EXIT_QUALIFICATION);
	if (!vmx_caps.misc_saves_lma) {
		/* Keep "IA-32e mode guest" in step with EFER.LMA (SDM 26.3.1.1). */
		u32 entry = vmcs_read32(VM_ENTRY_CONTROLS) & ~ENTRY_IA32E_MODE;

		if (vmcs_read64(GUEST_IA32_EFER) & HAX_EFER_LMA)
			entry |= ENTRY_IA32E_MODE;
		vmcs_write32(VM_ENTRY_CONTROLS, entry);
	}
	vcpu_stats_exit(v, reason, t0);
	if (os_trace_on(OS_TRACE_EXIT))
		os_trace_exit(v->vm->id, v->id, reason, v->exit_qual, vmcs_readl(GUEST_RIP));
	if (!(reason & EXIT_REASON_ENTRY_FAILURE))
		vmx_requeue_event(v, injected, svi);
	vmx_tpr_after_exit(v);
	r = EXIT_RESUME;
	if (vcpu_tpr_dirty(v) && tpr_sync_first(v, t, reason))
		r = vcpu_tpr_sync(v, t); /* the guest executes the instruction again */
	if (r == EXIT_RESUME)
		r = vmx_handle_exit(v, t);
	vmx_intr_update_ready(v, t);
	if (vmx_take_error())
		return -EIO;
	return r;
}
