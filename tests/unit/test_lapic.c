// SPDX-License-Identifier: GPL-2.0
/*
 * The local APIC model (core/irqchip/lapic.c, lapic_regs.c): reset values,
 * IA32_APIC_BASE transitions, priorities, acceptance, EOI, the xAPIC page
 * and the x2APIC MSRs with their #GP cases.
 */
#include "unit.h"

#include "irqchip/lapic.h"

static const struct lapic_config cfg = {
	.id = 3,
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
	return 0;
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, unit_teardown)

static u32 rd(u32 off)
{
	u32 v = 0xdeadbeef;

	assert_int_equal(lapic_mmio_read(&l, off, 4, 0, &v), 0);
	return v;
}

static void wr(u32 off, u32 val)
{
	assert_int_equal(lapic_mmio_write(&l, off, 4, val, 0, &eff), 0);
}

static void accept_fixed(u8 vec, bool level)
{
	struct apic_msg m = { .vector = vec, .delivery = APIC_DM_FIXED, .level = level };

	assert_true(lapic_accept(&l, &m));
}

static void test_power_up_values(void **state)
{
	int i;

	(void)state;
	assert_int_equal(l.apic_base, 0xfee00800);
	assert_int_equal(lapic_mode(&l), LAPIC_MODE_XAPIC);
	assert_int_equal(rd(LAPIC_REG_ID), 0x03000000);
	assert_int_equal(lapic_id(&l), 3);
	assert_int_equal(rd(LAPIC_REG_LVR), 0x00050014);
	assert_int_equal(rd(LAPIC_REG_TPR), 0);
	assert_int_equal(rd(LAPIC_REG_PPR), 0);
	assert_int_equal(rd(LAPIC_REG_LDR), 0);
	assert_int_equal(rd(LAPIC_REG_DFR), 0xffffffff);
	assert_int_equal(rd(LAPIC_REG_SVR), 0xff);
	assert_false(lapic_sw_enabled(&l));
	for (i = 0; i < LVT_NR; i++)
		assert_int_equal(rd(LAPIC_REG_LVT + 16 * i), 0x10000);
	for (i = 0; i < 8; i++) {
		assert_int_equal(rd(LAPIC_REG_IRR + 16 * i), 0);
		assert_int_equal(rd(LAPIC_REG_ISR + 16 * i), 0);
		assert_int_equal(rd(LAPIC_REG_TMR + 16 * i), 0);
	}
	assert_int_equal(rd(LAPIC_REG_ICR), 0);
	assert_int_equal(rd(LAPIC_REG_TMICT), 0);
	assert_int_equal(rd(LAPIC_REG_TDCR), 0);
	/* a BSP's base has bit 8 */
	{
		struct lapic_config c = cfg;

		c.bsp = true;
		lapic_init(&l, &c);
		assert_int_equal(l.apic_base, 0xfee00900);
	}
}

static void test_init_signal_keeps_id_and_base(void **state)
{
	(void)state;
	wr(LAPIC_REG_SVR, 0x1ff);
	wr(LAPIC_REG_ID, 0x07000000);
	wr(LAPIC_REG_TPR, 0x20);
	wr(LAPIC_REG_LDR, 0x01000000);
	wr(LAPIC_REG_DFR, 0x0fffffff);
	wr(LAPIC_REG_LVT + 16 * LVT_LINT0, 0x700);
	accept_fixed(0x40, true);
	lapic_init_signal(&l);
	assert_int_equal(rd(LAPIC_REG_ID), 0x07000000);
	assert_int_equal(l.apic_base, 0xfee00800);
	assert_int_equal(rd(LAPIC_REG_TPR), 0);
	assert_int_equal(rd(LAPIC_REG_LDR), 0);
	assert_int_equal(rd(LAPIC_REG_DFR), 0xffffffff);
	assert_int_equal(rd(LAPIC_REG_SVR), 0xff);
	assert_int_equal(rd(LAPIC_REG_LVT + 16 * LVT_LINT0), 0x10000);
	assert_int_equal(rd(LAPIC_REG_IRR + 0x20), 0);
	assert_int_equal(rd(LAPIC_REG_TMR + 0x20), 0);
	/* an x2APIC stays one, its LDR still derived */
	assert_int_equal(lapic_set_base(&l, 0xfee00c00, false), 0);
	lapic_init_signal(&l);
	assert_int_equal(lapic_mode(&l), LAPIC_MODE_X2APIC);
	assert_int_equal(l.ldr, 0x00000008);
}

