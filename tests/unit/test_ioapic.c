// SPDX-License-Identifier: GPL-2.0
/*
 * The IO-APIC model (core/irqchip/ioapic.c): register access through
 * IOREGSEL/IOWIN, reset values, redirection entries, edge and level inputs,
 * remote IRR and the EOI broadcast, and the whole path IO-APIC -> APIC bus
 * -> local APIC -> EOI -> IO-APIC.
 */
#include "unit.h"

#include "irqchip/apic_bus.h"
#include "irqchip/ioapic.h"

/* The messages the IO-APIC sent, and how many APICs the sink says accepted each. */
static struct apic_msg sent[16];
static int nsent, accept_count;
static struct ioapic io;

static int record(void *ctx, const struct apic_msg *m)
{
	(void)ctx;
	if (nsent < 16)
		sent[nsent] = *m;
	nsent++;
	return accept_count;
}

static int setup(void **state)
{
	unit_setup(state);
	nsent = 0;
	accept_count = 1;
	ioapic_init(&io, 2, record, NULL);
	return 0;
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, unit_teardown)

static u32 rd(u32 index)
{
	u32 v = 0xdeadbeef;

	assert_int_equal(ioapic_mmio_write(&io, IOAPIC_IOREGSEL, 4, index), 0);
	assert_int_equal(ioapic_mmio_read(&io, IOAPIC_IOWIN, 4, &v), 0);
	return v;
}

static void wr(u32 index, u32 val)
{
	assert_int_equal(ioapic_mmio_write(&io, IOAPIC_IOREGSEL, 4, index), 0);
	assert_int_equal(ioapic_mmio_write(&io, IOAPIC_IOWIN, 4, val), 0);
}

static void test_reset_and_registers(void **state)
{
	u32 v;
	int i;

	(void)state;
	assert_int_equal(rd(IOAPIC_REG_ID), 0x02000000);
	assert_int_equal(rd(IOAPIC_REG_VER), 0x00170011);
	assert_int_equal(rd(IOAPIC_REG_ARB), 0x02000000);
	for (i = 0; i < IOAPIC_PINS; i++) {
		assert_int_equal(rd(0x10 + 2 * i), 0x00010000);
		assert_int_equal(rd(0x11 + 2 * i), 0);
	}
	/* ID bits 27:24 only; the arbitration ID follows the ID */
	wr(IOAPIC_REG_ID, 0xffffffff);
	assert_int_equal(rd(IOAPIC_REG_ID), 0x0f000000);
	assert_int_equal(rd(IOAPIC_REG_ARB), 0x0f000000);
	/* version and arbitration are read-only */
	wr(IOAPIC_REG_VER, 0);
	wr(IOAPIC_REG_ARB, 0);
	assert_int_equal(rd(IOAPIC_REG_VER), 0x00170011);
	assert_int_equal(rd(IOAPIC_REG_ARB), 0x0f000000);
	/* past the table and between: 0 */
	assert_int_equal(rd(0x40), 0);
	assert_int_equal(rd(0x03), 0);
	wr(0x40, 0x1234);
	assert_int_equal(rd(0x40), 0);
	/* IOREGSEL holds 8 bits and reads back */
	assert_int_equal(ioapic_mmio_write(&io, IOAPIC_IOREGSEL, 4, 0x1234), 0);
	assert_int_equal(ioapic_mmio_read(&io, IOAPIC_IOREGSEL, 4, &v), 0);
	assert_int_equal(v, 0x34);
	/* other offsets, narrow accesses, out of the window */
	assert_int_equal(ioapic_mmio_read(&io, 0x20, 4, &v), 0);
	assert_int_equal(v, 0);
	assert_int_equal(ioapic_mmio_read(&io, IOAPIC_IOWIN, 1, &v), 0);
	assert_int_equal(v, 0);
	assert_int_equal(ioapic_mmio_read(&io, 0x100, 4, &v), -EINVAL);
	assert_int_equal(ioapic_mmio_write(&io, 0xfe, 4, 0), -EINVAL);
	assert_int_equal(ioapic_mmio_write(&io, 0, 3, 0), -EINVAL);
	assert_int_equal(ioapic_set_irq(&io, 24, true), -EINVAL);
	assert_int_equal(nsent, 0);
}

