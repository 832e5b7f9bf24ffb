// SPDX-License-Identifier: GPL-2.0
/* MSRs kept in software: reset values and what each refuses. */
#include "unit.h"

#include "msr.h"

static const struct msr_limits lim = { .phys_bits = 39, .virt_bits = 48, .tsc_aux = true };

static void test_canonical_pat(void **state)
{
	(void)state;
	assert_true(msr_canonical(0, 48));
	assert_true(msr_canonical(0x00007fffffffffffull, 48));
	assert_true(msr_canonical(0xffff800000000000ull, 48));
	assert_false(msr_canonical(0x0000800000000000ull, 48));
	assert_false(msr_canonical(0xfff0000000000000ull, 48));
	assert_false(msr_canonical(0x01ffffffffffffffull, 57));
	assert_true(msr_canonical(0x00ffffffffffffffull, 57));
	assert_true(msr_canonical(0x00ffffffffffffffull >> 8, 57));
	assert_true(msr_pat_valid(0x0007040600070406ull));
	assert_false(msr_pat_valid(0x0007040600070402ull)); /* type 2 */
	assert_false(msr_pat_valid(0x0807040600070406ull)); /* type 8 */
}

static void test_reset(void **state)
{
	struct msr_state m;
	u64 v;

	(void)state;
	msr_state_reset(&m, true);
	assert_int_equal(msr_soft_read(&m, &lim, HAX_MSR_APIC_BASE, &v), 0);
	assert_int_equal(v, 0xfee00900);
	msr_state_reset(&m, false);
	assert_int_equal(msr_soft_read(&m, &lim, HAX_MSR_APIC_BASE, &v), 0);
	assert_int_equal(v, 0xfee00800);
	assert_int_equal(msr_soft_read(&m, &lim, HAX_MSR_MTRRCAP, &v), 0);
	assert_int_equal(v, 0x508);
	assert_int_equal(msr_soft_read(&m, &lim, HAX_MSR_FEATURE_CTL, &v), 0);
	assert_int_equal(v, 0);
	assert_int_equal(msr_soft_read(&m, &lim, HAX_MSR_MISC_ENABLE, &v), 0);
	assert_int_equal(v, 0x1801);
	assert_int_equal(msr_soft_read(&m, &lim, 0x12345, &v), -ENOENT);
	assert_int_equal(msr_soft_write(&m, &lim, 0x12345, 0, false), -ENOENT);
}

static void test_syscall_msrs(void **state)
{
	struct msr_limits no_aux = lim;
	struct msr_state m;
	u64 v;

	(void)state;
	msr_state_reset(&m, false);
	assert_int_equal(msr_soft_write(&m, &lim, HAX_MSR_STAR, ~0ull, false), 0);
	assert_int_equal(msr_soft_write(&m, &lim, HAX_MSR_LSTAR, 0xffffffff81000000ull, false), 0);
	assert_int_equal(msr_soft_write(&m, &lim, HAX_MSR_LSTAR, 0x0000800000000000ull, false),
			 -EINVAL);
	assert_int_equal(msr_soft_write(&m, &lim, HAX_MSR_CSTAR, 0x8000000000000000ull, false),
			 -EINVAL);
	assert_int_equal(msr_soft_write(&m, &lim, HAX_MSR_KERNEL_GS_BASE, 1ull << 50, false),
			 -EINVAL);
	assert_int_equal(msr_soft_write(&m, &lim, HAX_MSR_FMASK, 1ull << 32, false), -EINVAL);
	assert_int_equal(msr_soft_write(&m, &lim, HAX_MSR_FMASK, 0x47700, false), 0);
	assert_int_equal(msr_soft_read(&m, &lim, HAX_MSR_LSTAR, &v), 0);
	assert_int_equal(v, 0xffffffff81000000ull);
	assert_int_equal(msr_soft_write(&m, &lim, HAX_MSR_TSC_AUX, 1ull << 32, false), -EINVAL);
	assert_int_equal(msr_soft_write(&m, &lim, HAX_MSR_TSC_AUX, 7, false), 0);
	no_aux.tsc_aux = false;
	assert_int_equal(msr_soft_read(&m, &no_aux, HAX_MSR_TSC_AUX, &v), -ENOENT);
	assert_int_equal(msr_soft_write(&m, &no_aux, HAX_MSR_TSC_AUX, 7, false), -ENOENT);
}

