// SPDX-License-Identifier: GPL-2.0
/*
 * Guest torture: random code in every CPU mode (real, 16- and 32-bit
 * protected, PAE, long mode), some of it started from a state broken on
 * purpose through SET_REGS, with a working, a missing or an unreachable IDT.
 * Every run must end in a defined way — HLT (the exception handlers halt),
 * STATECHANGE (triple fault, invalid state), or still running when the timer
 * cuts it off (a signal: an INTERRUPT exit) — with IO and MMIO exits answered
 * on the way. RUN never fails, and the VM never dies (EIO).
 *
 * HAXM_TORTURE_RUNS sets the number of runs (default 300; `make torture` runs
 * 10 000), HAXM_TORTURE_SEED the first seed; a failure names the run's seed.
 */
#include <stdlib.h>

#include "harness.h"

#define T_RAM		    (4u << 20)
#define T_HANDLER	    0x600 /* hlt; jmp back: every exception handler */
#define T_GDT		    0x1000
#define T_IDT32		    0x2000
#define T_IDT64		    0x3000
#define T_TSS		    0x4000
#define T_PML4		    0x10000 /* -> PDPT 0x11000 -> PD 0x12000 (2 MiB pages) */
#define T_PAE_PDPT	    0x13000
#define T_CODE		    0x20000 /* 64 KiB of code */
#define T_CODE_LEN	    0x10000
#define T_RUNS_PER_VM	    50
#define T_MAX_RUNS_PER_CASE 48

enum t_mode { M_REAL, M_PROT16, M_PROT32, M_PAE, M_LONG, M_NR };
static const char *const mode_names[M_NR] = { "real", "prot16", "prot32", "pae", "long" };

struct t_stats {
	unsigned long hlt, statechange, cut_off, io, mmio, set_regs_refused, broken_idt;
};

static uint64_t t_rng;

static uint64_t t_rand(void)
{
	t_rng ^= t_rng << 13;
	t_rng ^= t_rng >> 7;
	t_rng ^= t_rng << 17;
	return t_rng;
}

/* Instructions worth more than their share of random bytes. */
static const struct {
	uint8_t len, b[8];
} snippets[] = {
	{ 1, { 0xfa } },		   /* cli */
	{ 1, { 0xfb } },		   /* sti */
	{ 1, { 0xf4 } },		   /* hlt */
	{ 1, { 0xcc } },		   /* int3 */
	{ 2, { 0xcd, 0x80 } },		   /* int 0x80 */
	{ 2, { 0x0f, 0x0b } },		   /* ud2 */
	{ 1, { 0xcf } },		   /* iret */
	{ 3, { 0x0f, 0x22, 0xc0 } },	   /* mov %eax, %cr0 */
	{ 3, { 0x0f, 0x22, 0xd8 } },	   /* mov %eax, %cr3 */
	{ 3, { 0x0f, 0x22, 0xe0 } },	   /* mov %eax, %cr4 */
	{ 3, { 0x0f, 0x20, 0xc0 } },	   /* mov %cr0, %eax */
	{ 2, { 0x0f, 0x30 } },		   /* wrmsr */
	{ 2, { 0x0f, 0x32 } },		   /* rdmsr */
	{ 2, { 0x0f, 0xa2 } },		   /* cpuid */
	{ 2, { 0x0f, 0x31 } },		   /* rdtsc */
	{ 2, { 0x0f, 0x33 } },		   /* rdpmc */
	{ 2, { 0xe6, 0x80 } },		   /* out %al, $0x80 */
	{ 2, { 0xe5, 0x71 } },		   /* in $0x71, %eax */
	{ 2, { 0xf3, 0x6c } },		   /* rep insb */
	{ 2, { 0xf3, 0x6f } },		   /* rep outsw/d */
	{ 3, { 0x0f, 0x01, 0x10 } },	   /* lgdt (%eax) */
	{ 3, { 0x0f, 0x01, 0x18 } },	   /* lidt (%eax) */
	{ 2, { 0x8e, 0xd0 } },		   /* mov %ax, %ss */
	{ 2, { 0x8e, 0xd8 } },		   /* mov %ax, %ds */
	{ 2, { 0x9c, 0x9d } },		   /* pushf; popf */
	{ 3, { 0x0f, 0x01, 0xd1 } },	   /* xsetbv */
	{ 3, { 0x0f, 0x01, 0xc1 } },	   /* vmcall */
	{ 3, { 0x0f, 0x01, 0xc2 } },	   /* vmlaunch */
	{ 2, { 0x0f, 0x08 } },		   /* invd */
	{ 2, { 0x0f, 0x09 } },		   /* wbinvd */
	{ 3, { 0x0f, 0x23, 0xf8 } },	   /* mov %eax, %dr7 */
	{ 3, { 0x0f, 0x21, 0xf0 } },	   /* mov %dr6, %eax */
	{ 2, { 0xf7, 0xf1 } },		   /* div %ecx */
	{ 1, { 0xcb } },		   /* lret */
	{ 2, { 0x0f, 0x05 } },		   /* syscall */
	{ 2, { 0x0f, 0x34 } },		   /* sysenter */
	{ 2, { 0xf3, 0xa5 } },		   /* rep movs */
	{ 2, { 0xf3, 0x90 } },		   /* pause */
	{ 3, { 0x0f, 0x01, 0xc8 } },	   /* monitor */
	{ 3, { 0x0f, 0x01, 0xc9 } },	   /* mwait */
	{ 3, { 0x0f, 0x01, 0xf8 } },	   /* swapgs */
	{ 2, { 0xeb, 0xfe } },		   /* jmp . */
	{ 5, { 0xb8, 0x00, 0x00, 0x40 } }, /* mov $0x400000, %eax: just past RAM */
	{ 2, { 0x8b, 0x00 } },		   /* mov (%eax), %eax */
	{ 2, { 0x89, 0x00 } },		   /* mov %eax, (%eax) */
	{ 2, { 0x87, 0x00 } },		   /* xchg %eax, (%eax) */
	{ 3, { 0x0f, 0xae, 0x00 } },	   /* fxsave (%eax) */
	{ 2, { 0x0f, 0x01 } },		   /* group 7 with whatever follows */
};

