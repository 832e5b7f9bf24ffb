// SPDX-License-Identifier: GPL-2.0
/*
 * CPU modes: real, 16- and 32-bit protected, 32-bit paging, PAE paging and
 * 4-level long mode, entered through SET_REGS and switched between inside one
 * RUN (MOV to CR0/CR4 and WRMSR EFER exits handled in the kernel), and
 * exceptions delivered through the guest's IVT/IDT in each.
 *
 * Guest memory layout (all tests): GDT 0x500, GDTR image 0x5f0, handlers
 * 0x3000-0x3fff, IDT 0x4000, stack below 0x8000, code 0x1000; page tables
 * 0x10000-0x1afff; VA 0x400000 maps a different "magic" page per paging
 * mode, VA 0x800000 is not present.
 */
#include <stdlib.h>
#include <linux/kvm.h>
#include <sys/ioctl.h>

#include "harness.h"

#define LOAD 0x1000
#define GDT  0x500
#define IDT  0x4000

/* An absolute guest address of label @l of snippet @s (loaded at LOAD). */
#define ABS(s, l) "(" #l " - " #s "_start + 0x1000)"

#define CR0_PE	 0x1ULL
#define CR0_ET	 0x10ULL
#define CR0_NE	 0x20ULL
#define CR0_PG	 0x80000000ULL
#define CR4_PAE	 0x20ULL
#define EFER_LME 0x100ULL
#define EFER_LMA 0x400ULL

#define MAGIC32	 0x32323232u
#define MAGICPAE 0xaeaeaeaeu
#define MAGIC64	 0x64646464u

enum {
	SEL_CODE32 = 0x08,
	SEL_DATA = 0x10,
	SEL_CODE64 = 0x18,
	SEL_CODE16 = 0x20,
	SEL_DATA16 = 0x28
};

static void put64(struct vm_ctx *c, uint64_t gpa, uint64_t v)
{
	memcpy(c->ram + gpa, &v, 8);
}

static void put32(struct vm_ctx *c, uint64_t gpa, uint32_t v)
{
	memcpy(c->ram + gpa, &v, 4);
}

/* GDT, page tables for the three paging modes, magic pages. */
static void build_tables(struct vm_ctx *c)
{
	int i;

	put64(c, GDT + SEL_CODE32, 0x00cf9a000000ffffULL);
	put64(c, GDT + SEL_DATA, 0x00cf92000000ffffULL);
	put64(c, GDT + SEL_CODE64, 0x00af9a000000ffffULL);
	put64(c, GDT + SEL_CODE16, 0x00009a000000ffffULL);
	put64(c, GDT + SEL_DATA16, 0x000092000000ffffULL);
	*(uint16_t *)(c->ram + 0x5f0) = 0x2f;
	put32(c, 0x5f2, GDT);

	/* 32-bit paging: PD 0x10000; 0-4 MiB identity; 4 MiB -> 0x20000. */
	put32(c, 0x10000, 0x11000 | 3);
	put32(c, 0x10004, 0x12000 | 3);
	for (i = 0; i < 1024; i++)
		put32(c, 0x11000 + 4 * i, i * 0x1000 | 3);
	put32(c, 0x12000, 0x20000 | 3);
	/* PAE: PDPT 0x13000 -> PD 0x14000; 0-2 MiB identity; 4 MiB -> 0x21000. */
	put64(c, 0x13000, 0x14000 | 1);
	put64(c, 0x14000, 0x15000 | 3);
	put64(c, 0x14010, 0x16000 | 3);
	for (i = 0; i < 512; i++)
		put64(c, 0x15000 + 8 * i, i * 0x1000 | 3);
	put64(c, 0x16000, 0x21000 | 3);
	/* 4-level: PML4 0x17000 -> PDPT 0x18000 -> PD 0x19000; 4 MiB -> 0x22000. */
	put64(c, 0x17000, 0x18000 | 3);
	put64(c, 0x18000, 0x19000 | 3);
	put64(c, 0x19000, 0x15000 | 3);
	put64(c, 0x19010, 0x1a000 | 3);
	put64(c, 0x1a000, 0x22000 | 3);

	put32(c, 0x20000, MAGIC32);
	put32(c, 0x21000, MAGICPAE);
	put32(c, 0x22000, MAGIC64);
}

/* ---- switching modes inside one RUN ------------------------------------ */

/*
 * Some CR0 writes flip CR0.NE, which haxm owns (VMX fixes it to 1), so they
 * exit and are emulated: entering protected mode, enabling PAE paging (the
 * kernel loads the PDPTEs), enabling long mode, leaving protected mode.
 * The others run natively.
 */
