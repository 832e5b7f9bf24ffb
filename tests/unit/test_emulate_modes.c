// SPDX-License-Identifier: GPL-2.0
/*
 * The emulator where the host CPU cannot be the reference: 16- and 32-bit
 * code, segmentation (limits, SS faults), canonical and alignment checks,
 * LOCK, PUSH/POP of memory, REP stepping, INS/OUTS batching and the guest
 * page walk (32-bit, PAE, 4-level) with its #PF error codes.
 */
#include "unit.h"

#include "emulate/emulate.h"

/* Guest "physical" memory: 1 MiB; linear = physical unless paging is on. */
#define MEM_SIZE (1 << 20)
static u8 *mem;
static u32 io_port, io_size, io_count, io_calls;
static bool io_in_ready;

static int rd_pte(struct emu *e, u64 gpa, u64 *pte, u32 size)
{
	if (gpa + size > MEM_SIZE)
		return EMU_UNHANDLED;
	*pte = 0;
	memcpy(pte, mem + gpa, size);
	return EMU_OK;
}

/* Guest-physical [MMIO_LO, MMIO_HI) is MMIO for string I/O (m_mmio()). */
#define MMIO_LO 0x8000
#define MMIO_HI 0x9000
static u32 mmio_accs, mmio_size; /* accesses reaching it, the last one's size */

static bool in_mmio(u64 gpa, u32 size)
{
	return gpa < MMIO_HI && gpa + size > MMIO_LO;
}

static int acc(struct emu *e, u64 la, void *buf, u32 size, bool write, bool fetch)
{
	u64 gpa;
	int r = emu_translate(e, la, write, fetch, &gpa, rd_pte);

	if (r)
		return r;
	if (gpa + size > MEM_SIZE)
		return EMU_UNHANDLED;
	if (in_mmio(gpa, size))
		mmio_accs++, mmio_size = size;
	if (write)
		memcpy(mem + gpa, buf, size);
	else
		memcpy(buf, mem + gpa, size);
	return EMU_OK;
}

static int m_read(struct emu *e, u64 la, void *buf, u32 size, bool fetch)
{
	return acc(e, la, buf, size, false, fetch);
}

static int m_write(struct emu *e, u64 la, const void *buf, u32 size)
{
	return acc(e, la, (void *)buf, size, true, false);
}

static int m_mmio(struct emu *e, u64 la, u32 size, bool write, bool *mmio)
{
	u64 gpa, last;
	int r = emu_translate(e, la, write, false, &gpa, rd_pte);

	if (!r)
		r = emu_translate(e, la + size - 1, write, false, &last, rd_pte);
	if (r)
		return r;
	*mmio = in_mmio(gpa, 1) || in_mmio(last, 1);
	return EMU_OK;
}

static int m_in(struct emu *e, u16 port, u32 size, u32 count)
{
	io_port = port, io_size = size, io_count = count, io_calls++;
	if (!io_in_ready)
		return EMU_IO;
	for (u32 i = 0; i < size * count; i++)
		e->iobuf[i] = 0x80 + i;
	return EMU_OK;
}

static int m_out(struct emu *e, u16 port, u32 size, u32 count)
{
	io_port = port, io_size = size, io_count = count, io_calls++;
	return EMU_OK;
}

static u8 vec[16][32];
static u16 fsw;

static void m_vec_read(struct emu *e, u32 idx, void *buf, u32 size)
{
	assert_true(size == 8 ? idx < 8 : idx < 16 && (size == 16 || size == 32));
	memcpy(buf, vec[idx], size);
}

static void m_vec_write(struct emu *e, u32 idx, const void *buf, u32 size)
{
	assert_true(size == 8 ? idx < 8 : idx < 16 && (size == 16 || size == 32));
	memcpy(vec[idx], buf, size);
}

static u16 m_fpu_sw(struct emu *e)
{
	return fsw;
}

static const struct emu_ops ops = { .read = m_read,
				    .write = m_write,
				    .pio_in = m_in,
				    .pio_out = m_out,
				    .mmio = m_mmio,
				    .vec_read = m_vec_read,
				    .vec_write = m_vec_write,
				    .fpu_sw = m_fpu_sw };
static u8 iobuf[4096];

static void setup_emu(struct emu *e, int mode, const char *code, size_t len, u64 rip)
{
	memset(e, 0, sizeof(*e));
	e->ops = &ops;
	e->iobuf = iobuf;
	for (int i = 0; i < EMU_NSEG; i++) {
		e->s.seg[i].ar = 0x93 | (mode == 4 ? EMU_AR_DB : 0);
		e->s.seg[i].limit = mode == 2 ? 0xffff : 0xffffffff;
	}
	e->s.seg[EMU_CS].ar = 0x9b | (mode == 4 ? EMU_AR_DB : mode == 8 ? EMU_AR_L : 0);
	e->s.cr0 = mode == 2 ? 0x10 : 0x11;
	e->s.efer = mode == 8 ? 0x500 : 0;
	e->s.rflags = 2;
	e->s.rip = rip;
	memcpy(mem + rip, code, len);
	io_calls = 0;
	io_in_ready = false;
	mmio_accs = mmio_size = 0;
}

static int m_setup(void **state)
{
	unit_setup(state);
	mem = calloc(1, MEM_SIZE);
	return mem ? 0 : -1;
}

