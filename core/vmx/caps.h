/* SPDX-License-Identifier: GPL-2.0 */
/* VMX capabilities: what the CPU offers and the controls haxm runs with. */
#ifndef HAXM_CORE_VMX_CAPS_H
#define HAXM_CORE_VMX_CAPS_H

#include "../os.h"

/* The raw facts read from CPUID and the capability MSRs. */
struct vmx_msrs {
	bool has_vmx; /* CPUID.1:ECX.VMX */
	bool has_nx;  /* CPUID.80000001h:EDX.NX */
	bool has_lm;  /* CPUID.80000001h:EDX.LM */
	u64 feature_control;
	u64 basic;
	u64 pin, proc, exit, entry; /* TRUE_* variants when basic bit 55 says so */
	u64 misc;
	u64 cr0_fixed0, cr0_fixed1, cr4_fixed0, cr4_fixed1;
	u64 proc2;
	u64 ept_vpid;
	u64 xcr0; /* the host's XCR0; 0 when it has not enabled XSAVE */
};

/* What haxm derived from them. */
struct vmx_caps {
	u32 revision;
	u32 region_size;
	u32 pin, proc, proc2, exit, entry; /* the controls every VMCS starts with */
	u64 cr0_fixed0, cr0_fixed1, cr4_fixed0, cr4_fixed1;
	/*
	 * CR4 bits a guest may set: cr4_fixed1's, and UMIP when haxm emulates
	 * it (umip_emulated: the CPU has no UMIP but descriptor-table exiting,
	 * SDM 25.6.2; GUEST_CR4.UMIP stays 0, the guest's bit lives in the CR4
	 * read shadow and turns the exiting on, vmx_write_cr4()).
	 */
	u64 cr4_guest;
	bool umip_emulated;
	u64 ept_vpid;
	u8 preempt_rate; /* the timer ticks every 2^rate TSC cycles */
	bool vpid;	 /* VPID enabled */
	bool invept_single;
	bool invvpid_single;
	bool misc_saves_lma;
	bool tpr_shadow; /* "use TPR shadow" may be 1 with CR8-load/store exiting 0 */
	bool vnmi;	 /* "virtual NMIs" and "NMI-window exiting" may be 1 */
	u32 apicv;	 /* the CPU2_* APIC-virtualization controls that may be 1 (apicv.c) */
	u64 host_xcr0;	 /* see struct vmx_msrs */
	u64 guest_xcr0;	 /* XCR0 bits a guest may set (x87, SSE, AVX, AVX-512) */
};

/*
 * vmx_caps_derive() - check that the CPU can run haxm's guests and compute
 * the VMX controls haxm uses.
 * @m:       facts read from the CPU
 * @c:       filled on success
 * @missing: on failure, a short name of the first missing feature
 * Errors: -ENODEV (no VMX, NX or 64-bit, or a required VMX feature is
 * missing: EPT, unrestricted guest, preemption timer, EFER/PAT switching,
 * write-back EPT with 4-level walks, INVEPT), -EPERM (VMX disabled and locked
 * in IA32_FEATURE_CONTROL, or the MSR is not locked yet).
 */
int vmx_caps_derive(const struct vmx_msrs *m, struct vmx_caps *c, const char **missing);

/*
 * vmx_ctl_adjust() - apply a capability MSR (allowed-0 settings in bits 31:0,
 * allowed-1 in 63:32) to @want (required bits) plus @opt (wanted if allowed).
 * Returns the control value, or -1 as u64 when a required bit is not allowed.
 */
u64 vmx_ctl_adjust(u64 msr, u32 want, u32 opt);

/*
 * vmx_cr_fixed() - the value a CR must hold in VMX operation for a guest
 * value @val: fixed-1 bits set, fixed-0 bits cleared. With unrestricted guest
 * CR0.PE and CR0.PG stay as the guest has them (SDM 26.3.1.1).
 */
u64 vmx_cr0_fixed(const struct vmx_caps *c, u64 val);
u64 vmx_cr4_fixed(const struct vmx_caps *c, u64 val);

extern struct vmx_caps vmx_caps;

/*
 * APIC virtualization (SDM 29; core/vmx/apicv.c) for VMs with the in-kernel
 * LAPIC, where vmx_caps.apicv has it: false keeps every vCPU on the emulated
 * xAPIC page (module parameter apicv on Linux). Read at LAPIC_ENABLE.
 */
extern bool vmx_apicv_enable;

/*
 * The CPU leaves a stale IDT-vectoring field when an exit interrupts a
 * virtual interrupt's delivery (Bochs 2.7; run.c's vmx_requeue_event()):
 * false (the default) trusts the field, as the SDM has it (module
 * parameter quirk_vid_vectoring on Linux; the testbed sets it).
 */
extern bool vmx_quirk_vid_vectoring;

/*
 * PAUSE-loop exiting (SDM 25.6.13, 26.1.3): a guest at CPL 0 that spins
 * on PAUSE longer than vmx_ple_window TSC ticks (PAUSEs at most
 * VMX_PLE_GAP apart) exits, and its thread yields the CPU (EXIT_YIELD), so
 * that the vCPU it waits for (a lock holder preempted by the host) can
 * run. 0 turns it off (module parameter ple_window on Linux). Read when
 * VMCSs are set up.
 */
#define VMX_PLE_GAP 128
extern u32 vmx_ple_window;

#endif /* HAXM_CORE_VMX_CAPS_H */
