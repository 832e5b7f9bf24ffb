// SPDX-License-Identifier: GPL-2.0
/*
 * Interrupt injection (HAX_VCPU_IOCTL_INTERRUPT), interrupt windows, HLT,
 * interruptibility and activity state, event re-injection after an exit
 * during delivery, and the triple fault.
 */
#include <pthread.h>
#include <signal.h>
#include <time.h>

#include "harness.h"

/* A real-mode handler that reports its vector on port 0x80 and returns. */
#define HANDLER(name, vec)                                           \
	GUEST_CODE(name, ".code16\n push %ax\n mov $" #vec ", %al\n" \
			 " out %al, $0x80\n pop %ax\n iret\n")

HANDLER(g_h20, 0x20);
HANDLER(g_h21, 0x21);
HANDLER(g_h22, 0x22);
HANDLER(g_h30, 0x30);

/* Install a handler at @gpa for real-mode vector @vec (IVT at 0). */
static void ivt_set(struct vm_ctx *c, int vec, uint32_t gpa, const uint8_t *s, const uint8_t *e)
{
	memcpy(c->ram + gpa, s, e - s);
	*(uint16_t *)(c->ram + vec * 4) = gpa & 0xf;
	*(uint16_t *)(c->ram + vec * 4 + 2) = gpa >> 4;
}

static int set_rflags_if(struct vm_ctx *c, bool on)
{
	vcpu_state_t s;

	CHECK_OK(hax_get_regs(c->vcpu_fd, &s));
	s._rflags = on ? s._rflags | (1 << 9) : s._rflags & ~(1ULL << 9);
	CHECK_OK(hax_set_regs(c->vcpu_fd, &s));
	return 0;
}

/* sti; hlt; then report 0x81 and halt again. */
GUEST_CODE(g_sti_hlt, ".code16\n sti\n hlt\n mov $0x81, %al\n out %al, $0x81\n hlt\n");

VM_TEST(intr_wakes_hlt_real_mode, 1 << 20)
{
	vcpu_state_t s;

	ivt_set(c, 0x20, 0x3000, g_h20_start, g_h20_end);
	if (vm_load_real(c, 0x1000, g_sti_hlt_start, g_sti_hlt_end))
		return 1;
	if (expect_exit(c, HAX_EXIT_HLT))
		return 1;
	CHECK_EQ(c->tunnel->ready_for_interrupt_injection, 1);
	CHECK_OK(hax_interrupt(c->vcpu_fd, 0x20));
	CHECK_EQ(c->tunnel->ready_for_interrupt_injection, 0);
	if (expect_out(c, 0x80, 1, 0x20) || expect_out(c, 0x81, 1, 0x81))
		return 1;
	if (expect_exit(c, HAX_EXIT_HLT))
		return 1;
	CHECK_OK(hax_get_regs(c->vcpu_fd, &s));
	CHECK_EQ(s._activity_state, HAX_ACTIVITY_ACTIVE);
	CHECK_EQ(s._rip, 0x1000 + (g_sti_hlt_end - g_sti_hlt_start));
	/* The handler returned through IRET: the stack is back. */
	CHECK_EQ(s._regs[HAX_REG_RSP], 0x8000);
	return 0;
}

/* Two pending vectors: the higher first, the other once IRET reopens IF. */
VM_TEST(intr_highest_vector_first, 1 << 20)
{
	ivt_set(c, 0x21, 0x3000, g_h21_start, g_h21_end);
	ivt_set(c, 0x30, 0x3100, g_h30_start, g_h30_end);
	if (vm_load_real(c, 0x1000, g_sti_hlt_start, g_sti_hlt_end))
		return 1;
	if (expect_exit(c, HAX_EXIT_HLT))
		return 1;
	CHECK_OK(hax_interrupt(c->vcpu_fd, 0x21));
	CHECK_OK(hax_interrupt(c->vcpu_fd, 0x30));
	CHECK_OK(hax_interrupt(c->vcpu_fd, 0x30)); /* already pending: once */
	if (expect_out(c, 0x80, 1, 0x30) || expect_out(c, 0x80, 1, 0x21) ||
	    expect_out(c, 0x81, 1, 0x81))
		return 1;
	return expect_exit(c, HAX_EXIT_HLT);
}

