// SPDX-License-Identifier: GPL-2.0
/*
 * Guest MSRs under VMX (docs/design.md, "MSRs").
 * - EFER, PAT, SYSENTER_*, FS/GS base live in the VMCS guest area, which the
 *   CPU loads at entry and saves at exit (SDM 26.3.2.1, 27.3.1).
 * - TSC is the host's plus the VMCS TSC offset (SDM 25.3).
 * - STAR, LSTAR, CSTAR, FMASK and KERNEL_GS_BASE matter only to SYSCALL and
 *   SWAPGS, which the host kernel runs only after going back to user space
 *   or to another thread: the guest's values are loaded before an entry and
 *   the host's put back lazily, when RUN returns or the thread is scheduled
 *   out (a scheduler hook), not at every exit.
 * - TSC_AUX is read by the host's NMI entry (RDPID, for the per-CPU base),
 *   so it is switched by the CPU itself with the VM-entry and VM-exit
 *   MSR-load lists (SDM 24.7.2, 24.8.2): no host code runs with the guest's.
 * - The MSR bitmap (SDM 24.6.9) lets FS/GS/KERNEL_GS base and SYSENTER_*
 *   accesses run without exits; the CPU checks those values itself.
 */
#include "intr.h"
#include "msr_vmx.h"
#include "../cpuid_table.h"
#include "../msr.h"
#include "../vapic.h"
#include "../irqchip/lapic.h"
#include "caps.h"
#include "cpu.h"
#include "exits.h"
#include "vmcs.h"
#include "vmx.h"

#define HAX_CR4_OSXSAVE (1ULL << 18)
#define HAX_CR4_PCIDE	(1ULL << 17)

/* The syscall MSRs switched lazily, in msr_host[] order; bits of msr_in. */
#define LAZY_KGS     (1u << 4)
#define LAZY_ALL     0x1fu
#define HAX_EFER_SCE 1ULL
static const u32 lazy_msrs[MSR_NR_LAZY] = {
	HAX_MSR_STAR, HAX_MSR_LSTAR, HAX_MSR_CSTAR, HAX_MSR_FMASK, HAX_MSR_KERNEL_GS_BASE,
};

/* An entry of an MSR-load list (SDM 24.7.2). */
struct msr_load_entry {
	u32 index;
	u32 reserved;
	u64 data;
};

static inline void hax_wrmsr(u32 msr, u64 val)
{
	asm volatile("wrmsr" ::"c"(msr), "a"((u32)val), "d"((u32)(val >> 32)) : "memory");
}

static void msr_limits_init(struct msr_limits *l)
{
	u32 r[4];

	l->phys_bits = 36;
	l->virt_bits = 48;
	cpuid_host(0x80000000, 0, r);
	if (r[0] >= 0x80000008) {
		cpuid_host(0x80000008, 0, r);
		l->phys_bits = r[0] & 0xff;
		l->virt_bits = (r[0] >> 8) & 0xff;
	}
	l->tsc_aux = vmx_caps.proc2 & CPU2_ENABLE_RDTSCP;
}

/* Where lazy MSR i lives in struct msr_state. */
static const u16 lazy_off[MSR_NR_LAZY] = {
	__builtin_offsetof(struct msr_state, star),
	__builtin_offsetof(struct msr_state, lstar),
	__builtin_offsetof(struct msr_state, cstar),
	__builtin_offsetof(struct msr_state, fmask),
	__builtin_offsetof(struct msr_state, kernel_gs_base),
};

static u64 *lazy_slot(struct msr_state *m, int i)
{
	return (u64 *)((char *)m + lazy_off[i]);
}

/* ---- lifetime and VMCS --------------------------------------------------- */

static void msr_sched_out(void *arg)
{
	struct vcpu *v = arg;

	msr_host_restore(v);
	v->host_ran = true; /* another thread runs here now (the L1D flush) */
}

