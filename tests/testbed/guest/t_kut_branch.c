// SPDX-License-Identifier: GPL-2.0
/*
 * Branches and segment pops whose stack or pointer is MMIO, which haxm's
 * emulator (core/emulate: emu_stack.c, emu_sys.c) must carry out through
 * FAST_MMIO exits to the device of mmio_dev.h, as kvm-unit-tests' emulator
 * test meets them: near branches with a 66 prefix in 64-bit mode (ignored,
 * as Intel's CPUs ignore it, SDM Vol. 1 6.3.7), far CALL (ptr16:32,
 * m16:32, m16:64), POP DS/ES/SS/FS and the interrupt shadow of POP SS.
 * t_kut_emu.c has the emulator test's other findings.
 */
#include "harness.h"
#include "mmio_dev.h"

/* ---- data16 CALL rel32, RET, JMP and CALL indirect in 64-bit mode ---- */

/*
 * With RSP in the device (linear 0x400000): data16 call rel32, data16
 * ret, data16 jmp *(%rsp), data16 call *0x400100; each stack access and
 * pointer read 8 bytes, every target a full 64-bit RIP.
 */
GUEST_CODE(g_kb_near, ".code64\n mov $0x401000, %rsp\n"
		      " .byte 0x66, 0xe8\n .long 1f - 2f\n"
		      "2: lea 3f(%rip), %rax\n push %rax\n"
		      " .byte 0x66, 0xff, 0x24, 0x24\n hlt\n"
		      "1: .byte 0x66, 0xc3\n hlt\n"
		      "3: lea 4f(%rip), %rax\n mov %rax, 0x400100\n"
		      " .byte 0x66, 0xff, 0x14, 0x25\n .long 0x400100\n"
		      "g_kb_near_ret: hlt\n"
		      "4: pop %rbx\n mov %rsp, %r14\n hlt\n");
extern const uint8_t g_kb_near_ret[];

VM_TEST(kut_near_branch_66_in_mmio, 64 << 10)
{
	static const uint8_t dirs[] = { 'W', 'R', 'W', 'R', 'W', 'R', 'W', 'R' };
	static const uint16_t offs[] = { 0xff8, 0xff8, 0xff8, 0xff8, 0x100, 0x100, 0xff0, 0xff0 };
	struct dev d;
	vcpu_state_t s;
	unsigned int i;

	dev_init(&d);
	if (vm_load_paged(c, true, g_kb_near_start, g_kb_near_end) || dev_run(c, &d))
		return 1;
	CHECK_EQ(d.n, (int)sizeof(dirs));
	for (i = 0; i < sizeof(dirs); i++) {
		if (dirs[i] == 'W')
			ACC(i, WRITE, offs[i], 8);
		else
			ACC(i, READ, offs[i], 8);
	}
	CHECK_OK(hax_get_regs(c->vcpu_fd, &s));
	CHECK_EQ(s._regs[HAX_REG_RBX], 0x1000 + (g_kb_near_ret - g_kb_near_start));
	CHECK_EQ(s._regs[14], 0x400ff8);
	CHECK_EQ(s._rip, 0x1000 + (g_kb_near_end - g_kb_near_start));
	return 0;
}

/* ---- far CALL and POP Sreg with the stack in MMIO (32-bit) ---- */

/*
 * ESP in the device: lcall ptr16:32 (9A) to 1:, whose frame is one 8-byte
 * write; pop the frame, POP DS and POP ES (selector 0x18 from the device);
 * lcall *0x400020 (m16:32 in the device) to g_kb_far32_to; pop that frame
 * and POP SS (0x18).
 */
GUEST_CODE(g_kb_far32, ".code32\n mov $0x400ff0, %esp\n"
		       " .byte 0x9a\n .long 0x1000 + (1f - g_kb_far32_start)\n .word 8\n"
		       "g_kb_far32_ret1: hlt\n"
		       "1: pop %ebx\n pop %ecx\n pop %ds\n pop %es\n lcall *0x400020\n"
		       "g_kb_far32_ret2: hlt\n"
		       "g_kb_far32_to: pop %esi\n pop %edi\n pop %ss\n mov %esp, %ebp\n hlt\n");