VM_TEST(intr_bad_vector, 64 << 10)
{
	CHECK_ERRNO(hax_interrupt(c->vcpu_fd, 256), EINVAL);
	CHECK_ERRNO(hax_interrupt(c->vcpu_fd, 0xffffffff), EINVAL);
	CHECK_OK(hax_interrupt(c->vcpu_fd, 255));
	CHECK_OK(hax_interrupt(c->vcpu_fd, 0));
	return 0;
}

/*
 * With IF=0 an injected interrupt stays pending across exits and is
 * delivered right after STI's one-instruction shadow.
 */
GUEST_CODE(g_cli_sti, ".code16\n cli\n out %al, $0x82\n out %al, $0x83\n sti\n"
		      " out %al, $0x84\n hlt\n");

VM_TEST(intr_pending_until_sti, 1 << 20)
{
	ivt_set(c, 0x22, 0x3000, g_h22_start, g_h22_end);
	if (vm_load_real(c, 0x1000, g_cli_sti_start, g_cli_sti_end))
		return 1;
	if (expect_exit(c, HAX_EXIT_IO))
		return 1;
	CHECK_EQ(c->tunnel->io._port, 0x82);
	CHECK_EQ(c->tunnel->ready_for_interrupt_injection, 0); /* IF=0 */
	CHECK_OK(hax_interrupt(c->vcpu_fd, 0x22));
	if (expect_exit(c, HAX_EXIT_IO))
		return 1;
	CHECK_EQ(c->tunnel->io._port, 0x83); /* not delivered with IF=0 */
	CHECK_EQ(c->tunnel->ready_for_interrupt_injection, 0);
	/* STI shadow: the OUT to 0x84 runs first, then the interrupt (SDM 6.8.3). */
	if (expect_exit(c, HAX_EXIT_IO))
		return 1;
	CHECK_EQ(c->tunnel->io._port, 0x84);
	if (expect_out(c, 0x80, 1, 0x22))
		return 1;
	if (expect_exit(c, HAX_EXIT_HLT))
		return 1;
	CHECK_EQ(c->tunnel->ready_for_interrupt_injection, 1);
	return 0;
}

/* QEMU's way: request a window while IF=0, get HAX_EXIT_INTERRUPT once open. */
GUEST_CODE(g_window, ".code16\n cli\n out %al, $0x82\n mov $200, %cx\n 1: loop 1b\n"
		     " sti\n nop\n nop\n out %al, $0x84\n hlt\n");

VM_TEST(intr_window_request, 1 << 20)
{
	vcpu_state_t s;
	uint64_t sti_at = 0x1000 + 1 + 2 + 3 + 2; /* cli, out, mov, loop */

	ivt_set(c, 0x22, 0x3000, g_h22_start, g_h22_end);
	if (vm_load_real(c, 0x1000, g_window_start, g_window_end))
		return 1;
	if (expect_exit(c, HAX_EXIT_IO))
		return 1;
	CHECK_EQ(c->tunnel->ready_for_interrupt_injection, 0);
	c->tunnel->request_interrupt_window = 1;
	if (expect_exit(c, HAX_EXIT_INTERRUPT))
		return 1;
	CHECK_EQ(c->tunnel->_exit_reason, 7); /* interrupt window */
	CHECK_EQ(c->tunnel->ready_for_interrupt_injection, 1);
	CHECK_OK(hax_get_regs(c->vcpu_fd, &s));
	CHECK(s._rflags & (1 << 9));
	CHECK_EQ(s._regs[HAX_REG_RCX] & 0xffff, 0);
	/* After STI and the instruction in its shadow. */
	CHECK_EQ(s._rip, sti_at + 2);
	c->tunnel->request_interrupt_window = 0;
	CHECK_OK(hax_interrupt(c->vcpu_fd, 0x22));
	if (expect_out(c, 0x80, 1, 0x22))
		return 1;
	if (expect_exit(c, HAX_EXIT_IO))
		return 1;
	CHECK_EQ(c->tunnel->io._port, 0x84);
	return expect_exit(c, HAX_EXIT_HLT);
}

