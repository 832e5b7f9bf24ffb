// SPDX-License-Identifier: GPL-2.0
/* MSRs kept in software: syscall MSRs, MTRRs, APIC base, MISC_ENABLE, ... */
#include "msr.h"

void msr_state_reset(struct msr_state *m, bool bsp)
{
	*m = (struct msr_state){ 0 };
	m->apic_base = APIC_BASE_DEFAULT | (bsp ? APIC_BASE_BSP : 0);
	m->misc_enable = MISC_ENABLE_DEFAULT;
}

bool msr_canonical(u64 va, int bits)
{
	s64 v = (s64)(va << (64 - bits)) >> (64 - bits);

	return (u64)v == va;
}

static bool mtrr_type_valid(u8 type)
{
	return type <= 1 || (type >= 4 && type <= 6); /* UC WC WT WP WB (SDM 12.11.2) */
}

bool msr_pat_valid(u64 pat)
{
	int i;

	for (i = 0; i < 8; i++) {
		u8 type = (pat >> (8 * i)) & 0xff;

		if (type == 2 || type == 3 || type > 7)
			return false;
	}
	return true;
}

/* Bits at and above MAXPHYADDR. */
static u64 above_phys(const struct msr_limits *lim)
{
	return ~0ull << lim->phys_bits;
}

/* The slot of a fixed-range MTRR (SDM 12.11.2.2), or -1. */
static int mtrr_fixed_index(u32 msr)
{
	if (msr == HAX_MSR_MTRR_FIX64K)
		return 0;
	if (msr == HAX_MSR_MTRR_FIX16K_80000 || msr == HAX_MSR_MTRR_FIX16K_A0000)
		return 1 + msr - HAX_MSR_MTRR_FIX16K_80000;
	if (msr >= HAX_MSR_MTRR_FIX4K_C0000 && msr < HAX_MSR_MTRR_FIX4K_C0000 + 8)
		return 3 + msr - HAX_MSR_MTRR_FIX4K_C0000;
	return -1;
}

static bool mtrr_fixed_valid(u64 val)
{
	int i;

	for (i = 0; i < 8; i++)
		if (!mtrr_type_valid(val >> (8 * i)))
			return false;
	return true;
}

/* A variable-range base (even) or mask (odd) register (SDM 12.11.2.3). */
static bool mtrr_var_valid(const struct msr_limits *lim, u32 idx, u64 val)
{
	if (val & above_phys(lim))
		return false;
	if (idx & 1)
		return !(val & 0x7ff);
	return !(val & 0xf00) && mtrr_type_valid(val);
}

int msr_soft_read(const struct msr_state *m, const struct msr_limits *lim, u32 msr, u64 *val)
{
	int fixed = mtrr_fixed_index(msr);

	if (fixed >= 0) {
		*val = m->mtrr_fixed[fixed];
		return 0;
	}
	if (msr >= HAX_MSR_MTRR_PHYS_BASE0 && msr < HAX_MSR_MTRR_PHYS_BASE0 + 2 * MTRR_NR_VAR) {
		*val = m->mtrr_var[msr - HAX_MSR_MTRR_PHYS_BASE0];
		return 0;
	}
	switch (msr) {
	case HAX_MSR_STAR:
		*val = m->star;
		break;
	case HAX_MSR_LSTAR:
		*val = m->lstar;
		break;
	case HAX_MSR_CSTAR:
		*val = m->cstar;
		break;
	case HAX_MSR_FMASK:
		*val = m->fmask;
		break;
	case HAX_MSR_KERNEL_GS_BASE:
		*val = m->kernel_gs_base;
		break;
	case HAX_MSR_TSC_AUX:
		if (!lim->tsc_aux)
			return -ENOENT;
		*val = m->tsc_aux;
		break;
	case HAX_MSR_APIC_BASE:
		*val = m->apic_base;
		break;
	case HAX_MSR_MISC_ENABLE:
		*val = m->misc_enable;
		break;
	case HAX_MSR_MTRR_DEF_TYPE:
		*val = m->mtrr_def_type;
		break;
	case HAX_MSR_MTRRCAP:
		*val = MTRRCAP_VALUE;
		break;
	case HAX_MSR_FEATURE_CTL:
		*val = m->feature_control;
		break;
	case HAX_MSR_UCODE_REV:
	case HAX_MSR_MCG_CAP: /* no machine-check banks */
	case HAX_MSR_MCG_STATUS:
		*val = 0;
		break;
	default:
		return -ENOENT;
	}
	return 0;
}

