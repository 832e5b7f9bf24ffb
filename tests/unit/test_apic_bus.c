// SPDX-License-Identifier: GPL-2.0
/*
 * Routing between local APICs (core/irqchip/apic_bus.c): IPIs to self, all
 * and all but self, physical and logical (flat, cluster, x2APIC cluster)
 * destinations, broadcasts, lowest-priority arbitration, INIT and SIPI.
 */
#include "unit.h"

#include "irqchip/apic_bus.h"

#define N 4
static struct lapic apic[N];
static struct lapic *ptr[N];
static struct apic_bus bus = { ptr, N };

/* Four enabled xAPICs with IDs 0..3 (APIC i has ID i). */
static int setup(void **state)
{
	struct lapic_effects eff = { 0 };
	int i;

	unit_setup(state);
	for (i = 0; i < N; i++) {
		struct lapic_config c = {
			.id = i,
			.bsp = !i,
			.phys_bits = 39,
			.x2apic = true,
			.bus_ns = 1,
		};

		lapic_init(&apic[i], &c);
		assert_int_equal(lapic_mmio_write(&apic[i], LAPIC_REG_SVR, 4, 0x1ff, 0, &eff), 0);
		ptr[i] = &apic[i];
	}
	bus.n = N;
	return 0;
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, unit_teardown)

/* Send the ICR value (@hi, @lo) from APIC @src through the bus; returns the accepting set. */
static u64 send(int src, u32 hi, u32 lo)
{
	struct lapic_effects eff = { 0 };
	u64 got = 0;

	assert_int_equal(lapic_mmio_write(&apic[src], LAPIC_REG_ICR2, 4, hi, 0, &eff), 0);
	assert_int_equal(lapic_mmio_write(&apic[src], LAPIC_REG_ICR, 4, lo, 0, &eff), 0);
	if (!(eff.flags & LAPIC_EFF_IPI))
		return 0;
	apic_bus_deliver(&bus, src, &eff.ipi, &got);
	return got;
}

static u64 irr_set(u8 vec)
{
	u64 s = 0;
	int i;

	for (i = 0; i < N; i++)
		if (apic[i].irr[vec >> 5] & (1u << (vec & 31)))
			s |= 1ull << i;
	return s;
}

static void test_shorthands(void **state)
{
	(void)state;
	assert_int_equal(send(1, 0, 0x00040041), 0x2); /* self */
	assert_int_equal(irr_set(0x41), 0x2);
	assert_int_equal(send(1, 0, 0x00080042), 0xf); /* all including self */
	assert_int_equal(irr_set(0x42), 0xf);
	assert_int_equal(send(1, 0, 0x000c0043), 0xd); /* all excluding self */
	assert_int_equal(irr_set(0x43), 0xd);
	/* the shorthand ignores the destination field */
	assert_int_equal(send(2, 0x01000000, 0x00040044), 0x4);
	/* a software-disabled APIC is in the set but refuses fixed IPIs */
	assert_int_equal(
		lapic_mmio_write(&apic[3], LAPIC_REG_SVR, 4, 0xff, 0, &(struct lapic_effects){ 0 }),
		0);
	assert_int_equal(send(0, 0, 0x000c0045), 0x6);
	/* ...but takes NMIs */
	assert_int_equal(send(0, 0, 0x000c0400), 0xe);
	assert_true(apic[3].nmi_pending);
	assert_false(apic[0].nmi_pending);
	/* a hardware-disabled APIC is in no set */
	assert_int_equal(lapic_set_base(&apic[2], 0xfee00000, false), 0);
	assert_int_equal(apic_bus_dest(&bus, 0, &(struct apic_msg){ .shorthand = APIC_SH_ALL }),
			 0xb);
	/* "self" from a message no APIC sent names nobody */
	assert_int_equal(apic_bus_dest(&bus, -1, &(struct apic_msg){ .shorthand = APIC_SH_SELF }),
			 0);
}

static void test_physical(void **state)
{
	(void)state;
	assert_int_equal(send(0, 0x02000000, 0x00000051), 0x4);
	assert_int_equal(send(0, 0x07000000, 0x00000052), 0);	/* nobody has ID 7 */
	assert_int_equal(send(0, 0xff000000, 0x00000053), 0xf); /* broadcast */
	/* an ID the guest changed */
	assert_int_equal(lapic_mmio_write(&apic[3], LAPIC_REG_ID, 4, 0x07000000, 0,
					  &(struct lapic_effects){ 0 }),
			 0);
	assert_int_equal(send(0, 0x07000000, 0x00000054), 0x8);
	assert_int_equal(send(0, 0x03000000, 0x00000055), 0);
}

