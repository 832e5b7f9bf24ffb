// SPDX-License-Identifier: GPL-2.0
/*
 * vcpu_state_check() (core/vcpu_state.c): states VM entry accepts in each CPU
 * mode pass; each field VM entry or the MSRs would refuse fails with -EINVAL;
 * the software MSRs come out as given.
 */
#include "unit.h"

#include "vcpu_state.h"

static const struct vcpu_state_limits lim = {
	.cr4_allowed = 0x3727ff & ~(1u << 13),
	.xcr0 = 7,
	.xfeatures = 7,
	.mxcsr_mask = 0xffff,
	.msr = { .phys_bits = 39, .virt_bits = 48, .tsc_aux = true },
};

static struct hax_vcpu_full_state st;

/* The common part: header, reset-like MSRs, a valid XSAVE header, XCR0 x87. */
static void base(void)
{
	memset(&st, 0, sizeof(st));
	st.size = sizeof(st);
	st.version = HAX_VCPU_STATE_VERSION;
	st.regs._rflags = 2;
	st.regs._dr6 = 0xffff0ff0;
	st.regs._dr7 = 0x400;
	st.regs._gdt.limit = st.regs._idt.limit = 0xffff;
	st.regs._ldt.ar = 1u << 16; /* unusable */
	st.regs._tr.ar = 0x8b;
	st.regs._tr.limit = 0xffff;
	st.xcr0 = 1;
	st.pat = 0x0007040600070406ull;
	st.apic_base = 0xfee00900;
	st.misc_enable = 0x1801;
	st.xsave[24] = 0x80; /* MXCSR 0x1f80 */
	st.xsave[25] = 0x1f;
	st.xsave[512] = 3;
}

static void real_mode(void)
{
	segment_desc_t *s[] = { &st.regs._ds, &st.regs._es, &st.regs._ss, &st.regs._fs,
				&st.regs._gs };
	unsigned int i;

	base();
	st.regs._cr0 = 0x60000010;
	st.regs._rip = 0xfff0;
	st.regs._cs = (segment_desc_t){
		.selector = 0xf000, .base = 0xffff0000, .limit = 0xffff, .ar = 0x9b
	};
	for (i = 0; i < 5; i++)
		*s[i] = (segment_desc_t){ .limit = 0xffff, .ar = 0x93 };
}

static void long_mode(void)
{
	segment_desc_t *s[] = { &st.regs._ds, &st.regs._es, &st.regs._ss, &st.regs._fs,
				&st.regs._gs };
	unsigned int i;

	base();
	st.regs._cr0 = 0x80000031;
	st.regs._cr4 = 0x20;
	st.regs._efer = 0x500;
	st.regs._cr3 = 0x10000;
	st.regs._rip = 0xffffffff81000000ull;
	st.regs._cs = (segment_desc_t){ .selector = 8, .limit = 0xffffffff, .ar = 0xa09b };
	for (i = 0; i < 5; i++)
		*s[i] = (segment_desc_t){ .selector = 16, .limit = 0xffffffff, .ar = 0xc093 };
	st.regs._gs.base = 0xffff888000000000ull;
}

static int check(void)
{
	struct msr_state m;

	return vcpu_state_check(&st, &lim, &m);
}

static void test_valid_states(void **state)
{
	struct msr_state m;

	(void)state;
	real_mode();
	assert_int_equal(check(), 0);
	long_mode();
	assert_int_equal(check(), 0);
	/* the MSRs come out as given */
	st.lstar = 0xffffffff81800000ull;
	st.mtrr_var[1] = 0x7f80000800ull;
	st.tsc_adjust = 12345;
	assert_int_equal(vcpu_state_check(&st, &lim, &m), 0);
	assert_int_equal(m.lstar, 0xffffffff81800000ull);
	assert_int_equal(m.mtrr_var[1], 0x7f80000800ull);
	assert_int_equal(m.tsc_adjust, 12345);
	assert_int_equal(m.apic_base, 0xfee00900);
	/* virtual-8086 mode: base = selector * 16, limit 0xffff, AR 0xf3 */
	real_mode();
	st.regs._cr0 |= 1;
	st.regs._rflags |= 1u << 17;
	st.regs._cs = (segment_desc_t){
		.selector = 0x1234, .base = 0x12340, .limit = 0xffff, .ar = 0xf3
	};
	st.regs._ds = st.regs._es = st.regs._ss = st.regs._fs = st.regs._gs = st.regs._cs;
	assert_int_equal(check(), 0);
	st.regs._ds.base = 0;
	assert_int_equal(check(), -EINVAL);
}

