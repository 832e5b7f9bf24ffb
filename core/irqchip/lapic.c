// SPDX-License-Identifier: GPL-2.0
/*
 * The local APIC model's state and logic: reset, IA32_APIC_BASE, priorities,
 * acceptance of interrupt messages, EOI, destination matching. The register
 * interfaces are in lapic_regs.c, the timer in lapic_timer.c, the routing
 * between APICs in apic_bus.c. Section numbers: see lapic.h.
 */
#include "irqchip/lapic.h"

/* ---- 256-bit vectors (IRR, ISR, TMR) ---------------------------------- */

static void vec_set(u32 *v, u8 n)
{
	v[n >> 5] |= 1u << (n & 31);
}

static void vec_clear(u32 *v, u8 n)
{
	v[n >> 5] &= ~(1u << (n & 31));
}

static bool vec_test(const u32 *v, u8 n)
{
	return v[n >> 5] & (1u << (n & 31));
}

static int vec_highest(const u32 *v)
{
	int i;

	for (i = 7; i >= 0; i--)
		if (v[i])
			return i * 32 + 31 - __builtin_clz(v[i]);
	return -1;
}

/* ---- reset and IA32_APIC_BASE ----------------------------------------- */

/* The x2APIC LDR derived from the ID (SDM 11.12.10.2, "Deriving Logical x2APIC ID"). */
static u32 x2apic_ldr(u32 id)
{
	return ((id >> 4) << 16) | (1u << (id & 0xf));
}

/* The registers' power-up values (SDM 11.4.7.1), all but IA32_APIC_BASE and the ID. */
static void reset_regs(struct lapic *l)
{
	int i;

	l->tpr = 0;
	l->ldr = 0;
	l->dfr = 0xffffffffu;
	l->svr = 0xff;
	for (i = 0; i < 8; i++)
		l->irr[i] = l->isr[i] = l->tmr[i] = l->irr_new[i] = 0;
	l->icr_lo = l->icr_hi = 0;
	for (i = 0; i < LVT_NR; i++)
		l->lvt[i] = LAPIC_LVT_MASKED;
	l->esr = l->esr_pending = 0;
	l->tmict = l->tdcr = 0;
	l->timer_start = 0;
	l->timer_count = 0;
	l->tsc_deadline = 0;
	l->timer_armed = false;
	l->nmi_pending = l->smi_pending = l->init_pending = false;
	l->extint_pending = l->sipi_pending = false;
	l->sipi_vector = 0;
}

void lapic_init(struct lapic *l, const struct lapic_config *cfg)
{
	l->cfg = *cfg;
	if (!l->cfg.bus_ns)
		l->cfg.bus_ns = 1;
	if (!l->cfg.phys_bits || l->cfg.phys_bits > 52)
		l->cfg.phys_bits = 36;
	l->apic_base = LAPIC_BASE_DEFAULT | LAPIC_BASE_EN | (cfg->bsp ? LAPIC_BASE_BSP : 0);
	/* the xAPIC ID register holds the ID in bits 31:24 (SDM 11.4.6, "Local APIC ID") */
	l->id = (cfg->id & 0xff) << 24;
	l->wait_sipi = false;
	reset_regs(l);
}

void lapic_init_signal(struct lapic *l)
{
	reset_regs(l);
	/* in x2APIC mode the LDR is a function of the ID and keeps its value */
	if (lapic_mode(l) == LAPIC_MODE_X2APIC)
		l->ldr = x2apic_ldr(l->id);
}

enum lapic_mode lapic_mode(const struct lapic *l)
{
	if (!(l->apic_base & LAPIC_BASE_EN))
		return LAPIC_MODE_DISABLED;
	return (l->apic_base & LAPIC_BASE_EXTD) ? LAPIC_MODE_X2APIC : LAPIC_MODE_XAPIC;
}

bool lapic_sw_enabled(const struct lapic *l)
{
	return lapic_mode(l) != LAPIC_MODE_DISABLED && (l->svr & LAPIC_SVR_ENABLE);
}

