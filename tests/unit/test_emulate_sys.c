// SPDX-License-Identifier: GPL-2.0
/*
 * The emulator's system instructions (core/emulate/emu_sys.c): LTR, LLDT,
 * STR, SLDT, SMSW, SGDT, SIDT, LGDT and LIDT with a memory operand, as the
 * module meets them when that operand is MMIO (kvm-unit-tests emulator
 * "ltr") or haxm emulates UMIP (kvm-unit-tests umip), against the SDM's
 * LTR/LLDT pseudocode and exception lists: descriptor types, the busy bit,
 * present, GDT limit, TI, null selectors, 16-byte descriptors in IA-32e
 * mode, CPL, UMIP, real mode. And the segment loads MOV Sreg and far JMP
 * (kvm-unit-tests emulator "mov null, %ss", "ljmp") against the SDM's
 * checks for each.
 */
#include "unit.h"

#include "emulate/emulate.h"

/* Flat guest memory, linear = physical (no paging): 64 KiB. */
#define MEM_SIZE 0x10000
#define GDT	 0x1000
#define OPND	 0x3000 /* the instructions' memory operand */
#define CODE	 0x4000
static u8 mem[MEM_SIZE];
static u32 writes, sys_reads;

static int s_read(struct emu *e, u64 la, void *buf, u32 size, bool fetch)
{
	if (la + size > MEM_SIZE)
		return EMU_UNHANDLED;
	memcpy(buf, mem + la, size);
	return EMU_OK;
}

static int s_write(struct emu *e, u64 la, const void *buf, u32 size)
{
	if (la + size > MEM_SIZE)
		return EMU_UNHANDLED;
	memcpy(mem + la, buf, size);
	writes++;
	return EMU_OK;
}

#define IDT_BASE 0xffffffff81234000ULL

/* The "VMCS": GDTR, IDTR, and LDTR/TR as a guest left them. */
static int s_sys_read(struct emu *e, struct emu_sys *sys)
{
	sys_reads++;
	sys->gdt_base = GDT;
	sys->gdt_limit = 0x7f;
	sys->idt = (struct emu_dtr){ .base = IDT_BASE, .limit = 0xfff };
	sys->ldtr = (struct emu_seg){ .sel = 0x30, .ar = 0x82, .limit = 0xff, .base = 0x7000 };
	sys->tr = (struct emu_seg){ .sel = 0x40, .ar = 0x8b, .limit = 0x67, .base = 0x8000 };
	return EMU_OK;
}

static const struct emu_ops ops = { .read = s_read, .write = s_write, .sys_read = s_sys_read };

/* Code at CODE in protected mode: @mode 4 (32-bit) or 8 (64-bit), CPL 0. */
static void setup(struct emu *e, int mode, const char *code, size_t len)
{
	memset(e, 0, sizeof(*e));
	memset(mem, 0, sizeof(mem));
	e->ops = &ops;
	for (int i = 0; i < EMU_NSEG; i++) {
		e->s.seg[i].ar = 0x93 | EMU_AR_DB | EMU_AR_P;
		e->s.seg[i].limit = 0xffffffff;
	}
	e->s.seg[EMU_CS].ar = 0x9b | (mode == 4 ? EMU_AR_DB : EMU_AR_L);
	e->s.cr0 = 0x11;
	e->s.efer = mode == 8 ? 0x500 : 0;
	e->s.rflags = 2;
	e->s.rip = CODE;
	memcpy(mem + CODE, code, len);
	writes = sys_reads = 0;
}

/* A system descriptor: @type (S = 0), present @p, @base, byte-granular @limit. */
static void desc(u16 sel, u8 type, bool p, u64 base, u32 limit)
{
	u64 d = (limit & 0xffff) | (base & 0xffffff) << 16 | (u64)(type | (p ? 0x80 : 0)) << 40 |
		(u64)(limit >> 16 & 0xf) << 48 | (base >> 24 & 0xff) << 56;
	u32 hi = base >> 32;

	memcpy(mem + GDT + (sel & ~7), &d, 8);
	memcpy(mem + GDT + (sel & ~7) + 8, &hi, 4);
}

static void opnd(u16 sel)
{
	memcpy(mem + OPND, &sel, 2);
}

/* ltr 0x3000 / lldt 0x3000 / str 0x3000 / sldt 0x3000 (absolute disp32) */
#define LTR_M  "\x0f\x00\x1c\x25\x00\x30\x00\x00"
#define LLDT_M "\x0f\x00\x14\x25\x00\x30\x00\x00"
#define STR_M  "\x0f\x00\x0c\x25\x00\x30\x00\x00"
#define SLDT_M "\x0f\x00\x04\x25\x00\x30\x00\x00"

