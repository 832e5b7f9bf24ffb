// SPDX-License-Identifier: GPL-2.0
/*
 * XCR0 rules (SDM 13.3, XSETBV), the guest XCR0 mask derived from the host's,
 * debug register fixed bits (SDM 18.2) and VCPU_DEBUG validation.
 */
#include "unit.h"

#include "skylake_msrs.h"
#include "vmx/guest_ext.h"

static void test_xcr0_rules(void **state)
{
	const u64 all = XCR0_GUEST_FEATURES;

	(void)state;
	assert_int_equal(xcr0_check(all, 1), 0);
	assert_int_equal(xcr0_check(all, 3), 0);
	assert_int_equal(xcr0_check(all, 7), 0);
	assert_int_equal(xcr0_check(all, 0xe7), 0);
	/* x87 always; AVX needs SSE; AVX-512 all three and AVX. */
	assert_int_equal(xcr0_check(all, 0), -EINVAL);
	assert_int_equal(xcr0_check(all, 2), -EINVAL);
	assert_int_equal(xcr0_check(all, 5), -EINVAL);
	assert_int_equal(xcr0_check(all, 0x27), -EINVAL);
	assert_int_equal(xcr0_check(all, 0x67), -EINVAL);
	assert_int_equal(xcr0_check(all, 0xe3), -EINVAL);
	/* Only what is supported: MPX, PKRU, high bits never; AVX only if there. */
	assert_int_equal(xcr0_check(all, 0x1f), -EINVAL);
	assert_int_equal(xcr0_check(all, 0x207), -EINVAL);
	assert_int_equal(xcr0_check(all, 1ULL << 32 | 7), -EINVAL);
	assert_int_equal(xcr0_check(3, 7), -EINVAL);
}

/* The guest's XCR0 mask is the host's XCR0 minus what guests never get. */
static void test_guest_xcr0_from_host(void **state)
{
	struct vmx_msrs m = skylake_msrs();
	const char *missing;
	struct vmx_caps c;

	(void)state;
	m.xcr0 = 0x2ff; /* x87 SSE AVX MPX AVX-512 PKRU */
	assert_int_equal(vmx_caps_derive(&m, &c, &missing), 0);
	assert_int_equal(c.host_xcr0, 0x2ff);
	assert_int_equal(c.guest_xcr0, 0xe7);
	/* Debug controls are loaded on entry and saved on exit. */
	assert_true(c.entry & ENTRY_LOAD_DEBUG_CONTROLS);
	assert_true(c.exit & EXIT_SAVE_DEBUG_CONTROLS);
	m.xcr0 = 0;
	assert_int_equal(vmx_caps_derive(&m, &c, &missing), 0);
	assert_int_equal(c.guest_xcr0, 0);
}

static void test_dr_fixed_bits(void **state)
{
	(void)state;
	assert_int_equal(dr6_fix(0), 0xffff0ff0);
	assert_int_equal(dr6_fix(0x4001), 0xffff4ff1);
	assert_int_equal(dr6_fix(0xffffffff), 0xffffeff0 | 0xf);
	assert_int_equal(dr7_fix(0), 0x400);
	assert_int_equal(dr7_fix(0x10001), 0x10401);
	/* bits 12, 14, 15 read as 0 */
	assert_int_equal(dr7_fix(0xd000), 0x400);
	assert_int_equal(dr7_fix(DR7_GD), DR7_GD | 0x400);
}

static void test_debug_check(void **state)
{
	hax_debug_t d = { .control = HAX_DEBUG_ENABLE | HAX_DEBUG_STEP | HAX_DEBUG_USE_SW_BP |
				     HAX_DEBUG_USE_HW_BP };

	(void)state;
	d.dr[7] = 0xffffffff;
	assert_int_equal(debug_check(&d), 0);
	d.dr[7] = 1ULL << 32;
	assert_int_equal(debug_check(&d), -EINVAL);
	d.dr[7] = 0;
	d.reserved = 1;
	assert_int_equal(debug_check(&d), -EINVAL);
	d.reserved = 0;
	d.control = 1u << 4;
	assert_int_equal(debug_check(&d), -EINVAL);
	/* Disabling with other bits set is accepted (HAXM: off is off). */
	d.control = HAX_DEBUG_STEP;
	assert_int_equal(debug_check(&d), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		UNIT_TEST(test_xcr0_rules),
		UNIT_TEST(test_guest_xcr0_from_host),
		UNIT_TEST(test_dr_fixed_bits),
		UNIT_TEST(test_debug_check),
	};

	return cmocka_run_group_tests_name("fpu", tests, NULL, NULL);
}
