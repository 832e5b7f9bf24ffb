// SPDX-License-Identifier: GPL-2.0
/*
 * External interrupts from user space (HAX_VCPU_IOCTL_INTERRUPT), injected at
 * VM entry (SDM 26.6) when the guest can take them, and the interrupt-window
 * and HLT exits that go with them.
 *
 * The model is HAXM's, which QEMU's HAX client is written against: INTERRUPT
 * sets a bit in a 256-bit pending set; before each entry the highest pending
 * vector is injected if RFLAGS.IF=1, there is no STI/MOV-SS blocking and no
 * other event is queued for that entry; while anything stays pending, or user
 * space sets request_interrupt_window, interrupt-window exiting is on. When
 * the window opens with nothing pending and user space asked for it, RUN
 * returns HAX_EXIT_INTERRUPT. After every exit ready_for_interrupt_injection
 * says whether an INTERRUPT now would be delivered at the next entry.
 *
 * With the in-kernel local APIC (HAX_CAP_LAPIC, core/vapic.c) the LAPIC is a
 * second source: when no INTERRUPT vector is pending, the vector it would
 * deliver (lapic_pending_vector()) is injected under the same conditions and
 * moves from IRR to ISR; while it waits, interrupt-window exiting is on.
 * INTERRUPT vectors keep their own path, ahead of the LAPIC's, like ExtINT
 * interrupts from a PIC: not in IRR/ISR, not masked by the TPR, no EOI. A
 * HLT with nothing deliverable sleeps in the kernel until an interrupt
 * arrives for the LAPIC (EXIT_HALT) instead of exiting to user space; one
 * with interrupts off exits once (HAX_EXIT_HLT), then sleeps likewise. The
 * in-kernel PIC's INT (vpic.c) comes through the same poll as an ExtINT,
 * ahead of the LAPIC's vectors: the PIC's INTA gives its vector.
 *
 * An NMI the in-kernel LAPIC accepted (an NMI IPI, delivery mode NMI) goes
 * first, injected when nothing else is queued for the entry and the guest
 * is not blocking NMIs: no virtual-NMI blocking (set by the delivery of
 * one, cleared by the guest's IRET, SDM 25.3 and 26.6.1.2 with "virtual
 * NMIs" on), no blocking by MOV SS nor, as some processors require for an
 * injected NMI, by STI (SDM 26.3.1.5). While it waits, NMI-window exiting
 * is on (SDM 25.2), and a halted vCPU wakes for it whatever RFLAGS.IF.
 * Without virtual NMIs in the CPU the NMI stays pending (GET_LAPIC shows
 * it).
 *
 * With the TPR shadow (tpr.c) an INTERRUPT vector whose priority class is
 * not above VTPR's waits, pending, as the APIC would keep it in its IRR
 * (SDM 10.8.3.1): no window exiting for it, not ready-blocking; the TPR
 * threshold makes the MOV to CR8 that unmasks it exit.
 */
#include "intr.h"
#include "../vapic.h"
#include "../vpic.h"
#include "apicv.h"
#include "caps.h"
#include "cpu.h"
#include "exits.h"
#include "vmcs.h"
#include "vmx.h"

static int intr_highest(const struct vcpu *v)
{
	int i;

	if (!v->nr_intr_pending)
		return -1;
	for (i = 7; i >= 0; i--)
		if (v->intr_pending[i])
			return i * 32 + 31 - __builtin_clz(v->intr_pending[i]);
	return -1;
}

int vcpu_interrupt(struct vcpu *v, u32 vector)
{
	struct hax_tunnel *t = v->tunnel_page.va;
	u32 bit = 1u << (vector % 32);

	if (vector > 255)
		return -EINVAL;
	if (!(v->intr_pending[vector / 32] & bit)) {
		v->intr_pending[vector / 32] |= bit;
		v->nr_intr_pending++;
	}
	t->ready_for_interrupt_injection = 0;
	return 0;
}

/*
 * The INTERRUPT vector to inject next, or -1: the highest pending one,
 * unless the TPR shadow's VTPR masks it (then every pending one is masked;
 * @held gets it, or -1). Asked several times an entry, mostly with nothing
 * pending: always inlined (the kernel may build with -Os), a call and its
 * return thunk cost more than the test.
 */