/* A fault: nothing changed, in the state or in memory. */
static void expect_fault(struct emu *e, u8 vec, s64 err)
{
	struct emu_state before = e->s;

	assert_int_equal(emu_step(e), EMU_EXCEPTION);
	assert_memory_equal(&before, &e->s, sizeof(before));
	assert_int_equal(e->exc_vec, vec);
	assert_int_equal(e->exc_has_err, err >= 0);
	if (err >= 0)
		assert_int_equal(e->exc_err, err);
	assert_int_equal(e->s.rip, CODE);
	assert_int_equal(writes, 0);
}

/* LTR in 32-bit code: TR from the GDT with the busy type, marked busy there. */
static void test_ltr_32bit(void **state)
{
	struct emu e;

	(void)state;
	setup(&e, 4, LTR_M, 8);
	desc(0x18, 0x9, true, 0x12345678, 0x12067);
	opnd(0x1b); /* RPL 3: TR's selector keeps it */
	assert_int_equal(emu_step(&e), EMU_OK);
	assert_int_equal(e.s.rip, CODE + 8);
	assert_int_equal(e.s.sys_dirty, EMU_SYS_TR);
	assert_int_equal(e.s.tr.sel, 0x1b);
	assert_int_equal(e.s.tr.base, 0x12345678);
	assert_int_equal(e.s.tr.limit, 0x12067);
	assert_int_equal(e.s.tr.ar, 0x8b);
	assert_int_equal(mem[GDT + 0x18 + 5], 0x8b); /* busy in the GDT */
	assert_int_equal(writes, 1);

	/* now busy: #GP(selector), with RPL cleared */
	e.s.rip = CODE;
	writes = 0;
	expect_fault(&e, EMU_VEC_GP, 0x18);

	/* a 16-bit TSS is a TSS outside IA-32e mode; G scales the limit */
	setup(&e, 4, LTR_M, 8);
	desc(0x20, 0x1, true, 0x9000, 0x2b);
	mem[GDT + 0x20 + 6] |= 0x80;
	opnd(0x20);
	assert_int_equal(emu_step(&e), EMU_OK);
	assert_int_equal(e.s.tr.ar, 0x8083);
	assert_int_equal(e.s.tr.limit, 0x2bfff);
	assert_int_equal(mem[GDT + 0x20 + 5], 0x83);
}

/* LTR in 64-bit mode: a 16-byte descriptor, the base's upper half. */
static void test_ltr_64bit(void **state)
{
	struct emu e;

	(void)state;
	setup(&e, 8, LTR_M, 8);
	desc(0x50, 0x9, true, 0x00007fff12345000ULL, 0x67);
	opnd(0x50);
	assert_int_equal(emu_step(&e), EMU_OK);
	assert_int_equal(e.s.tr.base, 0x00007fff12345000ULL);
	assert_int_equal(e.s.tr.ar, 0x8b);
	assert_int_equal(e.s.sys_dirty, EMU_SYS_TR);
	assert_int_equal(mem[GDT + 0x50 + 5], 0x8b);
	assert_int_equal(sys_reads, 1);

	/* a 16-bit TSS type is reserved in IA-32e mode */
	setup(&e, 8, LTR_M, 8);
	desc(0x50, 0x1, true, 0x5000, 0x67);
	opnd(0x50);
	expect_fault(&e, EMU_VEC_GP, 0x50);
	/* the upper half's type must be 0 */
	setup(&e, 8, LTR_M, 8);
	desc(0x50, 0x9, true, 0x5000, 0x67);
	mem[GDT + 0x50 + 13] = 0x09;
	opnd(0x50);
	expect_fault(&e, EMU_VEC_GP, 0x50);
	/* a non-canonical base */
	setup(&e, 8, LTR_M, 8);
	desc(0x50, 0x9, true, 0x0000800000000000ULL, 0x67);
	opnd(0x50);
	expect_fault(&e, EMU_VEC_GP, 0x50);
	/* the 16-byte descriptor must fit below the GDT limit (0x7f) */
	setup(&e, 8, LTR_M, 8);
	desc(0x78, 0x9, true, 0x5000, 0x67);
	opnd(0x78);
	expect_fault(&e, EMU_VEC_GP, 0x78);
}

/* The selector and descriptor faults of LTR, in the SDM's order. */
static void test_ltr_faults(void **state)
{
	struct emu e;

	(void)state;
	setup(&e, 4, LTR_M, 8);
	opnd(0x3); /* null, any RPL: #GP(0) */
	expect_fault(&e, EMU_VEC_GP, 0);
	opnd(0x1c); /* TI = 1 */
	expect_fault(&e, EMU_VEC_GP, 0x1c);
	opnd(0x80); /* past the limit */
	expect_fault(&e, EMU_VEC_GP, 0x80);
	desc(0x28, 0x2, true, 0x5000, 0x67); /* an LDT is no TSS */
	opnd(0x28);
	expect_fault(&e, EMU_VEC_GP, 0x28);
	desc(0x28, 0x9, false, 0x5000, 0x67); /* not present */
	expect_fault(&e, EMU_VEC_NP, 0x28);
	assert_int_equal(mem[GDT + 0x28 + 5], 0x09);

	/* CPL 3: #GP(0) before the operand is read; real mode: #UD */
	desc(0x28, 0x9, true, 0x5000, 0x67);
	e.s.cpl = 3;
	expect_fault(&e, EMU_VEC_GP, 0);
	assert_int_equal(sys_reads, 5);
	e.s.cpl = 0;
	e.s.cr0 = 0x10;
	e.s.seg[EMU_CS].ar = 0x9b;
	expect_fault(&e, EMU_VEC_UD, -1);
}

