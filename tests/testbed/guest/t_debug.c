// SPDX-License-Identifier: GPL-2.0
/*
 * Debug registers: the guest's own breakpoints (DR0-3, DR6, DR7, general
 * detect, single-step, INT1), the host's hardware breakpoints surviving guest
 * runs, VCPU_DEBUG (single-step, INT3 and hardware breakpoints as
 * HAX_EXIT_DEBUG), and a guest whose #DB delivery raises #DB forever.
 */
#define _GNU_SOURCE
#include <linux/hw_breakpoint.h>
#include <linux/perf_event.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "harness.h"

/* Point real-mode IVT vector @vec at the first occurrence of @pat in the code at @gpa. */
static int set_vector(struct vm_ctx *c, int vec, uint64_t gpa, size_t len, const char *pat,
		      size_t plen)
{
	uint8_t *p = memmem(c->ram + gpa, len, pat, plen);

	CHECK(p);
	*(uint16_t *)(c->ram + vec * 4) = (uint16_t)(p - c->ram);
	*(uint16_t *)(c->ram + vec * 4 + 2) = 0;
	return 0;
}

/* Where @pat is in guest memory (real mode, CS = 0: also the linear address). */
static uint64_t find(struct vm_ctx *c, uint64_t gpa, size_t len, const char *pat, size_t plen)
{
	uint8_t *p = memmem(c->ram + gpa, len, pat, plen);

	return p ? (uint64_t)(p - c->ram) : 0;
}

/*
 * The guest's own debug registers. #DB handler: OUT DR6 to port 0x82,
 * reset DR6, IRET. #BP handler: OUT 0x33 to port 0x83, IRET.
 */
GUEST_CODE(g_dr, ".code16\n"
		 "xor %ax, %ax\n mov %ax, %ds\n mov %ax, %ss\n"
		 "mov $0x3000, %eax\n mov %eax, %dr0\n"
		 "mov %dr0, %eax\n out %eax, $0x80\n"
		 "mov $0x10001, %eax\n mov %eax, %dr7\n" /* L0, write, 1 byte */
		 "movb $1, 0x3000\n"			 /* #DB (trap), B0 */
		 "mov $0x55, %al\n out %al, $0x84\n"
		 "mov $0x2400, %eax\n mov %eax, %dr7\n" /* GD */
		 "mov %dr0, %eax\n"			/* #DB (fault), BD */
		 "out %eax, $0x80\n"
		 "int3\n"
		 "hlt\n"
		 "mov %dr6, %eax\n out %eax, $0x82\n"
		 "mov $0xffff0ff0, %eax\n mov %eax, %dr6\n iret\n"
		 "mov $0x33, %al\n out %al, $0x83\n iret\n");

static int run_dr_guest(struct vm_ctx *c)
{
	size_t len = g_dr_end - g_dr_start;

	if (vm_load_real(c, 0x1000, g_dr_start, g_dr_end) ||
	    set_vector(c, 1, 0x1000, len, "\x0f\x21\xf0", 3) || /* mov %dr6, %eax */
	    set_vector(c, 3, 0x1000, len, "\xb0\x33", 2))
		return 1;
	if (expect_out(c, 0x80, 4, 0x3000))
		return 1;
	/* The data breakpoint fired in the guest: DR6.B0. */
	if (expect_out(c, 0x82, 4, 0xffff0ff1) || expect_out(c, 0x84, 1, 0x55))
		return 1;
	/* General detect: #DB before the MOV DR, DR6.BD, GD cleared; the MOV then runs. */
	if (expect_out(c, 0x82, 4, 0xffff2ff0) || expect_out(c, 0x80, 4, 0x3000))
		return 1;
	/* INT3 with VCPU_DEBUG off is the guest's #BP. */
	return expect_out(c, 0x83, 1, 0x33) || expect_exit(c, HAX_EXIT_HLT);
}

VM_TEST(debug_guest_breakpoints_and_general_detect, 1 << 20)
{
	vcpu_state_t s;

	if (run_dr_guest(c))
		return 1;
	CHECK_OK(hax_get_regs(c->vcpu_fd, &s));
	CHECK_EQ(s._dr0, 0x3000);
	CHECK_EQ(s._dr6, 0xffff0ff0);
	CHECK_EQ(s._dr7, 0x400); /* GD cleared by the #DB */
	/* SET_REGS refuses DR6/DR7 with bits 63:32 set. */
	s._dr7 = 1ULL << 32;
	CHECK_ERRNO(hax_set_regs(c->vcpu_fd, &s), EINVAL);
	s._dr7 = 0x400;
	s._dr6 = 1ULL << 40;
	CHECK_ERRNO(hax_set_regs(c->vcpu_fd, &s), EINVAL);
	return 0;
}

