/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The MSRs haxm keeps in software for each vCPU and their validation (pure
 * logic; the VMCS-backed MSRs and the exits are in vmx/msr_vmx.c).
 */
#ifndef HAXM_CORE_MSR_H
#define HAXM_CORE_MSR_H

#include "os.h"

#define HAX_MSR_TSC		  0x10
#define HAX_MSR_APIC_BASE	  0x1b
#define HAX_MSR_FEATURE_CTL	  0x3a
#define HAX_MSR_TSC_ADJUST	  0x3b
#define HAX_MSR_UCODE_REV	  0x8b
#define HAX_MSR_MTRRCAP		  0xfe
#define HAX_MSR_MCG_CAP		  0x179
#define HAX_MSR_MCG_STATUS	  0x17a
#define HAX_MSR_MISC_ENABLE	  0x1a0
#define HAX_MSR_MTRR_PHYS_BASE0	  0x200 /* ... 0x20f: base/mask pairs */
#define HAX_MSR_MTRR_FIX64K	  0x250
#define HAX_MSR_MTRR_FIX16K_80000 0x258
#define HAX_MSR_MTRR_FIX16K_A0000 0x259
#define HAX_MSR_MTRR_FIX4K_C0000  0x268 /* ... 0x26f */
#define HAX_MSR_MTRR_DEF_TYPE	  0x2ff
#define HAX_MSR_STAR		  0xc0000081
#define HAX_MSR_LSTAR		  0xc0000082
#define HAX_MSR_CSTAR		  0xc0000083
#define HAX_MSR_FMASK		  0xc0000084
#define HAX_MSR_FS_BASE		  0xc0000100
#define HAX_MSR_GS_BASE		  0xc0000101
#define HAX_MSR_KERNEL_GS_BASE	  0xc0000102
#define HAX_MSR_TSC_AUX		  0xc0000103

#define MTRR_NR_VAR   8
#define MTRR_NR_FIXED 11
/* MTRRcap: 8 variable ranges, fixed ranges, write-combining (SDM 12.11.1). */
#define MTRRCAP_VALUE (MTRR_NR_VAR | (1u << 8) | (1u << 10))
/* APIC base: enabled at 0xfee00000, bit 8 on the bootstrap processor. */
#define APIC_BASE_DEFAULT 0xfee00800ull
#define APIC_BASE_BSP	  (1ull << 8)
#define APIC_BASE_EN	  (1ull << 11)
/* MISC_ENABLE: fast strings; BTS and PEBS unavailable (read-only). */
#define MISC_ENABLE_DEFAULT 0x1801ull
#define MISC_ENABLE_RO	    0x1800ull
/*
 * FEATURE_CONTROL: the lock (bit 0) and VMXON inside/outside SMX (bits 1-2),
 * the bits firmware sets from QEMU's fw_cfg "etc/msr_feature_control".
 */
#define FEATURE_CTL_LOCKED 1ull
#define FEATURE_CTL_VALID  7ull

/* The MSRs of one vCPU that live in memory. */
struct msr_state {
	u64 star, lstar, cstar, fmask, kernel_gs_base, tsc_aux;
	u64 apic_base, misc_enable, mtrr_def_type;
	u64 feature_control;
	u64 tsc_adjust; /* IA32_TSC_ADJUST; the TSC offset lives in the VMCS */
	u64 mtrr_fixed[MTRR_NR_FIXED];
	u64 mtrr_var[2 * MTRR_NR_VAR];
};

/* The host facts validation needs. */
struct msr_limits {
	u8 phys_bits; /* MAXPHYADDR */
	u8 virt_bits; /* linear-address width: canonical addresses */
	bool tsc_aux; /* RDTSCP is on: IA32_TSC_AUX exists */
};

/* msr_state_reset() - power-on values (SDM Table 10-1); @bsp for vCPU 0. */
void msr_state_reset(struct msr_state *m, bool bsp);

/* msr_canonical() - @va is canonical for @bits-bit linear addresses. */
bool msr_canonical(u64 va, int bits);
/* msr_pat_valid() - each of the eight PAT entries is a valid type (SDM 13.12.2). */
bool msr_pat_valid(u64 pat);

/*
 * msr_soft_read()/msr_soft_write() - the MSRs held in @m, and the constant
 * ones (MTRRcap, MCG_CAP/STATUS, the microcode revision). @host: the write
 * comes from user space (SET_MSRS), which may change a locked
 * FEATURE_CONTROL; the guest may not.
 * Errors: -ENOENT (not one of them: the caller tries others or raises #GP),
 * -EINVAL (a value the MSR cannot hold, a read-only MSR written, or a
 * locked FEATURE_CONTROL changed by the guest: #GP).
 */
int msr_soft_read(const struct msr_state *m, const struct msr_limits *lim, u32 msr, u64 *val);
int msr_soft_write(struct msr_state *m, const struct msr_limits *lim, u32 msr, u64 val, bool host);

#endif /* HAXM_CORE_MSR_H */
