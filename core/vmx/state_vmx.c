// SPDX-License-Identifier: GPL-2.0
/*
 * HAX_VCPU_IOCTL_GET_STATE/SET_STATE: everything a vCPU holds between two
 * RUNs, in and out of the VMCS and the vCPU's software state (docs/api.md,
 * "Complete vCPU state"). The checks are vcpu_state_check()'s.
 */
#include "../vcpu_state.h"
#include "../vm.h"
#include "cpu.h"
#include "caps.h"
#include "guest_ext.h"
#include "intr.h"
#include "msr_vmx.h"
#include "vmcs.h"
#include "vmx.h"

static bool state_pae(const vcpu_state_t *r)
{
	return (r->_cr0 & HAX_CR0_PG) && (r->_cr4 & HAX_CR4_PAE) && !(r->_efer & HAX_EFER_LMA);
}

/* An instruction half done, waiting for user space, or a debugger's RFLAGS/DR7. */
static bool state_busy(const struct vcpu *v)
{
	return v->io_in_size || v->emu.pending != VCPU_EMU_WAIT_NONE ||
	       v->emu.wdone < v->emu.nwrite || v->debug_control;
}

/* What GET_REGS does not have; VMCS current. */
static void state_get_rest(struct vcpu *v, struct hax_vcpu_full_state *s)
{
	u32 info = vmcs_read32(VM_ENTRY_INTR_INFO);
	const struct msr_state *m = &v->msr;
	int i;

	s->cr8 = v->cr8;
	s->xcr0 = v->xcr0;
	if (state_pae(&s->regs)) {
		s->pdpte[0] = vmcs_read64(GUEST_PDPTR0);
		s->pdpte[1] = vmcs_read64(GUEST_PDPTR1);
		s->pdpte[2] = vmcs_read64(GUEST_PDPTR2);
		s->pdpte[3] = vmcs_read64(GUEST_PDPTR3);
	}
	if (info & INTR_INFO_VALID) {
		s->event_info = info;
		if (info & INTR_INFO_DELIVER_CODE)
			s->event_error = vmcs_read32(VM_ENTRY_EXCEPTION_ERROR_CODE);
		s->event_len = vmcs_read32(VM_ENTRY_INSTRUCTION_LEN);
	}
	s->pending_dbg = vmcs_readl(GUEST_PENDING_DBG_EXCEPTIONS);
	for (i = 0; i < 8; i++)
		s->intr_pending[i] = v->intr_pending[i];
	s->tsc = hax_rdtsc() + v->tsc_offset;
	s->tsc_adjust = m->tsc_adjust;
	s->pat = vmcs_read64(GUEST_IA32_PAT);
	s->apic_base = m->apic_base;
	s->misc_enable = m->misc_enable;
	s->feature_control = m->feature_control;
	s->star = m->star;
	s->lstar = m->lstar;
	s->cstar = m->cstar;
	s->fmask = m->fmask;
	s->kernel_gs_base = m->kernel_gs_base;
	s->tsc_aux = m->tsc_aux;
	s->mtrr_def_type = m->mtrr_def_type;
	for (i = 0; i < MTRR_NR_FIXED; i++)
		s->mtrr_fixed[i] = m->mtrr_fixed[i];
	for (i = 0; i < 2 * MTRR_NR_VAR; i++)
		s->mtrr_var[i] = m->mtrr_var[i];
}

int vcpu_get_state(struct vcpu *v, struct hax_vcpu_full_state *s)
{
	int r;

	if (state_busy(v))
		return -EBUSY;
	/* SET_REGS left PDPTEs for the next RUN to read: read them now. */
	if (v->pdptes_pending) {
		r = vmx_run_pdptes(v);
		if (r)
			return r;
	}
	__builtin_memset(s, 0, sizeof(*s));
	s->size = sizeof(*s);
	s->version = HAX_VCPU_STATE_VERSION;
	r = os_fpu_get_xsave(v->fpu, s->xsave, sizeof(s->xsave));
	if (r)
		return r;
	os_preempt_disable();
	r = vmx_vcpu_load(v);
	if (!r) {
		vmcs_get_state(v, &s->regs);
		state_get_rest(v, s);
		if (vmx_take_error())
			r = -EIO;
	}
	os_preempt_enable();
	return r;
}

