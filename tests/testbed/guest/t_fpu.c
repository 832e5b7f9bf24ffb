// SPDX-License-Identifier: GPL-2.0
/*
 * Guest FPU/XSAVE state: XSETBV and XCR0, SET_FPU/GET_FPU, and the whole
 * extended state (x87, SSE, AVX, AVX-512) surviving exits, host threads
 * using AVX on the same CPU, and migration between CPUs.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <linux/kvm.h>
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"

#define FPU_TABLES     0x4000  /* PML4, PDPT, PD */
#define FPU_IN	       0x20000 /* what the guest loads */
#define FPU_OUT	       0x30000 /* what the guest stores */
#define CR4_OSFXSR     (1u << 9)
#define CR4_OSXMMEXCPT (1u << 10)
#define CR4_OSXSAVE    (1u << 18)

static uint64_t host_xgetbv(void)
{
	uint32_t a, d;

	asm volatile("xgetbv" : "=a"(a), "=d"(d) : "c"(0));
	return (uint64_t)d << 32 | a;
}

/* The host's XCR0, 0 unless it has XSAVE and AVX enabled. */
static uint64_t host_xcr0_avx(void)
{
	uint32_t a, b, c, d;

	asm volatile("cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(d) : "a"(1), "c"(0));
	if (!(c & (1u << 27)) || !(c & (1u << 28)))
		return 0;
	return (host_xgetbv() & 6) == 6 ? host_xgetbv() : 0;
}

/*
 * A 64-bit vCPU at @gpa running [start, end), the first 1 GiB identity
 * mapped by 2 MiB pages, CR4.OSFXSR/OSXMMEXCPT/OSXSAVE set, XCR0 at reset.
 * IF=1: host interrupts exit the guest (nothing is injected into it).
 */
static int fpu_load_long(struct vm_ctx *c, uint64_t gpa, const uint8_t *start, const uint8_t *end)
{
	static const struct long_mode m = {
		.tables = FPU_TABLES,
		.cr0_set = 2, /* MP */
		.cr4_set = CR4_OSFXSR | CR4_OSXMMEXCPT | CR4_OSXSAVE,
		.rflags = 0x202,
	};

	return vm_load_long(c, &m, gpa, start, end);
}

static int set_gprs(struct vm_ctx *c, uint64_t rax, uint64_t rsi, uint64_t rdi, uint64_t rbp)
{
	vcpu_state_t s;

	CHECK_OK(hax_get_regs(c->vcpu_fd, &s));
	s._regs[HAX_REG_RAX] = rax;
	s._regs[HAX_REG_RSI] = rsi;
	s._regs[HAX_REG_RDI] = rdi;
	s._regs[HAX_REG_RBP] = rbp;
	CHECK_OK(hax_set_regs(c->vcpu_fd, &s));
	return 0;
}

/*
 * Load ymm0-15 from @in, make system call @nr, store ymm0-15 to @out: what
 * a thread holds in its AVX registers across the call.
 */
static long ymm_syscall(const uint8_t (*in)[32], uint8_t (*out)[32], long nr, long a0, long a1)
{
	long ret;

	asm volatile(".irp i,0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15\n"
		     "vmovdqu \\i*32(%[in]), %%ymm\\i\n"
		     ".endr\n"
		     "syscall\n"
		     ".irp i,0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15\n"
		     "vmovdqu %%ymm\\i, \\i*32(%[out])\n"
		     ".endr\n"
		     : "=a"(ret)
		     : "a"(nr), "D"(a0), "S"(a1), "d"(0), [in] "r"(in), [out] "r"(out)
		     : "rcx", "r11", "memory", "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5",
		       "xmm6", "xmm7", "xmm8", "xmm9", "xmm10", "xmm11", "xmm12", "xmm13", "xmm14",
		       "xmm15");
	return ret;
}

/* ---- XSETBV ---------------------------------------------------------------- */

/*
 * Real mode, CR4.OSXSAVE set by the host. For each {ecx, edx, eax} at 0x2000
 * (count at 0x1ffc): XSETBV, then XGETBV and OUT the low half to port 0x80.
 * The #GP handler (IVT vector 13) OUTs 0xd to port 0x81 and skips the
 * 3-byte XSETBV.
 */
GUEST_CODE(g_xsetbv, ".code16\n"
		     "xor %ax, %ax\n mov %ax, %ds\n mov %ax, %ss\n"
		     "movw $9f - g_xsetbv_start + 0x1000, 13*4\n movw $0, 13*4+2\n"
		     "mov $0x2000, %si\n mov 0x1ffc, %di\n"
		     "1: mov 0(%si), %ecx\n mov 4(%si), %edx\n mov 8(%si), %eax\n"
		     "xsetbv\n"
		     "xor %ecx, %ecx\n xgetbv\n out %eax, $0x80\n"
		     "add $12, %si\n dec %di\n jnz 1b\n"
		     "hlt\n"
		     "9: push %bp\n mov %sp, %bp\n addw $3, 2(%bp)\n pop %bp\n"
		     "mov $0xd, %al\n out %al, $0x81\n iret\n");

GUEST_CODE(g_xgetbv, ".code16\n xor %ecx, %ecx\n xgetbv\n out %eax, $0x80\n hlt\n");

VM_TEST(fpu_xsetbv_validates_xcr0, 1 << 20)
{
	uint64_t host = host_xcr0_avx(), avx512 = (host & 0xe0) == 0xe0 ? 0xe7 : 0;
	struct {
		uint32_t ecx, edx, eax;
		int gp;
	} cases[] = {
		{ 0, 0, 3, 0 },		 /* x87 + SSE */
		{ 0, 0, 0, 1 },		 /* no x87 */
		{ 0, 0, 2, 1 },		 /* SSE without x87 */
		{ 0, 0, 5, 1 },		 /* AVX without SSE */
		{ 0, 0, 7, 0 },		 /* x87 + SSE + AVX */
		{ 0, 0, 0x27, 1 },	 /* part of AVX-512 */
		{ 0, 0, 0xe3, 1 },	 /* AVX-512 without AVX */
		{ 0, 0, 0xe7, !avx512 }, /* all of AVX-512, where the CPU has it */
		{ 0, 0, 0x207, 1 },	 /* PKRU: never the guest's */
		{ 0, 0, 0x1f, 1 },	 /* MPX: never the guest's */
		{ 0, 1, 7, 1 },		 /* bits 63:32 */
		{ 1, 0, 7, 1 },		 /* XCR1 */
		{ 0, 0, 1, 0 },		 /* back to x87 only */
	};
	uint32_t n = sizeof(cases) / sizeof(cases[0]), xcr0 = 1, i;
	struct hax_vcpu_full_state *full;
	vcpu_state_t s;

	CHECK(host);
	*(uint32_t *)(c->ram + 0x1ffc) = n;
	for (i = 0; i < n; i++)
		memcpy(c->ram + 0x2000 + 12 * i, &cases[i], 12);
	if (vm_load_real(c, 0x1000, g_xsetbv_start, g_xsetbv_end))
		return 1;
	CHECK_OK(hax_get_regs(c->vcpu_fd, &s));
	s._cr4 |= CR4_OSXSAVE;
	CHECK_OK(hax_set_regs(c->vcpu_fd, &s));
	for (i = 0; i < n; i++) {
		if (cases[i].gp && expect_out(c, 0x81, 1, 0xd))
			return fail("case %u (xcr%u = 0x%x%08x): %s", i, cases[i].ecx, cases[i].edx,
				    cases[i].eax, "no #GP");
		if (!cases[i].gp)
			xcr0 = cases[i].eax;
		if (expect_out(c, 0x80, 4, xcr0))
			return fail("case %u: XCR0 is not 0x%x", i, xcr0);
		/* The host's XCR0 is back after every exit. */
		CHECK_EQ(host_xgetbv(), host);
	}
	if (expect_exit(c, HAX_EXIT_HLT))
		return 1;
	/*
	 * A state without CR4.OSXSAVE (a reset) resets XCR0 to x87 only; a state
	 * with it loaded next (QEMU's loadvm: reset, then the snapshot's
	 * registers) gets back the XCR0 of before the reset.
	 */
	*(uint32_t *)(c->ram + 0x1ffc) = 1;
	memcpy(c->ram + 0x2000, &cases[4], 12); /* set 7 */
	if (vm_load_real(c, 0x1000, g_xsetbv_start, g_xsetbv_end))
		return 1;
	CHECK_OK(hax_get_regs(c->vcpu_fd, &s));
	s._cr4 |= CR4_OSXSAVE;
	CHECK_OK(hax_set_regs(c->vcpu_fd, &s));
	if (expect_out(c, 0x80, 4, 7) || expect_exit(c, HAX_EXIT_HLT))
		return 1;
	s._cr4 &= ~CR4_OSXSAVE;
	CHECK_OK(hax_set_regs(c->vcpu_fd, &s));
	full = malloc(sizeof(*full));
	CHECK(full);
	full->size = sizeof(*full);
	full->version = HAX_VCPU_STATE_VERSION;
	i = hax_get_state(c->vcpu_fd, full) ? 0 : (uint32_t)full->xcr0;
	free(full);
	CHECK_EQ(i, 1);
	if (vm_load_real(c, 0x1800, g_xgetbv_start, g_xgetbv_end))
		return 1;
	CHECK_OK(hax_get_regs(c->vcpu_fd, &s));
	s._cr4 |= CR4_OSXSAVE;
	CHECK_OK(hax_set_regs(c->vcpu_fd, &s));
	return expect_out(c, 0x80, 4, 7) || expect_exit(c, HAX_EXIT_HLT);
}

/* ---- the whole extended state across exits, preemption and migration ---- */

/*
 * RAX: XCR0 to set; RSI bit 0: AVX-512 too; RDI: rounds; RBP: spin loops
 * per round. Loads ymm0-15, st0-7, MXCSR (and zmm16-31, k1-7) from FPU_IN;
 * each round spins, stores them all to FPU_OUT (st0..st7, then reloaded),
 * and OUTs the round number to port 0x80. Halts after the last round.
 */
GUEST_CODE(g_avx, ".code64\n"
		  "xor %ecx, %ecx\n xor %edx, %edx\n xsetbv\n"
		  "mov $0x20000, %rbx\n"
		  ".irp i,0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15\n"
		  "vmovdqu \\i*32(%rbx), %ymm\\i\n .endr\n"
		  "fninit\n"
		  ".irp i,7,6,5,4,3,2,1,0\n fldl 0x200+\\i*8(%rbx)\n .endr\n"
		  "ldmxcsr 0x240(%rbx)\n"
		  "test $1, %rsi\n jz 1f\n"
		  ".irp i,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31\n"
		  "vmovdqu64 0x1000+(\\i-16)*64(%rbx), %zmm\\i\n .endr\n"
		  ".irp i,1,2,3,4,5,6,7\n kmovw 0x1400+\\i*2(%rbx), %k\\i\n .endr\n"
		  "1: mov %rdi, %r15\n"
		  "2: mov %rbp, %rcx\n"
		  "3: dec %rcx\n jnz 3b\n"
		  "mov $0x30000, %rbx\n"
		  ".irp i,0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15\n"
		  "vmovdqu %ymm\\i, \\i*32(%rbx)\n .endr\n"
		  ".irp i,0,1,2,3,4,5,6,7\n fstpl 0x200+\\i*8(%rbx)\n .endr\n"
		  ".irp i,7,6,5,4,3,2,1,0\n fldl 0x200+\\i*8(%rbx)\n .endr\n"
		  "stmxcsr 0x240(%rbx)\n"
		  "test $1, %rsi\n jz 4f\n"
		  ".irp i,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31\n"
		  "vmovdqu64 %zmm\\i, 0x1000+(\\i-16)*64(%rbx)\n .endr\n"
		  ".irp i,1,2,3,4,5,6,7\n kmovw %k\\i, 0x1400+\\i*2(%rbx)\n .endr\n"
		  "4: mov %r15, %rax\n out %eax, $0x80\n"
		  "dec %r15\n jnz 2b\n"
		  "hlt\n");

/* What the guest stored equals what it loaded; then clear it for the next round. */
static int avx_check(uint8_t *in, uint8_t *out, bool avx512, int round)
{
	if (memcmp(out, in, 16 * 32))
		return fail("round %d: ymm0-15 differ", round);
	if (memcmp(out + 0x200, in + 0x200, 8 * 8))
		return fail("round %d: st0-7 differ", round);
	if (*(uint32_t *)(out + 0x240) != 0x3f80)
		return fail("round %d: MXCSR 0x%x", round, *(uint32_t *)(out + 0x240));
	if (avx512 && memcmp(out + 0x1000, in + 0x1000, 16 * 64))
		return fail("round %d: zmm16-31 differ", round);
	if (avx512 && memcmp(out + 0x1402, in + 0x1402, 14))
		return fail("round %d: k1-7 differ", round);
	memset(out, 0, 0x1500);
	return 0;
}

#define MAX_CPUS 8

/* A host thread pinned to one CPU that keeps its own values in ymm0-15. */
struct hammer {
	pthread_t th;
	int cpu;
	volatile int stop;
	volatile unsigned long rounds, bad;
};

static void *hammer_run(void *arg)
{
	struct hammer *h = arg;
	struct timespec ts = { 0, 300 * 1000 };
	uint8_t in[16][32], out[16][32];
	cpu_set_t set;
	int i;

	CPU_ZERO(&set);
	CPU_SET(h->cpu, &set);
	sched_setaffinity(0, sizeof(set), &set);
	while (!h->stop) {
		for (i = 0; i < 16 * 32; i++)
			in[i / 32][i % 32] = (uint8_t)(0xa0 + h->cpu * 7 + h->rounds + i);
		/* Sleep briefly: the wakeup preempts the vCPU thread if it runs here. */
		ymm_syscall(in, out, SYS_nanosleep, (long)&ts, 0);
		if (memcmp(in, out, sizeof(in)))
			h->bad++;
		h->rounds++;
	}
	return NULL;
}

#define AVX_ROUNDS 12
#define AVX_SPIN   1500000

static int avx_body(struct vm_ctx *c, struct hammer *hm, int ncpu)
{
	uint64_t host = host_xcr0_avx(), xcr0 = host & 0xe7;
	bool avx512 = (xcr0 & 0xe0) == 0xe0;
	uint8_t *in = c->ram + FPU_IN, *out = c->ram + FPU_OUT;
	uint8_t mine[16][32], after[16][32];
	int i, preempted = 0;

	for (i = 0; i < 0x1500; i++)
		in[i] = (uint8_t)(i * 13 + 5);
	for (i = 0; i < 8; i++)
		((double *)(in + 0x200))[i] = 1.5 + i * 1.25; /* st(i) */
	*(uint32_t *)(in + 0x240) = 0x3f80; /* round toward zero, exceptions masked */
	memset(out, 0, 0x1500);
	if (fpu_load_long(c, 0x1000, g_avx_start, g_avx_end) ||
	    set_gprs(c, xcr0, avx512, AVX_ROUNDS, AVX_SPIN))
		return 1;
	for (i = 0; i < 16 * 32; i++)
		mine[i / 32][i % 32] = (uint8_t)(0x31 * i + 7);
	for (i = AVX_ROUNDS; i > 0; i--) {
		int cpu = i % ncpu;
		unsigned long before;
		long r;

		/* The vCPU thread moves between CPUs while the guest's state is live. */
		if (pin_to(cpu))
			return 1;
		before = hm[cpu].rounds;
		r = ymm_syscall(mine, after, SYS_ioctl, c->vcpu_fd, HAX_VCPU_IOCTL_RUN);
		CHECK_EQ(r, 0);
		preempted += hm[cpu].rounds != before;
		/* The host thread's own registers are untouched by the guest's. */
		if (memcmp(mine, after, sizeof(mine)))
			return fail("the vCPU thread's ymm registers changed across RUN");
		CHECK_EQ(c->tunnel->_exit_status, HAX_EXIT_IO);
		CHECK_EQ(*(uint32_t *)c->iobuf, (uint32_t)i);
		if (avx_check(in, out, avx512, i))
			return 1;
		CHECK_EQ(host_xgetbv(), host);
	}
	if (expect_exit(c, HAX_EXIT_HLT))
		return 1;
	for (i = 0; i < ncpu; i++)
		CHECK_EQ(hm[i].bad, 0);
	/* The other thread ran on the vCPU's CPU during RUNs: the guest was switched out. */
	CHECK(preempted > 0);
	return 0;
}

VM_TEST(fpu_avx_state_survives_exits_preemption_migration, 1 << 20)
{
	struct hammer hm[MAX_CPUS] = { 0 };
	int ncpu = sysconf(_SC_NPROCESSORS_ONLN), i, r;
	cpu_set_t all;

	CHECK(host_xcr0_avx());
	if (ncpu > MAX_CPUS)
		ncpu = MAX_CPUS;
	sched_getaffinity(0, sizeof(all), &all);
	for (i = 0; i < ncpu; i++) {
		hm[i].cpu = i;
		CHECK(pthread_create(&hm[i].th, NULL, hammer_run, &hm[i]) == 0);
	}
	r = avx_body(c, hm, ncpu);
	for (i = 0; i < ncpu; i++) {
		hm[i].stop = 1;
		pthread_join(hm[i].th, NULL);
	}
	sched_setaffinity(0, sizeof(all), &all);
	return r;
}

/* ---- SET_FPU / GET_FPU ----------------------------------------------------- */

/*
 * Stores xmm0-15, FCW, MXCSR and st0 (80-bit) to FPU_OUT, loads xmm0-15,
 * st0 and MXCSR from FPU_IN, OUTs; then (XCR0 = 7) fills ymm0 from
 * FPU_IN + 0x200, OUTs, stores ymm0 to FPU_OUT + 0x200 and halts.
 */
GUEST_CODE(g_fxrw, ".code64\n"
		   "mov $0x30000, %rbx\n"
		   ".irp i,0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15\n"
		   "movdqu %xmm\\i, \\i*16(%rbx)\n .endr\n"
		   "fnstcw 0x100(%rbx)\n stmxcsr 0x104(%rbx)\n fstpt 0x110(%rbx)\n"
		   "mov $0x20000, %rbx\n"
		   ".irp i,0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15\n"
		   "movdqu \\i*16(%rbx), %xmm\\i\n .endr\n"
		   "fninit\n fldt 0x110(%rbx)\n ldmxcsr 0x104(%rbx)\n"
		   "out %al, $0x80\n"
		   "xor %ecx, %ecx\n xor %edx, %edx\n mov $7, %eax\n xsetbv\n"
		   "vmovdqu 0x200(%rbx), %ymm0\n"
		   "out %al, $0x81\n"
		   "vmovdqu %ymm0, 0x30200\n"
		   "hlt\n");

static void fill(uint8_t *p, int n, int seed)
{
	int i;

	for (i = 0; i < n; i++)
		p[i] = (uint8_t)(seed + i * 3);
}

VM_TEST(fpu_set_get_round_trip, 1 << 20)
{
	uint8_t *in = c->ram + FPU_IN, *out = c->ram + FPU_OUT;
	struct fx_layout fx, back;
	/* 80-bit extended: 1.0 and -2.5 */
	static const uint8_t one[10] = { 0, 0, 0, 0, 0, 0, 0, 0x80, 0xff, 0x3f };
	static const uint8_t m2_5[10] = { 0, 0, 0, 0, 0, 0, 0, 0xa0, 0x00, 0xc0 };
	int i;

	/* A new vCPU has the reset state (SDM 10.1, FNINIT values, MXCSR 1F80H). */
	CHECK_OK(hax_get_fpu(c->vcpu_fd, &fx));
	CHECK_EQ(fx.fcw, 0x37f);
	CHECK_EQ(fx.fsw, 0);
	CHECK_EQ(fx.ftw, 0);
	CHECK_EQ(fx.mxcsr, 0x1f80);
	CHECK(fx.mxcsr_mask & 0xffbf);
	/* MXCSR bits outside MXCSR_MASK are refused and change nothing. */
	fx.mxcsr = ~fx.mxcsr_mask;
	CHECK_ERRNO(hax_set_fpu(c->vcpu_fd, &fx), EINVAL);
	CHECK_OK(hax_get_fpu(c->vcpu_fd, &back));
	CHECK_EQ(back.mxcsr, 0x1f80);

	/* What SET_FPU puts in, GET_FPU gives back and the guest sees. */
	memset(&fx, 0, sizeof(fx));
	fx.fcw = 0x27f;
	fx.mxcsr = 0x3f80;
	fx.ftw = 0x80;	  /* st0 (physical register 7 with TOP=0... see below) in use */
	fx.fsw = 7 << 11; /* TOP = 7: st0 is physical register 7 */
	memcpy(fx.st_mm[0], one, 10);
	fill(&fx.mmx_1[0][0], 128, 0x11);
	fill(&fx.mmx_2[0][0], 128, 0x91);
	CHECK_OK(hax_set_fpu(c->vcpu_fd, &fx));
	CHECK_OK(hax_get_fpu(c->vcpu_fd, &back));
	CHECK_EQ(back.fcw, 0x27f);
	CHECK_EQ(back.fsw, 7 << 11);
	CHECK_EQ(back.ftw, 0x80);
	CHECK_EQ(back.mxcsr, 0x3f80);
	CHECK_EQ(memcmp(back.st_mm[0], one, 10), 0);
	CHECK_EQ(memcmp(back.mmx_1, fx.mmx_1, 256), 0);

	fill(in, 256, 0x55);
	memcpy(in + 0x110, m2_5, 10);
	*(uint32_t *)(in + 0x104) = 0x5f80;
	fill(in + 0x200, 32, 0x77);
	if (fpu_load_long(c, 0x1000, g_fxrw_start, g_fxrw_end) || expect_out(c, 0x80, 1, 0))
		return 1;
	CHECK_EQ(memcmp(out, fx.mmx_1, 256), 0);
	CHECK_EQ(*(uint16_t *)(out + 0x100), 0x27f);
	CHECK_EQ(*(uint32_t *)(out + 0x104), 0x3f80);
	CHECK_EQ(memcmp(out + 0x110, one, 10), 0);
	/* And what the guest loaded comes out of GET_FPU. */
	CHECK_OK(hax_get_fpu(c->vcpu_fd, &back));
	CHECK_EQ(memcmp(back.mmx_1, in, 256), 0);
	CHECK_EQ(back.mxcsr, 0x5f80);
	CHECK_EQ(memcmp(back.st_mm[0], m2_5, 10), 0);

	/*
	 * HAXM kept only the FXSAVE image and lost the AVX upper halves: a
	 * GET_FPU/SET_FPU round trip (QEMU does one per register sync) that
	 * changes xmm0 keeps the upper half of ymm0.
	 */
	if (expect_out(c, 0x81, 1, 7))
		return 1;
	CHECK_OK(hax_get_fpu(c->vcpu_fd, &fx));
	CHECK_EQ(memcmp(fx.mmx_1[0], in + 0x200, 16), 0);
	for (i = 0; i < 16; i++)
		fx.mmx_1[0][i] ^= 0xff;
	CHECK_OK(hax_set_fpu(c->vcpu_fd, &fx));
	if (expect_exit(c, HAX_EXIT_HLT))
		return 1;
	CHECK_EQ(memcmp(out + 0x200, fx.mmx_1[0], 16), 0);
	CHECK_EQ(memcmp(out + 0x210, in + 0x210, 16), 0);
	return 0;
}

/* ---- the same round trip through kvm_intel's KVM_SET_FPU/KVM_GET_FPU ------- */

/* kvm_intel's answers for a new vCPU, then after setting @in (fields as fx_layout). */
static int kvm_fpu_round_trip(struct kvm_fpu *fresh, const struct kvm_fpu *in, struct kvm_fpu *back)
{
	int kvm, vm = -1, vcpu = -1, r = 0;

	kvm = open("/dev/kvm", O_RDWR);
	if (kvm < 0)
		return fail("/dev/kvm: %s (kvm_intel not loaded?)", strerror(errno));
	if ((vm = ioctl(kvm, KVM_CREATE_VM, 0)) < 0 || (vcpu = ioctl(vm, KVM_CREATE_VCPU, 0)) < 0 ||
	    ioctl(vcpu, KVM_GET_FPU, fresh) || ioctl(vcpu, KVM_SET_FPU, in) ||
	    ioctl(vcpu, KVM_GET_FPU, back))
		r = fail("KVM: %s", strerror(errno));
	if (vcpu >= 0)
		close(vcpu);
	if (vm >= 0)
		close(vm);
	close(kvm);
	return r;
}

/* The FXSAVE fields of @fx and @k agree (KVM_GET/SET_FPU do not carry MXCSR). */
static int fx_equals_kvm(const struct fx_layout *fx, const struct kvm_fpu *k)
{
	int i;

	CHECK_EQ(fx->fcw, k->fcw);
	CHECK_EQ(fx->fsw, k->fsw);
	CHECK_EQ(fx->ftw, k->ftwx);
	CHECK_EQ(fx->fop, k->last_opcode);
	CHECK_EQ(fx->fpu_ip, k->last_ip);
	CHECK_EQ(fx->fpu_dp, k->last_dp);
	for (i = 0; i < 8; i++)
		CHECK_EQ(memcmp(fx->st_mm[i], k->fpr[i], 10), 0);
	CHECK_EQ(memcmp(fx->mmx_1, k->xmm[0], 128), 0);
	CHECK_EQ(memcmp(fx->mmx_2, k->xmm[8], 128), 0);
	return 0;
}

/* Runs before any haxm VM of the test exists: KVM needs VMX free. */
TEST(fpu_set_get_matches_kvm)
{
	static const uint8_t one[10] = { 0, 0, 0, 0, 0, 0, 0, 0x80, 0xff, 0x3f };
	struct kvm_fpu kin = { 0 }, kfresh, kback;
	struct fx_layout fx = { 0 }, back;
	struct vm_ctx ctx;
	int r;

	kin.fcw = fx.fcw = 0x27f;
	kin.fsw = fx.fsw = 7 << 11;
	kin.ftwx = fx.ftw = 0x80;
	kin.last_opcode = fx.fop = 0x1d9;
	kin.last_ip = fx.fpu_ip = 0x1234;
	kin.last_dp = fx.fpu_dp = 0x5678;
	kin.mxcsr = fx.mxcsr = 0x3f80;
	memcpy(kin.fpr[0], one, 10);
	memcpy(fx.st_mm[0], one, 10);
	fill(&kin.xmm[0][0], 256, 0x21);
	fill(&fx.mmx_1[0][0], 256, 0x21);
	if (kvm_fpu_round_trip(&kfresh, &kin, &kback))
		return 1;
	r = vm_setup(&ctx, 1 << 20);
	if (!r && hax_get_fpu(ctx.vcpu_fd, &back))
		r = fail("GET_FPU: %s", strerror(errno));
	/*
	 * A new vCPU: the same reset state as kvm_intel's. KVM_GET_FPU leaves
	 * MXCSR 0 (6.1 does not copy it); haxm has the reset value 1F80H (SDM
	 * Table 10-1).
	 */
	if (!r)
		r = fx_equals_kvm(&back, &kfresh);
	if (!r && back.mxcsr != 0x1f80)
		r = fail("MXCSR 0x%x after reset", back.mxcsr);
	if (!r && (hax_set_fpu(ctx.vcpu_fd, &fx) || hax_get_fpu(ctx.vcpu_fd, &back)))
		r = fail("SET/GET_FPU: %s", strerror(errno));
	/* The same values back as kvm_intel gives. */
	if (!r)
		r = fx_equals_kvm(&back, &kback);
	if (!r && back.mxcsr != 0x3f80)
		r = fail("MXCSR 0x%x after SET_FPU", back.mxcsr);
	vm_teardown(&ctx);
	return r;
}
