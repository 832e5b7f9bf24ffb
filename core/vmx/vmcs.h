/* SPDX-License-Identifier: GPL-2.0 */
/* VMCS contents: controls, host state and the guest state user space sees. */
#ifndef HAXM_CORE_VMX_VMCS_H
#define HAXM_CORE_VMX_VMCS_H

#include "../vm.h"

/*
 * vmcs_setup() - initialize @v's VMCS (current on this CPU) with haxm's
 * controls, this CPU's host state and the x86 reset state (SDM 10.1.1).
 */
void vmcs_setup(struct vcpu *v);

/* vmcs_load_host_cpu() - the host fields that differ between CPUs. */
void vmcs_load_host_cpu(void);

/* vmcs_sync_host() - refresh host fields of the current thread (CR3, FS). */
void vmcs_sync_host(struct vcpu *v);

/*
 * vmcs_set_state()/vmcs_get_state() - vcpu_state_t to and from the VMCS.
 * Errors: -EINVAL (see vcpu_set_regs()).
 */
int vmcs_set_state(struct vcpu *v, const vcpu_state_t *s);
void vmcs_get_state(struct vcpu *v, vcpu_state_t *s);

/*
 * vmcs_guest_seg() - the guest's segment @which (SEG_*) from the current
 * VMCS into @seg: selector, base, limit and the access rights VMX defines
 * (SDM 24.4.1); the rest of @seg is left alone.
 */
void vmcs_guest_seg(int which, segment_desc_t *seg);

/*
 * vmcs_set_guest_seg() - @seg (VMX access rights, as vmcs_guest_seg() gives
 * them) into the guest's segment @which of the current VMCS. No errors.
 */
void vmcs_set_guest_seg(int which, const segment_desc_t *seg);

/*
 * vmcs_guest_cr0()/vmcs_guest_cr4() - CR0/CR4 as the guest sees them (VMCS
 * current): the bits it owns from GUEST_CR*, the ones haxm owns (the guest/
 * host masks, fixed at VMCS set-up) from the read shadows (SDM 25.3).
 */
u64 vmcs_guest_cr0(void);
u64 vmcs_guest_cr4(void);

/*
 * vmcs_reset_state() - the architectural power-up state (SDM vol. 3A table
 * "IA-32 and Intel 64 Processor States Following Power-up, Reset, or INIT",
 * 10-1 in editions before 2023): real mode at F000:FFF0, CR0 60000010H,
 * EDX 600H, DR6 FFFF0FF0H, DR7 400H, the rest 0. No errors.
 */
void vmcs_reset_state(vcpu_state_t *s);

/* vmcs_seg_ar() - HAXM access rights to VMCS ones, fixed up for real mode. */
u32 vmcs_seg_ar(const segment_desc_t *seg, bool real_mode, int which);

/* Which segment, for vmcs_seg_ar(). */
enum { SEG_ES, SEG_CS, SEG_SS, SEG_DS, SEG_FS, SEG_GS, SEG_LDTR, SEG_TR, SEG_COUNT };

/* The guest's GPR @idx (HAX_REG_*), RSP included. */
u64 vcpu_gpr(struct vcpu *v, int idx);
void vcpu_set_gpr(struct vcpu *v, int idx, u64 val);

#endif /* HAXM_CORE_VMX_VMCS_H */
