// SPDX-License-Identifier: GPL-2.0
/*
 * MOV to and from control registers that exit (SDM 25.1.3, 28.1.3): CR0 and
 * CR4 bits haxm owns (those VMX fixes) and CR8 (tpr.c); and the PAE PDPTEs.
 *
 * With EPT, a guest using PAE paging outside long mode runs on the four
 * PDPTEs held in the VMCS, loaded at VM entry (SDM 26.3.2.4, 28.3.1). The
 * CPU loads them itself on a MOV to CR0/CR3/CR4 in the guest, but a MOV to
 * CR0/CR4 that exits is emulated here and must load them from guest memory,
 * as must SET_REGS. Reading guest memory may sleep, so such a write returns
 * EXIT_LOAD_PDPTES and vmx_cr_finish() completes it outside the exit path.
 */
#include "intr.h"
#include "caps.h"
#include "cpu.h"
#include "exits.h"
#include "vmcs.h"
#include "vmx.h"

#define CR4_PSE	 (1ULL << 4)
#define CR4_PGE	 (1ULL << 7)
#define CR4_SMEP (1ULL << 20)

/*
 * Whether CR0 @cr0 and CR4 @cr4 may be loaded with EFER @efer; sets
 * EFER.LMA in @efer as paging with EFER.LME implies (SDM 10.8.5).
 */
static bool cr_valid(u64 cr0, u64 cr4, u64 *efer)
{
	if ((cr0 >> 32) || ((cr0 & HAX_CR0_PG) && !(cr0 & HAX_CR0_PE)) ||
	    ((cr0 & HAX_CR0_NW) && !(cr0 & HAX_CR0_CD)))
		return false;
	if ((cr4 & HAX_CR4_VMXE) || (cr4 & ~vmx_caps.cr4_guest))
		return false;
	if ((cr0 & HAX_CR0_PG) && (*efer & HAX_EFER_LME)) {
		if (!(cr4 & HAX_CR4_PAE))
			return false;
		*efer |= HAX_EFER_LMA;
	} else {
		*efer &= ~HAX_EFER_LMA;
	}
	return true;
}

static bool pae_paging(u64 cr0, u64 cr4, u64 efer)
{
	return (cr0 & HAX_CR0_PG) && (cr4 & HAX_CR4_PAE) && !(efer & HAX_EFER_LMA);
}

/* SDM 4.4.1: MOV to CR0/CR4 that changes these bits loads the PDPTEs. */
static bool loads_pdptes(u64 old0, u64 old4, u64 cr0, u64 cr4, u64 efer)
{
	return pae_paging(cr0, cr4, efer) &&
	       (((old0 ^ cr0) & (HAX_CR0_PG | HAX_CR0_CD | HAX_CR0_NW)) ||
		((old4 ^ cr4) & (HAX_CR4_PAE | CR4_PGE | CR4_PSE | CR4_SMEP)));
}

static void cr_commit(u64 cr0, u64 cr4, u64 efer)
{
	u32 entry = vmcs_read32(VM_ENTRY_CONTROLS) & ~ENTRY_IA32E_MODE;

	vmcs_write64(GUEST_IA32_EFER, efer);
	vmcs_write32(VM_ENTRY_CONTROLS, efer & HAX_EFER_LMA ? entry | ENTRY_IA32E_MODE : entry);
	vmcs_writel(CR0_READ_SHADOW, cr0);
	vmcs_writel(GUEST_CR0, vmx_cr0_fixed(&vmx_caps, cr0));
	vmx_write_cr4(cr4);
}

void vmx_write_cr4(u64 cr4)
{
	u32 proc2;

	vmcs_writel(CR4_READ_SHADOW, cr4);
	vmcs_writel(GUEST_CR4, vmx_cr4_fixed(&vmx_caps, cr4));
	if (!vmx_caps.umip_emulated)
		return;
	proc2 = vmcs_read32(SECONDARY_VM_EXEC_CONTROL) & ~CPU2_DESC_TABLE_EXITING;
	vmcs_write32(SECONDARY_VM_EXEC_CONTROL,
		     cr4 & HAX_CR4_UMIP ? proc2 | CPU2_DESC_TABLE_EXITING : proc2);
}

void vmx_write_pdptes(const u64 pdpte[4])
{
	vmcs_write64(GUEST_PDPTR0, pdpte[0]);
	vmcs_write64(GUEST_PDPTR1, pdpte[1]);
	vmcs_write64(GUEST_PDPTR2, pdpte[2]);
	vmcs_write64(GUEST_PDPTR3, pdpte[3]);
}

