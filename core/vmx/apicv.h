/* SPDX-License-Identifier: GPL-2.0 */
/*
 * APIC virtualization (SDM Vol. 3C chapter 29) for VMs with the in-kernel
 * LAPIC (core/vapic.c): see apicv.c.
 */
#ifndef HAXM_CORE_VMX_APICV_H
#define HAXM_CORE_VMX_APICV_H

#include "../vm.h"

/*
 * vmx_apicv_page_alloc() - at LAPIC_ENABLE: the VM's APIC-access page in
 * @p when the VM will use APIC virtualization (vmx_apicv_enable and the
 * CPU's controls), else @p->va stays NULL. Errors: -ENOMEM.
 */
int vmx_apicv_page_alloc(struct os_page *p);

/* vmx_apicv_setup() - a new VMCS: the APIC-access address, virtualization off. */
void vmx_apicv_setup(struct vcpu *v);

/*
 * vmx_apicv_prepare() - before an entry (VMCS current): virtualize the
 * xAPIC page while the vCPU's LAPIC is in xAPIC mode at the default base,
 * the x2APIC MSRs (the controls and the MSR bitmap) while it is in x2APIC
 * mode and the CPU can, neither otherwise. No errors.
 */
void vmx_apicv_prepare(struct vcpu *v);

/*
 * vmx_apicv_sync() - after the poll (vcpu_lapic_poll()) computed them with
 * v->apicv_sync: the guest interrupt status and the EOI-exit bitmap into
 * the VMCS. No errors.
 */
void vmx_apicv_sync(struct vcpu *v);
static inline void vmx_apicv_entry(struct vcpu *v)
{
	if (v->apicv_sync)
		vmx_apicv_sync(v);
}

/*
 * vmx_apicv_map() - an EPT violation at the vCPU's virtualized xAPIC page:
 * map the APIC-access page there. Returns EXIT_RESUME, or 1 when the page
 * cannot be mapped there (a 2 MiB leaf: the access is emulated instead).
 * Errors: -ENOMEM.
 */
int vmx_apicv_map(struct vcpu *v);

/* Exit handlers: APIC access (reason 44), EOI-induced (45), APIC write (56). */
int vmx_handle_apic_access(struct vcpu *v, struct hax_tunnel *t);
int vmx_handle_eoi_induced(struct vcpu *v, struct hax_tunnel *t);
int vmx_handle_apic_write(struct vcpu *v, struct hax_tunnel *t);

#endif /* HAXM_CORE_VMX_APICV_H */
