/* SPDX-License-Identifier: GPL-2.0 */
/*
 * One fuzz case for the instruction emulator, shared by the libFuzzer target
 * (tests/fuzz/fuzz_emulate.c, `make fuzz-emulate`) and the bounded run in
 * the unit tests (test_emulate_fuzz.c). The input sets the CPU mode and
 * registers, then is the instruction stream; memory is a 4 KiB window of
 * bytes around the registers, everything else faults. Checked: no crash,
 * no fetch past the input, at most 15 bytes decoded, a result that is one
 * of EMU_*, RIP advanced by exactly the decoded length (or unchanged, or
 * a near branch's target),
 * and a segment left to ops->seg_read() read only once, as it is.
 */
#ifndef HAXM_EMU_FUZZ_BODY_H
#define HAXM_EMU_FUZZ_BODY_H

#include <stdlib.h>
#include <string.h>

#include "emulate/emulate.h"

#define FZ_CODE 0x10000ULL
#define FZ_DATA 0x20000ULL

struct fz {
	const u8 *code;
	size_t ncode;
	u8 data[4096];
	u8 vec[16][32];
	u16 fsw;
	int io_calls;
	struct emu_seg seg[EMU_NSEG]; /* the segments seg_lazy leaves out */
};

static int fz_read(struct emu *e, u64 la, void *buf, u32 size, bool fetch)
{
	struct fz *f = e->ctx;

	if (size == 0 || size > 4096)
		abort();
	if (fetch) {
		if (la < FZ_CODE || size > f->ncode || la - FZ_CODE > f->ncode - size)
			return emu_raise(e, EMU_VEC_PF, 0);
		memcpy(buf, f->code + (la - FZ_CODE), size);
		return EMU_OK;
	}
	if (la >= FZ_DATA && la - FZ_DATA <= sizeof(f->data) - size) {
		memcpy(buf, f->data + (la - FZ_DATA), size);
		return EMU_OK;
	}
	/* every other address is "MMIO" that answers the second time */
	if (f->io_calls++ & 1) {
		memset(buf, 0xa5, size);
		return EMU_OK;
	}
	return EMU_IO;
}

static int fz_write(struct emu *e, u64 la, const void *buf, u32 size)
{
	struct fz *f = e->ctx;

	if (size == 0 || size > 4096)
		abort();
	if (la >= FZ_DATA && la - FZ_DATA <= sizeof(f->data) - size) {
		memcpy(f->data + (la - FZ_DATA), buf, size);
		return EMU_OK;
	}
	return (la & 1) ? EMU_OK : emu_raise(e, EMU_VEC_PF, 2);
}

static int fz_pio(struct emu *e, u16 port, u32 size, u32 count)
{
	if (!count || size * count > 4096 || (size != 1 && size != 2 && size != 4))
		abort();
	return (port & 1) ? EMU_IO : EMU_OK;
}

static void fz_vec_read(struct emu *e, u32 idx, void *buf, u32 size)
{
	struct fz *f = e->ctx;

	if (size == 8 ? idx >= 8 : idx >= 16 || (size != 16 && size != 32))
		abort();
	memcpy(buf, f->vec[idx], size);
}

static void fz_vec_write(struct emu *e, u32 idx, const void *buf, u32 size)
{
	struct fz *f = e->ctx;

	if (size == 8 ? idx >= 8 : idx >= 16 || (size != 16 && size != 32))
		abort();
	memcpy(f->vec[idx], buf, size);
}

static u16 fz_fpu_sw(struct emu *e)
{
	return ((struct fz *)e->ctx)->fsw;
}

/* LLDT and LTR find their descriptors in the data window */
static int fz_sys_read(struct emu *e, struct emu_sys *sys)
{
	sys->gdt_base = FZ_DATA;
	sys->gdt_limit = 0xff;
	sys->ldtr = (struct emu_seg){ .sel = 0x28, .ar = 0x82, .limit = 0xff };
	sys->tr = (struct emu_seg){ .sel = 0x18, .ar = 0x8b, .limit = 0x67 };
	return EMU_OK;
}

static int fz_seg_read(struct emu *e, int seg, struct emu_seg *to)
{
	if (!(e->s.seg_lazy & (1u << seg)))
		abort(); /* asked for one it has */
	*to = ((struct fz *)e->ctx)->seg[seg];
	return EMU_OK;
}

/* string I/O's memory: the data window is RAM, every other address MMIO */
static int fz_mmio(struct emu *e, u64 la, u32 size, bool write, bool *mmio)
{
	if (size == 0 || size > 4096)
		abort();
	*mmio = !(la >= FZ_DATA && la - FZ_DATA <= 4096 - size);
	return (la & 2) && *mmio ? emu_raise(e, EMU_VEC_PF, write ? 2 : 0) : EMU_OK;
}