static void test_apic_base_transitions(void **state)
{
	struct lapic_config nox2 = cfg;

	(void)state;
	/* reserved bits: 0-7, 9, MAXPHYADDR (39) and up */
	assert_int_equal(lapic_set_base(&l, 0xfee00801, false), -EINVAL);
	assert_int_equal(lapic_set_base(&l, 0xfee00a00, false), -EINVAL);
	assert_int_equal(lapic_set_base(&l, 0x8000000000ull | 0x800, false), -EINVAL);
	assert_int_equal(lapic_set_base(&l, 0x7ffffff000ull | 0x800, false), 0);
	/* EXTD without EN is invalid, for the host too */
	assert_int_equal(lapic_set_base(&l, 0xfee00400, false), -EINVAL);
	assert_int_equal(lapic_set_base(&l, 0xfee00400, true), -EINVAL);
	/* xAPIC -> x2APIC: 32-bit ID, derived LDR */
	wr(LAPIC_REG_ID, 0x09000000);
	assert_int_equal(lapic_set_base(&l, 0xfee00c00, false), 0);
	assert_int_equal(lapic_mode(&l), LAPIC_MODE_X2APIC);
	assert_int_equal(lapic_id(&l), 3);
	assert_int_equal(l.ldr, (0u << 16) | (1u << 3));
	/* x2APIC -> xAPIC: #GP; x2APIC -> disabled: fine, and a reset */
	assert_int_equal(lapic_set_base(&l, 0xfee00800, false), -EINVAL);
	assert_int_equal(lapic_mode(&l), LAPIC_MODE_X2APIC);
	l.tpr = 0x50;
	assert_int_equal(lapic_set_base(&l, 0xfee00000, false), 0);
	assert_int_equal(lapic_mode(&l), LAPIC_MODE_DISABLED);
	assert_int_equal(l.tpr, 0);
	assert_int_equal(l.svr, 0xff);
	/* disabled -> x2APIC: #GP; disabled -> xAPIC: fine */
	assert_int_equal(lapic_set_base(&l, 0xfee00c00, false), -EINVAL);
	assert_int_equal(lapic_set_base(&l, 0xfee00800, false), 0);
	assert_int_equal(rd(LAPIC_REG_ID), 0x03000000);
	/* the host may restore x2APIC -> xAPIC */
	assert_int_equal(lapic_set_base(&l, 0xfee00c00, false), 0);
	assert_int_equal(lapic_set_base(&l, 0xfee00800, true), 0);
	assert_int_equal(lapic_mode(&l), LAPIC_MODE_XAPIC);
	assert_int_equal(rd(LAPIC_REG_ID), 0x03000000);
	/* without x2APIC in CPUID, EXTD is reserved */
	lapic_init(&l, &nox2);
	(void)nox2;
	nox2.x2apic = false;
	lapic_init(&l, &nox2);
	assert_int_equal(lapic_set_base(&l, 0xfee00c00, false), -EINVAL);
	assert_int_equal(lapic_set_base(&l, 0xfee00c00, true), -EINVAL);
}