/* LLDT: an LDT descriptor, or a null selector that makes LDTR unusable. */
static void test_lldt(void **state)
{
	struct emu e;

	(void)state;
	setup(&e, 8, LLDT_M, 8);
	desc(0x60, 0x2, true, 0x00001234abcd0000ULL, 0xfff);
	opnd(0x63);
	assert_int_equal(emu_step(&e), EMU_OK);
	assert_int_equal(e.s.sys_dirty, EMU_SYS_LDTR);
	assert_int_equal(e.s.ldtr.sel, 0x63);
	assert_int_equal(e.s.ldtr.base, 0x00001234abcd0000ULL);
	assert_int_equal(e.s.ldtr.limit, 0xfff);
	assert_int_equal(e.s.ldtr.ar, 0x82);
	assert_int_equal(writes, 0); /* no busy bit for an LDT */

	e.s.rip = CODE;
	opnd(0x2); /* null: unusable, no fault */
	assert_int_equal(emu_step(&e), EMU_OK);
	assert_int_equal(e.s.ldtr.sel, 0x2);
	assert_int_equal(e.s.ldtr.ar, EMU_AR_UNUSABLE);

	setup(&e, 4, LLDT_M, 8);
	opnd(0x4); /* TI = 1, index 0: not null */
	expect_fault(&e, EMU_VEC_GP, 0x4);
	desc(0x18, 0x9, true, 0x5000, 0x67); /* a TSS is no LDT */
	opnd(0x18);
	expect_fault(&e, EMU_VEC_GP, 0x18);
	desc(0x18, 0x2, false, 0x5000, 0x67);
	expect_fault(&e, EMU_VEC_NP, 0x18);
	opnd(0x88);
	expect_fault(&e, EMU_VEC_GP, 0x88);
}

/* @code (8 bytes) at CPL 3 runs without UMIP, and is #GP(0) with it. */
static void expect_umip_gp(struct emu *e, const char *code)
{
	setup(e, 8, code, 8);
	e->s.cpl = 3;
	assert_int_equal(emu_step(e), EMU_OK);
	e->s.rip = CODE;
	e->s.cr4 = EMU_CR4_UMIP;
	writes = 0;
	expect_fault(e, EMU_VEC_GP, 0);
}

/* STR and SLDT store 16 bits to memory; UMIP makes them CPL 0 only. */
static void test_str_sldt_smsw(void **state)
{
	struct emu e;

	(void)state;
	setup(&e, 8, STR_M SLDT_M, 16);
	memset(mem + OPND, 0xcc, 4);
	assert_int_equal(emu_step(&e), EMU_OK);
	assert_int_equal(mem[OPND] | mem[OPND + 1] << 8, 0x40);
	assert_int_equal(mem[OPND + 2], 0xcc);
	assert_int_equal(emu_step(&e), EMU_OK);
	assert_int_equal(mem[OPND] | mem[OPND + 1] << 8, 0x30);
	assert_int_equal(e.s.sys_dirty, 0);

	/* sldt %eax: the selector zero-extended to the operand size */
	setup(&e, 4, "\x0f\x00\xc0", 3);
	e.s.gpr[0] = 0xdeadbeef;
	assert_int_equal(emu_step(&e), EMU_OK);
	assert_int_equal(e.s.gpr[0], 0x30);

	/* CPL 3: allowed without UMIP, #GP(0) with it (SMSW too) */
	expect_umip_gp(&e, STR_M);
	setup(&e, 8, "\x0f\x01\x24\x25\x00\x30\x00\x00", 8); /* smsw 0x3000 */
	e.s.cpl = 3;
	e.s.cr4 = EMU_CR4_UMIP;
	expect_fault(&e, EMU_VEC_GP, 0);
	e.s.cr4 = 0;
	e.s.cr0 = 0x80050033;
	assert_int_equal(emu_step(&e), EMU_OK);
	assert_int_equal(mem[OPND] | mem[OPND + 1] << 8, 0x0033);
}

