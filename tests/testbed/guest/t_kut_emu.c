// SPDX-License-Identifier: GPL-2.0
/*
 * What kvm-unit-tests' emulator test (x86/emulator.c, emulator64.c) found
 * under QEMU -accel hax, kept as haxm's own tests (t_kut.c has the other
 * tests' findings): instructions whose memory operand is MMIO, which
 * haxm's emulator (core/emulate) must carry out through FAST_MMIO exits
 * to the MMIO device of mmio_dev.h: SMSW, LTR/LLDT, far JMP and MOV SS,
 * REP INS/OUTS, and the stack instructions with RSP in MMIO.
 */
#include "harness.h"
#include "mmio_dev.h"

/* ---- emulator "smsw (3)": SMSW to MMIO ("cannot emulate 41 0f 01 a4") ---- */

/* SMSW to the MMIO device at 0xf0010: a 16-bit write of CR0's low half. */
GUEST_CODE(g_kut_smsw, ".code16\n mov $0xf000, %ax\n mov %ax, %ds\n smsw 0x10\n"
		       " smsw %eax\n hlt\n");

VM_TEST(kut_smsw_to_mmio, 64 << 10)
{
	struct dev d;
	vcpu_state_t s;

	dev_init(&d);
	if (vm_load_real(c, 0x1000, g_kut_smsw_start, g_kut_smsw_end) || dev_run(c, &d))
		return 1;
	CHECK_OK(hax_get_regs(c->vcpu_fd, &s));
	CHECK_EQ(d.n, 1);
	ACC(0, WRITE, 0x10, 2);
	CHECK_EQ(d.log[0].val & 0xffff, s._cr0 & 0xffff);
	CHECK_EQ(s._regs[HAX_REG_RAX] & 0xffff, s._cr0 & 0xffff);
	CHECK_EQ(s._rip, 0x1000 + (g_kut_smsw_end - g_kut_smsw_start));
	return 0;
}

/* ---- emulator "ltr": LTR and LLDT from MMIO ("cannot emulate 41 0f 00 5d") ---- */

#define SYS_LOG 0xa800 /* the handlers' records: vector << 16 | error code */

/*
 * LTR and LLDT whose selector is in the device (linear 0x400000, each of
 * them 8 bytes long: RSI for the handlers): a TSS, then an LDT; then
 * faults: the TSS again (busy: #GP), a TSS not present (#NP), a TSS
 * selector to LLDT (#GP). STR and SLDT in R8 and R9.
 */
GUEST_CODE(g_kut_ltr, ".code64\n mov $0xa800, %edi\n mov $8, %esi\n"
		      " ltr 0x400010\n str %r8d\n lldt 0x400012\n sldt %r9d\n"
		      " ltr 0x400014\n ltr 0x400016\n lldt 0x400018\n hlt\n");
/* #GP and #NP: record, step over the instruction */
GUEST_CODE(g_kut_ltr_gp, ".code64\n pop %rax\n or $0xd0000, %eax\n mov %eax, (%rdi)\n"
			 " add $4, %rdi\n add %rsi, (%rsp)\n iretq\n");
GUEST_CODE(g_kut_ltr_np, ".code64\n pop %rax\n or $0xb0000, %eax\n mov %eax, (%rdi)\n"
			 " add $4, %rdi\n add %rsi, (%rsp)\n iretq\n");

static void sys_gate(struct vm_ctx *c, int vec, uint64_t off, const uint8_t *start,
		     const uint8_t *end)
{
	uint64_t g[2] = { (off & 0xffff) | (8ULL << 16) | (0x8e00ULL << 32), 0 };

	memcpy(c->ram + off, start, end - start);
	memcpy(c->ram + SYS_IDT + 16 * vec, g, sizeof(g));
}