GUEST_CODE(
	g_switch,
	".code16\n"
	" cli\n"
	" lgdtl 0x5f0\n"
	" mov %cr0, %eax\n or $0x21, %eax\n mov %eax, %cr0\n" /* PE, NE: exits */
	" ljmpl $0x08, $" ABS(
		g_switch,
		1f) "\n"
		    ".code32\n"
		    "1: mov $0x10, %ax\n mov %ax, %ds\n mov %ax, %es\n mov %ax, %ss\n"
		    " mov $0x7000, %esp\n"
		    " mov $0x32, %al\n out %al, $0x80\n"
		    /* 32-bit paging */
		    " mov $0x10000, %eax\n mov %eax, %cr3\n"
		    " mov %cr0, %eax\n or $0x80000000, %eax\n mov %eax, %cr0\n"
		    " mov 0x400000, %eax\n out %eax, $0x84\n"
		    " mov %cr0, %eax\n and $0x7fffffff, %eax\n mov %eax, %cr0\n"
		    /* PAE paging, enabled by an exiting write (NE 1 -> 0) */
		    " mov %cr4, %eax\n or $0x20, %eax\n mov %eax, %cr4\n"
		    " mov $0x13000, %eax\n mov %eax, %cr3\n"
		    " mov %cr0, %eax\n and $~0x20, %eax\n or $0x80000000, %eax\n mov %eax, %cr0\n"
		    " mov 0x400000, %eax\n out %eax, $0x85\n"
		    " mov %cr0, %eax\n and $0x7fffffff, %eax\n mov %eax, %cr0\n"
		    /* long mode: EFER.LME by WRMSR, paging by an exiting write (NE 0 -> 1) */
		    " mov $0x17000, %eax\n mov %eax, %cr3\n"
		    " mov $0xc0000080, %ecx\n rdmsr\n or $0x100, %eax\n wrmsr\n"
		    " mov %cr0, %eax\n or $0x80000020, %eax\n mov %eax, %cr0\n"
		    " ljmp $0x18, $" ABS(
			    g_switch,
			    2f) "\n"
				".code64\n"
				"2: mov $0x400000, %eax\n mov (%rax), %eax\n out %eax, $0x86\n"
				" movabs $0x1122334455667788, %r9\n"
				" pushq $0x08\n pushq $" ABS(
					g_switch,
					3f) "\n lretq\n"
					    ".code32\n"
					    /* compatibility mode: paging off leaves long mode */
					    "3: mov %cr0, %eax\n and $0x7fffffff, %eax\n mov %eax, "
					    "%cr0\n"
					    " mov $0xc0000080, %ecx\n rdmsr\n and $~0x100, %eax\n "
					    "wrmsr\n"
					    " ljmp $0x20, $" ABS(
						    g_switch,
						    4f) "\n"
							".code16\n"
							"4: mov $0x28, %ax\n mov %ax, %ds\n mov "
							"%ax, %ss\n"
							" mov $0x16, %al\n out %al, $0x80\n"
							" mov %cr0, %eax\n and $~0x21, %eax\n mov "
							"%eax, %cr0\n" /* PE, NE: exits */
							" ljmp $0, $" ABS(
								g_switch,
								5f) "\n"
								    "5: xor %ax, %ax\n mov %ax, "
								    "%ds\n mov %ax, %ss\n"
								    " mov $0x10, %al\n out %al, "
								    "$0x80\n"
								    " hlt\n");

/* After a failed step: say where the guest stopped. */
static int stopped_at(struct vm_ctx *c, const char *step)
{
	vcpu_state_t s;

	if (hax_get_regs(c->vcpu_fd, &s))
		return fail("%s: GET_REGS failed", step);
	return fail(
		"%s: exit status %u reason %u; rip 0x%llx cs 0x%x cr0 0x%llx cr4 0x%llx efer 0x%x",
		step, c->tunnel->_exit_status, c->tunnel->_exit_reason, (unsigned long long)s._rip,
		s._cs.selector, (unsigned long long)s._cr0, (unsigned long long)s._cr4, s._efer);
}

