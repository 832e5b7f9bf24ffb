// SPDX-License-Identifier: GPL-2.0
/* Deriving haxm's VMX controls from the CPU's capability MSRs (SDM App. A). */
#include "caps.h"
#include "../cpuid_table.h"
#include "vmx.h"

struct vmx_caps vmx_caps;

u64 vmx_ctl_adjust(u64 msr, u32 want, u32 opt)
{
	u32 must1 = (u32)msr, may1 = (u32)(msr >> 32);

	if ((want & may1) != want)
		return (u64)-1;
	return (want | (opt & may1) | must1) & may1;
}

u64 vmx_cr0_fixed(const struct vmx_caps *c, u64 val)
{
	u64 fixed0 = c->cr0_fixed0 & ~(HAX_CR0_PE | HAX_CR0_PG);

	return (val | fixed0) & c->cr0_fixed1;
}

u64 vmx_cr4_fixed(const struct vmx_caps *c, u64 val)
{
	return (val | c->cr4_fixed0) & c->cr4_fixed1;
}

/* One control field: required bits, optional bits, the MSR to respect. */
static bool ctl_set(u32 *out, u64 msr, u32 want, u32 opt)
{
	u64 v = vmx_ctl_adjust(msr, want, opt);

	if (v == (u64)-1)
		return false;
	*out = (u32)v;
	return true;
}

u32 vmx_ple_window = 4096;

