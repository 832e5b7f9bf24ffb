// SPDX-License-Identifier: GPL-2.0
/*
 * BMI1/BMI2: the VEX-encoded GPR instructions (SDM Vol. 2 for each: ANDN,
 * BEXTR, BLSI, BLSMSK, BLSR, BZHI, MULX, PDEP, PEXT, RORX, SARX, SHLX, SHRX).
 */
#include "emu_priv.h"

int emu_exec_vex(struct emu *e, struct emu_insn *in)
{
	u32 size = in->opsz, bits = size * 8, sub = in->reg & 7;
	u64 v, b = emu_get_reg(e, in, in->vvvv, size), lo, hi;
	int r, op = -1;

	if (in->map == 1 || (in->map == 2 && in->op == 0x2a))
		return emu_sse(e, in);
	/* other AVX/AVX2 instructions (0F 38 F2-F7 and 0F 3A F0 are BMI) */
	if (in->map == 3 ? in->op != 0xf0 : in->op < 0xf2 || in->op > 0xf7 || in->op == 0xf4)
		return EMU_UNHANDLED;
	if (in->vex_l) /* no 256-bit GPR instructions */
		return emu_raise(e, EMU_VEC_UD, -1);
	if (in->map == 3 && in->op == 0xf0 && in->vex_pp == 3) { /* RORX */
		u32 c = in->imm & (bits - 1);

		if (in->vvvv)
			return emu_raise(e, EMU_VEC_UD, -1); /* VEX.vvvv must be 1111b */
		r = emu_read_rm(e, in, size, &v);
		if (!r)
			emu_set_reg(e, in, in->reg, size,
				    c ? emu_trunc(v >> c | v << (bits - c), size) : v);
		return r;
	}
	if (in->map != 2)
		return EMU_UNHANDLED;
	switch (in->op | in->vex_pp << 8) {
	case 0xf2:
		op = EMU_OP_ANDN;
		break;
	case 0xf7:
		op = EMU_OP_BEXTR;
		break;
	case 0xf5:
		op = EMU_OP_BZHI;
		break;
	case 0x3f5:
		op = EMU_OP_PDEP;
		break;
	case 0x2f5:
		op = EMU_OP_PEXT;
		break;
	case 0xf3:
	case 0x2f7:
	case 0x1f7:
	case 0x3f7:
	case 0x3f6:
		break;
	default:
		return emu_raise(e, EMU_VEC_UD, -1);
	}
	r = emu_read_rm(e, in, size, &v);
	if (r)
		return r;
	switch (in->op | in->vex_pp << 8) {
	case 0xf3: /* BLSR /1, BLSMSK /2, BLSI /3: the result goes to vvvv */
		if (sub < 1 || sub > 3)
			return emu_raise(e, EMU_VEC_UD, -1);
		emu_set_reg(e, in, in->vvvv, size,
			    emu_alu(EMU_OP_BLSR + sub - 1, 0, v, 0, size, &e->s.rflags, NULL));
		return EMU_OK;
	case 0x2f7: /* SARX */
		v = emu_trunc((u64)((s64)emu_sext(v, size) >> (b & (bits - 1))), size);
		break;
	case 0x1f7: /* SHLX */
		v = emu_trunc(v << (b & (bits - 1)), size);
		break;
	case 0x3f7: /* SHRX */
		v >>= b & (bits - 1);
		break;
	case 0x3f6: /* MULX: RDX * src, high half to reg, low to vvvv; no flags */
		if (size == 8) {
			unsigned __int128 p = (unsigned __int128)e->s.gpr[2] * v;

			lo = (u64)p, hi = (u64)(p >> 64);
		} else {
			u64 p = (u64)(u32)e->s.gpr[2] * (u32)v;

			lo = (u32)p, hi = p >> 32;
		}
		emu_set_reg(e, in, in->vvvv, size, lo);
		emu_set_reg(e, in, in->reg, size, hi); /* the high half wins if they are one */
		return EMU_OK;
	default: /* ANDN: ~vvvv & src; BEXTR/BZHI: src by vvvv; PDEP/PEXT: vvvv by src */
		if (op == EMU_OP_ANDN || op == EMU_OP_PDEP || op == EMU_OP_PEXT)
			v = emu_alu3(op, v, b, size, &e->s.rflags);
		else
			v = emu_alu3(op, b, v, size, &e->s.rflags);
		break;
	}
	emu_set_reg(e, in, in->reg, size, v);
	return EMU_OK;
}