VM_TEST(modes_switch_in_one_run, 1 << 20)
{
	vcpu_state_t s;

	build_tables(c);
	if (vm_load_real(c, LOAD, g_switch_start, g_switch_end))
		return 1;
	if (expect_out(c, 0x80, 1, 0x32))
		return stopped_at(c, "out 0x80 0x32");
	CHECK_OK(hax_get_regs(c->vcpu_fd, &s));
	CHECK_EQ(s._cr0 & (CR0_PE | CR0_NE | CR0_PG), CR0_PE | CR0_NE);
	CHECK_EQ(s._cs.selector, SEL_CODE32);
	if (expect_out(c, 0x84, 4, MAGIC32))
		return stopped_at(c, "out 0x84 MAGIC32");
	if (expect_out(c, 0x85, 4, MAGICPAE))
		return stopped_at(c, "out 0x85 MAGICPAE");
	CHECK_OK(hax_get_regs(c->vcpu_fd, &s));
	CHECK_EQ(s._cr0 & (CR0_NE | CR0_PG), CR0_PG);
	CHECK_EQ(s._cr4 & CR4_PAE, CR4_PAE);
	CHECK_EQ(s._efer & EFER_LMA, 0);
	if (expect_out(c, 0x86, 4, MAGIC64))
		return stopped_at(c, "out 0x86 MAGIC64");
	CHECK_OK(hax_get_regs(c->vcpu_fd, &s));
	CHECK_EQ(s._efer & (EFER_LME | EFER_LMA), EFER_LME | EFER_LMA);
	CHECK_EQ(s._cs.selector, SEL_CODE64);
	CHECK(s._cs.ar & (1 << 13)); /* CS.L */
	CHECK_EQ(s._cr3, 0x17000);
	if (expect_out(c, 0x80, 1, 0x16))
		return stopped_at(c, "out 0x80 0x16");
	CHECK_OK(hax_get_regs(c->vcpu_fd, &s));
	CHECK_EQ(s._efer & (EFER_LME | EFER_LMA), 0);
	CHECK_EQ(s._cr0 & (CR0_PE | CR0_PG), CR0_PE);
	CHECK_EQ(s._cs.selector, SEL_CODE16);
	CHECK_EQ(s._cs.ar & (1 << 14), 0); /* 16-bit */
	if (expect_out(c, 0x80, 1, 0x10) || expect_exit(c, HAX_EXIT_HLT))
		return 1;
	CHECK_OK(hax_get_regs(c->vcpu_fd, &s));
	CHECK_EQ(s._cr0 & (CR0_PE | CR0_NE | CR0_PG), 0);
	CHECK_EQ(s._cs.selector, 0);
	CHECK_EQ(s._regs[HAX_REG_R9], 0x1122334455667788ULL);
	CHECK_EQ(s._rip, LOAD + (g_switch_end - g_switch_start));
	return 0;
}

/* ---- exceptions through the guest's IDT -------------------------------- */

/*
 * Handlers report the vector on port 0x80, the error code on 0x81 and CR2
 * on 0x82 (#PF), then return past the faulting instruction: the guest puts
 * its length in ESI.
 */
GUEST_CODE(g_h32_ud, ".code32\n push %eax\n mov $6, %al\n out %al, $0x80\n"
		     " add %esi, 4(%esp)\n pop %eax\n iret\n");
GUEST_CODE(g_h32_gp, ".code32\n push %eax\n mov $13, %al\n out %al, $0x80\n"
		     " mov 4(%esp), %eax\n out %eax, $0x81\n"
		     " add %esi, 8(%esp)\n pop %eax\n add $4, %esp\n iret\n");
GUEST_CODE(g_h32_pf, ".code32\n push %eax\n mov $14, %al\n out %al, $0x80\n"
		     " mov 4(%esp), %eax\n out %eax, $0x81\n mov %cr2, %eax\n out %eax, $0x82\n"
		     " add %esi, 8(%esp)\n pop %eax\n add $4, %esp\n iret\n");
GUEST_CODE(g_h32_int, ".code32\n push %eax\n mov $0x30, %al\n out %al, $0x80\n pop %eax\n iret\n");
GUEST_CODE(g_h64_ud, ".code64\n push %rax\n mov $6, %al\n out %al, $0x80\n"
		     " add %rsi, 8(%rsp)\n pop %rax\n iretq\n");
GUEST_CODE(g_h64_gp, ".code64\n push %rax\n mov $13, %al\n out %al, $0x80\n"
		     " mov 8(%rsp), %eax\n out %eax, $0x81\n"
		     " add %rsi, 16(%rsp)\n pop %rax\n add $8, %rsp\n iretq\n");
GUEST_CODE(g_h64_pf, ".code64\n push %rax\n mov $14, %al\n out %al, $0x80\n"
		     " mov 8(%rsp), %eax\n out %eax, $0x81\n mov %cr2, %rax\n out %eax, $0x82\n"
		     " add %rsi, 16(%rsp)\n pop %rax\n add $8, %rsp\n iretq\n");

/* #UD, #GP (bad selector), #PF (write, not present), VMX instructions: #UD; INVD: none. */
GUEST_CODE(g_exc32, ".code32\n"
		    " int $0x30\n"
		    " mov $2, %esi\n ud2\n"
		    " mov $0x3b, %ecx\n mov %ecx, %ds\n"
		    " mov $0x800000, %ebx\n mov %eax, (%ebx)\n"
		    " mov $3, %esi\n vmcall\n"
		    " mov $2, %esi\n invd\n"
		    " mov $3, %esi\n vmxoff\n"
		    " out %al, $0x88\n hlt\n");