static void test_ppr_and_pending(void **state)
{
	(void)state;
	wr(LAPIC_REG_SVR, 0x1ff);
	/* PPR = TPR while no interrupt is in service */
	wr(LAPIC_REG_TPR, 0x35);
	assert_int_equal(rd(LAPIC_REG_PPR), 0x35);
	/* vectors of class 3 and below are held */
	accept_fixed(0x3f, false);
	assert_int_equal(lapic_highest_irr(&l), 0x3f);
	assert_int_equal(lapic_pending_vector(&l), -1);
	accept_fixed(0x41, false);
	assert_int_equal(lapic_pending_vector(&l), 0x41);
	lapic_ack(&l, 0x41);
	assert_int_equal(rd(LAPIC_REG_ISR + 0x20), 0x2);
	assert_int_equal(rd(LAPIC_REG_IRR + 0x20), 0);
	/* in service class 4 > TPR class 3: PPR = 0x40 */
	assert_int_equal(rd(LAPIC_REG_PPR), 0x40);
	/* 0x4f is of the same class as the one in service: held */
	accept_fixed(0x4f, false);
	assert_int_equal(lapic_pending_vector(&l), -1);
	accept_fixed(0x50, false);
	assert_int_equal(lapic_pending_vector(&l), 0x50);
	/* TPR above the in-service class: PPR = TPR */
	wr(LAPIC_REG_TPR, 0x6a);
	assert_int_equal(rd(LAPIC_REG_PPR), 0x6a);
	assert_int_equal(lapic_pending_vector(&l), -1);
	/* TPR of the in-service class: PPR = TPR, low bits included */
	wr(LAPIC_REG_TPR, 0x47);
	assert_int_equal(rd(LAPIC_REG_PPR), 0x47);
	/* TPR bits 31:8 are reserved */
	wr(LAPIC_REG_TPR, 0xffffff12);
	assert_int_equal(rd(LAPIC_REG_TPR), 0x12);
}

static void test_apr(void **state)
{
	(void)state;
	wr(LAPIC_REG_SVR, 0x1ff);
	wr(LAPIC_REG_TPR, 0x23);
	assert_int_equal(rd(LAPIC_REG_APR), 0x23);
	/* an IRR vector of a higher class: APR = that class */
	accept_fixed(0x51, false);
	assert_int_equal(rd(LAPIC_REG_APR), 0x50);
	lapic_ack(&l, 0x51);
	/* in service 0x51 (class 5 > TPR 2): APR = 0x50 */
	assert_int_equal(rd(LAPIC_REG_APR), 0x50);
	wr(LAPIC_REG_TPR, 0x67);
	assert_int_equal(rd(LAPIC_REG_APR), 0x67);
}

static void test_eoi_highest_in_service(void **state)
{
	(void)state;
	wr(LAPIC_REG_SVR, 0x1ff);
	accept_fixed(0x30, false);
	lapic_ack(&l, 0x30);
	accept_fixed(0x80, true);
	lapic_ack(&l, 0x80);
	accept_fixed(0x55, false);
	lapic_ack(&l, 0x55);
	assert_int_equal(rd(LAPIC_REG_PPR), 0x80);
	assert_int_equal(rd(LAPIC_REG_TMR + 0x40), 1);
	/* EOI pops the highest: 0x80, level-triggered -> EOI broadcast */
	wr(LAPIC_REG_EOI, 0);
	assert_int_equal(eff.flags, LAPIC_EFF_EOI_LEVEL);
	assert_int_equal(eff.eoi_vector, 0x80);
	assert_int_equal(rd(LAPIC_REG_ISR + 0x40), 0);
	assert_int_equal(rd(LAPIC_REG_PPR), 0x50);
	/* then 0x55, edge: no broadcast */
	eff.flags = 0;
	assert_int_equal(lapic_eoi(&l, &eff), 0x55);
	assert_int_equal(eff.flags, 0);
	assert_int_equal(lapic_eoi(&l, &eff), 0x30);
	assert_int_equal(lapic_eoi(&l, &eff), -1);
	assert_int_equal(rd(LAPIC_REG_PPR), 0);
	/* an edge acceptance clears the TMR bit a level one set */
	accept_fixed(0x80, false);
	assert_int_equal(rd(LAPIC_REG_TMR + 0x40), 0);
}

