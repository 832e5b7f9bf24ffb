// SPDX-License-Identifier: GPL-2.0
/* VM-exit handlers, in a table indexed by basic exit reason (SDM App. C). */
#include "exits.h"
#include "caps.h"
#include "vmcs.h"
#include "vmx.h"

typedef int (*exit_handler_t)(struct vcpu *v, struct hax_tunnel *t);

void vmx_inject_exception(struct vcpu *v, u8 vec, bool has_error, u32 error)
{
	u32 info = vec | INTR_TYPE_HW_EXCEPTION | INTR_INFO_VALID;

	/* SDM 26.2.1.3: no error code is delivered in real mode. */
	if (has_error && (vmcs_readl(GUEST_CR0) & HAX_CR0_PE)) {
		info |= INTR_INFO_DELIVER_CODE;
		vmcs_write32(VM_ENTRY_EXCEPTION_ERROR_CODE, error);
	}
	vmcs_write32(VM_ENTRY_INTR_INFO, info);
}

void vmx_skip_instruction(struct vcpu *v)
{
	u32 intr = vmcs_read32(GUEST_INTERRUPTIBILITY);

	vmcs_writel(GUEST_RIP, vmcs_readl(GUEST_RIP) + vmcs_read32(VM_EXIT_INSTRUCTION_LEN));
	/* The instruction retired: STI/MOV SS blocking ends (SDM 24.4.2). */
	if (intr & (GUEST_INTR_STI | GUEST_INTR_MOVSS))
		vmcs_write32(GUEST_INTERRUPTIBILITY, intr & ~(GUEST_INTR_STI | GUEST_INTR_MOVSS));
}

int vmx_statechange(struct vcpu *v, struct hax_tunnel *t)
{
	os_log_ratelimited(HAX_LOG_WARN, "vm%u vcpu%u: guest stopped, exit reason %u qual 0x%llx\n",
			   v->vm->id, v->id, v->exit_reason & 0xffff,
			   (unsigned long long)v->exit_qual);
	v->panicked = true;
	t->_exit_status = HAX_EXIT_STATECHANGE;
	return EXIT_TO_USER;
}

static int handle_resume(struct vcpu *v, struct hax_tunnel *t)
{
	return EXIT_RESUME;
}

static int handle_ud(struct vcpu *v, struct hax_tunnel *t)
{
	vmx_inject_exception(v, HAX_VEC_UD, false, 0);
	return EXIT_RESUME;
}

static int handle_gp(struct vcpu *v, struct hax_tunnel *t)
{
	vmx_inject_exception(v, HAX_VEC_GP, true, 0);
	return EXIT_RESUME;
}

static int handle_hlt(struct vcpu *v, struct hax_tunnel *t)
{
	vmx_skip_instruction(v);
	t->_exit_status = HAX_EXIT_HLT;
	return EXIT_TO_USER;
}

