// SPDX-License-Identifier: GPL-2.0
/*
 * Exits of issue 3 not proven elsewhere: HAX_EXIT_PAUSED (user space keeps
 * the vCPU out of the guest through the tunnel's _exit_reason, as HAXM 7.8
 * and crosvm do it), every VMX instruction and the other instructions haxm
 * refuses (#UD, RDPMC #GP) in 64-bit mode, and CPUID leaf 0xD's sizes
 * following the guest's XCR0.
 */
#include <pthread.h>
#include <time.h>

#include "harness.h"

/* ---- PAUSED --------------------------------------------------------------- */

GUEST_CODE(g_pause_out, ".code16\n mov $1, %al\n out %al, $0x80\n hlt\n");

/* A request before RUN: the guest does not run, for as long as it stays. */
VM_TEST(paused_keeps_vcpu_out, 64 << 10)
{
	vcpu_state_t s;

	if (vm_load_real(c, 0x1000, g_pause_out_start, g_pause_out_end))
		return 1;
	c->tunnel->_exit_reason = HAX_EXIT_PAUSED;
	if (expect_exit(c, HAX_EXIT_PAUSED) || expect_exit(c, HAX_EXIT_PAUSED))
		return 1;
	/* Left for user space to clear, as HAXM does. */
	CHECK_EQ(c->tunnel->_exit_reason, HAX_EXIT_PAUSED);
	CHECK_OK(hax_get_regs(c->vcpu_fd, &s));
	CHECK_EQ(s._rip, 0x1000);
	/* A kick stays pending behind the pause, for the RUN after it. */
	c->tunnel->user_event_pending = 1;
	if (expect_exit(c, HAX_EXIT_PAUSED))
		return 1;
	CHECK_EQ(c->tunnel->user_event_pending, 1);
	c->tunnel->_exit_reason = 0;
	if (expect_exit(c, HAX_EXIT_INTERRUPT))
		return 1;
	CHECK_EQ(c->tunnel->user_event_pending, 0);
	return expect_out(c, 0x80, 1, 1) || expect_exit(c, HAX_EXIT_HLT);
}

GUEST_CODE(g_pause_in, ".code16\n in $0x71, %al\n out %al, $0x80\n hlt\n");

/* An IN user space answered completes before the pause: RAX and RIP move. */
VM_TEST(paused_after_in_completes, 64 << 10)
{
	vcpu_state_t s;

	if (vm_load_real(c, 0x1000, g_pause_in_start, g_pause_in_end) ||
	    expect_exit(c, HAX_EXIT_IO))
		return 1;
	CHECK_EQ(c->tunnel->io._direction, HAX_IO_IN);
	c->iobuf[0] = 0x5a;
	c->tunnel->_exit_reason = HAX_EXIT_PAUSED;
	if (expect_exit(c, HAX_EXIT_PAUSED))
		return 1;
	CHECK_OK(hax_get_regs(c->vcpu_fd, &s));
	CHECK_EQ(s._regs[HAX_REG_RAX] & 0xff, 0x5a);
	CHECK_EQ(s._rip, 0x1002);
	c->tunnel->_exit_reason = 0;
	return expect_out(c, 0x80, 1, 0x5a) || expect_exit(c, HAX_EXIT_HLT);
}

struct pauser {
	struct vm_ctx *c;
	int done;
};

/* Pause after 100 ms; kick after 3 s more if RUN has not returned (a failure). */
static void *pause_after_100ms(void *arg)
{
	struct pauser *p = arg;
	struct timespec ts = { 0, 100 * 1000 * 1000 };
	int i;

	nanosleep(&ts, NULL);
	__atomic_store_n(&p->c->tunnel->_exit_reason, HAX_EXIT_PAUSED, __ATOMIC_SEQ_CST);
	for (i = 0; i < 30 && !__atomic_load_n(&p->done, __ATOMIC_ACQUIRE); i++)
		nanosleep(&ts, NULL);
	__atomic_store_n(&p->c->tunnel->user_event_pending, 1, __ATOMIC_SEQ_CST);
	return NULL;
}