static void test_accept_rules(void **state)
{
	struct apic_msg m = { .vector = 0x40, .delivery = APIC_DM_FIXED };

	(void)state;
	/* software-disabled: fixed and lowest refused, NMI/INIT/SMI taken */
	assert_false(lapic_accept(&l, &m));
	m.delivery = APIC_DM_LOWEST;
	assert_false(lapic_accept(&l, &m));
	m.delivery = APIC_DM_NMI;
	assert_true(lapic_accept(&l, &m));
	assert_true(l.nmi_pending);
	m.delivery = APIC_DM_SMI;
	assert_true(lapic_accept(&l, &m));
	assert_true(l.smi_pending);
	m.delivery = APIC_DM_INIT;
	m.level = true;
	m.assert = false; /* INIT level de-assert: ignored */
	assert_false(lapic_accept(&l, &m));
	assert_false(l.init_pending);
	/* SIPI only in wait-for-SIPI */
	m.delivery = APIC_DM_SIPI;
	m.vector = 0x9a;
	assert_false(lapic_accept(&l, &m));
	assert_false(l.sipi_pending);
	/* INIT resets the APIC at once (the NMI and SMI requests go) and, to an
	 * AP, enters wait-for-SIPI (SDM 11.4.7.3, 9.4.1) */
	wr(LAPIC_REG_TPR, 0x40);
	m.delivery = APIC_DM_INIT;
	m.assert = true;
	assert_true(lapic_accept(&l, &m));
	assert_true(l.init_pending);
	assert_true(l.wait_sipi);
	assert_false(l.nmi_pending || l.smi_pending);
	assert_int_equal(rd(LAPIC_REG_TPR), 0);
	assert_int_equal(rd(LAPIC_REG_ID), 3u << 24);
	/* then the SIPI is taken, the first one wins */
	m.delivery = APIC_DM_SIPI;
	assert_true(lapic_accept(&l, &m));
	m.vector = 0x9b;
	assert_false(lapic_accept(&l, &m));
	assert_int_equal(l.sipi_vector, 0x9a);
	/* a second INIT cancels a SIPI not yet taken */
	m.delivery = APIC_DM_INIT;
	assert_true(lapic_accept(&l, &m));
	assert_false(l.sipi_pending);
	assert_true(l.wait_sipi);
	l.init_pending = l.wait_sipi = false;
	/* the BSP does not wait for a SIPI after an INIT: it restarts at the reset vector */
	l.apic_base |= LAPIC_BASE_BSP;
	assert_true(lapic_accept(&l, &m));
	assert_true(l.init_pending);
	assert_false(l.wait_sipi);
	m.delivery = APIC_DM_SIPI;
	assert_false(lapic_accept(&l, &m));
	m.delivery = APIC_DM_EXTINT;
	assert_true(lapic_accept(&l, &m));
	assert_true(l.extint_pending);
	m.delivery = 3;
	assert_false(lapic_accept(&l, &m));
	/* enabled: vector 15 is illegal, recorded in ESR after an ESR write */
	wr(LAPIC_REG_SVR, 0x1ff);
	m.delivery = APIC_DM_FIXED;
	m.vector = 15;
	assert_false(lapic_accept(&l, &m));
	assert_int_equal(rd(LAPIC_REG_IRR), 0);
	assert_int_equal(rd(LAPIC_REG_ESR), 0);
	wr(LAPIC_REG_ESR, 0x1234);
	assert_int_equal(rd(LAPIC_REG_ESR), LAPIC_ESR_RECV_ILLEGAL);
	wr(LAPIC_REG_ESR, 0);
	assert_int_equal(rd(LAPIC_REG_ESR), 0);
	/* a hardware-disabled APIC takes nothing */
	assert_int_equal(lapic_set_base(&l, 0xfee00000, false), 0);
	m.delivery = APIC_DM_NMI;
	l.nmi_pending = false;
	assert_false(lapic_accept(&l, &m));
}

static void test_error_lvt_interrupt(void **state)
{
	(void)state;
	wr(LAPIC_REG_SVR, 0x1ff);
	wr(LAPIC_REG_LVT + 16 * LVT_ERROR, 0xfe);
	assert_int_equal(rd(LAPIC_REG_LVT + 16 * LVT_ERROR), 0xfe);
	/* a send of vector 3 is an error: the error vector is raised, nothing sent */
	wr(LAPIC_REG_ICR, 0x00000003);
	assert_int_equal(eff.flags & LAPIC_EFF_IPI, 0);
	assert_int_equal(rd(LAPIC_REG_IRR + 0x70), 0x40000000);
	wr(LAPIC_REG_ESR, 0);
	assert_int_equal(rd(LAPIC_REG_ESR), LAPIC_ESR_SEND_ILLEGAL);
	/* an error vector that is itself illegal stops after one more error */
	wr(LAPIC_REG_LVT + 16 * LVT_ERROR, 0x05);
	wr(LAPIC_REG_ICR, 0x00000004);
	wr(LAPIC_REG_ESR, 0);
	assert_int_equal(rd(LAPIC_REG_ESR), LAPIC_ESR_SEND_ILLEGAL | LAPIC_ESR_RECV_ILLEGAL);
}