/* sgdt / sidt / lgdt / lidt 0x3000 (absolute disp32) */
#define SGDT_M "\x0f\x01\x04\x25\x00\x30\x00\x00"
#define SIDT_M "\x0f\x01\x0c\x25\x00\x30\x00\x00"
#define LGDT_M "\x0f\x01\x14\x25\x00\x30\x00\x00"
#define LIDT_M "\x0f\x01\x1c\x25\x00\x30\x00\x00"

/* @len bytes at OPND: the 16-bit limit, then the base's low bytes. */
static void expect_dtr(u16 limit, u64 base, u32 len)
{
	u64 b = 0;
	u16 l;

	memcpy(&l, mem + OPND, 2);
	memcpy(&b, mem + OPND + 2, len - 2);
	assert_int_equal(l, limit);
	assert_int_equal(b, base);
	assert_int_equal(mem[OPND + len], 0xcc); /* nothing past it */
}

/*
 * SGDT and SIDT: 10 bytes in 64-bit mode (an operand-size prefix changes
 * nothing), 6 with the whole 32-bit base outside it (16-bit operand size
 * too); #GP(0) at CPL 3 with UMIP only; register forms are not these.
 */
static void test_sgdt_sidt(void **state)
{
	struct emu e;

	(void)state;
	setup(&e, 8, SGDT_M SIDT_M "\x66" SGDT_M, 25);
	memset(mem + OPND, 0xcc, 16);
	assert_int_equal(emu_step(&e), EMU_OK);
	expect_dtr(0x7f, GDT, 10);
	assert_int_equal(emu_step(&e), EMU_OK);
	expect_dtr(0xfff, IDT_BASE, 10);
	memset(mem + OPND, 0xcc, 16);
	assert_int_equal(emu_step(&e), EMU_OK);
	expect_dtr(0x7f, GDT, 10);
	assert_int_equal(e.s.rip, CODE + 25);
	assert_int_equal(e.s.sys_dirty, 0);

	setup(&e, 4, SIDT_M "\x66" SIDT_M, 17);
	memset(mem + OPND, 0xcc, 16);
	assert_int_equal(emu_step(&e), EMU_OK);
	expect_dtr(0xfff, (u32)IDT_BASE, 6);
	memset(mem + OPND, 0xcc, 16);
	assert_int_equal(emu_step(&e), EMU_OK);
	expect_dtr(0xfff, (u32)IDT_BASE, 6);

	/* CPL 3: allowed without UMIP, #GP(0) with it */
	expect_umip_gp(&e, SIDT_M);
	expect_umip_gp(&e, SGDT_M);

	setup(&e, 8, "\x0f\x01\xc1", 3); /* vmcall: not SGDT's register form */
	assert_int_equal(emu_step(&e), EMU_UNHANDLED);
}

/* A 10-byte LGDT/LIDT operand at OPND. */
static void dtr_opnd(u16 limit, u64 base)
{
	memcpy(mem + OPND, &limit, 2);
	memcpy(mem + OPND + 2, &base, 8);
}

/*
 * LGDT and LIDT: an 8-byte base in 64-bit mode (canonical, or #GP(0)), 4
 * bytes outside it, 3 with a 16-bit operand size; #GP(0) at CPL 3 with
 * UMIP or without; nothing written to memory.
 */
static void test_lgdt_lidt(void **state)
{
	struct emu e;

	(void)state;
	setup(&e, 8, LGDT_M LIDT_M, 16);
	dtr_opnd(0x1234, 0xffff800012345678ULL);
	assert_int_equal(emu_step(&e), EMU_OK);
	assert_int_equal(e.s.sys_dirty, EMU_SYS_GDTR);
	assert_int_equal(e.s.gdtr.limit, 0x1234);
	assert_int_equal(e.s.gdtr.base, 0xffff800012345678ULL);
	dtr_opnd(0xfff, 0x5000);
	assert_int_equal(emu_step(&e), EMU_OK);
	assert_int_equal(e.s.sys_dirty, EMU_SYS_IDTR);
	assert_int_equal(e.s.idtr.limit, 0xfff);
	assert_int_equal(e.s.idtr.base, 0x5000);
	assert_int_equal(e.s.rip, CODE + 16);
	assert_int_equal(writes, 0);

	setup(&e, 8, LGDT_M, 8);
	dtr_opnd(0x7f, 0x0000800000000000ULL);
	expect_fault(&e, EMU_VEC_GP, 0);
	dtr_opnd(0x7f, 0x2000);
	e.s.cpl = 3;
	expect_fault(&e, EMU_VEC_GP, 0);
	e.s.cr4 = EMU_CR4_UMIP;
	expect_fault(&e, EMU_VEC_GP, 0);
	e.s.cpl = 0;
	assert_int_equal(emu_step(&e), EMU_OK);
	assert_int_equal(e.s.gdtr.base, 0x2000);

	setup(&e, 4, LIDT_M "\x66" LIDT_M, 17);
	dtr_opnd(0x7ff, 0xfedcba9876543210ULL);
	assert_int_equal(emu_step(&e), EMU_OK);
	assert_int_equal(e.s.idtr.base, 0x76543210);
	assert_int_equal(emu_step(&e), EMU_OK);
	assert_int_equal(e.s.idtr.base, 0x543210);
	assert_int_equal(e.s.idtr.limit, 0x7ff);

	setup(&e, 8, "\xf0" LIDT_M, 9); /* LOCK */
	expect_fault(&e, EMU_VEC_UD, -1);
}

