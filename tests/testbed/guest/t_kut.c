// SPDX-License-Identifier: GPL-2.0
/*
 * What kvm-unit-tests (../shared/peer, `make test-kut`) found under QEMU
 * -accel hax, kept here as haxm's own tests: each one fails without its fix.
 * 64-bit guests with a flat GDT and an IDT whose handlers report to ports
 * and step over the faulting instruction by the length the guest keeps in
 * RSI.
 */
#include "harness.h"

#define KUT_IDT	    0x2000
#define KUT_HANDLER 0x2800 /* handler for vector v at KUT_HANDLER + 0x100 * (v - 1) */

/*
 * #GP: OUT RFLAGS.RF of the pushed image (bit 16) to 0x81, then the RF the
 * handler itself runs with (always 0: delivery clears it) to 0x83.
 */
GUEST_CODE(g_kut_gp, ".code64\n push %rax\n mov 32(%rsp), %rax\n shr $16, %eax\n and $1, %eax\n"
		     " out %eax, $0x81\n pushfq\n pop %rax\n shr $16, %eax\n and $1, %eax\n"
		     " out %eax, $0x83\n add %rsi, 16(%rsp)\n pop %rax\n add $8, %rsp\n iretq\n");
/* #DB: the RIP it returns to on 0x86, DR6 on 0x87; then DR6 = 0. */
GUEST_CODE(g_kut_db, ".code64\n push %rax\n mov 8(%rsp), %rax\n out %eax, $0x86\n"
		     " mov %dr6, %rax\n out %eax, $0x87\n xor %eax, %eax\n mov %rax, %dr6\n"
		     " pop %rax\n iretq\n");
/* #UD: the pushed RF to 0x82. */
GUEST_CODE(g_kut_ud, ".code64\n push %rax\n mov 24(%rsp), %rax\n shr $16, %eax\n and $1, %eax\n"
		     " out %eax, $0x82\n add %rsi, 8(%rsp)\n pop %rax\n iretq\n");

static void kut_gate(struct vm_ctx *c, int vec, const uint8_t *start, const uint8_t *end)
{
	uint64_t off = KUT_HANDLER + 0x100 * (vec - 1);
	uint64_t g[2] = { (off & 0xffff) | (8ULL << 16) | (0x8e00ULL << 32) |
				  ((off >> 16 & 0xffff) << 48),
			  off >> 32 };

	memcpy(c->ram + off, start, end - start);
	memcpy(c->ram + KUT_IDT + 16 * vec, g, sizeof(g));
}

/*
 * A 64-bit guest at 0x1000 with a GDT at 0 (code 8, data 16) and #DB, #UD,
 * #GP handlers; the first @gib GiB mapped (the APIC's page: 4).
 */
static int kut_load_gib(struct vm_ctx *c, unsigned int gib, const uint8_t *start,
			const uint8_t *end)
{
	const struct long_mode m = { .tables = 0x10000, .gib = gib };
	static const uint64_t gdt[3] = { 0, 0x00af9a000000ffffULL, 0x00cf92000000ffffULL };
	vcpu_state_t s;

	if (vm_load_long(c, &m, 0x1000, start, end))
		return 1;
	memcpy(c->ram, gdt, sizeof(gdt));
	kut_gate(c, 1, g_kut_db_start, g_kut_db_end);
	kut_gate(c, 6, g_kut_ud_start, g_kut_ud_end);
	kut_gate(c, 13, g_kut_gp_start, g_kut_gp_end);
	CHECK_OK(hax_get_regs(c->vcpu_fd, &s));
	s._gdt.base = 0;
	s._gdt.limit = sizeof(gdt) - 1;
	s._idt.base = KUT_IDT;
	s._idt.limit = 16 * 32 - 1;
	CHECK_OK(hax_set_regs(c->vcpu_fd, &s));
	return 0;
}

static int kut_load(struct vm_ctx *c, const uint8_t *start, const uint8_t *end)
{
	return kut_load_gib(c, 1, start, end);
}

/* ---- idt_test "#GP rflags.rf": faults haxm raises push RF=1 -------------- */

/*
 * RDMSR of an unknown MSR (#GP raised by haxm), VMCALL (#UD raised by
 * haxm), UD2 (#UD delivered by the CPU): every fault's pushed RFLAGS has
 * RF set, as the CPU's own delivery has.
 */
GUEST_CODE(g_kut_rf, ".code64\n"
		     " mov $2, %esi\n mov $0x12345, %ecx\n rdmsr\n"
		     " mov $3, %esi\n vmcall\n"
		     " mov $2, %esi\n ud2\n"
		     " hlt\n");

VM_TEST(kut_injected_fault_pushes_rf, 1 << 20)
{
	if (kut_load(c, g_kut_rf_start, g_kut_rf_end))
		return 1;
	if (expect_out(c, 0x81, 4, 1) || expect_out(c, 0x83, 4, 0))
		return 1;
	if (expect_out(c, 0x82, 4, 1) || expect_out(c, 0x82, 4, 1))
		return 1;
	return expect_exit(c, HAX_EXIT_HLT);
}

/* ---- vmexit "invd": INVD is a no-op, as WBINVD ------------------------- */

/* INVD and WBINVD run on (no #UD: nothing on 0x82); a marker follows each. */
GUEST_CODE(g_kut_invd, ".code64\n"
		       " mov $2, %esi\n invd\n mov $1, %eax\n out %eax, $0x84\n"
		       " wbinvd\n mov $2, %eax\n out %eax, $0x84\n hlt\n");

VM_TEST(kut_invd_is_a_nop, 1 << 20)
{
	if (kut_load(c, g_kut_invd_start, g_kut_invd_end))
		return 1;
	if (expect_out(c, 0x84, 4, 1) || expect_out(c, 0x84, 4, 2))
		return 1;
	if (exit_count(c, "INVD") != 1)
		return fail("INVD exits: %lld, expected 1", exit_count(c, "INVD"));
	return expect_exit(c, HAX_EXIT_HLT);
}