static int m_teardown(void **state)
{
	free(mem);
	return unit_teardown(state);
}

#define T(f) cmocka_unit_test_setup_teardown(f, m_setup, m_teardown)

static void test_real_mode_addressing(void **state)
{
	struct emu e;

	(void)state;
	/* mov %al, (%bp,%si): SS-based; mov %bx, %es:0x10(%di) */
	setup_emu(&e, 2, "\x88\x02\x26\x89\x5d\x10", 6, 0x1000);
	e.s.seg[EMU_SS].base = 0x20000;
	e.s.seg[EMU_ES].base = 0x30000;
	e.s.gpr[0] = 0x5a, e.s.gpr[5] = 0x100, e.s.gpr[6] = 0x23;
	e.s.gpr[3] = 0xbeef, e.s.gpr[7] = 0xfff8; /* 0x10 + 0xfff8 wraps to 8 */
	assert_int_equal(emu_step(&e), EMU_OK);
	assert_int_equal(mem[0x20123], 0x5a);
	assert_int_equal(emu_step(&e), EMU_OK);
	assert_int_equal(mem[0x30008] | mem[0x30009] << 8, 0xbeef);
	assert_int_equal(e.s.rip, 0x1006);
	/* 32-bit operand with 0x66: movl $0x11223344, 0x40 */
	setup_emu(&e, 2, "\x66\xc7\x06\x40\x00\x44\x33\x22\x11", 9, 0x1000);
	assert_int_equal(emu_step(&e), EMU_OK);
	assert_int_equal(*(u32 *)(mem + 0x40), 0x11223344);
}

static void test_segment_limits(void **state)
{
	struct emu e;

	(void)state;
	/* mov %eax, 0xfffe(%ebx) past a 64 KiB limit: #GP(0) */
	setup_emu(&e, 4, "\x89\x83\xfe\xff\x00\x00", 6, 0x1000);
	e.s.seg[EMU_DS].limit = 0xffff;
	assert_int_equal(emu_step(&e), EMU_EXCEPTION);
	assert_int_equal(e.exc_vec, EMU_VEC_GP);
	assert_int_equal(e.s.rip, 0x1000);
	/* via EBP the segment is SS: #SS(0) */
	setup_emu(&e, 4, "\x89\x85\xfe\xff\x00\x00", 6, 0x1000);
	e.s.seg[EMU_SS].limit = 0xffff;
	assert_int_equal(emu_step(&e), EMU_EXCEPTION);
	assert_int_equal(e.exc_vec, EMU_VEC_SS);
	/* a write to a read-only data segment */
	setup_emu(&e, 4, "\x89\x03", 2, 0x1000);
	e.s.seg[EMU_DS].ar = 0x91 | EMU_AR_DB;
	assert_int_equal(emu_step(&e), EMU_EXCEPTION);
	assert_int_equal(e.exc_vec, EMU_VEC_GP);
	/* expand-down: offsets above the limit are valid */
	setup_emu(&e, 4, "\x89\x03", 2, 0x1000);
	e.s.seg[EMU_DS].ar = 0x97 | EMU_AR_DB;
	e.s.seg[EMU_DS].limit = 0xfff;
	e.s.gpr[3] = 0x800;
	assert_int_equal(emu_step(&e), EMU_EXCEPTION);
	e.s.gpr[3] = 0x2000;
	assert_int_equal(emu_step(&e), EMU_OK);
}

static void test_canonical_lock_alignment(void **state)
{
	struct emu e;

	(void)state;
	/* 64-bit: mov %eax, (%rbx) at a non-canonical address */
	setup_emu(&e, 8, "\x89\x03", 2, 0x1000);
	e.s.gpr[3] = 0x0000800000000000ULL;
	assert_int_equal(emu_step(&e), EMU_EXCEPTION);
	assert_int_equal(e.exc_vec, EMU_VEC_GP);
	assert_true(e.exc_has_err);
	/* LOCK on a register destination, and on MOV: #UD */
	setup_emu(&e, 8, "\xf0\x01\xc3", 3, 0x1000);
	assert_int_equal(emu_step(&e), EMU_EXCEPTION);
	assert_int_equal(e.exc_vec, EMU_VEC_UD);
	setup_emu(&e, 8, "\xf0\x89\x03", 3, 0x1000);
	assert_int_equal(emu_step(&e), EMU_EXCEPTION);
	assert_int_equal(e.exc_vec, EMU_VEC_UD);
	/* #AC: CPL 3, CR0.AM, RFLAGS.AC, a misaligned dword */
	setup_emu(&e, 8, "\x89\x03", 2, 0x1000);
	e.s.gpr[3] = 0x2001;
	e.s.cpl = 3, e.s.cr0 |= 1 << 18, e.s.rflags |= 1 << 18;
	assert_int_equal(emu_step(&e), EMU_EXCEPTION);
	assert_int_equal(e.exc_vec, EMU_VEC_AC);
	/* CMPXCHG16B on a misaligned operand: #GP */
	setup_emu(&e, 8, "\x48\x0f\xc7\x0b", 4, 0x1000);
	e.s.gpr[3] = 0x2008;
	assert_int_equal(emu_step(&e), EMU_EXCEPTION);
	assert_int_equal(e.exc_vec, EMU_VEC_GP);
	/* an unknown instruction (x87) */
	setup_emu(&e, 8, "\xdd\x03", 2, 0x1000);
	assert_int_equal(emu_step(&e), EMU_UNHANDLED);
}