/*
 * Written by another thread while the guest spins with IF=0 (no signal, no
 * kick): the next exit the kernel handles (the preemption timer's) sees it.
 */
VM_TEST(paused_from_another_thread, 64 << 10)
{
	struct pauser p = { c, 0 };
	vcpu_state_t s;
	pthread_t th;
	int r;

	if (vm_load_spin(c))
		return 1;
	CHECK(pthread_create(&th, NULL, pause_after_100ms, &p) == 0);
	r = expect_exit(c, HAX_EXIT_PAUSED);
	__atomic_store_n(&p.done, 1, __ATOMIC_RELEASE);
	pthread_join(th, NULL);
	if (r)
		return r;
	CHECK_OK(hax_get_regs(c->vcpu_fd, &s));
	CHECK_EQ(s._rip, 0x1001);
	return 0;
}

/* ---- instructions haxm refuses, in 64-bit mode ---------------------------- */

#define LM_IDT 0x2000

/*
 * Handlers: report the vector (and #GP's error code), then skip the
 * faulting instruction by its length, which the guest keeps in RSI.
 */
GUEST_CODE(g_x64_ud, ".code64\n push %rax\n mov $6, %al\n out %al, $0x80\n"
		     " add %rsi, 8(%rsp)\n pop %rax\n iretq\n");
GUEST_CODE(g_x64_gp, ".code64\n push %rax\n mov $13, %al\n out %al, $0x80\n"
		     " mov 8(%rsp), %eax\n out %eax, $0x81\n"
		     " add %rsi, 16(%rsp)\n pop %rax\n add $8, %rsp\n iretq\n");

/* Each instruction with its length in ESI; RAX points at a zeroed qword. */
#define REFUSED(insn, len) " mov $" #len ", %esi\n " insn "\n"
/* clang-format off */
GUEST_CODE(g_refused, ".code64\n mov $0x3000, %eax\n" REFUSED("vmxon (%rax)", 4)
		REFUSED("vmclear (%rax)", 4) REFUSED("vmptrld (%rax)", 3) REFUSED("vmptrst (%rax)", 3)
		REFUSED("vmread %rax, %rbx", 3) REFUSED("vmwrite %rbx, %rax", 3)
		REFUSED("vmlaunch", 3) REFUSED("vmresume", 3) REFUSED("vmxoff", 3)
		REFUSED("vmcall", 3) REFUSED("invept (%rax), %rbx", 5)
		REFUSED("invvpid (%rax), %rbx", 5) REFUSED("vmfunc", 3) REFUSED("getsec", 2)
		REFUSED("monitor", 3) REFUSED("mwait", 3)
		" xor %ecx, %ecx\n" REFUSED("rdpmc", 2) " out %al, $0x88\n hlt\n");
/* clang-format on */
#define N_UD 16

static void idt64_gate(struct vm_ctx *c, int vec, uint64_t off)
{
	uint64_t g[2] = { (off & 0xffff) | (8ULL << 16) | (0x8e00ULL << 32) |
				  ((off >> 16 & 0xffff) << 48),
			  off >> 32 };

	memcpy(c->ram + LM_IDT + 16 * vec, g, sizeof(g));
}

/* A 64-bit guest with a GDT at 0 (code 8, data 16) and an IDT for #UD and #GP. */
static int load_long_idt(struct vm_ctx *c, const uint8_t *start, const uint8_t *end)
{
	static const struct long_mode m = { .tables = 0x10000 };
	static const uint64_t gdt[3] = { 0, 0x00af9a000000ffffULL, 0x00cf92000000ffffULL };
	vcpu_state_t s;

	if (vm_load_long(c, &m, 0x1000, start, end))
		return 1;
	memcpy(c->ram, gdt, sizeof(gdt));
	memcpy(c->ram + 0x2800, g_x64_ud_start, g_x64_ud_end - g_x64_ud_start);
	memcpy(c->ram + 0x2900, g_x64_gp_start, g_x64_gp_end - g_x64_gp_start);
	idt64_gate(c, 6, 0x2800);
	idt64_gate(c, 13, 0x2900);
	CHECK_OK(hax_get_regs(c->vcpu_fd, &s));
	s._gdt.base = 0;
	s._gdt.limit = sizeof(gdt) - 1;
	s._idt.base = LM_IDT;
	s._idt.limit = 16 * 32 - 1;
	CHECK_OK(hax_set_regs(c->vcpu_fd, &s));
	return 0;
}