/* Reserved bits of a present PDPTE: 2:1, 8:5, MAXPHYADDR-1 and up. */
static bool pdptes_valid(const u64 pdpte[4])
{
	u32 a, b, c, d, maxphy;
	u64 rsvd;
	int i;

	asm volatile("cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(d) : "a"(0x80000008), "c"(0));
	maxphy = a & 0xff;
	rsvd = 0x1e6ULL | (maxphy < 64 ? ~0ULL << maxphy : 0);
	for (i = 0; i < 4; i++)
		if ((pdpte[i] & 1) && (pdpte[i] & rsvd))
			return false;
	return true;
}

/* The 32-byte PDPT at guest-physical @cr3 (bits 31:5, SDM 4.4.1). Sleeps. */
static int read_pdptes(struct vm *vm, u64 cr3, u64 pdpte[4])
{
	u64 gpa = cr3 & 0xffffffe0ULL, gfn = gpa >> HAX_PAGE_SHIFT, uva = 0;
	const struct memslot *s;
	int r;

	os_mutex_lock(&vm->lock);
	s = memslot_find(&vm->mem, gfn);
	if (s)
		uva = s->rb->uva + ((s->rb_pgoff + gfn - s->gfn) << HAX_PAGE_SHIFT) +
		      (gpa & ~HAX_PAGE_MASK);
	os_mutex_unlock(&vm->lock);
	if (!s)
		return -EINVAL;
	r = os_copy_from_user(pdpte, uva, 4 * sizeof(u64));
	if (!r && !pdptes_valid(pdpte))
		r = -EINVAL;
	return r ? -EINVAL : 0;
}

int vmx_run_pdptes(struct vcpu *v)
{
	u64 pdpte[4], cr0 = 0, cr4 = 0, efer = 0, cr3 = 0;
	int r;

	os_preempt_disable();
	r = vmx_vcpu_load(v);
	if (!r) {
		cr0 = vmcs_guest_cr0();
		cr4 = vmcs_guest_cr4();
		efer = vmcs_read64(GUEST_IA32_EFER);
		cr3 = vmcs_readl(GUEST_CR3);
	}
	os_preempt_enable();
	if (r)
		return r;
	if (pae_paging(cr0, cr4, efer)) {
		r = read_pdptes(v->vm, cr3, pdpte);
		if (r)
			return r;
		os_preempt_disable();
		r = vmx_vcpu_load(v);
		if (!r) {
			vmx_write_pdptes(pdpte);
			if (vmx_take_error())
				r = -EIO;
		}
		os_preempt_enable();
	}
	if (!r)
		v->pdptes_pending = false;
	return r;
}

/* MOV to CR0 or CR4: check, then commit or (PAE) ask for the PDPTEs. */
static int mov_to_cr(struct vcpu *v, int cr, u64 val)
{
	u64 old0 = vmcs_guest_cr0(), old4 = vmcs_guest_cr4(), efer = vmcs_read64(GUEST_IA32_EFER);
	u64 cr0 = cr == 0 ? val : old0, cr4 = cr == 4 ? val : old4;

	if (!cr_valid(cr0, cr4, &efer))
		return -1;
	if (loads_pdptes(old0, old4, cr0, cr4, efer)) {
		v->cr_wait_reg = cr;
		v->cr_wait_val = val;
		v->pdpte_cr3 = vmcs_readl(GUEST_CR3);
		return EXIT_LOAD_PDPTES;
	}
	cr_commit(cr0, cr4, efer);
	return 0;
}

int vmx_handle_cr(struct vcpu *v, struct hax_tunnel *t)
{
	u64 q = v->exit_qual;
	int cr = q & 15, type = (q >> 4) & 3, gpr = (q >> 8) & 15, r = -1;

	/* MOV to CR (type 0) and from CR (1): SDM 28.2.1, Table 28-3 */
	if (cr == 8 && type < 2)
		return vmx_cr8_access(v, t, type == 0, gpr);
	if (type == 0 && (cr == 0 || cr == 4))
		r = mov_to_cr(v, cr, vcpu_gpr(v, gpr));
	if (r == EXIT_LOAD_PDPTES)
		return r;
	if (r) {
		vmx_inject_exception(v, HAX_VEC_GP, true, 0);
		return EXIT_RESUME;
	}
	vmx_skip_instruction(v);
	return EXIT_RESUME;
}

int vmx_cr_finish(struct vcpu *v)
{
	u64 pdpte[4], cr0, cr4, efer;
	bool ok = !read_pdptes(v->vm, v->pdpte_cr3, pdpte);
	int r;

	os_preempt_disable();
	r = vmx_vcpu_load(v);
	if (!r) {
		cr0 = v->cr_wait_reg == 0 ? v->cr_wait_val : vmcs_guest_cr0();
		cr4 = v->cr_wait_reg == 4 ? v->cr_wait_val : vmcs_guest_cr4();
		efer = vmcs_read64(GUEST_IA32_EFER);
		if (ok && cr_valid(cr0, cr4, &efer)) {
			cr_commit(cr0, cr4, efer);
			vmx_write_pdptes(pdpte);
			vmx_skip_instruction(v);
		} else {
			vmx_inject_exception(v, HAX_VEC_GP, true, 0);
		}
		if (vmx_take_error())
			r = -EIO;
	}
	os_preempt_enable();
	return r ? r : EXIT_RESUME;
}
