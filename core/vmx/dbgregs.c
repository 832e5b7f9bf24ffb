// SPDX-License-Identifier: GPL-2.0
/*
 * Debug registers and VCPU_DEBUG. MOV DR always exits: DR0-3 and DR6 live
 * in struct vcpu, DR7 in GUEST_DR7 (loaded and saved by the debug controls).
 * DR0-3 reach the hardware only while the DR7 in GUEST_DR7 enables a
 * breakpoint; DR6 goes in and comes back around every entry because a #DB
 * delivered inside the guest sets its bits. A VM exit leaves DR7 = 0x400 and
 * IA32_DEBUGCTL = 0 (SDM 28.5.1): the host's breakpoints are put back after
 * each exit.
 *
 * VCPU_DEBUG (HAXM's semantics, HAX_EXIT_DEBUG with debug.rip/dr6/dr7):
 * STEP sets RFLAGS.TF and intercepts #DB, as HAXM did (the monitor trap
 * flag would hide TF from the guest, but not every CPU has it: Bochs'
 * Skylake does not); USE_SW_BP intercepts #BP; USE_HW_BP puts the debugger's
 * DR0-3/DR7 in the hardware and intercepts #DB. The guest's own debug
 * registers are kept aside meanwhile (HAXM overwrote them).
 */
#include "guest_ext.h"
#include "caps.h"
#include "intr.h"
#include "cpu.h"
#include "exits.h"
#include "vmcs.h"
#include "vmx.h"

#define HAX_DEBUG_ALL \
	(HAX_DEBUG_ENABLE | HAX_DEBUG_STEP | HAX_DEBUG_USE_SW_BP | HAX_DEBUG_USE_HW_BP)

static void set_dr0_3(const u64 *dr)
{
	hax_write_dr0(dr[0]);
	hax_write_dr1(dr[1]);
	hax_write_dr2(dr[2]);
	hax_write_dr3(dr[3]);
}

static bool debugger_hw(struct vcpu *v)
{
	return v->debug_control & HAX_DEBUG_USE_HW_BP;
}

u64 vcpu_guest_dr7(struct vcpu *v)
{
	return debugger_hw(v) ? v->guest_dr7 : vmcs_readl(GUEST_DR7);
}

void vcpu_set_guest_dr7(struct vcpu *v, u64 val)
{
	if (debugger_hw(v)) {
		v->guest_dr7 = val;
		return;
	}
	vmcs_writel(GUEST_DR7, val);
	v->dr_active = val & DR7_ENABLES;
}

u64 vmx_debug_load(struct vcpu *v)
{
	u64 debugctl = vmx_rdmsr(HAX_MSR_DEBUGCTL);

	if (v->dr_active)
		set_dr0_3(debugger_hw(v) ? v->debug_dr : v->dr);
	/* The host keeps DR6 in its reset state outside its #DB handler. */
	if (v->dr6 != DR6_RESET)
		hax_write_dr6(v->dr6);
	return debugctl;
}

void vmx_debug_put(struct vcpu *v, u64 host_debugctl)
{
	u64 dr6 = hax_read_dr6();

	/* An intercepted #DB leaves DR6 alone (SDM 27.1): any change is the guest's. */
	v->dr6 = dr6;
	if (dr6 != DR6_RESET)
		hax_write_dr6(DR6_RESET);
	os_debug_restore_host();
	if (host_debugctl)
		asm volatile("wrmsr" ::"c"(HAX_MSR_DEBUGCTL), "a"((u32)host_debugctl),
			     "d"((u32)(host_debugctl >> 32)));
}

/* MOV DR (SDM 27.2.1 Table 28-4). CPL>0 #GPs before the exit (SDM 26.1.1). */
int vmx_handle_dr(struct vcpu *v, struct hax_tunnel *t)
{
	u64 q = v->exit_qual, dr7 = vcpu_guest_dr7(v);
	int dr = q & 7, gpr = (q >> 8) & 15;
	bool read = q & (1u << 4);

	if (dr == 4 || dr == 5) {
		/* CR4.DE is the guest's own bit: GUEST_CR4 has it, not the shadow. */
		if (vmcs_guest_cr4() & HAX_CR4_DE) {
			vmx_inject_exception(v, HAX_VEC_UD, false, 0);
			return EXIT_RESUME;
		}
		dr += 2;
	}
	/*
	 * General detect (SDM 18.2.4): the exit came first, so the #DB is
	 * raised here, before the MOV, with DR7.GD cleared and DR6.BD set.
	 */
	if (dr7 & DR7_GD) {
		vcpu_set_guest_dr7(v, dr7 & ~DR7_GD);
		v->dr6 |= DR6_BD;
		vmx_inject_exception(v, HAX_VEC_DB, false, 0);
		return EXIT_RESUME;
	}
	if (read) {
		vcpu_set_gpr(v, gpr, dr < 4 ? v->dr[dr] : dr == 6 ? v->dr6 : dr7);
	} else {
		u64 val = vcpu_gpr(v, gpr);

		if (dr >= 6 && (val >> 32)) {
			vmx_inject_exception(v, HAX_VEC_GP, true, 0);
			return EXIT_RESUME;
		}
		if (dr < 4)
			v->dr[dr] = val;
		else if (dr == 6)
			v->dr6 = dr6_fix(val);
		else
			vcpu_set_guest_dr7(v, dr7_fix(val));
	}
	vmx_skip_instruction(v);
	return EXIT_RESUME;
}

