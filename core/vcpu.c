// SPDX-License-Identifier: GPL-2.0
/* vCPUs: creation, the RUN loop and register access. */
#include "vm.h"
#include "vapic.h"
#include "stats.h"
#include "vmx/cpu.h"
#include "vmx/exits.h"
#include "vmx/caps.h"
#include "vmx/vmcs.h"
#include "vmx/vmx.h"
#include "vmx/msr_vmx.h"
#include "vmx/apicv.h"
#include "vmx/intr.h"

/* Unique while vm ids < 1024; 0 is the host's (SDM 29.1). */
static u16 vcpu_vpid(u32 vm_id, u32 vcpu_id)
{
	return 1 + vm_id * HAX_MAX_VCPUS + vcpu_id;
}

static void vcpu_free(struct vcpu *v)
{
	vcpu_lapic_destroy(v);
	msr_vcpu_free(v);
	os_page_free(&v->vapic_page);
	os_page_free(&v->iobuf_page);
	os_page_free(&v->tunnel_page);
	os_page_free(&v->vmcs);
	os_fpu_free(v->fpu);
	os_free(v);
}

int vcpu_create(struct vm *vm, u32 id, struct vcpu **out)
{
	struct vcpu *v;
	bool lapic;
	int r;

	if (id >= HAX_MAX_VCPUS)
		return -EINVAL;
	v = os_zalloc(sizeof(*v));
	if (!v)
		return -ENOMEM;
	v->vm = vm;
	v->id = id;
	v->cpu = -1;
	v->vpid = vcpu_vpid(vm->id, id);
	os_mutex_init(&v->lock);
	v->xcr0 = XCR0_X87; /* the reset value (SDM 13.3) */
	r = os_fpu_alloc(&v->fpu);
	if (!r)
		r = os_page_alloc(&v->vmcs);
	if (!r)
		r = os_page_alloc(&v->tunnel_page);
	if (!r)
		r = os_page_alloc(&v->iobuf_page);
	if (!r)
		r = msr_vcpu_init(v);
	if (!r && vmx_caps.tpr_shadow)
		r = os_page_alloc(&v->vapic_page); /* the TPR shadow's (vmx/tpr.c) */
	os_mutex_lock(&vm->lock);
	vm->vcpu_created = true;
	lapic = vm->lapic_on;
	os_mutex_unlock(&vm->lock);
	if (!r && lapic)
		r = vcpu_lapic_create(v);
	if (r) {
		vcpu_free(v);
		return r;
	}
	*(u32 *)v->vmcs.va = vmx_caps.revision;

	os_mutex_lock(&vm->lock);
	if (vm->vcpus[id]) {
		r = -EEXIST;
		goto fail;
	}
	os_preempt_disable();
	r = vmx_vcpu_load(v);
	if (!r) {
		vmcs_setup(v);
		msr_vmcs_setup(v);
		if (vmx_take_error())
			r = -EIO;
	}
	os_preempt_enable();
	if (r)
		goto fail;
	vm->vcpus[id] = v;
	vcpu_lapic_attach(v);
	os_mutex_unlock(&vm->lock);
	hax_count(&hax_counters.vcpus, 1);
	*out = v;
	return 0;
fail:
	os_mutex_unlock(&vm->lock);
	vmx_vcpu_clear(v);
	vcpu_free(v);
	return r;
}

void vcpu_destroy(struct vcpu *v)
{
	struct vm *vm = v->vm;

	os_mutex_lock(&vm->lock);
	vm->vcpus[v->id] = NULL;
	os_mutex_unlock(&vm->lock);
	vmx_vcpu_clear(v);
	vcpu_free(v);
	hax_count(&hax_counters.vcpus, -1);
}

struct hax_tunnel *vcpu_tunnel(struct vcpu *v)
{
	return v->tunnel_page.va;
}

/* An access PROTECT_RAM forbids: user space learns the page and the rights. */
static int vcpu_pagefault(struct hax_tunnel *t, u64 gpa, u32 access, u32 allowed)
{
	t->pagefault.gpa = gpa;
	t->pagefault.flags = access | (allowed << 4);
	t->pagefault.reserved1 = 0;
	t->pagefault.reserved2 = 0;
	t->_exit_status = HAX_EXIT_PAGEFAULT;
	return EXIT_TO_USER;
}

