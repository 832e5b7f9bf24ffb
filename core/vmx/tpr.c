// SPDX-License-Identifier: GPL-2.0
/*
 * CR8, the local APIC's TPR (SDM Vol. 3A 10.8.6, "Task Priority in IA-32e
 * Mode"; 10.8.6.1, "Interaction of Task Priorities between CR8 and APIC"):
 * a MOV to CR8 writes CR8[3:0] into TPR[7:4] and clears TPR[3:0]; a MOV
 * from CR8 reads TPR[7:4], zero-extended. The APIC is the VMM's (QEMU's
 * user-space APIC at IA32_APIC_BASE + 0x80, which the HAXM ABI never
 * mirrors into the vCPU) while it is enabled in xAPIC mode
 * (IA32_APIC_BASE.EN=1, EXTD=0; SDM 10.4.3, 10.4.4).
 *
 * haxm keeps a copy of that TPR (v->tpr), valid while @tpr_known and
 * IA32_APIC_BASE still holds @tpr_base: learned from a MOV to CR8, which
 * becomes a 4-byte FAST_MMIO write of CR8 << 4 to the TPR, or from a MOV
 * from CR8, which asks the VMM with a FAST_MMIO read whose answer the next
 * RUN puts into the GPR (vmx_cr8_read_done()). It is forgotten when
 * something else may have changed the VMM's TPR: an emulated MMIO write to
 * it (vmx_tpr_mmio_write()), SET_REGS or SET_STATE (a reset, INIT or
 * loadvm in the VMM: vcpu_tpr_forget()), a move of IA32_APIC_BASE. The
 * VMM's APIC changes its TPR for nothing else.
 *
 * While the copy is valid and the CPU has it, the vCPU runs with the TPR
 * shadow (SDM 29.1.2 "TPR Virtualization", 25.6.8; "use TPR shadow" on,
 * CR8-load/store exiting off): the copy is VTPR, offset 0x80 of a
 * per-vCPU virtual-APIC page, and the guest's MOV to and from CR8 touch it
 * without a VM exit. The VMM's APIC then learns the TPR lazily: @tpr_user
 * is the value it last saw, and before any exit to user space where VTPR
 * differs from it, RUN first returns a FAST_MMIO write of VTPR to the TPR
 * (vcpu_tpr_sync()); the exit proper follows at the next RUN, the guest
 * executing its instruction again (I/O, MMIO, HLT, WRMSR of
 * IA32_APIC_BASE), the pending kick, pause or signal still pending, or a
 * HAX_EXIT_DEBUG kept for the next RUN. So whenever the VMM looks at its
 * APIC (an exit, a pause, savevm) its TPR is the guest's.
 *
 * Two directions remain. The guest lowering VTPR below @tpr_user may
 * release an interrupt the VMM's APIC holds back: the TPR threshold
 * (SDM 25.6.8, 29.1.2) is at least @tpr_user's class, so such a MOV to
 * CR8 exits (reason 43, trap-like) and the next entry syncs first. The
 * guest raising VTPR above @tpr_user lets the VMM inject what VTPR masks
 * (a vector INTERRUPT queued while the guest could not take it): such a
 * vector is held back while its class is not above VTPR's (SDM 10.8.3.1;
 * vmx_tpr_holds()), and the threshold is raised to its class, so that the
 * MOV to CR8 lowering VTPR below it exits and the vector is injected then.
 *
 * With the APIC disabled (IA32_APIC_BASE.EN=0) or in x2APIC mode CR8 is a
 * per-vCPU register (v->cr8) that the VMM's APIC never sees, which starts
 * as the last TPR value haxm knew.
 *
 * A VM with in-kernel LAPICs (vapic.c) has the APIC itself. With the TPR
 * shadow its vCPUs run with it from creation on: VTPR is the LAPIC's TPR
 * while the guest runs (a MOV to or from CR8 without an exit, in every
 * APIC mode, as CR8 is the TPR's bits 7:4 in each). @tpr is what VTPR held
 * at the last entry or exit: a guest change seen after an exit goes into
 * the LAPIC (vcpu_lapic_set_tpr()) before any handler or the next poll
 * asks PPR, and a change by an xAPIC or x2APIC TPR write, SET_LAPIC or an
 * INIT goes into VTPR before the next entry. The TPR threshold is the class
 * of the highest IRR vector that the TPR alone holds back
 * (lapic_tpr_held_class()), so that the MOV to CR8 that lets it through
 * exits (reason 43) and the next entry delivers it. Without the TPR shadow
 * CR8 accesses exit and read or write the TPR (vmx_cr8_access()).
 */
