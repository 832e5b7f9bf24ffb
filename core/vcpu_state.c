// SPDX-License-Identifier: GPL-2.0
/*
 * Validation of a complete vCPU state (HAX_VCPU_IOCTL_SET_STATE): every
 * field, against the checks VM entry makes on the guest state (SDM 26.3.1)
 * and on the event it injects (SDM 26.2.1.3), and the MSRs as a host write
 * of SET_MSRS takes them. Pure logic: the caller brings the host's limits.
 */
#include "vcpu_state.h"
#include "vmx/guest_ext.h"
#include "vmx/vmx.h"

#define STATE_CR0_DEFINED 0xe005003fULL /* PE MP EM TS ET NE WP AM NW CD PG */
#define STATE_CR4_PCIDE	  (1ULL << 17)
#define STATE_EFER_SCE	  1ULL
#define EFER_ALLOWED	  (STATE_EFER_SCE | HAX_EFER_LME | HAX_EFER_LMA | HAX_EFER_NXE)
/* RFLAGS bits that must be 0 (3, 5, 15, 63:22); bit 1 must be 1. */
#define RFLAGS_RSVD (~0x3f7fd7ULL)
/* Access-rights bits 11:8 and 31:17 are reserved (SDM 24.4.1). */
#define AR_RSVD 0xfffe0f00u
/* Pending debug exceptions: B0-B3, enabled breakpoint, BS (SDM 24.4.2). */
#define PDBG_VALID (0xfULL | (1ULL << 12) | (1ULL << 14))
#define PDBG_BS	   (1ULL << 14)

#define BAD(cond)                       \
	do {                            \
		if (cond)               \
			return -EINVAL; \
	} while (0)

/* G must agree with the limit (SDM 26.3.1.2). */
static bool limit_ok(u32 limit, u32 ar)
{
	if ((limit & 0xfff) != 0xfff && (ar & VMX_AR_G))
		return false;
	return !(limit >> 20) || (ar & VMX_AR_G);
}

static u32 ar_type(u32 ar)
{
	return ar & VMX_AR_TYPE_MASK;
}

static u32 ar_dpl(u32 ar)
{
	return (ar & VMX_AR_DPL_MASK) >> 5;
}

/* A usable DS, ES, FS or GS (or SS, @ss) outside virtual-8086 mode. */
static int check_data_seg(const segment_desc_t *d, bool ss, bool pe)
{
	u32 ar = d->ar, t = ar_type(ar);

	if (ar & VMX_AR_UNUSABLE)
		return 0;
	if (ss)
		BAD(t != 3 && t != 7);
	else
		BAD(!(t & 1) || ((t & 8) && !(t & 2))); /* accessed; code readable */
	BAD(!(ar & VMX_AR_S) || !(ar & VMX_AR_P) || !limit_ok(d->limit, ar));
	BAD(ss && !pe && ar_dpl(ar));
	return 0;
}

static int check_cs(const segment_desc_t *cs, const segment_desc_t *ss, bool pe, bool lma)
{
	u32 ar = cs->ar, t = ar_type(ar);

	BAD(ar & VMX_AR_UNUSABLE);
	BAD(!(ar & VMX_AR_S) || !(ar & VMX_AR_P) || !limit_ok(cs->limit, ar));
	BAD(cs->base >> 32);
	BAD(lma && (ar & VMX_AR_L) && (ar & VMX_AR_DB));
	if (t == 3) /* unrestricted guest, real mode */
		BAD(pe || ar_dpl(ar));
	else if (t == 9 || t == 11)
		BAD(ar_dpl(ar) != ar_dpl(ss->ar));
	else if (t == 13 || t == 15)
		BAD(ar_dpl(ar) > ar_dpl(ss->ar));
	else
		return -EINVAL;
	BAD(t == 3 && ar_dpl(ss->ar));
	return 0;
}

/* LDTR (@ldt) or TR: system segments, canonical bases, no TI in the selector. */
static int check_sys_seg(const segment_desc_t *d, bool ldt, bool lma, int vbits)
{
	u32 ar = d->ar, t = ar_type(ar);

	if (ldt && (ar & VMX_AR_UNUSABLE))
		return 0;
	BAD(ar & VMX_AR_UNUSABLE);
	BAD((d->selector & 4) || !msr_canonical(d->base, vbits));
	BAD((ar & VMX_AR_S) || !(ar & VMX_AR_P) || !limit_ok(d->limit, ar));
	if (ldt)
		BAD(t != 2);
	else
		BAD(t != 11 && (lma || t != 3));
	return 0;
}

