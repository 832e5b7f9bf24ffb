// SPDX-License-Identifier: GPL-2.0
/*
 * SSE/AVX data moves between a vector register and memory (or a register):
 * MOVUPS/MOVUPD/MOVAPS/MOVAPD, MOVDQU/MOVDQA, MOVNTPS/MOVNTPD/MOVNTDQ,
 * MOVNTDQA, MOVD/MOVQ, and their VEX.128/VEX.256 forms, and the MMX moves
 * MOVD/MOVQ/MOVNTQ (SDM Vol. 2 for each; exception conditions: SDM Vol. 2
 * 2.8 and 22.25.1, Vol. 1 9.5, 13.2, 14.3). The vector
 * registers are reached through the ops, once nothing can fail any more:
 * a register is written after the memory read, and memory is written from
 * a register read just before.
 */
#include "emu_priv.h"

#define CR0_EM	     (1ULL << 2)
#define CR0_TS	     (1ULL << 3)
#define CR0_NE	     (1ULL << 5)
#define FSW_ES	     0x80
#define CR4_OSFXSR   (1ULL << 9)
#define CR4_OSXSAV   (1ULL << 18)
#define XCR0_SSE_AVX 6ULL

/* What a form does. */
enum {
	S_STORE = 1,  /* register to r/m (else r/m to register) */
	S_VEC = 2,    /* 16 bytes, 32 with VEX.L */
	S_DQ = 4,     /* 4 bytes, 8 with REX.W/VEX.W; the r/m register is a GPR */
	S_Q = 8,      /* 8 bytes */
	S_ALIGN = 16, /* #GP(0) unless the operand is aligned to its size */
	S_MEM = 32,   /* memory operand only (#UD with a register) */
	S_MMX = 64,   /* the register is an MMX one, 8 bytes */
};

/* The form of opcode @in->op with mandatory prefix @pp (0 none, 1 66, 2 F3, 3 F2), or 0. */
static u32 sse_form(const struct emu_insn *in, u8 pp)
{
	if (in->map == 2) /* MOVNTDQA */
		return in->op == 0x2a && pp == 1 ? S_VEC | S_ALIGN | S_MEM : 0;
	if (pp == 0 && !in->vex) {
		switch (in->op) {
		case 0x6e: /* MOVD/MOVQ mm, r/m */
			return S_DQ | S_MMX;
		case 0x7e: /* MOVD/MOVQ r/m, mm */
			return S_DQ | S_STORE | S_MMX;
		case 0x6f: /* MOVQ mm, mm/m64 */
			return S_Q | S_MMX;
		case 0x7f: /* MOVQ mm/m64, mm */
			return S_Q | S_STORE | S_MMX;
		case 0xe7: /* MOVNTQ */
			return S_Q | S_STORE | S_MEM | S_MMX;
		}
	}
	switch (in->op) {
	case 0x10: /* MOVUPS, MOVUPD (MOVSS/MOVSD: F3/F2) */
		return pp < 2 ? S_VEC : 0;
	case 0x11:
		return pp < 2 ? S_VEC | S_STORE : 0;
	case 0x28: /* MOVAPS, MOVAPD */
		return pp < 2 ? S_VEC | S_ALIGN : 0;
	case 0x29:
		return pp < 2 ? S_VEC | S_ALIGN | S_STORE : 0;
	case 0x2b: /* MOVNTPS, MOVNTPD */
		return pp < 2 ? S_VEC | S_ALIGN | S_STORE | S_MEM : 0;
	case 0x6e: /* MOVD/MOVQ xmm, r/m (no prefix: MMX) */
		return pp == 1 ? S_DQ : 0;
	case 0x7e: /* MOVD/MOVQ r/m, xmm; F3: MOVQ xmm, xmm/m64 */
		return pp == 1 ? S_DQ | S_STORE : pp == 2 ? S_Q : 0;
	case 0x6f: /* MOVDQA, MOVDQU */
		return pp == 1 ? S_VEC | S_ALIGN : pp == 2 ? S_VEC : 0;
	case 0x7f:
		return pp == 1 ? S_VEC | S_ALIGN | S_STORE : pp == 2 ? S_VEC | S_STORE : 0;
	case 0xd6: /* MOVQ xmm/m64, xmm */
		return pp == 1 ? S_Q | S_STORE : 0;
	case 0xe7: /* MOVNTDQ */
		return pp == 1 ? S_VEC | S_ALIGN | S_STORE | S_MEM : 0;
	}
	return 0;
}

