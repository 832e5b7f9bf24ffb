// SPDX-License-Identifier: GPL-2.0
/*
 * The guest's extended state: XCR0 (SDM 13.3, XSETBV) and the x87/SSE/AVX
 * registers behind GET_FPU/SET_FPU. The registers themselves are switched by
 * the platform (os_fpu_*); XCR0 is switched here, interrupts off, around
 * each VM entry.
 */
#include "guest_ext.h"
#include "caps.h"
#include "exits.h"
#include "vmcs.h"
#include "vmx.h"

static void hax_xsetbv(u64 val)
{
	asm volatile("xsetbv" ::"c"(0), "a"((u32)val), "d"((u32)(val >> 32)));
}

int xcr0_check(u64 supported, u64 val)
{
	if (!(val & XCR0_X87) || (val & ~supported))
		return -EINVAL;
	if ((val & XCR0_AVX) && !(val & XCR0_SSE))
		return -EINVAL;
	if ((val & XCR0_AVX512) && ((val & XCR0_AVX512) != XCR0_AVX512 || !(val & XCR0_AVX)))
		return -EINVAL;
	return 0;
}

int vmx_handle_xsetbv(struct vcpu *v, struct hax_tunnel *t)
{
	u64 val = (v->regs[HAX_REG_RDX] << 32) | (u32)v->regs[HAX_REG_RAX];
	bool cpl0 = !(vmcs_read32(GUEST_SS_AR) & VMX_AR_DPL_MASK);

	/*
	 * The CPU raises #UD (CR4.OSXSAVE=0) and #GP (CPL>0) before the exit
	 * (SDM 26.1.1); checked again so that no CPU's order matters.
	 */
	if (!(vmcs_readl(GUEST_CR4) & HAX_CR4_OSXSAVE)) {
		vmx_inject_exception(v, HAX_VEC_UD, false, 0);
		return EXIT_RESUME;
	}
	if (!cpl0 || (u32)v->regs[HAX_REG_RCX] != 0 || xcr0_check(vmx_caps.guest_xcr0, val)) {
		vmx_inject_exception(v, HAX_VEC_GP, true, 0);
		return EXIT_RESUME;
	}
	v->xcr0 = val;
	vmx_skip_instruction(v);
	return EXIT_RESUME;
}

bool vmx_xcr0_load(struct vcpu *v)
{
	if (!vmx_caps.host_xcr0 || v->xcr0 == vmx_caps.host_xcr0 ||
	    !(vmcs_readl(GUEST_CR4) & HAX_CR4_OSXSAVE))
		return false;
	hax_xsetbv(v->xcr0);
	return true;
}

void vmx_xcr0_put(bool loaded)
{
	if (loaded)
		hax_xsetbv(vmx_caps.host_xcr0);
}

int vcpu_get_fpu(struct vcpu *v, struct fx_layout *fx)
{
	return os_fpu_get_fx(v->fpu, fx);
}

int vcpu_set_fpu(struct vcpu *v, const struct fx_layout *fx)
{
	return os_fpu_set_fx(v->fpu, fx);
}