/* A vCPU put in the HLT activity state waits for an interrupt, then runs on. */
GUEST_CODE(g_after_hlt, ".code16\n out %al, $0x85\n hlt\n");

VM_TEST(intr_activity_hlt_wakes, 1 << 20)
{
	vcpu_state_t s;

	ivt_set(c, 0x20, 0x3000, g_h20_start, g_h20_end);
	if (vm_load_real(c, 0x1000, g_after_hlt_start, g_after_hlt_end))
		return 1;
	CHECK_OK(hax_get_regs(c->vcpu_fd, &s));
	s._activity_state = HAX_ACTIVITY_HLT;
	s._rflags |= 1 << 9;
	CHECK_OK(hax_set_regs(c->vcpu_fd, &s));
	/* Nothing to deliver: HLT, the guest did not run. */
	if (expect_exit(c, HAX_EXIT_HLT))
		return 1;
	CHECK_EQ(c->tunnel->_exit_reason, 12);
	CHECK_OK(hax_get_regs(c->vcpu_fd, &s));
	CHECK_EQ(s._rip, 0x1000);
	CHECK_EQ(s._activity_state, HAX_ACTIVITY_HLT);
	/* A window request on a halted vCPU that could take one: INTERRUPT. */
	c->tunnel->request_interrupt_window = 1;
	if (expect_exit(c, HAX_EXIT_INTERRUPT))
		return 1;
	c->tunnel->request_interrupt_window = 0;
	CHECK_OK(hax_interrupt(c->vcpu_fd, 0x20));
	if (expect_out(c, 0x80, 1, 0x20) || expect_out(c, 0x85, 1, 0))
		return 1;
	CHECK_OK(hax_get_regs(c->vcpu_fd, &s));
	CHECK_EQ(s._activity_state, HAX_ACTIVITY_ACTIVE);
	return expect_exit(c, HAX_EXIT_HLT);
}

/* HLT with IF=0 and an interrupt pending: the vCPU stays halted (VMM waits). */
GUEST_CODE(g_cli_hlt, ".code16\n cli\n hlt\n out %al, $0x86\n hlt\n");

VM_TEST(intr_hlt_with_if_clear, 1 << 20)
{
	ivt_set(c, 0x20, 0x3000, g_h20_start, g_h20_end);
	if (vm_load_real(c, 0x1000, g_cli_hlt_start, g_cli_hlt_end))
		return 1;
	CHECK_OK(hax_interrupt(c->vcpu_fd, 0x20));
	if (expect_exit(c, HAX_EXIT_HLT))
		return 1;
	CHECK_EQ(c->tunnel->ready_for_interrupt_injection, 0);
	/* The VMM lets it go on (QEMU does when an interrupt is pending). */
	if (expect_exit(c, HAX_EXIT_IO))
		return 1;
	CHECK_EQ(c->tunnel->io._port, 0x86);
	/* Enabling IF from user space delivers it at the next entry. */
	if (set_rflags_if(c, true))
		return 1;
	CHECK_EQ(c->tunnel->ready_for_interrupt_injection, 0); /* still pending */
	return expect_out(c, 0x80, 1, 0x20);
}

