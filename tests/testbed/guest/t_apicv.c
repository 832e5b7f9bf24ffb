// SPDX-License-Identifier: GPL-2.0
/*
 * APIC virtualization for the in-kernel LAPIC (core/vmx/apicv.c, SDM Vol.
 * 3C chapter 29): the xAPIC page's registers read without an exit, writes
 * as APIC-write exits with no instruction emulated, ICR high kept in the
 * virtual-APIC page until the ICR write that uses it, the registers the
 * page does not hold (PPR, the current count) emulated.
 *
 * Each test checks the guest's view (its OUTs) and the state GET_LAPIC
 * reads on any boot, and the exit counts of the path the module takes:
 * with haxm.apicv=1 (the default) on a CPU with APIC-register
 * virtualization (Linux's "vapic_reg" VMX flag) the counts of the
 * virtualized page, else those of the emulated one (an EPT violation per
 * access). The guests run in unreal mode (a 4 GiB FS), as t_lapic.c's.
 */
#include <stdlib.h>
#include <unistd.h>

#include "harness.h"

/* 1: the page is virtualized on this boot, 0: emulated, -1 after fail(). */
static int apicv_on(void)
{
	int m = apicv_mode();

	return m < 0 ? m : m >= 1;
}

static uint32_t reg(const struct hax_lapic_state *s, unsigned int off)
{
	uint32_t v;

	memcpy(&v, s->regs + off, 4);
	return v;
}

#define READ_LOOPS 100

/*
 * The APIC on, LINT0 masked with vector 0x45, then READ_LOOPS times five
 * registers the page holds (ID, version, SVR, LINT0, divide) summed in
 * EDX; then LINT0 again, and PPR and the current count, which it does not.
 */
GUEST_CODE(g_reads, ".code16\n mov $0xfee00000, %ebx\n movl $0x1ff, %fs:0xf0(%ebx)\n"
		    " movl $0x10045, %fs:0x350(%ebx)\n mov $100, %ecx\n xor %edx, %edx\n"
		    "1: mov %fs:0x20(%ebx), %eax\n add %eax, %edx\n"
		    " mov %fs:0x30(%ebx), %eax\n add %eax, %edx\n"
		    " mov %fs:0xf0(%ebx), %eax\n add %eax, %edx\n"
		    " mov %fs:0x350(%ebx), %eax\n add %eax, %edx\n"
		    " mov %fs:0x3e0(%ebx), %eax\n add %eax, %edx\n"
		    " dec %ecx\n jnz 1b\n mov %edx, %eax\n out %eax, $0x84\n"
		    " mov %fs:0x350(%ebx), %eax\n out %eax, $0x84\n"
		    " mov %fs:0xa0(%ebx), %eax\n out %eax, $0x84\n"
		    " mov %fs:0x390(%ebx), %eax\n out %eax, $0x84\n"
		    " out %al, $0x81\n 1: jmp 1b\n");

LAPIC_TEST(apicv_xapic_reads)
{
	int on = apicv_on();
	long long ept, access, wr;

	if (on < 0)
		return 1;
	if (load_unreal(c->vcpu_fd, c->ram, 0x1000, g_reads_start, g_reads_end, 0x8000))
		return 1;
	if (expect_out(c, 0x84, 4, READ_LOOPS * (0x50014u + 0x1ff + 0x10045)) ||
	    expect_out(c, 0x84, 4, 0x10045) || expect_out(c, 0x84, 4, 0) ||
	    expect_out(c, 0x84, 4, 0) || expect_out(c, 0x81, 1, 0))
		return 1;
	ept = exit_count(c, "EPT_VIOLATION");
	access = exit_count(c, "APIC_ACCESS");
	wr = exit_count(c, "APIC_WRITE");
	printf("apicv_xapic_reads: apicv %d: %lld EPT violations, %lld APIC accesses, "
	       "%lld APIC writes\n",
	       on, ept, access, wr);
	if (on) {
		/* the two writes trap, PPR and the current count are emulated */
		CHECK_EQ(wr, 2);
		CHECK_EQ(access, 2);
		/* the page's mapping and the guest's RAM, not one per read */
		CHECK(ept >= 1 && ept < 20);
	} else {
		CHECK(ept >= 5 * READ_LOOPS + 4);
		CHECK_EQ(wr + access, 0);
	}
	return 0;
}