VM_TEST(kut_ltr_lldt_from_mmio, 64 << 10)
{
	/*
	 * code 8, data 0x10; 16-byte system descriptors: a 64-bit TSS at 0x18
	 * (base 0x7fff12345000, limit 0x67), an LDT at 0x28 (base 0x5000,
	 * limit 0xfff), a TSS not present at 0x38
	 */
	static const uint64_t gdt[9] = {
		0,
		0x00af9a000000ffffULL,
		0x00cf92000000ffffULL,
		0x1200893450000067ULL,
		0x7fff,
		0x0000820050000fffULL,
		0,
		0x0000090000000067ULL,
		0,
	};
	uint32_t log[3];
	struct dev d;
	vcpu_state_t s;

	dev_init(&d);
	memcpy(d.mem + 0x10, (uint16_t[]){ 0x18, 0x28, 0x18, 0x38, 0x18 }, 10);
	if (vm_load_paged(c, true, g_kut_ltr_start, g_kut_ltr_end))
		return 1;
	sys_gate(c, 11, 0xb000, g_kut_ltr_np_start, g_kut_ltr_np_end);
	sys_gate(c, 13, 0xb100, g_kut_ltr_gp_start, g_kut_ltr_gp_end);
	if (sys_tables(c, gdt, sizeof(gdt), true) || dev_run(c, &d))
		return 1;
	CHECK_EQ(d.n, 5);
	for (int i = 0; i < 5; i++)
		ACC(i, READ, 0x10 + 2 * i, 2);
	CHECK_OK(hax_get_regs(c->vcpu_fd, &s));
	CHECK_EQ(s._regs[HAX_REG_R8], 0x18);
	CHECK_EQ(s._regs[HAX_REG_R9], 0x28);
	CHECK_EQ(s._tr.selector, 0x18);
	CHECK_EQ(s._tr.base, 0x7fff12345000ULL);
	CHECK_EQ(s._tr.limit, 0x67);
	CHECK_EQ(s._tr.ar, 0x8b); /* busy */
	CHECK_EQ(c->ram[SYS_GDT + 0x18 + 5], 0x8b);
	CHECK_EQ(s._ldt.selector, 0x28);
	CHECK_EQ(s._ldt.base, 0x5000);
	CHECK_EQ(s._ldt.limit, 0xfff);
	CHECK_EQ(s._ldt.ar, 0x82);
	memcpy(log, c->ram + SYS_LOG, sizeof(log));
	CHECK_EQ(log[0], 0xd0018);
	CHECK_EQ(log[1], 0xb0038);
	CHECK_EQ(log[2], 0xd0018);
	CHECK_EQ(c->ram[SYS_GDT + 0x38 + 5], 0x09); /* untouched */
	CHECK_EQ(s._rip, 0x1000 + (g_kut_ltr_end - g_kut_ltr_start));
	return 0;
}

/* ---- emulator "ljmp", "mov null, %ss": far JMP and MOV SS from MMIO ---- */

/*
 * REX.W JMP m16:64 whose pointer is in the device (linear 0x400020: the
 * offset, then selector 8), then MOV SS from the device (0x400030: a null
 * selector, which 64-bit mode allows at CPL 0); SS's selector to R8.
 */
GUEST_CODE(g_kut_far, ".code64\n rex64 ljmp *0x400020\n hlt\n"
		      "g_kut_far_to: mov 0x400030, %ss\n mov %ss, %r8d\n hlt\n");
extern const uint8_t g_kut_far_to[];

VM_TEST(kut_ljmp_mov_ss_from_mmio, 64 << 10)
{
	static const uint64_t gdt[3] = { 0, 0x00af9a000000ffffULL, 0x00cf92000000ffffULL };
	uint64_t to = 0x1000 + (g_kut_far_to - g_kut_far_start);
	struct dev d;
	vcpu_state_t s;

	dev_init(&d);
	memcpy(d.mem + 0x20, &to, 8);
	memcpy(d.mem + 0x28, (uint16_t[]){ 8 }, 2);
	memcpy(d.mem + 0x30, (uint16_t[]){ 0 }, 2);
	if (dev_run_paged(c, &d, true, g_kut_far_start, g_kut_far_end, gdt, sizeof(gdt)))
		return 1;
	CHECK_EQ(d.n, 3);
	ACC(0, READ, 0x20, 8);
	ACC(1, READ, 0x28, 2);
	ACC(2, READ, 0x30, 2);
	CHECK_OK(hax_get_regs(c->vcpu_fd, &s));
	CHECK_EQ(s._cs.selector, 8);
	CHECK_EQ(s._cs.ar & 0xffff, 0xa09b);
	CHECK_EQ(c->ram[SYS_GDT + 8 + 5], 0x9b); /* marked accessed */
	CHECK_EQ(s._ss.selector, 0);
	CHECK_EQ(s._regs[HAX_REG_R8], 0);
	CHECK_EQ(s._rip, 0x1000 + (g_kut_far_end - g_kut_far_start));
	return 0;
}

/* ---- emulator "string_io_mmio": REP INS/OUTS with MMIO ("cannot emulate f3 6c") ---- */

/*
 * The device at 0xf0000 as DS and ES: REP INSB of 4 bytes into it, REP
 * OUTSW of 3 words from it, REP INSW of 2 words into it backwards (DF).
 */
GUEST_CODE(g_kut_strio, ".code16\n mov $0xf000, %ax\n mov %ax, %ds\n mov %ax, %es\n"
			" cld\n mov $0x20, %di\n mov $4, %cx\n mov $0xe0, %dx\n rep insb\n"
			" mov $0x40, %si\n mov $3, %cx\n mov $0x80, %dx\n rep outsw\n"
			" std\n mov $0x106, %di\n mov $2, %cx\n mov $0x71, %dx\n rep insw\n"
			" cld\n hlt\n");