GUEST_CODE(g_exc64, ".code64\n"
		    " mov $2, %esi\n ud2\n"
		    " mov $0x3b, %ecx\n mov %ecx, %ds\n"
		    " movabs $0x8000000000000000, %rbx\n mov %eax, (%rbx)\n"
		    " mov $0x800000, %ebx\n mov %eax, (%rbx)\n"
		    " mov $3, %esi\n vmcall\n"
		    " out %al, $0x88\n hlt\n");

enum mode { M_PAGING32, M_PAE, M_LONG };

#define COPY(c, gpa, sym) memcpy((c)->ram + (gpa), sym##_start, sym##_end - sym##_start)

/* The low 8 bytes of an interrupt gate (DPL 0) to @sel:@off. */
static uint64_t gate_lo(uint64_t off, uint16_t sel)
{
	return (off & 0xffff) | ((uint64_t)sel << 16) | (0x8e00ULL << 32) |
	       ((off >> 16 & 0xffff) << 48);
}

static void idt_gate(struct vm_ctx *c, int vec, uint64_t off, bool is64)
{
	if (is64) {
		put64(c, IDT + 16 * vec, gate_lo(off, SEL_CODE64));
		put64(c, IDT + 16 * vec + 8, off >> 32);
	} else {
		put64(c, IDT + 8 * vec, gate_lo(off, SEL_CODE32));
	}
}

static void seg(segment_desc_t *d, uint16_t sel, uint32_t ar)
{
	d->selector = sel;
	d->base = 0;
	d->limit = 0xffffffff;
	d->ar = ar;
}

/* Load @code and enter @mode through SET_REGS, with the IDT of that mode. */
static int enter_mode(struct vm_ctx *c, enum mode m, const uint8_t *code, const uint8_t *end)
{
	bool is64 = m == M_LONG;
	vcpu_state_t s;

	build_tables(c);
	memcpy(c->ram + LOAD, code, end - code);
	if (is64) {
		COPY(c, 0x3000, g_h64_ud);
		COPY(c, 0x3100, g_h64_gp);
		COPY(c, 0x3200, g_h64_pf);
	} else {
		COPY(c, 0x3000, g_h32_ud);
		COPY(c, 0x3100, g_h32_gp);
		COPY(c, 0x3200, g_h32_pf);
		COPY(c, 0x3300, g_h32_int);
		idt_gate(c, 0x30, 0x3300, false);
	}
	idt_gate(c, 6, 0x3000, is64);
	idt_gate(c, 13, 0x3100, is64);
	idt_gate(c, 14, 0x3200, is64);

	CHECK_OK(hax_get_regs(c->vcpu_fd, &s));
	seg(&s._cs, is64 ? SEL_CODE64 : SEL_CODE32, is64 ? 0xa09b : 0xc09b);
	seg(&s._ds, SEL_DATA, 0xc093);
	seg(&s._es, SEL_DATA, 0xc093);
	seg(&s._ss, SEL_DATA, 0xc093);
	seg(&s._fs, SEL_DATA, 0xc093);
	seg(&s._gs, SEL_DATA, 0xc093);
	s._tr.ar = 0x8b;
	s._gdt.base = GDT;
	s._gdt.limit = 0x2f;
	s._idt.base = IDT;
	s._idt.limit = is64 ? 16 * 64 - 1 : 8 * 64 - 1;
	s._cr0 = CR0_PE | CR0_ET | CR0_NE | CR0_PG;
	s._cr4 = m == M_PAE || m == M_LONG ? CR4_PAE : 0;
	s._cr3 = m == M_PAGING32 ? 0x10000 : m == M_PAE ? 0x13000 : 0x17000;
	s._efer = is64 ? EFER_LME | EFER_LMA : 0;
	s._rip = LOAD;
	s._regs[HAX_REG_RSP] = 0x7000;
	s._rflags = 2;
	CHECK_OK(hax_set_regs(c->vcpu_fd, &s));
	return 0;
}

static int expect_exc(struct vm_ctx *c, uint8_t vec, int64_t err, int64_t cr2)
{
	if (expect_out(c, 0x80, 1, vec))
		return 1;
	if (err >= 0 && expect_out(c, 0x81, 4, (uint32_t)err))
		return 1;
	if (cr2 >= 0 && expect_out(c, 0x82, 4, (uint32_t)cr2))
		return 1;
	return 0;
}