/* ---- debug "DR4 read got #UD with CR4.DE == 1" ---------------------------- */

/*
 * With CR4.DE=1, MOV from DR4 is #UD (the pushed RF, 1, on 0x82); with
 * CR4.DE=0 it reads DR6 (0xffff0ff0 at reset) on 0x85.
 */
GUEST_CODE(g_kut_dr4, ".code64\n"
		      " mov %cr4, %rax\n or $8, %rax\n mov %rax, %cr4\n"
		      " mov $3, %esi\n mov %dr4, %rax\n"
		      " mov %cr4, %rax\n and $~8, %rax\n mov %rax, %cr4\n"
		      " xor %eax, %eax\n mov %dr4, %rax\n out %eax, $0x85\n hlt\n");

VM_TEST(kut_dr4_ud_with_cr4_de, 1 << 20)
{
	if (kut_load(c, g_kut_dr4_start, g_kut_dr4_end))
		return 1;
	if (expect_out(c, 0x82, 4, 1) || expect_out(c, 0x85, 4, 0xffff0ff0))
		return 1;
	return expect_exit(c, HAX_EXIT_HLT);
}

/* ---- debug "Single-step #DB w/ STI;HLT", "... on emulated instructions" -- */

/*
 * RFLAGS.TF=1 over CPUID and HLT, which exit and are carried out by haxm:
 * each is followed by its single-step #DB like XOR and STI, which the CPU
 * runs; the HLT's #DB ends the halt at once (no HLT exit to user space).
 */
GUEST_CODE(g_kut_step, ".code64\n"
		       " pushfq\n orq $0x100, (%rsp)\n popfq\n"
		       " xor %eax, %eax\n"
		       "g_kut_step_cpuid: cpuid\n"
		       "g_kut_step_sti: sti\n"
		       "g_kut_step_hlt: hlt\n"
		       "g_kut_step_off: pushfq\n"
		       "g_kut_step_and: andq $~0x100, (%rsp)\n"
		       "g_kut_step_popf: popfq\n"
		       "g_kut_step_done: mov $1, %eax\n out %eax, $0x88\n hlt\n");
extern const uint8_t g_kut_step_cpuid[], g_kut_step_sti[], g_kut_step_hlt[], g_kut_step_off[],
	g_kut_step_and[], g_kut_step_popf[], g_kut_step_done[];

VM_TEST(kut_single_step_over_exits, 1 << 20)
{
	const uint8_t *at[] = { g_kut_step_cpuid, g_kut_step_sti,  g_kut_step_hlt, g_kut_step_off,
				g_kut_step_and,	  g_kut_step_popf, g_kut_step_done };
	unsigned int i;

	if (kut_load(c, g_kut_step_start, g_kut_step_end))
		return 1;
	/* a #DB after each instruction from the one after POPF (setting TF, which
	 * takes effect one instruction late) to POPF (clearing it) */
	for (i = 0; i < sizeof(at) / sizeof(at[0]); i++)
		if (expect_out(c, 0x86, 4, 0x1000 + (at[i] - g_kut_step_start)) ||
		    expect_out(c, 0x87, 4, 0xffff4ff0))
			return fail(
				"single-step #DB %u of %zu (after the instruction before 0x%lx)", i,
				sizeof(at) / sizeof(at[0]),
				(unsigned long)(0x1000 + (at[i] - g_kut_step_start)));
	if (expect_out(c, 0x88, 4, 1))
		return 1;
	return expect_exit(c, HAX_EXIT_HLT);
}

/* ---- tsc_adjust, vmexit "rd/wr_tsc_adjust_msr": IA32_TSC_ADJUST (0x3b) ---- */

#define RDTSC_R8 " rdtsc\n shl $32, %rdx\n or %rax, %rdx\n mov %rdx, %r8\n"
/*
 * CPUID.7.0:EBX.TSC_ADJUST on 0x80; TSC_ADJUST at reset on 0x80; the TSC's
 * jump over a write of 2^40 to it (high half) on 0x90, its value (high half)
 * on 0x80. Then, after a HLT: the TSC before a write of 2^44 to IA32_TSC on
 * 0x91/0x92 (low/high), TSC_ADJUST after it on 0x93/0x94.
 */
GUEST_CODE(g_kut_tscadj,
	   ".code64\n"
	   " mov $7, %eax\n xor %ecx, %ecx\n cpuid\n mov %ebx, %eax\n and $2, %eax\n"
	   " out %eax, $0x80\n"
	   " mov $0x3b, %ecx\n rdmsr\n out %eax, $0x80\n" RDTSC_R8
	   " mov $0x3b, %ecx\n xor %eax, %eax\n mov $0x100, %edx\n wrmsr\n"
	   " rdtsc\n shl $32, %rdx\n or %rax, %rdx\n sub %r8, %rdx\n shr $32, %rdx\n"
	   " mov %edx, %eax\n out %eax, $0x90\n"
	   " mov $0x3b, %ecx\n rdmsr\n mov %edx, %eax\n out %eax, $0x80\n"
	   " hlt\n" RDTSC_R8 " mov $0x10, %ecx\n xor %eax, %eax\n mov $0x1000, %edx\n wrmsr\n"
	   " mov %r8, %rax\n out %eax, $0x91\n shr $32, %rax\n out %eax, $0x92\n"
	   " mov $0x3b, %ecx\n rdmsr\n out %eax, $0x93\n mov %edx, %eax\n"
	   " out %eax, $0x94\n hlt\n");

static int out32(struct vm_ctx *c, uint16_t port, uint32_t *val)
{
	if (expect_exit(c, HAX_EXIT_IO))
		return 1;
	if (c->tunnel->io._port != port)
		return fail("OUT to 0x%x, expected 0x%x", c->tunnel->io._port, port);
	memcpy(val, c->iobuf, 4);
	return 0;
}