#include "intr.h"
#include "../vapic.h"
#include "apicv.h"
#include "caps.h"
#include "cpu.h"
#include "exits.h"
#include "vmcs.h"
#include "vmx.h"

#define APIC_BASE_EXTD	(1ULL << 10)
#define APIC_TPR_OFFSET 0x80
#define CPU_CR8_EXITING (CPU_CR8_LOAD_EXITING | CPU_CR8_STORE_EXITING)

/* The TPR's guest-physical address, or false when CR8 is not the APIC's. */
static bool tpr_gpa(const struct vcpu *v, u64 *gpa)
{
	u64 base = v->msr.apic_base;

	if (!(base & APIC_BASE_EN) || (base & APIC_BASE_EXTD))
		return false;
	*gpa = (base & HAX_PAGE_MASK) + APIC_TPR_OFFSET;
	return true;
}

/* VTPR (SDM 29.1.1): bits 31:8 are 0 after any MOV to CR8. */
static u32 *vtpr(struct vcpu *v)
{
	return (u32 *)((u8 *)v->vapic_page.va + APIC_TPR_OFFSET);
}

static u8 vtpr_read(struct vcpu *v)
{
	return __atomic_load_n(vtpr(v), __ATOMIC_RELAXED) & 0xff;
}

/* The VMM's APIC and haxm agree on @tpr, at the current IA32_APIC_BASE. */
static void tpr_learn(struct vcpu *v, u8 tpr)
{
	v->tpr = tpr;
	v->tpr_user = tpr;
	v->tpr_known = true;
	v->tpr_base = v->msr.apic_base;
	v->cr8 = tpr >> 4;
}

void vcpu_tpr_forget(struct vcpu *v)
{
	v->tpr_known = false;
	v->tpr_defer = false;
}

void vmx_tpr_mmio_write(struct vcpu *v, u64 gpa, u32 size)
{
	u64 tpr = (v->msr.apic_base & HAX_PAGE_MASK) + APIC_TPR_OFFSET;

	if (gpa < tpr + 4 && gpa + size > tpr)
		v->tpr_known = false;
}

bool __vcpu_tpr_dirty(struct vcpu *v)
{
	/* not once forgotten: the VMM reset or reloaded its APIC, or wrote the TPR */
	return v->tpr_known && v->tpr_base == v->msr.apic_base && vtpr_read(v) != v->tpr_user;
}

int vcpu_tpr_sync(struct vcpu *v, struct hax_tunnel *t)
{
	u64 gpa;

	if (!vcpu_tpr_dirty(v) || !tpr_gpa(v, &gpa))
		return EXIT_RESUME;
	v->tpr = v->tpr_user = vtpr_read(v);
	v->cr8 = v->tpr >> 4;
	return vcpu_mmio_exit(v, t, gpa, v->tpr, 4, true);
}

/* "use TPR shadow" on, CR8-load/store exiting off, or the reverse. */
static void tpr_shadow_set(struct vcpu *v, bool on)
{
	u32 proc = vmcs_read32(CPU_BASED_VM_EXEC_CONTROL);

	if (on)
		proc = (proc | CPU_TPR_SHADOW) & ~CPU_CR8_EXITING;
	else
		proc = (proc & ~CPU_TPR_SHADOW) | CPU_CR8_EXITING;
	vmcs_write32(CPU_BASED_VM_EXEC_CONTROL, proc);
	v->tpr_shadow = on;
}

void vmx_tpr_setup(struct vcpu *v)
{
	if (!v->vapic_page.va)
		return;
	vmcs_write64(VIRTUAL_APIC_PAGE_ADDR, v->vapic_page.pa);
	vmx_apicv_setup(v);
	vmcs_write32(TPR_THRESHOLD, 0);
	v->tpr_thr = 0;
	if (v->lapic) {
		/* the in-kernel LAPIC's TPR, 0 at power-up, is VTPR for good */
		v->tpr = vcpu_lapic_tpr(v);
		__atomic_store_n(vtpr(v), v->tpr, __ATOMIC_RELAXED);
		tpr_shadow_set(v, true);
	}
}

void __vmx_tpr_after_exit(struct vcpu *v)
{
	u8 tpr = vtpr_read(v);

	if (v->lapic) {
		/* the guest moved to CR8: PPR and the handlers see it now */
		if (tpr != v->tpr) {
			v->tpr = tpr;
			vcpu_lapic_set_tpr(v, tpr);
		}
		return;
	}
	v->tpr = tpr;
	v->cr8 = v->tpr >> 4;
}

