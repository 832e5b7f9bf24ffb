// SPDX-License-Identifier: GPL-2.0
/* Real-mode guests (unrestricted guest): port I/O, HLT, RAM, signals. */
#include <pthread.h>
#include <signal.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"

GUEST_CODE(g_hello, ".code16\n"
		    "mov $0x3f8, %dx\n"
		    "mov $'h', %al\n out %al, %dx\n"
		    "mov $'e', %al\n out %al, %dx\n"
		    "mov $'l', %al\n out %al, %dx\n"
		    "mov $'l', %al\n out %al, %dx\n"
		    "mov $'o', %al\n out %al, %dx\n"
		    "hlt\n");

VM_TEST(real_mode_hello, 1 << 20)
{
	const char *msg = "hello";
	vcpu_state_t s;
	int i;

	if (vm_load_real(c, 0x1000, g_hello_start, g_hello_end))
		return 1;
	for (i = 0; msg[i]; i++)
		if (expect_out(c, 0x3f8, 1, msg[i]))
			return 1;
	if (expect_exit(c, HAX_EXIT_HLT))
		return 1;
	CHECK_EQ(c->tunnel->_exit_reason, 12); /* VMX basic exit reason HLT */
	CHECK_OK(hax_get_regs(c->vcpu_fd, &s));
	/* RIP is past the HLT, at the end of the code. */
	CHECK_EQ(s._rip, 0x1000 + (g_hello_end - g_hello_start));
	CHECK_EQ(s._regs[HAX_REG_RAX] & 0xff, 'o');
	CHECK_EQ(s._regs[HAX_REG_RDX] & 0xffff, 0x3f8);
	return 0;
}

/* IN of 1, 2 and 4 bytes; the guest echoes each value back with OUT. */
GUEST_CODE(g_in, ".code16\n"
		 "mov $0xffffffff, %eax\n"
		 "mov $0x71, %dx\n in %dx, %al\n out %al, $0x80\n"
		 "in %dx, %ax\n out %ax, $0x80\n"
		 "in %dx, %eax\n out %eax, $0x80\n"
		 "hlt\n");

static int supply_in(struct vm_ctx *c, uint8_t size, uint32_t value)
{
	if (expect_exit(c, HAX_EXIT_IO))
		return 1;
	CHECK_EQ(c->tunnel->io._direction, HAX_IO_IN);
	CHECK_EQ(c->tunnel->io._port, 0x71);
	CHECK_EQ(c->tunnel->io._size, size);
	CHECK_EQ(c->tunnel->io._count, 1);
	memcpy(c->iobuf, &value, size);
	return 0;
}

VM_TEST(real_mode_in, 1 << 20)
{
	vcpu_state_t s;

	if (vm_load_real(c, 0x1000, g_in_start, g_in_end))
		return 1;
	if (supply_in(c, 1, 0x5a) || expect_out(c, 0x80, 1, 0x5a))
		return 1;
	if (supply_in(c, 2, 0xbeef) || expect_out(c, 0x80, 2, 0xbeef))
		return 1;
	if (supply_in(c, 4, 0xcafe1234) || expect_out(c, 0x80, 4, 0xcafe1234))
		return 1;
	if (expect_exit(c, HAX_EXIT_HLT))
		return 1;
	CHECK_OK(hax_get_regs(c->vcpu_fd, &s));
	CHECK_EQ(s._regs[HAX_REG_RAX], 0xcafe1234);
	return 0;
}

/* The guest reads a byte the host put in RAM and writes one back. */
GUEST_CODE(g_ram, ".code16\n"
		  "xor %ax, %ax\n mov %ax, %ds\n"
		  "mov 0x2000, %al\n out %al, $0x80\n"
		  "movb $0x42, 0x3000\n"
		  "movl $0x11223344, 0x9ffc\n"
		  "hlt\n");

VM_TEST(real_mode_ram, 64 << 10)
{
	c->ram[0x2000] = 0x99;
	if (vm_load_real(c, 0x1000, g_ram_start, g_ram_end))
		return 1;
	if (expect_out(c, 0x80, 1, 0x99) || expect_exit(c, HAX_EXIT_HLT))
		return 1;
	CHECK_EQ(c->ram[0x3000], 0x42);
	CHECK_EQ(*(uint32_t *)(c->ram + 0x9ffc), 0x11223344);
	return 0;
}