void msr_bitmap_intercept(struct vcpu *v, u32 msr, bool write, bool exit)
{
	u8 *byte = (u8 *)v->msr_bitmap.va + (msr >= 0xc0000000u ? 1024 : 0) + (write ? 2048 : 0) +
		   (msr & 0x1fff) / 8;

	if (exit)
		*byte |= 1u << (msr % 8);
	else
		*byte &= ~(1u << (msr % 8));
}

int msr_vcpu_init(struct vcpu *v)
{
	u32 msr;
	int r;

	msr_state_reset(&v->msr, v->id == 0);
	v->cpuid = v->vm->cpuid_default;
	r = os_page_alloc(&v->msr_bitmap);
	if (!r)
		r = os_page_alloc(&v->msr_lists);
	if (r)
		return r;
	v->sched_hook = os_sched_hook_alloc(msr_sched_out, v);
	if (!v->sched_hook)
		return -ENOMEM;
	/* Every access exits but those the CPU can check and keep itself. */
	__builtin_memset(v->msr_bitmap.va, 0xff, HAX_PAGE_SIZE);
	for (msr = HAX_MSR_SYSENTER_CS; msr <= HAX_MSR_SYSENTER_EIP; msr++) {
		msr_bitmap_intercept(v, msr, false, false);
		msr_bitmap_intercept(v, msr, true, false);
	}
	for (msr = HAX_MSR_FS_BASE; msr <= HAX_MSR_KERNEL_GS_BASE; msr++) {
		msr_bitmap_intercept(v, msr, false, false);
		msr_bitmap_intercept(v, msr, true, false);
	}
	return 0;
}

void msr_vcpu_free(struct vcpu *v)
{
	if (v->sched_hook)
		os_sched_hook_free(v->sched_hook);
	v->sched_hook = NULL;
	os_page_free(&v->msr_lists);
	os_page_free(&v->msr_bitmap);
}

/*
 * The lists switch TSC_AUX only while the guest's value differs from this
 * CPU's (a guest that never sets it, or sets what the host has, costs
 * nothing). The VMCS is current.
 */
static void tsc_aux_lists(struct vcpu *v)
{
	struct msr_load_entry *lists = v->msr_lists.va;
	u32 n = v->vm->msr_lim.tsc_aux && lists[0].data != lists[1].data;

	vmcs_write32(VM_ENTRY_MSR_LOAD_COUNT, n);
	vmcs_write32(VM_EXIT_MSR_LOAD_COUNT, n);
}

void msr_vmcs_setup(struct vcpu *v)
{
	struct msr_load_entry *lists = v->msr_lists.va;

	if (vmx_caps.proc & CPU_USE_MSR_BITMAPS)
		vmcs_write64(MSR_BITMAP, v->msr_bitmap.pa);
	/* lists[0]: the guest's TSC_AUX at entry; lists[1]: the host's at exit. */
	lists[0] = (struct msr_load_entry){ .index = HAX_MSR_TSC_AUX, .data = v->msr.tsc_aux };
	lists[1] = (struct msr_load_entry){ .index = HAX_MSR_TSC_AUX };
	vmcs_write64(VM_ENTRY_MSR_LOAD_ADDR, v->msr_lists.pa);
	vmcs_write64(VM_EXIT_MSR_LOAD_ADDR, v->msr_lists.pa + sizeof(*lists));
	/* Counts stay 0 until msr_after_migration() knows this CPU's value. */
	vmcs_write32(VM_ENTRY_MSR_LOAD_COUNT, 0);
	vmcs_write32(VM_EXIT_MSR_LOAD_COUNT, 0);
}

void msr_after_migration(struct vcpu *v)
{
	struct msr_load_entry *lists = v->msr_lists.va;

	if (!v->vm->msr_lim.tsc_aux)
		return;
	lists[1].data = vmx_rdmsr(HAX_MSR_TSC_AUX);
	tsc_aux_lists(v);
}

void msr_state_load(struct vcpu *v, const struct msr_state *m)
{
	v->msr = *m;
	((struct msr_load_entry *)v->msr_lists.va)[0].data = m->tsc_aux;
	tsc_aux_lists(v);
}