static inline __attribute__((__always_inline__)) int intr_next(struct vcpu *v, int *held)
{
	int vec;

	*held = -1;
	if (!v->nr_intr_pending)
		return -1;
	vec = intr_highest(v);
	if (vec >= 0 && vmx_tpr_holds(v, vec)) {
		*held = vec;
		return -1;
	}
	return vec;
}

/* RFLAGS.IF=1 and no blocking by STI or MOV SS (SDM 24.4.2, 26.3.1.5). */
static bool intr_window_open(void)
{
	return (vmcs_readl(GUEST_RFLAGS) & HAX_RFLAGS_IF) &&
	       !(vmcs_read32(GUEST_INTERRUPTIBILITY) & (GUEST_INTR_STI | GUEST_INTR_MOVSS));
}

/* No blocking by NMI, MOV SS or STI: an NMI may be injected (SDM 26.3.1.5). */
static bool nmi_window_open(void)
{
	return !(vmcs_read32(GUEST_INTERRUPTIBILITY) &
		 (GUEST_INTR_STI | GUEST_INTR_MOVSS | GUEST_INTR_NMI));
}

/* @bit (interrupt- or NMI-window exiting) of the processor-based controls on or off. */
static void intr_set_exiting(u32 bit, bool on)
{
	u32 proc = vmcs_read32(CPU_BASED_VM_EXEC_CONTROL);
	u32 want = on ? proc | bit : proc & ~bit;

	if (want != proc)
		vmcs_write32(CPU_BASED_VM_EXEC_CONTROL, want);
}

static void intr_set_window_exiting(bool on)
{
	intr_set_exiting(CPU_INTR_WINDOW_EXITING, on);
}

/* An NMI of the in-kernel LAPIC waits (the poll saw it) and the CPU can inject it. */
static bool nmi_pending(const struct vcpu *v)
{
	return v->lapic && v->lapic_nmi && vmx_caps.vnmi;
}

int vmx_intr_prepare(struct vcpu *v, struct hax_tunnel *t)
{
	u32 info = vmcs_read32(VM_ENTRY_INTR_INFO);
	bool request = __atomic_load_n(&t->request_interrupt_window, __ATOMIC_RELAXED);
	bool open = intr_window_open();
	int held, vec = intr_next(v, &held), lvec = v->lapic ? vcpu_lapic_poll(v) : -1;
	bool nmi = nmi_pending(v), virt = false;

	/* virtual-interrupt delivery (apicv.c): the CPU delivers the LAPIC's vector from RVI */
	if (v->apicv_vid && lvec >= 0 && lvec != VAPIC_EXTINT) {
		virt = true;
		lvec = -1;
	}

	if (nmi && !(info & INTR_INFO_VALID) && nmi_window_open()) {
		nmi = false;
		if (vcpu_lapic_nmi_take(v)) {
			info = INTR_INFO_VALID | INTR_TYPE_NMI | HAX_VEC_NMI;
			vmcs_write32(VM_ENTRY_INTR_INFO, info);
			if (os_trace_on(OS_TRACE_INJECT))
				os_trace_inject(v->vm->id, v->id, info, 0);
		}
	}
	if (vec >= 0 && !(info & INTR_INFO_VALID) && open) {
		info = INTR_INFO_VALID | INTR_TYPE_EXT_INTR | vec;
		vmcs_write32(VM_ENTRY_INTR_INFO, info);
		if (os_trace_on(OS_TRACE_INJECT))
			os_trace_inject(v->vm->id, v->id, info, 0);
		v->intr_pending[vec / 32] &= ~(1u << (vec % 32));
		v->nr_intr_pending--;
		vec = intr_next(v, &held);
	} else if (lvec >= 0 && !(info & INTR_INFO_VALID) && open) {
		/* the PIC's ExtINT: its INTA gives the vector, the LAPIC keeps none */
		if (lvec == VAPIC_EXTINT)
			lvec = vcpu_pic_intack(v);
		else
			vcpu_lapic_ack(v, lvec);
		info = INTR_INFO_VALID | INTR_TYPE_EXT_INTR | lvec;
		vmcs_write32(VM_ENTRY_INTR_INFO, info);
		if (os_trace_on(OS_TRACE_INJECT))
			os_trace_inject(v->vm->id, v->id, info, 0);
		lvec = -1;
	}
	if (vmcs_read32(GUEST_ACTIVITY_STATE) == GUEST_ACTIVITY_HLT) {
		if ((info & INTR_INFO_VALID) || (virt && open)) {
			/* The delivered event ends the HLT (SDM 26.6.2, 26.7). */
			vmcs_write32(GUEST_ACTIVITY_STATE, GUEST_ACTIVITY_ACTIVE);
		} else {
			/* Halted, nothing to deliver: the VMM waits, not the CPU. */
			if (vcpu_tpr_dirty(v))
				return vcpu_tpr_sync(v, t);
			/* the in-kernel LAPIC's vCPU sleeps here, for an INIT or an interrupt */
			if (v->lapic && !(request && open))
				return EXIT_HALT;
			t->_exit_status = request && open ? HAX_EXIT_INTERRUPT : HAX_EXIT_HLT;
			v->exit_reason = EXIT_REASON_HLT;
			return EXIT_TO_USER;
		}
	}
	/*
	 * A virtual interrupt is not delivered while interrupt-window exiting
	 * is on (SDM 29.2.2): user space's request waits for it.
	 */
	intr_set_window_exiting(vec >= 0 || (request && !virt) || lvec >= 0);
	if (v->lapic && vmx_caps.vnmi)
		intr_set_exiting(CPU_NMI_WINDOW_EXITING, nmi);
	vmx_tpr_threshold(v, held);
	vmx_apicv_entry(v);
	return EXIT_RESUME;
}