u32 lapic_id(const struct lapic *l)
{
	return lapic_mode(l) == LAPIC_MODE_X2APIC ? l->id : l->id >> 24;
}

static enum lapic_mode mode_of(u64 base)
{
	if (!(base & LAPIC_BASE_EN))
		return LAPIC_MODE_DISABLED;
	return (base & LAPIC_BASE_EXTD) ? LAPIC_MODE_X2APIC : LAPIC_MODE_XAPIC;
}

int lapic_set_base(struct lapic *l, u64 val, bool host)
{
	/* Bits 7:0, 9 and those from MAXPHYADDR up are reserved (SDM 11.4.4, figure
	 * "IA32_APIC_BASE MSR"); EXTD needs CPUID.1:ECX.x2APIC (SDM 11.12.1). */
	u64 rsvd = ~((1ull << l->cfg.phys_bits) - 1) | 0x2ffull;
	enum lapic_mode from = lapic_mode(l), to;

	if (!l->cfg.x2apic)
		rsvd |= LAPIC_BASE_EXTD;
	if (val & rsvd)
		return -EINVAL;
	/* EN=0 with EXTD=1 is the invalid state of SDM 11.12.5 figure "Local x2APIC State
	 * Transitions" */
	if ((val & LAPIC_BASE_EXTD) && !(val & LAPIC_BASE_EN))
		return -EINVAL;
	to = mode_of(val);
	/* x2APIC -> xAPIC and disabled -> x2APIC are illegal transitions (SDM 11.12.5.1) */
	if (!host && ((from == LAPIC_MODE_X2APIC && to == LAPIC_MODE_XAPIC) ||
		      (from == LAPIC_MODE_DISABLED && to == LAPIC_MODE_X2APIC)))
		return -EINVAL;
	l->apic_base = val;
	if (to == from)
		return 0;
	if (to == LAPIC_MODE_DISABLED) {
		/* "the APIC ... is reset to its power-up state" (SDM 11.4.3 and 11.12.5.1) */
		reset_regs(l);
		l->id = (l->cfg.id & 0xff) << 24;
	} else if (to == LAPIC_MODE_X2APIC) {
		/* the x2APIC ID is the initial one; the LDR is derived from it (SDM 11.12.5.1) */
		l->id = l->cfg.id;
		l->ldr = x2apic_ldr(l->id);
		l->icr_hi = 0;
	} else if (from == LAPIC_MODE_X2APIC) {
		/* host-only x2APIC -> xAPIC: the 8-bit ID, flat logical mode */
		l->id = (l->cfg.id & 0xff) << 24;
		l->ldr = 0;
		l->dfr = 0xffffffffu;
	}
	return 0;
}

/* ---- priorities (SDM 11.8.3.1) ------------------------------------------ */

u32 lapic_ppr(const struct lapic *l)
{
	int isrv = lapic_highest_isr(l);
	u32 isr_class = isrv < 0 ? 0 : (u32)isrv & 0xf0;

	/* PPR = TPR if TPR[7:4] >= ISRV[7:4], else ISRV[7:4] with PPR[3:0] = 0 */
	return (l->tpr & 0xf0) >= isr_class ? l->tpr & 0xff : isr_class;
}

u32 lapic_apr(const struct lapic *l)
{
	int isrv = lapic_highest_isr(l), irrv = lapic_highest_irr(l);
	u32 tpr = l->tpr & 0xf0, isr = isrv < 0 ? 0 : isrv & 0xf0, irr = irrv < 0 ? 0 : irrv & 0xf0;
	u32 max = tpr;

	/* APR = TPR if TPR[7:4] >= IRRV[7:4] and TPR[7:4] > ISRV[7:4], else the
	 * highest of the three classes with APR[3:0] = 0 (SDM, figure "Arbitration
	 * Priority Register (APR)" of the P6/Pentium APIC; kept as such here) */
	if (tpr >= irr && tpr > isr)
		return l->tpr & 0xff;
	if (isr > max)
		max = isr;
	if (irr > max)
		max = irr;
	return max;
}