static void test_push_pop_memory(void **state)
{
	struct emu e;

	(void)state;
	/* 64-bit: push (%rbx); pop 8(%rsp) -- POP's RSP base is after the pop */
	setup_emu(&e, 8, "\xff\x33\x8f\x44\x24\x08", 6, 0x1000);
	e.s.gpr[3] = 0x3000, e.s.gpr[4] = 0x8000;
	*(u64 *)(mem + 0x3000) = 0x1122334455667788ULL;
	assert_int_equal(emu_step(&e), EMU_OK);
	assert_int_equal(e.s.gpr[4], 0x7ff8);
	assert_int_equal(*(u64 *)(mem + 0x7ff8), 0x1122334455667788ULL);
	assert_int_equal(emu_step(&e), EMU_OK);
	assert_int_equal(e.s.gpr[4], 0x8000);
	assert_int_equal(*(u64 *)(mem + 0x8008), 0x1122334455667788ULL);
	/* 16-bit stack (SS.B = 0) wraps SP */
	setup_emu(&e, 2, "\xff\x34", 2, 0x1000); /* push (%si) */
	e.s.gpr[6] = 0x40, e.s.gpr[4] = 0;
	mem[0x40] = 0x34, mem[0x41] = 0x12;
	assert_int_equal(emu_step(&e), EMU_OK);
	assert_int_equal(e.s.gpr[4], 0xfffe);
	assert_int_equal(mem[0xfffe] | mem[0xffff] << 8, 0x1234);
}

static void test_rep_stepping(void **state)
{
	struct emu e;
	int steps = 0;

	(void)state;
	/* rep stosb, 3 iterations: RIP stays until RCX reaches 0 */
	setup_emu(&e, 4, "\xf3\xaa", 2, 0x1000);
	e.s.gpr[0] = 0x77, e.s.gpr[1] = 3, e.s.gpr[7] = 0x5000;
	while (e.s.rip == 0x1000 && steps < 10) {
		assert_int_equal(emu_step(&e), EMU_OK);
		steps++;
	}
	assert_int_equal(steps, 3);
	assert_int_equal(e.s.gpr[1], 0);
	assert_int_equal(e.s.gpr[7], 0x5003);
	assert_int_equal(mem[0x5000] & mem[0x5001] & mem[0x5002], 0x77);
	assert_int_equal(mem[0x5003], 0);
	/* RCX = 0: nothing, RIP advances */
	setup_emu(&e, 4, "\xf3\xaa", 2, 0x1000);
	e.s.gpr[7] = 0x5000;
	assert_int_equal(emu_step(&e), EMU_OK);
	assert_int_equal(e.s.rip, 0x1002);
	/* repe cmpsb stops at the first difference */
	setup_emu(&e, 4, "\xf3\xa6", 2, 0x1000);
	memcpy(mem + 0x6000, "abcX", 4);
	memcpy(mem + 0x7000, "abcY", 4);
	e.s.gpr[1] = 10, e.s.gpr[6] = 0x6000, e.s.gpr[7] = 0x7000;
	for (steps = 0; e.s.rip == 0x1000 && steps < 20; steps++)
		assert_int_equal(emu_step(&e), EMU_OK);
	assert_int_equal(steps, 4);
	assert_int_equal(e.s.gpr[1], 6);
	assert_false(e.s.rflags & EMU_ZF);
}

static void test_string_io_batches(void **state)
{
	struct emu e;

	(void)state;
	/* rep outsw from 0x1ffa, 10 words: only 3 fit in the page */
	setup_emu(&e, 4, "\xf3\x66\x6f", 3, 0x1000);
	e.s.gpr[1] = 10, e.s.gpr[2] = 0x3f8, e.s.gpr[6] = 0x1ffa;
	memcpy(mem + 0x1ffa, "ABCDEF", 6);
	assert_int_equal(emu_step(&e), EMU_OK);
	assert_int_equal(io_count, 3);
	assert_int_equal(io_size, 2);
	assert_int_equal(io_port, 0x3f8);
	assert_memory_equal(iobuf, "ABCDEF", 6);
	assert_int_equal(e.s.gpr[1], 7);
	assert_int_equal(e.s.gpr[6], 0x2000);
	assert_int_equal(e.s.rip, 0x1000); /* more to do */
	/* rep insb backwards (DF): data lands in memory order */
	setup_emu(&e, 4, "\xf3\x6c", 2, 0x1000);
	e.s.rflags |= EMU_DF;
	e.s.gpr[1] = 4, e.s.gpr[2] = 0x60, e.s.gpr[7] = 0x4003;
	assert_int_equal(emu_step(&e), EMU_IO); /* asks for the data */
	assert_int_equal(e.s.gpr[1], 4);
	io_in_ready = true;
	assert_int_equal(emu_step(&e), EMU_OK);
	assert_int_equal(io_count, 4);
	assert_memory_equal(mem + 0x4000, "\x80\x81\x82\x83", 4);
	assert_int_equal(e.s.gpr[7], 0x3fff);
	assert_int_equal(e.s.gpr[1], 0);
	assert_int_equal(e.s.rip, 0x1002);
}