/* Without ops->sys_read the instructions that need it are not emulated. */
static void test_no_sys_read(void **state)
{
	static const struct emu_ops bare = { .read = s_read, .write = s_write };
	struct emu e;

	(void)state;
	setup(&e, 8, LTR_M, 8);
	e.ops = &bare;
	opnd(0x18);
	assert_int_equal(emu_step(&e), EMU_UNHANDLED);
	assert_int_equal(e.s.rip, CODE);
	assert_int_equal(writes, 0);
}

/* A code or data descriptor (S = 1), raw. */
static void raw_desc(u16 sel, u64 d)
{
	memcpy(mem + GDT + (sel & ~7), &d, 8);
}

/* mov 0x3000, %ss / %ds (absolute disp32) */
#define MOV_SS_M "\x8e\x14\x25\x00\x30\x00\x00"
#define MOV_DS_M "\x8e\x1c\x25\x00\x30\x00\x00"

/*
 * MOV SS from memory (kvm-unit-tests emulator test_sreg, the operand in
 * MMIO): a null selector in 64-bit mode at CPL 0, RPL = CPL; then the
 * faults; a data segment marked accessed.
 */
static void test_mov_ss(void **state)
{
	struct emu e;

	(void)state;
	setup(&e, 8, MOV_SS_M, 7);
	e.s.seg[EMU_SS].sel = 0x10;
	opnd(0);
	assert_int_equal(emu_step(&e), EMU_OK);
	assert_int_equal(e.s.sys_dirty, EMU_SYS_SEG(EMU_SS) | EMU_SYS_MOVSS);
	assert_int_equal(e.s.seg[EMU_SS].sel, 0);
	assert_int_equal(e.s.seg[EMU_SS].ar, 0xc093); /* usable, DPL = CPL 0 */
	assert_int_equal(e.s.rip, CODE + 7);
	/* null with RPL 3 != CPL: #GP(0); a data selector with RPL 3: #GP(selector) */
	setup(&e, 8, MOV_SS_M, 7);
	opnd(3);
	expect_fault(&e, EMU_VEC_GP, 0);
	raw_desc(0x10, 0x00cf92000000ffffULL);
	opnd(0x13);
	expect_fault(&e, EMU_VEC_GP, 0x10);
	/* a read-only data segment: #GP; not present: #SS */
	raw_desc(0x18, 0x00cf90000000ffffULL);
	opnd(0x18);
	expect_fault(&e, EMU_VEC_GP, 0x18);
	raw_desc(0x18, 0x00cf12000000ffffULL);
	expect_fault(&e, EMU_VEC_SS, 0x18);
	/* 32-bit: null is #GP(0) outside 64-bit mode */
	setup(&e, 4, MOV_SS_M, 7);
	opnd(0);
	expect_fault(&e, EMU_VEC_GP, 0);
	/* the data segment at 0x10 loads, and is marked accessed */
	raw_desc(0x10, 0x00cf92000000ffffULL);
	opnd(0x10);
	assert_int_equal(emu_step(&e), EMU_OK);
	assert_int_equal(e.s.seg[EMU_SS].ar, 0xc093);
	assert_int_equal(e.s.seg[EMU_SS].limit, 0xffffffff);
	assert_int_equal(mem[GDT + 0x10 + 5], 0x93);
	assert_int_equal(writes, 1);
}

/* MOV DS: code must be readable; RPL/CPL above DPL; not present is #NP; the LDT. */
static void test_mov_ds(void **state)
{
	struct emu e;

	(void)state;
	setup(&e, 4, MOV_DS_M, 7);
	raw_desc(0x20, 0x00cf98000000ffffULL); /* execute-only code */
	opnd(0x20);
	expect_fault(&e, EMU_VEC_GP, 0x20);
	raw_desc(0x20, 0x00cf92000000ffffULL); /* DPL 0 data, CPL 3 */
	e.s.cpl = 3;
	expect_fault(&e, EMU_VEC_GP, 0x20);
	e.s.cpl = 0;
	raw_desc(0x20, 0x00cf12000000ffffULL);
	expect_fault(&e, EMU_VEC_NP, 0x20);
	/* a readable code segment from the LDT (base 0x7000), and null */
	setup(&e, 4, MOV_DS_M MOV_DS_M, 14);
	memcpy(mem + 0x7008, "\xff\xff\x00\x01\x00\x9b\xcf\x00", 8);
	opnd(0x0c);
	assert_int_equal(emu_step(&e), EMU_OK);
	assert_int_equal(e.s.sys_dirty, EMU_SYS_SEG(EMU_DS));
	assert_int_equal(e.s.seg[EMU_DS].base, 0x100);
	assert_int_equal(e.s.seg[EMU_DS].sel, 0x0c);
	memset(mem + OPND + 0x100, 0, 2); /* DS:0x3000 now */
	assert_int_equal(emu_step(&e), EMU_OK);
	assert_int_equal(e.s.seg[EMU_DS].ar, EMU_AR_UNUSABLE);
}

