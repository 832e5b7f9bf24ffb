// SPDX-License-Identifier: GPL-2.0
/* Building the VMCS (SDM 24) and moving guest state in and out of it. */
#include "vmcs.h"
#include "caps.h"
#include "exits.h"
#include "guest_ext.h"
#include "intr.h"
#include "vmx.h"

#define RESET_PAT 0x0007040600070406ULL

/* The selector/base/limit/AR fields of each segment, in SEG_* order. */
static const struct {
	u16 sel;
	u16 limit;
	u16 ar;
	u16 base;
} seg_fields[SEG_COUNT] = {
	[SEG_ES] = { GUEST_ES_SELECTOR, GUEST_ES_LIMIT, GUEST_ES_AR, GUEST_ES_BASE },
	[SEG_CS] = { GUEST_CS_SELECTOR, GUEST_CS_LIMIT, GUEST_CS_AR, GUEST_CS_BASE },
	[SEG_SS] = { GUEST_SS_SELECTOR, GUEST_SS_LIMIT, GUEST_SS_AR, GUEST_SS_BASE },
	[SEG_DS] = { GUEST_DS_SELECTOR, GUEST_DS_LIMIT, GUEST_DS_AR, GUEST_DS_BASE },
	[SEG_FS] = { GUEST_FS_SELECTOR, GUEST_FS_LIMIT, GUEST_FS_AR, GUEST_FS_BASE },
	[SEG_GS] = { GUEST_GS_SELECTOR, GUEST_GS_LIMIT, GUEST_GS_AR, GUEST_GS_BASE },
	[SEG_LDTR] = { GUEST_LDTR_SELECTOR, GUEST_LDTR_LIMIT, GUEST_LDTR_AR, GUEST_LDTR_BASE },
	[SEG_TR] = { GUEST_TR_SELECTOR, GUEST_TR_LIMIT, GUEST_TR_AR, GUEST_TR_BASE },
};