TEST(regs_interruptibility_round_trip)
{
	static const struct {
		uint64_t intr;
		uint32_t activity;
		bool if_flag;
		int err;
	} cases[] = {
		{ HAX_INTR_BLOCK_STI, 0, true, 0 },
		{ HAX_INTR_BLOCK_MOVSS, 0, false, 0 },
		{ HAX_INTR_BLOCK_NMI, 0, false, 0 },
		{ HAX_INTR_BLOCK_NMI | HAX_INTR_BLOCK_MOVSS, HAX_ACTIVITY_HLT, true, 0 },
		{ 0, HAX_ACTIVITY_HLT, false, 0 },
		{ HAX_INTR_BLOCK_STI, 0, false, EINVAL }, /* STI blocking needs IF */
		{ HAX_INTR_BLOCK_STI | HAX_INTR_BLOCK_MOVSS, 0, true, EINVAL },
		{ HAX_INTR_BLOCK_SMI, 0, false, EINVAL }, /* not in SMM */
		{ 0x10, 0, false, EINVAL },
		{ 0, 2, false, EINVAL }, /* shutdown */
		{ 0, 3, false, EINVAL }, /* wait-for-SIPI */
		{ 0, 0x100, false, EINVAL },
	};
	struct vm_ctx ctx, *c = &ctx;
	vcpu_state_t s0, s;
	size_t i;
	int r = vm_setup(c, 64 << 10);

	for (i = 0; !r && i < sizeof(cases) / sizeof(cases[0]); i++) {
		if (hax_get_regs(c->vcpu_fd, &s0))
			r = fail("GET_REGS: %s", strerror(errno));
		s = s0;
		s._interruptibility_state = cases[i].intr;
		s._activity_state = cases[i].activity;
		s._rflags = cases[i].if_flag ? s._rflags | (1 << 9) : s._rflags & ~(1ULL << 9);
		errno = 0;
		if (!r && hax_set_regs(c->vcpu_fd, &s) != (cases[i].err ? -1 : 0))
			r = fail("case %zu: SET_REGS returned errno %d", i, errno);
		if (!r && cases[i].err && errno != cases[i].err)
			r = fail("case %zu: errno %d, expected %d", i, errno, cases[i].err);
		if (!r && hax_get_regs(c->vcpu_fd, &s))
			r = fail("GET_REGS: %s", strerror(errno));
		if (!r && !cases[i].err &&
		    (s._interruptibility_state != cases[i].intr ||
		     s._activity_state != cases[i].activity))
			r = fail("case %zu: read back intr 0x%llx activity %u", i,
				 (unsigned long long)s._interruptibility_state, s._activity_state);
		/* A refused state changes nothing. */
		if (!r && cases[i].err &&
		    (s._interruptibility_state != s0._interruptibility_state ||
		     s._activity_state != s0._activity_state))
			r = fail("case %zu: refused state was applied", i);
	}
	vm_teardown(c);
	return r;
}

/*
 * Event delivery that touches guest pages not yet mapped (IVT, stack) exits
 * with an EPT violation during delivery; the interrupt must be delivered
 * again after the page is mapped (SDM 27.2.4), not lost.
 */
VM_TEST(intr_reinjected_after_ept_violation, 1 << 20)
{
	vcpu_state_t s;

	ivt_set(c, 0x20, 0x5000, g_h20_start, g_h20_end);
	if (vm_load_real(c, 0x1000, g_sti_hlt_start, g_sti_hlt_end))
		return 1;
	/* A stack on a page of its own, never touched before the interrupt. */
	CHECK_OK(hax_get_regs(c->vcpu_fd, &s));
	s._regs[HAX_REG_RSP] = 0x9000;
	CHECK_OK(hax_set_regs(c->vcpu_fd, &s));
	if (expect_exit(c, HAX_EXIT_HLT))
		return 1;
	CHECK_OK(hax_interrupt(c->vcpu_fd, 0x20));
	if (expect_out(c, 0x80, 1, 0x20) || expect_out(c, 0x81, 1, 0x81))
		return 1;
	/* IRET popped what the delivery pushed on the new page. */
	CHECK(*(uint16_t *)(c->ram + 0x8ffe) & 0x200); /* FLAGS, with IF */
	return expect_exit(c, HAX_EXIT_HLT);
}

/* An exception with no way to deliver it (IDT limit 0): triple fault. */
GUEST_CODE(g_ud, ".code16\n ud2\n");