/* Blocks a fault maps at most: its own and those after it (fault-around). */
#define FAULT_AROUND_BLOCKS 64

/*
 * After a fault mapped the 2 MiB block at @gpa with one leaf: map the blocks
 * after it the same way while each is unused in the EPT and one 2 MiB host
 * page, already there, maps it (a VMM that preallocated its RAM: no memory is
 * faulted in or pinned page by page). Saves an exit a block. Called with the
 * VM lock held.
 */
static void vcpu_fault_around(struct vm *vm, u64 gpa)
{
	u64 g, hpa;
	u32 flags, perm;
	int k;

	for (k = 1; k < FAULT_AROUND_BLOCKS; k++) {
		struct ept_node *old = NULL;

		g = (gpa & ~(EPT_HUGE_SIZE - 1)) + k * EPT_HUGE_SIZE;
		if (!ept_block_unused(&vm->ept, g) ||
		    dirty_log_block(&vm->dirty, g >> HAX_PAGE_SHIFT) ||
		    !guest_mem_pin_block(&vm->mem, g >> HAX_PAGE_SHIFT, &hpa, &flags))
			return;
		perm = guest_mem_allowed(&vm->mem, g >> HAX_PAGE_SHIFT) &
		       ((flags & HAX_RAM_INFO_ROM) ? EPT_R | EPT_X : EPT_RWX);
		/* an unused block: nothing replaced, nothing to flush */
		if (!perm || ept_map_huge(&vm->ept, g, hpa, perm, &old))
			return;
	}
}

/* An EPT violation where there is no RAM: the instruction emulated. */
static int vcpu_fault_mmio(struct vcpu *v, struct hax_tunnel *t, u32 access)
{
	if (os_trace_on(OS_TRACE_MMIO))
		os_trace_mmio(v->vm->id, v->id, v->fault_gpa, access);
	return vcpu_mmio(v, t, v->fault_gpa);
}

/*
 * Map the page behind an EPT violation (and its 2 MiB block, when that can be
 * one leaf), or report what cannot be mapped. The HAX_RAM_PERM_* bits, the
 * EPT_R/W/X bits and the access bits of the exit qualification (SDM 28.2.1,
 * Table 28-7) are the same three bits.
 */
static int vcpu_fault_in(struct vcpu *v, struct hax_tunnel *t)
{
	struct vm *vm = v->vm;
	u64 gpa = v->fault_gpa & HAX_PAGE_MASK, gfn = gpa >> HAX_PAGE_SHIFT, hpa;
	u32 access = v->exit_qual & (EPT_QUAL_READ | EPT_QUAL_WRITE | EPT_QUAL_FETCH);
	u32 flags, allowed, perm;
	struct ept_node *old = NULL;
	bool replaced = false;
	u64 huge_hpa;
	int r;

	if (os_trace_on(OS_TRACE_EPT_FAULT))
		os_trace_ept_fault(vm->id, v->id, v->fault_gpa, v->exit_qual);
	/*
	 * The in-kernel xAPIC page has no RAM to map (a VMM's RAM under it is
	 * reached through the emulator's own lookup): emulate the access now.
	 */
	if (vcpu_lapic_page(v, v->fault_gpa)) {
		/* virtualized (vmx/apicv.c): the APIC-access page, but not to execute */
		if (v->apicv_on && !(access & EPT_QUAL_FETCH)) {
			r = vmx_apicv_map(v);
			if (r <= 0)
				return r;
		}
		return vcpu_fault_mmio(v, t, access);
	}
	os_mutex_lock(&vm->lock);
	/* Another vCPU mapped it meanwhile. */
	if (access && (ept_lookup(&vm->ept, gpa) & access) == access) {
		os_mutex_unlock(&vm->lock);
		return EXIT_RESUME;
	}
	r = guest_mem_pin(&vm->mem, gfn, &hpa, &flags);
	allowed = guest_mem_allowed(&vm->mem, gfn);
	perm = allowed & ((flags & HAX_RAM_INFO_ROM) ? EPT_R | EPT_X : EPT_RWX);
	if (!r && (access & ~allowed)) {
		os_mutex_unlock(&vm->lock);
		if (vcpu_tpr_dirty(v))
			return vcpu_tpr_sync(v, t); /* the guest repeats the access */
		return vcpu_pagefault(t, gpa, access, allowed);
	}
	if (!r && (access & ~perm))
		r = -ENOENT; /* a write to ROM */
	/* dirty logging: writable only once written (and logged), 4 KiB leaves */
	if (!r)
		perm = dirty_log_fault(&vm->dirty, gfn, access, perm);
	if (!r && (vmx_caps.ept_vpid & VMX_EPT_2M_PAGE) && !dirty_log_block(&vm->dirty, gfn) &&
	    guest_mem_huge_hpa(&vm->mem, gfn, &huge_hpa)) {
		/* The whole block at once: no 4 KiB table for it at all. */
		replaced = ept_lookup(&vm->ept, gpa) & EPT_LARGE;
		r = ept_map_huge(&vm->ept, gpa & ~(EPT_HUGE_SIZE - 1), huge_hpa, perm, &old);
		replaced |= old != NULL;
		if (!r)
			vcpu_fault_around(vm, gpa);
	} else if (!r) {
		r = ept_map(&vm->ept, gpa, hpa, perm);
	}
	os_mutex_unlock(&vm->lock);
	/*
	 * A not-present entry made present needs no flush: the CPU caches no
	 * not-present translations (SDM 29.4.3.1). A replaced table or leaf
	 * does: no CPU may still walk or use it.
	 */
	if (replaced) {
		vmx_flush_ept(vm->ept.eptp);
		ept_node_release(old);
	}
	if (r == -ENOENT)
		return vcpu_fault_mmio(v, t, access);
	return r ? r : EXIT_RESUME;
}