static volatile uint32_t watched;

/*
 * A hardware watchpoint of this thread (perf, as gdb sets them) still fires
 * after guest runs: a VM exit leaves DR7 = 0x400 (SDM 28.5.1), haxm puts the
 * host's breakpoints back. The guest uses its own DR0/DR7 meanwhile.
 */
VM_TEST(debug_host_watchpoint_survives_guest, 1 << 20)
{
	struct perf_event_attr pe = {
		.type = PERF_TYPE_BREAKPOINT,
		.size = sizeof(pe),
		.bp_type = HW_BREAKPOINT_W,
		.bp_addr = (uintptr_t)&watched,
		.bp_len = HW_BREAKPOINT_LEN_4,
		.exclude_kernel = 1,
		.exclude_hv = 1,
	};
	uint64_t count = 0;
	int fd, i, r = 0;

	fd = syscall(SYS_perf_event_open, &pe, 0, -1, -1, 0);
	CHECK_OK(fd);
	watched = 1;
	for (i = 0; !r && i < 3; i++) {
		r = run_dr_guest(c);
		watched = i + 2;
	}
	if (!r && read(fd, &count, sizeof(count)) != sizeof(count))
		r = fail("read perf counter: %s", strerror(errno));
	close(fd);
	if (r)
		return r;
	CHECK_EQ(count, 4);
	return 0;
}

/* ---- VCPU_DEBUG ------------------------------------------------------------ */

GUEST_CODE(g_dbg, ".code16\n"
		  "xor %ax, %ax\n mov %ax, %ds\n"
		  "nop\n nop\n nop\n"
		  "int3\n"
		  "mov $1, %al\n out %al, $0x80\n"
		  "mov $2, %al\n out %al, $0x80\n" /* the hardware breakpoint */
		  "movb $3, 0x3000\n"
		  "hlt\n"
		  "mov $0x33, %al\n out %al, $0x83\n iret\n");

static int set_debug(struct vm_ctx *c, uint32_t control, uint64_t dr0, uint64_t dr7)
{
	hax_debug_t d = { .control = control };

	d.dr[0] = dr0;
	d.dr[7] = dr7;
	CHECK_OK(hax_set_debug(c->vcpu_fd, &d));
	return 0;
}

static int expect_debug(struct vm_ctx *c, uint32_t reason, uint64_t rip, uint64_t dr6, uint64_t dr7)
{
	if (expect_exit(c, HAX_EXIT_DEBUG))
		return 1;
	CHECK_EQ(c->tunnel->_exit_reason, reason);
	CHECK_EQ(c->tunnel->debug.rip, rip);
	CHECK_EQ(c->tunnel->debug.dr6, dr6);
	CHECK_EQ(c->tunnel->debug.dr7, dr7);
	return 0;
}

