// SPDX-License-Identifier: GPL-2.0
/*
 * The fast path for the commonest MMIO instructions, with no prefix but
 * the operand- and address-size overrides (66, 67) and REX: MOV between a
 * general register and memory (88, 89, 8A, 8B), addressed by a base
 * register and a displacement with 32- or 64-bit addressing, by any form
 * with 16-bit addressing (real mode, as firmware and VGA drivers run; with
 * 67, unreal mode as firmware reaches the APIC); and MOV between AL/eAX/RAX
 * and an offset in DS (A0-A3), in any mode. It does what the general
 * decoder and executor would (the differential test runs the 64-bit forms
 * through both, test_emulate_modes the 16-bit and prefixed ones), in a
 * fraction of the host instructions; any other instruction, prefix or
 * addressing form goes the general way.
 */
#include "emu_priv.h"

/*
 * 32/64-bit addressing by a base register and a displacement (no SIB, no
 * RIP-relative) from ModRM byte @m, its displacement at e->insn[@i]: the
 * operand in @in; returns the length so far.
 */
static u32 modrm_base_disp(struct emu *e, struct emu_insn *in, u8 m, u32 i)
{
	s64 disp;

	in->mod = m >> 6;
	in->reg = ((m >> 3) & 7) | ((in->rex & 4) << 1);
	in->rm = (m & 7) | ((in->rex & 1) << 3);
	in->mem = true;
	if (in->mod == 1) {
		disp = (s8)e->insn[i];
		i += 1;
	} else if (in->mod == 2) {
		disp = (s32)(e->insn[i] | e->insn[i + 1] << 8 | e->insn[i + 2] << 16 |
			     (u32)e->insn[i + 3] << 24);
		i += 4;
	} else {
		disp = 0;
	}
	in->ea = e->s.gpr[in->rm] + disp;
	if (in->adsz == 4)
		in->ea = (u32)in->ea;
	in->ea_seg = (m & 7) == 5 ? EMU_SS : EMU_DS; /* an RBP/R13 base: SS */
	return i;
}

int emu_mov_fast(struct emu *e)
{
	struct emu_insn in;
	u8 op, m;
	u32 size, i, k;
	u64 la, v;
	bool store, o16 = false, a16 = false;
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
		in.mode = 2;
	/* the size overrides, each at most once, before any REX */
	for (i = 0, op = e->insn[0]; op == 0x66 || op == 0x67; op = e->insn[++i]) {
		if (i == 2 || (i == 1 && op == e->insn[0]))
			return -1;
		if (op == 0x66)
			o16 = true;
		else
			a16 = true;
	}
	if (in.mode == 8 && (op & 0xf0) == 0x40) {
		in.rex = op;
		op = e->insn[++i];
	}
	in.op = op;
	/* SDM Vol. 1, 3.6.1 (Tables 3-3 and 3-4): an override flips the default */
	if (in.rex & 8)
		in.opsz = 8;
	else
		in.opsz = (in.mode == 2) != o16 ? 2 : 4;
	if (in.mode == 8)
		in.adsz = a16 ? 4 : 8;
	else
		in.adsz = (in.mode == 2) != a16 ? 2 : 4;
	in.seg = -1;
	if ((op & 0xfc) == 0xa0) {
		/* A0-A3: the offset, of the address size, follows the opcode */
		if (i + 1 + in.adsz > e->fetched)
			return -1;
		for (in.ea = 0, k = in.adsz; k--;)
			in.ea = in.ea << 8 | e->insn[i + 1 + k];
		in.ea_seg = EMU_DS;
		in.reg = 0; /* AL, AX, EAX, RAX */
		i += 1 + in.adsz;
		store = op & 2;
	} else {
		/* the ModRM byte and a disp32 (16-bit forms fetch their own) */
		if (i + 6 > e->fetched)
			return -1;
		m = e->insn[i + 1];
		/* a memory operand; with 32/64-bit addressing no SIB, no disp32 alone */
		if ((op & 0xfc) != 0x88 || (m >> 6) == 3 ||
		    (in.adsz != 2 && ((m & 7) == 4 || (m & 0xc7) == 5)))
			return -1;
		store = !(op & 2); /* 88, 89: register to memory */
		if (in.adsz == 2) {
			/* 16-bit addressing (SDM Table 2-1), as the general decoder's */
			e->len = i + 1;
			r = emu_decode_modrm(e, &in);
			if (r)
				return r;
			i = e->len;
		} else {
			i = modrm_base_disp(e, &in, m, i + 2);
		}
	}
	size = (op & 1) ? in.opsz : 1;
	r = emu_linear(e, &in, in.ea_seg, in.ea, size, store, &la);
	if (r)
		return r;
	if (store) {
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
	e->s.rip = in.mode == 8 ? v : in.mode == 4 ? (u32)v : (u16)v;
	e->s.rflags &= ~(1ULL << 16); /* RF: the instruction completed */
	return EMU_OK;
}