static void gen_code(uint8_t *code)
{
	size_t i = 0;

	for (i = 0; i < T_CODE_LEN; i++)
		code[i] = i < 0x2000 ? t_rand() : 0;
	for (i = 0; i < 0x1000;) {
		if (t_rand() % 5 < 2) {
			unsigned int k = t_rand() % (sizeof(snippets) / sizeof(snippets[0]));

			memcpy(code + i, snippets[k].b, snippets[k].len);
			i += snippets[k].len;
		} else {
			i += 1 + t_rand() % 6; /* leave random bytes */
		}
	}
}

static void set_seg(segment_desc_t *s, uint16_t sel, uint64_t base, uint32_t limit, uint32_t ar)
{
	s->selector = sel;
	s->base = base;
	s->limit = limit;
	s->ar = ar;
}

/* GDT, IDTs, TSS, page tables and the handler: rebuilt before every run. */
static void build_tables(uint8_t *ram, bool broken_idt)
{
	static const uint64_t gdt[] = {
		0,
		0x00cf9b000000ffffull, /* 0x08 code32 */
		0x00cf93000000ffffull, /* 0x10 data32 */
		0x00af9b000000ffffull, /* 0x18 code64 */
		0x00009b000000ffffull, /* 0x20 code16 */
		0x000093000000ffffull, /* 0x28 data16 */
		0x00008b0040000067ull, /* 0x30 busy TSS at T_TSS */
		0,		       /* 0x38 its upper half in long mode */
	};
	uint64_t *pml4 = (uint64_t *)(ram + T_PML4), *pae = (uint64_t *)(ram + T_PAE_PDPT);
	uint32_t *ivt = (uint32_t *)ram;
	uint64_t *idt32 = (uint64_t *)(ram + T_IDT32), *idt64 = (uint64_t *)(ram + T_IDT64);
	int i;

	memset(ram, 0, T_CODE);
	ram[T_HANDLER] = 0xf4;				      /* hlt */
	ram[T_HANDLER + 1] = 0xeb, ram[T_HANDLER + 2] = 0xfd; /* jmp back to it */
	memcpy(ram + T_GDT, gdt, sizeof(gdt));
	for (i = 0; i < 256; i++) {
		ivt[i] = (T_HANDLER >> 4) << 16;
		/* 32-bit interrupt gates to 0x08:handler (16-bit ones to 0x20 in prot16) */
		idt32[i] = (T_HANDLER & 0xffff) | (0x08u << 16) | (0x8e00ull << 32);
		idt64[2 * i] = (T_HANDLER & 0xffff) | (0x18u << 16) | (0x8e00ull << 32);
		idt64[2 * i + 1] = 0;
	}
	if (broken_idt) /* gates point into garbage */
		for (i = 0; i < 0x1000; i++)
			ram[T_IDT32 + i] = t_rand();
	pml4[0] = (T_PML4 + 0x1000) | 3;
	pml4[512] = (T_PML4 + 0x2000) | 3; /* the PDPT */
	pml4[1024] = 0x83;		   /* 2 MiB pages: 0-2 MiB */
	pml4[1025] = 0x200083;		   /* 2-4 MiB */
	pae[0] = (T_PML4 + 0x2000) | 1;	   /* PAE PDPTEs: P only */
}