/* Page tables at 0x10000+; maps linear 0x400000 -> 0x9000 (4 KiB page). */
static void build_4level(u64 pte_flags)
{
	u64 *pml4 = (u64 *)(mem + 0x10000), *pdpt = (u64 *)(mem + 0x11000);
	u64 *pd = (u64 *)(mem + 0x12000), *pt = (u64 *)(mem + 0x13000);

	pml4[0] = 0x11000 | 7;
	pdpt[0] = 0x12000 | 7;
	pd[0] = 0x83;		 /* the code: identity 2 MiB */
	pd[2] = 0x13000 | 7;	 /* 0x400000 >> 21 = 2 */
	pd[3] = 0x200000 | 0x83; /* 0x600000: a 2 MiB page at 0x200000 */
	pt[0] = 0x9000 | pte_flags;
}

/* One emu_step(): EMU_OK, the last I/O of @count elements, @accs MMIO accesses so far. */
static void step_io(struct emu *e, u32 count, u32 accs)
{
	assert_int_equal(emu_step(e), EMU_OK);
	assert_int_equal(io_count, count);
	assert_int_equal(mmio_accs, accs);
}

/*
 * INS and OUTS whose memory is MMIO: one element per step, an I/O access of
 * one element and an MMIO access of its size; the RAM next to it batched.
 */
static void test_string_io_mmio(void **state)
{
	struct emu e;

	(void)state;
	/* rep insb into MMIO at 0x8ffe: asks for one byte, writes one */
	setup_emu(&e, 4, "\xf3\x6c", 2, 0x1000);
	e.s.gpr[1] = 4, e.s.gpr[2] = 0xe0, e.s.gpr[7] = 0x8ffe;
	assert_int_equal(emu_step(&e), EMU_IO);
	assert_int_equal(io_count, 1);
	assert_int_equal(mmio_accs, 0); /* nothing written before the data */
	io_in_ready = true;
	step_io(&e, 1, 1);
	assert_int_equal(io_port, 0xe0);
	assert_int_equal(mmio_size, 1);
	assert_int_equal(mem[0x8ffe], 0x80);
	assert_int_equal(mem[0x8fff], 0);
	assert_int_equal(e.s.gpr[1], 3);
	assert_int_equal(e.s.gpr[7], 0x8fff);
	assert_int_equal(e.s.rip, 0x1000); /* the next element is the next step */
	assert_int_equal(emu_step(&e), EMU_OK);
	assert_int_equal(mem[0x8fff], 0x80);
	assert_int_equal(mmio_accs, 2);
	/* then RAM at 0x9000: the remaining two elements in one step */
	step_io(&e, 2, 2);
	assert_memory_equal(mem + 0x9000, "\x80\x81", 2);
	assert_int_equal(e.s.gpr[1], 0);
	assert_int_equal(e.s.rip, 0x1002);

	/* rep outsw from MMIO at 0x8000: reads one word, sends one */
	setup_emu(&e, 4, "\xf3\x66\x6f", 3, 0x1000);
	memcpy(mem + 0x8000, "ABCDEF", 6);
	e.s.gpr[1] = 3, e.s.gpr[2] = 0x3f8, e.s.gpr[6] = 0x8000;
	step_io(&e, 1, 1);
	assert_int_equal(io_size, 2);
	assert_memory_equal(iobuf, "AB", 2);
	assert_int_equal(mmio_size, 2);
	assert_int_equal(e.s.gpr[1], 2);
	assert_int_equal(e.s.gpr[6], 0x8002);
	assert_int_equal(e.s.rip, 0x1000);

	/*
	 * rep insd backwards (DF) from 0x7ffe: the batch [0x7ff6, 0x8002) would
	 * reach the MMIO page, so the first element (straddling it) goes alone
	 */
	setup_emu(&e, 4, "\xf3\x6d", 2, 0x1000);
	e.s.rflags |= EMU_DF;
	e.s.gpr[1] = 3, e.s.gpr[2] = 0x60, e.s.gpr[7] = 0x7ffe;
	io_in_ready = true;
	step_io(&e, 1, 1);
	assert_int_equal(mmio_size, 4);
	assert_memory_equal(mem + 0x7ffe, "\x80\x81\x82\x83", 4);
	assert_int_equal(e.s.gpr[7], 0x7ffa);
	/* the other two are RAM: one step */
	step_io(&e, 2, 1);
	assert_memory_equal(mem + 0x7ff6, "\x80\x81\x82\x83\x84\x85\x86\x87", 8);
	assert_int_equal(e.s.gpr[1], 0);
	assert_int_equal(e.s.rip, 0x1002);

	/* INSB to a read-only page (CR0.WP): the #PF comes before the port read */
	setup_emu(&e, 8, "\x6c", 1, 0x1000);
	e.s.cr0 |= 0x80010000, e.s.cr3 = 0x10000, e.s.cr4 = 0x20;
	build_4level(5);
	e.s.gpr[2] = 0x80, e.s.gpr[7] = 0x400000;
	assert_int_equal(emu_step(&e), EMU_EXCEPTION);
	assert_int_equal(e.exc_vec, EMU_VEC_PF);
	assert_int_equal(e.exc_err, EMU_PF_P | EMU_PF_W);
	assert_int_equal(io_calls, 0);
}

