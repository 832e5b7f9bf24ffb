// SPDX-License-Identifier: GPL-2.0
/*
 * The emulator's stack and near-branch instructions (core/emulate/
 * emu_stack.c) as the module meets them when RSP points into MMIO
 * (kvm-unit-tests emulator test_push, test_pop: "cannot emulate 6a f9"),
 * against the SDM's pseudocode: PUSH/POP of registers, immediates and
 * memory, CALL/RET near, JMP near indirect, ENTER (nesting levels, the
 * frame as one write), LEAVE, PUSHF/POPF (which flags CPL and IOPL let
 * POPF change), in 64-, 32- and 16-bit code, with their #GP/#SS faults;
 * near branches with 66 in 64-bit mode as Intel's CPUs run them.
 */
#include "unit.h"

#include "emulate/emulate.h"

/* Flat guest memory, linear = physical: 64 KiB; [MMIO, MMIO_END) is MMIO. */
#define MEM_SIZE 0x10000
#define CODE	 0x1000
#define RAM	 0x3000 /* a RAM operand */
#define MMIO	 0x8000
#define MMIO_END 0xa000
static u8 mem[MEM_SIZE];
/* MMIO reads until answered: EMU_IO (user space must answer, the step runs again) */
static bool answered;
static u32 writes, mmio_reads;

static bool is_mmio(u64 la, u32 size)
{
	return la < MMIO_END && la + size > MMIO;
}

static int t_read(struct emu *e, u64 la, void *buf, u32 size, bool fetch)
{
	if (la + size > MEM_SIZE)
		return emu_raise(e, EMU_VEC_PF, 0);
	if (!fetch && is_mmio(la, size)) {
		mmio_reads++;
		if (!answered)
			return EMU_IO;
	}
	memcpy(buf, mem + la, size);
	return EMU_OK;
}

static int t_write(struct emu *e, u64 la, const void *buf, u32 size)
{
	if (la + size > MEM_SIZE)
		return emu_raise(e, EMU_VEC_PF, 2);
	memcpy(mem + la, buf, size);
	writes++;
	return EMU_OK;
}

static const struct emu_ops ops = { .read = t_read, .write = t_write };

/* @mode 8, 4 or 2 (16-bit protected mode), CPL 0, flat segments. */
static void setup(struct emu *e, int mode, const char *code, size_t len)
{
	memset(e, 0, sizeof(*e));
	memset(mem, 0, sizeof(mem));
	e->ops = &ops;
	for (int i = 0; i < EMU_NSEG; i++) {
		e->s.seg[i].ar = 0x93 | EMU_AR_P | (mode == 2 ? 0 : EMU_AR_DB);
		e->s.seg[i].limit = mode == 2 ? 0xffff : 0xffffffff;
	}
	e->s.seg[EMU_CS].ar = 0x9b | (mode == 4 ? EMU_AR_DB : mode == 8 ? EMU_AR_L : 0);
	e->s.cr0 = 0x11;
	e->s.efer = mode == 8 ? 0x500 : 0;
	e->s.rflags = 2;
	e->s.rip = CODE;
	memcpy(mem + CODE, code, len);
	answered = true;
	writes = mmio_reads = 0;
}

static u64 q(u64 at)
{
	u64 v;

	memcpy(&v, mem + at, 8);
	return v;
}

static void step_ok(struct emu *e)
{
	assert_int_equal(emu_step(e), EMU_OK);
}

static void step_fault(struct emu *e, u8 vec)
{
	struct emu_state before = e->s;

	assert_int_equal(emu_step(e), EMU_EXCEPTION);
	assert_int_equal(e->exc_vec, vec);
	assert_int_equal(e->exc_err, 0);
	assert_memory_equal(&before, &e->s, sizeof(before)); /* a fault changes nothing */
}