static int msr_rw(struct vm_ctx *c, uint32_t msr, uint64_t *val, bool set)
{
	struct hax_msr_data d = { .nr_msr = 1 };

	d.entries[0].entry = msr;
	d.entries[0].value = *val;
	CHECK_OK(set ? hax_set_msrs(c->vcpu_fd, &d) : hax_get_msrs(c->vcpu_fd, &d));
	CHECK_EQ(d.done, 1);
	*val = d.entries[0].value;
	return 0;
}

VM_TEST(kut_tsc_adjust, 1 << 20)
{
	uint32_t jump = 0, lo = 0, hi = 0;
	uint64_t v, before, adj;

	if (kut_load(c, g_kut_tscadj_start, g_kut_tscadj_end))
		return 1;
	if (expect_out(c, 0x80, 4, 2) || expect_out(c, 0x80, 4, 0) || out32(c, 0x90, &jump) ||
	    expect_out(c, 0x80, 4, 0x100) || expect_exit(c, HAX_EXIT_HLT))
		return 1;
	CHECK(jump >= 0x100 && jump < 0x110); /* the TSC moved on by 2^40 */
	v = 0;
	if (msr_rw(c, 0x3b, &v, false))
		return 1;
	CHECK_EQ(v, 1ull << 40);
	/* user space's TSC write (QEMU's sync) leaves TSC_ADJUST alone */
	v = 1ull << 36;
	if (msr_rw(c, 0x10, &v, true) || msr_rw(c, 0x3b, &v, false))
		return 1;
	CHECK_EQ(v, 1ull << 40);
	/* the guest's TSC write adds what it adds to the TSC: 2^44 - before */
	if (out32(c, 0x91, &lo) || out32(c, 0x92, &hi))
		return 1;
	before = (uint64_t)hi << 32 | lo;
	if (out32(c, 0x93, &lo) || out32(c, 0x94, &hi) || expect_exit(c, HAX_EXIT_HLT))
		return 1;
	adj = (uint64_t)hi << 32 | lo;
	CHECK(before >= 1ull << 36 && before < (1ull << 36) + (1ull << 34));
	/* 2^44 - (adj - 2^40) is the TSC at the write: a little after "before" */
	v = (1ull << 44) - (adj - (1ull << 40));
	CHECK(v >= before && v - before < 1ull << 30);
	return 0;
}

/* ---- apic "CPUID.1:EDX.APIC[bit 9]": the bit follows IA32_APIC_BASE.EN --- */

#define CPUID1_APIC " mov $1, %eax\n cpuid\n mov %edx, %eax\n and $0x200, %eax\n out %eax, $0x80\n"
GUEST_CODE(g_kut_apicbit,
	   ".code64\n" CPUID1_APIC
	   " mov $0x1b, %ecx\n rdmsr\n and $~0x800, %eax\n wrmsr\n" CPUID1_APIC
	   " mov $0x1b, %ecx\n rdmsr\n or $0x800, %eax\n wrmsr\n" CPUID1_APIC " hlt\n");

VM_TEST(kut_cpuid_apic_follows_apic_base, 1 << 20)
{
	if (kut_load(c, g_kut_apicbit_start, g_kut_apicbit_end))
		return 1;
	if (expect_out(c, 0x80, 4, 0x200) || expect_out(c, 0x80, 4, 0) ||
	    expect_out(c, 0x80, 4, 0x200))
		return 1;
	return expect_exit(c, HAX_EXIT_HLT);
}

/* ---- umip: CPUID offers UMIP, the CPU's or emulated ----------------------- */

/*
 * CPUID.7.0:ECX.UMIP on 0x80; then CR4.UMIP set and read back (bit 11) on
 * 0x89. haxm offers UMIP on every host: the CPU's, or emulated with
 * descriptor-table exits where the CPU has none (the testbed's Bochs).
 */
GUEST_CODE(g_kut_umip, ".code64\n"
		       " mov $7, %eax\n xor %ecx, %ecx\n cpuid\n mov %ecx, %eax\n and $4, %eax\n"
		       " out %eax, $0x80\n"
		       " mov %cr4, %rax\n or $0x800, %rax\n mov $3, %esi\n mov %rax, %cr4\n"
		       " mov %cr4, %rax\n and $0x800, %eax\n out %eax, $0x89\n hlt\n");

/* Whether the host CPU has UMIP (CPUID.7.0:ECX bit 2). */
static bool host_umip(void)
{
	uint32_t r[4];

	asm volatile("cpuid" : "=a"(r[0]), "=b"(r[1]), "=c"(r[2]), "=d"(r[3]) : "a"(7), "c"(0));
	return r[2] & 4;
}

VM_TEST(kut_umip_offered_with_the_cpu, 1 << 20)
{
	printf("kut_umip_offered_with_the_cpu: host %s UMIP\n", host_umip() ? "with" : "without");
	if (kut_load(c, g_kut_umip_start, g_kut_umip_end))
		return 1;
	if (expect_out(c, 0x80, 4, 4) || expect_out(c, 0x89, 4, 0x800))
		return 1;
	return expect_exit(c, HAX_EXIT_HLT);
}

/*
 * At CPL 0: SGDT SIDT SLDT STR with UMIP=0 (0x90), then with UMIP=1 the
 * same, LGDT (a GDT copy at 0x6000), LIDT (limit 0xfff), LLDT 0x38, LTR
 * 0x28, SLDT/STR to registers (0x8a, 0x8b), 0x91; then IRETQ to CPL 3
 * (IOPL 3): SGDT SIDT SLDT STR (memory) and STR %eax each #GP (0x81 0x83),
 * SMSW (not trappable: it runs) on 0x8c, 0x92; SGDT to 0x5070 (0x93) and
 * to 0x5080 (0x94), which the host runs with UMIP cleared and set again.
 */