static void test_redirection_fields(void **state)
{
	struct apic_msg m;

	(void)state;
	/* every bit written: delivery status and remote IRR stay 0, reserved too */
	wr(0x10 + 2 * 5, 0xffffffff);
	assert_int_equal(rd(0x10 + 2 * 5), 0x0001afff);
	wr(0x11 + 2 * 5, 0xffffffff);
	assert_int_equal(rd(0x11 + 2 * 5), 0xff000000);
	wr(0x10 + 2 * 5, 0x00008963); /* level, logical, lowest priority, vector 0x63 */
	wr(0x11 + 2 * 5, 0x0c000000);
	ioapic_entry_msg(&io, 5, &m);
	assert_int_equal(m.vector, 0x63);
	assert_int_equal(m.delivery, APIC_DM_LOWEST);
	assert_true(m.logical);
	assert_true(m.level);
	assert_int_equal(m.dest, 0x0c);
	assert_false(m.x2apic);
	assert_int_equal(m.shorthand, APIC_SH_NONE);
}

static void test_edge(void **state)
{
	(void)state;
	wr(0x10 + 2 * 4, 0x00000034); /* edge, fixed, physical, vector 0x34, unmasked */
	wr(0x11 + 2 * 4, 0x01000000);
	assert_int_equal(ioapic_set_irq(&io, 4, true), 0);
	assert_int_equal(nsent, 1);
	assert_int_equal(sent[0].vector, 0x34);
	assert_int_equal(sent[0].dest, 1);
	assert_false(sent[0].level);
	/* held high: no second edge; low then high: one more */
	assert_int_equal(ioapic_set_irq(&io, 4, true), 0);
	assert_int_equal(nsent, 1);
	assert_int_equal(ioapic_set_irq(&io, 4, false), 0);
	assert_int_equal(ioapic_set_irq(&io, 4, true), 0);
	assert_int_equal(nsent, 2);
	/* edge entries never get remote IRR */
	assert_int_equal(rd(0x10 + 2 * 4) & 0x4000, 0);
	/* masked: an edge is lost, unmasking does not replay it */
	ioapic_set_irq(&io, 4, false);
	wr(0x10 + 2 * 4, 0x00010034);
	ioapic_set_irq(&io, 4, true);
	wr(0x10 + 2 * 4, 0x00000034);
	assert_int_equal(nsent, 2);
}

static void test_level_remote_irr(void **state)
{
	(void)state;
	wr(0x10 + 2 * 9, 0x00008049); /* level, fixed, vector 0x49 */
	ioapic_set_irq(&io, 9, true);
	assert_int_equal(nsent, 1);
	assert_true(sent[0].level);
	assert_int_equal(rd(0x10 + 2 * 9), 0x0000c049);
	/* no more while remote IRR is set */
	ioapic_set_irq(&io, 9, true);
	ioapic_set_irq(&io, 9, false);
	ioapic_set_irq(&io, 9, true);
	assert_int_equal(nsent, 1);
	/* remote IRR is read-only */
	wr(0x10 + 2 * 9, 0x00008049);
	assert_int_equal(rd(0x10 + 2 * 9), 0x0000c049);
	/* an EOI of another vector: nothing; of 0x49 with the line high: again */
	ioapic_eoi(&io, 0x48);
	assert_int_equal(rd(0x10 + 2 * 9), 0x0000c049);
	ioapic_eoi(&io, 0x49);
	assert_int_equal(nsent, 2);
	assert_int_equal(rd(0x10 + 2 * 9), 0x0000c049);
	/* line low, then EOI: remote IRR clears, nothing sent */
	ioapic_set_irq(&io, 9, false);
	ioapic_eoi(&io, 0x49);
	assert_int_equal(nsent, 2);
	assert_int_equal(rd(0x10 + 2 * 9), 0x00008049);
	/* nobody accepted: remote IRR stays clear */
	accept_count = 0;
	ioapic_set_irq(&io, 9, true);
	assert_int_equal(nsent, 3);
	assert_int_equal(rd(0x10 + 2 * 9), 0x00008049);
}

static void test_level_mask_and_mode_change(void **state)
{
	(void)state;
	/* asserted while masked: sent on unmask */
	wr(0x10 + 2 * 11, 0x00018051);
	ioapic_set_irq(&io, 11, true);
	assert_int_equal(nsent, 0);
	wr(0x10 + 2 * 11, 0x00008051);
	assert_int_equal(nsent, 1);
	assert_int_equal(sent[0].vector, 0x51);
	/* switching to edge clears remote IRR; an EOI then does nothing */
	wr(0x10 + 2 * 11, 0x00000051);
	assert_int_equal(rd(0x10 + 2 * 11), 0x00000051);
	ioapic_eoi(&io, 0x51);
	assert_int_equal(nsent, 1);
	/* back to level with the line still high: sent at once */
	wr(0x10 + 2 * 11, 0x00008051);
	assert_int_equal(nsent, 2);
	/* two pins sharing a vector: one EOI serves both */
	wr(0x10 + 2 * 12, 0x00008051);
	ioapic_set_irq(&io, 12, true);
	assert_int_equal(nsent, 3);
	ioapic_set_irq(&io, 11, false);
	ioapic_set_irq(&io, 12, false);
	ioapic_eoi(&io, 0x51);
	assert_int_equal(rd(0x10 + 2 * 11) & 0x4000, 0);
	assert_int_equal(rd(0x10 + 2 * 12) & 0x4000, 0);
}