/* kvm-unit-tests test_push: RSP at the end of the MMIO page. */
static void test_push_to_mmio_stack(void **state)
{
	struct emu e;

	(void)state;
	/* pushq $-7; pushq %r9; pushq (%rbx); pushq $-7070707; pushw $0x1234 */
	setup(&e, 8, "\x6a\xf9\x41\x51\xff\x33\x68\x0d\x1c\x94\xff\x66\x68\x34\x12", 15);
	e.s.gpr[4] = MMIO + 0x1000, e.s.gpr[9] = -17ULL, e.s.gpr[3] = RAM;
	memcpy(mem + RAM, "\xef\xcd\xab\x89\x67\x45\x23\x01", 8);
	for (int i = 0; i < 5; i++)
		step_ok(&e);
	assert_int_equal(q(MMIO + 0xff8), -7ULL);
	assert_int_equal(q(MMIO + 0xff0), -17ULL);
	assert_int_equal(q(MMIO + 0xfe8), 0x0123456789abcdefULL);
	assert_int_equal(q(MMIO + 0xfe0), -7070707ULL);
	assert_int_equal(mem[MMIO + 0xfde] | mem[MMIO + 0xfdf] << 8, 0x1234);
	assert_int_equal(e.s.gpr[4], MMIO + 0xfde);
	assert_int_equal(e.s.rip, CODE + 15);
	assert_int_equal(writes, 5);
}

/* POP from an MMIO stack: the read exits first, nothing changes until it is answered. */
static void test_pop_from_mmio_stack(void **state)
{
	struct emu e;
	struct emu_state before;

	(void)state;
	/* popq %rbx; pop %rsp */
	setup(&e, 8, "\x5b\x5c", 2);
	e.s.gpr[4] = MMIO + 0x100;
	memcpy(mem + MMIO + 0x100, "\x88\x77\x66\x55\x44\x33\x22\x11", 8);
	*(u64 *)(mem + MMIO + 0x108) = 0x4321;
	answered = false;
	before = e.s;
	assert_int_equal(emu_step(&e), EMU_IO);
	assert_memory_equal(&before, &e.s, sizeof(before));
	answered = true;
	step_ok(&e);
	assert_int_equal(e.s.gpr[3], 0x1122334455667788ULL);
	assert_int_equal(e.s.gpr[4], MMIO + 0x108);
	step_ok(&e); /* POP RSP: RSP is the value popped, not +8 */
	assert_int_equal(e.s.gpr[4], 0x4321);
	/* popq (%rbx) from the stack to MMIO; popw %ax keeps RAX's upper bits */
	setup(&e, 8, "\x8f\x03\x66\x58", 4);
	e.s.gpr[4] = MMIO + 0x200, e.s.gpr[3] = MMIO + 0x300, e.s.gpr[0] = 0xaaaabbbbccccddddULL;
	*(u64 *)(mem + MMIO + 0x200) = 0x1234567890ULL;
	*(u64 *)(mem + MMIO + 0x208) = 0x5555;
	step_ok(&e);
	assert_int_equal(q(MMIO + 0x300), 0x1234567890ULL);
	step_ok(&e);
	assert_int_equal(e.s.gpr[0], 0xaaaabbbbcccc5555ULL);
	assert_int_equal(e.s.gpr[4], MMIO + 0x20a);
}

static void test_call_ret_jmp(void **state)
{
	struct emu e;

	(void)state;
	/* call .+0x100 (rel32): pushes the next RIP */
	setup(&e, 8, "\xe8\xfb\x00\x00\x00", 5);
	e.s.gpr[4] = MMIO + 0x1000;
	step_ok(&e);
	assert_true(e.jumped);
	assert_int_equal(e.s.rip, CODE + 0x100);
	assert_int_equal(q(MMIO + 0xff8), CODE + 5);
	assert_int_equal(e.s.gpr[4], MMIO + 0xff8);
	/* ret $16: back, releasing 16 more bytes */
	memcpy(mem + CODE + 0x100, "\xc2\x10\x00", 3);
	step_ok(&e);
	assert_int_equal(e.s.rip, CODE + 5);
	assert_int_equal(e.s.gpr[4], MMIO + 0x1000 + 16);
	/* call *(%rbx) and jmp *%rax */
	setup(&e, 8, "\xff\x13", 2);
	e.s.gpr[4] = MMIO + 0x800, e.s.gpr[3] = MMIO;
	*(u64 *)(mem + MMIO) = 0x2000;
	memcpy(mem + 0x2000, "\xff\xe0", 2);
	e.s.gpr[0] = 0x2100;
	step_ok(&e);
	assert_int_equal(e.s.rip, 0x2000);
	assert_int_equal(q(MMIO + 0x7f8), CODE + 2);
	step_ok(&e);
	assert_int_equal(e.s.rip, 0x2100);
	assert_int_equal(e.s.gpr[4], MMIO + 0x7f8);
	/* ret, jmp *(mem), call *(mem) to a non-canonical address: #GP(0), no push */
	setup(&e, 8, "\xc3", 1);
	e.s.gpr[4] = MMIO;
	*(u64 *)(mem + MMIO) = 0x0000800000000000ULL;
	step_fault(&e, EMU_VEC_GP);
	setup(&e, 8, "\xff\x23", 2);
	e.s.gpr[3] = MMIO, e.s.gpr[4] = MMIO + 0x100;
	*(u64 *)(mem + MMIO) = 0x8000000000000000ULL;
	step_fault(&e, EMU_VEC_GP);
	memcpy(mem + CODE, "\xff\x13", 2);
	step_fault(&e, EMU_VEC_GP);
	assert_int_equal(writes, 0);
}

