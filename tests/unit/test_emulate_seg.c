// SPDX-License-Identifier: GPL-2.0
/*
 * Segments the caller's snapshot leaves out (emu_state.seg_lazy): the
 * emulator asks ops->seg_read() for one the first time an instruction
 * needs it, and only then: in 64-bit mode a DS, ES or SS operand needs no
 * segment at all (no base, no limit: SDM 3.2.4), FS and GS need their
 * bases; in 32-bit mode every operand needs its segment's base, limit and
 * type; MOV r/m, Sreg needs the selector. A failed read ends the
 * instruction with EMU_UNHANDLED and nothing changed.
 */
#include "unit.h"

#include "emulate/emulate.h"

#define MEM_SIZE 0x10000
#define CODE	 0x4000
static u8 mem[MEM_SIZE];
static u32 reads[EMU_NSEG];
static bool read_fails;

/* What the "VMCS" holds: DS and ES based at 0x1000, FS at 0x2000, GS at 0x3000. */
static const struct emu_seg vmcs_seg[EMU_NSEG] = {
	[EMU_ES] = { .base = 0x1000,
		     .limit = 0xffff,
		     .ar = 0x93 | EMU_AR_DB | EMU_AR_P,
		     .sel = 0x10 },
	[EMU_DS] = { .base = 0x1000,
		     .limit = 0xffff,
		     .ar = 0x93 | EMU_AR_DB | EMU_AR_P,
		     .sel = 0x18 },
	[EMU_FS] = { .base = 0x2000,
		     .limit = 0xffff,
		     .ar = 0x93 | EMU_AR_DB | EMU_AR_P,
		     .sel = 0x20 },
	[EMU_GS] = { .base = 0x3000,
		     .limit = 0xffff,
		     .ar = 0x93 | EMU_AR_DB | EMU_AR_P,
		     .sel = 0x28 },
};

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
	return EMU_OK;
}

static int s_seg_read(struct emu *e, int seg, struct emu_seg *to)
{
	assert_true(seg != EMU_CS && seg != EMU_SS);
	reads[seg]++;
	if (read_fails)
		return EMU_UNHANDLED;
	*to = vmcs_seg[seg];
	return EMU_OK;
}

static const struct emu_ops ops = { .read = s_read, .write = s_write, .seg_read = s_seg_read };

/* CS and SS filled, the rest left to s_seg_read(); @mode 4 or 8; RAX 0x100, ECX 0x11223344. */
static void setup(struct emu *e, int mode, const char *code, size_t len)
{
	memset(e, 0, sizeof(*e));
	memset(mem, 0, sizeof(mem));
	memset(reads, 0, sizeof(reads));
	read_fails = false;
	e->ops = &ops;
	/* garbage where the snapshot did not look */
	memset(e->s.seg, 0xee, sizeof(e->s.seg));
	e->s.seg[EMU_SS] =
		(struct emu_seg){ .limit = 0xffffffff, .ar = 0x93 | EMU_AR_DB | EMU_AR_P };
	e->s.seg[EMU_CS] =
		(struct emu_seg){ .limit = 0xffffffff,
				  .ar = 0x9b | EMU_AR_P | (mode == 4 ? EMU_AR_DB : EMU_AR_L) };
	e->s.seg_lazy = 1u << EMU_ES | 1u << EMU_DS | 1u << EMU_FS | 1u << EMU_GS;
	e->s.cr0 = 0x11;
	e->s.efer = mode == 8 ? 0x500 : 0;
	e->s.rflags = 2;
	e->s.rip = CODE;
	e->s.gpr[0] = 0x100;
	e->s.gpr[1] = 0x11223344;
	memcpy(mem + CODE, code, len);
}

static u32 mem32(u64 a)
{
	u32 v;

	memcpy(&v, mem + a, 4);
	return v;
}

/* mov [rax], ecx in 64-bit mode (an xAPIC EOI's shape): no segment read. */
static void test_64bit_ds_reads_none(void **state)
{
	struct emu e;

	(void)state;
	setup(&e, 8, "\x89\x08", 2);
	assert_int_equal(emu_step(&e), EMU_OK);
	assert_int_equal(mem32(0x100), 0x11223344);
	assert_int_equal(reads[EMU_DS] + reads[EMU_ES] + reads[EMU_FS] + reads[EMU_GS], 0);
	assert_int_equal(e.s.rip, CODE + 2);
}

/* FS and GS overrides in 64-bit mode: their bases, each read once. */
static void test_64bit_fs_gs_bases(void **state)
{
	struct emu e;

	(void)state;
	setup(&e, 8, "\x64\x89\x08\x65\x89\x08\x64\x8b\x10", 9);
	assert_int_equal(emu_step(&e), EMU_OK);
	assert_int_equal(emu_step(&e), EMU_OK);
	assert_int_equal(emu_step(&e), EMU_OK); /* mov edx, fs:[rax]: FS already read */
	assert_int_equal(mem32(0x2100), 0x11223344);
	assert_int_equal(mem32(0x3100), 0x11223344);
	assert_int_equal((u32)e.s.gpr[2], 0x11223344);
	assert_int_equal(reads[EMU_FS], 1);
	assert_int_equal(reads[EMU_GS], 1);
	assert_int_equal(reads[EMU_DS] + reads[EMU_ES], 0);
}

/* 32-bit mode: DS's base and limit apply; ES for MOV r/m, Sreg's selector. */
static void test_32bit_ds_and_sreg(void **state)
{
	struct emu e;

	(void)state;
	/* mov [eax], ecx; mov [eax+4], es; mov [eax+0x10000], ecx (past DS's limit: #GP) */
	setup(&e, 4, "\x89\x08\x8c\x40\x04\x89\x88\x00\x00\x01\x00", 11);
	assert_int_equal(emu_step(&e), EMU_OK);
	assert_int_equal(mem32(0x1100), 0x11223344);
	assert_int_equal(emu_step(&e), EMU_OK);
	assert_int_equal(mem[0x1104] | mem[0x1105] << 8, 0x10);
	assert_int_equal(reads[EMU_DS], 1);
	assert_int_equal(reads[EMU_ES], 1);
	assert_int_equal(emu_step(&e), EMU_EXCEPTION);
	assert_int_equal(e.exc_vec, EMU_VEC_GP);
	assert_int_equal(reads[EMU_DS], 1);
}

/* A host failure reading the segment: EMU_UNHANDLED, nothing written, asked again next time. */
static void test_read_failure(void **state)
{
	struct emu e;
	struct emu_state before;

	(void)state;
	setup(&e, 4, "\x89\x08", 2);
	read_fails = true;
	before = e.s;
	assert_int_equal(emu_step(&e), EMU_UNHANDLED);
	assert_memory_equal(&before, &e.s, sizeof(before));
	assert_int_equal(mem32(0x1100), 0);
	read_fails = false;
	assert_int_equal(emu_step(&e), EMU_OK);
	assert_int_equal(mem32(0x1100), 0x11223344);
	assert_int_equal(reads[EMU_DS], 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		UNIT_TEST(test_64bit_ds_reads_none),
		UNIT_TEST(test_64bit_fs_gs_bases),
		UNIT_TEST(test_32bit_ds_and_sreg),
		UNIT_TEST(test_read_failure),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