/*
 * ICR high is written into the page alone (SDM 29.4.3.2, no exit): the
 * ICR write after it must use it. First to APIC ID 1 (no such APIC: no
 * interrupt), then to ID 0 (this one: vector 0x40 arrives); ICR high and
 * low read back, and ICR high is left at 1 for GET_LAPIC.
 */
GUEST_CODE(g_icr2, ".code16\n mov $0xfee00000, %ebx\n movl $0x1ff, %fs:0xf0(%ebx)\n sti\n"
		   " movl $0x01000000, %fs:0x310(%ebx)\n movl $0x40, %fs:0x300(%ebx)\n nop\n"
		   " mov %fs:0x310(%ebx), %eax\n out %eax, $0x84\n"
		   " movl $0, %fs:0x310(%ebx)\n movl $0x40, %fs:0x300(%ebx)\n nop\n"
		   " mov %fs:0x300(%ebx), %eax\n out %eax, $0x84\n"
		   " movl $0x01000000, %fs:0x310(%ebx)\n"
		   " out %al, $0x81\n 1: jmp 1b\n");

LAPIC_HANDLER(g_icr2_h40, 0x40);

LAPIC_TEST(apicv_icr_high)
{
	struct hax_lapic_state s;
	int on = apicv_on();
	long long wr;

	if (on < 0)
		return 1;
	lapic_ivt_set(c->ram, 0x40, 0x3000, g_icr2_h40_start, g_icr2_h40_end);
	if (load_unreal(c->vcpu_fd, c->ram, 0x1000, g_icr2_start, g_icr2_end, 0x8000))
		return 1;
	/* one interrupt: the first ICR write went to APIC 1 */
	if (expect_out(c, 0x84, 4, 0x01000000) || expect_out(c, 0x80, 1, 0x40) ||
	    expect_out(c, 0x84, 4, 0x40) || expect_out(c, 0x81, 1, 0x40))
		return 1;
	CHECK_OK(hax_get_lapic(c->vcpu_fd, &s));
	CHECK_EQ(reg(&s, 0x310), 0x01000000);
	CHECK_EQ(reg(&s, 0x300), 0x40);
	CHECK_EQ(reg(&s, 0x100 + 2 * 16), 0); /* 0x40 no longer in service */
	wr = exit_count(c, "APIC_WRITE");
	printf("apicv_icr_high: apicv %d: %lld APIC writes\n", on, wr);
	/* SVR, the two ICR writes and the EOI; none for ICR high */
	if (on)
		CHECK(wr >= 3 && wr <= 4);
	else
		CHECK_EQ(wr, 0);
	return 0;
}

/* 1: virtual-interrupt delivery is on this boot too. */
static int vid_on(void)
{
	int m = apicv_mode();

	return m < 0 ? m : m == 2;
}

#define SELF_IPIS 50

/*
 * SELF_IPIS self IPIs of vector 0x40 (ICR, self shorthand), each taken at
 * the NOP after it; the handler counts at 0x600 and writes EOI.
 */
GUEST_CODE(g_eoi_loop, ".code16\n mov $0xfee00000, %ebx\n movl $0x1ff, %fs:0xf0(%ebx)\n sti\n"
		       " mov $50, %ecx\n"
		       "1: movl $0x40040, %fs:0x300(%ebx)\n nop\n dec %ecx\n jnz 1b\n"
		       " mov 0x600, %eax\n out %eax, $0x84\n"
		       " mov %fs:0x120(%ebx), %eax\n out %eax, $0x84\n"
		       " out %al, $0x81\n 1: jmp 1b\n");
GUEST_CODE(g_count_h40, ".code16\n addl $1, 0x600\n movl $0, %fs:0xb0(%ebx)\n iret\n");