VM_TEST(kut_string_io_mmio, 64 << 10)
{
	static const uint8_t in_words[4] = { 0x40, 0x41, 0x40, 0x41 };
	uint8_t pattern[6];
	struct dev d;
	vcpu_state_t s;

	dev_init(&d);
	d.in_fill = 0x40;
	memcpy(pattern, d.mem + 0x40, sizeof(pattern));
	if (vm_load_real(c, 0x1000, g_kut_strio_start, g_kut_strio_end) || dev_run(c, &d))
		return 1;
	/* each element an IO exit of one element and an MMIO access of its size */
	CHECK_EQ(d.io_exits, 9);
	CHECK_EQ(d.io_count, 1);
	CHECK_EQ(d.n, 9);
	for (int i = 0; i < 4; i++)
		ACC(i, WRITE, 0x20 + i, 1);
	for (int i = 0; i < 3; i++)
		ACC(4 + i, READ, 0x40 + 2 * i, 2);
	ACC(7, WRITE, 0x106, 2);
	ACC(8, WRITE, 0x104, 2);
	CHECK_EQ(dev_val(&d, 0x20, 4), 0x40404040);
	CHECK_EQ(d.out_len, 6);
	CHECK(!memcmp(d.out, pattern, sizeof(pattern)));
	CHECK(!memcmp(d.mem + 0x104, in_words, sizeof(in_words)));
	CHECK_OK(hax_get_regs(c->vcpu_fd, &s));
	CHECK_EQ(s._regs[HAX_REG_RCX] & 0xffff, 0);
	CHECK_EQ(s._regs[HAX_REG_RSI] & 0xffff, 0x46);
	CHECK_EQ(s._regs[HAX_REG_RDI] & 0xffff, 0x102);
	CHECK_EQ(s._rip, 0x1000 + (g_kut_strio_end - g_kut_strio_start));
	return 0;
}

/* ---- emulator test_push, test_pop: the stack in MMIO ("cannot emulate 6a f9") ---- */

/*
 * A 64-bit paged guest whose linear 0x400000 is the device runs PUSH
 * imm8/imm32/reg, POP, RET, CALL, ENTER, LEAVE, PUSHF and POPF with RSP in
 * that page (core/emulate/emu_stack.c); each stack access is one FAST_MMIO
 * access of 8 bytes.
 */
GUEST_CODE(g_kut_stack, ".code64\n"
			" mov $0x401000, %rsp\n"
			" pushq $-7\n"
			" mov $-17, %rax\n push %rax\n"
			" pushq $-7070707\n"
			" pop %rbx\n"
			" lea 1f(%rip), %rax\n push %rax\n ret\n hlt\n"
			"1: call 2f\n jmp 3f\n"
			"2: ret\n hlt\n"
			"3: mov $0x1234, %rbp\n enter $0x100, $0\n mov %rbp, %r13\n leave\n"
			" pushfq\n popfq\n"
			" mov %rsp, %r14\n hlt\n");

VM_TEST(kut_stack_in_mmio, 64 << 10)
{
	/* W: a push's write, R: a pop's read, all at 0xfe8 after the first three */
	static const uint8_t dirs[] = {
		'W', 'W', 'W', 'R', 'W', 'R', 'W', 'R', 'W', 'R', 'W', 'R'
	};
	struct dev d;
	vcpu_state_t s;
	unsigned int i;

	dev_init(&d);
	if (vm_load_paged(c, true, g_kut_stack_start, g_kut_stack_end) || dev_run(c, &d))
		return 1;
	CHECK_EQ(d.n, (int)sizeof(dirs));
	for (i = 0; i < sizeof(dirs); i++) {
		uint32_t off = i < 3 ? 0xff8 - 8 * i : 0xfe8;

		if (dirs[i] == 'W')
			ACC(i, WRITE, off, 8);
		else
			ACC(i, READ, off, 8);
	}
	CHECK_EQ(dev_val(&d, 0xff8, 8), (uint64_t)-7);
	CHECK_EQ(dev_val(&d, 0xff0, 8), (uint64_t)-17);
	CHECK_EQ(d.log[2].val, (uint64_t)-7070707);
	/* the flags image PUSHF wrote: bit 1 set, RF and VM clear */
	CHECK_EQ(dev_val(&d, 0xfe8, 8) & 0x30002, 2);
	CHECK_OK(hax_get_regs(c->vcpu_fd, &s));
	CHECK_EQ(s._regs[HAX_REG_RBX], (uint64_t)-7070707);
	CHECK_EQ(s._regs[13], 0x400fe8);	/* ENTER's frame pointer */
	CHECK_EQ(s._regs[HAX_REG_RBP], 0x1234); /* LEAVE's pop */
	CHECK_EQ(s._regs[14], 0x400ff0);
	CHECK_EQ(s._regs[HAX_REG_RSP], 0x400ff0);
	CHECK_EQ(s._rip, 0x1000 + (g_kut_stack_end - g_kut_stack_start));
	return 0;
}