#define UMIP_MEM(op, a) " mov $8, %esi\n " op " " #a "\n"
GUEST_CODE(g_kut_umip_emu,
	   ".code64\n sgdt 0x5000\n sidt 0x5010\n sldt 0x5020\n str 0x5028\n"
	   " mov $1, %eax\n out %eax, $0x90\n"
	   " mov %cr4, %rax\n or $0x800, %rax\n mov %rax, %cr4\n"
	   " mov %cr4, %rax\n and $0x800, %eax\n out %eax, $0x89\n"
	   " sgdt 0x5030\n sidt 0x5040\n sldt 0x5050\n str 0x5058\n"
	   " lgdt 0x5100\n lidt 0x5110\n lldt 0x5120\n ltr 0x5122\n"
	   " sldt %eax\n out %eax, $0x8a\n str %eax\n out %eax, $0x8b\n"
	   " mov $2, %eax\n out %eax, $0x91\n"
	   " push $0x23\n push $0xa000\n push $0x3002\n push $0x1b\n lea 1f(%rip), %rax\n"
	   " push %rax\n iretq\n"
	   "1:" UMIP_MEM("sgdt", 0x5060) UMIP_MEM("sidt", 0x5060) UMIP_MEM("sldt", 0x5060) UMIP_MEM(
		   "str",
		   0x5060) " mov $3, %esi\n str %eax\n"
			   " smsw %eax\n and $0xffff, %eax\n out %eax, $0x8c\n mov $3, %eax\n out "
			   "%eax, $0x92\n" UMIP_MEM("sgdt", 0x5070) " mov $4, %eax\n out %eax, "
								    "$0x93\n" UMIP_MEM(
									    "sgdt",
									    0x5080) " mov $5, "
										    "%eax\n out "
										    "%eax, $0x94\n "
										    "2: jmp 2b\n");

/* GDTR_IDTR and LDTR_TR exits of the test's vCPU are @gi and @lt. */
static int umip_exits(struct vm_ctx *c, uint64_t gi, uint64_t lt)
{
	char dir[96];
	uint64_t n46, n47;

	snprintf(dir, sizeof(dir), "/sys/kernel/debug/haxm/vm%02u/vcpu00", c->vm_id);
	if (stat_reason(dir, "GDTR_IDTR", &n46) || stat_reason(dir, "LDTR_TR", &n47))
		return 1;
	CHECK_EQ(n46, gi);
	CHECK_EQ(n47, lt);
	return 0;
}

/* The GDT: code and data at DPL 0 and 3, a TSS at 0x28, an LDT at 0x38. */
static void umip_gdt(uint8_t *ram)
{
	static const uint64_t gdt[9] = {
		0,
		0x00af9a000000ffffULL,
		0x00cf92000000ffffULL,
		0x00affa000000ffffULL,
		0x00cff2000000ffffULL,
		0x0000890040000067ULL, /* 64-bit TSS at 0x4000 */
		0,
		0x00008200480000ffULL, /* LDT at 0x4800 */
		0,
	};

	memcpy(ram, gdt, sizeof(gdt));
	memcpy(ram + 0x6000, gdt, sizeof(gdt));
}

VM_TEST(kut_umip_emulated_at_cpl3, 1 << 20)
{
	static const uint8_t dt[] = { 0x47, 0, 0, 0x60, 0,    0,   0, 0,    0,	  0, 0,	   0,
				      0,    0, 0, 0,	0xff, 0xf, 0, 0x20, 0,	  0, 0,	   0,
				      0,    0, 0, 0,	0,    0,   0, 0,    0x38, 0, 0x28, 0 };
	static const uint8_t gdtr[10] = { 0x47 }, idtr[10] = { 0xff, 1, 0, 0x20 };
	bool emulated = !host_umip();
	vcpu_state_t s;
	int i;

	if (kut_load(c, g_kut_umip_emu_start, g_kut_umip_emu_end))
		return 1;
	umip_gdt(c->ram);
	memcpy(c->ram + 0x5100, dt, sizeof(dt));
	memset(c->ram + 0x5000, 0xcc, 0x100);
	c->ram[0x10000] |= 4, c->ram[0x11000] |= 4, c->ram[0x12000] |= 4; /* user pages */
	*(uint64_t *)(c->ram + 0x4004) = 0x9000;			  /* RSP0 */
	CHECK_OK(hax_get_regs(c->vcpu_fd, &s));
	s._gdt.limit = 0x47;
	s._tr.selector = 0;
	s._tr.base = 0x4000;
	s._tr.limit = 0x67;
	s._tr.ar = 0x8b;
	CHECK_OK(hax_set_regs(c->vcpu_fd, &s));

	if (expect_out(c, 0x90, 4, 1) || umip_exits(c, 0, 0))
		return 1;
	if (expect_out(c, 0x89, 4, 0x800) || expect_out(c, 0x8a, 4, 0x38) ||
	    expect_out(c, 0x8b, 4, 0x28) || expect_out(c, 0x91, 4, 2))
		return 1;
	if (umip_exits(c, emulated ? 4 : 0, emulated ? 6 : 0))
		return 1;
	CHECK(!memcmp(c->ram + 0x5000, gdtr, 10) && !memcmp(c->ram + 0x5030, gdtr, 10));
	CHECK(!memcmp(c->ram + 0x5010, idtr, 10) && !memcmp(c->ram + 0x5040, idtr, 10));
	CHECK(!memcmp(c->ram + 0x5020, "\0\0", 2) && !memcmp(c->ram + 0x5050, "\0\0\xcc", 3));
	CHECK(!memcmp(c->ram + 0x5028, "\0\0", 2) && !memcmp(c->ram + 0x5058, "\0\0\xcc", 3));
	for (i = 0; i < 5; i++)
		if (expect_out(c, 0x81, 4, 1) || expect_out(c, 0x83, 4, 0))
			return 1;
	if (expect_out(c, 0x8c, 4, 0x31) || expect_out(c, 0x92, 4, 3))
		return 1;
	CHECK_EQ(c->ram[0x5060], 0xcc);
	CHECK_EQ(c->ram[0x6000 + 0x2d], 0x8b); /* LTR marked the TSS busy in the new GDT */
	CHECK_OK(hax_get_regs(c->vcpu_fd, &s));
	CHECK_EQ(s._cr4 & 0x800, 0x800);
	CHECK(s._gdt.base == 0x6000 && s._gdt.limit == 0x47);
	CHECK(s._idt.base == 0x2000 && s._idt.limit == 0xfff);
	CHECK(s._ldt.selector == 0x38 && s._ldt.base == 0x4800 && s._ldt.limit == 0xff);
	CHECK(s._tr.selector == 0x28 && s._tr.base == 0x4000 && (s._tr.ar & 0xf) == 0xb);
	/* SET_REGS without UMIP: SGDT at CPL 3 runs; with it again: #GP */
	s._cr4 &= ~0x800ULL;
	CHECK_OK(hax_set_regs(c->vcpu_fd, &s));
	if (expect_out(c, 0x93, 4, 4))
		return 1;
	CHECK(!memcmp(c->ram + 0x5070, "\x47\0\0\x60\0\0\0\0\0\0", 10));
	CHECK_OK(hax_get_regs(c->vcpu_fd, &s));
	s._cr4 |= 0x800;
	CHECK_OK(hax_set_regs(c->vcpu_fd, &s));
	if (expect_out(c, 0x81, 4, 1) || expect_out(c, 0x83, 4, 0) || expect_out(c, 0x94, 4, 5))
		return 1;
	CHECK_EQ(c->ram[0x5080], 0xcc);
	return umip_exits(c, emulated ? 7 : 0, emulated ? 9 : 0);
}

