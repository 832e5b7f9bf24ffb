// SPDX-License-Identifier: GPL-2.0
/*
 * The local APIC's two register interfaces: the xAPIC's 4 KiB MMIO page and
 * the x2APIC's MSRs 0x800-0x8ff, with their differences (SDM 11.4.1 "The
 * Local APIC Block Diagram" table "Local APIC Register Address Map", 11.12.1.2
 * "x2APIC Register Address Space" table "Local APIC Register Address Map
 * Supported by x2APIC", 11.12.1.3 "Reserved Bit Checking").
 */
#include "irqchip/lapic.h"

/*
 * The register at 16-byte aligned @off, for a read in the APIC's current
 * mode. Returns 0, or -ENOENT for a reserved offset, -EPERM for a register
 * that cannot be read (EOI, SELF IPI).
 */
static int reg_read(struct lapic *l, u32 off, u64 now, u32 *val)
{
	bool x2 = lapic_mode(l) == LAPIC_MODE_X2APIC;

	if (off >= LAPIC_REG_ISR && off < LAPIC_REG_ISR + 0x80) {
		*val = l->isr[(off - LAPIC_REG_ISR) >> 4];
		return 0;
	}
	if (off >= LAPIC_REG_TMR && off < LAPIC_REG_TMR + 0x80) {
		*val = l->tmr[(off - LAPIC_REG_TMR) >> 4];
		return 0;
	}
	if (off >= LAPIC_REG_IRR && off < LAPIC_REG_IRR + 0x80) {
		*val = l->irr[(off - LAPIC_REG_IRR) >> 4];
		return 0;
	}
	if (off >= LAPIC_REG_LVT && off < LAPIC_REG_LVT + 0x10 * LVT_NR) {
		*val = l->lvt[(off - LAPIC_REG_LVT) >> 4];
		return 0;
	}
	switch (off) {
	case LAPIC_REG_ID:
		*val = l->id;
		return 0;
	case LAPIC_REG_LVR:
		*val = LAPIC_VERSION;
		return 0;
	case LAPIC_REG_TPR:
		*val = l->tpr;
		return 0;
	case LAPIC_REG_PPR:
		*val = lapic_ppr(l);
		return 0;
	case LAPIC_REG_LDR:
		*val = l->ldr;
		return 0;
	case LAPIC_REG_SVR:
		*val = l->svr;
		return 0;
	case LAPIC_REG_ESR:
		*val = l->esr;
		return 0;
	case LAPIC_REG_ICR:
		/* delivery status reads 0 (idle): an IPI is sent at the write */
		*val = l->icr_lo;
		return 0;
	case LAPIC_REG_TMICT:
		*val = l->tmict;
		return 0;
	case LAPIC_REG_TMCCT:
		*val = lapic_timer_current(l, now);
		return 0;
	case LAPIC_REG_TDCR:
		*val = l->tdcr;
		return 0;
	case LAPIC_REG_EOI:
		return -EPERM; /* write-only */
	case LAPIC_REG_SELF_IPI:
		return x2 ? -EPERM : -ENOENT;
	}
	/* registers of the xAPIC only (the x2APIC has none of them: SDM 11.12.1.2) */
	if (!x2) {
		switch (off) {
		case LAPIC_REG_APR:
			*val = lapic_apr(l);
			return 0;
		case LAPIC_REG_RRD: /* remote read is not supported: status invalid, 0 */
			*val = 0;
			return 0;
		case LAPIC_REG_DFR:
			*val = l->dfr;
			return 0;
		case LAPIC_REG_ICR2:
			*val = l->icr_hi;
			return 0;
		}
	}
	return -ENOENT;
}