/* Guest memory outside RAM: the store goes to user space as a FAST_MMIO write. */
GUEST_CODE(g_mmio, ".code16\n"
		   "mov $0xf000, %ax\n mov %ax, %ds\n"
		   "movb $1, 0\n"
		   "hlt\n");

VM_TEST(real_mode_unmapped_access, 64 << 10)
{
	if (vm_load_real(c, 0x1000, g_mmio_start, g_mmio_end))
		return 1;
	if (expect_exit(c, HAX_EXIT_FAST_MMIO))
		return 1;
	CHECK_EQ(c->tunnel->_exit_reason, 48); /* EPT violation */
	CHECK_EQ(((struct hax_fastmmio *)c->iobuf)->gpa, 0xf0000);
	CHECK_EQ(((struct hax_fastmmio *)c->iobuf)->value & 0xff, 1);
	return expect_exit(c, HAX_EXIT_HLT);
}

/* A guest that never exits on its own: interrupts off, spinning. */
GUEST_CODE(g_spin, ".code16\n cli\n 1: jmp 1b\n");

static void on_signal(int sig)
{
	(void)sig;
}

struct kicker {
	pthread_t target;
	struct hax_tunnel *tunnel; /* set: kick through user_event_pending too */
};

static void *kick_later(void *arg)
{
	struct kicker *k = arg;
	struct timespec ts = { 0, 200 * 1000 * 1000 };

	nanosleep(&ts, NULL);
	if (k->tunnel)
		__atomic_store_n(&k->tunnel->user_event_pending, 1, __ATOMIC_SEQ_CST);
	pthread_kill(k->target, SIGUSR1);
	return NULL;
}

static int spin_and_kick(struct vm_ctx *c, bool via_tunnel)
{
	struct sigaction sa = { .sa_handler = on_signal };
	struct kicker k = { pthread_self(), via_tunnel ? c->tunnel : NULL };
	pthread_t th;
	vcpu_state_t s;
	int r;

	sigaction(SIGUSR1, &sa, NULL); /* no SA_RESTART */
	if (vm_load_real(c, 0x1000, g_spin_start, g_spin_end))
		return 1;
	CHECK(pthread_create(&th, NULL, kick_later, &k) == 0);
	r = expect_exit(c, HAX_EXIT_INTERRUPT);
	pthread_join(th, NULL);
	if (r)
		return r;
	CHECK_EQ(c->tunnel->user_event_pending, 0);
	/* The guest is where it was, still runnable, interrupts still off. */
	CHECK_OK(hax_get_regs(c->vcpu_fd, &s));
	CHECK(s._rip == 0x1001 || s._rip == 0x1003);
	CHECK_EQ(s._rflags & (1 << 9), 0);
	return 0;
}

VM_TEST(spinning_guest_interrupted_by_signal, 64 << 10)
{
	return spin_and_kick(c, false);
}

VM_TEST(spinning_guest_kicked_by_user_event, 64 << 10)
{
	return spin_and_kick(c, true);
}

/* Two VMs run at once from two threads (and CPUs, when there are two). */
struct par {
	struct vm_ctx c;
	int r;
};

static void *par_run(void *arg)
{
	struct par *p = arg;
	int i;

	p->r = vm_load_real(&p->c, 0x1000, g_hello_start, g_hello_end);
	for (i = 0; !p->r && i < 5; i++)
		p->r = expect_exit(&p->c, HAX_EXIT_IO);
	if (!p->r)
		p->r = expect_exit(&p->c, HAX_EXIT_HLT);
	return NULL;
}

TEST(two_vms_in_parallel)
{
	struct par p[2];
	pthread_t th[2];
	int i, r = 0;

	for (i = 0; i < 2; i++)
		if (vm_setup(&p[i].c, 1 << 20))
			r = 1;
	for (i = 0; !r && i < 2; i++)
		CHECK(pthread_create(&th[i], NULL, par_run, &p[i]) == 0);
	for (i = 0; !r && i < 2; i++) {
		pthread_join(th[i], NULL);
		if (p[i].r)
			r = 1;
	}
	for (i = 0; i < 2; i++)
		vm_teardown(&p[i].c);
	return r;
}