LAPIC_TEST(apicv_eoi_no_exit)
{
	int vid = vid_on(), on = apicv_on();
	long long wr, eoi, win;

	if (vid < 0 || on < 0)
		return 1;
	lapic_ivt_set(c->ram, 0x40, 0x3000, g_count_h40_start, g_count_h40_end);
	if (load_unreal(c->vcpu_fd, c->ram, 0x1000, g_eoi_loop_start, g_eoi_loop_end, 0x8000))
		return 1;
	if (expect_out(c, 0x84, 4, SELF_IPIS) || expect_out(c, 0x84, 4, 0) ||
	    expect_out(c, 0x81, 1, 0))
		return 1;
	wr = exit_count(c, "APIC_WRITE");
	eoi = exit_count(c, "EOI_INDUCED");
	win = exit_count(c, "INTERRUPT_WINDOW");
	printf("apicv_eoi_no_exit: apicv %d vid %d: %lld APIC writes, %lld EOI-induced, "
	       "%lld interrupt windows, %lld exits\n",
	       on, vid, wr, eoi, win, exit_count(c, "EPT_VIOLATION") + wr + eoi + win);
	if (vid) {
		/* the SVR write alone: self IPIs and EOIs in the page, no window */
		CHECK_EQ(wr, 1);
		CHECK_EQ(eoi, 0);
		CHECK_EQ(win, 0);
	} else if (on) {
		/* each ICR write and each EOI an APIC-write exit */
		CHECK_EQ(wr, 1 + 2 * SELF_IPIS);
	}
	return 0;
}

/*
 * Delivered vectors in GET_LAPIC: in 0x40's handler a self IPI 0x30 (a
 * lower class: held), then an OUT that returns to user space; after the
 * EOI 0x30 comes, its handler reporting too.
 */
GUEST_CODE(g_nest, ".code16\n mov $0xfee00000, %ebx\n movl $0x1ff, %fs:0xf0(%ebx)\n sti\n"
		   " movl $0x40040, %fs:0x300(%ebx)\n nop\n nop\n"
		   " out %al, $0x81\n 1: jmp 1b\n");
GUEST_CODE(g_nest_h40, ".code16\n movl $0x40030, %fs:0x300(%ebx)\n nop\n mov $0x40, %al\n"
		       " out %al, $0x80\n movl $0, %fs:0xb0(%ebx)\n iret\n");
GUEST_CODE(g_nest_h30, ".code16\n mov $0x30, %al\n out %al, $0x80\n movl $0, %fs:0xb0(%ebx)\n"
		       " iret\n");

LAPIC_TEST(apicv_get_lapic_delivered)
{
	struct hax_lapic_state s;

	lapic_ivt_set(c->ram, 0x40, 0x3000, g_nest_h40_start, g_nest_h40_end);
	lapic_ivt_set(c->ram, 0x30, 0x3100, g_nest_h30_start, g_nest_h30_end);
	if (load_unreal(c->vcpu_fd, c->ram, 0x1000, g_nest_start, g_nest_end, 0x8000))
		return 1;
	if (expect_out(c, 0x80, 1, 0x40))
		return 1;
	/* 0x40 in service, 0x30 requested and held by it (PPR 0x40) */
	CHECK_OK(hax_get_lapic(c->vcpu_fd, &s));
	CHECK_EQ(reg(&s, 0x100 + 2 * 16), 1); /* ISR: 0x40 */
	CHECK_EQ(reg(&s, 0x100 + 1 * 16), 0);
	CHECK_EQ(reg(&s, 0x200 + 1 * 16), 1u << 16); /* IRR: 0x30 */
	CHECK_EQ(reg(&s, 0x200 + 2 * 16), 0);
	CHECK_EQ(reg(&s, 0xa0), 0x40);
	CHECK_EQ(reg(&s, 0x180 + 1 * 16), 0); /* edge-triggered */
	if (expect_out(c, 0x80, 1, 0x30))
		return 1;
	CHECK_OK(hax_get_lapic(c->vcpu_fd, &s));
	CHECK_EQ(reg(&s, 0x100 + 1 * 16), 1u << 16); /* ISR: 0x30 alone */
	CHECK_EQ(reg(&s, 0x100 + 2 * 16), 0);
	CHECK_EQ(reg(&s, 0x200 + 1 * 16), 0);
	CHECK_EQ(reg(&s, 0xa0), 0x30);
	if (expect_out(c, 0x81, 1, 0x30))
		return 1;
	CHECK_OK(hax_get_lapic(c->vcpu_fd, &s));
	CHECK_EQ(reg(&s, 0x100 + 1 * 16), 0);
	CHECK_EQ(reg(&s, 0xa0), 0);
	return 0;
}