/* ---- apic "*0xfee00080": CR8 is the TPR of the VMM's APIC ------------------ */

#define TPR_GPA 0xfee00080ULL

/* The next exit is a FAST_MMIO access (@dir, @gpa, @size; a write of @val). */
static int expect_mmio(struct vm_ctx *c, uint8_t dir, uint64_t gpa, uint64_t val, uint8_t size)
{
	const struct hax_fastmmio *m = (const void *)c->iobuf;

	if (expect_exit(c, HAX_EXIT_FAST_MMIO))
		return 1;
	CHECK_EQ(m->direction, dir);
	CHECK_EQ(m->gpa, gpa);
	CHECK_EQ(m->size, size);
	if (dir == HAX_FASTMMIO_WRITE)
		CHECK_EQ(m->value, val);
	return 0;
}

/* RUN answers the pending FAST_MMIO read with @val. */
static void mmio_answer(struct vm_ctx *c, uint64_t val)
{
	((struct hax_fastmmio *)c->iobuf)->value = val;
}

#define AT(label, code) (0x1000 + (uint64_t)((label) - (code##_start)))

/*
 * MOV to CR8 retires, then the APIC sees a 4-byte write of CR8 << 4 to its
 * TPR (SDM Vol. 3A 10.8.6.1); the MOV from CR8 after it needs no VM exit
 * (haxm knows the TPR it wrote: the TPR shadow's VTPR holds it). RFLAGS
 * (CF) and other GPRs stay.
 */
GUEST_CODE(g_kut_cr8w, ".code64\n mov $-1, %rcx\n mov $9, %eax\n stc\n"
		       " mov %rax, %cr8\n"
		       "g_kut_cr8w_rd: mov %cr8, %rcx\n hlt\n");
extern const uint8_t g_kut_cr8w_rd[];

VM_TEST(kut_cr8_write_reaches_tpr, 1 << 20)
{
	vcpu_state_t s;

	if (kut_load(c, g_kut_cr8w_start, g_kut_cr8w_end) ||
	    expect_mmio(c, HAX_FASTMMIO_WRITE, TPR_GPA, 0x90, 4))
		return 1;
	CHECK_OK(hax_get_regs(c->vcpu_fd, &s));
	CHECK_EQ(s._rip, AT(g_kut_cr8w_rd, g_kut_cr8w));
	CHECK_EQ(s._regs[HAX_REG_RAX], 9);
	CHECK_EQ(s._regs[HAX_REG_RCX], ~0ULL);
	CHECK_EQ(s._rflags & 1, 1);
	if (expect_exit(c, HAX_EXIT_HLT))
		return 1;
	CHECK_OK(hax_get_regs(c->vcpu_fd, &s));
	CHECK_EQ(s._regs[HAX_REG_RCX], 9);
	CHECK_EQ(s._rflags & 1, 1);
	CHECK_EQ(s._rip, AT(g_kut_cr8w_end, g_kut_cr8w));
	CHECK_EQ(exit_count(c, "CR_ACCESS"), 1);
	return 0;
}

/*
 * MOV from CR8 with the TPR unknown (a new vCPU; after SET_REGS): a 4-byte
 * FAST_MMIO read of the TPR, the MOV not retired until the next RUN puts
 * TPR[7:4] of the answer, zero-extended, into RCX. A second MOV from CR8
 * then needs no VM exit (the TPR shadow).
 */
GUEST_CODE(g_kut_cr8r, ".code64\n mov $-1, %rcx\n mov $-1, %rdx\n stc\n"
		       "g_kut_cr8r_mov: mov %cr8, %rcx\n hlt\n mov %cr8, %rdx\n hlt\n");
extern const uint8_t g_kut_cr8r_mov[];