static void test_page_walk(void **state)
{
	struct emu e;
	u64 gpa;

	(void)state;
	setup_emu(&e, 8, "\x89\x03", 2, 0x1000);
	e.s.cr0 |= 0x80010000; /* PG, WP */
	e.s.cr4 = 0x20;
	e.s.cr3 = 0x10000;
	build_4level(7);
	assert_int_equal(emu_translate(&e, 0x400123, true, false, &gpa, rd_pte), EMU_OK);
	assert_int_equal(gpa, 0x9123);
	assert_int_equal(emu_translate(&e, 0x612345, false, false, &gpa, rd_pte), EMU_OK);
	assert_int_equal(gpa, 0x212345);
	/* not present: #PF with P=0, W, CR2 */
	assert_int_equal(emu_translate(&e, 0x401000, true, false, &gpa, rd_pte), EMU_EXCEPTION);
	assert_int_equal(e.exc_vec, EMU_VEC_PF);
	assert_int_equal(e.exc_err, EMU_PF_W);
	assert_int_equal(e.exc_cr2, 0x401000);
	/* read-only page, supervisor write with CR0.WP: P|W */
	build_4level(5);
	assert_int_equal(emu_translate(&e, 0x400000, true, false, &gpa, rd_pte), EMU_EXCEPTION);
	assert_int_equal(e.exc_err, EMU_PF_P | EMU_PF_W);
	/* supervisor page from CPL 3: P|U */
	build_4level(3);
	e.s.cpl = 3;
	assert_int_equal(emu_translate(&e, 0x400000, false, false, &gpa, rd_pte), EMU_EXCEPTION);
	assert_int_equal(e.exc_err, EMU_PF_P | EMU_PF_U);
	/* XD with EFER.NXE: instruction fetch faults with I/D */
	e.s.cpl = 0;
	e.s.efer |= 1 << 11;
	*(u64 *)(mem + 0x13000) = 0x9000 | 7 | (1ULL << 63);
	assert_int_equal(emu_translate(&e, 0x400000, false, true, &gpa, rd_pte), EMU_EXCEPTION);
	assert_int_equal(e.exc_err, EMU_PF_P | EMU_PF_I);
	/* an instruction through the walk: the store lands in the mapped page */
	build_4level(7);
	e.s.gpr[3] = 0x400010;
	e.s.gpr[0] = 0xcafef00d;
	assert_int_equal(emu_step(&e), EMU_OK);
	assert_int_equal(*(u32 *)(mem + 0x9010), 0xcafef00d);
}

static void test_page_walk_32bit_and_pae(void **state)
{
	struct emu e;
	u32 *pd = (u32 *)(mem + 0x20000), *pt = (u32 *)(mem + 0x21000);
	u64 *pdpt = (u64 *)(mem + 0x22000), *pdp = (u64 *)(mem + 0x23000);
	u64 *ptp = (u64 *)(mem + 0x24000), gpa;

	(void)state;
	setup_emu(&e, 4, "", 0, 0x1000);
	e.s.cr0 |= 0x80000000;
	e.s.cr3 = 0x20000;
	pd[1] = 0x21000 | 7;	   /* 0x400000 */
	pt[5] = 0x7000 | 3;	   /* 0x405000 -> 0x7000 */
	pd[2] = 0x00c00000 | 0x87; /* 0x800000: a 4 MiB page at 12 MiB */
	assert_int_equal(emu_translate(&e, 0x405abc, true, false, &gpa, rd_pte), EMU_OK);
	assert_int_equal(gpa, 0x7abc);
	e.s.cr4 = 0x10; /* PSE */
	assert_int_equal(emu_translate(&e, 0x812345, false, false, &gpa, rd_pte), EMU_OK);
	assert_int_equal(gpa, 0xc12345);
	/* PAE: 0x40405000 -> PDPTE 1, PDE 2, PTE 5 */
	e.s.cr4 = 0x20;
	e.s.cr3 = 0x22000;
	pdpt[1] = 0x23000 | 1;
	pdp[2] = 0x24000 | 7;
	ptp[5] = 0x8000 | 7;
	assert_int_equal(emu_translate(&e, 0x40405010, true, false, &gpa, rd_pte), EMU_OK);
	assert_int_equal(gpa, 0x8010);
	pdpt[1] = 0;
	assert_int_equal(emu_translate(&e, 0x40405010, false, false, &gpa, rd_pte), EMU_EXCEPTION);
	assert_int_equal(e.exc_err, 0);
}

