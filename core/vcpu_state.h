/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The complete state of a vCPU (HAX_CAP_VCPU_STATE, docs/api.md): the
 * validation of a struct hax_vcpu_full_state against what VM entry and the
 * MSRs accept (pure logic, vcpu_state.c), and GET_STATE/SET_STATE
 * (vmx/state_vmx.c).
 */
#ifndef HAXM_CORE_VCPU_STATE_H
#define HAXM_CORE_VCPU_STATE_H

#include "os.h"
#include "msr.h"
#include "../include/uapi/haxm.h"

struct vcpu;

/* The host facts a state is checked against. */
struct vcpu_state_limits {
	u64 cr4_allowed; /* CR4 bits a guest may set */
	u64 xcr0;	 /* XCR0 bits XSETBV accepts */
	u64 xfeatures;	 /* XSAVE components the area may hold */
	u32 mxcsr_mask;
	struct msr_limits msr; /* MAXPHYADDR, linear-address width, TSC_AUX */
};

/*
 * vcpu_state_check() - whether @s is a state this vCPU can hold and VM
 * entry accepts (SDM 26.2.1.3, 26.3.1): the header (size, version, flags,
 * reserved fields), CR0/CR3/CR4/EFER reserved bits and their consistency,
 * RFLAGS, RIP, segment registers and descriptor tables (canonical bases,
 * access rights), DR6/DR7, the event to deliver, interruptibility and
 * activity state, pending debug exceptions, PDPTEs, XCR0, the XSAVE header
 * and MXCSR, and every MSR as SET_MSRS would take it. On success *@msr holds
 * the software MSRs of @s (tsc_adjust included).
 * Errors: -EINVAL (the first field that fails; nothing else is reported).
 */
int vcpu_state_check(const struct hax_vcpu_full_state *s, const struct vcpu_state_limits *lim,
		     struct msr_state *msr);

/*
 * vcpu_get_state() - GET_STATE: fill @s (size and version set).
 * Errors: -EBUSY (an IN or an emulated MMIO/string I/O instruction waits for
 * user space: a RUN with _exit_reason HAX_EXIT_PAUSED completes it without
 * entering the guest; or VCPU_DEBUG is on), -E2BIG (the host's XSAVE state
 * exceeds HAX_VCPU_STATE_XSAVE_SIZE), -EINVAL (a SET_REGS state's PAE
 * PDPTEs are outside RAM or reserved), -ENOMEM, -EIO.
 */
int vcpu_get_state(struct vcpu *v, struct hax_vcpu_full_state *s);

/*
 * vcpu_set_state() - SET_STATE: check @s (vcpu_state_check()) and load all of
 * it; a refused state changes nothing. Anything in flight (an IN waiting for
 * its data, an emulated instruction, a stopped guest) is dropped.
 * Errors: -EINVAL, -EBUSY (VCPU_DEBUG is on), -ENOMEM, -EIO.
 */
int vcpu_set_state(struct vcpu *v, const struct hax_vcpu_full_state *s);

#endif /* HAXM_CORE_VCPU_STATE_H */
