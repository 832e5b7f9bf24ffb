/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Guest state beyond vcpu_state_t that must be switched around every VM
 * entry: XCR0 and the extended state (xsave.c), the debug registers and
 * VCPU_DEBUG (dbgregs.c).
 */
#ifndef HAXM_CORE_VMX_GUEST_EXT_H
#define HAXM_CORE_VMX_GUEST_EXT_H

#include "../vm.h"
#include "vmx.h"

/*
 * xcr0_check() - whether XSETBV may write @val to XCR0 (SDM 13.3, XSETBV):
 * x87 set, only @supported bits, AVX with SSE, the three AVX-512 bits
 * together and with AVX. Returns 0 or -EINVAL.
 */
int xcr0_check(u64 supported, u64 val);

/* vmx_handle_xsetbv() - the XSETBV exit: validate and record XCR0, or #GP/#UD. */
int vmx_handle_xsetbv(struct vcpu *v, struct hax_tunnel *t);

/*
 * vmx_xcr0_load() - before a VM entry, interrupts off: load the guest's
 * XCR0 when it differs from the host's and the guest has CR4.OSXSAVE (else
 * the guest cannot see XCR0). Returns true when it did; vmx_xcr0_put(true)
 * after the exit loads the host's again.
 */
bool vmx_xcr0_load(struct vcpu *v);
void vmx_xcr0_put(bool loaded);

/* Debug register values (DR6/DR7 with their fixed bits, SDM 18.2.3-4). */
static inline u64 dr6_fix(u64 val)
{
	return (val & 0xe00fULL) | DR6_RESET;
}

static inline u64 dr7_fix(u64 val)
{
	return (val & 0xffff2fffULL) | 0x400;
}

/*
 * vcpu_guest_dr7()/vcpu_set_guest_dr7() - the guest's own DR7: in GUEST_DR7,
 * or saved aside while the debugger's breakpoints are in GUEST_DR7. VMCS
 * current. @val is already fixed (dr7_fix()).
 */
u64 vcpu_guest_dr7(struct vcpu *v);
void vcpu_set_guest_dr7(struct vcpu *v, u64 val);

/*
 * vmx_debug_load() - before a VM entry, interrupts off: the guest's (or the
 * debugger's) DR0-3 when a breakpoint is enabled, the guest's DR6; returns
 * the host's IA32_DEBUGCTL. vmx_debug_put() after the exit keeps what the
 * guest left in DR6 and gives the host back DR6, DR7, DEBUGCTL and its
 * breakpoints.
 */
u64 vmx_debug_load(struct vcpu *v);
void vmx_debug_put(struct vcpu *v, u64 host_debugctl);

/* Exit handlers: MOV DR, exceptions and NMIs. */
int vmx_handle_dr(struct vcpu *v, struct hax_tunnel *t);
int vmx_handle_exception(struct vcpu *v, struct hax_tunnel *t);

/*
 * debug_check() - validate a VCPU_DEBUG request: known control bits,
 * reserved 0, DR7 bits 63:32 clear. Returns 0 or -EINVAL.
 */
int debug_check(const hax_debug_t *d);

#endif /* HAXM_CORE_VMX_GUEST_EXT_H */