/* SSE/AVX/MMX moves outside 64-bit mode and their #UD/#NM/#GP/#MF conditions. */
#define X87_PENDING (1ULL << 40) /* in cr0_or: FSW.ES set */
static void test_sse_conditions(void **state)
{
	static const struct {
		const char *code;
		int len;
		u64 cr0_or, cr4, xcr0, ebx, ds_base;
		int r, vec;
	} c[] = {
		/* movdqa (%ebx),%xmm0 */
		{ "\x66\x0f\x6f\x03", 4, 0, 0x200, 0, 0x2000, 0, EMU_OK, 0 },
		{ "\x66\x0f\x6f\x03", 4, 0, 0, 0, 0x2000, 0, EMU_EXCEPTION, EMU_VEC_UD },
		{ "\x66\x0f\x6f\x03", 4, 4, 0x200, 0, 0x2000, 0, EMU_EXCEPTION, EMU_VEC_UD },
		{ "\x66\x0f\x6f\x03", 4, 8, 0x200, 0, 0x2000, 0, EMU_EXCEPTION, EMU_VEC_NM },
		{ "\x66\x0f\x6f\x03", 4, 0, 0x200, 0, 0x2008, 0, EMU_EXCEPTION, EMU_VEC_GP },
		/* the linear address decides alignment */
		{ "\x66\x0f\x6f\x03", 4, 0, 0x200, 0, 0x2000, 8, EMU_EXCEPTION, EMU_VEC_GP },
		{ "\xf3\x0f\x6f\x03", 4, 0, 0x200, 0, 0x2008, 0, EMU_OK, 0 }, /* movdqu */
		/* vmovdqa (%ebx),%xmm0: OSXSAVE and XCR0.SSE|AVX */
		{ "\xc5\xf9\x6f\x03", 4, 0, 0x40200, 7, 0x2000, 0, EMU_OK, 0 },
		{ "\xc5\xf9\x6f\x03", 4, 0, 0x200, 7, 0x2000, 0, EMU_EXCEPTION, EMU_VEC_UD },
		{ "\xc5\xf9\x6f\x03", 4, 0, 0x40200, 3, 0x2000, 0, EMU_EXCEPTION, EMU_VEC_UD },
		{ "\xc5\xf9\x6f\x03", 4, 8, 0x40200, 7, 0x2000, 0, EMU_EXCEPTION, EMU_VEC_NM },
		/* vmovdqa (%ebx),%ymm0 wants 32-byte alignment */
		{ "\xc5\xfd\x6f\x03", 4, 0, 0x40200, 7, 0x2010, 0, EMU_EXCEPTION, EMU_VEC_GP },
		{ "\xc5\xfd\x6f\x03", 4, 0, 0x40200, 7, 0x2020, 0, EMU_OK, 0 },
		/* VEX.vvvv not 1111b; vmovd with VEX.L; movntdq to a register */
		{ "\xc5\xf1\x6f\x03", 4, 0, 0x40200, 7, 0x2000, 0, EMU_EXCEPTION, EMU_VEC_UD },
		{ "\xc5\xfd\x6e\xc0", 4, 0, 0x40200, 7, 0x2000, 0, EMU_EXCEPTION, EMU_VEC_UD },
		{ "\x66\x0f\xe7\xc0", 4, 0, 0x200, 0, 0x2000, 0, EMU_EXCEPTION, EMU_VEC_UD },
		/* MMX movq (%ebx),%mm0: no CR4 bits needed; CR0.EM, CR0.TS */
		{ "\x0f\x6f\x03", 3, 0, 0, 0, 0x2008, 0, EMU_OK, 0 },
		{ "\x0f\x6f\x03", 3, 4, 0, 0, 0x2000, 0, EMU_EXCEPTION, EMU_VEC_UD },
		{ "\x0f\x6f\x03", 3, 8, 0, 0, 0x2000, 0, EMU_EXCEPTION, EMU_VEC_NM },
		/* an x87 exception pending: #MF with CR0.NE (FERR# without: not done) */
		{ "\x0f\x6f\x03", 3, X87_PENDING | 0x20, 0, 0, 0x2000, 0, EMU_EXCEPTION,
		  EMU_VEC_MF },
		{ "\x0f\x6f\x03", 3, X87_PENDING, 0, 0, 0x2000, 0, EMU_UNHANDLED, 0 },
		/* other AVX/AVX2 instructions (vpbroadcastd xmm/ymm): not emulated */
		{ "\xc4\xe2\x79\x58\x03", 5, 0, 0x40200, 7, 0x2000, 0, EMU_UNHANDLED, 0 },
		{ "\xc4\xe2\x7d\x58\x03", 5, 0, 0x40200, 7, 0x2000, 0, EMU_UNHANDLED, 0 },
		/* movntq %mm0,%mm0 does not exist */
		{ "\x0f\xe7\xc0", 3, 0, 0, 0, 0x2000, 0, EMU_EXCEPTION, EMU_VEC_UD },
	};
	struct emu e;

	(void)state;
	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		setup_emu(&e, 4, c[i].code, c[i].len, 0x1000);
		e.s.cr0 |= c[i].cr0_or & ~X87_PENDING;
		fsw = (c[i].cr0_or & X87_PENDING) ? 0x80 : 0;
		e.s.cr4 = c[i].cr4;
		e.s.xcr0 = c[i].xcr0;
		e.s.gpr[3] = c[i].ebx;
		e.s.seg[EMU_DS].base = c[i].ds_base;
		for (int b = 0; b < 64; b++)
			mem[0x2000 + c[i].ds_base + b] = b + 1;
		memset(vec[0], 0xee, 32);
		assert_int_equal(emu_step(&e), c[i].r);
		if (c[i].r == EMU_EXCEPTION) {
			assert_int_equal(e.exc_vec, c[i].vec);
			assert_int_equal(e.exc_has_err, c[i].vec == EMU_VEC_GP);
			assert_int_equal(vec[0][0], 0xee);
			continue;
		}
		if (c[i].r != EMU_OK)
			continue;
		assert_int_equal(e.s.rip, 0x1000 + c[i].len);
		for (int b = 0; b < 32; b++) {
			u8 want = c[i].code[0] == 0x0f ? (b < 8 ? b + 9 : 0xee) /* MMX */
				  : b < 16 || c[i].code[1] == (char)0xfd
					  ? (u8)(c[i].ebx - 0x2000 + b + 1)
				  : c[i].code[0] == (char)0xc5 ? 0
							       : 0xee;
			assert_int_equal(vec[0][b], want);
		}
	}
	/* real mode: movdqu %xmm1,(%di) stores 16 bytes */
	setup_emu(&e, 2, "\xf3\x0f\x7f\x0d", 4, 0x1000);
	e.s.cr4 = 0x200;
	e.s.gpr[7] = 0x3000;
	memset(vec[1], 0x5c, 32);
	memset(mem + 0x3000, 0, 32);
	assert_int_equal(emu_step(&e), EMU_OK);
	assert_int_equal(mem[0x300f], 0x5c);
	assert_int_equal(mem[0x3010], 0);
}