static void set_logical(int i, u32 ldr, u32 dfr)
{
	struct lapic_effects eff = { 0 };

	assert_int_equal(lapic_mmio_write(&apic[i], LAPIC_REG_LDR, 4, ldr, 0, &eff), 0);
	assert_int_equal(lapic_mmio_write(&apic[i], LAPIC_REG_DFR, 4, dfr, 0, &eff), 0);
}

static void test_logical_flat(void **state)
{
	int i;

	(void)state;
	for (i = 0; i < N; i++)
		set_logical(i, (1u << i) << 24, 0xffffffff);
	assert_int_equal(send(0, 0x06000000, 0x00000861), 0x6);
	assert_int_equal(send(0, 0x09000000, 0x00000862), 0x9);
	assert_int_equal(send(0, 0xf0000000, 0x00000863), 0);
	assert_int_equal(send(0, 0xff000000, 0x00000864), 0xf);
	/* flat uses all 8 bits, no cluster: 0x90 names LDRs 0x10 and 0x80 */
	set_logical(2, 0x10000000, 0xffffffff);
	set_logical(3, 0x80000000, 0xffffffff);
	assert_int_equal(send(0, 0x90000000, 0x00000866), 0xc);
	/* an LDR of 0 is in no logical destination but the broadcast */
	set_logical(2, 0, 0xffffffff);
	assert_int_equal(send(0, 0x07000000, 0x00000865), 0x3);
}

static void test_logical_cluster(void **state)
{
	(void)state;
	/* cluster 1: APICs 0 (bit 0) and 1 (bit 1); cluster 2: 2 (bit 0), 3 (bit 2) */
	set_logical(0, 0x11000000, 0x0fffffff);
	set_logical(1, 0x12000000, 0x0fffffff);
	set_logical(2, 0x21000000, 0x0fffffff);
	set_logical(3, 0x24000000, 0x0fffffff);
	assert_int_equal(send(0, 0x13000000, 0x00000871), 0x3);
	assert_int_equal(send(0, 0x21000000, 0x00000872), 0x4);
	assert_int_equal(send(0, 0x25000000, 0x00000873), 0xc);
	assert_int_equal(send(0, 0x14000000, 0x00000874), 0);
	assert_int_equal(send(0, 0x31000000, 0x00000875), 0);
	/* cluster 15 names every cluster */
	assert_int_equal(send(0, 0xf1000000, 0x00000876), 0x5);
	assert_int_equal(send(0, 0xff000000, 0x00000877), 0xf);
}

static void test_x2apic_destinations(void **state)
{
	struct lapic_effects eff = { 0 };
	u64 got;
	int i;

	(void)state;
	for (i = 0; i < N; i++)
		assert_int_equal(lapic_set_base(&apic[i], 0xfee00c00 | (i ? 0 : 0x100), false), 0);
	/* derived LDRs: cluster 0, bits 0..3 */
	assert_int_equal(apic[3].ldr, 0x8);
	/* physical 32-bit, broadcast 0xffffffff */
	assert_int_equal(lapic_msr_write(&apic[0], 0x830, (2ull << 32) | 0x81, 0, &eff), 0);
	apic_bus_deliver(&bus, 0, &eff.ipi, &got);
	assert_int_equal(got, 0x4);
	assert_int_equal(lapic_msr_write(&apic[0], 0x830, (0xffull << 32) | 0x82, 0, &eff), 0);
	apic_bus_deliver(&bus, 0, &eff.ipi, &got);
	assert_int_equal(got, 0); /* 0xff is an ID in x2APIC mode */
	assert_int_equal(lapic_msr_write(&apic[0], 0x830, (0xffffffffull << 32) | 0x83, 0, &eff),
			 0);
	apic_bus_deliver(&bus, 0, &eff.ipi, &got);
	assert_int_equal(got, 0xf);
	/* logical: cluster 0, bitmap 0xa */
	assert_int_equal(lapic_msr_write(&apic[0], 0x830, (0xaull << 32) | 0x884, 0, &eff), 0);
	apic_bus_deliver(&bus, 0, &eff.ipi, &got);
	assert_int_equal(got, 0xa);
	assert_int_equal(lapic_msr_write(&apic[0], 0x830, (0x1000full << 32) | 0x885, 0, &eff), 0);
	apic_bus_deliver(&bus, 0, &eff.ipi, &got);
	assert_int_equal(got, 0); /* cluster 1 is empty */
	/* an 8-bit (IO-APIC) broadcast reaches x2APICs too */
	assert_int_equal(apic_bus_deliver(&bus, -1,
					  &(struct apic_msg){ .dest = 0xff, .vector = 0x86 }, &got),
			 4);
}