VM_TEST(debug_vcpu_debug_step_int3_hw_breakpoint, 1 << 20)
{
	size_t len = g_dbg_end - g_dbg_start;
	uint64_t nops, bp, wp;
	struct hax_capabilityinfo ci;
	hax_debug_t d = { 0 };
	vcpu_state_t s;
	int i;

	CHECK_OK(hax_get_capability(c->sys_fd, &ci));
	CHECK(ci.winfo & HAX_CAP_DEBUG);
	/* Bad requests: unknown control bits, reserved, DR7 bits 63:32. */
	d.control = HAX_DEBUG_ENABLE | 0x10;
	CHECK_ERRNO(hax_set_debug(c->vcpu_fd, &d), EINVAL);
	d.control = HAX_DEBUG_ENABLE;
	d.reserved = 1;
	CHECK_ERRNO(hax_set_debug(c->vcpu_fd, &d), EINVAL);
	d.reserved = 0;
	d.dr[7] = 1ULL << 32;
	CHECK_ERRNO(hax_set_debug(c->vcpu_fd, &d), EINVAL);

	if (vm_load_real(c, 0x1000, g_dbg_start, g_dbg_end) ||
	    set_vector(c, 3, 0x1000, len, "\xb0\x33", 2))
		return 1;
	nops = find(c, 0x1000, len, "\x90\x90\x90\xcc", 4);
	bp = find(c, 0x1000, len, "\xb0\x02", 2);
	wp = 0x3000;
	CHECK(nops && bp);
	/* The guest's own DR0/DR7, kept aside while the debugger's are in use. */
	CHECK_OK(hax_get_regs(c->vcpu_fd, &s));
	s._dr0 = 0x1234;
	s._dr7 = 0x400;
	CHECK_OK(hax_set_regs(c->vcpu_fd, &s));

	/* Single-step: one exit per instruction (a #DB with DR6.BS, exit reason 0). */
	if (set_debug(c, HAX_DEBUG_ENABLE | HAX_DEBUG_STEP, 0, 0))
		return 1;
	/*
	 * Bochs quirk: with TF just set, its first VM entry traps before the
	 * first instruction (hardware runs the instruction first). Accept that
	 * one extra step at the start.
	 */
	if (expect_exit(c, HAX_EXIT_DEBUG))
		return 1;
	CHECK_EQ(c->tunnel->debug.dr6, 0x4000);
	if (c->tunnel->debug.rip == 0x1000 && expect_debug(c, 0, 0x1000 + 2, 0x4000, 0x400))
		return 1; /* the xor */
	CHECK_EQ(c->tunnel->debug.rip, 0x1000 + 2);
	if (expect_debug(c, 0, nops, 0x4000, 0x400)) /* mov ds */
		return 1;
	for (i = 1; i <= 3; i++)
		if (expect_debug(c, 0, nops + i, 0x4000, 0x400))
			return 1;
	/* INT3 with USE_SW_BP: exit at the INT3, the guest's handler not run. */
	if (set_debug(c, HAX_DEBUG_ENABLE | HAX_DEBUG_USE_SW_BP, 0, 0) ||
	    expect_debug(c, 0, nops + 3, 0, 0))
		return 1;
	CHECK_OK(hax_get_regs(c->vcpu_fd, &s));
	CHECK_EQ(s._rip, nops + 3);
	s._rip++; /* the debugger steps over its breakpoint */
	CHECK_OK(hax_set_regs(c->vcpu_fd, &s));
	if (expect_out(c, 0x80, 1, 1))
		return 1;
	/* An instruction breakpoint in DR0 (USE_HW_BP): exit before it runs, DR6.B0. */
	if (set_debug(c, HAX_DEBUG_ENABLE | HAX_DEBUG_USE_HW_BP, bp, 0x1) ||
	    expect_debug(c, 0, bp, 0x1, 0x401))
		return 1;
	/* GET_REGS still shows the guest's own debug registers. */
	CHECK_OK(hax_get_regs(c->vcpu_fd, &s));
	CHECK_EQ(s._rip, bp);
	CHECK_EQ(s._dr0, 0x1234);
	CHECK_EQ(s._dr7, 0x400);
	/* Resume past it with RFLAGS.RF (SDM 18.3.1.1), now with a data breakpoint in DR0. */
	s._rflags |= 1u << 16;
	CHECK_OK(hax_set_regs(c->vcpu_fd, &s));
	if (set_debug(c, HAX_DEBUG_ENABLE | HAX_DEBUG_USE_HW_BP, wp, 0x10001) ||
	    expect_out(c, 0x80, 1, 2))
		return 1;
	/* A data write breakpoint is a trap: RIP after the write. */
	if (expect_debug(c, 0, find(c, 0x1000, len, "\xf4", 1), 0x1, 0x10401))
		return 1;
	CHECK_EQ(c->ram[0x3000], 3);
	/* Debugging off: the guest's DR7 is back and it runs on. */
	if (set_debug(c, 0, 0, 0) || expect_exit(c, HAX_EXIT_HLT))
		return 1;
	CHECK_OK(hax_get_regs(c->vcpu_fd, &s));
	CHECK_EQ(s._dr0, 0x1234);
	CHECK_EQ(s._dr7, 0x400);
	return 0;
}

/* ---- the guest's own #DB, reinjected (always intercepted: design.md) ------- */