VM_TEST(kut_cr8_read_asks_tpr, 1 << 20)
{
	vcpu_state_t s;

	if (kut_load(c, g_kut_cr8r_start, g_kut_cr8r_end) ||
	    expect_mmio(c, HAX_FASTMMIO_READ, TPR_GPA, 0, 4))
		return 1;
	CHECK_OK(hax_get_regs(c->vcpu_fd, &s));
	CHECK_EQ(s._rip, AT(g_kut_cr8r_mov, g_kut_cr8r));
	CHECK_EQ(s._regs[HAX_REG_RCX], ~0ULL);
	mmio_answer(c, 0xffffffa7); /* TPR bits 31:8 and 3:0 are not CR8's */
	if (expect_exit(c, HAX_EXIT_HLT))
		return 1;
	CHECK_OK(hax_get_regs(c->vcpu_fd, &s));
	CHECK_EQ(s._regs[HAX_REG_RCX], 0xa);
	CHECK_EQ(s._rflags & 1, 1);
	CHECK_EQ(s._rip, AT(g_kut_cr8r_mov, g_kut_cr8r) + 5); /* past the HLT */
	if (expect_exit(c, HAX_EXIT_HLT))
		return 1;
	CHECK_OK(hax_get_regs(c->vcpu_fd, &s));
	CHECK_EQ(s._regs[HAX_REG_RDX], 0xa);
	/* SET_REGS (a reset or loadvm in the VMM): the TPR is asked again */
	s._rip = AT(g_kut_cr8r_mov, g_kut_cr8r);
	CHECK_OK(hax_set_regs(c->vcpu_fd, &s));
	if (expect_mmio(c, HAX_FASTMMIO_READ, TPR_GPA, 0, 4))
		return 1;
	mmio_answer(c, 0x30);
	if (expect_exit(c, HAX_EXIT_HLT))
		return 1;
	CHECK_OK(hax_get_regs(c->vcpu_fd, &s));
	CHECK_EQ(s._regs[HAX_REG_RCX], 3);
	CHECK_EQ(exit_count(c, "CR_ACCESS"), 2);
	return 0;
}

/*
 * Bits 63:4 of a MOV to CR8 are #GP(0) (0x81, 0x83 from the handler), no
 * MMIO. The TPR moves with IA32_APIC_BASE (0xfed40000): the MOV from CR8
 * after the move asks there. With the APIC disabled CR8 is the vCPU's own
 * register, starting at the last TPR haxm knew (5), no exits (0x8a). Back
 * at 0xfee00000, the TPR is asked again.
 */
GUEST_CODE(g_kut_cr8base,
	   ".code64\n mov $0x10, %eax\n mov $4, %esi\n mov %rax, %cr8\n"
	   " mov $3, %eax\n mov %rax, %cr8\n"
	   " mov $0x1b, %ecx\n mov $0xfed40900, %eax\n xor %edx, %edx\n wrmsr\n"
	   " mov %cr8, %rbx\n mov %ebx, %eax\n out %eax, $0x8a\n"
	   " mov $0xfed40100, %eax\n wrmsr\n"
	   " mov %cr8, %rax\n out %eax, $0x8a\n mov $7, %eax\n mov %rax, %cr8\n"
	   " xor %eax, %eax\n mov %cr8, %rax\n out %eax, $0x8a\n"
	   " mov $0xfee00900, %eax\n wrmsr\n mov %cr8, %rax\n out %eax, $0x8a\n hlt\n");

VM_TEST(kut_cr8_reserved_gp_and_apic_base, 1 << 20)
{
	if (kut_load(c, g_kut_cr8base_start, g_kut_cr8base_end))
		return 1;
	if (expect_out(c, 0x81, 4, 1) || expect_out(c, 0x83, 4, 0) ||
	    expect_mmio(c, HAX_FASTMMIO_WRITE, TPR_GPA, 0x30, 4) ||
	    expect_mmio(c, HAX_FASTMMIO_READ, 0xfed40080, 0, 4))
		return 1;
	mmio_answer(c, 0x50);
	if (expect_out(c, 0x8a, 4, 5) || expect_out(c, 0x8a, 4, 5) || expect_out(c, 0x8a, 4, 7) ||
	    expect_mmio(c, HAX_FASTMMIO_READ, TPR_GPA, 0, 4))
		return 1;
	mmio_answer(c, 0x20);
	return expect_out(c, 0x8a, 4, 2) || expect_exit(c, HAX_EXIT_HLT);
}

/*
 * An emulated MMIO write to the TPR (0x40) is the VMM's to interpret: the
 * next MOV from CR8 asks for the TPR again; a write next to it (0x84) does
 * not make it ask.
 */
GUEST_CODE(g_kut_cr8mmio, ".code64\n mov $2, %eax\n mov %rax, %cr8\n mov %cr8, %rbx\n"
			  " mov $0xfee00080, %edi\n movl $0x40, (%rdi)\n mov %cr8, %rcx\n"
			  " movl $0, 4(%rdi)\n mov %cr8, %rdx\n hlt\n");

VM_TEST(kut_cr8_after_tpr_mmio_write, 1 << 20)
{
	static const struct long_mode m = { .tables = 0x10000, .gib = 4 };
	vcpu_state_t s;

	if (vm_load_long(c, &m, 0x1000, g_kut_cr8mmio_start, g_kut_cr8mmio_end))
		return 1;
	if (expect_mmio(c, HAX_FASTMMIO_WRITE, TPR_GPA, 0x20, 4) ||
	    expect_mmio(c, HAX_FASTMMIO_WRITE, TPR_GPA, 0x40, 4) ||
	    expect_mmio(c, HAX_FASTMMIO_READ, TPR_GPA, 0, 4))
		return 1;
	mmio_answer(c, 0x40);
	if (expect_mmio(c, HAX_FASTMMIO_WRITE, TPR_GPA + 4, 0, 4) || expect_exit(c, HAX_EXIT_HLT))
		return 1;
	CHECK_OK(hax_get_regs(c->vcpu_fd, &s));
	CHECK_EQ(s._regs[HAX_REG_RBX], 2);
	CHECK_EQ(s._regs[HAX_REG_RCX], 4);
	CHECK_EQ(s._regs[HAX_REG_RDX], 4);
	return 0;
}