/* Deliver the data user space supplied for an IN (SDM: IN to EAX zero-extends). */
static void vcpu_complete_in(struct vcpu *v)
{
	u64 *rax = &v->regs[HAX_REG_RAX];

	if (v->io_in_size == 4)
		*rax = *(u32 *)v->iobuf_page.va;
	else if (v->io_in_size == 2)
		*rax = (*rax & ~0xffffULL) | *(u16 *)v->iobuf_page.va;
	else
		*rax = (*rax & ~0xffULL) | *(u8 *)v->iobuf_page.va;
	v->io_in_size = 0;
}

static int vcpu_run_loop(struct vcpu *v, struct hax_tunnel *t)
{
	int r;

	for (;;) {
		/* The VMM's APIC gets the guest's TPR before it looks (vmx/tpr.c). */
		if (vcpu_tpr_dirty(v) &&
		    (__atomic_load_n(&t->_exit_reason, __ATOMIC_ACQUIRE) == HAX_EXIT_PAUSED ||
		     __atomic_load_n(&t->user_event_pending, __ATOMIC_ACQUIRE) ||
		     os_signal_pending())) {
			vcpu_tpr_sync(v, t);
			return 0;
		}
		/*
		 * User space asks the vCPU to stay out of the guest by writing
		 * HAX_EXIT_PAUSED into _exit_reason (HAXM 7.8's vcpu_execute(),
		 * as crosvm uses it): RUN returns PAUSED, leaving _exit_reason
		 * (and a pending kick) for user space to clear. Checked before
		 * every entry, so a write from another thread takes effect at
		 * the next exit handled in the kernel.
		 */
		if (__atomic_load_n(&t->_exit_reason, __ATOMIC_ACQUIRE) == HAX_EXIT_PAUSED) {
			t->_exit_status = HAX_EXIT_PAUSED;
			return 0;
		}
		/* A kick from user space or a signal: back to the VMM. */
		if (__atomic_exchange_n(&t->user_event_pending, 0, __ATOMIC_ACQ_REL) ||
		    os_signal_pending()) {
			t->_exit_status = HAX_EXIT_INTERRUPT;
			t->_exit_reason = 0;
			return 0;
		}
		os_resched();
		if (v->lapic) {
			/* INIT, SIPI and wait-for-SIPI of the in-kernel LAPIC */
			r = vcpu_lapic_startup(v, t);
			if (r < 0)
				return r;
			if (r)
				continue;
		}
		os_preempt_disable();
		r = vmx_run_once(v, t);
		os_preempt_enable();
		/* host code read guest memory, or others ran while it slept (L1D flush) */
		if (r == EXIT_FAULT_IN || r == EXIT_LOAD_PDPTES || r == EXIT_EMULATE ||
		    r == EXIT_HALT || r == EXIT_YIELD)
			v->host_ran = true;
		if (r == EXIT_FAULT_IN)
			r = vcpu_fault_in(v, t);
		else if (r == EXIT_LOAD_PDPTES)
			r = vmx_cr_finish(v);
		else if (r == EXIT_EMULATE)
			r = vcpu_emulate(v, t);
		else if (r == EXIT_HALT)
			r = vcpu_lapic_halt(v, t);
		else if (r == EXIT_YIELD) {
			os_yield();
			r = EXIT_RESUME;
		}
		if (r == EXIT_RESUME)
			continue;
		if (r < 0) {
			if (r == -EIO)
				v->vm->dead = true;
			return r;
		}
		t->_exit_reason = v->exit_reason & 0xffff;
		/*
		 * A trap cannot be repeated: the debug exit waits behind the
		 * TPR's write; a stopped guest reports it again at every RUN.
		 */
		if ((t->_exit_status == HAX_EXIT_DEBUG ||
		     t->_exit_status == HAX_EXIT_STATECHANGE) &&
		    vcpu_tpr_dirty(v)) {
			v->tpr_defer = t->_exit_status == HAX_EXIT_DEBUG;
			vcpu_tpr_sync(v, t);
		}
		vcpu_stats_to_user(v);
		return 0;
	}
}

