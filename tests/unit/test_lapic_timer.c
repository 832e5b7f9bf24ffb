// SPDX-License-Identifier: GPL-2.0
/*
 * The local APIC timer (core/irqchip/lapic_timer.c): divide values, the
 * current count in one-shot and periodic modes at given times, expiry and
 * reload, TSC-deadline mode and its MSR. One bus clock is 10 ns here.
 */
#include "unit.h"

#include "irqchip/lapic.h"

static const struct lapic_config cfg = {
	.id = 0,
	.bsp = true,
	.phys_bits = 39,
	.x2apic = true,
	.tsc_deadline = true,
	.bus_ns = 10,
};
static struct lapic l;
static struct lapic_effects eff;

static int setup(void **state)
{
	unit_setup(state);
	lapic_init(&l, &cfg);
	memset(&eff, 0, sizeof(eff));
	assert_int_equal(lapic_mmio_write(&l, LAPIC_REG_SVR, 4, 0x1ff, 0, &eff), 0);
	return 0;
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, unit_teardown)

static void wr(u32 off, u32 val, u64 now)
{
	assert_int_equal(lapic_mmio_write(&l, off, 4, val, now, &eff), 0);
}

static u32 rd(u32 off, u64 now)
{
	u32 v = 0xdeadbeef;

	assert_int_equal(lapic_mmio_read(&l, off, 4, now, &v), 0);
	return v;
}

static void test_divide_values(void **state)
{
	static const struct {
		u32 tdcr, div;
	} t[] = { { 0x0, 2 },  { 0x1, 4 },  { 0x2, 8 },	  { 0x3, 16 },
		  { 0x8, 32 }, { 0x9, 64 }, { 0xa, 128 }, { 0xb, 1 } };
	unsigned i;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		wr(LAPIC_REG_TDCR, t[i].tdcr, 0);
		assert_int_equal(lapic_timer_divisor(&l), t[i].div);
		assert_int_equal(rd(LAPIC_REG_TDCR, 0), t[i].tdcr);
	}
	/* bit 2 and bits 31:4 are reserved */
	wr(LAPIC_REG_TDCR, 0xfffffffc, 0);
	assert_int_equal(rd(LAPIC_REG_TDCR, 0), 0x8);
	assert_int_equal(lapic_timer_divisor(&l), 32);
}

static void test_oneshot_count(void **state)
{
	(void)state;
	wr(LAPIC_REG_LVT, 0x20, 0); /* one-shot, vector 0x20, unmasked */
	assert_int_equal(lapic_timer_mode(&l), LAPIC_TIMER_ONESHOT);
	wr(LAPIC_REG_TDCR, 0x1, 0); /* divide by 4: 40 ns a tick */
	eff.flags = 0;
	wr(LAPIC_REG_TMICT, 1000, 5000);
	assert_int_equal(eff.flags, LAPIC_EFF_TIMER);
	assert_int_equal(rd(LAPIC_REG_TMICT, 5000), 1000);
	assert_int_equal(rd(LAPIC_REG_TMCCT, 5000), 1000);
	assert_int_equal(rd(LAPIC_REG_TMCCT, 5039), 1000);
	assert_int_equal(rd(LAPIC_REG_TMCCT, 5040), 999);
	assert_int_equal(rd(LAPIC_REG_TMCCT, 5000 + 40 * 600), 400);
	assert_int_equal(lapic_timer_expiry(&l), 5000 + 40 * 1000);
	/* early: nothing */
	assert_false(lapic_timer_fire(&l, 5000 + 40 * 999));
	assert_int_equal(lapic_highest_irr(&l), -1);
	/* at expiry: the interrupt, and the count stays 0 */
	assert_true(lapic_timer_fire(&l, 45000));
	assert_int_equal(lapic_highest_irr(&l), 0x20);
	assert_int_equal(rd(LAPIC_REG_TMCCT, 45000), 0);
	assert_int_equal(rd(LAPIC_REG_TMCCT, 1000000), 0);
	assert_int_equal(lapic_timer_expiry(&l), 0);
	assert_false(lapic_timer_fire(&l, 1000000));
	/* a write of 0 stops a count */
	wr(LAPIC_REG_TMICT, 50, 2000000);
	assert_int_equal(rd(LAPIC_REG_TMCCT, 2000040), 49);
	wr(LAPIC_REG_TMICT, 0, 2000080);
	assert_int_equal(rd(LAPIC_REG_TMCCT, 2000080), 0);
	assert_int_equal(lapic_timer_expiry(&l), 0);
}