VM_TEST(triple_fault_statechange, 64 << 10)
{
	vcpu_state_t s;

	if (vm_load_real(c, 0x1000, g_ud_start, g_ud_end))
		return 1;
	CHECK_OK(hax_get_regs(c->vcpu_fd, &s));
	s._idt.limit = 0;
	CHECK_OK(hax_set_regs(c->vcpu_fd, &s));
	if (expect_exit(c, HAX_EXIT_STATECHANGE))
		return 1;
	CHECK_EQ(c->tunnel->_exit_reason, 2); /* triple fault */
	if (expect_exit(c, HAX_EXIT_STATECHANGE))
		return 1;
	/* SET_REGS revives it. */
	CHECK_OK(hax_get_regs(c->vcpu_fd, &s));
	s._idt.limit = 0x3ff;
	s._rip = 0x1000;
	CHECK_OK(hax_set_regs(c->vcpu_fd, &s));
	memcpy(c->ram + 0x1000, g_sti_hlt_start, g_sti_hlt_end - g_sti_hlt_start);
	return expect_exit(c, HAX_EXIT_HLT);
}

/* A guest spinning with IF=0: interrupts stay pending, a kick still returns. */
static void *kick_after_200ms(void *arg)
{
	struct vm_ctx *c = arg;
	struct timespec ts = { 0, 200 * 1000 * 1000 };

	nanosleep(&ts, NULL);
	__atomic_store_n(&c->tunnel->user_event_pending, 1, __ATOMIC_SEQ_CST);
	return NULL;
}

VM_TEST(intr_pending_while_spinning_if_clear, 1 << 20)
{
	pthread_t th;
	int r;

	ivt_set(c, 0x20, 0x3000, g_h20_start, g_h20_end);
	if (vm_load_spin(c))
		return 1;
	CHECK_OK(hax_interrupt(c->vcpu_fd, 0x20));
	c->tunnel->request_interrupt_window = 1;
	/* user_event_pending alone (no signal): the preemption timer polls it. */
	CHECK(pthread_create(&th, NULL, kick_after_200ms, c) == 0);
	r = expect_exit(c, HAX_EXIT_INTERRUPT);
	pthread_join(th, NULL);
	if (r)
		return r;
	CHECK_EQ(c->tunnel->_exit_reason, 0);
	CHECK_EQ(c->tunnel->user_event_pending, 0);
	CHECK_EQ(c->tunnel->ready_for_interrupt_injection, 0);
	c->tunnel->request_interrupt_window = 0;
	/* Still pending: it arrives as soon as IF is set. */
	if (set_rflags_if(c, true))
		return 1;
	return expect_out(c, 0x80, 1, 0x20);
}

/*
 * QEMU's kick: its HAX vCPU threads keep SIG_IPI (SIGUSR1) blocked, so the
 * signal only stays queued, and the kick itself is a flag in QEMU's memory.
 * A guest spinning with IF=1 and no exits must still come back to user space
 * (HAX_EXIT_INTERRUPT) at the next host interrupt; a watchdog sets
 * user_event_pending after 5 s so a failure cannot hang the suite.
 */
GUEST_CODE(g_sti_spin, ".code16\n sti\n 1: jmp 1b\n");

struct kick_ctx {
	struct vm_ctx *c;
	pthread_t vcpu;
	bool watchdog_fired;
};

static void *kick_blocked(void *arg)
{
	struct kick_ctx *k = arg;
	struct timespec ts = { 0, 100 * 1000 * 1000 }, wd = { 5, 0 };

	nanosleep(&ts, NULL);
	pthread_kill(k->vcpu, SIGUSR1);
	nanosleep(&wd, NULL);
	if (!__atomic_exchange_n(&k->c->tunnel->user_event_pending, 1, __ATOMIC_SEQ_CST))
		k->watchdog_fired = true;
	return NULL;
}

