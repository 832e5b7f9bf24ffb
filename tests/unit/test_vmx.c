// SPDX-License-Identifier: GPL-2.0
/*
 * VMX controls derived from capability MSRs (SDM Appendix A), CR fixed bits,
 * and segment access rights handed to VM entry (SDM 26.3.1.2).
 */
#include "unit.h"

#include "skylake_msrs.h"
#include "vmx/vmcs.h"

static void test_ctl_adjust(void **state)
{
	(void)state;
	/* must-be-1 bits are added, optional bits only when allowed */
	assert_int_equal(vmx_ctl_adjust(0x000000ff00000016ULL, 0x1, 0x100), 0x17);
	assert_int_equal(vmx_ctl_adjust(0x000001ff00000016ULL, 0x1, 0x100), 0x117);
	assert_int_equal(vmx_ctl_adjust(0x000000ff00000016ULL, 0x100, 0), (u64)-1);
}

static void test_derive_skylake(void **state)
{
	struct vmx_msrs m = skylake_msrs();
	struct vmx_caps c;
	const char *missing;

	(void)state;
	assert_int_equal(vmx_caps_derive(&m, &c, &missing), 0);
	assert_null(missing);
	assert_int_equal(c.revision, 4);
	assert_int_equal(c.region_size, 0x400);
	assert_int_equal(c.preempt_rate, 5);
	assert_true(c.misc_saves_lma);
	assert_true(c.vpid);
	assert_true(c.invept_single);
	assert_int_equal(c.pin & (PIN_EXT_INTR_EXITING | PIN_NMI_EXITING | PIN_PREEMPTION_TIMER),
			 PIN_EXT_INTR_EXITING | PIN_NMI_EXITING | PIN_PREEMPTION_TIMER);
	assert_true(c.proc & CPU_HLT_EXITING);
	assert_true(c.proc & CPU_UNCOND_IO_EXITING);
	assert_true(c.proc & CPU_SECONDARY_CONTROLS);
	/* EPT: no CR3 exits (the TRUE MSR allows them off) */
	assert_false(c.proc & (CPU_CR3_LOAD_EXITING | CPU_CR3_STORE_EXITING));
	assert_int_equal(c.proc2 & (CPU2_ENABLE_EPT | CPU2_UNRESTRICTED_GUEST | CPU2_ENABLE_VPID),
			 CPU2_ENABLE_EPT | CPU2_UNRESTRICTED_GUEST | CPU2_ENABLE_VPID);
	assert_true(c.exit & EXIT_HOST_ADDR_SPACE_SIZE);
	assert_true(c.entry & ENTRY_LOAD_EFER);
	assert_false(c.entry & ENTRY_IA32E_MODE);
	/* every chosen control respects the allowed-0 and allowed-1 settings */
	assert_int_equal(c.proc & (u32)m.proc, (u32)m.proc);
	assert_int_equal(c.proc & ~(u32)(m.proc >> 32), 0);
	assert_int_equal(c.entry & ~(u32)(m.entry >> 32), 0);
}

static void expect_missing(struct vmx_msrs *m, int err, const char *what)
{
	struct vmx_caps c;
	const char *missing;

	assert_int_equal(vmx_caps_derive(m, &c, &missing), err);
	assert_non_null(missing);
	assert_non_null(strstr(missing, what));
}

static void test_derive_refuses(void **state)
{
	struct vmx_msrs m;

	(void)state;
	m = skylake_msrs(), m.has_vmx = false;
	expect_missing(&m, -ENODEV, "VMX");
	m = skylake_msrs(), m.has_nx = false;
	expect_missing(&m, -ENODEV, "NX");
	m = skylake_msrs(), m.has_lm = false;
	expect_missing(&m, -ENODEV, "64-bit");
	m = skylake_msrs(), m.feature_control = 0;
	expect_missing(&m, -EPERM, "not locked");
	m = skylake_msrs(), m.feature_control = FEATURE_CONTROL_LOCKED;
	expect_missing(&m, -EPERM, "disabled");
	m = skylake_msrs(), m.pin &= ~((u64)PIN_PREEMPTION_TIMER << 32);
	expect_missing(&m, -ENODEV, "preemption");
	/* a Nehalem: EPT but no unrestricted guest */
	m = skylake_msrs(), m.proc2 = 0x0000006b00000000ULL;
	expect_missing(&m, -ENODEV, "unrestricted guest");
	m = skylake_msrs(), m.proc2 = 0x0000000000000000ULL;
	expect_missing(&m, -ENODEV, "EPT");
	m = skylake_msrs(), m.ept_vpid &= ~VMX_EPT_WB;
	expect_missing(&m, -ENODEV, "EPT");
	m = skylake_msrs(), m.exit &= ~((u64)EXIT_LOAD_EFER << 32);
	expect_missing(&m, -ENODEV, "EFER");
}

static void test_vpid_needs_single_invvpid(void **state)
{
	struct vmx_msrs m = skylake_msrs();
	struct vmx_caps c;
	const char *missing;

	(void)state;
	m.ept_vpid &= ~VMX_VPID_INVVPID_SINGLE;
	assert_int_equal(vmx_caps_derive(&m, &c, &missing), 0);
	assert_false(c.vpid);
	assert_false(c.proc2 & CPU2_ENABLE_VPID);
}

