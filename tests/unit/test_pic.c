// SPDX-License-Identifier: GPL-2.0
/*
 * The 8259A pair model (core/irqchip/pic.c): initialization, priority and
 * rotation, EOIs, automatic EOI, special mask and special fully nested
 * modes, polls, the cascade, the ELCR, and the spurious IR7.
 */
#include "unit.h"

#include "irqchip/pic.h"

static struct i8259 p;

static void out(u16 port, u8 val)
{
	assert_int_equal(i8259_port_write(&p, port, val), 0);
}

static u8 in(u16 port)
{
	u8 v = 0x5a;

	assert_int_equal(i8259_port_read(&p, port, &v), 0);
	return v;
}

/* ICW1-ICW4 on both chips: vectors 0x20 and 0x28, ICW4 @icw4, all unmasked. */
static void init_pair(u8 icw4)
{
	out(0x20, 0x11);
	out(0x21, 0x20);
	out(0x21, 0x04);
	out(0x21, icw4);
	out(0xa0, 0x11);
	out(0xa1, 0x28);
	out(0xa1, 0x02);
	out(0xa1, icw4);
	out(0x21, 0);
	out(0xa1, 0);
}

static void pulse(u32 irq)
{
	assert_int_equal(i8259_set_irq(&p, irq, true), 0);
	assert_int_equal(i8259_set_irq(&p, irq, false), 0);
}

static int setup(void **state)
{
	unit_setup(state);
	i8259_init(&p);
	return 0;
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, unit_teardown)

static void test_creation_and_ports(void **state)
{
	u8 v;

	(void)state;
	assert_int_equal(in(0x21), 0xff);
	assert_int_equal(in(0xa1), 0xff);
	assert_false(i8259_output(&p));
	assert_int_equal(i8259_port_read(&p, 0x22, &v), -ENOENT);
	assert_int_equal(i8259_port_write(&p, 0x40, 0), -ENOENT);
	assert_int_equal(i8259_set_irq(&p, 2, true), -EINVAL);
	assert_int_equal(i8259_set_irq(&p, 16, true), -EINVAL);
	/* masked: latched, no INT */
	pulse(3);
	assert_false(i8259_output(&p));
	out(0x20, 0x0a);
	assert_int_equal(in(0x20), 0x08);
}

static void test_priority_and_eoi(void **state)
{
	(void)state;
	init_pair(0x01);
	pulse(5);
	pulse(3);
	assert_true(i8259_output(&p));
	assert_int_equal(i8259_intack(&p), 0x23);
	/* IR5 waits behind IR3 in service; IR1 does not */
	assert_false(i8259_output(&p));
	pulse(1);
	assert_true(i8259_output(&p));
	assert_int_equal(i8259_intack(&p), 0x21);
	out(0x20, 0x0b);
	assert_int_equal(in(0x20), 0x0a);
	out(0x20, 0x20); /* non-specific: IR1 */
	assert_int_equal(in(0x20), 0x08);
	out(0x20, 0x63); /* specific: IR3 */
	assert_int_equal(in(0x20), 0x00);
	assert_int_equal(i8259_intack(&p), 0x25);
	/* rotate on non-specific EOI: IR5 becomes the lowest */
	out(0x20, 0xa0);
	pulse(4);
	pulse(6);
	assert_int_equal(i8259_intack(&p), 0x26);
}

static void test_spurious_and_poll(void **state)
{
	(void)state;
	init_pair(0x01);
	/* an INTA with nothing requested: IR7's vector, nothing in service */
	assert_int_equal(i8259_intack(&p), 0x27);
	out(0x20, 0x0b);
	assert_int_equal(in(0x20), 0x00);
	/* poll: the request acknowledged, in service (datasheet, "The Poll Command") */
	pulse(4);
	out(0x20, 0x0c);
	assert_int_equal(in(0x20), 0x84);
	assert_int_equal(in(0x20), 0x10); /* read_isr kept */
	out(0x20, 0x0c);
	assert_int_equal(in(0x21), 0x00); /* a poll with nothing: 0 */
	assert_false(i8259_output(&p));
}

static void test_cascade_and_sfnm(void **state)
{
	(void)state;
	init_pair(0x11); /* special fully nested mode */
	pulse(12);
	assert_true(i8259_output(&p));
	assert_int_equal(i8259_intack(&p), 0x2c);
	/* SFNM: a higher slave request passes the master's IR2 in service */
	pulse(9);
	assert_true(i8259_output(&p));
	assert_int_equal(i8259_intack(&p), 0x29);
	/* a masked slave input: no INT on IR2 */
	out(0xa0, 0x20);
	out(0xa0, 0x20);
	out(0x20, 0x20);
	out(0x20, 0x20);
	out(0xa1, 0x40);
	pulse(14);
	assert_false(i8259_output(&p));
	out(0xa1, 0x00);
	assert_true(i8259_output(&p));
	assert_int_equal(i8259_intack(&p), 0x2e);
}

static void test_level_elcr_and_icw1(void **state)
{
	(void)state;
	init_pair(0x01);
	out(0x4d0, 0xff);
	assert_int_equal(in(0x4d0), 0xf8);
	out(0x4d1, 0xff);
	assert_int_equal(in(0x4d1), 0xde);
	out(0x4d1, 0);
	/* level: requests while high, again after the EOI */
	i8259_set_irq(&p, 6, true);
	assert_int_equal(i8259_intack(&p), 0x26);
	out(0x20, 0x20);
	assert_true(i8259_output(&p));
	i8259_set_irq(&p, 6, false);
	assert_false(i8259_output(&p));
	/* edge: an input high through ICW1 requests nothing until it rises again */
	out(0x4d0, 0);
	i8259_set_irq(&p, 1, true);
	out(0x20, 0x11);
	out(0x21, 0x20);
	out(0x21, 0x04);
	out(0x21, 0x01);
	assert_false(i8259_output(&p));
	i8259_set_irq(&p, 1, true);
	assert_false(i8259_output(&p));
	i8259_set_irq(&p, 1, false);
	i8259_set_irq(&p, 1, true);
	assert_int_equal(i8259_intack(&p), 0x21);
}

static void test_aeoi_and_special_mask(void **state)
{
	(void)state;
	init_pair(0x03);
	out(0x20, 0x80); /* rotate in AEOI mode */
	pulse(3);
	assert_int_equal(i8259_intack(&p), 0x23);
	out(0x20, 0x0b);
	assert_int_equal(in(0x20), 0x00);
	/* IR3 the lowest now: IR4 the highest, IR0 after it */
	pulse(0);
	pulse(4);
	assert_int_equal(i8259_intack(&p), 0x24);
	/* special mask mode: a masked level in service blocks nothing */
	i8259_init(&p);
	init_pair(0x01);
	pulse(1);
	assert_int_equal(i8259_intack(&p), 0x21);
	pulse(5);
	assert_false(i8259_output(&p));
	out(0x21, 0x02);
	out(0x20, 0x68);
	assert_true(i8259_output(&p));
	assert_int_equal(i8259_intack(&p), 0x25);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_creation_and_ports),  T(test_priority_and_eoi),
		T(test_spurious_and_poll),   T(test_cascade_and_sfnm),
		T(test_level_elcr_and_icw1), T(test_aeoi_and_special_mask),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