/*
 * 66 on a near branch in 64-bit mode: ignored as Intel's CPUs ignore it
 * (SDM Vol. 1 6.3.7): 8-byte pushes and pops, 64-bit targets, CALL's rel32
 * still 4 bytes. In 32-bit code 66 makes them 16-bit.
 */
static void test_near_branches_with_66(void **state)
{
	struct emu e;

	(void)state;
	/* data16 call .+0x1000: 6 bytes, pushes the 8-byte next RIP */
	setup(&e, 8, "\x66\xe8\xfa\x0f\x00\x00", 6);
	e.s.gpr[4] = MMIO + 0x1000;
	step_ok(&e);
	assert_int_equal(e.s.rip, CODE + 0x1000);
	assert_int_equal(q(MMIO + 0xff8), CODE + 6);
	assert_int_equal(e.s.gpr[4], MMIO + 0xff8);
	/* data16 ret $8 back: an 8-byte pop, then 8 more bytes released */
	memcpy(mem + CODE + 0x1000, "\x66\xc2\x08\x00", 4);
	step_ok(&e);
	assert_int_equal(e.s.rip, CODE + 6);
	assert_int_equal(e.s.gpr[4], MMIO + 0x1008);
	/* data16 ret to a full 64-bit address */
	setup(&e, 8, "\x66\xc3", 2);
	e.s.gpr[4] = MMIO;
	*(u64 *)(mem + MMIO) = 0x00007fff12345678ULL;
	step_ok(&e);
	assert_int_equal(e.s.rip, 0x00007fff12345678ULL);
	assert_int_equal(e.s.gpr[4], MMIO + 8);
	/* data16 call *(%rbx): an 8-byte pointer, an 8-byte push */
	setup(&e, 8, "\x66\xff\x13", 3);
	e.s.gpr[3] = MMIO, e.s.gpr[4] = MMIO + 0x800;
	*(u64 *)(mem + MMIO) = 0x0000123400005678ULL;
	step_ok(&e);
	assert_int_equal(e.s.rip, 0x0000123400005678ULL);
	assert_int_equal(q(MMIO + 0x7f8), CODE + 3);
	assert_int_equal(e.s.gpr[4], MMIO + 0x7f8);
	assert_int_equal(mmio_reads, 1);
	/* data16 jmp *(%rbx): no push */
	setup(&e, 8, "\x66\xff\x23", 3);
	e.s.gpr[3] = MMIO, e.s.gpr[4] = MMIO + 0x800;
	*(u64 *)(mem + MMIO) = 0x0000123400005678ULL;
	step_ok(&e);
	assert_int_equal(e.s.rip, 0x0000123400005678ULL);
	assert_int_equal(e.s.gpr[4], MMIO + 0x800);
	assert_int_equal(writes, 0);
	/* REX.W and 66 together: 64-bit as well */
	setup(&e, 8, "\x66\x48\xc3", 3);
	e.s.gpr[4] = MMIO;
	*(u64 *)(mem + MMIO) = 0x2345;
	step_ok(&e);
	assert_int_equal(e.s.rip, 0x2345);
	/* 32-bit code: data16 call rel16 is 4 bytes, pushes IP, wraps to 16 bits */
	setup(&e, 4, "\x66\xe8\x00\xf0", 4);
	e.s.gpr[4] = MMIO + 0x10;
	step_ok(&e);
	assert_int_equal(e.s.rip, (CODE + 4 + 0xf000) & 0xffff);
	assert_int_equal(e.s.gpr[4], MMIO + 0xe);
	assert_int_equal(mem[MMIO + 0xe] | mem[MMIO + 0xf] << 8, CODE + 4);
	/* and data16 ret pops 2 bytes */
	setup(&e, 4, "\x66\xc3", 2);
	e.s.gpr[4] = MMIO;
	*(u32 *)(mem + MMIO) = 0x12345678;
	step_ok(&e);
	assert_int_equal(e.s.rip, 0x5678);
	assert_int_equal(e.s.gpr[4], MMIO + 2);
}