static int check_segments(const vcpu_state_t *r, bool pe, bool v86, bool lma, int vbits)
{
	const segment_desc_t *seg[6] = { &r->_cs, &r->_ss, &r->_ds, &r->_es, &r->_fs, &r->_gs };
	const segment_desc_t *all[8] = { &r->_cs, &r->_ss, &r->_ds,  &r->_es,
					 &r->_fs, &r->_gs, &r->_ldt, &r->_tr };
	const segment_desc_t *tbl[2] = { &r->_gdt, &r->_idt };
	int i;

	for (i = 0; i < 8; i++)
		BAD(all[i]->_dummy || all[i]->ipad || (all[i]->ar & AR_RSVD));
	for (i = 0; i < 2; i++)
		BAD(tbl[i]->selector || tbl[i]->_dummy || tbl[i]->ipad || tbl[i]->ar ||
		    tbl[i]->limit > 0xffff || !msr_canonical(tbl[i]->base, vbits));
	BAD(!msr_canonical(r->_fs.base, vbits) || !msr_canonical(r->_gs.base, vbits));
	if (v86) {
		for (i = 0; i < 6; i++)
			BAD(seg[i]->base != (u64)seg[i]->selector << 4 || seg[i]->limit != 0xffff ||
			    seg[i]->ar != 0xf3);
	} else {
		if (check_cs(&r->_cs, &r->_ss, pe, lma) || check_data_seg(&r->_ss, true, pe))
			return -EINVAL;
		for (i = 2; i < 6; i++)
			if (check_data_seg(seg[i], false, pe))
				return -EINVAL;
		/* SS, DS, ES bases: 32 bits when usable */
		for (i = 1; i < 4; i++)
			BAD(!(seg[i]->ar & VMX_AR_UNUSABLE) && (seg[i]->base >> 32));
	}
	if (check_sys_seg(&r->_ldt, true, lma, vbits) || check_sys_seg(&r->_tr, false, lma, vbits))
		return -EINVAL;
	return 0;
}

/* CR0, CR3, CR4, EFER, CR8, RFLAGS, RIP, DR0-7, SYSENTER_*. */
static int check_regs(const struct hax_vcpu_full_state *s, const struct vcpu_state_limits *lim)
{
	const vcpu_state_t *r = &s->regs;
	u64 cr0 = r->_cr0, cr4 = r->_cr4, efer = r->_efer, fl = r->_rflags;
	bool pe = cr0 & HAX_CR0_PE, pg = cr0 & HAX_CR0_PG, lma = efer & HAX_EFER_LMA;
	int vbits = lim->msr.virt_bits, i;
	const u64 dr[4] = { r->_dr0, r->_dr1, r->_dr2, r->_dr3 };

	BAD((cr0 & ~STATE_CR0_DEFINED) || (pg && !pe) ||
	    ((cr0 & HAX_CR0_NW) && !(cr0 & HAX_CR0_CD)));
	BAD((cr4 & ~lim->cr4_allowed) || (cr4 & HAX_CR4_VMXE));
	BAD((cr4 & STATE_CR4_PCIDE) && !lma);
	BAD((cr4 & HAX_CR4_CET) && !(cr0 & HAX_CR0_WP));
	BAD(r->_cr3 >> lim->msr.phys_bits);
	BAD(efer & ~EFER_ALLOWED);
	BAD(lma ? !(pg && (cr4 & HAX_CR4_PAE) && (efer & HAX_EFER_LME))
		: (pg && (efer & HAX_EFER_LME)));
	BAD(s->cr8 > 15);
	BAD((fl & RFLAGS_RSVD) || !(fl & HAX_RFLAGS_FIXED));
	BAD((fl & HAX_RFLAGS_VM) && (!pe || lma));
	if (lma && (r->_cs.ar & VMX_AR_L) && !(r->_cs.ar & VMX_AR_UNUSABLE))
		BAD(!msr_canonical(r->_rip, vbits));
	else
		BAD(r->_rip >> 32);
	for (i = 0; i < 4; i++)
		BAD(!msr_canonical(dr[i], vbits));
	BAD(r->_dr6 != dr6_fix(r->_dr6) || r->_dr7 != dr7_fix(r->_dr7));
	BAD(!msr_canonical(r->_sysenter_eip, vbits) || !msr_canonical(r->_sysenter_esp, vbits));
	BAD(r->_pde || r->pad);
	return check_segments(r, pe, fl & HAX_RFLAGS_VM, lma, vbits);
}