static int run_exc32(struct vm_ctx *c, enum mode m)
{
	vcpu_state_t s;

	if (enter_mode(c, m, g_exc32_start, g_exc32_end))
		return 1;
	/*
	 * The first event's delivery (INT 0x30, a software interrupt) touches
	 * the IDT and stack pages first: EPT violations during delivery, then
	 * re-injection with the instruction length (SDM 27.2.4, 26.6.1).
	 */
	if (expect_exc(c, 0x30, -1, -1))
		return 1;
	if (expect_exc(c, 6, -1, -1) || expect_exc(c, 13, 0x38, -1))
		return 1;
	if (expect_exc(c, 14, 2, 0x800000))
		return 1;
	CHECK_OK(hax_get_regs(c->vcpu_fd, &s));
	CHECK_EQ(s._cr2, 0x800000);
	/* VMCALL and VMXOFF: #UD; INVD runs as a no-op, as under KVM. */
	if (expect_exc(c, 6, -1, -1) || expect_exc(c, 6, -1, -1))
		return 1;
	if (expect_exit(c, HAX_EXIT_IO))
		return 1;
	CHECK_EQ(c->tunnel->io._port, 0x88);
	CHECK_OK(hax_get_regs(c->vcpu_fd, &s));
	CHECK_EQ(s._regs[HAX_REG_RSP], 0x7000); /* every frame popped */
	return expect_exit(c, HAX_EXIT_HLT);
}

VM_TEST(modes_exceptions_paging32, 1 << 20)
{
	return run_exc32(c, M_PAGING32);
}

/* The PDPTEs come from guest memory at SET_REGS (SDM 26.3.2.4 with EPT). */
VM_TEST(modes_exceptions_pae, 1 << 20)
{
	return run_exc32(c, M_PAE);
}

VM_TEST(modes_exceptions_long, 1 << 20)
{
	vcpu_state_t s;

	if (enter_mode(c, M_LONG, g_exc64_start, g_exc64_end))
		return 1;
	if (expect_exc(c, 6, -1, -1) || expect_exc(c, 13, 0x38, -1) || expect_exc(c, 13, 0, -1) ||
	    expect_exc(c, 14, 2, 0x800000) || expect_exc(c, 6, -1, -1))
		return 1;
	if (expect_exit(c, HAX_EXIT_IO))
		return 1;
	CHECK_EQ(c->tunnel->io._port, 0x88);
	CHECK_OK(hax_get_regs(c->vcpu_fd, &s));
	CHECK_EQ(s._regs[HAX_REG_RSP], 0x7000);
	CHECK_EQ(s._cr2, 0x800000);
	return expect_exit(c, HAX_EXIT_HLT);
}

/*
 * #AC: a misaligned load at CPL 3 with CR0.AM and EFLAGS.AC (SDM 6.15,
 * interrupt 17). haxm always intercepts #AC (CVE-2015-5307: a #AC raised
 * while delivering one would loop inside the CPU) and gives it back to the
 * guest: its ring-0 handler (the TSS switches stacks) reports the error
 * code, the faulting EIP and the CS it came from.
 */
#define SEL_CODE3 0x33 /* GDT 0x30, RPL 3 */
#define SEL_DATA3 0x3b /* GDT 0x38, RPL 3 */
#define SEL_TSS	  0x40
#define TSS	  0x600

#define RFLAGS_IF    0x200
#define RFLAGS_IOPL3 0x3000
#define RFLAGS_AC    0x40000

GUEST_CODE(g_h32_ac, ".code32\n mov $17, %al\n out %al, $0x80\n"
		     " mov (%esp), %eax\n out %eax, $0x81\n"
		     " mov 4(%esp), %eax\n out %eax, $0x84\n"
		     " mov 8(%esp), %eax\n out %eax, $0x83\n hlt\n");
GUEST_CODE(g_ac3, ".code32\n mov $0x5001, %ebx\n mov (%ebx), %eax\n hlt\n");

/*
 * enter_cpl3() - 32-bit paging (enter_mode()) with user pages, ring-3
 * segments, a TSS that gives ring 0 the stack below 0x7000, CR0.AM, and
 * @code running at CPL 3 with @rflags and @esp; the #AC handler @ac at 0x3400.
 */
static int enter_cpl3(struct vm_ctx *c, const uint8_t *code, const uint8_t *end, const uint8_t *ac,
		      const uint8_t *ac_end, uint32_t rflags, uint32_t esp)
{
	vcpu_state_t s;
	int i;

	if (enter_mode(c, M_PAGING32, code, end))
		return 1;
	put32(c, 0x10000, 0x11000 | 7);
	for (i = 0; i < 1024; i++)
		put32(c, 0x11000 + 4 * i, i * 0x1000 | 7);
	put64(c, GDT + (SEL_CODE3 & ~3), 0x00cffa000000ffffULL);
	put64(c, GDT + (SEL_DATA3 & ~3), 0x00cff2000000ffffULL);
	put64(c, GDT + SEL_TSS, 0x0000890000000067ULL | (uint64_t)TSS << 16);
	put32(c, TSS + 4, 0x7000); /* ESP0 */
	put32(c, TSS + 8, SEL_DATA);
	memcpy(c->ram + 0x3400, ac, ac_end - ac);
	idt_gate(c, 17, 0x3400, false);
	CHECK_OK(hax_get_regs(c->vcpu_fd, &s));
	seg(&s._cs, SEL_CODE3, 0xc0fb);
	seg(&s._ss, SEL_DATA3, 0xc0f3);
	s._ds = s._es = s._fs = s._gs = s._ss;
	s._tr.selector = SEL_TSS;
	s._tr.base = TSS;
	s._tr.limit = 0x67;
	s._tr.ar = 0x8b;
	s._gdt.limit = 0x47;
	s._cr0 |= 1u << 18; /* AM */
	s._rflags = rflags;
	s._regs[HAX_REG_RSP] = esp;
	CHECK_OK(hax_set_regs(c->vcpu_fd, &s));
	return 0;
}