static void test_mtrrs(void **state)
{
	struct msr_state m;
	u64 v;

	(void)state;
	msr_state_reset(&m, false);
	/* fixed ranges: every byte a valid type */
	assert_int_equal(msr_soft_write(&m, &lim, 0x250, 0x0606060606060606ull, false), 0);
	assert_int_equal(msr_soft_write(&m, &lim, 0x26f, 0x0504010006060606ull, false), 0);
	assert_int_equal(msr_soft_write(&m, &lim, 0x259, 0x0606060606060602ull, false), -EINVAL);
	assert_int_equal(msr_soft_write(&m, &lim, 0x258, 0x0706060606060606ull, false), -EINVAL);
	assert_int_equal(msr_soft_read(&m, &lim, 0x26f, &v), 0);
	assert_int_equal(v, 0x0504010006060606ull);
	assert_int_equal(msr_soft_read(&m, &lim, 0x251, &v), -ENOENT);
	/* variable ranges: base type, reserved bits, MAXPHYADDR */
	assert_int_equal(msr_soft_write(&m, &lim, 0x200, 0x80000006, false), 0);
	assert_int_equal(msr_soft_write(&m, &lim, 0x201, 0x7f80000800ull, false), 0);
	assert_int_equal(msr_soft_write(&m, &lim, 0x202, 0x80000003, false), -EINVAL);
	assert_int_equal(msr_soft_write(&m, &lim, 0x202, 0x80000106, false), -EINVAL);
	assert_int_equal(msr_soft_write(&m, &lim, 0x203, 0x800ull | (1ull << 39), false), -EINVAL);
	assert_int_equal(msr_soft_write(&m, &lim, 0x20f, 0x801, false), -EINVAL);
	assert_int_equal(msr_soft_read(&m, &lim, 0x201, &v), 0);
	assert_int_equal(v, 0x7f80000800ull);
	assert_int_equal(msr_soft_read(&m, &lim, 0x210, &v), -ENOENT);
	/* default type: E, FE, type */
	assert_int_equal(msr_soft_write(&m, &lim, HAX_MSR_MTRR_DEF_TYPE, 0xc06, false), 0);
	assert_int_equal(msr_soft_write(&m, &lim, HAX_MSR_MTRR_DEF_TYPE, 0x1006, false), -EINVAL);
	assert_int_equal(msr_soft_write(&m, &lim, HAX_MSR_MTRR_DEF_TYPE, 0xc02, false), -EINVAL);
	assert_int_equal(msr_soft_write(&m, &lim, HAX_MSR_MTRRCAP, 0x508, false), -EINVAL);
}

static void test_misc(void **state)
{
	struct msr_state m;
	u64 v;

	(void)state;
	msr_state_reset(&m, true);
	assert_int_equal(msr_soft_write(&m, &lim, HAX_MSR_APIC_BASE, 0xfee00c00, false), -EINVAL);
	assert_int_equal(msr_soft_write(&m, &lim, HAX_MSR_APIC_BASE, 0xfee00801, false), -EINVAL);
	assert_int_equal(msr_soft_write(&m, &lim, HAX_MSR_APIC_BASE, 1ull << 40, false), -EINVAL);
	assert_int_equal(msr_soft_write(&m, &lim, HAX_MSR_APIC_BASE, 0xfed00000, false), 0);
	assert_int_equal(msr_soft_read(&m, &lim, HAX_MSR_APIC_BASE, &v), 0);
	assert_int_equal(v, 0xfed00000);
	/* MISC_ENABLE: BTS/PEBS unavailable stay set, MWAIT enable is kept */
	assert_int_equal(msr_soft_write(&m, &lim, HAX_MSR_MISC_ENABLE, 1ull << 18, false), 0);
	assert_int_equal(msr_soft_read(&m, &lim, HAX_MSR_MISC_ENABLE, &v), 0);
	assert_int_equal(v, 0x41800);
	/* kvm-unit-tests msr: 0x400c50809 with the read-only bits kept */
	assert_int_equal(msr_soft_write(&m, &lim, HAX_MSR_MISC_ENABLE, 0x400c50809ull, false), 0);
	assert_int_equal(msr_soft_read(&m, &lim, HAX_MSR_MISC_ENABLE, &v), 0);
	assert_int_equal(v, 0x400c51809ull);
	/* FEATURE_CONTROL: written while unlocked, then only rewritten as it is */
	assert_int_equal(msr_soft_write(&m, &lim, HAX_MSR_FEATURE_CTL, 8, false), -EINVAL);
	assert_int_equal(msr_soft_write(&m, &lim, HAX_MSR_FEATURE_CTL, 4, false), 0);
	assert_int_equal(msr_soft_write(&m, &lim, HAX_MSR_FEATURE_CTL, 5, false), 0);
	assert_int_equal(msr_soft_write(&m, &lim, HAX_MSR_FEATURE_CTL, 5, false), 0);
	assert_int_equal(msr_soft_write(&m, &lim, HAX_MSR_FEATURE_CTL, 1, false), -EINVAL);
	assert_int_equal(msr_soft_read(&m, &lim, HAX_MSR_FEATURE_CTL, &v), 0);
	assert_int_equal(v, 5);
	assert_int_equal(msr_soft_write(&m, &lim, HAX_MSR_FEATURE_CTL, 0, true), 0);
	assert_int_equal(msr_soft_read(&m, &lim, HAX_MSR_FEATURE_CTL, &v), 0);
	assert_int_equal(v, 0);
	assert_int_equal(msr_soft_write(&m, &lim, HAX_MSR_MCG_CAP, 0, false), -EINVAL);
	assert_int_equal(msr_soft_write(&m, &lim, HAX_MSR_MCG_STATUS, 1, false), -EINVAL);
	assert_int_equal(msr_soft_write(&m, &lim, HAX_MSR_MCG_STATUS, 0, false), 0);
	assert_int_equal(msr_soft_write(&m, &lim, HAX_MSR_UCODE_REV, 0, false), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		UNIT_TEST(test_canonical_pat), UNIT_TEST(test_reset), UNIT_TEST(test_syscall_msrs),
		UNIT_TEST(test_mtrrs),	       UNIT_TEST(test_misc),
	};

	return cmocka_run_group_tests_name("msr", tests, NULL, NULL);
}