static void test_periodic_count(void **state)
{
	(void)state;
	wr(LAPIC_REG_LVT, 0x20031, 0); /* periodic, vector 0x31 */
	assert_int_equal(lapic_timer_mode(&l), LAPIC_TIMER_PERIODIC);
	wr(LAPIC_REG_TDCR, 0xb, 0); /* divide by 1: 10 ns a tick */
	wr(LAPIC_REG_TMICT, 100, 0);
	assert_int_equal(rd(LAPIC_REG_TMCCT, 10), 99);
	/* past one period the count wraps: 1000 ns = 100 ticks -> 100 again */
	assert_int_equal(rd(LAPIC_REG_TMCCT, 1000), 100);
	assert_int_equal(rd(LAPIC_REG_TMCCT, 1250), 75);
	assert_int_equal(lapic_timer_expiry(&l), 1000);
	/* fired late (at 2500 ns: 2 periods): reloaded for the period after now */
	assert_true(lapic_timer_fire(&l, 2500));
	assert_int_equal(lapic_highest_irr(&l), 0x31);
	assert_int_equal(lapic_timer_expiry(&l), 3000);
	assert_int_equal(rd(LAPIC_REG_TMCCT, 2500), 50);
	/* masked: the count goes on, no interrupt */
	lapic_ack(&l, 0x31);
	lapic_eoi(&l, &eff);
	wr(LAPIC_REG_LVT, 0x30031, 2500);
	assert_true(lapic_timer_fire(&l, 3000));
	assert_int_equal(lapic_highest_irr(&l), -1);
	assert_int_equal(lapic_timer_expiry(&l), 4000);
	/* periodic -> one-shot: the count goes on and stops at 0 */
	wr(LAPIC_REG_LVT, 0x00031, 3100);
	assert_int_equal(rd(LAPIC_REG_TMCCT, 3500), 50);
	assert_true(lapic_timer_fire(&l, 4000));
	assert_int_equal(rd(LAPIC_REG_TMCCT, 4500), 0);
}

static void test_divide_change_keeps_count(void **state)
{
	(void)state;
	wr(LAPIC_REG_LVT, 0x40, 0);
	wr(LAPIC_REG_TDCR, 0x0, 0); /* 20 ns a tick */
	wr(LAPIC_REG_TMICT, 1000, 0);
	assert_int_equal(rd(LAPIC_REG_TMCCT, 4000), 800);
	eff.flags = 0;
	wr(LAPIC_REG_TDCR, 0x2, 4000); /* 80 ns a tick from now */
	assert_int_equal(eff.flags, LAPIC_EFF_TIMER);
	assert_int_equal(rd(LAPIC_REG_TMCCT, 4000), 800);
	assert_int_equal(rd(LAPIC_REG_TMCCT, 4080), 799);
	assert_int_equal(lapic_timer_expiry(&l), 4000 + 800 * 80);
}

static void test_tsc_deadline(void **state)
{
	struct lapic_config nodl = cfg;

	(void)state;
	/* outside the mode the MSR reads 0 and ignores writes */
	lapic_tsc_deadline_write(&l, 12345, &eff);
	assert_int_equal(lapic_tsc_deadline_read(&l), 0);
	wr(LAPIC_REG_TMICT, 500, 0);
	assert_int_equal(rd(LAPIC_REG_TMCCT, 100), 495); /* 20 ns a tick */
	/* entering TSC-deadline mode stops the count */
	eff.flags = 0;
	wr(LAPIC_REG_LVT, 0x40050, 100);
	assert_int_equal(lapic_timer_mode(&l), LAPIC_TIMER_TSC_DEADLINE);
	assert_int_equal(eff.flags, LAPIC_EFF_TIMER);
	assert_int_equal(rd(LAPIC_REG_TMCCT, 200), 0);
	assert_int_equal(rd(LAPIC_REG_TMICT, 200), 0);
	assert_int_equal(lapic_timer_expiry(&l), 0);
	/* the initial count is ignored in this mode */
	wr(LAPIC_REG_TMICT, 500, 200);
	assert_int_equal(rd(LAPIC_REG_TMICT, 200), 0);
	assert_false(lapic_timer_fire(&l, 300)); /* not armed */
	lapic_tsc_deadline_write(&l, 0x123456789ull, &eff);
	assert_int_equal(lapic_tsc_deadline_read(&l), 0x123456789ull);
	assert_true(lapic_timer_fire(&l, 400));
	assert_int_equal(lapic_highest_irr(&l), 0x50);
	assert_int_equal(lapic_tsc_deadline_read(&l), 0);
	/* leaving the mode disarms a deadline */
	lapic_tsc_deadline_write(&l, 999, &eff);
	wr(LAPIC_REG_LVT, 0x20050, 500);
	assert_int_equal(l.tsc_deadline, 0);
	wr(LAPIC_REG_LVT, 0x40050, 500);
	assert_int_equal(lapic_tsc_deadline_read(&l), 0);
	/* without CPUID's TSC-deadline bit, bit 18 is reserved */
	nodl.tsc_deadline = false;
	lapic_init(&l, &nodl);
	wr(LAPIC_REG_SVR, 0x1ff, 0);
	wr(LAPIC_REG_LVT, 0x40050, 0);
	assert_int_equal(rd(LAPIC_REG_LVT, 0), 0x50);
	assert_int_equal(lapic_timer_mode(&l), LAPIC_TIMER_ONESHOT);
}

static void test_disabled_timer_lvt_masked(void **state)
{
	(void)state;
	/* software-disabled: the write keeps the mask; the count runs */
	wr(LAPIC_REG_SVR, 0xff, 0);
	wr(LAPIC_REG_LVT, 0x20, 0);
	assert_int_equal(rd(LAPIC_REG_LVT, 0), 0x10020);
	wr(LAPIC_REG_TDCR, 0xb, 0);
	wr(LAPIC_REG_TMICT, 10, 0);
	assert_true(lapic_timer_fire(&l, 100));
	assert_int_equal(lapic_highest_irr(&l), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_divide_values),	T(test_oneshot_count),
		T(test_periodic_count), T(test_divide_change_keeps_count),
		T(test_tsc_deadline),	T(test_disabled_timer_lvt_masked),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