void vmx_intr_update_ready(struct vcpu *v, struct hax_tunnel *t)
{
	int held;

	t->ready_for_interrupt_injection = intr_next(v, &held) < 0 &&
					   !(vmcs_read32(VM_ENTRY_INTR_INFO) & INTR_INFO_VALID) &&
					   intr_window_open();
}

/* SDM 26.7.5: the guest can take an interrupt now. */
int vmx_handle_intr_window(struct vcpu *v, struct hax_tunnel *t)
{
	int held;

	intr_set_window_exiting(false);
	if (intr_next(v, &held) >= 0 || (v->lapic && vcpu_lapic_poll(v) >= 0))
		return EXIT_RESUME; /* injected at the next entry */
	if (__atomic_load_n(&t->request_interrupt_window, __ATOMIC_RELAXED)) {
		t->_exit_status = HAX_EXIT_INTERRUPT;
		return EXIT_TO_USER;
	}
	return EXIT_RESUME;
}

/* SDM 25.2: the guest no longer blocks NMIs; the next entry injects the NMI. */
int vmx_handle_nmi_window(struct vcpu *v, struct hax_tunnel *t)
{
	intr_set_exiting(CPU_NMI_WINDOW_EXITING, false);
	return EXIT_RESUME;
}

/*
 * HLT: a pending interrupt the guest can take wakes it at once (it is
 * injected at the next entry, after the HLT); otherwise the VMM waits for
 * one (HAX_EXIT_HLT, RIP past the HLT, activity state active, as in HAXM).
 * With the in-kernel LAPIC the vCPU sleeps in the kernel (EXIT_HALT), but
 * with RFLAGS.IF=0 RUN returns HAX_EXIT_HLT once, the vCPU in the HLT
 * activity state, so that the VMM sees a guest that halted for good.
 */
int vmx_handle_hlt(struct vcpu *v, struct hax_tunnel *t)
{
	int held;

	vmx_skip_instruction(v);
	/* Its single-step #DB, queued by the skip, ends the HLT at once. */
	if (vmcs_read32(VM_ENTRY_INTR_INFO) & INTR_INFO_VALID)
		return EXIT_RESUME;
	if (intr_next(v, &held) >= 0 && intr_window_open())
		return EXIT_RESUME;
	if (v->lapic) {
		/* the poll clears the kick: one after it ends the sleep */
		if (vcpu_lapic_poll(v) >= 0 && intr_window_open())
			return EXIT_RESUME;
		/* an NMI ends the HLT whatever RFLAGS.IF */
		if (nmi_pending(v))
			return EXIT_RESUME;
		if (vmcs_readl(GUEST_RFLAGS) & HAX_RFLAGS_IF)
			return EXIT_HALT;
		/*
		 * Interrupts off: only an INIT wakes it (a guest powering off
		 * or parking a CPU). The VMM hears of it once, the vCPU in
		 * the HLT activity state; its next RUN sleeps in the kernel.
		 */
		vmcs_write32(GUEST_ACTIVITY_STATE, GUEST_ACTIVITY_HLT);
	}
	t->_exit_status = HAX_EXIT_HLT;
	return EXIT_TO_USER;
}