VM_TEST(modes_alignment_check_at_cpl3, 1 << 20)
{
	long long exc0;
	vcpu_state_t s;

	if (enter_cpl3(c, g_ac3_start, g_ac3_end, g_h32_ac_start, g_h32_ac_end, 2 | RFLAGS_AC,
		       0x6000))
		return 1;
	exc0 = exit_count(c, "EXCEPTION_NMI");
	if (expect_out(c, 0x80, 1, 17) || expect_out(c, 0x81, 4, 0) ||
	    expect_out(c, 0x84, 4, LOAD + 5) || expect_out(c, 0x83, 4, SEL_CODE3) ||
	    expect_exit(c, HAX_EXIT_HLT))
		return 1;
	/* it went through haxm: one exception exit */
	CHECK_EQ(exit_count(c, "EXCEPTION_NMI") - exc0, 1);
	CHECK_OK(hax_get_regs(c->vcpu_fd, &s));
	CHECK_EQ(s._cs.selector, SEL_CODE32);
	return 0;
}

/*
 * An interrupt whose delivery raises #AC (CPL 3, a ring-3 handler, a
 * misaligned stack: the pushes fault) exits with the interrupt in the
 * IDT-vectoring field; the #AC goes to the guest first and the interrupt is
 * not lost: once the #AC handler clears EFLAGS.AC in the frame and returns,
 * the interrupt is delivered (SDM 6.15: benign exceptions are handled
 * serially; KVM keeps the interrupt for later alike).
 */
GUEST_CODE(g_h32_ac_clear, ".code32\n mov $17, %al\n out %al, $0x80\n"
			   " andl $~0x40000, 12(%esp)\n add $4, %esp\n iret\n");
GUEST_CODE(g_h3_int, ".code32\n mov $0x30, %al\n out %al, $0x80\n 1: jmp 1b\n");
GUEST_CODE(g_spin3, ".code32\n 1: jmp 1b\n");

VM_TEST(modes_interrupt_kept_across_ac_in_its_delivery, 1 << 20)
{
	uint64_t off = 0x3500;
	long long exc0;

	if (enter_cpl3(c, g_spin3_start, g_spin3_end, g_h32_ac_clear_start, g_h32_ac_clear_end,
		       2 | RFLAGS_IF | RFLAGS_IOPL3 | RFLAGS_AC, 0x6001))
		return 1;
	COPY(c, off, g_h3_int);
	/* a ring-3 handler: delivery stays at CPL 3, on the misaligned stack */
	put64(c, IDT + 8 * 0x30, gate_lo(off, SEL_CODE3));
	exc0 = exit_count(c, "EXCEPTION_NMI");
	CHECK_OK(hax_interrupt(c->vcpu_fd, 0x30));
	if (expect_out(c, 0x80, 1, 17))
		return 1;
	CHECK_EQ(exit_count(c, "EXCEPTION_NMI") - exc0, 1);
	if (vm_run_cut(c, 500))
		return 1;
	if (c->tunnel->_exit_status == HAX_EXIT_INTERRUPT)
		return fail("interrupt 0x30 lost: the guest spins without it");
	CHECK_EQ(c->tunnel->_exit_status, HAX_EXIT_IO);
	CHECK_EQ(c->tunnel->io._port, 0x80);
	CHECK_EQ(c->iobuf[0], 0x30);
	return 0;
}

/* Real mode: #UD and the #GP of a word access past DS's 64 KiB limit. */
GUEST_CODE(g_hreal, ".code16\n push %bp\n mov %sp, %bp\n add %si, 2(%bp)\n pop %bp\n"
		    " push %ax\n mov %cs:0x600, %al\n out %al, $0x80\n pop %ax\n iret\n");
GUEST_CODE(g_excreal, ".code16\n"
		      " movb $6, 0x600\n mov $2, %si\n ud2\n"
		      " movb $13, 0x600\n mov $0xffff, %bx\n mov (%bx), %ax\n"
		      " out %al, $0x88\n hlt\n");