int __vmx_tpr_prepare(struct vcpu *v, struct hax_tunnel *t)
{
	u64 gpa;
	bool on;
	u8 tpr;

	if (v->lapic) {
		/* a TPR write, SET_LAPIC or an INIT changed the LAPIC's TPR */
		tpr = vcpu_lapic_tpr(v);
		if (tpr != v->tpr) {
			__atomic_store_n(vtpr(v), tpr, __ATOMIC_RELAXED);
			v->tpr = tpr;
		}
		return EXIT_RESUME;
	}
	on = v->vapic_page.va && tpr_gpa(v, &gpa) && v->tpr_known &&
	     v->tpr_base == v->msr.apic_base;
	if (on != v->tpr_shadow) {
		if (on)
			__atomic_store_n(vtpr(v), v->tpr, __ATOMIC_RELAXED);
		tpr_shadow_set(v, on);
	}
	/* VTPR fell below what the VMM saw (a TPR-below-threshold exit): tell it */
	if (on && (vtpr_read(v) >> 4) < (v->tpr_user >> 4))
		return vcpu_tpr_sync(v, t);
	return EXIT_RESUME;
}

bool __vmx_tpr_holds(struct vcpu *v, int vec)
{
	u8 class;

	/* INTERRUPT vectors beside an in-kernel LAPIC are ExtINT-like: no TPR */
	if (v->lapic)
		return false;
	class = vtpr_read(v) >> 4;
	return class && (vec >> 4) <= class;
}

void __vmx_tpr_threshold(struct vcpu *v, int held)
{
	u8 thr, class;

	class = vtpr_read(v) >> 4;
	if (v->lapic) {
		thr = v->lapic_tpr_held;
	} else {
		thr = v->tpr_user >> 4;
		if (held >= 0 && (held >> 4) > thr)
			thr = held >> 4;
	}
	/* SDM 26.2.1.1: the threshold may not be above VTPR[7:4] at entry */
	if (thr > class)
		thr = class;
	if (thr != v->tpr_thr) {
		vmcs_write32(TPR_THRESHOLD, thr);
		v->tpr_thr = thr;
	}
}

int vmx_handle_tpr_below(struct vcpu *v, struct hax_tunnel *t)
{
	/* trap-like: the MOV to CR8 retired; the next entry syncs and injects */
	return EXIT_RESUME;
}

int vmx_cr8_access(struct vcpu *v, struct hax_tunnel *t, bool to, int gpr)
{
	u64 val = vcpu_gpr(v, gpr), gpa;

	if (to) {
		/* SDM Vol. 2, MOV to CR8: bits 63:4 are reserved, #GP(0). */
		if (val >> 4) {
			vmx_inject_exception(v, HAX_VEC_GP, true, 0);
			return EXIT_RESUME;
		}
		vmx_skip_instruction(v);
		if (v->lapic) {
			vcpu_lapic_set_cr8(v, val);
			return EXIT_RESUME;
		}
		if (!tpr_gpa(v, &gpa)) {
			v->cr8 = val;
			return EXIT_RESUME;
		}
		tpr_learn(v, val << 4);
		return vcpu_mmio_exit(v, t, gpa, val << 4, 4, true);
	}
	if (v->lapic) {
		val = vcpu_lapic_cr8(v);
	} else if (!tpr_gpa(v, &gpa)) {
		val = v->cr8;
	} else if (v->tpr_known && v->tpr_base == v->msr.apic_base) {
		val = v->tpr >> 4;
	} else {
		v->emu.cr8_gpr = gpr; /* retired when user space answers */
		return vcpu_mmio_exit(v, t, gpa, 0, 4, false);
	}
	vcpu_set_gpr(v, gpr, val);
	vmx_skip_instruction(v);
	return EXIT_RESUME;
}

int vmx_cr8_read_done(struct vcpu *v, u64 val)
{
	int r;

	os_preempt_disable();
	r = vmx_vcpu_load(v);
	if (!r) {
		tpr_learn(v, val & 0xff); /* TPR bits 31:8 are reserved */
		vcpu_set_gpr(v, v->emu.cr8_gpr, v->tpr >> 4);
		vmx_skip_instruction(v);
		if (vmx_take_error())
			r = -EIO;
	}
	os_preempt_enable();
	return r ? r : EXIT_RESUME;
}