static void test_lowest_priority(void **state)
{
	struct lapic_effects eff = { 0 };

	(void)state;
	/* TPRs 0x30, 0x10, 0x20, 0x10: APIC 1 and 3 tie at the lowest; 1 wins */
	apic[0].tpr = 0x30;
	apic[1].tpr = 0x10;
	apic[2].tpr = 0x20;
	apic[3].tpr = 0x10;
	assert_int_equal(send(0, 0xff000000, 0x00000191), 0x2);
	/* 1 now has 0x91 pending: its APR is 0x90, so 3 is the lowest */
	assert_int_equal(send(0, 0xff000000, 0x00000192), 0x8);
	/* only among the destinations: physical 2 */
	assert_int_equal(send(0, 0x02000000, 0x00000193), 0x4);
	/* a software-disabled APIC is never chosen */
	assert_int_equal(lapic_mmio_write(&apic[0], LAPIC_REG_TPR, 4, 0, 0, &eff), 0);
	assert_int_equal(lapic_mmio_write(&apic[0], LAPIC_REG_SVR, 4, 0xff, 0, &eff), 0);
	assert_int_equal(apic_bus_lowest(&bus, 0x1), -1);
	/* 1, 2 and 3 all have a vector of class 9 pending: APR 0x90 each, the lowest index */
	assert_int_equal(lapic_apr(&apic[3]), 0x90);
	assert_int_equal(apic_bus_lowest(&bus, 0xf), 1);
	assert_int_equal(apic_bus_lowest(&bus, 0xc), 2);
	assert_int_equal(apic_bus_lowest(&bus, 0x1), -1);
	assert_int_equal(send(1, 0x00000000, 0x00000194), 0); /* only 0, disabled */
}

static void test_init_sipi(void **state)
{
	struct lapic_effects eff = { 0 };
	int i;

	(void)state;
	/* SIPI before INIT: nobody waits for one */
	assert_int_equal(send(0, 0, 0x000c4698), 0);
	/* INIT to 1 and 2, then SIPI to all but self: the two APs in wait-for-SIPI take it */
	assert_int_equal(send(0, 0x01000000, 0x00004500), 0x2);
	assert_int_equal(send(0, 0x02000000, 0x00004500), 0x4);
	assert_true(apic[1].init_pending && apic[2].init_pending && apic[1].wait_sipi);
	assert_false(apic[0].init_pending || apic[3].init_pending || apic[3].wait_sipi);
	assert_int_equal(send(0, 0, 0x000c4698), 0x6);
	assert_int_equal(apic[1].sipi_vector, 0x98);
	assert_true(apic[2].sipi_pending);
	assert_false(apic[3].sipi_pending);
	/* INIT to all but self: 1-3 wait again, the pending SIPIs cancelled */
	assert_int_equal(send(0, 0, 0x000c4500), 0xe);
	assert_true(apic[3].wait_sipi && apic[3].init_pending);
	assert_false(apic[1].sipi_pending || apic[2].sipi_pending);
	/* the INIT reset 1-3 (software-disabled): enable them for what follows */
	for (i = 1; i < 4; i++)
		assert_int_equal(lapic_mmio_write(&apic[i], LAPIC_REG_SVR, 4, 0x1ff, 0, &eff), 0);
	/* INIT level de-assert is ignored by all */
	assert_int_equal(send(0, 0, 0x000c8500), 0);
	/* SMI and NMI physical */
	assert_int_equal(send(0, 0x03000000, 0x00000200), 0x8);
	assert_true(apic[3].smi_pending);
	assert_int_equal(send(0, 0x02000000, 0x00000400), 0x4);
	assert_true(apic[2].nmi_pending);
}

static void test_absent_vcpus(void **state)
{
	u64 got;

	(void)state;
	ptr[1] = NULL;
	assert_int_equal(
		apic_bus_deliver(&bus, 0, &(struct apic_msg){ .dest = 0xff, .vector = 0xa0 }, &got),
		3);
	assert_int_equal(got, 0xd);
	bus.n = 2;
	assert_int_equal(
		apic_bus_deliver(&bus, 0, &(struct apic_msg){ .dest = 0xff, .vector = 0xa1 }, NULL),
		1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_shorthands),	     T(test_physical),
		T(test_logical_flat),	     T(test_logical_cluster),
		T(test_x2apic_destinations), T(test_lowest_priority),
		T(test_init_sipi),	     T(test_absent_vcpus),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