/*
 * The VMX instructions, VMCALL, VMFUNC, GETSEC, MONITOR and MWAIT
 * raise #UD in the guest (haxm offers no VMX, SMX or MONITOR in CPUID);
 * RDPMC raises #GP(0) (no PMU). The guest continues after each.
 */
VM_TEST(exits_refused_instructions_fault, 1 << 20)
{
	vcpu_state_t s;
	int i;

	if (load_long_idt(c, g_refused_start, g_refused_end))
		return 1;
	for (i = 0; i < N_UD; i++) {
		if (vm_run(c))
			return 1;
		if (c->tunnel->_exit_status != HAX_EXIT_IO || c->tunnel->io._port != 0x80 ||
		    c->iobuf[0] != 6)
			return fail("instruction %d: exit %u (VMX reason %u) port 0x%x value %u, "
				    "expected #UD",
				    i, c->tunnel->_exit_status, c->tunnel->_exit_reason,
				    c->tunnel->io._port, c->iobuf[0]);
	}
	if (expect_out(c, 0x80, 1, 13) || expect_out(c, 0x81, 4, 0))
		return 1;
	if (expect_exit(c, HAX_EXIT_IO))
		return 1;
	CHECK_EQ(c->tunnel->io._port, 0x88);
	CHECK_OK(hax_get_regs(c->vcpu_fd, &s));
	CHECK_EQ(s._regs[HAX_REG_RSP], 0x8000); /* every frame popped */
	return expect_exit(c, HAX_EXIT_HLT);
}

/* ---- CPUID leaf 0xD follows the guest's XCR0 ------------------------------ */

static void host_cpuid(uint32_t leaf, uint32_t sub, uint32_t r[4])
{
	asm volatile("cpuid"
		     : "=a"(r[0]), "=b"(r[1]), "=c"(r[2]), "=d"(r[3])
		     : "a"(leaf), "c"(sub));
}

/* The XSAVE area size for @xcr0 from the host's component layout (SDM 13.4). */
static uint32_t xsave_size(uint64_t xcr0, bool compacted)
{
	uint32_t size = 576, r[4];
	int i;

	for (i = 2; i < 63; i++) {
		if (!(xcr0 & (1ULL << i)))
			continue;
		host_cpuid(0xd, i, r);
		if (compacted)
			size = ((r[2] & 2) ? (size + 63) & ~63u : size) + r[0];
		else if (r[0] + r[1] > size)
			size = r[0] + r[1];
	}
	return size;
}

/* EBX of 0xD.0 with XCR0 1, after XCR0 = 3, after XCR0 = R8; then 0xD.1's. */
GUEST_CODE(g_xsave_sizes, ".code64\n"
			  " mov $1, %eax\n xor %edx, %edx\n xor %ecx, %ecx\n xsetbv\n"
			  " mov $0xd, %eax\n xor %ecx, %ecx\n cpuid\n mov %ebx, %eax\n"
			  " out %eax, $0x80\n"
			  " mov $3, %eax\n xor %edx, %edx\n xor %ecx, %ecx\n xsetbv\n"
			  " mov $0xd, %eax\n xor %ecx, %ecx\n cpuid\n mov %ebx, %eax\n"
			  " out %eax, $0x80\n"
			  " mov %r8d, %eax\n xor %edx, %edx\n xor %ecx, %ecx\n xsetbv\n"
			  " mov $0xd, %eax\n xor %ecx, %ecx\n cpuid\n mov %ebx, %eax\n"
			  " out %eax, $0x80\n"
			  " mov $0xd, %eax\n mov $1, %ecx\n cpuid\n mov %ebx, %eax\n"
			  " out %eax, $0x81\n hlt\n");