extern const uint8_t g_kb_far32_ret1[], g_kb_far32_ret2[], g_kb_far32_to[];

VM_TEST(kut_far_call_pop_sreg_mmio_stack, 64 << 10)
{
	/* code 8, data 0x10 (the loader's), data 0x18 not yet accessed */
	static const uint64_t gdt[4] = { 0, 0x00cf9b000000ffffULL, 0x00cf93000000ffffULL,
					 0x00cf92000000ffffULL };
	uint32_t to = 0x1000 + (g_kb_far32_to - g_kb_far32_start), sel = 0x18;
	struct dev d;
	vcpu_state_t s;

	dev_init(&d);
	memcpy(d.mem + 0x20, &to, 4);
	memcpy(d.mem + 0x24, (uint16_t[]){ 8 }, 2);
	memcpy(d.mem + 0xff0, &sel, 4);
	memcpy(d.mem + 0xff4, &sel, 4);
	memcpy(d.mem + 0xff8, &sel, 4);
	if (dev_run_paged(c, &d, false, g_kb_far32_start, g_kb_far32_end, gdt, sizeof(gdt)))
		return 1;
	CHECK_EQ(d.n, 11);
	ACC(0, WRITE, 0xfe8, 8); /* EIP and CS, one write */
	ACC(1, READ, 0xfe8, 4);
	ACC(2, READ, 0xfec, 4);
	ACC(3, READ, 0xff0, 4); /* POP DS */
	ACC(4, READ, 0xff4, 4); /* POP ES */
	ACC(5, READ, 0x20, 4);
	ACC(6, READ, 0x24, 2);
	ACC(7, WRITE, 0xff0, 8);
	ACC(8, READ, 0xff0, 4);
	ACC(9, READ, 0xff4, 4);
	ACC(10, READ, 0xff8, 4); /* POP SS */
	CHECK_OK(hax_get_regs(c->vcpu_fd, &s));
	CHECK_EQ(s._regs[HAX_REG_RBX], 0x1000 + (g_kb_far32_ret1 - g_kb_far32_start));
	CHECK_EQ(s._regs[HAX_REG_RCX], 8);
	CHECK_EQ(s._regs[HAX_REG_RSI], 0x1000 + (g_kb_far32_ret2 - g_kb_far32_start));
	CHECK_EQ(s._regs[HAX_REG_RDI], 8);
	CHECK_EQ(s._cs.selector, 8);
	CHECK_EQ(s._ds.selector, 0x18);
	CHECK_EQ(s._es.selector, 0x18);
	CHECK_EQ(s._ss.selector, 0x18);
	CHECK_EQ(s._ss.ar & 0xffff, 0xc093);
	CHECK_EQ(c->ram[SYS_GDT + 0x18 + 5], 0x93); /* marked accessed */
	CHECK_EQ(s._regs[HAX_REG_RBP], 0x400ffc);
	CHECK_EQ(s._rip, 0x1000 + (g_kb_far32_end - g_kb_far32_start));
	return 0;
}

/* ---- far CALL m16:64 from MMIO, POP FS from MMIO (64-bit) ---- */

/*
 * rex64 lcall *0x400020 (the pointer in the device, the stack in RAM) to
 * g_kb_far64_to in code segment 8; then POP FS with RSP in the device.
 */
GUEST_CODE(g_kb_far64, ".code64\n rex64 lcall *0x400020\n"
		       "g_kb_far64_ret: hlt\n"
		       "g_kb_far64_to: pop %rbx\n pop %rcx\n mov $0x400ff8, %rsp\n pop %fs\n"
		       " mov %fs, %r8d\n hlt\n");
extern const uint8_t g_kb_far64_ret[], g_kb_far64_to[];