/* An IPI sent by a write to the ICR (xAPIC: the low half; x2APIC: the MSR). */
static void send_icr(struct lapic *l, u32 lo, u32 dest, struct lapic_effects *eff)
{
	struct apic_msg m;

	lapic_icr_msg(l, lo, dest, &m);
	/* a fixed or lowest-priority IPI with vector 0-15: "send illegal vector",
	 * nothing sent (SDM 11.5.3) */
	if ((m.delivery == APIC_DM_FIXED || m.delivery == APIC_DM_LOWEST) && m.vector < 16) {
		lapic_error(l, LAPIC_ESR_SEND_ILLEGAL);
		return;
	}
	/* reserved mode 3 and ExtINT are not IPIs; the self shorthand is valid
	 * with fixed delivery only (SDM 11.6.1, table "Valid Combinations for the
	 * Pentium 4 and Intel Xeon Processors' Local xAPIC Interrupt Command Register") */
	if (m.delivery == 3 || m.delivery == APIC_DM_EXTINT)
		return;
	if (m.shorthand == APIC_SH_SELF && m.delivery != APIC_DM_FIXED)
		return;
	eff->flags |= LAPIC_EFF_IPI;
	eff->ipi = m;
}

/* A write common to both modes, at 16-byte aligned @off. Returns 0, or -EPERM
 * when the register cannot be written here (read-only or reserved). */
static int reg_write(struct lapic *l, u32 off, u32 val, u64 now, struct lapic_effects *eff)
{
	if (off >= LAPIC_REG_LVT && off < LAPIC_REG_LVT + 0x10 * LVT_NR) {
		lapic_write_lvt(l, (off - LAPIC_REG_LVT) >> 4, val, now, eff);
		return 0;
	}
	switch (off) {
	case LAPIC_REG_TPR:
		lapic_write_tpr(l, val);
		return 0;
	case LAPIC_REG_EOI:
		lapic_eoi(l, eff);
		return 0;
	case LAPIC_REG_SVR:
		lapic_write_svr(l, val);
		return 0;
	case LAPIC_REG_ESR:
		lapic_write_esr(l);
		return 0;
	case LAPIC_REG_TMICT:
		lapic_timer_write_tmict(l, val, now, eff);
		return 0;
	case LAPIC_REG_TDCR:
		lapic_timer_write_tdcr(l, val, now, eff);
		return 0;
	}
	return -EPERM;
}

int lapic_mmio_read(struct lapic *l, u32 off, u32 size, u64 now, u32 *val)
{
	u32 reg = 0, in = off & 0xf;

	if (lapic_mode(l) != LAPIC_MODE_XAPIC)
		return -ENODEV;
	if ((size != 1 && size != 2 && size != 4) || off >= 0x1000 || off + size > 0x1000)
		return -EINVAL;
	*val = 0;
	/* bytes 4-15 of each 16-byte slot are reserved: they read 0 */
	if (in + size > 4)
		return 0;
	if (reg_read(l, off & ~0xfu, now, &reg))
		return 0;
	reg >>= in * 8;
	*val = size == 4 ? reg : reg & ((1u << (size * 8)) - 1);
	return 0;
}

int lapic_mmio_write(struct lapic *l, u32 off, u32 size, u32 val, u64 now,
		     struct lapic_effects *eff)
{
	if (lapic_mode(l) != LAPIC_MODE_XAPIC)
		return -ENODEV;
	if ((size != 1 && size != 2 && size != 4) || off >= 0x1000 || off + size > 0x1000)
		return -EINVAL;
	/* "All registers must be accessed using 128-bit aligned 32-bit loads or
	 * stores" (SDM 11.4.1): a narrower or unaligned store has no effect here */
	if (size != 4 || (off & 0xf))
		return 0;
	switch (off) {
	case LAPIC_REG_ID:
		/* read/write in the xAPIC: bits 31:24 (SDM 11.4.6) */
		l->id = val & 0xff000000u;
		return 0;
	case LAPIC_REG_LDR:
		l->ldr = val & 0xff000000u;
		return 0;
	case LAPIC_REG_DFR:
		/* model in bits 31:28; bits 27:0 are reserved and read as 1 (SDM 11.6.2.2) */
		l->dfr = val | 0x0fffffffu;
		return 0;
	case LAPIC_REG_ICR2:
		l->icr_hi = val & 0xff000000u;
		return 0;
	case LAPIC_REG_ICR:
		l->icr_lo = val & LAPIC_ICR_WRITABLE;
		send_icr(l, l->icr_lo, l->icr_hi >> 24, eff);
		return 0;
	}
	/* read-only and reserved offsets ignore writes */
	reg_write(l, off, val, now, eff);
	return 0;
}