/* The sink of the full path: the APIC bus of two xAPICs. */
static struct lapic apic[2];
static struct lapic *ptr[2] = { &apic[0], &apic[1] };
static struct apic_bus bus = { ptr, 2 };

static int to_bus(void *ctx, const struct apic_msg *m)
{
	return apic_bus_deliver(ctx, -1, m, NULL);
}

/* A loaded state: only an unmasked level entry, line up, remote IRR clear, sends. */
static void test_resample(void **state)
{
	(void)state;
	io.redir[1] = 0x8031;			     /* level, line up: sends */
	io.redir[2] = 0x8032 | IOAPIC_RE_REMOTE_IRR; /* in service already */
	io.redir[3] = 0x8033 | IOAPIC_RE_MASKED;     /* masked */
	io.redir[4] = 0x0034;			     /* edge: no edge in a load */
	io.redir[5] = 0x8035;			     /* level, line down */
	io.lines = 0x1e;
	ioapic_resample(&io);
	assert_int_equal(nsent, 1);
	assert_int_equal(sent[0].vector, 0x31);
	assert_true(sent[0].level);
	assert_true(io.redir[1] & IOAPIC_RE_REMOTE_IRR);
	/* again: remote IRR now set, nothing */
	ioapic_resample(&io);
	assert_int_equal(nsent, 1);
}

static void test_level_eoi_through_lapic(void **state)
{
	struct lapic_effects eff = { 0 };
	int i;

	(void)state;
	for (i = 0; i < 2; i++) {
		struct lapic_config c = { .id = i, .bsp = !i, .phys_bits = 39, .bus_ns = 1 };

		lapic_init(&apic[i], &c);
		assert_int_equal(lapic_mmio_write(&apic[i], LAPIC_REG_SVR, 4, 0x1ff, 0, &eff), 0);
	}
	ioapic_init(&io, 0, to_bus, &bus);
	/* pin 10: level, fixed, physical APIC 1, vector 0x61 */
	wr(0x11 + 2 * 10, 0x01000000);
	wr(0x10 + 2 * 10, 0x00008061);
	ioapic_set_irq(&io, 10, true);
	assert_int_equal(lapic_pending_vector(&apic[1]), 0x61);
	assert_int_equal(lapic_pending_vector(&apic[0]), -1);
	assert_int_equal(apic[1].tmr[3], 0x2);
	assert_int_equal(rd(0x10 + 2 * 10), 0x0000c061);
	/* the guest takes it, the device drops the line, the guest EOIs */
	lapic_ack(&apic[1], 0x61);
	ioapic_set_irq(&io, 10, false);
	assert_int_equal(lapic_mmio_write(&apic[1], LAPIC_REG_EOI, 4, 0, 0, &eff), 0);
	assert_int_equal(eff.flags, LAPIC_EFF_EOI_LEVEL);
	assert_int_equal(eff.eoi_vector, 0x61);
	ioapic_eoi(&io, eff.eoi_vector);
	assert_int_equal(rd(0x10 + 2 * 10), 0x00008061);
	assert_int_equal(lapic_highest_irr(&apic[1]), -1);
	/* the line still high at the EOI: the interrupt comes again */
	ioapic_set_irq(&io, 10, true);
	lapic_ack(&apic[1], 0x61);
	eff.flags = 0;
	assert_int_equal(lapic_mmio_write(&apic[1], LAPIC_REG_EOI, 4, 0, 0, &eff), 0);
	ioapic_eoi(&io, eff.eoi_vector);
	assert_int_equal(lapic_pending_vector(&apic[1]), 0x61);
	assert_int_equal(rd(0x10 + 2 * 10), 0x0000c061);
	/* a software-disabled destination accepts nothing: no remote IRR */
	lapic_ack(&apic[1], 0x61);
	lapic_eoi(&apic[1], &eff);
	assert_int_equal(lapic_mmio_write(&apic[1], LAPIC_REG_SVR, 4, 0xff, 0, &eff), 0);
	ioapic_eoi(&io, 0x61);
	assert_int_equal(rd(0x10 + 2 * 10), 0x00008061);
	assert_int_equal(lapic_highest_irr(&apic[1]), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_reset_and_registers),
		T(test_redirection_fields),
		T(test_edge),
		T(test_level_remote_irr),
		T(test_level_mask_and_mode_change),
		T(test_level_eoi_through_lapic),
		T(test_resample),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