VM_TEST(kick_with_blocked_signal, 1 << 20)
{
	struct kick_ctx k = { .c = c, .vcpu = pthread_self() };
	struct timespec zero = { 0, 0 };
	sigset_t all, old, usr1;
	pthread_t th;
	int r;

	if (vm_load_real(c, 0x1000, g_sti_spin_start, g_sti_spin_end))
		return 1;
	sigfillset(&all);
	sigemptyset(&usr1);
	sigaddset(&usr1, SIGUSR1);
	CHECK(pthread_sigmask(SIG_SETMASK, &all, &old) == 0);
	CHECK(pthread_create(&th, NULL, kick_blocked, &k) == 0);
	r = expect_exit(c, HAX_EXIT_INTERRUPT);
	/* Stop the watchdog: it only matters while RUN has not returned. */
	__atomic_store_n(&c->tunnel->user_event_pending, 1, __ATOMIC_SEQ_CST);
	pthread_cancel(th);
	pthread_join(th, NULL);
	/* Consume the queued SIGUSR1 before unblocking it. */
	CHECK_EQ(sigtimedwait(&usr1, NULL, &zero), SIGUSR1);
	CHECK(pthread_sigmask(SIG_SETMASK, &old, NULL) == 0);
	if (r)
		return r;
	CHECK(!k.watchdog_fired);
	CHECK_EQ(c->tunnel->ready_for_interrupt_injection, 1);
	return 0;
}

/* 200 inject-deliver-HLT round trips, each delivered once; prints the rate. */
GUEST_CODE(g_hlt_loop, ".code16\n sti\n 1: hlt\n jmp 1b\n");

VM_TEST(intr_round_trips, 1 << 20)
{
	struct timespec t0, t1;
	double secs;
	int i;

	ivt_set(c, 0x20, 0x3000, g_h20_start, g_h20_end);
	if (vm_load_real(c, 0x1000, g_hlt_loop_start, g_hlt_loop_end))
		return 1;
	if (expect_exit(c, HAX_EXIT_HLT))
		return 1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (i = 0; i < 200; i++) {
		CHECK_EQ(c->tunnel->ready_for_interrupt_injection, 1);
		CHECK_OK(hax_interrupt(c->vcpu_fd, 0x20));
		if (expect_out(c, 0x80, 1, 0x20) || expect_exit(c, HAX_EXIT_HLT))
			return 1;
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	secs = (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;
	printf("INFO: intr_round_trips: %.0f interrupt round trips/s (inject, OUT, HLT)\n",
	       200 / secs);
	return 0;
}

/*
 * Delivery that pushes onto a stack outside RAM stops the vCPU (no MMIO
 * emulation of event delivery); after SET_REGS revives it, the interrupted
 * event of the old state is not delivered again.
 */
VM_TEST(intr_stopped_delivery_not_replayed, 64 << 10)
{
	vcpu_state_t s;

	ivt_set(c, 0x20, 0x3000, g_h20_start, g_h20_end);
	if (vm_load_real(c, 0x1000, g_sti_hlt_start, g_sti_hlt_end))
		return 1;
	CHECK_OK(hax_get_regs(c->vcpu_fd, &s));
	s._ss.selector = 0x2000;
	s._ss.base = 0x20000; /* 128 KiB: past the 64 KiB of RAM */
	CHECK_OK(hax_set_regs(c->vcpu_fd, &s));
	if (expect_exit(c, HAX_EXIT_HLT))
		return 1;
	CHECK_OK(hax_interrupt(c->vcpu_fd, 0x20));
	if (expect_exit(c, HAX_EXIT_STATECHANGE))
		return 1;
	CHECK_EQ(c->tunnel->_exit_reason, 48); /* EPT violation, during delivery */
	if (vm_load_real(c, 0x1000, g_after_hlt_start, g_after_hlt_end) || set_rflags_if(c, true))
		return 1;
	if (expect_exit(c, HAX_EXIT_IO))
		return 1;
	CHECK_EQ(c->tunnel->io._port, 0x85);
	return expect_exit(c, HAX_EXIT_HLT);
}