/*
 * A guest enabling fewer components than the host gets the smaller size a
 * CPU reports for that XCR0 (Linux checks it against its own sum, and a
 * mismatch turns XSAVE off), both formats computed from the host's layout.
 */
VM_TEST(exits_cpuid_xsave_size_follows_xcr0, 1 << 20)
{
	static const struct long_mode m = { .tables = 0x10000, .cr4_set = 0x40600 };
	uint64_t xcr0, full;
	vcpu_state_t s;
	uint32_t r[4];

	host_cpuid(1, 0, r);
	if (!(r[2] & (1u << 27)) || !(r[2] & (1u << 28)))
		return fail("the testbed CPU has no OSXSAVE/AVX");
	asm volatile("xgetbv" : "=a"(r[0]), "=d"(r[1]) : "c"(0));
	xcr0 = (uint64_t)r[1] << 32 | r[0];
	full = xcr0 & 0xe7; /* x87 SSE AVX AVX-512: what guests may enable */
	CHECK((full & 7) == 7);
	if (vm_load_long(c, &m, 0x1000, g_xsave_sizes_start, g_xsave_sizes_end))
		return 1;
	CHECK_OK(hax_get_regs(c->vcpu_fd, &s));
	s._regs[HAX_REG_R8] = full;
	CHECK_OK(hax_set_regs(c->vcpu_fd, &s));
	if (expect_out(c, 0x80, 4, 576) || expect_out(c, 0x80, 4, 576) ||
	    expect_out(c, 0x80, 4, xsave_size(full, false)) ||
	    expect_out(c, 0x81, 4, xsave_size(full, true)))
		return 1;
	/* With the host's own XCR0 the CPU's answer is the same. */
	if (xcr0 == full) {
		host_cpuid(0xd, 0, r);
		CHECK_EQ(xsave_size(full, false), r[1]);
	}
	printf("exits_cpuid_xsave_size_follows_xcr0: XCR0 0x%llx: %u bytes, compacted %u\n",
	       (unsigned long long)full, xsave_size(full, false), xsave_size(full, true));
	return expect_exit(c, HAX_EXIT_HLT);
}

/* ---- CR4 bits whose state haxm does not switch (PKE, CET, PKS) ------------ */

#define CR4_PKE (1u << 22)

/* MOV to CR4 of PKE, CET, PKS: each #GP(0), nothing set; then WRPKRU: #UD. */
GUEST_CODE(g_cr4_pke, ".code64\n"
		      " mov %cr4, %rbx\n"
		      " mov %rbx, %rax\n bts $22, %rax\n mov $3, %esi\n mov %rax, %cr4\n"
		      " mov %rbx, %rax\n bts $23, %rax\n mov $3, %esi\n mov %rax, %cr4\n"
		      " mov %rbx, %rax\n bts $24, %rax\n mov $3, %esi\n mov %rax, %cr4\n"
		      " mov %cr4, %rax\n out %eax, $0x82\n"
		      " xor %ecx, %ecx\n xor %edx, %edx\n xor %eax, %eax\n mov $3, %esi\n wrpkru\n"
		      " hlt\n");

static uint32_t host_rdpkru(void)
{
	uint32_t pkru, edx;

	asm volatile("rdpkru" : "=a"(pkru), "=d"(edx) : "c"(0));
	return pkru;
}

static void host_wrpkru(uint32_t pkru)
{
	asm volatile("wrpkru" ::"a"(pkru), "c"(0), "d"(0));
}

/*
 * The guest runs under the host thread's PKRU (XCR0 never has PKRU for
 * guests), so it must not be able to enable or change protection keys:
 * CR4.PKE (and CET, PKS: the host's IA32_S_CET/IA32_PKRS) stay clear. On a
 * host with PKU, the host's PKRU is the same after the guest ran.
 */