VM_TEST(kut_far_call_m16_64_pop_fs_mmio, 64 << 10)
{
	static const uint64_t gdt[3] = { 0, 0x00af9a000000ffffULL, 0x00cf92000000ffffULL };
	uint64_t to = 0x1000 + (g_kb_far64_to - g_kb_far64_start), sel = 0x10;
	struct dev d;
	vcpu_state_t s;

	dev_init(&d);
	memcpy(d.mem + 0x20, &to, 8);
	memcpy(d.mem + 0x28, (uint16_t[]){ 8 }, 2);
	memcpy(d.mem + 0xff8, &sel, 8);
	if (dev_run_paged(c, &d, true, g_kb_far64_start, g_kb_far64_end, gdt, sizeof(gdt)))
		return 1;
	CHECK_EQ(d.n, 3);
	ACC(0, READ, 0x20, 8);
	ACC(1, READ, 0x28, 2);
	ACC(2, READ, 0xff8, 8);
	CHECK_OK(hax_get_regs(c->vcpu_fd, &s));
	CHECK_EQ(s._regs[HAX_REG_RBX], 0x1000 + (g_kb_far64_ret - g_kb_far64_start));
	CHECK_EQ(s._regs[HAX_REG_RCX], 8);
	CHECK_EQ(s._cs.selector, 8);
	CHECK_EQ(c->ram[SYS_GDT + 8 + 5], 0x9b); /* marked accessed */
	CHECK_EQ(s._regs[HAX_REG_R8], 0x10);
	CHECK_EQ(s._fs.selector, 0x10);
	CHECK_EQ(s._regs[HAX_REG_RSP], 0x401000);
	CHECK_EQ(s._rip, 0x1000 + (g_kb_far64_end - g_kb_far64_start));
	return 0;
}

/* ---- POP SS blocks interrupts for one instruction (SDM 6.8.3) ---- */

/*
 * Real mode, IF=1, SS:SP in the device: POP SS loads 0x800 (RAM) from
 * 0xf0010, then an OUT to 0x84 in its shadow; vector 0x22's handler says
 * 0x22 on port 0x80.
 */
GUEST_CODE(g_kb_popss, ".code16\n mov $0xf000, %ax\n mov %ax, %ss\n mov $0x10, %sp\n"
		       " sti\n nop\n pop %ss\n out %al, $0x84\n hlt\n");
GUEST_CODE(g_kb_h22, ".code16\n push %ax\n mov $0x22, %al\n out %al, $0x80\n pop %ax\n iret\n");

VM_TEST(kut_pop_ss_blocks_interrupts, 64 << 10)
{
	struct hax_fastmmio *m = (struct hax_fastmmio *)c->iobuf;
	vcpu_state_t s;

	lapic_ivt_set(c->ram, 0x22, 0x3000, g_kb_h22_start, g_kb_h22_end);
	if (vm_load_real(c, 0x1000, g_kb_popss_start, g_kb_popss_end))
		return 1;
	if (expect_exit(c, HAX_EXIT_FAST_MMIO))
		return 1;
	CHECK_EQ(m->gpa, MMIO_BASE + 0x10);
	CHECK_EQ(m->size, 2);
	CHECK_EQ(m->direction, HAX_FASTMMIO_READ);
	/* an interrupt arrives while POP SS waits for its data, as QEMU queues one */
	m->value = 0x800;
	CHECK_OK(hax_interrupt(c->vcpu_fd, 0x22));
	/* the OUT in POP SS's shadow first, then the interrupt */
	if (expect_exit(c, HAX_EXIT_IO))
		return 1;
	CHECK_EQ(c->tunnel->io._port, 0x84);
	if (expect_out(c, 0x80, 1, 0x22) || expect_exit(c, HAX_EXIT_HLT))
		return 1;
	CHECK_OK(hax_get_regs(c->vcpu_fd, &s));
	CHECK_EQ(s._ss.selector, 0x800);
	CHECK_EQ(s._ss.base, 0x8000);
	CHECK_EQ(s._regs[HAX_REG_RSP] & 0xffff, 0x12);
	CHECK_EQ(s._rip, 0x1000 + (g_kb_popss_end - g_kb_popss_start));
	return 0;
}
