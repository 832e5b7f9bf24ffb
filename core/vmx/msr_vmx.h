/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Guest MSRs and CPUID under VMX: the RDMSR/WRMSR/CPUID exits, the MSR
 * bitmap, the lazily switched syscall MSRs and TSC_AUX's MSR-load lists.
 */
#ifndef HAXM_CORE_VMX_MSR_VMX_H
#define HAXM_CORE_VMX_MSR_VMX_H

#include "../vm.h"

/*
 * msr_vcpu_init() - a new vCPU's MSR pages, scheduler hook, power-on MSR
 * values and its copy of the VM's CPUID table. Undone by msr_vcpu_free(),
 * which takes a partly initialized vCPU.
 * Errors: -ENOMEM.
 */
int msr_vcpu_init(struct vcpu *v);
/*
 * msr_bitmap_intercept() - whether the guest's RDMSR (@write false) or
 * WRMSR of @msr exits (@exit), in @v's MSR bitmap (SDM 24.6.9): a low
 * (0-1FFFh) or high (C0000000h-C0001FFFh) MSR. No errors.
 */
void msr_bitmap_intercept(struct vcpu *v, u32 msr, bool write, bool exit);
void msr_vcpu_free(struct vcpu *v);

/* msr_vmcs_setup() - the MSR fields of @v's VMCS, which is current. */
void msr_vmcs_setup(struct vcpu *v);

/*
 * msr_state_load() - SET_STATE: @m, checked, becomes the vCPU's software
 * MSRs (none loaded in the CPU: outside RUN); VMCS current.
 */
void msr_state_load(struct vcpu *v, const struct msr_state *m);

/*
 * msr_tsc_offset_set() - the guest's TSC becomes the host's plus @offset:
 * TSC_OFFSET (VMCS current) and its copy in @v, which the in-kernel APIC's
 * TSC-deadline timer reads outside the VMCS.
 */
void msr_tsc_offset_set(struct vcpu *v, u64 offset);

/* msr_after_migration() - @v's VMCS is current on a new CPU: its host TSC_AUX. */
void msr_after_migration(struct vcpu *v);

/*
 * msr_guest_load() - make the guest's syscall MSRs the CPU's before an entry
 * (interrupts off); they stay until msr_host_restore(), which runs when the
 * thread is scheduled out and when RUN returns.
 */
void msr_guest_load(struct vcpu *v);
void msr_host_restore(struct vcpu *v);

/* msr_run_begin()/msr_run_end() - around RUN: arm and disarm the hook. */
void msr_run_begin(struct vcpu *v);
void msr_run_end(struct vcpu *v);

/* Exit handlers (exits.c's table): RDMSR, WRMSR, CPUID. */
int vmx_handle_rdmsr(struct vcpu *v, struct hax_tunnel *t);
int vmx_handle_wrmsr(struct vcpu *v, struct hax_tunnel *t);
int vmx_handle_cpuid(struct vcpu *v, struct hax_tunnel *t);

/* cpuid_vm_init() - the VM's default CPUID table from the host's. */
void cpuid_vm_init(struct vm *vm);

#endif /* HAXM_CORE_VMX_MSR_VMX_H */