/* A state for @mode; @idt_limit 0 means any exception triple-faults. */
static void mode_state(vcpu_state_t *s, enum t_mode mode, uint32_t ip, uint32_t idt_limit)
{
	uint16_t cs = 0x08, ds = 0x10;
	uint32_t code_ar = 0xc09b, data_ar = 0xc093, limit = 0xffffffff;
	uint64_t idt = T_IDT32;
	int i;

	for (i = 0; i < HAX_NR_GPRS; i++)
		s->_regs[i] = t_rand() % 4 ? (uint32_t)t_rand() : t_rand();
	s->_rflags = 2 | (t_rand() & 0xfd5); /* CF PF AF ZF SF TF IF DF OF at random */
	if (t_rand() % 4)
		s->_rflags &= ~0x100ull; /* TF less often */
	s->_cr0 = 0x60000010;
	s->_cr3 = 0;
	s->_cr4 = 0;
	s->_efer = 0;
	s->_rip = T_CODE + ip;
	s->_regs[HAX_REG_RSP] = 0x80000 - (t_rand() % 64) * 4;
	switch (mode) {
	case M_REAL:
		set_seg(&s->_cs, T_CODE >> 4, T_CODE, 0xffff, 0x9b);
		set_seg(&s->_ds, 0, 0, 0xffff, 0x93);
		set_seg(&s->_ss, 0x7000, 0x70000, 0xffff, 0x93);
		s->_es = s->_fs = s->_gs = s->_ds;
		s->_rip = ip;
		s->_regs[HAX_REG_RSP] = 0xfff0;
		set_seg(&s->_idt, 0, 0, idt_limit ? 0x3ff : 0, 0);
		return;
	case M_PROT16:
		cs = 0x20, ds = 0x28, code_ar = 0x9b, data_ar = 0x93, limit = 0xffff;
		s->_rip = ip;
		s->_regs[HAX_REG_RSP] = 0xfff0;
		/* 16-bit interrupt gates */
		break;
	case M_PROT32:
		break;
	case M_PAE:
		s->_cr0 |= 0x80000000;
		s->_cr3 = T_PAE_PDPT;
		s->_cr4 = 0x20;
		break;
	case M_LONG:
		cs = 0x18, code_ar = 0xa09b, idt = T_IDT64;
		s->_cr0 |= 0x80000000;
		s->_cr3 = T_PML4;
		s->_cr4 = 0x20;
		s->_efer = 0x500;
		break;
	default:
		break;
	}
	s->_cr0 = (s->_cr0 & ~0x60000000ull) | 0x31; /* PE, ET, NE; caches on */
	set_seg(&s->_cs, cs, mode == M_PROT16 ? T_CODE : 0, limit, code_ar);
	set_seg(&s->_ds, ds, 0, limit, data_ar);
	s->_es = s->_fs = s->_gs = s->_ss = s->_ds;
	set_seg(&s->_gdt, 0, T_GDT, 0x3f, 0);
	set_seg(&s->_idt, 0, idt, idt_limit ? idt_limit : 0, 0);
	set_seg(&s->_tr, 0x30, T_TSS, 0x67, 0x8b);
}

/* Break one field of a valid state on purpose. */
static void break_state(vcpu_state_t *s)
{
	uint64_t bit = 1ull << (t_rand() % 64);

	switch (t_rand() % 10) {
	case 0:
		s->_cr0 ^= bit;
		break;
	case 1:
		s->_cr4 ^= bit;
		break;
	case 2:
		s->_efer ^= (uint32_t)bit;
		break;
	case 3:
		s->_cs.ar ^= (uint32_t)bit;
		break;
	case 4:
		s->_ss.ar ^= (uint32_t)bit;
		break;
	case 5:
		s->_tr.ar ^= (uint32_t)bit;
		break;
	case 6:
		s->_rflags ^= bit;
		break;
	case 7:
		s->_activity_state = t_rand() % 4;
		break;
	case 8:
		s->_interruptibility_state = t_rand() % 16;
		break;
	default:
		s->_cs.limit ^= (uint32_t)bit;
		break;
	}
}

/*
 * One case: set the state, RUN until it ends. 0, or a failure reported
 * (the caller adds the seed).
 */