static void test_svr_and_lvt_masks(void **state)
{
	(void)state;
	/* disabled: LVT mask bits cannot be cleared */
	wr(LAPIC_REG_LVT + 16 * LVT_LINT0, 0x00000700);
	assert_int_equal(rd(LAPIC_REG_LVT + 16 * LVT_LINT0), 0x00010700);
	/* SVR: vector, enable, focus bit; bit 12 (EOI suppression) not offered */
	wr(LAPIC_REG_SVR, 0xffffffff);
	assert_int_equal(rd(LAPIC_REG_SVR), 0x3ff);
	assert_true(lapic_sw_enabled(&l));
	/* writable fields per entry; delivery status and remote IRR read-only */
	wr(LAPIC_REG_LVT + 16 * LVT_LINT0, 0xffffffff);
	assert_int_equal(rd(LAPIC_REG_LVT + 16 * LVT_LINT0), 0x0001a7ff);
	wr(LAPIC_REG_LVT + 16 * LVT_LINT1, 0x00000400); /* NMI, unmasked */
	assert_int_equal(rd(LAPIC_REG_LVT + 16 * LVT_LINT1), 0x00000400);
	wr(LAPIC_REG_LVT + 16 * LVT_ERROR, 0xffffffff);
	assert_int_equal(rd(LAPIC_REG_LVT + 16 * LVT_ERROR), 0x000100ff);
	wr(LAPIC_REG_LVT + 16 * LVT_PERF, 0xffffffff);
	assert_int_equal(rd(LAPIC_REG_LVT + 16 * LVT_PERF), 0x000107ff);
	wr(LAPIC_REG_LVT + 16 * LVT_THERMAL, 0x00000431);
	assert_int_equal(rd(LAPIC_REG_LVT + 16 * LVT_THERMAL), 0x00000431);
	wr(LAPIC_REG_LVT + 16 * LVT_TIMER, 0xffffffff);
	assert_int_equal(rd(LAPIC_REG_LVT + 16 * LVT_TIMER), 0x000100ff); /* mode 11b -> 00b */
	/* software disable masks every entry */
	wr(LAPIC_REG_SVR, 0xff);
	assert_int_equal(rd(LAPIC_REG_LVT + 16 * LVT_LINT1), 0x00010400);
	assert_int_equal(rd(LAPIC_REG_LVT + 16 * LVT_THERMAL), 0x00010431);
}

static void test_lint_delivery(void **state)
{
	(void)state;
	wr(LAPIC_REG_SVR, 0x1ff);
	/* masked: nothing */
	assert_false(lapic_lvt_fire(&l, LVT_LINT0));
	/* ExtINT on LINT0, NMI on LINT1, as the BIOS programs them */
	wr(LAPIC_REG_LVT + 16 * LVT_LINT0, 0x700);
	wr(LAPIC_REG_LVT + 16 * LVT_LINT1, 0x400);
	assert_true(lapic_lvt_fire(&l, LVT_LINT0));
	assert_true(l.extint_pending);
	assert_true(lapic_lvt_fire(&l, LVT_LINT1));
	assert_true(l.nmi_pending);
	/* fixed level-triggered: remote IRR until the EOI */
	wr(LAPIC_REG_LVT + 16 * LVT_LINT0, 0x8000 | 0x61);
	assert_true(lapic_lvt_fire(&l, LVT_LINT0));
	assert_int_equal(rd(LAPIC_REG_LVT + 16 * LVT_LINT0), 0xc061);
	assert_int_equal(rd(LAPIC_REG_TMR + 0x30), 0x2);
	assert_false(lapic_lvt_fire(&l, LVT_LINT0));
	lapic_ack(&l, 0x61);
	wr(LAPIC_REG_EOI, 0);
	assert_int_equal(rd(LAPIC_REG_LVT + 16 * LVT_LINT0), 0x8061);
	assert_true(lapic_lvt_fire(&l, LVT_LINT0));
}

