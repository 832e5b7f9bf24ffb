// SPDX-License-Identifier: GPL-2.0
/*
 * The fast path for the commonest MMIO instruction: MOV between a general
 * register and memory (88, 89, 8A, 8B) with no prefix but REX, in 32- or
 * 64-bit code, addressed by a base register and a displacement. It does
 * what the general decoder and executor would (the differential test runs
 * these forms through both), in a fraction of the host instructions; any
 * other instruction, prefix or addressing form goes the general way.
 */
#include "emu_priv.h"

int emu_mov_fast(struct emu *e)
{
	struct emu_insn in;
	u8 op, m;
	u32 size, i;
	s64 disp;
	u64 la, v;
	int r;

	r = emu_fetch_first(e);
	if (r)
		return r;
	if (e->fetched < 7)
		return -1; /* the general path fetches the rest as needed */
	__builtin_memset(&in, 0, sizeof(in));
	if ((e->s.efer & (1ULL << 10)) && (e->s.seg[EMU_CS].ar & EMU_AR_L))
		in.mode = 8;
	else if (e->s.seg[EMU_CS].ar & EMU_AR_DB)
		in.mode = 4;
	else
		return -1;
	i = 0;
	op = e->insn[0];
	if (in.mode == 8 && (op & 0xf0) == 0x40) {
		in.rex = op;
		op = e->insn[++i];
	}
	m = e->insn[i + 1];
	/* MOV with a memory operand, neither SIB nor RIP-relative */
	if ((op & 0xfc) != 0x88 || (m >> 6) == 3 || (m & 7) == 4 || (m & 0xc7) == 5)
		return -1;
	in.op = op;
	in.opsz = (in.rex & 8) ? 8 : 4;
	in.adsz = in.mode;
	in.mod = m >> 6;
	in.reg = ((m >> 3) & 7) | ((in.rex & 4) << 1);
	in.rm = (m & 7) | ((in.rex & 1) << 3);
	in.mem = true;
	in.seg = -1;
	i += 2;
	if (in.mod == 1) {
		disp = (s8)e->insn[i];
		i += 1;
	} else if (in.mod == 2) {
		disp = (s32)(e->insn[i] | e->insn[i + 1] << 8 | e->insn[i + 2] << 16 |
			     (u32)e->insn[i + 3] << 24);
		i += 4;
	} else {
		disp = 0;
	}
	in.ea = e->s.gpr[in.rm] + disp;
	if (in.mode == 4)
		in.ea = (u32)in.ea;
	in.ea_seg = (m & 7) == 5 ? EMU_SS : EMU_DS; /* an RBP/R13 base: SS */
	size = (op & 1) ? in.opsz : 1;
	r = emu_linear(e, &in, in.ea_seg, in.ea, size, !(op & 2), &la);
	if (r)
		return r;
	if (!(op & 2)) { /* 88, 89: register to memory */
		v = emu_get_reg(e, &in, in.reg, size);
		r = e->ops->write(e, la, &v, size);
	} else {
		v = 0;
		r = e->ops->read(e, la, &v, size, false);
		if (!r)
			emu_set_reg(e, &in, in.reg, size, v);
	}
	if (r)
		return r;
	e->len = i;
	v = e->s.rip + i;
	e->s.rip = in.mode == 8 ? v : (u32)v;
	e->s.rflags &= ~(1ULL << 16); /* RF: the instruction completed */
	return EMU_OK;
}