int lapic_highest_irr(const struct lapic *l)
{
	return vec_highest(l->irr);
}

int lapic_highest_isr(const struct lapic *l)
{
	return vec_highest(l->isr);
}

int lapic_pending_vector(const struct lapic *l)
{
	int v = lapic_highest_irr(l);

	if (v < 0 || ((u32)v & 0xf0) <= (lapic_ppr(l) & 0xf0))
		return -1;
	return v;
}

int lapic_tpr_held_class(const struct lapic *l)
{
	int irrv = lapic_highest_irr(l), isrv;
	u32 class;

	/* held by the TPR alone: not above the TPR's class, above the in-service one */
	if (irrv < 0)
		return 0;
	class = (u32)irrv >> 4;
	if (class > (l->tpr & 0xf0) >> 4)
		return 0;
	isrv = lapic_highest_isr(l);
	return isrv >= 0 && class <= (u32)isrv >> 4 ? 0 : class;
}

void lapic_ack(struct lapic *l, u8 vector)
{
	vec_clear(l->irr, vector);
	vec_set(l->isr, vector);
}

int lapic_eoi(struct lapic *l, struct lapic_effects *eff)
{
	int v = lapic_highest_isr(l);

	if (v < 0)
		return -1;
	vec_clear(l->isr, v);
	/* a level-triggered vector's EOI goes to the IO-APICs (SDM 11.8.5);
	 * suppression (SVR bit 12) is not offered: LAPIC_VERSION bit 24 is 0 */
	if (vec_test(l->tmr, v)) {
		eff->flags |= LAPIC_EFF_EOI_LEVEL;
		eff->eoi_vector = v;
	}
	/* LINT0/LINT1 level-triggered fixed entries: their remote IRR clears on
	 * the EOI of their vector (SDM 11.5.1, "Remote IRR Flag") */
	if ((l->lvt[LVT_LINT0] & LAPIC_VECTOR) == (u32)v)
		l->lvt[LVT_LINT0] &= ~LAPIC_REMOTE_IRR;
	if ((l->lvt[LVT_LINT1] & LAPIC_VECTOR) == (u32)v)
		l->lvt[LVT_LINT1] &= ~LAPIC_REMOTE_IRR;
	return v;
}

/* ---- errors and local sources ------------------------------------------ */

void lapic_error(struct lapic *l, u32 bits)
{
	u32 lvt = l->lvt[LVT_ERROR];
	bool fresh = bits & ~l->esr_pending;

	l->esr_pending |= bits;
	/* an error interrupt is generated when an error is detected (SDM 11.5.3);
	 * an illegal error vector records one more error, already pending here,
	 * so this does not recurse more than once */
	if (fresh && !(lvt & LAPIC_LVT_MASKED)) {
		struct apic_msg m = { .vector = lvt & LAPIC_VECTOR, .delivery = APIC_DM_FIXED };

		lapic_accept(l, &m);
	}
}

void lapic_write_esr(struct lapic *l)
{
	/* "This write clears any previously logged errors and updates the ESR
	 * with any errors detected since the last write" (SDM 11.5.3) */
	l->esr = l->esr_pending;
	l->esr_pending = 0;
}

bool lapic_lvt_fire(struct lapic *l, enum lapic_lvt lvt)
{
	u32 e = l->lvt[lvt];
	struct apic_msg m = {
		.vector = e & LAPIC_VECTOR,
		.delivery = (e & LAPIC_DM_MASK) >> LAPIC_DM_SHIFT,
		.assert = true,
	};

	if (e & LAPIC_LVT_MASKED)
		return false;
	/* the timer and error entries have no delivery mode field: fixed, edge */
	if (lvt == LVT_TIMER || lvt == LVT_ERROR)
		m.delivery = APIC_DM_FIXED;
	/* LINT0/LINT1 fixed and level-triggered: not again until the EOI clears
	 * the remote IRR (SDM 11.5.1) */
	if ((lvt == LVT_LINT0 || lvt == LVT_LINT1) && m.delivery == APIC_DM_FIXED &&
	    (e & LAPIC_TRIGGER)) {
		if (e & LAPIC_REMOTE_IRR)
			return false;
		m.level = true;
	}
	if (!lapic_accept(l, &m))
		return false;
	if (m.level)
		l->lvt[lvt] |= LAPIC_REMOTE_IRR;
	return true;
}