static void test_mmio_access_rules(void **state)
{
	u32 v;

	(void)state;
	wr(LAPIC_REG_TPR, 0x12);
	/* narrow reads see part of the register; bytes 4-15 read 0 */
	wr(LAPIC_REG_DFR, 0x0fffffff);
	assert_int_equal(lapic_mmio_read(&l, LAPIC_REG_DFR + 3, 1, 0, &v), 0);
	assert_int_equal(v, 0x0f);
	assert_int_equal(lapic_mmio_read(&l, LAPIC_REG_ID + 2, 2, 0, &v), 0);
	assert_int_equal(v, 0x0300);
	assert_int_equal(lapic_mmio_read(&l, LAPIC_REG_TPR + 4, 4, 0, &v), 0);
	assert_int_equal(v, 0);
	/* bad sizes and offsets */
	assert_int_equal(lapic_mmio_read(&l, 0, 8, 0, &v), -EINVAL);
	assert_int_equal(lapic_mmio_read(&l, 0x1000, 4, 0, &v), -EINVAL);
	assert_int_equal(lapic_mmio_read(&l, 0xffe, 4, 0, &v), -EINVAL);
	/* narrow or unaligned writes do nothing */
	assert_int_equal(lapic_mmio_write(&l, LAPIC_REG_TPR, 1, 0x34, 0, &eff), 0);
	assert_int_equal(lapic_mmio_write(&l, LAPIC_REG_TPR + 4, 4, 0x34, 0, &eff), 0);
	assert_int_equal(rd(LAPIC_REG_TPR), 0x12);
	/* read-only registers ignore writes; reserved offsets read 0 */
	wr(LAPIC_REG_LVR, 0);
	assert_int_equal(rd(LAPIC_REG_LVR), 0x00050014);
	wr(LAPIC_REG_PPR, 0xff);
	assert_int_equal(rd(LAPIC_REG_PPR), 0x12);
	wr(LAPIC_REG_IRR + 0x70, 0xffffffff);
	assert_int_equal(rd(LAPIC_REG_IRR + 0x70), 0);
	wr(LAPIC_REG_TMCCT, 5);
	assert_int_equal(rd(LAPIC_REG_TMCCT), 0);
	assert_int_equal(rd(0x2f0), 0); /* LVT CMCI: not offered */
	assert_int_equal(rd(0x3f0), 0); /* SELF IPI: x2APIC only */
	assert_int_equal(rd(0x3c0), 0);
	assert_int_equal(rd(LAPIC_REG_EOI), 0); /* write-only */
	assert_int_equal(rd(LAPIC_REG_RRD), 0);
	/* LDR bits 23:0 and DFR bits 27:0 */
	wr(LAPIC_REG_LDR, 0x12345678);
	assert_int_equal(rd(LAPIC_REG_LDR), 0x12000000);
	wr(LAPIC_REG_DFR, 0);
	assert_int_equal(rd(LAPIC_REG_DFR), 0x0fffffff);
	/* not decoded outside xAPIC mode */
	assert_int_equal(lapic_set_base(&l, 0xfee00c00, false), 0);
	assert_int_equal(lapic_mmio_read(&l, LAPIC_REG_TPR, 4, 0, &v), -ENODEV);
	assert_int_equal(lapic_mmio_write(&l, LAPIC_REG_TPR, 4, 0, 0, &eff), -ENODEV);
}