static void test_branches_in_16_and_32_bit_code(void **state)
{
	struct emu e;

	(void)state;
	/* 16-bit: call rel16 wraps IP; pushes 2 bytes */
	setup(&e, 2, "\xe8\x00\xf0", 3);
	e.s.gpr[4] = MMIO + 0x10;
	step_ok(&e);
	assert_int_equal(e.s.rip, (CODE + 3 + 0xf000) & 0xffff);
	assert_int_equal(e.s.gpr[4], MMIO + 0xe);
	assert_int_equal(mem[MMIO + 0xe] | mem[MMIO + 0xf] << 8, CODE + 3);
	/* 32-bit: ret past CS's limit is #GP(0) */
	setup(&e, 4, "\xc3", 1);
	e.s.seg[EMU_CS].limit = 0xffff;
	e.s.gpr[4] = MMIO;
	*(u32 *)(mem + MMIO) = 0x10000;
	step_fault(&e, EMU_VEC_GP);
	*(u32 *)(mem + MMIO) = 0xfff0;
	step_ok(&e);
	assert_int_equal(e.s.rip, 0xfff0);
	assert_int_equal(e.s.gpr[4], MMIO + 4);
	/* 16-bit stack (SS.B = 0) in 32-bit code: SP wraps, ESP's upper half stays */
	setup(&e, 4, "\x6a\x05", 2);
	e.s.seg[EMU_SS].ar &= ~EMU_AR_DB;
	e.s.gpr[4] = 0x12340000 | (MMIO + 4);
	step_ok(&e);
	assert_int_equal(e.s.gpr[4], 0x12340000 | MMIO);
	assert_int_equal(*(u32 *)(mem + MMIO), 5);
	/* a push below SS's limit: #SS(0) */
	setup(&e, 4, "\x50", 1);
	e.s.seg[EMU_SS].limit = MMIO + 2;
	e.s.gpr[4] = MMIO + 6;
	step_fault(&e, EMU_VEC_SS);
}