/* ---- acceptance and destinations --------------------------------------- */

bool lapic_accept(struct lapic *l, const struct apic_msg *m)
{
	if (lapic_mode(l) == LAPIC_MODE_DISABLED)
		return false;
	switch (m->delivery) {
	case APIC_DM_FIXED:
	case APIC_DM_LOWEST:
		/* a software-disabled APIC takes only INIT, NMI, SMI and SIPI
		 * (SDM 11.4.7.2, "Local APIC State After It Has Been Software Disabled") */
		if (!(l->svr & LAPIC_SVR_ENABLE))
			return false;
		/* vectors 0-15 are reserved: "received illegal vector" (SDM 11.5.2, 11.5.3) */
		if (m->vector < 16) {
			lapic_error(l, LAPIC_ESR_RECV_ILLEGAL);
			return false;
		}
		vec_set(l->irr, m->vector);
		vec_set(l->irr_new, m->vector);
		if (m->level)
			vec_set(l->tmr, m->vector);
		else
			vec_clear(l->tmr, m->vector);
		return true;
	case APIC_DM_NMI:
		l->nmi_pending = true;
		return true;
	case APIC_DM_SMI:
		l->smi_pending = true;
		return true;
	case APIC_DM_INIT:
		/* INIT level de-assert: only for P6 and Pentium (SDM 11.6.1) */
		if (m->level && !m->assert)
			return false;
		/*
		 * The APIC resets at once (SDM 11.4.7.3), a start-up IPI sent
		 * after this one is taken; the vCPU resets its own state
		 * (init_pending). An AP then waits for a SIPI, the BSP starts
		 * at the reset vector (SDM 9.4.1, "BSP and AP Processors").
		 */
		lapic_init_signal(l);
		l->init_pending = true;
		l->wait_sipi = !(l->apic_base & LAPIC_BASE_BSP);
		return true;
	case APIC_DM_SIPI:
		/* a start-up IPI is taken only in wait-for-SIPI (SDM 9.4.4 and 11.6.1) */
		if (!l->wait_sipi || l->sipi_pending)
			return false;
		l->sipi_pending = true;
		l->sipi_vector = m->vector;
		return true;
	case APIC_DM_EXTINT:
		l->extint_pending = true;
		return true;
	default: /* 3 is reserved */
		return false;
	}
}

static bool match_logical(const struct lapic *l, const struct apic_msg *m)
{
	u32 ldr = l->ldr, dest = m->dest;

	if (lapic_mode(l) == LAPIC_MODE_X2APIC) {
		/* x2APIC: always cluster; dest[31:16] cluster, dest[15:0] a bitmap
		 * (SDM 11.12.10.2); 0xffffffff is the broadcast */
		if (dest == 0xffffffffu || (!m->x2apic && dest == 0xff))
			return true;
		return (dest >> 16) == (ldr >> 16) && (dest & ldr & 0xffff);
	}
	dest &= 0xff;
	ldr >>= 24;
	if (dest == 0xff)
		return true;
	/* DFR[31:28] 1111b flat: the bitmaps intersect; 0000b cluster: dest[7:4]
	 * names the cluster (15 = all), dest[3:0] a bitmap in it (SDM 11.6.2.2) */
	if ((l->dfr >> 28) == 0xf)
		return dest & ldr;
	if ((dest >> 4) != 0xf && (dest >> 4) != (ldr >> 4))
		return false;
	return dest & ldr & 0xf;
}