/*
 * One MOV in @mode (2 or 4) code at 0x1000: @pfx (a segment override naming
 * the default segment, or 0) then the @n bytes of @insn; its operand at
 * @ea. The emulator's result, the state after, 64 bytes around @ea in DS
 * and in SS.
 */
struct mov_out {
	int r;
	u64 gpr[16], rip;
	u8 ds[64], ss[64];
};

#define MOV_DS 0x10000
#define MOV_SS 0x20000
/* AX CX DX BX SP BP SI DI; the sums of BX/BP and SI/DI are distinct */
static const u64 mov_gpr[8] = {
	0xa1a2a3a4a5a6a7a8, 0xb1b2, 0xc1c2, 0x1111, 0xd1d2, 0x2222, 0x0333, 0x0044
};

static void mov_run(int mode, u8 pfx, const u8 *insn, size_t n, u16 ea, struct mov_out *o)
{
	u8 code[16];
	struct emu e;

	code[0] = pfx;
	memcpy(code + 1, insn, n);
	setup_emu(&e, mode, (const char *)code + !pfx, n + !!pfx, 0x1000);
	e.s.seg[EMU_DS].base = MOV_DS;
	e.s.seg[EMU_SS].base = MOV_SS;
	memcpy(e.s.gpr, mov_gpr, sizeof(mov_gpr));
	for (int i = 0; i < 2; i++) {
		u8 *m = mem + (i ? MOV_SS : MOV_DS) + ea;

		memset(m - 32, 0xee, 64);
		m[0] = 0x5a, m[1] = 0x6b, m[2] = 0x7c, m[3] = 0x8d;
	}
	o->r = emu_step(&e);
	memcpy(o->gpr, e.s.gpr, sizeof(o->gpr));
	o->rip = e.s.rip - !!pfx; /* the prefix aside */
	memcpy(o->ds, mem + MOV_DS + ea - 32, 64);
	memcpy(o->ss, mem + MOV_SS + ea - 32, 64);
}

/* The fast path's result @f and the general path's @g agree. */
static void mov_same(const struct mov_out *f, const struct mov_out *g)
{
	assert_int_equal(f->r, EMU_OK);
	assert_int_equal(g->r, EMU_OK);
	assert_int_equal(f->rip, g->rip);
	assert_memory_equal(f->gpr, g->gpr, sizeof(f->gpr));
	assert_memory_equal(f->ds, g->ds, 64);
	assert_memory_equal(f->ss, g->ss, 64);
}

/*
 * Every 16-bit memory form of MOV between a register and memory (SDM
 * Table 2-1): the fast path (no prefix) against the SDM's address and
 * segment, and against the general decoder (the same instruction with an
 * override of its default segment, which only the general path takes).
 */
static void test_real_mode_mov_forms(void **state)
{
	/* rm 0-7: base and index (BX 3, BP 5, SI 6, DI 7; -1 none) */
	static const int base[8] = { 3, 3, 5, 5, 6, 7, 5, 3 };
	static const int index[8] = { 6, 7, 6, 7, -1, -1, -1, -1 };
	static const u8 ops[4] = { 0x88, 0x89, 0x8a, 0x8b };
	struct mov_out fast, gen;
	int n = 0;

	(void)state;
	for (int o = 0; o < 4; o++)
		for (int mod = 0; mod < 3; mod++)
			for (int rm = 0; rm < 8; rm++) {
				int reg = (rm + mod + o) & 7, ss;
				u16 disp = mod == 1 ? 0x80 : 0xf000, ea;
				u64 want;

				if (mod == 0 && rm == 6) {
					ea = disp, ss = 0;
				} else {
					ea = mov_gpr[base[rm]] +
					     (index[rm] >= 0 ? mov_gpr[index[rm]] : 0);
					ea += mod == 1 ? -128 : mod == 2 ? disp : 0;
					ss = base[rm] == 5;
				}
				u8 insn[4] = { ops[o], mod << 6 | reg << 3 | rm, disp, disp >> 8 };

				mov_run(2, 0, insn, 4, ea, &fast);
				mov_run(2, ss ? 0x36 : 0x3e, insn, 4, ea, &gen);
				mov_same(&fast, &gen);
				assert_int_equal(fast.rip,
						 0x1002 + (mod == 1 ? 1
							   : mod == 2 || (mod == 0 && rm == 6)
								   ? 2
								   : 0));
				u8 *m = (ss ? fast.ss : fast.ds) + 32,
				   *other = (ss ? fast.ds : fast.ss) + 32;

				assert_int_equal(other[0] | other[1] << 8, 0x6b5a);
				if (ops[o] == 0x88) { /* AL CL DL BL AH CH DH BH */
					want = (mov_gpr[reg & 3] >> (reg & 4 ? 8 : 0)) & 0xff;
					assert_int_equal(m[0], want);
					assert_int_equal(m[1], 0x6b);
				} else if (ops[o] == 0x89) {
					assert_int_equal(m[0] | m[1] << 8, mov_gpr[reg] & 0xffff);
				} else if (ops[o] == 0x8a) {
					want = reg & 4 ? 0x5a00 : 0x5a;
					assert_int_equal(fast.gpr[reg & 3] &
								 (reg & 4 ? 0xff00 : 0xff),
							 want);
				} else {
					assert_int_equal(fast.gpr[reg] & 0xffff, 0x6b5a);
				}
				n++;
			}
	assert_int_equal(n, 96);
}