int lapic_msr_read(struct lapic *l, u32 msr, u64 now, u64 *val)
{
	u32 off = (msr - LAPIC_MSR_BASE) << 4, v;

	if (msr < LAPIC_MSR_BASE || msr > LAPIC_MSR_LAST)
		return -ENOENT;
	/* the MSRs exist in x2APIC mode only (SDM 11.12.1.2) */
	if (lapic_mode(l) != LAPIC_MODE_X2APIC)
		return -EINVAL;
	if (off == LAPIC_REG_ICR) {
		/* one 64-bit register: destination in 63:32 (SDM 11.12.9, "ICR Operation in x2APIC
		 * Mode") */
		*val = (u64)l->icr_hi << 32 | l->icr_lo;
		return 0;
	}
	if (reg_read(l, off, now, &v))
		return -EINVAL;
	*val = v;
	return 0;
}

int lapic_msr_write(struct lapic *l, u32 msr, u64 val, u64 now, struct lapic_effects *eff)
{
	u32 off = (msr - LAPIC_MSR_BASE) << 4;

	if (msr < LAPIC_MSR_BASE || msr > LAPIC_MSR_LAST)
		return -ENOENT;
	if (lapic_mode(l) != LAPIC_MODE_X2APIC)
		return -EINVAL;
	if (off == LAPIC_REG_ICR) {
		/* delivery status (bit 12) is reserved in x2APIC mode */
		l->icr_lo = (u32)val & LAPIC_ICR_WRITABLE & ~LAPIC_STATUS;
		l->icr_hi = val >> 32;
		send_icr(l, l->icr_lo, l->icr_hi, eff);
		return 0;
	}
	/*
	 * All the other x2APIC registers are 32 bits: bits 63:32 are reserved
	 * and a write setting one is a #GP (SDM 11.12.1.3, "Reserved Bit
	 * Checking"). That RsvdZ rule is applied here to bits 63:32, EOI, ESR
	 * and SELF IPI; the reserved bits of TPR, SVR, the LVT and the timer
	 * registers are dropped as in xAPIC mode (as KVM does, and what guests
	 * are tested against).
	 */
	if (val >> 32)
		return -EINVAL;
	switch (off) {
	case LAPIC_REG_EOI:
	case LAPIC_REG_ESR:
		/* only 0 may be written to EOI and ESR in x2APIC mode (SDM 11.12.1.3, 11.5.3) */
		if (val)
			return -EINVAL;
		break;
	case LAPIC_REG_SELF_IPI: {
		/* SELF IPI: a fixed, edge IPI of vector bits 7:0 to this APIC; bits
		 * 31:8 are reserved (SDM 11.12.11, "SELF IPI Register") */
		struct apic_msg m = { .vector = val & LAPIC_VECTOR, .delivery = APIC_DM_FIXED };

		if (val & ~(u64)LAPIC_VECTOR)
			return -EINVAL;
		if (m.vector < 16)
			lapic_error(l, LAPIC_ESR_SEND_ILLEGAL);
		else
			lapic_accept(l, &m);
		return 0;
	}
	}
	/* read-only (ID, version, LDR, PPR, ISR/TMR/IRR, current count) and
	 * reserved registers: #GP */
	return reg_write(l, off, val, now, eff) ? -EINVAL : 0;
}