/* ---- lazy switching ------------------------------------------------------ */

/* Put the guest's values of the lazy MSRs in @want into the CPU. */
static void lazy_load(struct vcpu *v, u8 want)
{
	u8 todo = want & ~v->msr_in;
	int i;

	v->msr_in |= todo;
	for (i = 0; todo; i++, todo >>= 1) {
		u64 guest = *lazy_slot(&v->msr, i);

		if (!(todo & 1))
			continue;
		v->msr_host[i] = vmx_rdmsr(lazy_msrs[i]);
		if (guest != v->msr_host[i])
			hax_wrmsr(lazy_msrs[i], guest);
	}
}

void msr_guest_load(struct vcpu *v)
{
	if (v->msr_in)
		return;
	/*
	 * Without EFER.SCE the guest cannot SYSCALL/SYSRET, and its accesses to
	 * STAR..FMASK exit: those wait until it sets SCE (efer_write()).
	 * KERNEL_GS_BASE is passed through, so it is always the guest's.
	 */
	lazy_load(v, (vmcs_read64(GUEST_IA32_EFER) & HAX_EFER_SCE) ? LAZY_ALL : LAZY_KGS);
}

void msr_host_restore(struct vcpu *v)
{
	unsigned long flags;
	u8 in;
	int i;

	if (!v->msr_in)
		return;
	flags = os_irq_save();
	/* SWAPGS and passed-through WRMSRs change it without exits. */
	v->msr.kernel_gs_base = vmx_rdmsr(HAX_MSR_KERNEL_GS_BASE);
	for (i = 0, in = v->msr_in; in; i++, in >>= 1)
		if ((in & 1) && *lazy_slot(&v->msr, i) != v->msr_host[i])
			hax_wrmsr(lazy_msrs[i], v->msr_host[i]);
	v->msr_in = 0;
	os_irq_restore(flags);
}

void msr_run_begin(struct vcpu *v)
{
	os_sched_hook_arm(v->sched_hook);
}

void msr_run_end(struct vcpu *v)
{
	os_preempt_disable();
	msr_host_restore(v);
	os_sched_hook_disarm(v->sched_hook);
	os_preempt_enable();
}

/* ---- reading and writing ------------------------------------------------- */

/* EFER (SDM 2.2.1): SCE, LME, LMA, NXE; LMA follows CR0.PG and LME. */
static int efer_write(struct vcpu *v, u64 val, bool host)
{
	u64 efer = vmcs_read64(GUEST_IA32_EFER);
	bool pg = vmcs_guest_cr0() & HAX_CR0_PG; /* the guest owns PG: not the shadow */
	u32 entry = vmcs_read32(VM_ENTRY_CONTROLS) & ~ENTRY_IA32E_MODE;

	if (val & ~(1ULL | HAX_EFER_LME | HAX_EFER_LMA | HAX_EFER_NXE))
		return -EINVAL;
	if (!host) {
		/* The guest may not toggle LME while paging; LMA is read-only. */
		if (pg && ((val ^ efer) & HAX_EFER_LME))
			return -EINVAL;
		val = (val & ~HAX_EFER_LMA) | (efer & HAX_EFER_LMA);
	} else if (pg ? !!(val & HAX_EFER_LME) != !!(val & HAX_EFER_LMA) : !!(val & HAX_EFER_LMA)) {
		return -EINVAL; /* a state VM entry would refuse (SDM 26.3.1.1) */
	} else if ((val & HAX_EFER_LMA) && !(vmcs_readl(GUEST_CR4) & HAX_CR4_PAE)) {
		return -EINVAL;
	}
	vmcs_write64(GUEST_IA32_EFER, val);
	vmcs_write32(VM_ENTRY_CONTROLS, entry | ((val & HAX_EFER_LMA) ? ENTRY_IA32E_MODE : 0));
	/* Leaving long mode with paging on needs PDPTEs: read at RUN. */
	if (host)
		v->pdptes_pending = true;
	/* SYSCALL is now possible: its MSRs must be the guest's (see msr_guest_load()). */
	if (v->msr_in && (val & HAX_EFER_SCE))
		lazy_load(v, LAZY_ALL);
	return 0;
}