/* The event of the next entry (SDM 26.2.1.3). */
static int check_event(const struct hax_vcpu_full_state *s)
{
	u32 info = s->event_info, type = info & INTR_INFO_TYPE_MASK, vec = info & 0xff;
	bool pe = s->regs._cr0 & HAX_CR0_PE, code;

	if (!(info & INTR_INFO_VALID))
		return info || s->event_error || s->event_len ? -EINVAL : 0;
	BAD(info & 0x7ffff000u);
	switch (type) {
	case INTR_TYPE_EXT_INTR:
		break;
	case INTR_TYPE_NMI:
		BAD(vec != HAX_VEC_NMI);
		break;
	case INTR_TYPE_HW_EXCEPTION:
		BAD(vec > 31);
		break;
	case INTR_TYPE_SW_INTR:
	case INTR_TYPE_PRIV_SW_EXCEPTION:
	case INTR_TYPE_SW_EXCEPTION:
		BAD(s->event_len < 1);
		break;
	default:
		return -EINVAL;
	}
	BAD(s->event_len > 15);
	code = pe && type == INTR_TYPE_HW_EXCEPTION &&
	       (vec == 8 || (vec >= 10 && vec <= 14) || vec == 17 || vec == 21);
	BAD(!!(info & INTR_INFO_DELIVER_CODE) != code);
	BAD(code ? s->event_error >> 16 : s->event_error);
	return 0;
}

/* Interruptibility, activity state, pending debug exceptions (SDM 26.3.1.5). */
static int check_blocking(const struct hax_vcpu_full_state *s)
{
	const vcpu_state_t *r = &s->regs;
	u64 is = r->_interruptibility_state, pd = s->pending_dbg;
	u32 info = s->event_info, type = info & INTR_INFO_TYPE_MASK, vec = info & 0xff;
	bool valid = info & INTR_INFO_VALID,
	     shadow = is & (HAX_INTR_BLOCK_STI | HAX_INTR_BLOCK_MOVSS);
	bool hlt = r->_activity_state == HAX_ACTIVITY_HLT;

	BAD((is & ~0xfULL) || (is & HAX_INTR_BLOCK_SMI));
	BAD((is & HAX_INTR_BLOCK_STI) && (is & HAX_INTR_BLOCK_MOVSS));
	BAD((is & HAX_INTR_BLOCK_STI) && !(r->_rflags & HAX_RFLAGS_IF));
	BAD(valid && (type == INTR_TYPE_EXT_INTR || type == INTR_TYPE_NMI) && shadow);
	BAD(valid && type == INTR_TYPE_EXT_INTR && !(r->_rflags & HAX_RFLAGS_IF));
	BAD(r->_activity_state > HAX_ACTIVITY_HLT);
	if (hlt) {
		BAD(shadow || ((r->_cr0 & HAX_CR0_PE) && ar_dpl(r->_ss.ar)));
		BAD(valid && type != INTR_TYPE_EXT_INTR && type != INTR_TYPE_NMI &&
		    !(type == INTR_TYPE_HW_EXCEPTION && (vec == HAX_VEC_DB || vec == HAX_VEC_MC)));
	}
	BAD(pd & ~PDBG_VALID);
	/* DEBUGCTL.BTF is always 0 here: BS is set exactly when TF is. */
	if (shadow || hlt)
		BAD(!!(pd & PDBG_BS) != !!(r->_rflags & HAX_RFLAGS_TF));
	return 0;
}