VM_TEST(modes_exceptions_real, 1 << 20)
{
	COPY(c, 0x3000, g_hreal);
	put32(c, 6 * 4, 0x3000); /* 0000:3000 */
	put32(c, 13 * 4, 0x3000);
	if (vm_load_real(c, LOAD, g_excreal_start, g_excreal_end))
		return 1;
	if (expect_out(c, 0x80, 1, 6) || expect_out(c, 0x80, 1, 13))
		return 1;
	if (expect_exit(c, HAX_EXIT_IO))
		return 1;
	CHECK_EQ(c->tunnel->io._port, 0x88);
	return expect_exit(c, HAX_EXIT_HLT);
}

/*
 * A PAE state whose PDPTEs VM entry would refuse: SET_REGS takes it (the
 * PDPTEs are read at RUN, after any SET_MSRS of EFER), RUN refuses it with
 * EINVAL and runs nothing, until the PDPT in guest memory is fixed.
 */
VM_TEST(modes_pae_bad_pdpte_refused, 1 << 20)
{
	static const uint8_t code[] = { 0xb0, 0x2a, 0xe6, 0x88, 0xf4 }; /* OUT 0x2a; HLT */
	vcpu_state_t s;

	build_tables(c);
	memcpy(c->ram + LOAD, code, sizeof(code));
	put64(c, 0x13008, 0x14000 | 1 | (1 << 1)); /* reserved bit 1 */
	CHECK_OK(hax_get_regs(c->vcpu_fd, &s));
	seg(&s._cs, SEL_CODE32, 0xc09b);
	seg(&s._ds, SEL_DATA, 0xc093);
	seg(&s._ss, SEL_DATA, 0xc093);
	s._cr0 = CR0_PE | CR0_ET | CR0_NE | CR0_PG;
	s._cr4 = CR4_PAE;
	s._cr3 = 0x13000;
	s._rip = LOAD;
	CHECK_OK(hax_set_regs(c->vcpu_fd, &s));
	CHECK_ERRNO(hax_run(c->vcpu_fd), EINVAL);
	s._cr3 = 0x200000; /* outside RAM */
	CHECK_OK(hax_set_regs(c->vcpu_fd, &s));
	CHECK_ERRNO(hax_run(c->vcpu_fd), EINVAL);
	s._cr3 = 0x13000;
	CHECK_OK(hax_set_regs(c->vcpu_fd, &s));
	CHECK_ERRNO(hax_run(c->vcpu_fd), EINVAL);
	put64(c, 0x13008, 0);
	if (expect_out(c, 0x88, 1, 0x2a))
		return 1;
	return expect_exit(c, HAX_EXIT_HLT);
}

/*
 * QEMU loads a long-mode state (savevm/loadvm, a register sync) with
 * SET_REGS carrying _efer 0, HAXM's SET_REGS having ignored the field, then
 * EFER with SET_MSRS. Between the two the state looks like PAE paging, and
 * CR3 points to a PML4 whose entries are no valid PDPTEs (RW set): SET_REGS
 * must not read PDPTEs yet. The guest then runs 64-bit code (a MOVABS
 * filling all of RAX).
 */
VM_TEST(modes_long_state_efer_by_set_msrs, 1 << 20)
{
	static const uint8_t code[] = {
		0x48, 0xb8, 0x88, 0x77, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11, 0xe7, 0x88, 0xf4
	}; /* MOVABS RAX; OUT EAX; HLT */
	struct hax_msr_data md = { .nr_msr = 1 };
	vcpu_state_t s;

	build_tables(c);
	memcpy(c->ram + LOAD, code, sizeof(code));
	CHECK_OK(hax_get_regs(c->vcpu_fd, &s));
	seg(&s._cs, SEL_CODE64, 0xa09b);
	seg(&s._ds, SEL_DATA, 0xc093);
	seg(&s._ss, SEL_DATA, 0xc093);
	s._gdt.base = GDT;
	s._gdt.limit = 0x2f;
	s._cr0 = CR0_PE | CR0_ET | CR0_NE | CR0_PG;
	s._cr4 = CR4_PAE;
	s._cr3 = 0x17000;
	s._efer = 0;
	s._rip = LOAD;
	s._regs[HAX_REG_RSP] = 0x7000;
	s._rflags = 2;
	CHECK_OK(hax_set_regs(c->vcpu_fd, &s));
	md.entries[0].entry = 0xc0000080;
	md.entries[0].value = EFER_LME | EFER_LMA;
	CHECK_OK(hax_set_msrs(c->vcpu_fd, &md));
	CHECK_EQ(md.done, 1);
	if (expect_out(c, 0x88, 4, 0x55667788))
		return 1;
	CHECK_OK(hax_get_regs(c->vcpu_fd, &s));
	CHECK_EQ(s._regs[HAX_REG_RAX], 0x1122334455667788ULL);
	CHECK_EQ(s._efer & (EFER_LME | EFER_LMA), EFER_LME | EFER_LMA);
	return expect_exit(c, HAX_EXIT_HLT);
}