/* kvm-unit-tests test_pop "leave", "enter" (across pages too). */
static void test_enter_leave(void **state)
{
	struct emu e;

	(void)state;
	/* leave: RSP = RBP, pop RBP */
	setup(&e, 8, "\xc9", 1);
	e.s.gpr[5] = MMIO + 0xff8;
	*(u64 *)(mem + MMIO + 0xff8) = 0x778899;
	step_ok(&e);
	assert_int_equal(e.s.gpr[4], MMIO + 0x1000);
	assert_int_equal(e.s.gpr[5], 0x778899);
	/* enter $0x1238, $0 with RSP 4 bytes into a page: the push crosses it */
	setup(&e, 8, "\xc8\x38\x12\x00", 4);
	e.s.gpr[4] = MMIO + 0x1004, e.s.gpr[5] = 0xaa55aa55bb66bb66ULL;
	step_ok(&e);
	assert_int_equal(e.s.rip, CODE + 4);
	assert_int_equal(e.s.gpr[4], MMIO + 0x1004 - 8 - 0x1238);
	assert_int_equal(e.s.gpr[5], MMIO + 0x1004 - 8);
	assert_int_equal(q(MMIO + 0xffc), 0xaa55aa55bb66bb66ULL);
	assert_int_equal(writes, 1);
	/* 32-bit, nesting level 3: RBP, two frame pointers copied, the new frame pointer */
	setup(&e, 4, "\xc8\x10\x00\x03", 4);
	e.s.gpr[4] = MMIO + 0x100, e.s.gpr[5] = MMIO + 0x200;
	*(u32 *)(mem + MMIO + 0x1fc) = 0x1111;
	*(u32 *)(mem + MMIO + 0x1f8) = 0x2222;
	step_ok(&e);
	assert_int_equal(*(u32 *)(mem + MMIO + 0xfc), MMIO + 0x200);
	assert_int_equal(*(u32 *)(mem + MMIO + 0xf8), 0x1111);
	assert_int_equal(*(u32 *)(mem + MMIO + 0xf4), 0x2222);
	assert_int_equal(*(u32 *)(mem + MMIO + 0xf0), MMIO + 0xfc);
	assert_int_equal(e.s.gpr[5], MMIO + 0xfc);
	assert_int_equal(e.s.gpr[4], MMIO + 0xf0 - 0x10);
	assert_int_equal(mmio_reads, 2);
	assert_int_equal(writes, 1);
	/* the allocation below SS's limit: #SS(0) before anything is written */
	setup(&e, 4, "\xc8\x00\x10\x00", 4);
	e.s.seg[EMU_SS].ar |= 4; /* expand-down: offsets above the limit */
	e.s.seg[EMU_SS].limit = MMIO - 1;
	e.s.gpr[4] = MMIO + 0x800;
	step_fault(&e, EMU_VEC_SS);
	assert_int_equal(writes, 0);
}

static void test_pushf_popf(void **state)
{
	struct emu e;

	(void)state;
	/* pushfq: RF and VM clear in the image */
	setup(&e, 8, "\x9c", 1);
	e.s.gpr[4] = MMIO + 0x100;
	e.s.rflags = 0x10246;
	step_ok(&e);
	assert_int_equal(q(MMIO + 0xf8), 0x246);
	/* popfq at CPL 0: IF, IOPL, AC, ID change; VIP, VIF stay */
	setup(&e, 8, "\x9d", 1);
	e.s.gpr[4] = MMIO;
	*(u64 *)(mem + MMIO) = 0x3f7fd7ULL;
	step_ok(&e);
	assert_int_equal(e.s.rflags, 0x247fd7ULL);
	assert_int_equal(e.s.gpr[4], MMIO + 8);
	/* CPL 3, IOPL 0: IF and IOPL stay */
	setup(&e, 8, "\x9d", 1);
	e.s.cpl = 3;
	e.s.gpr[4] = MMIO;
	*(u64 *)(mem + MMIO) = 0x3ed5ULL;
	step_ok(&e);
	assert_int_equal(e.s.rflags, 0xcd7ULL);
	/* CPL 3, IOPL 3: IF changes, IOPL does not */
	setup(&e, 8, "\x9d", 1);
	e.s.cpl = 3;
	e.s.rflags = 0x3002;
	e.s.gpr[4] = MMIO;
	*(u64 *)(mem + MMIO) = 0x0202ULL;
	step_ok(&e);
	assert_int_equal(e.s.rflags, 0x3202ULL);
	/* 16-bit popf changes bits 15:0 only */
	setup(&e, 4, "\x66\x9d", 2);
	e.s.rflags = 0x40002;
	e.s.gpr[4] = MMIO;
	*(u32 *)(mem + MMIO) = 0xffffffff;
	step_ok(&e);
	assert_int_equal(e.s.rflags, 0x47fd7ULL);
	assert_int_equal(e.s.gpr[4], MMIO + 2);
	/* virtual-8086 mode with IOPL < 3: #GP(0) */
	setup(&e, 4, "\x9c", 1);
	e.s.rflags = 0x20002;
	e.s.gpr[4] = MMIO + 0x10;
	step_fault(&e, EMU_VEC_GP);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		UNIT_TEST(test_push_to_mmio_stack),
		UNIT_TEST(test_pop_from_mmio_stack),
		UNIT_TEST(test_call_ret_jmp),
		UNIT_TEST(test_branches_in_16_and_32_bit_code),
		UNIT_TEST(test_enter_leave),
		UNIT_TEST(test_pushf_popf),
		UNIT_TEST(test_near_branches_with_66),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
