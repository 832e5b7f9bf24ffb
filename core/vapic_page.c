// SPDX-License-Identifier: GPL-2.0
/*
 * The in-kernel LAPIC's registers in its vCPU's virtual-APIC page, for APIC
 * virtualization (core/vmx/apicv.c; SDM Vol. 3C 29.4): while the xAPIC
 * page is virtualized (v->apicv_xapic) the guest reads them from there
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
 *
 * All under the VM's APIC lock, from the vCPU's thread.
 */
#include "vapic.h"
#include "irqchip/lapic.h"

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
	u32 icr2;

	if (!v->apicv_xapic)
		return;
	icr2 = vapic_reg_get(v->vapic_page.va, LAPIC_REG_ICR2);
	if (icr2 != v->apicv_icr2) {
		v->lapic->icr_hi = icr2 & 0xff000000u; /* the CPU cleared bits 23:0 */
		v->apicv_icr2 = icr2;
	}
}

void vapic_mirror(struct vcpu *v)
{
	vapic_pull(v);
	vapic_regs_put(v->lapic, v->vapic_page.va);
	v->apicv_icr2 = v->lapic->icr_hi;
	v->apicv_stale = false;
}

void vapic_page_ack(struct vcpu *v, u8 vector)
{
	u32 w = vector / 32;

	if (!v->apicv_xapic)
		return;
	vapic_reg_put(v->vapic_page.va, LAPIC_REG_ISR + w * 16, v->lapic->isr[w]);
	vapic_reg_put(v->vapic_page.va, LAPIC_REG_IRR + w * 16, v->lapic->irr[w]);
}

void vapic_page_reset(struct vcpu *v)
{
	v->apicv_stale = true;
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
	 */
	if (!(off & 0xf) &&
	    !lapic_mmio_write(v->lapic, off, 4, vapic_reg_get(v->vapic_page.va, off), now, &eff))
		vapic_effects(v, &eff);
	/* what the model made of it (read-only bits, side effects) goes back */
	v->apicv_stale = true;
	os_spin_unlock(v->vm->apic_lock);
}