/* The MSRs in the VMCS and the TSC: 0, -ENOENT or -EINVAL as msr_soft_*(). */
static int vmcs_msr_read(struct vcpu *v, u32 msr, u64 *val)
{
	switch (msr) {
	case HAX_MSR_TSC_ADJUST:
		*val = v->msr.tsc_adjust;
		return 0;
	case HAX_MSR_EFER:
		*val = vmcs_read64(GUEST_IA32_EFER);
		return 0;
	case HAX_MSR_PAT:
		*val = vmcs_read64(GUEST_IA32_PAT);
		return 0;
	case HAX_MSR_SYSENTER_CS:
		*val = vmcs_read32(GUEST_SYSENTER_CS);
		return 0;
	case HAX_MSR_SYSENTER_ESP:
		*val = vmcs_readl(GUEST_SYSENTER_ESP);
		return 0;
	case HAX_MSR_SYSENTER_EIP:
		*val = vmcs_readl(GUEST_SYSENTER_EIP);
		return 0;
	case HAX_MSR_FS_BASE:
		*val = vmcs_readl(GUEST_FS_BASE);
		return 0;
	case HAX_MSR_GS_BASE:
		*val = vmcs_readl(GUEST_GS_BASE);
		return 0;
	case HAX_MSR_TSC:
		*val = hax_rdtsc() + v->tsc_offset;
		return 0;
	case HAX_MSR_DEBUGCTL:
		*val = vmcs_read64(GUEST_IA32_DEBUGCTL);
		return 0;
	}
	return -ENOENT;
}

/*
 * IA32_TSC (SDM 18.17): the guest's TSC is the host's plus TSC_OFFSET. A
 * guest's write adds to IA32_TSC_ADJUST what it adds to the TSC (SDM
 * 18.17.3), as the CPU does; user space's (QEMU syncs the TSC after a
 * reset, a migration) leaves it, as KVM's host writes do.
 */
static int tsc_write(struct vcpu *v, u64 val, bool host)
{
	u64 now = hax_rdtsc();

	if (!host)
		v->msr.tsc_adjust += val - (now + v->tsc_offset);
	msr_tsc_offset_set(v, val - now);
	return 0;
}

void msr_tsc_offset_set(struct vcpu *v, u64 offset)
{
	v->tsc_offset = offset;
	vmcs_write64(TSC_OFFSET, offset);
	vcpu_lapic_tsc_changed(v);
}

static int vmcs_msr_write(struct vcpu *v, const struct msr_limits *lim, u32 msr, u64 val, bool host)
{
	switch (msr) {
	case HAX_MSR_EFER:
		return efer_write(v, val, host);
	case HAX_MSR_PAT:
		if (!msr_pat_valid(val))
			return -EINVAL;
		vmcs_write64(GUEST_IA32_PAT, val);
		return 0;
	case HAX_MSR_SYSENTER_CS:
		vmcs_write32(GUEST_SYSENTER_CS, (u32)val);
		return 0;
	case HAX_MSR_SYSENTER_ESP:
	case HAX_MSR_SYSENTER_EIP:
	case HAX_MSR_FS_BASE:
	case HAX_MSR_GS_BASE:
		/* VM entry checks these are canonical (SDM 26.3.1.1-2). */
		if (!msr_canonical(val, lim->virt_bits))
			return -EINVAL;
		vmcs_writel(msr == HAX_MSR_SYSENTER_ESP	  ? GUEST_SYSENTER_ESP
			    : msr == HAX_MSR_SYSENTER_EIP ? GUEST_SYSENTER_EIP
			    : msr == HAX_MSR_FS_BASE	  ? GUEST_FS_BASE
							  : GUEST_GS_BASE,
			    val);
		return 0;
	case HAX_MSR_TSC:
		return tsc_write(v, val, host);
	case HAX_MSR_TSC_ADJUST:
		/* The guest's write moves its TSC by the change (SDM 18.17.3). */
		if (!host)
			msr_tsc_offset_set(v, v->tsc_offset + val - v->msr.tsc_adjust);
		v->msr.tsc_adjust = val;
		return 0;
	case HAX_MSR_DEBUGCTL:
		/*
		 * No LBR or BTF for guests: like kvm_intel without LBR support,
		 * those two bits are accepted and dropped (Linux sets BTF for
		 * PTRACE_SINGLEBLOCK), any other bit is #GP.
		 */
		if (val & ~(DEBUGCTL_LBR | DEBUGCTL_BTF))
			return -EINVAL;
		vmcs_write64(GUEST_IA32_DEBUGCTL, 0);
		return 0;
	}
	return -ENOENT;
}