/* The table's fields are of the widths its users assume. */
#define SEG_FIELDS_OK(s)                                                                        \
	(VMCS_WIDTH(GUEST_##s##_SELECTOR) == VMCS_W16 &&                                        \
	 VMCS_WIDTH(GUEST_##s##_LIMIT) == VMCS_W32 && VMCS_WIDTH(GUEST_##s##_AR) == VMCS_W32 && \
	 VMCS_WIDTH(GUEST_##s##_BASE) == VMCS_WNAT)
_Static_assert(SEG_FIELDS_OK(ES) && SEG_FIELDS_OK(CS) && SEG_FIELDS_OK(SS) && SEG_FIELDS_OK(DS) &&
		       SEG_FIELDS_OK(FS) && SEG_FIELDS_OK(GS) && SEG_FIELDS_OK(LDTR) &&
		       SEG_FIELDS_OK(TR),
	       "segment field widths");

/* The segments of vcpu_state_t in SEG_* order. */
static segment_desc_t *state_seg(vcpu_state_t *s, int which)
{
	segment_desc_t *map[SEG_COUNT] = {
		[SEG_ES] = &s->_es, [SEG_CS] = &s->_cs, [SEG_SS] = &s->_ss,    [SEG_DS] = &s->_ds,
		[SEG_FS] = &s->_fs, [SEG_GS] = &s->_gs, [SEG_LDTR] = &s->_ldt, [SEG_TR] = &s->_tr,
	};

	return map[which];
}

u32 vmcs_seg_ar(const segment_desc_t *seg, bool real_mode, int which)
{
	u32 ar = seg->ar & VMX_AR_VALID_MASK;

	if (which == SEG_TR) {
		/* SDM 26.3.1.2: TR is usable, a busy TSS. */
		if ((ar & VMX_AR_UNUSABLE) || !(ar & VMX_AR_P) || real_mode)
			ar = VMX_AR_P | 11;
		return ar;
	}
	if (which == SEG_LDTR) {
		if ((ar & VMX_AR_UNUSABLE) || !(ar & VMX_AR_P) || (ar & VMX_AR_TYPE_MASK) != 2)
			return VMX_AR_UNUSABLE;
		return ar & ~VMX_AR_S;
	}
	if (real_mode) {
		/*
		 * Unrestricted guest, CR0.PE=0 (SDM 26.3.1.2): the segments are
		 * usable, present, DPL 0. Clients like QEMU pass vm86-style
		 * DPL 3 descriptors here.
		 */
		ar &= ~(VMX_AR_DPL_MASK | VMX_AR_UNUSABLE);
		ar |= VMX_AR_P | VMX_AR_S | 1;
		if (which == SEG_SS && (ar & VMX_AR_TYPE_MASK) != 7)
			ar = (ar & ~VMX_AR_TYPE_MASK) | 3;
		return ar;
	}
	if ((ar & VMX_AR_UNUSABLE) || !(ar & VMX_AR_P))
		return VMX_AR_UNUSABLE;
	return ar | 1; /* accessed, as the CPU marks it on load */
}

u64 vcpu_gpr(struct vcpu *v, int idx)
{
	return idx == HAX_REG_RSP ? vmcs_readl(GUEST_RSP) : v->regs[idx];
}

void vcpu_set_gpr(struct vcpu *v, int idx, u64 val)
{
	if (idx == HAX_REG_RSP)
		vmcs_writel(GUEST_RSP, val);
	else
		v->regs[idx] = val;
}

void vmcs_load_host_cpu(void)
{
	struct os_host_state hs;

	os_host_state(&hs);
	vmcs_write16(HOST_CS_SELECTOR, hs.cs_sel);
	vmcs_write16(HOST_SS_SELECTOR, hs.ss_sel);
	vmcs_write16(HOST_TR_SELECTOR, hs.tr_sel);
	vmcs_writel(HOST_TR_BASE, hs.tr_base);
	vmcs_writel(HOST_GDTR_BASE, hs.gdt_base);
	vmcs_writel(HOST_IDTR_BASE, hs.idt_base);
	vmcs_writel(HOST_GS_BASE, hs.gs_base);
	vmcs_writel(HOST_IA32_SYSENTER_ESP, hs.sysenter_esp);
}

void vmcs_sync_host(struct vcpu *v)
{
	u64 cr3 = hax_read_cr3(), cr4 = hax_read_cr4(), fs = vmx_rdmsr(0xc0000100);

	if (cr3 != v->host_cr3)
		vmcs_writel(HOST_CR3, v->host_cr3 = cr3);
	if (cr4 != v->host_cr4)
		vmcs_writel(HOST_CR4, v->host_cr4 = cr4);
	if (fs != v->host_fs_base)
		vmcs_writel(HOST_FS_BASE, v->host_fs_base = fs);
}

/*
 * CR bits the guest may not own: fixed in VMX operation (SDM 24.6.6), and
 * CR0.CD/NW, which VM entry does not load (SDM 26.3.2.1): the guest runs with
 * the host's, so it must see its own values from the read shadow.
 */
static u64 cr0_host_mask(void)
{
	return (vmx_caps.cr0_fixed0 & ~(HAX_CR0_PE | HAX_CR0_PG)) |
	       (~vmx_caps.cr0_fixed1 & 0xffffffffULL) | HAX_CR0_CD | HAX_CR0_NW;
}

static u64 cr4_host_mask(void)
{
	return vmx_caps.cr4_fixed0 | (~vmx_caps.cr4_fixed1 & 0xffffffffULL);
}

static void vmcs_setup_controls(struct vcpu *v)
{
	u32 proc2 = vmx_caps.proc2 & ~(vmx_ple_window ? 0 : CPU2_PAUSE_LOOP_EXITING);

	/* NMIs reach only guests with an in-kernel LAPIC (vmx/intr.c): others keep HAXM's */
	vmcs_write32(PIN_BASED_VM_EXEC_CONTROL,
		     vmx_caps.pin | (v->lapic && vmx_caps.vnmi ? PIN_VIRTUAL_NMIS : 0));
	vmcs_write32(CPU_BASED_VM_EXEC_CONTROL, vmx_caps.proc);
	vmcs_write32(SECONDARY_VM_EXEC_CONTROL, proc2);
	if (proc2 & CPU2_PAUSE_LOOP_EXITING) {
		vmcs_write32(PLE_GAP, VMX_PLE_GAP);
		vmcs_write32(PLE_WINDOW, vmx_ple_window);
	}
	vmcs_write32(VM_EXIT_CONTROLS, vmx_caps.exit);
	vmcs_write32(VM_ENTRY_CONTROLS, vmx_caps.entry);
	vmcs_write32(EXCEPTION_BITMAP, VMX_EXCEPTION_BITMAP_BASE);
	vmcs_write32(PAGE_FAULT_ERROR_CODE_MASK, 0);
	vmcs_write32(PAGE_FAULT_ERROR_CODE_MATCH, 0);
	vmcs_write32(CR3_TARGET_COUNT, 0);
	vmcs_write32(VM_EXIT_MSR_STORE_COUNT, 0);
	vmcs_write32(VM_EXIT_MSR_LOAD_COUNT, 0);
	vmcs_write32(VM_ENTRY_MSR_LOAD_COUNT, 0);
	vmcs_write32(VM_ENTRY_INTR_INFO, 0);
	v->tsc_offset = 0;
	vmcs_write64(TSC_OFFSET, 0);
	vmcs_write64(EPT_POINTER, v->vm->ept.eptp);
	if (vmx_caps.vpid)
		vmcs_write16(VIRTUAL_PROCESSOR_ID, v->vpid);
	vmcs_writel(CR0_GUEST_HOST_MASK, cr0_host_mask());
	vmcs_writel(CR4_GUEST_HOST_MASK, cr4_host_mask());
	vmcs_write64(VMCS_LINK_POINTER, ~0ULL);
	v->preempt_val = vmx_preempt_timer_value();
	vmcs_write32(VMX_PREEMPTION_TIMER_VALUE, v->preempt_val);
	vmx_tpr_setup(v);
}

static void vmcs_setup_host(void)
{
	vmcs_writel(HOST_CR0, hax_read_cr0());
	vmcs_write16(HOST_DS_SELECTOR, 0);
	vmcs_write16(HOST_ES_SELECTOR, 0);
	vmcs_write16(HOST_FS_SELECTOR, 0);
	vmcs_write16(HOST_GS_SELECTOR, 0);
	vmcs_write32(HOST_IA32_SYSENTER_CS, vmx_rdmsr(HAX_MSR_SYSENTER_CS));
	vmcs_writel(HOST_IA32_SYSENTER_EIP, vmx_rdmsr(HAX_MSR_SYSENTER_EIP));
	vmcs_write64(HOST_IA32_PAT, vmx_rdmsr(HAX_MSR_PAT));
	vmcs_write64(HOST_IA32_EFER, vmx_rdmsr(HAX_MSR_EFER));
	vmcs_writel(HOST_RIP, (u64)os_vmx_exit);
	vmcs_load_host_cpu();
}

void vmcs_reset_state(vcpu_state_t *s)
{
	int i;

	*s = (vcpu_state_t){ 0 };
	s->_regs[HAX_REG_RDX] = 0x600;
	s->_rip = 0xfff0;
	s->_rflags = HAX_RFLAGS_FIXED;
	for (i = 0; i < SEG_COUNT; i++) {
		segment_desc_t *seg = state_seg(s, i);

		seg->limit = 0xffff;
		seg->ar = VMX_AR_P | VMX_AR_S | 3;
	}
	s->_cs.selector = 0xf000;
	s->_cs.base = 0xffff0000;
	s->_cs.ar = VMX_AR_P | VMX_AR_S | 11;
	s->_ldt.ar = VMX_AR_P | 2;
	s->_tr.ar = VMX_AR_P | 11;
	s->_gdt.limit = 0xffff;
	s->_idt.limit = 0xffff;
	s->_cr0 = 0x60000010;
	s->_dr6 = 0xffff0ff0;
	s->_dr7 = 0x400;
}

void vmcs_setup(struct vcpu *v)
{
	vcpu_state_t s;

	vmcs_setup_controls(v);
	vmcs_setup_host();
	vmcs_write64(GUEST_IA32_PAT, RESET_PAT);
	vmcs_write64(GUEST_IA32_DEBUGCTL, 0);
	vmcs_writel(GUEST_PENDING_DBG_EXCEPTIONS, 0);
	vmcs_reset_state(&s);
	vmcs_set_state(v, &s);
}

/* RFLAGS bits that must be 0 (SDM 26.3.1.4). */
#define RFLAGS_RESERVED (~0x3f7fd7ULL)

int vmcs_set_state(struct vcpu *v, const vcpu_state_t *s)
{
	u64 cr0 = s->_cr0, cr4 = s->_cr4, efer = s->_efer;
	bool real = !(cr0 & HAX_CR0_PE), lma = efer & HAX_EFER_LMA;
	u32 entry = vmx_caps.entry;
	int i;

	/* Validate all, then write all: a refused state changes nothing. */
	if ((cr0 & HAX_CR0_PG) && real)
		return -EINVAL;
	if ((cr0 >> 32) || (cr4 & HAX_CR4_VMXE) || (cr4 & ~vmx_caps.cr4_guest))
		return -EINVAL;
	if (((cr0 & HAX_CR0_PG) && !!(efer & HAX_EFER_LME) != lma) ||
	    (lma && !(cr0 & HAX_CR0_PG)) || (lma && !(cr4 & HAX_CR4_PAE)))
		return -EINVAL;
	if (s->_rflags & RFLAGS_RESERVED)
		return -EINVAL;
	if (s->_activity_state > HAX_ACTIVITY_HLT || (s->_interruptibility_state & ~0xfULL))
		return -EINVAL;
	/*
	 * SDM 26.3.1.5: STI blocking needs RFLAGS.IF=1 and excludes MOV-SS
	 * blocking; SMI blocking only in SMM (never here); HLT needs SS.DPL=0.
	 */
	if (((s->_interruptibility_state & HAX_INTR_BLOCK_STI) &&
	     (!(s->_rflags & HAX_RFLAGS_IF) ||
	      (s->_interruptibility_state & HAX_INTR_BLOCK_MOVSS))) ||
	    (s->_interruptibility_state & HAX_INTR_BLOCK_SMI) ||
	    (s->_activity_state == HAX_ACTIVITY_HLT && !real && (s->_ss.ar & VMX_AR_DPL_MASK)))
		return -EINVAL;
	/* DR6/DR7 bits 63:32 are reserved: MOV DR and VM entry fault on them. */
	if ((s->_dr6 >> 32) || (s->_dr7 >> 32))
		return -EINVAL;

	for (i = 0; i < HAX_NR_GPRS; i++)
		v->regs[i] = s->_regs[i];
	vmcs_writel(GUEST_RSP, s->_regs[HAX_REG_RSP]);
	vmcs_writel(GUEST_RIP, s->_rip);
	vmcs_writel(GUEST_RFLAGS, s->_rflags | HAX_RFLAGS_FIXED);
	for (i = 0; i < SEG_COUNT; i++) {
		const segment_desc_t *seg = state_seg((vcpu_state_t *)s, i);

		/* Table-driven: seg_fields[] widths are checked below. */
		__vmx_write(seg_fields[i].sel, seg->selector);
		__vmx_write(seg_fields[i].base, seg->base);
		__vmx_write(seg_fields[i].limit, seg->limit);
		__vmx_write(seg_fields[i].ar, vmcs_seg_ar(seg, real, i));
	}
	vmcs_writel(GUEST_GDTR_BASE, s->_gdt.base);
	vmcs_write32(GUEST_GDTR_LIMIT, s->_gdt.limit & 0xffff);
	vmcs_writel(GUEST_IDTR_BASE, s->_idt.base);
	vmcs_write32(GUEST_IDTR_LIMIT, s->_idt.limit & 0xffff);
	vmcs_writel(CR0_READ_SHADOW, cr0);
	vmcs_writel(GUEST_CR0, vmx_cr0_fixed(&vmx_caps, cr0));
	vmcs_writel(GUEST_CR3, s->_cr3);
	vmx_write_cr4(cr4);
	v->cr2 = s->_cr2;
	v->dr[0] = s->_dr0;
	v->dr[1] = s->_dr1;
	v->dr[2] = s->_dr2;
	v->dr[3] = s->_dr3;
	v->dr6 = dr6_fix(s->_dr6);
	vcpu_set_guest_dr7(v, dr7_fix(s->_dr7));
	vmcs_write64(GUEST_IA32_EFER, efer);
	vmcs_write32(VM_ENTRY_CONTROLS, lma ? entry | ENTRY_IA32E_MODE : entry);
	vmcs_write32(GUEST_SYSENTER_CS, s->_sysenter_cs);
	vmcs_writel(GUEST_SYSENTER_EIP, s->_sysenter_eip);
	vmcs_writel(GUEST_SYSENTER_ESP, s->_sysenter_esp);
	vmcs_write32(GUEST_ACTIVITY_STATE, s->_activity_state);
	vmcs_write32(GUEST_INTERRUPTIBILITY, (u32)s->_interruptibility_state);
	return 0;
}

void vmcs_guest_seg(int which, segment_desc_t *seg)
{
	seg->selector = (u16)__vmx_read(seg_fields[which].sel);
	seg->base = __vmx_read(seg_fields[which].base);
	seg->limit = (u32)__vmx_read(seg_fields[which].limit);
	seg->ar = (u32)__vmx_read(seg_fields[which].ar) & VMX_AR_VALID_MASK;
}

void vmcs_set_guest_seg(int which, const segment_desc_t *seg)
{
	__vmx_write(seg_fields[which].sel, seg->selector);
	__vmx_write(seg_fields[which].base, seg->base);
	__vmx_write(seg_fields[which].limit, seg->limit);
	__vmx_write(seg_fields[which].ar, seg->ar & VMX_AR_VALID_MASK);
}

/* The guest sees its own value of the bits haxm owns: the read shadow. */
u64 vmcs_guest_cr0(void)
{
	u64 mask = cr0_host_mask();

	return (vmcs_readl(GUEST_CR0) & ~mask) | (vmcs_readl(CR0_READ_SHADOW) & mask);
}

u64 vmcs_guest_cr4(void)
{
	u64 mask = cr4_host_mask();

	return (vmcs_readl(GUEST_CR4) & ~mask) | (vmcs_readl(CR4_READ_SHADOW) & mask);
}

void vmcs_get_state(struct vcpu *v, vcpu_state_t *s)
{
	int i;

	*s = (vcpu_state_t){ 0 };
	for (i = 0; i < HAX_NR_GPRS; i++)
		s->_regs[i] = v->regs[i];
	s->_regs[HAX_REG_RSP] = vmcs_readl(GUEST_RSP);
	s->_rip = vmcs_readl(GUEST_RIP);
	s->_rflags = vmcs_readl(GUEST_RFLAGS);
	for (i = 0; i < SEG_COUNT; i++)
		vmcs_guest_seg(i, state_seg(s, i));
	s->_gdt.base = vmcs_readl(GUEST_GDTR_BASE);
	s->_gdt.limit = vmcs_read32(GUEST_GDTR_LIMIT);
	s->_idt.base = vmcs_readl(GUEST_IDTR_BASE);
	s->_idt.limit = vmcs_read32(GUEST_IDTR_LIMIT);
	s->_cr0 = vmcs_guest_cr0();
	s->_cr2 = v->cr2;
	s->_cr3 = vmcs_readl(GUEST_CR3);
	s->_cr4 = vmcs_guest_cr4();
	s->_dr0 = v->dr[0];
	s->_dr1 = v->dr[1];
	s->_dr2 = v->dr[2];
	s->_dr3 = v->dr[3];
	s->_dr6 = v->dr6;
	s->_dr7 = vcpu_guest_dr7(v);
	s->_efer = (u32)vmcs_read64(GUEST_IA32_EFER);
	s->_sysenter_cs = vmcs_read32(GUEST_SYSENTER_CS);
	s->_sysenter_eip = vmcs_readl(GUEST_SYSENTER_EIP);
	s->_sysenter_esp = vmcs_readl(GUEST_SYSENTER_ESP);
	s->_activity_state = vmcs_read32(GUEST_ACTIVITY_STATE);
	s->_interruptibility_state = vmcs_read32(GUEST_INTERRUPTIBILITY);
}