/*
 * QEMU's loadvm resets the vCPU (CR4.OSXSAVE off, XCR0 1), then loads the
 * snapshot's state, CR4.OSXSAVE on; vcpu_state_t has no XCR0. The guest
 * then finds every XCR0 feature its CPUID offers enabled, as Linux set it
 * (with XCR0 left at 1, its AVX code raised #UD: init died of SIGILL).
 */
VM_TEST(modes_xcr0_after_snapshot_state, 1 << 20)
{
	static const uint8_t code[] = { 0x31, 0xc9, 0x0f, 0x01, 0xd0, /* XGETBV(0) */
					0xe7, 0x88, 0xf4 };	      /* OUT EAX; HLT */
	uint32_t lo, hi;
	vcpu_state_t s;

	asm volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
	build_tables(c);
	memcpy(c->ram + LOAD, code, sizeof(code));
	CHECK_OK(hax_get_regs(c->vcpu_fd, &s));
	seg(&s._cs, SEL_CODE32, 0xc09b);
	seg(&s._ds, SEL_DATA, 0xc093);
	seg(&s._ss, SEL_DATA, 0xc093);
	s._gdt.base = GDT;
	s._gdt.limit = 0x2f;
	s._cr0 = CR0_PE | CR0_ET | CR0_NE;
	s._cr4 = 1ULL << 18 | 1ULL << 9; /* OSXSAVE, OSFXSR */
	s._rip = LOAD;
	CHECK_OK(hax_set_regs(c->vcpu_fd, &s));
	/* x87, SSE, AVX, AVX-512 where the host has them (cpuid_xcr0_mask()) */
	return expect_out(c, 0x88, 4, lo & 0xe7) || expect_exit(c, HAX_EXIT_HLT);
}

/* ---- the same mode switches under kvm_intel ---------------------------- */

/* The OUTs and final registers of the image under KVM. */
static int kvm_trace(const uint8_t *image, uint64_t size, struct out_trace *tr,
		     struct kvm_regs *regs, struct kvm_sregs *sregs)
{
	struct kvm_ctx k;
	int r = 1;

	if (kvm_setup_real(&k, size, LOAD))
		goto out;
	memcpy(k.ram, image, size);
	if (kvm_out_trace(&k, tr))
		goto out;
	if (ioctl(k.vcpu, KVM_GET_REGS, regs) || ioctl(k.vcpu, KVM_GET_SREGS, sregs))
		fail("KVM_GET_*REGS: %s", strerror(errno));
	else
		r = 0;
out:
	kvm_teardown(&k);
	return r;
}

static int compare_with_kvm(struct vm_ctx *c, const uint8_t *image)
{
	struct out_trace th = { 0 }, tk = { 0 };
	struct kvm_regs kr;
	struct kvm_sregs ks;
	vcpu_state_t s;

	/* KVM first: it cannot enable VMX while haxm has a VM (docs/design.md). */
	if (kvm_trace(image, c->ram_size, &tk, &kr, &ks) || vm_setup(c, c->ram_size))
		return 1;
	memcpy(c->ram, image, c->ram_size);
	if (vm_load_real(c, LOAD, g_switch_start, g_switch_end) || vm_out_trace(c, &th) ||
	    out_trace_equal(&th, &tk))
		return 1;
	CHECK_OK(hax_get_regs(c->vcpu_fd, &s));
	CHECK_EQ(s._rip, kr.rip);
	CHECK_EQ(s._rflags, kr.rflags);
	CHECK_EQ(s._regs[HAX_REG_RAX], kr.rax);
	CHECK_EQ(s._regs[HAX_REG_RCX], kr.rcx);
	CHECK_EQ(s._regs[HAX_REG_RDX], kr.rdx);
	CHECK_EQ(s._regs[HAX_REG_RSP], kr.rsp);
	CHECK_EQ(s._regs[HAX_REG_R9], kr.r9);
	CHECK_EQ(s._cr0, ks.cr0);
	CHECK_EQ(s._cr3, ks.cr3);
	CHECK_EQ(s._cr4, ks.cr4);
	CHECK_EQ(s._efer, ks.efer);
	CHECK_EQ(s._cs.selector, ks.cs.selector);
	CHECK_EQ(s._ss.selector, ks.ss.selector);
	return 0;
}

/* kvm_intel runs the mode-switch guest to the same OUTs and final state. */
TEST(modes_switch_same_as_kvm)
{
	struct vm_ctx c = { .sys_fd = -1, .vm_fd = -1, .vcpu_fd = -1, .ram_size = 1 << 20 };
	struct vm_ctx img = { .ram_size = 1 << 20 };
	int r;

	img.ram = calloc(1, img.ram_size);
	CHECK(img.ram);
	build_tables(&img);
	memcpy(img.ram + LOAD, g_switch_start, g_switch_end - g_switch_start);
	r = compare_with_kvm(&c, img.ram);
	vm_teardown(&c);
	free(img.ram);
	return r;
}