/* One MSR of @v, whose VMCS is current. 0 or -EINVAL (#GP for a guest). */
static int msr_get(struct vcpu *v, u32 msr, u64 *val)
{
	int r;

	if (msr == HAX_MSR_KERNEL_GS_BASE && (v->msr_in & LAZY_KGS)) {
		*val = vmx_rdmsr(msr);
		return 0;
	}
	r = vcpu_lapic_msr(v, msr, val, false, false);
	if (r != -ENOENT)
		return r;
	r = vmcs_msr_read(v, msr, val);
	if (r == -ENOENT)
		r = msr_soft_read(&v->msr, &v->vm->msr_lim, msr, val);
	return r ? -EINVAL : 0;
}

static int msr_set(struct vcpu *v, u32 msr, u64 val, bool host)
{
	const struct msr_limits *lim = &v->vm->msr_lim;
	int i, r;

	r = vcpu_lapic_msr(v, msr, &val, true, host);
	if (r != -ENOENT)
		return r;
	r = vmcs_msr_write(v, lim, msr, val, host);
	if (r == -ENOENT)
		r = msr_soft_write(&v->msr, lim, msr, val, host);
	if (r)
		return -EINVAL;
	if (msr == HAX_MSR_TSC_AUX) {
		((struct msr_load_entry *)v->msr_lists.va)[0].data = val;
		tsc_aux_lists(v);
	}
	/* A loaded syscall MSR changes in the CPU too (it is valid: checked above). */
	for (i = 0; i < MSR_NR_LAZY; i++)
		if (lazy_msrs[i] == msr && (v->msr_in & (1u << i)))
			hax_wrmsr(msr, val);
	return 0;
}

int vmx_handle_rdmsr(struct vcpu *v, struct hax_tunnel *t)
{
	u64 val;

	if (msr_get(v, (u32)v->regs[HAX_REG_RCX], &val)) {
		vmx_inject_exception(v, HAX_VEC_GP, true, 0);
		return EXIT_RESUME;
	}
	v->regs[HAX_REG_RAX] = (u32)val;
	v->regs[HAX_REG_RDX] = val >> 32;
	vmx_skip_instruction(v);
	return EXIT_RESUME;
}

int vmx_handle_wrmsr(struct vcpu *v, struct hax_tunnel *t)
{
	u64 val = (v->regs[HAX_REG_RDX] << 32) | (u32)v->regs[HAX_REG_RAX];

	if (msr_set(v, (u32)v->regs[HAX_REG_RCX], val, false)) {
		vmx_inject_exception(v, HAX_VEC_GP, true, 0);
		return EXIT_RESUME;
	}
	vmx_skip_instruction(v);
	return EXIT_RESUME;
}

int vcpu_msrs(struct vcpu *v, struct hax_msr_data *d, bool set)
{
	u16 i, n = d->nr_msr;
	int r;

	if (n > HAX_MAX_MSR_ARRAY)
		return -E2BIG;
	os_preempt_disable();
	r = vmx_vcpu_load(v);
	for (i = 0; !r && i < n; i++) {
		u64 msr = d->entries[i].entry, val = d->entries[i].value;

		if (msr >> 32)
			break;
		if (set ? msr_set(v, (u32)msr, val, true) : msr_get(v, (u32)msr, &val))
			break;
		d->entries[i].value = val;
	}
	if (!r && vmx_take_error())
		r = -EIO;
	os_preempt_enable();
	d->done = r ? 0 : i;
	return r;
}