static void test_cr_fixed(void **state)
{
	struct vmx_msrs m = skylake_msrs();
	struct vmx_caps c;
	const char *missing;

	(void)state;
	assert_int_equal(vmx_caps_derive(&m, &c, &missing), 0);
	/* unrestricted guest: PE and PG as the guest has them, NE forced */
	assert_int_equal(vmx_cr0_fixed(&c, 0), 0x20);
	assert_int_equal(vmx_cr0_fixed(&c, 0x80000001), 0x80000021);
	assert_int_equal(vmx_cr0_fixed(&c, 1ULL << 40), 0x20);
	/* CR4.VMXE forced, bits the CPU lacks cleared */
	assert_int_equal(vmx_cr4_fixed(&c, 0), 0x2000);
	assert_int_equal(vmx_cr4_fixed(&c, 0x20 | (1ULL << 30)), 0x2020);
	/* PKE, CET, PKS: never the guest's, even where the CPU has them */
	m.cr4_fixed1 |= HAX_CR4_PKE | HAX_CR4_CET | HAX_CR4_PKS;
	assert_int_equal(vmx_caps_derive(&m, &c, &missing), 0);
	assert_int_equal(c.cr4_fixed1, 0x3727ffULL);
	assert_int_equal(vmx_cr4_fixed(&c, 0x20 | HAX_CR4_PKE | HAX_CR4_PKS), 0x2020);
}

/*
 * UMIP: the CPU's where it has it; emulated where it has descriptor-table
 * exiting instead (the hardware bit stays 0); else none for guests.
 */
static void test_umip_caps(void **state)
{
	struct vmx_msrs m = skylake_msrs();
	struct vmx_caps c;
	const char *missing;

	(void)state;
	assert_int_equal(vmx_caps_derive(&m, &c, &missing), 0);
	assert_true(c.umip_emulated);
	assert_int_equal(c.cr4_guest, 0x3727ffULL | HAX_CR4_UMIP);
	assert_int_equal(vmx_cr4_fixed(&c, HAX_CR4_UMIP | 0x20), 0x2020);
	assert_false(c.proc2 & CPU2_DESC_TABLE_EXITING); /* on with the guest's bit only */
	m.cr4_fixed1 |= HAX_CR4_UMIP;
	assert_int_equal(vmx_caps_derive(&m, &c, &missing), 0);
	assert_false(c.umip_emulated);
	assert_int_equal(c.cr4_guest, 0x372fffULL);
	assert_int_equal(vmx_cr4_fixed(&c, HAX_CR4_UMIP), 0x2800);
	m.cr4_fixed1 &= ~HAX_CR4_UMIP;
	m.proc2 &= ~((u64)CPU2_DESC_TABLE_EXITING << 32);
	assert_int_equal(vmx_caps_derive(&m, &c, &missing), 0);
	assert_false(c.umip_emulated);
	assert_int_equal(c.cr4_guest, 0x3727ffULL);
}

static segment_desc_t seg(u32 ar)
{
	segment_desc_t s = { 0 };

	s.ar = ar;
	return s;
}

static void test_seg_ar(void **state)
{
	segment_desc_t s;

	(void)state;
	/* protected mode: a present code segment gets its accessed bit */
	s = seg(0xa09a);
	assert_int_equal(vmcs_seg_ar(&s, false, SEG_CS), 0xa09b);
	/* not present or null: unusable */
	s = seg(0x0093 & ~HAX_SEG_AR_PRESENT);
	assert_int_equal(vmcs_seg_ar(&s, false, SEG_DS), VMX_AR_UNUSABLE);
	s = seg(0x0093 | HAX_SEG_AR_NULL);
	assert_int_equal(vmcs_seg_ar(&s, false, SEG_DS), VMX_AR_UNUSABLE);
	/* real mode: vm86-style DPL 3 descriptors become DPL 0, present, usable */
	s = seg(0x00f3);
	assert_int_equal(vmcs_seg_ar(&s, true, SEG_DS), 0x0093);
	s = seg(HAX_SEG_AR_NULL);
	assert_int_equal(vmcs_seg_ar(&s, true, SEG_ES), 0x0091);
	/* real-mode SS must be a read/write data segment */
	s = seg(0x009b);
	assert_int_equal(vmcs_seg_ar(&s, true, SEG_SS), 0x0093);
	/* TR: always a usable busy TSS */
	s = seg(HAX_SEG_AR_NULL);
	assert_int_equal(vmcs_seg_ar(&s, false, SEG_TR), 0x008b);
	s = seg(0x0089);
	assert_int_equal(vmcs_seg_ar(&s, false, SEG_TR), 0x0089);
	assert_int_equal(vmcs_seg_ar(&s, true, SEG_TR), 0x008b);
	/* LDTR: a present LDT descriptor (type 2, system) or unusable */
	s = seg(0x0082);
	assert_int_equal(vmcs_seg_ar(&s, false, SEG_LDTR), 0x0082);
	s = seg(0x0092);
	assert_int_equal(vmcs_seg_ar(&s, false, SEG_LDTR), 0x0082);
	s = seg(0x0089);
	assert_int_equal(vmcs_seg_ar(&s, false, SEG_LDTR), VMX_AR_UNUSABLE);
	/* reserved bits (11:8, 31:17) never reach the VMCS */
	s = seg(0xfffe0f93);
	assert_int_equal(vmcs_seg_ar(&s, false, SEG_DS) & ~VMX_AR_VALID_MASK, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		UNIT_TEST(test_ctl_adjust),	UNIT_TEST(test_derive_skylake),
		UNIT_TEST(test_derive_refuses), UNIT_TEST(test_vpid_needs_single_invvpid),
		UNIT_TEST(test_cr_fixed),	UNIT_TEST(test_umip_caps),
		UNIT_TEST(test_seg_ar),
	};

	return cmocka_run_group_tests_name("vmx", tests, NULL, NULL);
}
