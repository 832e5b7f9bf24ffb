// SPDX-License-Identifier: GPL-2.0
/*
 * The LAPIC timer on the host (core/vapic_timer.c): which path times it
 * (the hrtimer armed or cancelled), the host TSC the fast path computes for
 * a TSC deadline with a TSC offset, a deadline in the past or disarmed, the
 * one-shot mode's conversion at the TSC rate (os_user: 1 GHz, so ticks =
 * ns), the module parameter off, and the timer advance: both host timers
 * armed early, a deadline that close fired with the entry's wait for it,
 * and the adaptive advance tuned by the lateness of those armed early.
 */
#include "unit.h"

#include "vm.h"
#include "vapic.h"
#include "irqchip/lapic.h"
#include "vmx/vmx.h"

static struct vm vm;
static struct vcpu v;
static struct lapic l;

static const struct lapic_config cfg = {
	.bsp = true,
	.phys_bits = 39,
	.x2apic = true,
	.tsc_deadline = true,
	.bus_ns = 1,
};

static int setup(void **state)
{
	struct lapic_effects eff = { 0 };

	unit_setup(state);
	memset(&vm, 0, sizeof(vm));
	memset(&v, 0, sizeof(v));
	vm.apic_lock = os_spin_alloc();
	v.vm = &vm;
	v.lapic = &l;
	v.waker = os_waker_alloc(vapic_hrtimer, &v);
	assert_non_null(vm.apic_lock);
	assert_non_null(v.waker);
	lapic_init(&l, &cfg);
	assert_int_equal(lapic_mmio_write(&l, LAPIC_REG_SVR, 4, 0x1ff, 0, &eff), 0);
	vapic_preempt_timer = true;
	vapic_timer_advance_ns = 0;
	return 0;
}