/* ---- vmexit mov_to_cr8/mov_from_cr8: the TPR shadow ----------------------- */

/*
 * Once haxm knows the TPR (the first MOV to CR8: a FAST_MMIO write of 0),
 * MOVs to and from CR8 run on the TPR shadow without a VM exit, none
 * lowering the TPR below what the VMM saw (0). The guest then reads the
 * TPR through the APIC's MMIO page: the VMM first gets the TPR (0x90) as a
 * FAST_MMIO write, then the read, which it answers with what it holds.
 */
GUEST_CODE(g_kut_tprloop,
	   ".code64\n xor %eax, %eax\n mov %rax, %cr8\n mov $1000, %ecx\n"
	   "1: mov $5, %eax\n mov %rax, %cr8\n mov %cr8, %rbx\n mov $9, %eax\n mov %rax, %cr8\n"
	   " dec %ecx\n jnz 1b\n mov %cr8, %rdx\n"
	   " mov $0xfee00080, %edi\n mov (%rdi), %eax\n out %eax, $0x84\n"
	   " mov %edx, %eax\n out %eax, $0x85\n hlt\n");

VM_TEST(kut_tpr_shadow_cr8_without_exits, 1 << 20)
{
	const struct hax_fastmmio *m = (const void *)c->iobuf;
	vcpu_state_t s;
	uint64_t apic_tpr;

	if (kut_load_gib(c, 4, g_kut_tprloop_start, g_kut_tprloop_end) ||
	    expect_mmio(c, HAX_FASTMMIO_WRITE, TPR_GPA, 0, 4) ||
	    expect_mmio(c, HAX_FASTMMIO_WRITE, TPR_GPA, 0x90, 4))
		return 1;
	apic_tpr = m->value; /* the VMM's APIC holds it */
	if (exit_count(c, "CR_ACCESS") != 1 || exit_count(c, "TPR_BELOW_THRESHOLD") != 0)
		return fail("CR8 exits: %lld CR_ACCESS, %lld TPR_BELOW_THRESHOLD, expected 1, 0",
			    exit_count(c, "CR_ACCESS"), exit_count(c, "TPR_BELOW_THRESHOLD"));
	if (expect_mmio(c, HAX_FASTMMIO_READ, TPR_GPA, 0, 4))
		return 1;
	mmio_answer(c, apic_tpr);
	if (expect_out(c, 0x84, 4, 0x90) || expect_out(c, 0x85, 4, 9) ||
	    expect_exit(c, HAX_EXIT_HLT))
		return 1;
	CHECK_OK(hax_get_regs(c->vcpu_fd, &s));
	CHECK_EQ(s._regs[HAX_REG_RBX], 5);
	CHECK_EQ(s._regs[HAX_REG_RCX], 0);
	CHECK_EQ(exit_count(c, "CR_ACCESS"), 1);
	return 0;
}

/*
 * Lowering CR8 below the TPR the VMM saw (0x70, sent before the OUT)
 * exits (TPR below threshold, after the MOV retired) and the VMM gets the
 * new TPR at once: 0x30, then 0x20. Raising it is silent until the next
 * exit to user space (0xf0 before the HLT).
 */
GUEST_CODE(g_kut_tprlow, ".code64\n xor %eax, %eax\n mov %rax, %cr8\n"
			 " mov $7, %eax\n mov %rax, %cr8\n out %eax, $0x84\n"
			 " mov $9, %eax\n mov %rax, %cr8\n mov $7, %eax\n mov %rax, %cr8\n"
			 " mov $3, %eax\n mov %rax, %cr8\n"
			 "g_kut_tprlow_3: mov $2, %eax\n mov %rax, %cr8\n"
			 "g_kut_tprlow_2: mov $15, %eax\n mov %rax, %cr8\n hlt\n");
extern const uint8_t g_kut_tprlow_3[], g_kut_tprlow_2[];

VM_TEST(kut_tpr_shadow_lowering_syncs, 1 << 20)
{
	vcpu_state_t s;

	if (kut_load(c, g_kut_tprlow_start, g_kut_tprlow_end) ||
	    expect_mmio(c, HAX_FASTMMIO_WRITE, TPR_GPA, 0, 4) ||
	    expect_mmio(c, HAX_FASTMMIO_WRITE, TPR_GPA, 0x70, 4) || expect_out(c, 0x84, 4, 7) ||
	    expect_mmio(c, HAX_FASTMMIO_WRITE, TPR_GPA, 0x30, 4))
		return 1;
	CHECK_OK(hax_get_regs(c->vcpu_fd, &s));
	CHECK_EQ(s._rip, AT(g_kut_tprlow_3, g_kut_tprlow));
	if (expect_mmio(c, HAX_FASTMMIO_WRITE, TPR_GPA, 0x20, 4))
		return 1;
	CHECK_OK(hax_get_regs(c->vcpu_fd, &s));
	CHECK_EQ(s._rip, AT(g_kut_tprlow_2, g_kut_tprlow));
	if (expect_mmio(c, HAX_FASTMMIO_WRITE, TPR_GPA, 0xf0, 4) || expect_exit(c, HAX_EXIT_HLT))
		return 1;
	CHECK_EQ(exit_count(c, "TPR_BELOW_THRESHOLD"), 2);
	CHECK_EQ(exit_count(c, "CR_ACCESS"), 1);
	return 0;
}

/* Vector 0x51's handler: CR8 as it runs on 0x85. */
GUEST_CODE(g_kut_h51, ".code64\n push %rax\n mov %cr8, %rax\n out %eax, $0x85\n pop %rax\n"
		      " iretq\n");

