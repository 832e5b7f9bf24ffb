/* SPDX-License-Identifier: GPL-2.0 */
/* The VMX capability MSRs of the unit tests: a Skylake server's (TRUE_* controls). */
#ifndef HAXM_UNIT_SKYLAKE_MSRS_H
#define HAXM_UNIT_SKYLAKE_MSRS_H

#include "vmx/caps.h"
#include "vmx/vmx.h"

static inline struct vmx_msrs skylake_msrs(void)
{
	struct vmx_msrs m = {
		.has_vmx = true,
		.has_nx = true,
		.has_lm = true,
		.feature_control = FEATURE_CONTROL_LOCKED | FEATURE_CONTROL_VMX_OUTSIDE_SMX,
		.basic = 0x00da040000000004ULL, /* rev 4, 1 KiB, WB, TRUE ctls */
		.pin = 0x0000007f00000016ULL,
		.proc = 0xfff9fffe04006172ULL,
		.exit = 0x01ffffff00036dfbULL,
		.entry = 0x0003ffff000011fbULL,
		.misc = 0x00000000300481e5ULL, /* timer rate 5, saves LMA, HLT */
		.cr0_fixed0 = 0x80000021ULL,
		.cr0_fixed1 = 0xffffffffULL,
		.cr4_fixed0 = 0x2000ULL,
		.cr4_fixed1 = 0x3727ffULL,
		.proc2 = 0x0153ffff00000000ULL,
		.ept_vpid = 0x00000f0106734141ULL,
	};
	return m;
}

#endif /* HAXM_UNIT_SKYLAKE_MSRS_H */