static const struct emu_ops fz_ops = { fz_read,	    fz_write,	  fz_pio,    fz_pio,
				       fz_vec_read, fz_vec_write, fz_fpu_sw, fz_sys_read,
				       fz_seg_read, fz_mmio };

static void emu_fuzz_one(const u8 *in, size_t n)
{
	static u8 iobuf[4096];
	struct fz f = { 0 };
	struct emu e = { .ops = &fz_ops, .ctx = &f, .iobuf = iobuf };
	u8 mode, i;
	u64 rip;
	int r;

	if (n < 4)
		return;
	mode = in[0];
	/* registers: small values pointing into or near the data window */
	for (i = 0; i < 16; i++)
		e.s.gpr[i] = FZ_DATA + (u64)in[1 + (i & 1)] * 8 - 512 + i * 16;
	e.s.gpr[1] = in[2] & 7; /* RCX: small REP counts */
	e.s.gpr[2] = in[3];	/* RDX: port */
	e.s.rflags = 2 | ((u64)in[3] << 4 & 0xcd5) | ((mode & 0x80) ? EMU_DF : 0);
	for (i = 0; i < EMU_NSEG; i++) {
		e.s.seg[i].ar = 0x93 | EMU_AR_DB;
		e.s.seg[i].limit = (mode & 0x40) ? 0xfffff : 0xffffffff;
	}
	e.s.cr0 = 0x11;
	e.s.cpl = 0;
	switch (mode & 3) {
	case 0: /* real mode */
		e.s.cr0 = 0x10;
		for (i = 0; i < EMU_NSEG; i++) {
			e.s.seg[i].ar = 0x93;
			e.s.seg[i].limit = 0xffff;
			e.s.seg[i].base = FZ_DATA - 0x1000;
		}
		e.s.seg[EMU_CS].base = FZ_CODE;
		break;
	case 1: /* 32-bit flat */
		e.s.seg[EMU_CS].ar = 0x9b | EMU_AR_DB;
		break;
	default: /* 64-bit */
		e.s.efer = 0x500;
		e.s.seg[EMU_CS].ar = 0x9b | EMU_AR_L;
		break;
	}
	if (mode & 0x10) /* SSE and AVX enabled */
		e.s.cr4 |= (1ULL << 9) | (1ULL << 18), e.s.xcr0 = 7;
	if (mode & 0x04) /* CR0.TS: #NM */
		e.s.cr0 |= 8;
	if (mode & 0x08) /* an x87 exception pending: #MF (CR0.NE) or unhandled */
		f.fsw = 0x80, e.s.cr0 |= (in[3] & 1) ? 0x20 : 0;
	if (mode & 0x20) /* user mode with alignment checking */
		e.s.cpl = 3, e.s.cr0 |= 1ULL << 18, e.s.rflags |= 1ULL << 18;
	/* ES, DS, FS, GS left for fz_seg_read() by RCX's input byte, poisoned meanwhile */
	memcpy(f.seg, e.s.seg, sizeof(f.seg));
	e.s.seg_lazy =
		(in[2] >> 3) & ((1u << EMU_ES) | (1u << EMU_DS) | (1u << EMU_FS) | (1u << EMU_GS));
	for (i = 0; i < EMU_NSEG; i++)
		if (e.s.seg_lazy & (1u << i))
			memset(&e.s.seg[i], 0xee, sizeof(e.s.seg[i]));
	rip = (mode & 3) == 0 ? 0 : FZ_CODE;
	e.s.rip = rip;
	f.code = in + 4;
	f.ncode = n - 4;
	for (i = 0; i < 4; i++) {
		struct emu_state before = e.s;

		r = emu_step(&e);
		if (e.len > 15 || e.fetched > 15 || e.len > f.ncode)
			abort();
		if (r < EMU_OK || r > EMU_UNHANDLED)
			abort();
		/*
		 * a segment read on the way holds the right value, whatever the
		 * result, unless the instruction loaded it (MOV Sreg, far JMP)
		 */
		for (u8 j = 0; j < EMU_NSEG; j++) {
			if ((before.seg_lazy & ~e.s.seg_lazy & (1u << j)) &&
			    !(r == EMU_OK && (e.s.sys_dirty & EMU_SYS_SEG(j))) &&
			    memcmp(&e.s.seg[j], &f.seg[j], sizeof(f.seg[j])))
				abort();
		}
		if (e.s.seg_lazy & ~before.seg_lazy)
			abort();
		memcpy(before.seg, e.s.seg, sizeof(before.seg));
		before.seg_lazy = e.s.seg_lazy;
		if (r != EMU_OK && memcmp(&before, &e.s, sizeof(before)))
			abort(); /* a failed step changes nothing */
		if (r == EMU_OK && !e.jumped && e.s.rip != before.rip &&
		    (e.s.rip - before.rip) % ((mode & 3) == 0 ? 0x10000 : 1ULL << 32) != e.len)
			abort();
		if (r != EMU_IO)
			break;
	}
}

#endif /* HAXM_EMU_FUZZ_BODY_H */