/*
 * INTERRUPT 0x51 queued while the guest has IF=0 and CR8 0; the guest
 * raises CR8 to 6 without an exit and opens the window: 0x51 (class 5)
 * waits, as the APIC would hold it in its IRR, also at CR8 5; the MOV of 4
 * to CR8 exits (the threshold is 0x51's class) and 0x51 is delivered with
 * CR8 4, the VMM learning the TPR before the handler's OUT.
 */
GUEST_CODE(g_kut_tprheld, ".code64\n cli\n xor %eax, %eax\n mov %rax, %cr8\n out %eax, $0x84\n"
			  " mov $6, %eax\n mov %rax, %cr8\n sti\n nop\n nop\n"
			  " mov $5, %eax\n mov %rax, %cr8\n nop\n"
			  " mov $4, %eax\n mov %rax, %cr8\n"
			  " mov $0x99, %eax\n out %eax, $0x86\n hlt\n");

VM_TEST(kut_tpr_shadow_holds_masked_interrupt, 1 << 20)
{
	vcpu_state_t s;

	if (kut_load(c, g_kut_tprheld_start, g_kut_tprheld_end))
		return 1;
	kut_gate(c, 0x51, g_kut_h51_start, g_kut_h51_end);
	CHECK_OK(hax_get_regs(c->vcpu_fd, &s));
	s._idt.limit = 16 * 0x52 - 1;
	CHECK_OK(hax_set_regs(c->vcpu_fd, &s));
	if (expect_mmio(c, HAX_FASTMMIO_WRITE, TPR_GPA, 0, 4) || expect_out(c, 0x84, 4, 0))
		return 1;
	CHECK_OK(hax_interrupt(c->vcpu_fd, 0x51));
	if (expect_mmio(c, HAX_FASTMMIO_WRITE, TPR_GPA, 0x40, 4) || expect_out(c, 0x85, 4, 4) ||
	    expect_out(c, 0x86, 4, 0x99) || expect_exit(c, HAX_EXIT_HLT))
		return 1;
	CHECK_EQ(exit_count(c, "TPR_BELOW_THRESHOLD"), 1);
	CHECK_EQ(exit_count(c, "CR_ACCESS"), 1);
	return 0;
}

/*
 * A kick (a signal) while the guest spins with CR8 3, which the VMM has
 * not seen: RUN returns the TPR's write first, the INTERRUPT exit at the
 * next kick.
 */
GUEST_CODE(g_kut_tprkick, ".code64\n xor %eax, %eax\n mov %rax, %cr8\n"
			  " mov $3, %eax\n mov %rax, %cr8\n 1: jmp 1b\n");

VM_TEST(kut_tpr_shadow_sync_before_kick, 1 << 20)
{
	if (kut_load(c, g_kut_tprkick_start, g_kut_tprkick_end) ||
	    expect_mmio(c, HAX_FASTMMIO_WRITE, TPR_GPA, 0, 4) || vm_run_cut(c, 200))
		return 1;
	CHECK_EQ(c->tunnel->_exit_status, HAX_EXIT_FAST_MMIO);
	CHECK_EQ(((const struct hax_fastmmio *)c->iobuf)->value, 0x30);
	if (vm_run_cut(c, 200))
		return 1;
	CHECK_EQ(c->tunnel->_exit_status, HAX_EXIT_INTERRUPT);
	return 0;
}

/*
 * VCPU_DEBUG single-steps a MOV of 3 to CR8: its #DB is a trap the guest
 * cannot repeat, so the VMM gets the TPR's write (0x30) first and the
 * HAX_EXIT_DEBUG (RIP after the MOV) at the next RUN; the next step needs
 * no write.
 */
GUEST_CODE(g_kut_tprstep, ".code64\n xor %eax, %eax\n mov %rax, %cr8\n out %eax, $0x84\n"
			  " mov $3, %eax\n mov %rax, %cr8\n"
			  "g_kut_tprstep_nop: nop\n hlt\n");
extern const uint8_t g_kut_tprstep_nop[];

VM_TEST(kut_tpr_shadow_sync_before_debug_exit, 1 << 20)
{
	hax_debug_t d = { .control = HAX_DEBUG_ENABLE | HAX_DEBUG_STEP };
	int i;

	if (kut_load(c, g_kut_tprstep_start, g_kut_tprstep_end) ||
	    expect_mmio(c, HAX_FASTMMIO_WRITE, TPR_GPA, 0, 4) || expect_out(c, 0x84, 4, 0))
		return 1;
	CHECK_OK(hax_set_debug(c->vcpu_fd, &d));
	/* steps up to the MOV to CR8 (Bochs may trap once before the first) */
	for (i = 0; i < 4; i++) {
		if (vm_run(c))
			return 1;
		if (c->tunnel->_exit_status != HAX_EXIT_DEBUG)
			break;
		CHECK(c->tunnel->debug.rip < AT(g_kut_tprstep_nop, g_kut_tprstep));
	}
	CHECK_EQ(c->tunnel->_exit_status, HAX_EXIT_FAST_MMIO);
	CHECK_EQ(((const struct hax_fastmmio *)c->iobuf)->value, 0x30);
	if (expect_exit(c, HAX_EXIT_DEBUG))
		return 1;
	CHECK_EQ(c->tunnel->debug.rip, AT(g_kut_tprstep_nop, g_kut_tprstep));
	CHECK_EQ(c->tunnel->debug.dr6 & 0x4000, 0x4000);
	if (expect_exit(c, HAX_EXIT_DEBUG))
		return 1;
	CHECK_EQ(c->tunnel->debug.rip, AT(g_kut_tprstep_nop, g_kut_tprstep) + 1);
	d.control = 0;
	CHECK_OK(hax_set_debug(c->vcpu_fd, &d));
	return expect_exit(c, HAX_EXIT_HLT);
}