static int torture_case(struct vm_ctx *c, struct t_stats *st, enum t_mode mode)
{
	uint32_t idt_limit = mode == M_LONG ? 0xfff : 0x7ff;
	vcpu_state_t s;
	bool broken = false;
	int i;

	if (t_rand() % 8 == 0)
		idt_limit = 0; /* every exception ends in a triple fault */
	if (t_rand() % 8 == 0) {
		broken = true; /* gates point anywhere */
		st->broken_idt++;
	}
	build_tables(c->ram, broken);
	if (mode == M_PROT16) {
		uint64_t *idt = (uint64_t *)(c->ram + T_IDT32);

		for (i = 0; i < 256 && !broken; i++)
			idt[i] = (T_HANDLER & 0xffff) | (0x20u << 16) | (0x8600ull << 32);
	}
	gen_code(c->ram + T_CODE);
	CHECK_OK(hax_get_regs(c->vcpu_fd, &s));
	mode_state(&s, mode, t_rand() % 0x1000, idt_limit);
	if (t_rand() % 8 == 0)
		break_state(&s);
	errno = 0;
	if (hax_set_regs(c->vcpu_fd, &s)) {
		if (errno != EINVAL)
			return fail("SET_REGS (%s): errno %d, expected EINVAL", mode_names[mode],
				    errno);
		st->set_regs_refused++;
		return 0;
	}
	for (i = 0; i < T_MAX_RUNS_PER_CASE; i++) {
		if (vm_run_cut(c, 5))
			return 1; /* the caller names the seed, and so the mode */
		switch (c->tunnel->_exit_status) {
		case HAX_EXIT_HLT:
			st->hlt++;
			goto done;
		case HAX_EXIT_STATECHANGE:
			st->statechange++;
			goto done;
		case HAX_EXIT_IO:
			st->io++;
			if (c->tunnel->io._direction == HAX_IO_IN)
				memset(c->iobuf, (int)t_rand(), 4096);
			break;
		case HAX_EXIT_FAST_MMIO:
			st->mmio++;
			memset(c->iobuf, (int)t_rand(), 64); /* a read's value, if it is one */
			break;
		case HAX_EXIT_INTERRUPT:
			break;
		default:
			return fail("RUN (%s): unexpected exit %u (%s), VMX reason %u",
				    mode_names[mode], c->tunnel->_exit_status,
				    hax_exit_status_name(c->tunnel->_exit_status),
				    c->tunnel->_exit_reason);
		}
	}
	st->cut_off++;
done:
	CHECK_OK(hax_get_regs(c->vcpu_fd, &s));
	return 0;
}

TEST(torture_random_guests)
{
	const char *env_runs = getenv("HAXM_TORTURE_RUNS"), *env_seed = getenv("HAXM_TORTURE_SEED");
	unsigned long runs = env_runs ? strtoul(env_runs, NULL, 0) : 300, n;
	uint64_t seed = env_seed ? strtoull(env_seed, NULL, 0) : 0x5eed;
	struct t_stats st = { 0 };
	struct vm_ctx c = { .sys_fd = -1, .vm_fd = -1, .vcpu_fd = -1 };
	int r = 0;

	for (n = 0; n < runs && !r; n++) {
		if (n % T_RUNS_PER_VM == 0) {
			vm_teardown(&c);
			r = vm_setup(&c, T_RAM);
			if (r)
				break;
		}
		t_rng = (seed + n) * 0x9e3779b97f4a7c15ull | 1;
		r = torture_case(&c, &st, (enum t_mode)((seed + n) % M_NR));
		if (r) /* the reason is the test's; say how to repeat it */
			printf("torture: run %lu failed; repeat with HAXM_TORTURE_SEED=%llu "
			       "HAXM_TORTURE_RUNS=1\n",
			       n, (unsigned long long)(seed + n));
		if (runs >= 1000 && n % 1000 == 999)
			printf("torture: %lu runs\n", n + 1);
	}
	vm_teardown(&c);
	printf("torture: %lu runs: %lu hlt, %lu statechange, %lu cut off; %lu io, %lu mmio exits; "
	       "%lu states refused, %lu broken IDTs\n",
	       n, st.hlt, st.statechange, st.cut_off, st.io, st.mmio, st.set_regs_refused,
	       st.broken_idt);
	if (r)
		return r;
	/* The runs ended in every defined way (else the generator is broken). */
	CHECK(st.hlt > 0 && st.statechange > 0 && st.set_regs_refused > 0);
	CHECK_EQ(st.hlt + st.statechange + st.cut_off + st.set_regs_refused, n);
	return 0;
}