static void test_icr_xapic(void **state)
{
	(void)state;
	wr(LAPIC_REG_SVR, 0x1ff);
	wr(LAPIC_REG_ICR2, 0xabffffff);
	assert_int_equal(rd(LAPIC_REG_ICR2), 0xab000000);
	assert_int_equal(eff.flags, 0);
	/* fixed, logical, level bit, trigger bit, shorthand none: an edge IPI */
	wr(LAPIC_REG_ICR, 0x0000c8ee);
	assert_int_equal(eff.flags, LAPIC_EFF_IPI);
	assert_int_equal(eff.ipi.vector, 0xee);
	assert_int_equal(eff.ipi.delivery, APIC_DM_FIXED);
	assert_int_equal(eff.ipi.dest, 0xab);
	assert_true(eff.ipi.logical);
	assert_false(eff.ipi.level);
	assert_false(eff.ipi.x2apic);
	assert_int_equal(eff.ipi.shorthand, APIC_SH_NONE);
	/* delivery status reads 0 (idle); the writable bits stay */
	assert_int_equal(rd(LAPIC_REG_ICR), 0x0000c8ee);
	/* INIT level de-assert keeps its level trigger and de-assert */
	eff.flags = 0;
	wr(LAPIC_REG_ICR, 0x000c8500);
	assert_int_equal(eff.ipi.delivery, APIC_DM_INIT);
	assert_int_equal(eff.ipi.shorthand, APIC_SH_ALL_BUT_SELF);
	assert_true(eff.ipi.level);
	assert_false(eff.ipi.assert);
	/* SIPI to all but self */
	wr(LAPIC_REG_ICR, 0x000c0699);
	assert_int_equal(eff.ipi.delivery, APIC_DM_SIPI);
	assert_int_equal(eff.ipi.vector, 0x99);
	/* self with NMI is not a valid combination: nothing sent */
	eff.flags = 0;
	wr(LAPIC_REG_ICR, 0x00040400);
	assert_int_equal(eff.flags, 0);
	/* ExtINT and mode 3 are not sent */
	wr(LAPIC_REG_ICR, 0x00000700);
	wr(LAPIC_REG_ICR, 0x00000340);
	assert_int_equal(eff.flags, 0);
	/* a software-disabled APIC still sends */
	wr(LAPIC_REG_SVR, 0xff);
	wr(LAPIC_REG_ICR, 0x00080040);
	assert_int_equal(eff.flags, LAPIC_EFF_IPI);
	assert_int_equal(eff.ipi.shorthand, APIC_SH_ALL);
}