bool lapic_match_dest(const struct lapic *l, const struct apic_msg *m)
{
	enum lapic_mode mode = lapic_mode(l);

	if (mode == LAPIC_MODE_DISABLED)
		return false;
	if (m->logical)
		return match_logical(l, m);
	/* physical: the ID, or the broadcast ID (SDM 11.6.2.1; 11.12.9 for 0xffffffff) */
	if (m->x2apic)
		return m->dest == 0xffffffffu || m->dest == lapic_id(l);
	return (m->dest & 0xff) == 0xff || (m->dest & 0xff) == lapic_id(l);
}

void lapic_icr_msg(const struct lapic *l, u32 lo, u32 dest, struct apic_msg *m)
{
	m->vector = lo & LAPIC_VECTOR;
	m->delivery = (lo & LAPIC_DM_MASK) >> LAPIC_DM_SHIFT;
	m->logical = lo & LAPIC_DEST_LOGICAL;
	m->assert = lo & LAPIC_LEVEL_ASSERT;
	m->level = lo & LAPIC_TRIGGER;
	m->shorthand = (lo >> LAPIC_SH_SHIFT) & 3;
	m->x2apic = lapic_mode(l) == LAPIC_MODE_X2APIC;
	m->dest = m->x2apic ? dest : dest & 0xff;
	/* only INIT (assert/de-assert) sends a level-triggered IPI: other modes are
	 * edge messages whatever the trigger bit says (SDM 11.6.1, "Trigger Mode") */
	if (m->delivery != APIC_DM_INIT)
		m->level = false;
	if (m->delivery == APIC_DM_INIT && !m->level)
		m->assert = true;
}

/* ---- register writes shared by xAPIC and x2APIC -------------------------- */

void lapic_write_tpr(struct lapic *l, u32 val)
{
	l->tpr = val & 0xff;
}

void lapic_write_svr(struct lapic *l, u32 val)
{
	int i;

	/* vector, APIC enable, focus processor checking (SDM 11.9) */
	l->svr = val & (LAPIC_VECTOR | LAPIC_SVR_ENABLE | LAPIC_SVR_NO_FOCUS);
	/* software disable sets every LVT mask bit (SDM 11.4.7.2) */
	if (!(l->svr & LAPIC_SVR_ENABLE))
		for (i = 0; i < LVT_NR; i++)
			l->lvt[i] |= LAPIC_LVT_MASKED;
}

void lapic_write_lvt(struct lapic *l, enum lapic_lvt lvt, u32 val, u64 now,
		     struct lapic_effects *eff)
{
	/* the writable fields of each entry (SDM 11.5.1, figure "Local Vector Table") */
	static const u32 writable[LVT_NR] = {
		[LVT_TIMER] = LAPIC_VECTOR | LAPIC_LVT_MASKED,
		[LVT_THERMAL] = LAPIC_VECTOR | LAPIC_DM_MASK | LAPIC_LVT_MASKED,
		[LVT_PERF] = LAPIC_VECTOR | LAPIC_DM_MASK | LAPIC_LVT_MASKED,
		[LVT_LINT0] = LAPIC_VECTOR | LAPIC_DM_MASK | LAPIC_POLARITY | LAPIC_TRIGGER |
			      LAPIC_LVT_MASKED,
		[LVT_LINT1] = LAPIC_VECTOR | LAPIC_DM_MASK | LAPIC_POLARITY | LAPIC_TRIGGER |
			      LAPIC_LVT_MASKED,
		[LVT_ERROR] = LAPIC_VECTOR | LAPIC_LVT_MASKED,
	};

	/* while software-disabled the mask bits stay set (SDM 11.4.7.2) */
	if (!(l->svr & LAPIC_SVR_ENABLE))
		val |= LAPIC_LVT_MASKED;
	if (lvt == LVT_TIMER) {
		lapic_timer_write_lvt(l, val, now, eff);
		return;
	}
	/* the remote IRR is read-only: kept across the write */
	l->lvt[lvt] = (val & writable[lvt]) | (l->lvt[lvt] & LAPIC_REMOTE_IRR);
	/* an edge-triggered LINT entry has no remote IRR */
	if (!(l->lvt[lvt] & LAPIC_TRIGGER))
		l->lvt[lvt] &= ~LAPIC_REMOTE_IRR;
}