static int handle_cpuid(struct vcpu *v, struct hax_tunnel *t)
{
	u32 leaf = (u32)v->regs[HAX_REG_RAX], sub = (u32)v->regs[HAX_REG_RCX];
	u32 a, b, c, d;

	if (leaf == 0x40000000) {
		/* The hypervisor leaf: "HAXMHAXMHAXM". */
		a = 0x40000000;
		b = c = d = 0x4d584148;
	} else {
		asm volatile("cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(d) : "a"(leaf), "c"(sub));
		if (leaf == 1) {
			c &= ~((1u << 5) | (1u << 6)); /* no VMX, no SMX */
			c |= 1u << 31;                  /* running under a hypervisor */
			b = (b & 0x00ffffff) | (v->id << 24);
		}
	}
	v->regs[HAX_REG_RAX] = a;
	v->regs[HAX_REG_RBX] = b;
	v->regs[HAX_REG_RCX] = c;
	v->regs[HAX_REG_RDX] = d;
	vmx_skip_instruction(v);
	return EXIT_RESUME;
}

/* Guest CR0 write (SDM 25.1.3: masked bits differ from the shadow). */
static int set_cr0(struct vcpu *v, u64 val)
{
	u64 old = vmcs_readl(CR0_READ_SHADOW);
	u64 efer = vmcs_read64(GUEST_IA32_EFER);
	u32 entry = vmcs_read32(VM_ENTRY_CONTROLS);

	if ((val >> 32) || ((val & HAX_CR0_PG) && !(val & HAX_CR0_PE)) ||
	    ((val & HAX_CR0_NW) && !(val & HAX_CR0_CD)))
		return -1;
	if (!(old & HAX_CR0_PG) && (val & HAX_CR0_PG) && (efer & HAX_EFER_LME)) {
		if (!(vmcs_readl(GUEST_CR4) & HAX_CR4_PAE))
			return -1;
		efer |= HAX_EFER_LMA;
		entry |= ENTRY_IA32E_MODE;
	} else if (!(val & HAX_CR0_PG)) {
		efer &= ~HAX_EFER_LMA;
		entry &= ~ENTRY_IA32E_MODE;
	}
	vmcs_write64(GUEST_IA32_EFER, efer);
	vmcs_write32(VM_ENTRY_CONTROLS, entry);
	vmcs_writel(CR0_READ_SHADOW, val);
	vmcs_writel(GUEST_CR0, vmx_cr0_fixed(&vmx_caps, val));
	return 0;
}

static int set_cr4(struct vcpu *v, u64 val)
{
	if ((val & HAX_CR4_VMXE) || (val & ~vmx_caps.cr4_fixed1))
		return -1;
	vmcs_writel(CR4_READ_SHADOW, val);
	vmcs_writel(GUEST_CR4, vmx_cr4_fixed(&vmx_caps, val));
	return 0;
}

static int handle_cr(struct vcpu *v, struct hax_tunnel *t)
{
	u64 q = v->exit_qual;
	int cr = q & 15, type = (q >> 4) & 3, gpr = (q >> 8) & 15, r = -1;

	if (type == 0) { /* MOV to CR */
		u64 val = vcpu_gpr(v, gpr);

		if (cr == 0)
			r = set_cr0(v, val);
		else if (cr == 4)
			r = set_cr4(v, val);
		else if (cr == 8 && !(val >> 4))
			v->cr8 = val, r = 0;
	} else if (type == 1 && cr == 8) { /* MOV from CR8 */
		vcpu_set_gpr(v, gpr, v->cr8);
		r = 0;
	}
	if (r) {
		vmx_inject_exception(v, HAX_VEC_GP, true, 0);
		return EXIT_RESUME;
	}
	vmx_skip_instruction(v);
	return EXIT_RESUME;
}

/* MOV DR (SDM 27.2.1 Table 28-4); DR0-3 and DR6 are kept in software. */
static int handle_dr(struct vcpu *v, struct hax_tunnel *t)
{
	u64 q = v->exit_qual;
	int dr = q & 7, gpr = (q >> 8) & 15;
	bool read = q & (1u << 4);

	if (dr == 4 || dr == 5) {
		if (vmcs_readl(CR4_READ_SHADOW) & (1ULL << 3)) /* CR4.DE */
			return handle_ud(v, t);
		dr += 2;
	}
	if (read) {
		u64 val = dr < 4 ? v->dr[dr] : dr == 6 ? v->dr6 : vmcs_readl(GUEST_DR7);

		vcpu_set_gpr(v, gpr, val);
	} else {
		u64 val = vcpu_gpr(v, gpr);

		if (dr >= 6 && (val >> 32))
			return handle_gp(v, t);
		if (dr < 4)
			v->dr[dr] = val;
		else if (dr == 6)
			v->dr6 = (val & 0xe00f) | 0xffff0ff0;
		else
			vmcs_writel(GUEST_DR7, (val & 0xffff2fff) | 0x400);
	}
	vmx_skip_instruction(v);
	return EXIT_RESUME;
}

static u64 hax_rdtsc(void)
{
	u32 lo, hi;

	asm volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return ((u64)hi << 32) | lo;
}

/* A PAT value whose eight types are all valid (SDM 13.12.2). */
static bool pat_valid(u64 pat)
{
	int i;

	for (i = 0; i < 8; i++) {
		u8 type = (pat >> (8 * i)) & 0xff;

		if (type == 2 || type == 3 || type > 7)
			return false;
	}
	return true;
}

static int msr_read(struct vcpu *v, u32 msr, u64 *val)
{
	switch (msr) {
	case HAX_MSR_EFER:
		*val = vmcs_read64(GUEST_IA32_EFER);
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
	case HAX_MSR_PAT:
		*val = vmcs_read64(GUEST_IA32_PAT);
		return 0;
	case 0x10: /* IA32_TIME_STAMP_COUNTER */
		*val = hax_rdtsc() + vmcs_read64(TSC_OFFSET);
		return 0;
	}
	return -1;
}

static int msr_write(struct vcpu *v, u32 msr, u64 val)
{
	u64 efer;

	switch (msr) {
	case HAX_MSR_EFER:
		efer = vmcs_read64(GUEST_IA32_EFER);
		/* SCE, LME, NXE are writable; LME not while paging. */
		if (val & ~(1ULL | HAX_EFER_LME | HAX_EFER_LMA | HAX_EFER_NXE))
			return -1;
		if ((vmcs_readl(CR0_READ_SHADOW) & HAX_CR0_PG) &&
		    ((val ^ efer) & HAX_EFER_LME))
			return -1;
		vmcs_write64(GUEST_IA32_EFER, (val & ~HAX_EFER_LMA) | (efer & HAX_EFER_LMA));
		return 0;
	case HAX_MSR_SYSENTER_CS:
		vmcs_write32(GUEST_SYSENTER_CS, val);
		return 0;
	case HAX_MSR_SYSENTER_ESP:
		vmcs_writel(GUEST_SYSENTER_ESP, val);
		return 0;
	case HAX_MSR_SYSENTER_EIP:
		vmcs_writel(GUEST_SYSENTER_EIP, val);
		return 0;
	case HAX_MSR_PAT:
		if (!pat_valid(val))
			return -1;
		vmcs_write64(GUEST_IA32_PAT, val);
		return 0;
	case 0x10:
		vmcs_write64(TSC_OFFSET, val - hax_rdtsc());
		return 0;
	}
	return -1;
}

static int handle_rdmsr(struct vcpu *v, struct hax_tunnel *t)
{
	u64 val;

	if (msr_read(v, (u32)v->regs[HAX_REG_RCX], &val))
		return handle_gp(v, t);
	v->regs[HAX_REG_RAX] = (u32)val;
	v->regs[HAX_REG_RDX] = val >> 32;
	vmx_skip_instruction(v);
	return EXIT_RESUME;
}

static int handle_wrmsr(struct vcpu *v, struct hax_tunnel *t)
{
	u64 val = (v->regs[HAX_REG_RDX] << 32) | (u32)v->regs[HAX_REG_RAX];

	if (msr_write(v, (u32)v->regs[HAX_REG_RCX], val))
		return handle_gp(v, t);
	vmx_skip_instruction(v);
	return EXIT_RESUME;
}

static int handle_ept_violation(struct vcpu *v, struct hax_tunnel *t)
{
	v->fault_gpa = vmcs_read64(GUEST_PHYSICAL_ADDRESS);
	return EXIT_FAULT_IN;
}

static int handle_ept_misconfig(struct vcpu *v, struct hax_tunnel *t)
{
	os_log_ratelimited(HAX_LOG_ERROR, "EPT misconfiguration at gpa 0x%llx\n",
			   (unsigned long long)vmcs_read64(GUEST_PHYSICAL_ADDRESS));
	return -EIO;
}

static const exit_handler_t exit_handlers[EXIT_REASON_MAX] = {
	[EXIT_REASON_EXCEPTION_NMI] = handle_resume, /* NMIs: given to the host already */
	[EXIT_REASON_EXTERNAL_INTERRUPT] = handle_resume,
	[EXIT_REASON_PREEMPTION_TIMER] = handle_resume,
	[EXIT_REASON_TRIPLE_FAULT] = vmx_statechange,
	[EXIT_REASON_CPUID] = handle_cpuid,
	[EXIT_REASON_GETSEC] = handle_ud,
	[EXIT_REASON_HLT] = handle_hlt,
	[EXIT_REASON_INVD] = handle_ud,
	[EXIT_REASON_RDPMC] = handle_gp,
	[EXIT_REASON_VMCALL] = handle_ud,
	[EXIT_REASON_VMCLEAR] = handle_ud,
	[EXIT_REASON_VMLAUNCH] = handle_ud,
	[EXIT_REASON_VMPTRLD] = handle_ud,
	[EXIT_REASON_VMPTRST] = handle_ud,
	[EXIT_REASON_VMREAD] = handle_ud,
	[EXIT_REASON_VMRESUME] = handle_ud,
	[EXIT_REASON_VMWRITE] = handle_ud,
	[EXIT_REASON_VMXOFF] = handle_ud,
	[EXIT_REASON_VMXON] = handle_ud,
	[EXIT_REASON_INVEPT] = handle_ud,
	[EXIT_REASON_INVVPID] = handle_ud,
	[EXIT_REASON_VMFUNC] = handle_ud,
	[EXIT_REASON_MWAIT] = handle_ud,
	[EXIT_REASON_MONITOR] = handle_ud,
	[EXIT_REASON_XSETBV] = handle_gp,
	[EXIT_REASON_CR_ACCESS] = handle_cr,
	[EXIT_REASON_DR_ACCESS] = handle_dr,
	[EXIT_REASON_IO] = vmx_handle_io,
	[EXIT_REASON_RDMSR] = handle_rdmsr,
	[EXIT_REASON_WRMSR] = handle_wrmsr,
	[EXIT_REASON_EPT_VIOLATION] = handle_ept_violation,
	[EXIT_REASON_EPT_MISCONFIG] = handle_ept_misconfig,
};

int vmx_handle_exit(struct vcpu *v, struct hax_tunnel *t)
{
	u32 reason = v->exit_reason & 0xffff;

	/* A failed entry (SDM 26.8) or anything unexpected stops the guest. */
	if ((v->exit_reason & EXIT_REASON_ENTRY_FAILURE) || reason >= EXIT_REASON_MAX ||
	    !exit_handlers[reason])
		return vmx_statechange(v, t);
	return exit_handlers[reason](v, t);
}