static void test_x2apic_msrs(void **state)
{
	u64 v;

	(void)state;
	/* MSRs #GP in xAPIC mode; outside the range: not ours */
	assert_int_equal(lapic_msr_read(&l, 0x802, 0, &v), -EINVAL);
	assert_int_equal(lapic_msr_read(&l, 0x900, 0, &v), -ENOENT);
	assert_int_equal(lapic_msr_write(&l, 0x7ff, 0, 0, &eff), -ENOENT);
	assert_int_equal(lapic_set_base(&l, 0xfee00c00, false), 0);
	assert_int_equal(lapic_msr_read(&l, 0x802, 0, &v), 0);
	assert_int_equal(v, 3);
	assert_int_equal(lapic_msr_read(&l, 0x803, 0, &v), 0);
	assert_int_equal(v, 0x00050014);
	assert_int_equal(lapic_msr_read(&l, 0x80d, 0, &v), 0);
	assert_int_equal(v, 0x8);
	/* read-only: ID, version, PPR, LDR, ISR, TMR, IRR, current count */
	assert_int_equal(lapic_msr_write(&l, 0x802, 5, 0, &eff), -EINVAL);
	assert_int_equal(lapic_msr_write(&l, 0x803, 0, 0, &eff), -EINVAL);
	assert_int_equal(lapic_msr_write(&l, 0x80a, 0, 0, &eff), -EINVAL);
	assert_int_equal(lapic_msr_write(&l, 0x80d, 0, 0, &eff), -EINVAL);
	assert_int_equal(lapic_msr_write(&l, 0x810, 0, 0, &eff), -EINVAL);
	assert_int_equal(lapic_msr_write(&l, 0x818, 0, 0, &eff), -EINVAL);
	assert_int_equal(lapic_msr_write(&l, 0x827, 0, 0, &eff), -EINVAL);
	assert_int_equal(lapic_msr_write(&l, 0x839, 0, 0, &eff), -EINVAL);
	/* no APR, RRD, DFR, ICR high, CMCI in x2APIC mode */
	assert_int_equal(lapic_msr_read(&l, 0x809, 0, &v), -EINVAL);
	assert_int_equal(lapic_msr_read(&l, 0x80c, 0, &v), -EINVAL);
	assert_int_equal(lapic_msr_read(&l, 0x80e, 0, &v), -EINVAL);
	assert_int_equal(lapic_msr_write(&l, 0x80e, 0, 0, &eff), -EINVAL);
	assert_int_equal(lapic_msr_read(&l, 0x831, 0, &v), -EINVAL);
	assert_int_equal(lapic_msr_read(&l, 0x82f, 0, &v), -EINVAL);
	assert_int_equal(lapic_msr_read(&l, 0x800, 0, &v), -EINVAL);
	assert_int_equal(lapic_msr_read(&l, 0x8ff, 0, &v), -EINVAL);
	/* write-only: EOI and SELF IPI cannot be read */
	assert_int_equal(lapic_msr_read(&l, 0x80b, 0, &v), -EINVAL);
	assert_int_equal(lapic_msr_read(&l, 0x83f, 0, &v), -EINVAL);
	/* EOI and ESR take only 0; bits 63:32 reserved but in the ICR */
	assert_int_equal(lapic_msr_write(&l, 0x80b, 1, 0, &eff), -EINVAL);
	assert_int_equal(lapic_msr_write(&l, 0x80b, 0, 0, &eff), 0);
	assert_int_equal(lapic_msr_write(&l, 0x828, 4, 0, &eff), -EINVAL);
	assert_int_equal(lapic_msr_write(&l, 0x828, 0, 0, &eff), 0);
	assert_int_equal(lapic_msr_write(&l, 0x808, 1ull << 32, 0, &eff), -EINVAL);
	assert_int_equal(lapic_msr_write(&l, 0x808, 0x45, 0, &eff), 0);
	assert_int_equal(lapic_msr_read(&l, 0x808, 0, &v), 0);
	assert_int_equal(v, 0x45);
	assert_int_equal(lapic_msr_read(&l, 0x80a, 0, &v), 0);
	assert_int_equal(v, 0x45);
	/* SVR then SELF IPI: IRR set at once */
	assert_int_equal(lapic_msr_write(&l, 0x80f, 0x1ff, 0, &eff), 0);
	assert_int_equal(lapic_msr_write(&l, 0x83f, 0x1f1, 0, &eff), -EINVAL);
	assert_int_equal(lapic_msr_read(&l, 0x827, 0, &v), 0);
	assert_int_equal(v, 0);
	assert_int_equal(lapic_msr_write(&l, 0x83f, 0xf1, 0, &eff), 0);
	assert_int_equal(lapic_msr_read(&l, 0x827, 0, &v), 0);
	assert_int_equal(v, 0x00020000);
	assert_int_equal(eff.flags, 0);
	/* the ICR is one 64-bit MSR with a 32-bit destination */
	assert_int_equal(lapic_msr_write(&l, 0x830, 0x0000123400004831ull, 0, &eff), 0);
	assert_int_equal(eff.flags, LAPIC_EFF_IPI);
	assert_int_equal(eff.ipi.dest, 0x1234);
	assert_true(eff.ipi.x2apic);
	assert_true(eff.ipi.logical);
	assert_int_equal(eff.ipi.vector, 0x31);
	assert_int_equal(lapic_msr_read(&l, 0x830, 0, &v), 0);
	assert_int_equal(v, 0x0000123400004831ull);
	/* the timer registers as MSRs */
	assert_int_equal(lapic_msr_write(&l, 0x83e, 0xb, 0, &eff), 0);
	assert_int_equal(lapic_msr_write(&l, 0x838, 1000, 0, &eff), 0);
	assert_int_equal(lapic_msr_read(&l, 0x839, 250, &v), 0);
	assert_int_equal(v, 1000 - 25);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_power_up_values),
		T(test_init_signal_keeps_id_and_base),
		T(test_apic_base_transitions),
		T(test_ppr_and_pending),
		T(test_apr),
		T(test_eoi_highest_in_service),
		T(test_accept_rules),
		T(test_error_lvt_interrupt),
		T(test_svr_and_lvt_masks),
		T(test_lint_delivery),
		T(test_mmio_access_rules),
		T(test_icr_xapic),
		T(test_x2apic_msrs),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