static void test_modes_refused(void **state)
{
	(void)state;
	/* real mode: no paging, CS type 3 only with DPL 0, SS DPL 0 */
	real_mode();
	st.regs._cr0 |= 1ull << 31;
	assert_int_equal(check(), -EINVAL);
	real_mode();
	st.regs._cs.ar = 0x93;
	assert_int_equal(check(), 0);
	st.regs._cs.ar = 0xb3;
	assert_int_equal(check(), -EINVAL);
	real_mode();
	st.regs._ss.ar = 0xf3;
	assert_int_equal(check(), -EINVAL);
	/* RIP above 4 GiB outside 64-bit code */
	real_mode();
	st.regs._rip = 1ull << 32;
	assert_int_equal(check(), -EINVAL);
	/* long mode: PCIDE only there; 32-bit TSS type 11 only; a 16-bit one outside */
	real_mode();
	st.regs._cr4 = 1u << 17;
	assert_int_equal(check(), -EINVAL);
	real_mode();
	st.regs._tr.ar = 0x83;
	assert_int_equal(check(), 0);
	long_mode();
	st.regs._tr.ar = 0x83;
	assert_int_equal(check(), -EINVAL);
	/* CS conforming DPL above SS's; non-conforming DPL unlike SS's */
	long_mode();
	st.regs._cs.ar = 0xa0ff; /* conforming, DPL 3 */
	assert_int_equal(check(), -EINVAL);
	long_mode();
	st.regs._cs.ar = 0xa0bb; /* DPL 1 */
	assert_int_equal(check(), -EINVAL);
	/* a usable data segment must be accessed; an unusable one may hold anything */
	long_mode();
	st.regs._fs.ar = 0xc092;
	assert_int_equal(check(), -EINVAL);
	st.regs._fs.ar = 0x1c092;
	assert_int_equal(check(), 0);
	/* an LDT of the wrong type; a canonical but 64-bit DS base */
	long_mode();
	st.regs._ldt.ar = 0x83;
	assert_int_equal(check(), -EINVAL);
	long_mode();
	st.regs._ds.base = 1ull << 32;
	assert_int_equal(check(), -EINVAL);
	/* CET needs WP */
	long_mode();
	st.regs._cr4 |= 1u << 23;
	assert_int_equal(check(), -EINVAL);
}

static void test_events_and_blocking(void **state)
{
	(void)state;
	/* real mode delivers no error code */
	real_mode();
	st.event_info = 0x8000030d;
	assert_int_equal(check(), 0);
	st.event_info |= 1u << 11;
	assert_int_equal(check(), -EINVAL);
	/* #PF with its code in protected mode; a software interrupt with a length */
	long_mode();
	st.event_info = 0x80000b0e;
	st.event_error = 2;
	assert_int_equal(check(), 0);
	st.event_info = 0x800004ff;
	st.event_error = 0;
	st.event_len = 2;
	assert_int_equal(check(), 0);
	st.event_len = 16;
	assert_int_equal(check(), -EINVAL);
	/* HLT may only be left by interrupts, NMIs, #DB, #MC */
	long_mode();
	st.regs._activity_state = HAX_ACTIVITY_HLT;
	st.event_info = 0x80000b0e;
	assert_int_equal(check(), -EINVAL);
	st.event_info = 0x80000312;
	assert_int_equal(check(), 0);
	/* HLT at CPL 3 */
	long_mode();
	st.regs._activity_state = HAX_ACTIVITY_HLT;
	st.regs._ss.ar |= 3u << 5;
	assert_int_equal(check(), -EINVAL);
	/* an external interrupt or NMI with STI blocking */
	long_mode();
	st.regs._rflags |= 1u << 9;
	st.regs._interruptibility_state = HAX_INTR_BLOCK_STI;
	assert_int_equal(check(), 0);
	st.event_info = 0x80000220;
	assert_int_equal(check(), -EINVAL);
	st.event_info = 0x80000202;
	assert_int_equal(check(), -EINVAL);
	/* pending debug exceptions: BS exactly with TF in a shadow */
	long_mode();
	st.regs._rflags |= (1u << 9) | (1u << 8);
	st.regs._interruptibility_state = HAX_INTR_BLOCK_STI;
	assert_int_equal(check(), -EINVAL);
	st.pending_dbg = 1u << 14;
	assert_int_equal(check(), 0);
	st.pending_dbg |= 1u << 16; /* RTM */
	assert_int_equal(check(), -EINVAL);
}

static void test_pdptes_xsave_msrs(void **state)
{
	(void)state;
	/* 32-bit PAE paging: present PDPTEs without reserved bits */
	long_mode();
	st.regs._efer = 0;
	st.regs._cs.ar = 0xc09b;
	st.regs._rip = 0x1000;
	st.regs._gs.base = 0;
	st.pdpte[0] = 0x4001;
	st.pdpte[1] = 0x4002; /* not present: anything */
	assert_int_equal(check(), 0);
	st.pdpte[2] = 0x5003; /* bit 1 reserved */
	assert_int_equal(check(), -EINVAL);
	st.pdpte[2] = (1ull << 39) | 1; /* above MAXPHYADDR */
	assert_int_equal(check(), -EINVAL);
	/* XSAVE: an AVX XCR0 is fine, a component the host lacks is not */
	long_mode();
	st.xcr0 = 7;
	st.xsave[512] = 7;
	assert_int_equal(check(), 0);
	st.xsave[512] = 0x27;
	assert_int_equal(check(), -EINVAL);
	long_mode();
	st.xcr0 = 0xe7; /* AVX-512 the limits do not offer */
	assert_int_equal(check(), -EINVAL);
	/* MSRs: TSC_AUX above 32 bits, FMASK above 32 bits, a variable MTRR mask */
	long_mode();
	st.tsc_aux = 1ull << 32;
	assert_int_equal(check(), -EINVAL);
	long_mode();
	st.fmask = 1ull << 32;
	assert_int_equal(check(), -EINVAL);
	long_mode();
	st.mtrr_var[1] = 0x7f80000801ull;
	assert_int_equal(check(), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		UNIT_TEST(test_valid_states),
		UNIT_TEST(test_modes_refused),
		UNIT_TEST(test_events_and_blocking),
		UNIT_TEST(test_pdptes_xsave_msrs),
	};

	return cmocka_run_group_tests_name("vcpu_state", tests, NULL, NULL);
}