/*
 * Single-step (POPF sets TF: the trap follows the next instruction), INT1
 * (ICEBP), then a data breakpoint on the IVT entry of #DB itself: every
 * delivery of a #DB reads it and raises the next #DB. On a CPU that delivered
 * the guest's #DB itself that loop never leaves the guest (CVE-2015-8104);
 * intercepted, each turn is an exit and a signal still ends RUN (an
 * INTERRUPT exit). The #DB handler reports DR6 (port 0x82) and the IP it
 * returns to (0x85), clears TF in the saved FLAGS and resets DR6. The stack
 * is at 0x1000:0x8000.
 */
GUEST_CODE(g_dbx, ".code16\n"
		  "xor %ax, %ax\n mov %ax, %ds\n mov $0x1000, %ax\n mov %ax, %ss\n"
		  "pushf\n pop %ax\n or $0x100, %ax\n push %ax\n popf\n"
		  "nop\n"
		  "mov $1, %al\n out %al, $0x80\n"
		  ".byte 0xf1\n"
		  "mov $2, %al\n out %al, $0x80\n"
		  "mov $4, %eax\n mov %eax, %dr0\n"
		  "mov $0xf0001, %eax\n mov %eax, %dr7\n" /* L0, read/write, 4 bytes */
		  "mov 4, %ax\n"
		  "hlt\n"
		  "mov %dr6, %eax\n out %eax, $0x82\n"
		  "mov %sp, %bp\n mov (%bp), %ax\n out %ax, $0x85\n"
		  "andw $0xfeff, 4(%bp)\n"
		  "mov $0xffff0ff0, %eax\n mov %eax, %dr6\n iret\n");

VM_TEST(debug_guest_step_int1_and_idt_breakpoint_loop, 1 << 20)
{
	size_t len = g_dbx_end - g_dbx_start;
	uint64_t after_nop, after_int1, hlt;
	long long db0, db1;
	vcpu_state_t s;

	if (vm_load_real(c, 0x1000, g_dbx_start, g_dbx_end) ||
	    set_vector(c, 1, 0x1000, len, "\x0f\x21\xf0", 3)) /* mov %dr6, %eax */
		return 1;
	after_nop = find(c, 0x1000, len, "\x90\xb0\x01", 3) + 1;
	after_int1 = find(c, 0x1000, len, "\xf1", 1) + 1;
	hlt = find(c, 0x1000, len, "\xa1\x04\x00\xf4", 4) + 3;
	CHECK(after_nop > 1 && after_int1 > 1 && hlt > 3);
	/* Single-step: DR6.BS, back to the instruction after the NOP. */
	if (expect_out(c, 0x82, 4, 0xffff4ff0) || expect_out(c, 0x85, 2, after_nop) ||
	    expect_out(c, 0x80, 1, 1))
		return 1;
	/* INT1: a trap like INT n (return past it) that sets no DR6 bit. */
	if (expect_out(c, 0x82, 4, 0xffff0ff0) || expect_out(c, 0x85, 2, after_int1) ||
	    expect_out(c, 0x80, 1, 2))
		return 1;
	/* The #DB loop: only a signal ends this RUN; every turn was an exit. */
	db0 = exit_count(c, "EXCEPTION_NMI");
	CHECK(db0 >= 2);
	if (vm_run_cut(c, 300))
		return 1;
	if (c->tunnel->_exit_status != HAX_EXIT_INTERRUPT)
		return fail("RUN in the #DB loop: exit status %u; expected INTERRUPT",
			    c->tunnel->_exit_status);
	db1 = exit_count(c, "EXCEPTION_NMI");
	printf("debug: %lld #DB exits in the breakpoint-on-IVT loop until the signal\n", db1 - db0);
	CHECK(db1 - db0 >= 100);
	/*
	 * The guest is fine: without the breakpoint, the #DB still pending
	 * (SET_REGS keeps it, as KVM_SET_REGS does) reaches its handler once,
	 * with DR6.B0, and returns to the HLT.
	 */
	CHECK_OK(hax_get_regs(c->vcpu_fd, &s));
	s._dr7 = 0x400;
	s._rip = hlt;
	s._rflags = 2;
	CHECK_OK(hax_set_regs(c->vcpu_fd, &s));
	if (expect_out(c, 0x82, 4, 0xffff0ff1) || expect_out(c, 0x85, 2, hlt))
		return 1;
	return expect_exit(c, HAX_EXIT_HLT);
}