int vmx_caps_derive(const struct vmx_msrs *m, struct vmx_caps *c, const char **missing)
{
	const u64 ept_need = VMX_EPT_WALK_4 | VMX_EPT_WB | VMX_EPT_INVEPT;
	u32 proc2_need = CPU2_ENABLE_EPT | CPU2_UNRESTRICTED_GUEST;

	*missing = NULL;
	if (!m->has_vmx)
		return *missing = "VMX", -ENODEV;
	if (!m->has_nx)
		return *missing = "NX", -ENODEV;
	if (!m->has_lm)
		return *missing = "64-bit (long mode)", -ENODEV;
	/* SDM 23.7: VMXON #GPs unless the MSR is locked with VMX enabled. */
	if (!(m->feature_control & FEATURE_CONTROL_LOCKED))
		return *missing = "IA32_FEATURE_CONTROL not locked by firmware", -EPERM;
	if (!(m->feature_control & FEATURE_CONTROL_VMX_OUTSIDE_SMX))
		return *missing = "VMX disabled in IA32_FEATURE_CONTROL (BIOS)", -EPERM;
	if (VMX_BASIC_MEMTYPE(m->basic) != 6)
		return *missing = "write-back VMCS memory", -ENODEV;
	if (VMX_BASIC_REGION_SIZE(m->basic) > HAX_PAGE_SIZE)
		return *missing = "VMCS region within a page", -ENODEV;

	*c = (struct vmx_caps){ 0 };
	c->revision = VMX_BASIC_REVISION(m->basic);
	c->region_size = VMX_BASIC_REGION_SIZE(m->basic);
	c->cr0_fixed0 = m->cr0_fixed0;
	c->cr0_fixed1 = m->cr0_fixed1;
	c->cr4_fixed0 = m->cr4_fixed0;
	/*
	 * CR4 bits whose state haxm does not switch stay 0 in guests (a MOV to
	 * CR4 setting one is #GP, SET_REGS EINVAL), as CPUID hides their
	 * features: with PKE, PKS or CET set the guest would run under the
	 * host's PKRU, IA32_PKRS or IA32_S_CET, and WRPKRU would change the
	 * host thread's PKRU, which the FPU switch does not restore.
	 */
	c->cr4_fixed1 = m->cr4_fixed1 & ~(HAX_CR4_PKE | HAX_CR4_CET | HAX_CR4_PKS);
	c->ept_vpid = m->ept_vpid;
	c->preempt_rate = VMX_MISC_PREEMPT_RATE(m->misc);
	c->misc_saves_lma = m->misc & VMX_MISC_SAVES_LMA;
	c->host_xcr0 = m->xcr0;
	c->guest_xcr0 = cpuid_xcr0_mask(m->xcr0); /* what CPUID leaf 0xD offers */

	if (!ctl_set(&c->pin, m->pin, PIN_EXT_INTR_EXITING | PIN_NMI_EXITING | PIN_PREEMPTION_TIMER,
		     0))
		return *missing = "pin-based controls (VMX-preemption timer)", -ENODEV;
	/* CR3 accesses need no exit with EPT: the TRUE MSR lets them be 0. */
	if (!ctl_set(&c->proc, m->proc,
		     CPU_HLT_EXITING | CPU_USE_TSC_OFFSETTING | CPU_UNCOND_IO_EXITING |
			     CPU_MOV_DR_EXITING | CPU_RDPMC_EXITING | CPU_MWAIT_EXITING |
			     CPU_MONITOR_EXITING | CPU_CR8_LOAD_EXITING | CPU_CR8_STORE_EXITING |
			     CPU_SECONDARY_CONTROLS,
		     CPU_USE_MSR_BITMAPS))
		return *missing = "processor-based controls", -ENODEV;
	/*
	 * The TPR shadow (SDM 25.6.2, 29.1.2) replaces CR8-load/store exiting
	 * while the VMM's APIC is in xAPIC mode (core/vmx/tpr.c): usable when
	 * the CPU lets it be 1 and the CR8 exits be 0.
	 */
	c->tpr_shadow = ((m->proc >> 32) & CPU_TPR_SHADOW) &&
			!((u32)m->proc & (CPU_CR8_LOAD_EXITING | CPU_CR8_STORE_EXITING));
	/*
	 * NMIs for guests (the in-kernel LAPIC's, core/vmx/intr.c) need virtual
	 * NMIs, so that the guest's IRET ends its NMI blocking (SDM 25.3), and
	 * NMI-window exiting, which needs them (SDM 26.2.1.1). Set per VMCS.
	 */
	c->vnmi = ((m->pin >> 32) & PIN_VIRTUAL_NMIS) && ((m->proc >> 32) & CPU_NMI_WINDOW_EXITING);
	/*
	 * APIC virtualization (SDM 29) builds on the TPR shadow: without "use
	 * TPR shadow" every APIC-access page access exits and the other
	 * controls must be 0 (SDM 26.2.1.1). Set per VMCS (apicv.c).
	 */
	if (c->tpr_shadow)
		c->apicv = (m->proc2 >> 32) & (CPU2_VIRT_APIC_ACCESS | CPU2_APIC_REG_VIRT |
					       CPU2_VIRT_INTR_DELIVERY | CPU2_VIRT_X2APIC);
	if (!ctl_set(&c->proc2, m->proc2, proc2_need,
		     CPU2_ENABLE_VPID | CPU2_ENABLE_RDTSCP | CPU2_ENABLE_INVPCID |
			     CPU2_WBINVD_EXITING | CPU2_PAUSE_LOOP_EXITING))
		return *missing = (m->proc2 >> 32) & CPU2_ENABLE_EPT ? "unrestricted guest" : "EPT",
		       -ENODEV;
	if (!ctl_set(&c->exit, m->exit,
		     EXIT_HOST_ADDR_SPACE_SIZE | EXIT_SAVE_EFER | EXIT_LOAD_EFER | EXIT_SAVE_PAT |
			     EXIT_LOAD_PAT | EXIT_SAVE_DEBUG_CONTROLS,
		     0))
		return *missing =
			       "VM-exit controls (64-bit host, EFER/PAT switching, debug saving)",
		       -ENODEV;
	/* Debug controls: GUEST_DR7 and DEBUGCTL are loaded and saved (SDM 24.7.1, 24.8.1). */
	if (!ctl_set(&c->entry, m->entry,
		     ENTRY_LOAD_EFER | ENTRY_LOAD_PAT | ENTRY_LOAD_DEBUG_CONTROLS, 0))
		return *missing = "VM-entry controls (EFER/PAT/debug loading)", -ENODEV;
	c->entry &= ~ENTRY_IA32E_MODE;
	if ((m->ept_vpid & ept_need) != ept_need ||
	    !(m->ept_vpid & (VMX_EPT_INVEPT_SINGLE | VMX_EPT_INVEPT_ALL)))
		return *missing = "EPT with 4-level walks, write-back and INVEPT", -ENODEV;
	c->invept_single = m->ept_vpid & VMX_EPT_INVEPT_SINGLE;
	c->invvpid_single =
		(m->ept_vpid & VMX_VPID_INVVPID) && (m->ept_vpid & VMX_VPID_INVVPID_SINGLE);
	/* VPIDs are used only when they can be flushed one at a time. */
	c->umip_emulated =
		!(c->cr4_fixed1 & HAX_CR4_UMIP) && ((m->proc2 >> 32) & CPU2_DESC_TABLE_EXITING);
	c->cr4_guest = c->cr4_fixed1 | (c->umip_emulated ? HAX_CR4_UMIP : 0);
	c->vpid = (c->proc2 & CPU2_ENABLE_VPID) && c->invvpid_single;
	if (!c->vpid)
		c->proc2 &= ~CPU2_ENABLE_VPID;
	return 0;
}