int vcpu_run(struct vcpu *v)
{
	struct hax_tunnel *t = v->tunnel_page.va;
	int r;

	if (!v->tunnel_mapped)
		return -ENXIO;
	if (os_mm_current() != v->vm->mm)
		return -EPERM;
	if (v->vm->dead)
		return -EIO;
	if (v->panicked) {
		t->_exit_status = HAX_EXIT_STATECHANGE;
		return 0;
	}
	if (v->tpr_defer) {
		/* the TPR's write went first; the debug exit is in the tunnel still */
		v->tpr_defer = false;
		v->emu.nwrite = v->emu.wdone = 0;
		t->_exit_status = HAX_EXIT_DEBUG;
		return 0;
	}
	if (v->pdptes_pending) {
		r = vmx_run_pdptes(v);
		if (r) {
			if (r == -EIO)
				v->vm->dead = true;
			return r;
		}
	}
	if (v->io_in_size)
		vcpu_complete_in(v);
	/*
	 * The guest's FPU state and syscall MSRs are the thread's for the whole
	 * RUN; an instruction waiting for user space's data completes first,
	 * with the guest's vector registers live (an SSE load writes one).
	 */
	os_fpu_enter(v->fpu);
	r = vcpu_emu_continue(v, t);
	if (r) {
		os_fpu_leave(v->fpu);
		return r < 0 ? r : 0;
	}
	msr_run_begin(v);
	v->host_ran = true; /* user space ran since the last RUN */
	vcpu_lapic_run(v, true);
	r = vcpu_run_loop(v, t);
	vcpu_lapic_run(v, false);
	msr_run_end(v);
	os_fpu_leave(v->fpu);
	os_vmx_run_done();
	return r;
}

/*
 * An exception queued for the next entry delivers an error code exactly when
 * the guest is in protected mode (SDM 26.2.1.3, unrestricted guest); after
 * SET_REGS changed CR0.PE, make the queued event agree, or the entry fails.
 */
static void vcpu_fix_queued_error_code(void)
{
	u32 info = vmcs_read32(VM_ENTRY_INTR_INFO), vec = info & INTR_INFO_VECTOR_MASK;
	bool code = vmcs_readl(GUEST_CR0) & HAX_CR0_PE;

	if (!(info & INTR_INFO_VALID) || (info & INTR_INFO_TYPE_MASK) != INTR_TYPE_HW_EXCEPTION ||
	    !(vec == 8 || (vec >= 10 && vec <= 14) || vec == 17))
		return;
	info = code ? info | INTR_INFO_DELIVER_CODE : info & ~INTR_INFO_DELIVER_CODE;
	vmcs_write32(VM_ENTRY_INTR_INFO, info);
}