/* Load what vmcs_set_state() does not, and the segments' AR exactly; VMCS current. */
static void state_set_rest(struct vcpu *v, const struct hax_vcpu_full_state *s,
			   const struct msr_state *m)
{
	const vcpu_state_t *r = &s->regs;
	u32 n = 0;
	int i;

	vmcs_write32(GUEST_ES_AR, r->_es.ar);
	vmcs_write32(GUEST_CS_AR, r->_cs.ar);
	vmcs_write32(GUEST_SS_AR, r->_ss.ar);
	vmcs_write32(GUEST_DS_AR, r->_ds.ar);
	vmcs_write32(GUEST_FS_AR, r->_fs.ar);
	vmcs_write32(GUEST_GS_AR, r->_gs.ar);
	vmcs_write32(GUEST_LDTR_AR, r->_ldt.ar);
	vmcs_write32(GUEST_TR_AR, r->_tr.ar);
	if (state_pae(r)) {
		u64 pdpte[4] = { s->pdpte[0], s->pdpte[1], s->pdpte[2], s->pdpte[3] };

		vmx_write_pdptes(pdpte);
	}
	vmcs_write32(VM_ENTRY_INTR_INFO, s->event_info);
	vmcs_write32(VM_ENTRY_EXCEPTION_ERROR_CODE, s->event_error);
	vmcs_write32(VM_ENTRY_INSTRUCTION_LEN, s->event_len);
	vmcs_writel(GUEST_PENDING_DBG_EXCEPTIONS, s->pending_dbg);
	for (i = 0; i < 8; i++) {
		u32 w = v->intr_pending[i] = s->intr_pending[i];

		for (; w; w &= w - 1) /* the kernel has no popcount helper in the core */
			n++;
	}
	v->nr_intr_pending = n;
	msr_tsc_offset_set(v, s->tsc - hax_rdtsc());
	vmcs_write64(GUEST_IA32_PAT, s->pat);
	msr_state_load(v, m);
	v->cr8 = s->cr8;
	v->xcr0 = s->xcr0;
}

static void state_limits(struct vcpu *v, struct vcpu_state_limits *lim)
{
	lim->cr4_allowed = vmx_caps.cr4_guest & ~HAX_CR4_VMXE;
	lim->xcr0 = vmx_caps.guest_xcr0;
	os_fpu_limits(v->fpu, &lim->xfeatures, &lim->mxcsr_mask);
	lim->msr = v->vm->msr_lim;
}

int vcpu_set_state(struct vcpu *v, const struct hax_vcpu_full_state *s)
{
	struct vcpu_state_limits lim;
	struct msr_state m;
	int r;

	if (v->debug_control)
		return -EBUSY;
	state_limits(v, &lim);
	r = vcpu_state_check(s, &lim, &m);
	if (r)
		return r;
	/* The kernel checks the area again; a refusal there changes nothing either. */
	r = os_fpu_set_xsave(v->fpu, s->xsave, sizeof(s->xsave));
	if (r)
		return r;
	os_preempt_disable();
	r = vmx_vcpu_load(v);
	if (!r)
		r = vmcs_set_state(v, &s->regs);
	if (!r) {
		state_set_rest(v, s, &m);
		vmx_intr_update_ready(v, v->tunnel_page.va);
		if (vmx_take_error())
			r = -EIO;
	}
	os_preempt_enable();
	if (!r) {
		v->panicked = false;
		v->pdptes_pending = false;
		v->io_in_size = 0;
		v->emu = (struct vcpu_emu){ 0 };
		vcpu_tpr_forget(v); /* the VMM restored its APIC too */
	}
	return r;
}