/*
 * MOV between AL/AX/EAX and an offset in DS (A0-A3) in 16- and 32-bit code:
 * the fast path against the SDM and against the general decoder (with a
 * DS override, which only the general path takes).
 */
static void test_mov_moffs_forms(void **state)
{
	struct mov_out fast, gen;

	(void)state;
	for (int mode = 2; mode <= 4; mode += 2)
		for (u8 op = 0xa0; op <= 0xa3; op++) {
			u8 insn[5] = { op, 0x34, 0x12, 0, 0 };
			u32 size = op & 1 ? mode : 1;
			u8 *m = fast.ds + 32;

			mov_run(mode, 0, insn, 1 + mode, 0x1234, &fast);
			mov_run(mode, 0x3e, insn, 1 + mode, 0x1234, &gen);
			mov_same(&fast, &gen);
			assert_int_equal(fast.rip, 0x1001 + mode);
			assert_int_equal(fast.ss[32], 0x5a); /* DS, not SS */
			if (op >= 0xa2) { /* AL/AX/EAX to memory, nothing past it */
				assert_memory_equal(m, &mov_gpr[0], size);
				assert_int_equal(m[size], size == 1   ? 0x6b
							  : size == 2 ? 0x7c
								      : 0xee);
			} else {
				/* from memory: AL and AX keep the rest of RAX, EAX clears
				 * bits 63:32 (SDM Vol. 1, 3.4.1.1) */
				u64 low = (1ULL << (8 * size)) - 1,
				    want = (size == 4 ? 0 : mov_gpr[0] & ~low) |
					   (0x8d7c6b5aULL & low);

				assert_int_equal(fast.gpr[0], want);
			}
		}
}

/*
 * MOV between a register and memory with the operand- and address-size
 * overrides (66, 67; unreal-mode firmware reaching the APIC page uses
 * both): the fast path against the general decoder (with a segment
 * override, which only the general path takes), and the operand size each
 * override gives (SDM Vol. 1, 3.6.1): 66 flips 16 and 32 bits, 67 flips
 * the address size (32-bit addressing by a base register and a
 * displacement in 16-bit code, 16-bit forms in 32-bit code).
 */
static void test_size_prefix_mov_forms(void **state)
{
	static const u8 pfx[4][2] = { { 0x66 }, { 0x67 }, { 0x66, 0x67 }, { 0x67, 0x66 } };
	static const int bases[4] = { 3, 5, 6, 7 }; /* BX BP SI DI: 32-bit bases */
	struct mov_out fast, gen;
	int n = 0;

	(void)state;
	for (int mode = 2; mode <= 4; mode += 2)
		for (int p = 0; p < 4; p++)
			for (u8 op = 0x88; op <= 0x8b; op++)
				for (int b = 0; b < 4; b++) {
					bool o16 = p != 1, a16 = p != 0;
					bool addr32 = (mode == 2) == a16;
					int np = p < 2 ? 1 : 2, reg = (b + op) & 7, base = bases[b];
					u8 insn[8];
					u16 ea;
					bool ss;

					memcpy(insn, pfx[p], np);
					insn[np] = op;
					if (addr32) { /* [base + disp8] */
						insn[np + 1] = 1 << 6 | reg << 3 | base;
						ea = mov_gpr[base] + 0x10;
						ss = base == 5;
					} else { /* 16-bit [BX + disp8] */
						insn[np + 1] = 1 << 6 | reg << 3 | 7;
						ea = mov_gpr[3] + 0x10;
						ss = false;
					}
					insn[np + 2] = 0x10;
					mov_run(mode, 0, insn, np + 3, ea, &fast);
					mov_run(mode, ss ? 0x36 : 0x3e, insn, np + 3, ea, &gen);
					mov_same(&fast, &gen);
					assert_int_equal(fast.rip, 0x1000 + np + 3);
					if (op == 0x89) { /* eAX..: how many bytes went */
						u32 size = (mode == 2) == o16 ? 4 : 2;
						u8 *m = (ss ? fast.ss : fast.ds) + 32;
						u64 r = mov_gpr[reg];

						assert_memory_equal(m, &r, size);
						assert_int_equal(m[size], size == 4 ? 0xee : 0x7c);
					}
					n++;
				}
	assert_int_equal(n, 128);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_real_mode_addressing),
		T(test_real_mode_mov_forms),
		T(test_mov_moffs_forms),
		T(test_size_prefix_mov_forms),
		T(test_segment_limits),
		T(test_canonical_lock_alignment),
		T(test_push_pop_memory),
		T(test_rep_stepping),
		T(test_string_io_batches),
		T(test_string_io_mmio),
		T(test_page_walk),
		T(test_page_walk_32bit_and_pae),
		T(test_sse_conditions),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