/* rex64 ljmp *0x3000 / ljmp *0x3000 (m16:32) */
#define LJMP64_M "\x48\xff\x2c\x25\x00\x30\x00\x00"
#define LJMP32_M "\xff\x2c\x25\x00\x30\x00\x00"

static void far_opnd(u64 off, u32 size, u16 sel)
{
	memcpy(mem + OPND, &off, size);
	memcpy(mem + OPND + size, &sel, 2);
}

/* kvm-unit-tests emulator test_ljmp: JMP m16:64 from MMIO to the same code segment. */
static void test_jmp_far(void **state)
{
	struct emu e;

	(void)state;
	setup(&e, 8, LJMP64_M, 8);
	raw_desc(0x08, 0x00af9a000000ffffULL);
	far_opnd(0x5000, 8, 0x08);
	assert_int_equal(emu_step(&e), EMU_OK);
	assert_true(e.jumped);
	assert_int_equal(e.s.rip, 0x5000);
	assert_int_equal(e.s.sys_dirty, EMU_SYS_SEG(EMU_CS));
	assert_int_equal(e.s.seg[EMU_CS].sel, 0x08);
	assert_int_equal(e.s.seg[EMU_CS].ar, 0xa09b);
	assert_int_equal(mem[GDT + 8 + 5], 0x9b);
	/* RPL > CPL (non-conforming): #GP(selector); a non-canonical offset: #GP(0) */
	setup(&e, 8, LJMP64_M, 8);
	raw_desc(0x08, 0x00af9a000000ffffULL);
	far_opnd(0x5000, 8, 0x0b);
	expect_fault(&e, EMU_VEC_GP, 0x08);
	far_opnd(0x0000800000000000ULL, 8, 0x08);
	expect_fault(&e, EMU_VEC_GP, 0);
	/* L and D both: #GP(selector); not present: #NP(selector); data: #GP(selector) */
	raw_desc(0x08, 0x00ef9a000000ffffULL);
	far_opnd(0x5000, 8, 0x08);
	expect_fault(&e, EMU_VEC_GP, 0x08);
	raw_desc(0x08, 0x00af1a000000ffffULL);
	expect_fault(&e, EMU_VEC_NP, 0x08);
	raw_desc(0x08, 0x00cf92000000ffffULL);
	expect_fault(&e, EMU_VEC_GP, 0x08);
	/* to a 32-bit segment (compatibility mode) with a 64 KiB limit: the offset is checked */
	setup(&e, 8, LJMP32_M, 7);
	raw_desc(0x18, 0x00409a000000ffffULL);
	far_opnd(0x10000, 4, 0x18);
	expect_fault(&e, EMU_VEC_GP, 0);
	far_opnd(0xfff0, 4, 0x18);
	assert_int_equal(emu_step(&e), EMU_OK);
	assert_int_equal(e.s.rip, 0xfff0);
	assert_int_equal(e.s.seg[EMU_CS].ar, 0x409b);
	/* a call gate is not emulated */
	setup(&e, 8, LJMP64_M, 8);
	desc(0x20, 0xc, true, 0, 0);
	far_opnd(0x5000, 8, 0x20);
	assert_int_equal(emu_step(&e), EMU_UNHANDLED);
}

/* lcall *0x3000 (m16:32), rex64 lcall *0x3000 (m16:64), lcall *%eax */
#define LCALL32_M "\xff\x1c\x25\x00\x30\x00\x00"
#define LCALL64_M "\x48\xff\x1c\x25\x00\x30\x00\x00"
#define STACK	  0x9000

/* @code in @mode with CS 0x08, RSP at STACK and code segment @d at 0x18. */
static void call_setup(struct emu *e, int mode, const char *code, size_t len, u64 d)
{
	setup(e, mode, code, len);
	e->s.seg[EMU_CS].sel = 0x08;
	e->s.gpr[4] = STACK;
	raw_desc(0x18, d);
}

static u64 stack_val(int off, u32 size)
{
	u64 v = 0;

	memcpy(&v, mem + STACK + off, size);
	return v;
}

/*
 * Far CALL to a code segment at CPL 0 (kvm-unit-tests emulator's far
 * calls with the pointer or the stack in MMIO): the frame at the operand
 * size, CS zero-extended above the return offset, one write after the
 * descriptor's accessed bit; the checks of far JMP; #SS(0) before any
 * write; the direct form outside 64-bit mode only.
 */
