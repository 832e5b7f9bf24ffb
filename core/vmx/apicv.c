// SPDX-License-Identifier: GPL-2.0
/*
 * APIC virtualization (SDM Vol. 3C chapter 29, "APIC Virtualization and
 * Virtual Interrupts") for VMs with the in-kernel LAPIC (core/vapic.c),
 * where the CPU has "virtualize APIC accesses" and "APIC-register
 * virtualization" beside the TPR shadow (vmx_caps.apicv), unless the
 * module parameter apicv is 0.
 *
 * The xAPIC page. A vCPU whose LAPIC is in xAPIC mode at the default base
 * (0xfee00000) runs with both controls on; the VM has one APIC-access page
 * (SDM 29.4), mapped in the EPT at 0xfee00000 by the first EPT violation
 * there (vmx_apicv_map()). The guest's accesses to that page then go to
 * its vCPU's virtual-APIC page (the TPR shadow's, vmx/tpr.c) instead of
 * being emulated:
 *
 * - Reads of the registers SDM 29.4.2 lists (ID, version, TPR, EOI, LDR,
 *   DFR, SVR, ISR, TMR, IRR, ESR, ICR, the LVT, the initial count, the
 *   divide configuration) read the page without an exit. The LAPIC model
 *   stays the authority: vapic.c writes those registers into the page
 *   before an entry when the model may have changed since they were
 *   written (an own register write, an interrupt acknowledged, a timer
 *   fired, a kick, SET_LAPIC, an INIT). A vector another vCPU or a device
 *   sets in IRR while the guest runs reaches the page at the kick's exit.
 * - Writes to them are done by the CPU into the page, then (but for the TPR,
 *   which is TPR virtualization as before, and ICR high, whose write ends
 *   there, SDM 29.4.3.2) an APIC-write VM exit, trap-like, with the offset
 *   (SDM 29.4.3.3): vcpu_lapic_apic_write() hands the page's value to the
 *   model as an xAPIC write, no instruction decoded. ICR high reaches the
 *   model when anything else looks at it (vapic.c's ICR high pull).
 * - Everything else (PPR, APR, the current count, reserved offsets, an
 *   access wider than 4 bytes or crossing a register) is an APIC-access VM
 *   exit, fault-like with the offset (SDM 29.4.1, 27.2.1): emulated as the
 *   unmapped page's EPT violation was (vmx_mmio.c).
 *
 * In x2APIC mode, disabled, or at another base the controls are off and
 * the vCPU's page is emulated as before;
 * 0xfee00000 then reaches the APIC-access page as memory, as under KVM.
 */
#include "apicv.h"
#include "../vapic.h"
#include "../irqchip/lapic.h"
#include "caps.h"
#include "exits.h"
#include "vmcs.h"
#include "vmx.h"

bool vmx_apicv_enable = true;

/* The controls that virtualize the xAPIC page. */
#define APICV_XAPIC (CPU2_VIRT_APIC_ACCESS | CPU2_APIC_REG_VIRT)

int vmx_apicv_page_alloc(struct os_page *p)
{
	*p = (struct os_page){ 0 };
	if (!__atomic_load_n(&vmx_apicv_enable, __ATOMIC_RELAXED) ||
	    (vmx_caps.apicv & APICV_XAPIC) != APICV_XAPIC)
		return 0;
	return os_page_alloc(p);
}

void vmx_apicv_setup(struct vcpu *v)
{
	v->apicv_xapic = false;
	if (v->lapic && v->vm->apic_access.va)
		vmcs_write64(APIC_ACCESS_ADDR, v->vm->apic_access.pa);
}

void vmx_apicv_prepare(struct vcpu *v)
{
	u64 base = v->msr.apic_base;
	bool on = (base & (LAPIC_BASE_EN | LAPIC_BASE_EXTD)) == LAPIC_BASE_EN &&
		  (base & HAX_PAGE_MASK & ~(1ull << 63)) == LAPIC_BASE_DEFAULT;
	u32 proc2;

	if (on == v->apicv_xapic)
		return;
	proc2 = vmcs_read32(SECONDARY_VM_EXEC_CONTROL);
	vmcs_write32(SECONDARY_VM_EXEC_CONTROL, on ? proc2 | APICV_XAPIC : proc2 & ~APICV_XAPIC);
	v->apicv_xapic = on;
	/* the page's registers are written at this entry's poll */
	v->apicv_stale = true;
}

int vmx_apicv_map(struct vcpu *v)
{
	struct vm *vm = v->vm;
	int r;

	os_mutex_lock(&vm->lock);
	/* read and write, not execute: a fetch is an EPT violation, emulated (and refused) */
	r = ept_map(&vm->ept, LAPIC_BASE_DEFAULT, vm->apic_access.pa, EPT_R | EPT_W);
	os_mutex_unlock(&vm->lock);
	/* a not-present entry made present: nothing to flush (SDM 29.4.3.1) */
	if (r == -EEXIST)
		return 1;
	return r ? r : EXIT_RESUME;
}

int vmx_handle_apic_access(struct vcpu *v, struct hax_tunnel *t)
{
	u32 type = (v->exit_qual >> 12) & 0xf;

	/*
	 * A linear read (0) or write (1) by an instruction (SDM 27.2.1, table
	 * "Exit Qualification for APIC-Access VM Exits"): fault-like, the
	 * instruction emulated with the access going to the model. An
	 * instruction fetch or an access during event delivery (an IDT or a
	 * stack in the APIC page) stops the guest, as an emulator refusal.
	 */
	if (type == 0 || type == 1)
		return EXIT_EMULATE;
	return vmx_statechange(v, t);
}

int vmx_handle_apic_write(struct vcpu *v, struct hax_tunnel *t)
{
	/* trap-like: the write retired, its data is in the virtual-APIC page */
	vcpu_lapic_apic_write(v, v->exit_qual & 0xfff);
	return EXIT_RESUME;
}