/* ---- CPUID --------------------------------------------------------------- */

/*
 * The host's CPUID as the host kernel uses it: a feature it turned off
 * stays off for guests. Bochs, for one, gets the compacted XSAVE layout
 * wrong with AVX-512 and the testbed boots with clearcpuid=xsavec,xsaves:
 * a guest offered XSAVEC there corrupts its tasks' FPU state.
 */
static void cpuid_host_kernel(u32 leaf, u32 sub, u32 r[4])
{
	int i;

	cpuid_host(leaf, sub, r);
	for (i = 0; i < 4; i++)
		r[i] &= os_host_cpuid_mask(leaf, sub, i);
}

void cpuid_vm_init(struct vm *vm)
{
	struct cpuid_host_caps caps = {
		.rdtscp = vmx_caps.proc2 & CPU2_ENABLE_RDTSCP,
		.invpcid = vmx_caps.proc2 & CPU2_ENABLE_INVPCID,
		.pcid = vmx_caps.cr4_fixed1 & HAX_CR4_PCIDE,
		/* XSETBV is virtualized (xsave.c) wherever the host enabled XSAVE. */
		.xsave = vmx_caps.host_xcr0 != 0,
		/*
		 * CR4.UMIP is passed through where the CPU has it, emulated with
		 * descriptor-table exits where it does not (vmx_write_cr4()).
		 */
		.umip = vmx_caps.cr4_guest & HAX_CR4_UMIP,
		.xcr0 = vmx_caps.host_xcr0,
	};

	cpuid_table_build(&vm->cpuid_default, cpuid_host_kernel, &caps);
	msr_limits_init(&vm->msr_lim);
}

int vmx_handle_cpuid(struct vcpu *v, struct hax_tunnel *t)
{
	/* OSXSAVE is a guest-owned CR4 bit: GUEST_CR4 has it, not the shadow. */
	bool osxsave = vmcs_readl(GUEST_CR4) & HAX_CR4_OSXSAVE;
	u32 r[4];

	u32 leaf = (u32)v->regs[HAX_REG_RAX];

	cpuid_lookup(&v->cpuid, leaf, (u32)v->regs[HAX_REG_RCX], v->id, osxsave, v->xcr0, r);
	/* CPUID.1:EDX.APIC follows IA32_APIC_BASE.EN (SDM, "Local APIC Status and Location"), as on
	 * KVM. */
	if (leaf == 1 && !(v->msr.apic_base & APIC_BASE_EN))
		r[3] &= ~CPUID_1_EDX_APIC;
	/* the in-kernel LAPIC has x2APIC mode (CPUID.1:ECX[21]) and, where the
	 * host's TSC rate is known, the TSC-deadline timer (ECX[24]) */
	if (leaf == 1 && v->lapic)
		r[2] |= 1u << 21 | (u32)v->lapic->cfg.tsc_deadline << 24;
	v->regs[HAX_REG_RAX] = r[0];
	v->regs[HAX_REG_RBX] = r[1];
	v->regs[HAX_REG_RCX] = r[2];
	v->regs[HAX_REG_RDX] = r[3];
	vmx_skip_instruction(v);
	return EXIT_RESUME;
}

int vcpu_set_cpuid(struct vcpu *v, const struct hax_cpuid_entry *e, u32 n)
{
	return cpuid_table_set(&v->cpuid, &v->vm->cpuid_default, e, n);
}

int vcpu_get_cpuid(struct vcpu *v, struct hax_cpuid_entry *e, u32 *n)
{
	u32 i;

	if (*n < v->cpuid.nent) {
		*n = v->cpuid.nent;
		return -E2BIG;
	}
	for (i = 0; i < v->cpuid.nent; i++)
		e[i] = v->cpuid.e[i];
	*n = v->cpuid.nent;
	return 0;
}