/* PDPTEs: the reserved bits of present ones under PAE paging, else all 0. */
static int check_pdptes(const struct hax_vcpu_full_state *s, int phys_bits)
{
	const vcpu_state_t *r = &s->regs;
	bool pae = (r->_cr0 & HAX_CR0_PG) && (r->_cr4 & HAX_CR4_PAE) && !(r->_efer & HAX_EFER_LMA);
	u64 rsvd = 0x1e6ULL | (~0ULL << phys_bits);
	int i;

	for (i = 0; i < 4; i++)
		BAD(pae ? (s->pdpte[i] & 1) && (s->pdpte[i] & rsvd) : s->pdpte[i]);
	return 0;
}

/* The legacy area's MXCSR and the XSAVE header (SDM 13.4.2, 13.8). */
static int check_xsave(const struct hax_vcpu_full_state *s, const struct vcpu_state_limits *lim)
{
	const u8 *x = s->xsave;
	u64 bv, comp, rsvd[6];
	u32 mxcsr;
	int i;

	__builtin_memcpy(&mxcsr, x + 24, sizeof(mxcsr));
	__builtin_memcpy(&bv, x + 512, sizeof(bv));
	__builtin_memcpy(&comp, x + 520, sizeof(comp));
	__builtin_memcpy(rsvd, x + 528, sizeof(rsvd));
	BAD((mxcsr & ~lim->mxcsr_mask) || (bv & ~lim->xfeatures) || comp);
	for (i = 0; i < 6; i++)
		BAD(rsvd[i]);
	return xcr0_check(lim->xcr0, s->xcr0);
}

/* The software MSRs, each as a host write of SET_MSRS takes it. */
static int check_msrs(const struct hax_vcpu_full_state *s, const struct msr_limits *lim,
		      struct msr_state *m)
{
	static const u32 fixed[MTRR_NR_FIXED] = { 0x250, 0x258, 0x259, 0x268, 0x269, 0x26a,
						  0x26b, 0x26c, 0x26d, 0x26e, 0x26f };
	const struct {
		u32 msr;
		u64 val;
	} w[] = {
		{ HAX_MSR_STAR, s->star },
		{ HAX_MSR_LSTAR, s->lstar },
		{ HAX_MSR_CSTAR, s->cstar },
		{ HAX_MSR_FMASK, s->fmask },
		{ HAX_MSR_KERNEL_GS_BASE, s->kernel_gs_base },
		{ HAX_MSR_APIC_BASE, s->apic_base },
		{ HAX_MSR_MISC_ENABLE, s->misc_enable },
		{ HAX_MSR_MTRR_DEF_TYPE, s->mtrr_def_type },
		{ HAX_MSR_FEATURE_CTL, s->feature_control },
	};
	unsigned int i;

	msr_state_reset(m, false);
	for (i = 0; i < sizeof(w) / sizeof(w[0]); i++)
		BAD(msr_soft_write(m, lim, w[i].msr, w[i].val, true));
	/* read-only bits: as GET reports them */
	BAD((s->misc_enable & MISC_ENABLE_RO) != MISC_ENABLE_RO);
	if (lim->tsc_aux)
		BAD(msr_soft_write(m, lim, HAX_MSR_TSC_AUX, s->tsc_aux, true));
	else
		BAD(s->tsc_aux);
	for (i = 0; i < MTRR_NR_FIXED; i++)
		BAD(msr_soft_write(m, lim, fixed[i], s->mtrr_fixed[i], true));
	for (i = 0; i < 2 * MTRR_NR_VAR; i++)
		BAD(msr_soft_write(m, lim, HAX_MSR_MTRR_PHYS_BASE0 + i, s->mtrr_var[i], true));
	BAD(!msr_pat_valid(s->pat));
	m->tsc_adjust = s->tsc_adjust;
	return 0;
}

int vcpu_state_check(const struct hax_vcpu_full_state *s, const struct vcpu_state_limits *lim,
		     struct msr_state *msr)
{
	BAD(s->size != sizeof(*s) || s->version != HAX_VCPU_STATE_VERSION);
	BAD(s->flags || s->reserved0 || s->reserved1 || s->reserved2);
	if (check_regs(s, lim) || check_event(s) || check_blocking(s) ||
	    check_pdptes(s, lim->msr.phys_bits) || check_xsave(s, lim))
		return -EINVAL;
	return check_msrs(s, &lim->msr, msr);
}