static int write_canonical(u64 *slot, const struct msr_limits *lim, u64 val)
{
	if (!msr_canonical(val, lim->virt_bits))
		return -EINVAL;
	*slot = val;
	return 0;
}

/*
 * FEATURE_CONTROL (SDM 24.7): 0 at reset, as under KVM. SeaBIOS locks it
 * with the VMXON-enable bits QEMU's CPU model asks for (fw_cfg
 * "etc/msr_feature_control": 5 for -cpu max), before it has an IDT: a #GP
 * there is a triple fault. The guest may write it while it is unlocked;
 * the VMX bits are kept though haxm offers no VMX (CPUID.1:ECX.VMX stays
 * clear, CR4.VMXE is refused), so the value reads back as written. Once
 * locked, a guest write that changes it is #GP (SDM); one that writes the
 * value it holds is let through: QEMU resets a HAX VM without telling the
 * module (KVM's VMM writes 0 at reset as a host write), so after a guest
 * reboot the firmware writes the same value again into a locked register.
 * User space may write any valid value at any time (KVM's host writes).
 */
static int feature_control_write(struct msr_state *m, u64 val, bool host)
{
	if (val & ~FEATURE_CTL_VALID)
		return -EINVAL;
	if (!host && (m->feature_control & FEATURE_CTL_LOCKED) && val != m->feature_control)
		return -EINVAL;
	m->feature_control = val;
	return 0;
}

int msr_soft_write(struct msr_state *m, const struct msr_limits *lim, u32 msr, u64 val, bool host)
{
	int fixed = mtrr_fixed_index(msr);

	if (fixed >= 0) {
		if (!mtrr_fixed_valid(val))
			return -EINVAL;
		m->mtrr_fixed[fixed] = val;
		return 0;
	}
	if (msr >= HAX_MSR_MTRR_PHYS_BASE0 && msr < HAX_MSR_MTRR_PHYS_BASE0 + 2 * MTRR_NR_VAR) {
		if (!mtrr_var_valid(lim, msr - HAX_MSR_MTRR_PHYS_BASE0, val))
			return -EINVAL;
		m->mtrr_var[msr - HAX_MSR_MTRR_PHYS_BASE0] = val;
		return 0;
	}
	switch (msr) {
	case HAX_MSR_STAR:
		m->star = val;
		return 0;
	case HAX_MSR_LSTAR:
		return write_canonical(&m->lstar, lim, val);
	case HAX_MSR_CSTAR:
		return write_canonical(&m->cstar, lim, val);
	case HAX_MSR_KERNEL_GS_BASE:
		return write_canonical(&m->kernel_gs_base, lim, val);
	case HAX_MSR_FMASK:
		if (val >> 32)
			return -EINVAL;
		m->fmask = val;
		return 0;
	case HAX_MSR_TSC_AUX:
		if (!lim->tsc_aux)
			return -ENOENT;
		if (val >> 32)
			return -EINVAL;
		m->tsc_aux = val;
		return 0;
	case HAX_MSR_APIC_BASE:
		/* Reserved bits, x2APIC mode (not offered), beyond MAXPHYADDR. */
		if (val & (0x6ffull | above_phys(lim)))
			return -EINVAL;
		m->apic_base = val;
		return 0;
	case HAX_MSR_MISC_ENABLE:
		/*
		 * BTS/PEBS-unavailable stay. The other bits are stored as
		 * written, MONITOR/MWAIT enable (bit 18) too, as KVM does by
		 * default: CPUID keeps MONITOR hidden and MWAIT raises #UD
		 * whatever the bit says.
		 */
		m->misc_enable = (val & ~MISC_ENABLE_RO) | (m->misc_enable & MISC_ENABLE_RO);
		return 0;
	case HAX_MSR_MTRR_DEF_TYPE:
		if ((val & ~0xcffull) || !mtrr_type_valid(val))
			return -EINVAL;
		m->mtrr_def_type = val;
		return 0;
	case HAX_MSR_UCODE_REV:
		return 0; /* the load trigger: nothing to load */
	case HAX_MSR_MCG_STATUS:
		return val ? -EINVAL : 0;
	case HAX_MSR_FEATURE_CTL:
		return feature_control_write(m, val, host);
	case HAX_MSR_MTRRCAP:
	case HAX_MSR_MCG_CAP:
		return -EINVAL; /* read-only */
	}
	return -ENOENT;
}