static void test_call_far(void **state)
{
	struct emu e;

	(void)state;
	/* 64-bit, m16:64 to a 64-bit code segment: 8-byte RIP and CS */
	setup(&e, 8, LCALL64_M, 8);
	e.s.seg[EMU_CS].sel = 0x10;
	e.s.gpr[4] = STACK;
	raw_desc(0x08, 0x00af9a000000ffffULL);
	far_opnd(0x5000, 8, 0x08);
	assert_int_equal(emu_step(&e), EMU_OK);
	assert_true(e.jumped);
	assert_int_equal(e.s.rip, 0x5000);
	assert_int_equal(e.s.seg[EMU_CS].sel, 0x08);
	assert_int_equal(e.s.sys_dirty, EMU_SYS_SEG(EMU_CS));
	assert_int_equal(e.s.gpr[4], STACK - 16);
	assert_int_equal(stack_val(-16, 8), CODE + 8);
	assert_int_equal(stack_val(-8, 8), 0x10);
	assert_int_equal(mem[GDT + 8 + 5], 0x9b);
	assert_int_equal(writes, 2); /* the accessed bit, the frame */
	/* 64-bit, m16:32 to a compatibility-mode segment: 4-byte EIP and CS */
	call_setup(&e, 8, LCALL32_M, 7, 0x00cf9b000000ffffULL);
	far_opnd(0x6000, 4, 0x18);
	memset(mem + STACK - 16, 0xaa, 8);
	assert_int_equal(emu_step(&e), EMU_OK);
	assert_int_equal(e.s.rip, 0x6000);
	assert_int_equal(e.s.seg[EMU_CS].ar, 0xc09b);
	assert_int_equal(e.s.gpr[4], STACK - 8);
	assert_int_equal(stack_val(-8, 8), (u64)0x08 << 32 | (CODE + 7));
	assert_int_equal(stack_val(-16, 8), 0xaaaaaaaaaaaaaaaaULL);
	assert_int_equal(writes, 1); /* accessed already */
	/* 32-bit, 9A ptr16:32 */
	call_setup(&e, 4, "\x9a\x00\x50\x00\x00\x18\x00", 7, 0x00cf9a000000ffffULL);
	assert_int_equal(emu_step(&e), EMU_OK);
	assert_int_equal(e.s.rip, 0x5000);
	assert_int_equal(e.s.seg[EMU_CS].sel, 0x18);
	assert_int_equal(stack_val(-8, 4), CODE + 7);
	assert_int_equal(stack_val(-4, 4), 0x08);
	/* 32-bit, data16 9A ptr16:16: 2-byte IP and CS */
	call_setup(&e, 4, "\x66\x9a\x34\x12\x18\x00", 6, 0x00cf9a000000ffffULL);
	assert_int_equal(emu_step(&e), EMU_OK);
	assert_int_equal(e.s.rip, 0x1234);
	assert_int_equal(e.s.gpr[4], STACK - 4);
	assert_int_equal(stack_val(-4, 4), 0x08 << 16 | (CODE + 6));
	/* the frame past SS's limit: #SS(0), the descriptor left unaccessed */
	call_setup(&e, 4, LCALL32_M, 7, 0x00cf9a000000ffffULL);
	e.s.seg[EMU_SS].limit = STACK - 6;
	far_opnd(0x5000, 4, 0x18);
	expect_fault(&e, EMU_VEC_SS, 0);
	/* the far JMP checks: RPL > CPL, not present; the offset past the limit */
	e.s.seg[EMU_SS].limit = 0xffffffff;
	far_opnd(0x5000, 4, 0x1b);
	expect_fault(&e, EMU_VEC_GP, 0x18);
	raw_desc(0x18, 0x00cf1a000000ffffULL);
	far_opnd(0x5000, 4, 0x18);
	expect_fault(&e, EMU_VEC_NP, 0x18);
	raw_desc(0x18, 0x00409a000000ffffULL);
	far_opnd(0x10000, 4, 0x18);
	expect_fault(&e, EMU_VEC_GP, 0);
	/* 9A in 64-bit mode and a register operand: #UD */
	setup(&e, 8, "\x9a\x00\x50\x00\x00\x18\x00", 7);
	expect_fault(&e, EMU_VEC_UD, -1);
	setup(&e, 8, "\xff\xd8", 2);
	expect_fault(&e, EMU_VEC_UD, -1);
	/* real-address mode: CS's selector and base, IP and CS pushed */
	setup(&e, 4, "\x9a\x34\x12\x00\x20", 5);
	e.s.cr0 = 0x10;
	e.s.seg[EMU_CS].ar = 0x9b | EMU_AR_P, e.s.seg[EMU_CS].limit = 0xffff;
	e.s.seg[EMU_SS].ar = 0x93 | EMU_AR_P;
	e.s.seg[EMU_CS].sel = 0x0000;
	e.s.gpr[4] = STACK;
	assert_int_equal(emu_step(&e), EMU_OK);
	assert_int_equal(e.s.rip, 0x1234);
	assert_int_equal(e.s.seg[EMU_CS].sel, 0x2000);
	assert_int_equal(e.s.seg[EMU_CS].base, 0x20000);
	assert_int_equal(stack_val(-4, 4), CODE + 5);
	assert_int_equal(e.s.gpr[4], STACK - 4);
}