VM_TEST(exits_cr4_pke_refused_host_pkru_kept, 1 << 20)
{
	uint32_t r[4], pkru = 0;
	bool ospke;
	vcpu_state_t s;

	host_cpuid(7, 0, r);
	ospke = r[2] & (1u << 4);
	if (ospke) {
		pkru = host_rdpkru();
		host_wrpkru(0x55555554); /* every key but 0 access-disabled */
	}
	if (load_long_idt(c, g_cr4_pke_start, g_cr4_pke_end))
		return 1;
	CHECK_OK(hax_get_regs(c->vcpu_fd, &s));
	s._cr4 |= CR4_PKE;
	CHECK_ERRNO(hax_set_regs(c->vcpu_fd, &s), EINVAL);
	if (expect_out(c, 0x80, 1, 13) || expect_out(c, 0x81, 4, 0) || expect_out(c, 0x80, 1, 13) ||
	    expect_out(c, 0x81, 4, 0) || expect_out(c, 0x80, 1, 13) || expect_out(c, 0x81, 4, 0))
		return 1;
	if (expect_exit(c, HAX_EXIT_IO))
		return 1;
	CHECK_EQ(c->tunnel->io._port, 0x82);
	CHECK_EQ(*(uint32_t *)c->iobuf & (7u << 22), 0);
	if (expect_out(c, 0x80, 1, 6) || expect_exit(c, HAX_EXIT_HLT))
		return 1;
	printf("exits_cr4_pke_refused_host_pkru_kept: host %s PKU\n", ospke ? "with" : "without");
	if (ospke) {
		uint32_t after = host_rdpkru();

		host_wrpkru(pkru);
		CHECK_EQ(after, 0x55555554);
	}
	return 0;
}

/* ---- CR8 (TPR) and INVLPG in 64-bit mode ---------------------------------- */

/*
 * MOV to/from CR8 exit (CR8-load/store exiting): with the APIC disabled
 * (IA32_APIC_BASE.EN=0; enabled, CR8 is its TPR: t_kut.c) the value is
 * kept per vCPU, bits above 3 are #GP(0). INVLPG needs no exit with EPT:
 * after the guest remaps linear 2 MiB from physical 2 MiB to 4 MiB and
 * invalidates it, the new page is seen.
 */
GUEST_CODE(g_cr8_invlpg, ".code64\n"
			 " mov $0x1b, %ecx\n rdmsr\n and $~0x800, %eax\n wrmsr\n"
			 " mov $5, %eax\n mov %rax, %cr8\n mov %cr8, %rbx\n mov %ebx, %eax\n"
			 " out %eax, $0x83\n"
			 " mov $0x10, %eax\n mov $4, %esi\n mov %rax, %cr8\n"
			 " mov %cr8, %rax\n out %eax, $0x83\n"
			 " mov $0x200000, %ebx\n mov (%rbx), %eax\n out %eax, $0x84\n"
			 " movq $0x400083, 0x12008\n invlpg (%rbx)\n"
			 " mov (%rbx), %eax\n out %eax, $0x84\n hlt\n");

VM_TEST(exits_cr8_and_invlpg, 8 << 20)
{
	if (load_long_idt(c, g_cr8_invlpg_start, g_cr8_invlpg_end))
		return 1;
	/* PD at 0x12000 (PML4 0x10000, PDPT 0x11000): entry 1 maps 2 MiB. */
	CHECK_EQ(*(uint64_t *)(c->ram + 0x12008), 0x200083);
	memcpy(c->ram + 0x200000, "AAAA", 4);
	memcpy(c->ram + 0x400000, "BBBB", 4);
	if (expect_out(c, 0x83, 4, 5) || expect_out(c, 0x80, 1, 13) || expect_out(c, 0x81, 4, 0) ||
	    expect_out(c, 0x83, 4, 5))
		return 1;
	if (expect_out(c, 0x84, 4, 0x41414141) || expect_out(c, 0x84, 4, 0x42424242))
		return 1;
	return expect_exit(c, HAX_EXIT_HLT);
}