static int teardown(void **state)
{
	os_waker_free(v.waker);
	os_spin_free(vm.apic_lock);
	vapic_preempt_timer = true;
	vapic_timer_advance_ns = -1;
	return unit_teardown(state);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

/* TSC-deadline mode, vector 0x30, deadline @dl (guest TSC). */
static void arm_deadline(u64 dl)
{
	struct lapic_effects eff = { 0 };

	assert_int_equal(lapic_mmio_write(&l, LAPIC_REG_LVT, 4, 0x40030, 0, &eff), 0);
	lapic_tsc_deadline_write(&l, dl, &eff);
	assert_true(eff.flags & LAPIC_EFF_TIMER);
	vapic_timer_arm(&v);
}

static bool irr(u8 vec)
{
	return (l.irr[vec / 32] >> (vec % 32)) & 1;
}

static void test_paths(void **state)
{
	(void)state;
	/* out of RUN: the hrtimer, armed for a deadline a second ahead */
	arm_deadline(hax_rdtsc() + 1000000000ull);
	assert_false(v.timer_preempt);
	assert_int_not_equal(os_user_waker_expiry(v.waker), 0);
	/* the run loop: the preemption timer, the hrtimer cancelled */
	vcpu_lapic_run(&v, true);
	assert_true(v.timer_preempt);
	assert_int_equal(os_user_waker_expiry(v.waker), 0);
	/* a write on the fast path arms nothing on the host */
	arm_deadline(hax_rdtsc() + 2000000000ull);
	assert_int_equal(os_user_waker_expiry(v.waker), 0);
	/* a sleep or the end of RUN: back on the hrtimer */
	vcpu_lapic_run(&v, false);
	assert_false(v.timer_preempt);
	assert_int_equal(v.timer_tsc, 0);
	assert_int_not_equal(os_user_waker_expiry(v.waker), 0);
}

static void test_deadline_offset(void **state)
{
	const u64 offsets[] = { 0, 123456789, (u64)-5000000000ll };
	unsigned int i;
	u64 dl;

	(void)state;
	vcpu_lapic_run(&v, true);
	for (i = 0; i < 3; i++) {
		v.tsc_offset = offsets[i];
		dl = hax_rdtsc() + v.tsc_offset + 50000000;
		arm_deadline(dl);
		vapic_timer_poll(&v, false);
		/* the guest's TSC is the host's plus the offset, at the same rate */
		assert_int_equal(v.timer_tsc, dl - v.tsc_offset);
		assert_false(irr(0x30));
	}
	assert_int_equal(v.stats.timer_preempt, 0);
	vcpu_lapic_run(&v, false);
}

static void test_past_and_disarm(void **state)
{
	(void)state;
	vcpu_lapic_run(&v, true);
	v.tsc_offset = 1000;
	arm_deadline(0);
	vapic_timer_poll(&v, false);
	assert_int_equal(v.timer_tsc, 0);
	assert_false(irr(0x30));
	/* a deadline in the past fires at the poll and disarms */
	arm_deadline(1);
	vapic_timer_poll(&v, false);
	assert_true(irr(0x30));
	assert_int_equal(l.tsc_deadline, 0);
	assert_int_equal(v.timer_tsc, 0);
	assert_int_equal(v.stats.timer_preempt, 1);
	assert_int_equal(v.stats.timer_hrtimer, 0);
	/* the entry has nothing to wait for, however far past the deadline */
	vapic_timer_wait(&v);
	v.tsc_offset = 3ull << 62;
	arm_deadline(1);
	vapic_timer_poll(&v, false);
	assert_int_equal(v.stats.timer_preempt, 2);
	vapic_timer_wait(&v);
	vcpu_lapic_run(&v, false);
	assert_int_equal(os_user_waker_expiry(v.waker), 0);
}

static void test_oneshot(void **state)
{
	struct lapic_effects eff = { 0 };
	u64 before, after;

	(void)state;
	vcpu_lapic_run(&v, true);
	/* one-shot, divide by 1: 10 ms of 1 ns counts */
	assert_int_equal(lapic_mmio_write(&l, LAPIC_REG_LVT, 4, 0x30, 0, &eff), 0);
	assert_int_equal(lapic_mmio_write(&l, LAPIC_REG_TDCR, 4, 0xb, 0, &eff), 0);
	assert_int_equal(lapic_mmio_write(&l, LAPIC_REG_TMICT, 4, 10000000, os_now_ns(), &eff), 0);
	before = hax_rdtsc();
	vapic_timer_poll(&v, false);
	after = hax_rdtsc();
	/* 1 GHz: the ns left are the ticks left, at most the count */
	assert_true(v.timer_tsc > before);
	assert_true(v.timer_tsc <= after + 10000000);
	assert_false(irr(0x30));
	vcpu_lapic_run(&v, false);
}

static void test_param_off(void **state)
{
	(void)state;
	vapic_preempt_timer = false;
	arm_deadline(hax_rdtsc() + 1000000000ull);
	vcpu_lapic_run(&v, true);
	assert_false(v.timer_preempt);
	assert_int_not_equal(os_user_waker_expiry(v.waker), 0);
	vapic_timer_poll(&v, false);
	assert_int_equal(v.timer_tsc, 0);
	vcpu_lapic_run(&v, false);
}

/* Spin until the host TSC reaches @tsc. */
static void tsc_until(u64 tsc)
{
	while (hax_rdtsc() < tsc)
		;
}

static void test_advance_fixed(void **state)
{
	u64 dl, e0, e1;

	(void)state;
	/* out of RUN: the hrtimer 1 ms (10^6 ticks) before the deadline */
	dl = hax_rdtsc() + 1000000000ull;
	arm_deadline(dl);
	e0 = os_user_waker_expiry(v.waker);
	vapic_timer_advance_ns = 1000000;
	vapic_timer_arm(&v);
	e1 = os_user_waker_expiry(v.waker);
	assert_true(e0 - e1 > 900000 && e0 - e1 < 1100000);
	/* the fast path: the preemption timer as early */
	vcpu_lapic_run(&v, true);
	vapic_timer_poll(&v, false);
	assert_int_equal(v.timer_tsc, dl - 1000000);
	assert_int_equal(v.timer_wait_tsc, 0);
	/* there: fired, the entry waits for the deadline */
	dl = hax_rdtsc() + 2000000;
	arm_deadline(dl);
	vapic_timer_poll(&v, false);
	tsc_until(dl - 1000000);
	vapic_timer_poll(&v, false);
	assert_true(irr(0x30));
	assert_int_equal(l.tsc_deadline, 0);
	assert_int_equal(v.timer_tsc, 0);
	assert_int_equal(v.timer_wait_tsc, dl);
	assert_true(hax_rdtsc() < dl);
	vapic_timer_wait(&v);
	assert_true(hax_rdtsc() >= dl);
	assert_int_equal(v.timer_wait_tsc, 0);
	assert_int_equal(v.stats.timer_preempt, 1);
	vcpu_lapic_run(&v, false);
}

/* Fire a deadline armed early after @late ticks past it; the adaptive advance after. */
static u32 adapt_after(s64 late)
{
	u64 dl = hax_rdtsc() + 400000;

	arm_deadline(dl);
	vapic_timer_poll(&v, false);
	tsc_until(dl + late);
	vapic_timer_poll(&v, false);
	assert_true(irr(0x30));
	vapic_timer_wait(&v);
	l.irr[1] = 0;
	return v.timer_adv_ns;
}

static void test_advance_adaptive(void **state)
{
	u64 dl;
	u32 adv;

	(void)state;
	vapic_timer_advance_ns = -1;
	v.timer_adv_ns = VAPIC_ADVANCE_INIT_NS;
	vcpu_lapic_run(&v, true);
	/* 40 us late: up by about an eighth of that */
	adv = adapt_after(40000);
	assert_true(adv > VAPIC_ADVANCE_INIT_NS + 4500 && adv < VAPIC_ADVANCE_INIT_NS + 12500);
	/* 50 us early (within an advance of 60 us): down */
	v.timer_adv_ns = 60000;
	adv = adapt_after(-50000);
	assert_true(adv < 60000 - 5000 && adv > 60000 - 6500);
	/* an outlier tunes nothing */
	v.timer_adv_ns = 5000;
	assert_int_equal(adapt_after(VAPIC_ADVANCE_MAX_NS * 2), 5000);
	/* a deadline written within the advance was not armed early: nothing */
	v.timer_adv_ns = 60000;
	dl = hax_rdtsc() + 50000;
	arm_deadline(dl);
	vapic_timer_poll(&v, false);
	assert_true(irr(0x30));
	vapic_timer_wait(&v);
	assert_true(hax_rdtsc() >= dl);
	assert_int_equal(v.timer_adv_ns, 60000);
	vcpu_lapic_run(&v, false);
}

/* A halted vCPU's hrtimer went off early: its interrupt, not the fast path's. */
static void test_advance_hrtimer_count(void **state)
{
	(void)state;
	vapic_timer_advance_ns = 100000;
	arm_deadline(hax_rdtsc() + 50000);
	vapic_hrtimer(&v);
	vcpu_lapic_run(&v, true);
	vapic_timer_poll(&v, true);
	assert_true(irr(0x30));
	assert_int_equal(v.stats.timer_hrtimer, 1);
	assert_int_equal(v.stats.timer_preempt, 0);
	vapic_timer_wait(&v);
	vcpu_lapic_run(&v, false);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_paths),
		T(test_deadline_offset),
		T(test_past_and_disarm),
		T(test_oneshot),
		T(test_param_off),
		T(test_advance_fixed),
		T(test_advance_adaptive),
		T(test_advance_hrtimer_count),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
