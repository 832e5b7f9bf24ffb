// SPDX-License-Identifier: GPL-2.0
/*
 * The 8254 PIT model (core/irqchip/pit.c): control words, access states,
 * latches and read-back, counts and OUT of modes 0, 2 and 3 from the
 * caller's clock, counter 0's edge schedule, and counter 2's gate on port
 * 0x61.
 */
#include "unit.h"

#include "irqchip/pit.h"

static struct i8254 p;

/* The time of @ticks PIT clocks, rounded up, from 1 s (a clock not at 0). */
#define T0	  1000000000ull
#define AT(ticks) (T0 + ((ticks)*1000000000ull + PIT_HZ - 1) / PIT_HZ)

static void out(u16 port, u8 val, u64 now)
{
	assert_int_equal(i8254_port_write(&p, port, val, now), 0);
}

static u8 in(u16 port, u64 now)
{
	u8 v = 0x5a;

	assert_int_equal(i8254_port_read(&p, port, now, &v), 0);
	return v;
}

/* Counter @i, LSB then MSB, mode @mode, count @count, loaded at @now. */
static void program(u32 i, u32 mode, u32 count, u64 now)
{
	out(0x43, i << 6 | 0x30 | mode << 1, now);
	out(0x40 + i, count & 0xff, now);
	out(0x40 + i, (count >> 8) & 0xff, now);
}

static int setup(void **state)
{
	unit_setup(state);
	i8254_init(&p);
	return 0;
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, unit_teardown)

static void test_creation_and_ports(void **state)
{
	u8 v;

	(void)state;
	assert_int_equal(i8254_port_read(&p, 0x44, T0, &v), -ENOENT);
	assert_int_equal(i8254_port_write(&p, 0x3f, 0, T0), -ENOENT);
	assert_int_equal(in(0x43, T0), 0xff);
	assert_int_equal(i8254_irq_expiry(&p), 0);
	assert_int_equal(i8254_count(&p, 0, T0), 0x10000);
	/* 0x61: gate 2 low, OUT2 of an unloaded mode 0 low */
	assert_int_equal(in(0x61, T0) & 0x2f, 0);
	out(0x61, 0xff, T0);
	assert_int_equal(in(0x61, T0) & 0x2f, 0x0f);
}

static void test_mode0_latch_readback(void **state)
{
	(void)state;
	out(0x61, 1, T0);
	program(2, 0, 1000, T0);
	assert_false(i8254_out(&p, 2, AT(999)));
	assert_true(i8254_out(&p, 2, AT(1000)));
	assert_int_equal(in(0x61, AT(1000)) & 0x20, 0x20);
	/* a latch holds the count until both bytes are read */
	out(0x43, 0x80, AT(100));
	assert_int_equal(in(0x42, AT(500)), 900 & 0xff);
	out(0x43, 0x80, AT(600)); /* ignored: the latched count is unread */
	assert_int_equal(in(0x42, AT(700)), 900 >> 8);
	/* read-back of status and count; the status comes first */
	out(0x43, 0xc8, AT(200));
	assert_int_equal(in(0x42, AT(300)), 0x30);
	assert_int_equal(in(0x42, AT(300)), 800 & 0xff);
	assert_int_equal(in(0x42, AT(300)), 800 >> 8);
	/* an unlatched read: LSB, MSB; after the terminal count it wraps */
	assert_int_equal(in(0x42, AT(1001)), 0xff);
	assert_int_equal(in(0x42, AT(1001)), 0xff);
	assert_int_equal(i8254_count(&p, 2, AT(1000)), 0);
}

static void test_mode2_mode3_schedule(void **state)
{
	u64 t;

	(void)state;
	program(0, 2, 100, T0);
	assert_int_equal(i8254_irq_expiry(&p), AT(100));
	assert_true(i8254_out(&p, 0, AT(98)));
	assert_false(i8254_out(&p, 0, AT(99))); /* low while the count is 1 */
	assert_int_equal(i8254_count(&p, 0, AT(30)), 70);
	assert_false(i8254_irq_fire(&p, AT(99)));
	assert_true(i8254_irq_fire(&p, AT(100)));
	assert_int_equal(i8254_irq_expiry(&p), AT(200));
	/* missed periods are coalesced: the next is after the fire time */
	assert_true(i8254_irq_fire(&p, AT(750)));
	assert_int_equal(i8254_irq_expiry(&p), AT(800));
	/* mode 3: a square wave, counting by twos */
	program(0, 3, 100, T0);
	assert_true(i8254_out(&p, 0, AT(49)));
	assert_false(i8254_out(&p, 0, AT(50)));
	assert_int_equal(i8254_count(&p, 0, AT(10)), 80);
	/* a control word stops counter 0: no edge until a count */
	out(0x43, 0x34, AT(10));
	assert_int_equal(i8254_irq_expiry(&p), 0);
	/* mode 0: one edge only */
	program(0, 0, 10, T0);
	t = i8254_irq_expiry(&p);
	assert_int_equal(t, AT(10));
	assert_true(i8254_irq_fire(&p, t));
	assert_int_equal(i8254_irq_expiry(&p), 0);
	/* 6 and 7 are modes 2 and 3; a 0 count is 0x10000 */
	out(0x43, 0x3c, T0);
	out(0x40, 0, T0);
	out(0x40, 0, T0);
	assert_int_equal(p.ch[0].mode, 2);
	assert_int_equal(p.ch[0].count, 0x10000);
}

static void test_gate_and_restart(void **state)
{
	(void)state;
	/* mode 0 with gate 2 low: not counting until the gate rises */
	program(2, 0, 100, T0);
	assert_int_equal(i8254_count(&p, 2, AT(50)), 100);
	out(0x61, 1, AT(50));
	assert_int_equal(i8254_count(&p, 2, AT(80)), 70);
	out(0x61, 0, AT(80));
	assert_int_equal(i8254_count(&p, 2, AT(500)), 70);
	out(0x61, 1, AT(500));
	assert_int_equal(i8254_count(&p, 2, AT(510)), 60);
	/* mode 2: gate low drives OUT high, a rising edge reloads */
	program(2, 2, 100, AT(600));
	out(0x61, 0, AT(650));
	assert_true(i8254_out(&p, 2, AT(699)));
	out(0x61, 1, AT(700));
	assert_int_equal(i8254_count(&p, 2, AT(700)), 100);
	/* a restart from an elapsed time (SET_PIT) */
	program(0, 2, 100, T0);
	i8254_restart(&p, 0, 250 * 1000000000ull / PIT_HZ + 1, AT(1000));
	assert_int_equal(i8254_count(&p, 0, AT(1000)), 50);
	assert_int_equal(i8254_irq_expiry(&p), AT(1000) - 250 * 1000000000ull / PIT_HZ - 1 +
						       (300 * 1000000000ull + PIT_HZ - 1) / PIT_HZ);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_creation_and_ports),
		T(test_mode0_latch_readback),
		T(test_mode2_mode3_schedule),
		T(test_gate_and_restart),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