/*
 * POP Sreg (kvm-unit-tests emulator's pop %ss with the stack in MMIO):
 * the selector from the operand-size slot, loaded as MOV Sreg loads it;
 * RSP moves by the old stack's size; POP SS blocks as MOV SS does; POP
 * ES/SS/DS are #UD in 64-bit mode.
 */
static void test_pop_sreg(void **state)
{
	struct emu e;

	(void)state;
	/* 32-bit POP SS to a 16-bit stack segment: ESP still moves by 32 bits */
	setup(&e, 4, "\x17", 1);
	e.s.gpr[4] = 0xfffc;
	memcpy(mem + 0xfffc, "\x10\x00\xff\xff", 4);
	raw_desc(0x10, 0x008f92000000ffffULL);
	assert_int_equal(emu_step(&e), EMU_OK);
	assert_int_equal(e.s.sys_dirty, EMU_SYS_SEG(EMU_SS) | EMU_SYS_MOVSS);
	assert_int_equal(e.s.seg[EMU_SS].sel, 0x10);
	assert_int_equal(e.s.seg[EMU_SS].ar, 0x8093);
	assert_int_equal(e.s.gpr[4], 0x10000);
	assert_int_equal(e.s.rip, CODE + 1);
	assert_int_equal(mem[GDT + 0x10 + 5], 0x93);
	/* POP SS with RPL != CPL: #GP(selector), nothing moved */
	setup(&e, 4, "\x17", 1);
	e.s.gpr[4] = STACK;
	memcpy(mem + STACK, "\x13\x00", 2);
	raw_desc(0x10, 0x00cf92000000ffffULL);
	expect_fault(&e, EMU_VEC_GP, 0x10);
	/* data16 POP DS: 2 bytes; POP ES of a null selector: unusable */
	setup(&e, 4, "\x66\x1f\x07", 3);
	e.s.gpr[4] = STACK;
	memcpy(mem + STACK, "\x18\x00\x00\x00\x00\x00", 6);
	raw_desc(0x18, 0x00cf93000000ffffULL);
	assert_int_equal(emu_step(&e), EMU_OK);
	assert_int_equal(e.s.sys_dirty, EMU_SYS_SEG(EMU_DS));
	assert_int_equal(e.s.seg[EMU_DS].sel, 0x18);
	assert_int_equal(e.s.gpr[4], STACK + 2);
	assert_int_equal(writes, 0); /* accessed already */
	assert_int_equal(emu_step(&e), EMU_OK);
	assert_int_equal(e.s.seg[EMU_ES].ar, EMU_AR_UNUSABLE);
	assert_int_equal(e.s.gpr[4], STACK + 6);
	/* 64-bit: POP FS pops 8 bytes, data16 POP GS 2; POP DS is #UD */
	setup(&e, 8, "\x0f\xa1\x66\x0f\xa9", 5);
	e.s.gpr[4] = STACK;
	memcpy(mem + STACK, "\x18\x00\xff\xff\xff\xff\xff\xff\x00\x00", 10);
	raw_desc(0x18, 0x00cf93000000ffffULL);
	assert_int_equal(emu_step(&e), EMU_OK);
	assert_int_equal(e.s.seg[EMU_FS].sel, 0x18);
	assert_int_equal(e.s.gpr[4], STACK + 8);
	assert_int_equal(emu_step(&e), EMU_OK);
	assert_int_equal(e.s.seg[EMU_GS].ar, EMU_AR_UNUSABLE);
	assert_int_equal(e.s.gpr[4], STACK + 10);
	setup(&e, 8, "\x1f", 1);
	expect_fault(&e, EMU_VEC_UD, -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		UNIT_TEST(test_ltr_32bit),     UNIT_TEST(test_ltr_64bit),
		UNIT_TEST(test_ltr_faults),    UNIT_TEST(test_lldt),
		UNIT_TEST(test_str_sldt_smsw), UNIT_TEST(test_no_sys_read),
		UNIT_TEST(test_mov_ss),	       UNIT_TEST(test_mov_ds),
		UNIT_TEST(test_jmp_far),       UNIT_TEST(test_sgdt_sidt),
		UNIT_TEST(test_lgdt_lidt),     UNIT_TEST(test_call_far),
		UNIT_TEST(test_pop_sreg),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