/*
 * #UD, #NM and #MF before any memory access (SDM Vol. 2 2.8, Tables 2-18 to
 * 2-21; MMX: 22.25.1).
 */
static int sse_checks(struct emu *e, const struct emu_insn *in, u32 f)
{
	if (f & S_MMX) {
		if (e->s.cr0 & CR0_EM)
			return emu_raise(e, EMU_VEC_UD, -1);
		if ((f & S_MEM) && !in->mem)
			return emu_raise(e, EMU_VEC_UD, -1);
		if (e->s.cr0 & CR0_TS)
			return emu_raise(e, EMU_VEC_NM, -1);
		if (e->ops->fpu_sw(e) & FSW_ES) /* CR0.NE=0 would signal FERR#: not done */
			return (e->s.cr0 & CR0_NE) ? emu_raise(e, EMU_VEC_MF, -1) : EMU_UNHANDLED;
		return EMU_OK;
	}
	if (in->vex) {
		if (!(e->s.cr4 & CR4_OSXSAV) || (e->s.xcr0 & XCR0_SSE_AVX) != XCR0_SSE_AVX)
			return emu_raise(e, EMU_VEC_UD, -1);
		if (in->vvvv || (in->vex_l && !(f & S_VEC))) /* vvvv must be 1111b */
			return emu_raise(e, EMU_VEC_UD, -1);
	} else if ((e->s.cr0 & CR0_EM) || !(e->s.cr4 & CR4_OSFXSR)) {
		return emu_raise(e, EMU_VEC_UD, -1);
	}
	if ((f & S_MEM) && !in->mem)
		return emu_raise(e, EMU_VEC_UD, -1);
	if (e->s.cr0 & CR0_TS)
		return emu_raise(e, EMU_VEC_NM, -1);
	return EMU_OK;
}

/* The checked linear address of the memory operand, aligned if @f says so. */
static int sse_linear(struct emu *e, struct emu_insn *in, u32 f, u32 size, bool write, u64 *la)
{
	int r = emu_linear(e, in, in->ea_seg, in->ea, size, write, la);

	if (!r && (f & S_ALIGN) && (*la & (size - 1)))
		return emu_raise(e, EMU_VEC_GP, 0);
	return r;
}

int emu_sse(struct emu *e, struct emu_insn *in)
{
	u8 pp = in->vex ? in->vex_pp : in->rep == 0xf3 ? 2 : in->rep == 0xf2 ? 3 : in->opsz_pfx;
	u32 f = sse_form(in, pp), size, vsize = in->vex ? 32 : 16;
	u8 v[32], reg = in->reg, rm = in->rm;
	u64 la, g;
	int r;

	if (!f)
		return EMU_UNHANDLED;
	r = sse_checks(e, in, f);
	if (r)
		return r;
	if (f & S_MMX) { /* MM0-7: REX.R and (for an MMX r/m) REX.B are ignored */
		vsize = 8;
		reg &= 7;
		if (!(f & S_DQ))
			rm &= 7;
	}
	size = (f & S_VEC) ? (in->vex_l ? 32 : 16) : (f & S_Q) || (in->rex & 8) ? 8 : 4;
	__builtin_memset(v, 0, sizeof(v));
	if (!(f & S_STORE)) {
		if (in->mem) {
			r = sse_linear(e, in, f, size, false, &la);
			if (!r)
				r = e->ops->read(e, la, v, size, false);
			if (r)
				return r;
		} else if (f & S_DQ) {
			g = emu_get_reg(e, in, in->rm, size);
			__builtin_memcpy(v, &g, size);
		} else {
			e->ops->vec_read(e, rm, v, vsize == 8 ? 8 : size == 32 ? 32 : 16);
			__builtin_memset(v + size, 0, sizeof(v) - size);
		}
		/* zero-extended to the register: 64 bits (MMX), 128 (SSE), 256 (VEX) */
		e->ops->vec_write(e, reg, v, vsize);
		return EMU_OK;
	}
	if (in->mem) {
		r = sse_linear(e, in, f, size, true, &la);
		if (r)
			return r;
	}
	e->ops->vec_read(e, reg, v, vsize == 8 ? 8 : size == 32 ? 32 : 16);
	if (in->mem)
		return e->ops->write(e, la, v, size);
	if (f & S_DQ) {
		__builtin_memcpy(&g, v, 8);
		emu_set_reg(e, in, in->rm, size, g);
		return EMU_OK;
	}
	__builtin_memset(v + size, 0, sizeof(v) - size);
	e->ops->vec_write(e, rm, v, vsize);
	return EMU_OK;
}