/*
 * The XCR0 a state gets that turns CR4.OSXSAVE on from off. The guest itself
 * sets OSXSAVE with MOV to CR4, never SET_REGS; a SET_REGS that does loads a
 * snapshot over a reset vCPU (QEMU's loadvm resets first, then loads), and
 * vcpu_state_t has no XCR0 to carry the guest's. The XCR0 the guest had when
 * that reset came is the snapshot's in the common case (a loadvm in the
 * process that ran the guest: the same OS on the same CPUID); a vCPU that never
 * had one (QEMU's -loadvm in a new process) gets every feature its CPUID leaf
 * 0xD offers, which Linux and Windows enable.
 */
static u64 vcpu_snapshot_xcr0(struct vcpu *v)
{
	u32 r[4];

	if (v->xcr0_at_reset)
		return v->xcr0_at_reset;
	cpuid_lookup(&v->cpuid, 0xd, 0, v->id, true, XCR0_X87, r);
	return ((r[0] | (u64)r[3] << 32) & vmx_caps.guest_xcr0) | XCR0_X87;
}

int vcpu_set_regs(struct vcpu *v, const vcpu_state_t *s)
{
	bool osxsave = false;
	int r;

	os_preempt_disable();
	r = vmx_vcpu_load(v);
	if (!r) {
		osxsave = vmcs_guest_cr4() & HAX_CR4_OSXSAVE;
		r = vmcs_set_state(v, s);
	}
	if (!r) {
		/* A stopped vCPU restarts clean: no event of the old state re-delivered. */
		if (v->panicked)
			vmcs_write32(VM_ENTRY_INTR_INFO, 0);
		vcpu_fix_queued_error_code();
		vmx_intr_update_ready(v, v->tunnel_page.va);
	}
	if (!r && vmx_take_error())
		r = -EIO;
	os_preempt_enable();
	if (!r) {
		v->panicked = false;
		v->pdptes_pending = true; /* SET_MSRS may still change EFER */
		v->io_in_size = 0;
		/* A state without XSAVE enabled (a reset, a new boot): XCR0 resets too. */
		if (!(s->_cr4 & HAX_CR4_OSXSAVE)) {
			if (osxsave)
				v->xcr0_at_reset = v->xcr0;
			v->xcr0 = XCR0_X87;
		} else if (!osxsave) {
			v->xcr0 = vcpu_snapshot_xcr0(v);
		}
		v->emu = (struct vcpu_emu){ 0 };
		vcpu_tpr_forget(v); /* the VMM reset or reloaded its APIC */
	}
	return r;
}

int vcpu_init_signal(struct vcpu *v)
{
	vcpu_state_t old, s;
	int r;

	r = vcpu_get_regs(v, &old);
	if (r)
		return r;
	vmcs_reset_state(&s);
	s._cr0 = (s._cr0 & ~(HAX_CR0_CD | HAX_CR0_NW)) | (old._cr0 & (HAX_CR0_CD | HAX_CR0_NW));
	r = vcpu_set_regs(v, &s);
	if (r)
		return r == -EINVAL ? -EIO : r; /* the reset state is always valid */
	os_preempt_disable();
	r = vmx_vcpu_load(v);
	if (!r) {
		vmcs_write32(VM_ENTRY_INTR_INFO, 0);
		vmcs_writel(GUEST_PENDING_DBG_EXCEPTIONS, 0);
		if (vmx_take_error())
			r = -EIO;
	}
	os_preempt_enable();
	return r;
}

int vcpu_startup(struct vcpu *v, u8 vector)
{
	vcpu_state_t s;
	int r;

	r = vcpu_get_regs(v, &s);
	if (r)
		return r;
	s._cs.selector = (u16)vector << 8;
	s._cs.base = (u64)vector << 12;
	s._rip = 0;
	r = vcpu_set_regs(v, &s);
	return r == -EINVAL ? -EIO : r;
}

int vcpu_get_regs(struct vcpu *v, vcpu_state_t *s)
{
	int r;

	os_preempt_disable();
	r = vmx_vcpu_load(v);
	if (!r) {
		vmcs_get_state(v, s);
		if (vmx_take_error())
			r = -EIO;
	}
	os_preempt_enable();
	return r;
}
