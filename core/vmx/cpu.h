/* SPDX-License-Identifier: GPL-2.0 */
/* VMX operation on each host CPU, and which VMCS is active where. */
#ifndef HAXM_CORE_VMX_CPU_H
#define HAXM_CORE_VMX_CPU_H

#include "../vm.h"

/*
 * vmx_cpus_init() - probe the CPU and allocate per-CPU VMXON regions.
 * Errors: -ENODEV, -EPERM (see vmx_caps_derive()), -ENOMEM.
 */
int vmx_cpus_init(void);
void vmx_cpus_exit(void);

/*
 * vmx_get()/vmx_put() - a reference on VMX operation: the first turns VMX on
 * on every online CPU, the last turns it off.
 * Errors: -EBUSY (CR4.VMXE already set or VMXON failed on some CPU: another
 * hypervisor owns VT-x), -ENOMEM.
 */
int vmx_get(void);
void vmx_put(void);

/*
 * vmx_vcpu_load() - make @v's VMCS current on this CPU, clearing it from the
 * CPU it was active on before. Preemption off, interrupts on.
 * Errors: -EIO (VMCLEAR/VMPTRLD failed).
 */
int vmx_vcpu_load(struct vcpu *v);
/* vmx_vcpu_clear() - VMCLEAR @v's VMCS wherever it is active. */
void vmx_vcpu_clear(struct vcpu *v);

/*
 * vmx_take_error() - true (once) if a VMREAD/VMWRITE failed on this CPU.
 * Asked after every exit: inline, it reads one shared count of the CPUs
 * with an error not yet taken (vmx_field_errors) and looks at this CPU's
 * only when there is one.
 */
extern int vmx_field_errors;
bool __vmx_take_error(void);
static inline bool vmx_take_error(void)
{
	return __atomic_load_n(&vmx_field_errors, __ATOMIC_RELAXED) && __vmx_take_error();
}

/*
 * vmx_flush_ept() - invalidate the translations derived from @eptp on every
 * CPU (INVEPT, SDM 30.3); vmx_flush_ept_here() on this CPU only.
 */
void vmx_flush_ept(u64 eptp);
void vmx_flush_ept_here(u64 eptp);

#endif /* HAXM_CORE_VMX_CPU_H */
