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
 * Virtual-interrupt delivery (SDM 29.2), where the CPU has it, goes on and
 * off with them: the LAPIC's fixed interrupts are then delivered by the CPU
 * from RVI when the guest can take them, with no event injection and no
 * interrupt-window exit (intr.c leaves them to it), and an EOI to an
 * edge-triggered vector is done in the page without an exit (EOI
 * virtualization, SDM 29.1.4). apicv.c keeps the model and the page's
 * IRR and ISR together; the entry writes the guest interrupt status (RVI,
 * SVI) and the EOI-exit bitmap the poll computed (vmx_apicv_sync()). The
 * CPU's checks: it needs external-interrupt exiting (haxm's controls have
 * it) and the TPR shadow (SDM 26.2.1.1). Posted interrupts are not used
 * (the testbed's Bochs offers none): an interrupt for a vCPU in the guest
 * is a kick, merged into the page at the next entry.
 *
 * The x2APIC MSRs (SDM 29.5). In x2APIC mode, where the CPU also has
 * "virtualize x2APIC mode" and MSR bitmaps, the vCPU runs with that
 * control, APIC-register virtualization and virtual-interrupt delivery,
 * "virtualize APIC accesses" off (SDM 26.2.1.1). The CPU then answers an
 * RDMSR of 800h-8FFh that the MSR bitmap lets through from the same page,
 * 8 bytes at (ECX & FFh) << 4, for any MSR of the range: the bitmap lets
 * through only those of the registers the page keeps (x2apic_page_read()),
 * filled with the model's x2APIC values (vapic_regs_put_x2()); PPR, the
 * current count, EOI, SELF IPI and the reserved ones exit and are
 * emulated (a #GP where the model says so). Writes pass for TPR and, with
 * virtual-interrupt delivery, EOI and SELF IPI (a SELF IPI of a vector
 * below 16 is an APIC-write exit); the rest exit. Leaving x2APIC mode
 * restores the interception of the whole range.
 *
 * Disabled, at another base, or in x2APIC mode without those controls
 * they are all off and the vCPU's registers are emulated and its
 * interrupts injected as before; 0xfee00000 then reaches the APIC-access
 * page as memory, as under KVM.
 */
#include "apicv.h"
#include "../vapic.h"
#include "../irqchip/lapic.h"
#include "caps.h"
#include "exits.h"
#include "msr_vmx.h"
#include "vmcs.h"
#include "vmx.h"

bool vmx_apicv_enable = true;
bool vmx_quirk_vid_vectoring;

/* The controls that virtualize the xAPIC page, and those of the x2APIC MSRs. */
#define APICV_XAPIC  (CPU2_VIRT_APIC_ACCESS | CPU2_APIC_REG_VIRT)
#define APICV_X2APIC (CPU2_VIRT_X2APIC | CPU2_APIC_REG_VIRT)

/* The x2APIC MSRs can be virtualized: the CPU has the controls and MSR bitmaps. */
static bool apicv_x2_ok(void)
{
	return (vmx_caps.apicv & APICV_X2APIC) == APICV_X2APIC &&
	       (vmx_caps.proc & CPU_USE_MSR_BITMAPS);
}

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
	v->apicv_on = false;
	if (v->lapic && v->vm->apic_access.va)
		vmcs_write64(APIC_ACCESS_ADDR, v->vm->apic_access.pa);
}

/*
 * An x2APIC MSR whose RDMSR reads the virtual-APIC page without an exit in
 * x2APIC mode: with APIC-register virtualization the CPU answers any of
 * 800h-8FFh left out of the MSR bitmap from the page, 8 bytes at offset
 * (ECX & FFh) << 4 (SDM 29.5), whether the register exists or not. These
 * are the registers the model answers (lapic_msr_read()) with values the
 * page keeps: ID, version, TPR, LDR, SVR, ISR, TMR, IRR, ESR, the 64-bit
 * ICR, the LVT, the initial count and the divide configuration. PPR (the
 * CPU updates it in the page only at a virtualized TPR write, EOI or
 * delivery: not for what the model changed), the current count, EOI and
 * SELF IPI (write-only: a read is a #GP), CMCI (the model has none) and
 * the reserved MSRs stay intercepted, emulated by the model.
 */
static bool x2apic_page_read(u32 msr)
{
	u32 off = (msr - LAPIC_MSR_BASE) << 4;

	/* ISR, TMR and IRR are contiguous: 810h-827h */
	if (off >= LAPIC_REG_ISR && off < LAPIC_REG_IRR + 0x80)
		return true;
	if (off >= LAPIC_REG_LVT && off < LAPIC_REG_LVT + 0x10 * LVT_NR)
		return true;
	switch (off) {
	case LAPIC_REG_ID:
	case LAPIC_REG_LVR:
	case LAPIC_REG_TPR:
	case LAPIC_REG_LDR:
	case LAPIC_REG_SVR:
	case LAPIC_REG_ESR:
	case LAPIC_REG_ICR:
	case LAPIC_REG_TMICT:
	case LAPIC_REG_TDCR:
		return true;
	}
	return false;
}

/*
 * The x2APIC MSRs in the bitmap: in x2APIC mode (@x2) the page's reads
 * pass, and the writes the CPU virtualizes: TPR (TPR virtualization) and,
 * with virtual-interrupt delivery, EOI and SELF IPI (SDM 29.5). Every
 * other access exits, as all of them do outside x2APIC mode.
 */
static void x2apic_msr_bitmap(struct vcpu *v, bool x2)
{
	u32 msr;

	for (msr = LAPIC_MSR_BASE; msr <= LAPIC_MSR_LAST; msr++) {
		msr_bitmap_intercept(v, msr, false, !(x2 && x2apic_page_read(msr)));
		msr_bitmap_intercept(v, msr, true, true);
	}
	if (!x2)
		return;
	msr_bitmap_intercept(v, LAPIC_MSR(LAPIC_REG_TPR), true, false);
	if (v->apicv_vid) {
		msr_bitmap_intercept(v, LAPIC_MSR(LAPIC_REG_EOI), true, false);
		msr_bitmap_intercept(v, LAPIC_MSR(LAPIC_REG_SELF_IPI), true, false);
	}
}

void vmx_apicv_prepare(struct vcpu *v)
{
	u64 base = v->msr.apic_base, mode = base & (LAPIC_BASE_EN | LAPIC_BASE_EXTD);
	u32 proc2, vid = vmx_caps.apicv & CPU2_VIRT_INTR_DELIVERY, ctls = 0;
	bool x2 = false;

	if (mode == LAPIC_BASE_EN && (base & HAX_PAGE_MASK & ~(1ull << 63)) == LAPIC_BASE_DEFAULT) {
		ctls = APICV_XAPIC | vid;
	} else if (mode == (LAPIC_BASE_EN | LAPIC_BASE_EXTD) && apicv_x2_ok()) {
		/* "virtualize APIC accesses" must be 0 with it (SDM 26.2.1.1) */
		ctls = APICV_X2APIC | vid;
		x2 = true;
	}
	if ((ctls != 0) == v->apicv_on && x2 == v->apicv_x2)
		return;
	proc2 = vmcs_read32(SECONDARY_VM_EXEC_CONTROL) & ~(APICV_XAPIC | APICV_X2APIC | vid);
	vmcs_write32(SECONDARY_VM_EXEC_CONTROL, proc2 | ctls);
	v->apicv_on = ctls != 0;
	v->apicv_vid = ctls & vid;
	if (x2 != v->apicv_x2)
		x2apic_msr_bitmap(v, x2);
	v->apicv_x2 = x2;
	/* the page's registers are written at this entry's poll */
	v->apicv_stale = true;
}

void vmx_apicv_sync(struct vcpu *v)
{
	v->apicv_sync = false;
	if (!v->apicv_vid)
		return;
	vmcs_write16(GUEST_INTR_STATUS, v->apicv_status);
	vmcs_write64(EOI_EXIT_BITMAP0, v->apicv_eoi_exit[0]);
	vmcs_write64(EOI_EXIT_BITMAP0 + 2, v->apicv_eoi_exit[1]);
	vmcs_write64(EOI_EXIT_BITMAP0 + 4, v->apicv_eoi_exit[2]);
	vmcs_write64(EOI_EXIT_BITMAP0 + 6, v->apicv_eoi_exit[3]);
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

int vmx_handle_eoi_induced(struct vcpu *v, struct hax_tunnel *t)
{
	/* trap-like (SDM 29.1.4): the EOI retired; bits 7:0 are its vector */
	vcpu_lapic_eoi_induced(v, v->exit_qual & 0xff);
	return EXIT_RESUME;
}

int vmx_handle_apic_write(struct vcpu *v, struct hax_tunnel *t)
{
	/* trap-like: the write retired, its data is in the virtual-APIC page */
	vcpu_lapic_apic_write(v, v->exit_qual & 0xfff);
	return EXIT_RESUME;
}

/*
 * ---- The LAPIC's registers in the virtual-APIC page (vapic.h) ----
 *
 * SDM Vol. 3C 29.4: while the xAPIC
 * page is virtualized (v->apicv_on) the guest reads them from there
 * without an exit. The model (core/irqchip/lapic.c) stays the authority:
 *
 * - Before an entry, the poll writes the registers into the page when the
 *   model may have changed since they were last written there
 *   (vapic_mirror()): after a kick (an interrupt accepted from another
 *   vCPU or a device, an INIT) or a change the vCPU's own thread made
 *   (v->apicv_stale: a register write, a timer that fired, SET_LAPIC).
 *   An acknowledged vector updates its two words at once (vapic_page_ack()).
 * - What the guest writes without an exit (ICR high, SDM 29.4.3.2) is taken
 *   into the model before anything reads or overwrites it (vapic_pull()).
 * - With virtual-interrupt delivery (v->apicv_vid, SDM 29.2) the CPU
 *   delivers the LAPIC's fixed interrupts itself: the poll writes IRR and
 *   ISR with the rest and computes RVI and SVI, the highest vector of each
 *   (SDM 29.1.1), and the EOI-exit bitmap, the TMR: a level-triggered
 *   vector's EOI exits (reason 45) for the IO-APIC's EOI broadcast, an
 *   edge-triggered one's does not (EOI virtualization, SDM 29.1.4). While
 *   the guest runs the CPU moves IRR bits to ISR, clears ISR bits and sets
 *   IRR bits of the self IPIs it virtualizes (SDM 29.1.5), in the page;
 *   other vCPUs and devices set IRR bits in the model (lapic_accept(), which
 *   notes them in irr_new too) and kick. After the guest ran, vapic_pull()
 *   takes ISR from the page, and IRR as the page's plus what arrived in the
 *   model since the page was written: nothing accepted is lost, nothing
 *   delivered is delivered twice.
 * - A write that exits (APIC-write, SDM 29.4.3.3) is handed to the model as
 *   an xAPIC write of the page's value (vcpu_lapic_apic_write()).
 *
 * All under the VM's APIC lock, from the vCPU's thread.
 */
void vapic_regs_put(const struct lapic *l, u8 *regs)
{
	u32 i;

	vapic_reg_put(regs, LAPIC_REG_ID, l->id);
	vapic_reg_put(regs, LAPIC_REG_LVR, LAPIC_VERSION);
	vapic_reg_put(regs, LAPIC_REG_TPR, l->tpr);
	vapic_reg_put(regs, LAPIC_REG_EOI, 0); /* write-only: reads 0 */
	vapic_reg_put(regs, LAPIC_REG_LDR, l->ldr);
	vapic_reg_put(regs, LAPIC_REG_DFR, l->dfr);
	vapic_reg_put(regs, LAPIC_REG_SVR, l->svr);
	for (i = 0; i < 8; i++) {
		vapic_reg_put(regs, LAPIC_REG_ISR + i * 16, l->isr[i]);
		vapic_reg_put(regs, LAPIC_REG_TMR + i * 16, l->tmr[i]);
		vapic_reg_put(regs, LAPIC_REG_IRR + i * 16, l->irr[i]);
	}
	vapic_reg_put(regs, LAPIC_REG_ESR, l->esr);
	vapic_reg_put(regs, LAPIC_REG_ICR, l->icr_lo);
	vapic_reg_put(regs, LAPIC_REG_ICR2, l->icr_hi);
	for (i = 0; i < LVT_NR; i++)
		vapic_reg_put(regs, LAPIC_REG_LVT + i * 16, l->lvt[i]);
	vapic_reg_put(regs, LAPIC_REG_TMICT, l->tmict);
	vapic_reg_put(regs, LAPIC_REG_TDCR, l->tdcr);
}

void vapic_pull(struct vcpu *v)
{
	const u8 *page = v->vapic_page.va;
	struct lapic *l = v->lapic;
	u32 icr2, irr, w;

	/* an INIT reset the LAPIC since the guest ran: the page is older than it */
	if (!v->apicv_ran || l->init_pending)
		return;
	v->apicv_ran = false;
	/* x2APIC mode: a WRMSR of the ICR exits, the page's ICR is the model's */
	icr2 = vapic_reg_get(page, LAPIC_REG_ICR2);
	if (!v->apicv_x2 && icr2 != v->apicv_icr2) {
		l->icr_hi = icr2 & 0xff000000u; /* the CPU cleared bits 23:0 */
		v->apicv_icr2 = icr2;
	}
	if (!v->apicv_vid)
		return;
	for (w = 0; w < 8; w++) {
		irr = vapic_reg_get(page, LAPIC_REG_IRR + w * 16);
		/* a self IPI the CPU virtualized is edge-triggered (SDM 29.1.5) */
		l->tmr[w] &= ~(irr & ~v->apicv_irr[w]);
		l->irr[w] = irr | l->irr_new[w];
		l->isr[w] = vapic_reg_get(page, LAPIC_REG_ISR + w * 16);
		v->apicv_irr[w] = irr;
	}
	/* the self IPI's ICR write ended in the page (SDM 29.4.3.2); x2APIC: SELF IPI */
	if (!v->apicv_x2)
		l->icr_lo = vapic_reg_get(page, LAPIC_REG_ICR) & LAPIC_ICR_WRITABLE & ~LAPIC_STATUS;
}

/*
 * In x2APIC mode the page holds what RDMSR returns (SDM 29.5: 8 bytes at
 * the register's offset): the model's x2APIC reads of the registers it
 * supplies, as the 32-bit x2APIC ID, the LDR derived from it, the 64-bit
 * ICR at 0x300 (its destination in bytes 0x304-0x307), bits 63:32 of
 * the others 0.
 */
static void vapic_regs_put_x2(struct lapic *l, u8 *regs)
{
	u32 msr;
	u64 val;

	for (msr = LAPIC_MSR_BASE; msr <= LAPIC_MSR_LAST; msr++)
		if (x2apic_page_read(msr) && !lapic_msr_read(l, msr, 0, &val))
			__builtin_memcpy(regs + ((msr - LAPIC_MSR_BASE) << 4), &val, 8);
}

/*
 * What an interrupt accepted from elsewhere or a timer that fired changes
 * of the page's registers: IRR, TMR (a level-triggered vector), and a
 * level-triggered LINT0/LINT1 entry's remote IRR (lapic_lvt_fire()).
 */
static void vapic_irr_put(const struct lapic *l, u8 *regs)
{
	u32 i;

	for (i = 0; i < 8; i++) {
		vapic_reg_put(regs, LAPIC_REG_TMR + i * 16, l->tmr[i]);
		vapic_reg_put(regs, LAPIC_REG_IRR + i * 16, l->irr[i]);
	}
	vapic_reg_put(regs, LAPIC_REG_LVT + LVT_LINT0 * 16, l->lvt[LVT_LINT0]);
	vapic_reg_put(regs, LAPIC_REG_LVT + LVT_LINT1 * 16, l->lvt[LVT_LINT1]);
}

void vapic_mirror(struct vcpu *v)
{
	struct lapic *l = v->lapic;
	int rvi, svi;
	u32 w;

	vapic_pull(v);
	if (v->apicv_stale && v->apicv_x2) {
		vapic_regs_put_x2(l, v->vapic_page.va);
	} else if (v->apicv_stale) {
		vapic_regs_put(l, v->vapic_page.va);
		v->apicv_icr2 = l->icr_hi;
	} else {
		vapic_irr_put(l, v->vapic_page.va);
	}
	v->apicv_stale = false;
	v->apicv_irr_stale = false;
	if (!v->apicv_vid)
		return;
	for (w = 0; w < 8; w++) {
		v->apicv_irr[w] = l->irr[w];
		l->irr_new[w] = 0;
	}
	rvi = lapic_highest_irr(l);
	svi = lapic_highest_isr(l);
	v->apicv_status = (rvi < 0 ? 0 : rvi) | (svi < 0 ? 0 : svi) << 8;
	for (w = 0; w < 4; w++)
		v->apicv_eoi_exit[w] = l->tmr[2 * w] | (u64)l->tmr[2 * w + 1] << 32;
	v->apicv_sync = true;
}

void vapic_page_ack(struct vcpu *v, u8 vector)
{
	u32 w = vector / 32;

	if (!v->apicv_on)
		return;
	vapic_reg_put(v->vapic_page.va, LAPIC_REG_ISR + w * 16, v->lapic->isr[w]);
	vapic_reg_put(v->vapic_page.va, LAPIC_REG_IRR + w * 16, v->lapic->irr[w]);
}

void vapic_page_reset(struct vcpu *v)
{
	v->apicv_stale = true;
	v->apicv_ran = false;
}

void vcpu_lapic_apic_write(struct vcpu *v, u32 off)
{
	struct lapic_effects eff = { 0 };
	u64 now = lapic_reg_timed(off) ? os_now_ns() : 0;

	os_spin_lock(v->vm->apic_lock);
	vapic_pull(v);
	/*
	 * The CPU wrote the page: the model takes the register's 32 bits as
	 * an xAPIC write. One at an offset inside a register (a narrower
	 * store) is ignored, as lapic_mmio_write() ignores it (SDM 11.4.1).
	 * x2APIC mode: a SELF IPI of a vector below 16 (SDM 29.5), 8 bytes as
	 * its WRMSR wrote them.
	 */
	if (v->apicv_x2) {
		u64 val;

		__builtin_memcpy(&val, (u8 *)v->vapic_page.va + off, 8);
		if (!lapic_msr_write(v->lapic, LAPIC_MSR(off), val, now, &eff))
			vapic_effects(v, &eff);
	} else if (!(off & 0xf) &&
		   !lapic_mmio_write(v->lapic, off, 4, vapic_reg_get(v->vapic_page.va, off), now,
				     &eff)) {
		vapic_effects(v, &eff);
	}
	/* what the model made of it (read-only bits, side effects) goes back */
	v->apicv_stale = true;
	os_spin_unlock(v->vm->apic_lock);
}

void vcpu_lapic_eoi_induced(struct vcpu *v, u8 vector)
{
	struct lapic_effects eff = { .flags = LAPIC_EFF_EOI_LEVEL, .eoi_vector = vector };

	os_spin_lock(v->vm->apic_lock);
	/* the CPU took @vector out of ISR: the model's ISR from the page */
	vapic_pull(v);
	/* the EOI broadcast of a level-triggered vector (SDM 11.8.5), as lapic_eoi() reports it */
	if ((v->lapic->tmr[vector / 32] >> (vector % 32)) & 1)
		vapic_effects(v, &eff);
	os_spin_unlock(v->vm->apic_lock);
}