static int debug_exit(struct hax_tunnel *t, u64 rip, u64 dr6, u64 dr7)
{
	t->debug.rip = rip;
	t->debug.dr6 = dr6;
	t->debug.dr7 = dr7;
	t->_exit_status = HAX_EXIT_DEBUG;
	return EXIT_TO_USER;
}

/*
 * Exception or NMI exits. NMIs went to the host already (run.c). #BP is
 * intercepted only for VCPU_DEBUG, #DB and #AC always (VMX_EXCEPTION_BITMAP_BASE):
 * the guest's own go back to it. For VCPU_DEBUG, as HAXM, a #DB reports the exit
 * qualification (its DR6 bits: B0-3, BD, BS, SDM 27.2.1) and DR7, a #BP
 * zeros. RIP is the INT3's or the faulting instruction's for faults, the
 * next one for traps (single-step, data breakpoints).
 */
int vmx_handle_exception(struct vcpu *v, struct hax_tunnel *t)
{
	u32 info = vmcs_read32(VM_EXIT_INTR_INFO), vec = info & INTR_INFO_VECTOR_MASK;

	/* NMI and #MC: the host's, handled at the exit (vmx_exit_irqoff()). */
	if ((info & INTR_INFO_TYPE_MASK) == INTR_TYPE_NMI || vec == HAX_VEC_MC)
		return EXIT_RESUME;
	if (vec == HAX_VEC_DB && (v->debug_control & (HAX_DEBUG_STEP | HAX_DEBUG_USE_HW_BP)))
		return debug_exit(t, vmcs_readl(GUEST_RIP), v->exit_qual, vmcs_readl(GUEST_DR7));
	if (vec == HAX_VEC_BP && (v->debug_control & HAX_DEBUG_USE_SW_BP))
		return debug_exit(t, vmcs_readl(GUEST_RIP), 0, 0);
	if (vec == HAX_VEC_DB) {
		/*
		 * The guest's own #DB (VMX_EXCEPTION_BITMAP_BASE): the exit left
		 * DR6 alone and gives its bits in the qualification (SDM 27.1,
		 * 27.2.1); B0-B3 say which breakpoints this #DB is for.
		 */
		v->dr6 = (v->dr6 & ~DR6_TRAP_BITS) |
			 (v->exit_qual & (DR6_TRAP_BITS | DR6_BD | DR6_BS));
		if ((info & INTR_INFO_TYPE_MASK) == INTR_TYPE_PRIV_SW_EXCEPTION) {
			/* INT1 (ICEBP): a trap-like software event, with its length */
			vmx_inject_event(v, vec | INTR_TYPE_PRIV_SW_EXCEPTION | INTR_INFO_VALID, 0);
			vmcs_write32(VM_ENTRY_INSTRUCTION_LEN,
				     vmcs_read32(VM_EXIT_INSTRUCTION_LEN));
			return EXIT_RESUME;
		}
		vmx_inject_exception(v, HAX_VEC_DB, false, 0);
		return EXIT_RESUME;
	}
	if (vec == HAX_VEC_AC) {
		vmx_inject_exception(v, HAX_VEC_AC, true, 0);
		return EXIT_RESUME;
	}
	return vmx_statechange(v, t);
}

int debug_check(const hax_debug_t *d)
{
	if ((d->control & ~HAX_DEBUG_ALL) || d->reserved || (d->dr[7] >> 32))
		return -EINVAL;
	return 0;
}

/* Other handlers own other bits of these fields: change only ours. */
static void exception_bitmap_set(u32 bits, bool on)
{
	u32 val = vmcs_read32(EXCEPTION_BITMAP);

	vmcs_write32(EXCEPTION_BITMAP, on ? val | bits : val & ~bits);
}

/* STEP: RFLAGS.TF on, and off again when the guest had not set it itself. */
static void debug_step_set(struct vcpu *v, bool step)
{
	u64 rflags = vmcs_readl(GUEST_RFLAGS);
	bool was = v->debug_control & HAX_DEBUG_STEP;

	if (step && !was) {
		v->step_tf = !(rflags & HAX_RFLAGS_TF);
		vmcs_writel(GUEST_RFLAGS, rflags | HAX_RFLAGS_TF);
	} else if (!step && was && v->step_tf) {
		vmcs_writel(GUEST_RFLAGS, rflags & ~HAX_RFLAGS_TF);
		v->step_tf = false;
	}
}

int vcpu_set_debug(struct vcpu *v, const hax_debug_t *d)
{
	u32 ctl = d->control & HAX_DEBUG_ENABLE ? d->control : 0;
	bool was_hw, hw;
	int r;

	r = debug_check(d);
	if (r)
		return r;
	os_preempt_disable();
	r = vmx_vcpu_load(v);
	if (r)
		goto out;
	was_hw = debugger_hw(v);
	hw = ctl & HAX_DEBUG_USE_HW_BP;
	if (hw && !was_hw)
		v->guest_dr7 = vmcs_readl(GUEST_DR7);
	debug_step_set(v, ctl & HAX_DEBUG_STEP);
	v->debug_control = ctl;
	if (hw) {
		u64 dr7 = dr7_fix(d->dr[7]) & ~DR7_GD;

		__builtin_memcpy(v->debug_dr, d->dr, sizeof(v->debug_dr));
		vmcs_writel(GUEST_DR7, dr7);
		v->dr_active = dr7 & DR7_ENABLES;
	} else if (was_hw) {
		vcpu_set_guest_dr7(v, v->guest_dr7);
	}
	exception_bitmap_set(1u << HAX_VEC_BP, ctl & HAX_DEBUG_USE_SW_BP);
	if (vmx_take_error())
		r = -EIO;
out:
	os_preempt_enable();
	return r;
}
