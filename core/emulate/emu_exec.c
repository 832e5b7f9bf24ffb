// SPDX-License-Identifier: GPL-2.0
/*
 * The emulator's executor: the instructions a guest may point at memory
 * that is not RAM (SDM Vol. 2 for each). Operands are read, the operation
 * runs on the host ALU (emu_fastop.c) and results are written; the ops
 * buffer guest-memory writes until the caller commits the whole instruction.
 */
#include "emu_priv.h"

#define RAX 0
#define RCX 1
#define RDX 2
#define RBX 3
#define RSI 6
#define RDI 7

int emu_read_rm(struct emu *e, struct emu_insn *in, u32 size, u64 *v)
{
	*v = 0;
	if (in->mem)
		return emu_mem_read(e, in, in->ea_seg, in->ea, v, size);
	*v = emu_get_reg(e, in, in->rm, size);
	return EMU_OK;
}

int emu_write_rm(struct emu *e, struct emu_insn *in, u32 size, u64 v)
{
	if (in->mem)
		return emu_mem_write(e, in, in->ea_seg, in->ea, &v, size);
	emu_set_reg(e, in, in->rm, size, v);
	return EMU_OK;
}

static u64 reg(struct emu *e, struct emu_insn *in, u32 size)
{
	return emu_get_reg(e, in, in->reg, size);
}

/* Opcode attributes: a ModRM byte, and the immediate that follows it. */
enum {
	A_M = 1,   /* ModRM */
	A_I1 = 2,  /* imm8 */
	A_IZ = 4,  /* imm16/32 by operand size */
	A_IA = 8,  /* moffs: address size */
	A_G3 = 16, /* F6/F7: TEST /0 /1 have an immediate, the others none */
	A_IW = 32, /* imm16 (RET iw; ENTER iw, then its ib) */
	A_JZ = 64, /* rel16/32 by operand size; rel32 in 64-bit mode (SDM Vol. 1 6.3.7) */
};

#define ALU_ROW(b) \
	[b] = A_M, [b + 1] = A_M, [b + 2] = A_M, [b + 3] = A_M, [b + 4] = A_I1, [b + 5] = A_IZ

/* clang-format off */
static const u8 attr_1byte[256] = {
	ALU_ROW(0x00), ALU_ROW(0x08), ALU_ROW(0x10), ALU_ROW(0x18),
	ALU_ROW(0x20), ALU_ROW(0x28), ALU_ROW(0x30), ALU_ROW(0x38),
	[0x63] = A_M, [0x68] = A_IZ, [0x69] = A_M | A_IZ, [0x6a] = A_I1, [0x6b] = A_M | A_I1,
	[0x80] = A_M | A_I1, [0x81] = A_M | A_IZ, [0x82] = A_M, [0x83] = A_M | A_I1,
	[0x84 ... 0x8c] = A_M, [0x8e] = A_M, [0x8f] = A_M,
	[0xa0 ... 0xa3] = A_IA, [0xa8] = A_I1, [0xa9] = A_IZ,
	[0xc0] = A_M | A_I1, [0xc1] = A_M | A_I1, [0xc2] = A_IW, [0xc6] = A_M | A_I1,
	[0xc7] = A_M | A_IZ, [0xc8] = A_IW,
	[0xd0 ... 0xd3] = A_M, [0xe8] = A_JZ,
	[0xf6] = A_M | A_G3, [0xf7] = A_M | A_G3, [0xfe] = A_M, [0xff] = A_M,
};

static const u8 attr_0f[256] = {
	[0x00] = A_M, [0x01] = A_M, [0x10] = A_M, [0x11] = A_M, [0x28] = A_M, [0x29] = A_M, [0x2b] = A_M,
	[0x40 ... 0x4f] = A_M,
	[0x6e] = A_M, [0x6f] = A_M, [0x7e] = A_M, [0x7f] = A_M,
	[0x90 ... 0x9f] = A_M,
	[0xa3] = A_M, [0xa4] = A_M | A_I1, [0xa5] = A_M,
	[0xab] = A_M, [0xac] = A_M | A_I1, [0xad] = A_M, [0xaf] = A_M,
	[0xb0] = A_M, [0xb1] = A_M, [0xb3 ... 0xb8] = A_M, [0xba] = A_M | A_I1,
	[0xbb ... 0xbf] = A_M,
	[0xc0] = A_M, [0xc1] = A_M, [0xc3] = A_M, [0xc7] = A_M,
	[0xd6] = A_M, [0xe7] = A_M,
};
/* clang-format on */

static u32 attrs(const struct emu_insn *in)
{
	if (in->vex)
		return A_M | (in->map == 3 ? A_I1 : 0);
	if (in->map == 0)
		return attr_1byte[in->op];
	if (in->map == 1)
		return attr_0f[in->op];
	return (in->op == 0xf0 || in->op == 0xf1 || in->op == 0x2a) ? A_M : 0; /* 0F 38 */
}

/* Immediate bytes after the ModRM of an instruction with attributes @a. */
static u32 imm_size(const struct emu_insn *in, u32 a)
{
	u32 z = in->opsz == 2 ? 2 : 4;

	if (a & A_I1)
		return 1;
	if (a & A_IZ)
		return z;
	if (a & A_JZ)
		return in->mode == 8 ? 4 : z;
	if (a & A_IA)
		return in->adsz;
	if (a & A_IW)
		return 2;
	if ((a & A_G3) && (in->reg & 7) < 2)
		return in->op == 0xf6 ? 1 : z;
	return 0;
}

/* LOCK is allowed on these read-modify-write forms with a memory destination (SDM LOCK). */
static bool lockable(struct emu_insn *in)
{
	u8 op = in->op, r = in->reg & 7;

	if (!in->mem)
		return false;
	if (in->map == 1)
		return op == 0xab || op == 0xb3 || op == 0xbb || (op == 0xba && r >= 5) ||
		       op == 0xb0 || op == 0xb1 || op == 0xc0 || op == 0xc1 ||
		       (op == 0xc7 && r == 1);
	if (in->map)
		return false;
	if (op < 0x40)
		return (op & 7) < 2 && (op >> 3) != 7;
	return ((op >= 0x80 && op <= 0x83) && r != 7) || op == 0x86 || op == 0x87 ||
	       ((op == 0xf6 || op == 0xf7) && (r == 2 || r == 3)) ||
	       ((op == 0xfe || op == 0xff) && r < 2);
}

static int ud(struct emu *e)
{
	return emu_raise(e, EMU_VEC_UD, -1);
}

/* ADD ... CMP (aop 0-7) and TEST on the ModRM operand with @s. */
static int alu_rm(struct emu *e, struct emu_insn *in, int aop, u32 size, u64 s)
{
	u64 d;
	int r = emu_read_rm(e, in, size, &d);

	if (r)
		return r;
	d = emu_alu(aop, d, s, 0, size, &e->s.rflags, NULL);
	return (aop == EMU_OP_CMP || aop == EMU_OP_TEST) ? EMU_OK : emu_write_rm(e, in, size, d);
}

static int alu(struct emu *e, struct emu_insn *in)
{
	int aop = in->op >> 3, form = in->op & 7;
	u32 size = (form & 1) ? in->opsz : 1;
	u64 d, s;
	int r;

	switch (form) {
	case 0:
	case 1:
		return alu_rm(e, in, aop, size, reg(e, in, size));
	case 2:
	case 3:
		r = emu_read_rm(e, in, size, &s);
		if (r)
			return r;
		d = emu_alu(aop, reg(e, in, size), s, 0, size, &e->s.rflags, NULL);
		if (aop != EMU_OP_CMP)
			emu_set_reg(e, in, in->reg, size, d);
		return EMU_OK;
	default:
		d = emu_alu(aop, emu_get_reg(e, in, RAX, size),
			    emu_sext(in->imm, form == 4	 ? 1
					      : size > 4 ? 4
							 : size),
			    0, size, &e->s.rflags, NULL);
		if (aop != EMU_OP_CMP)
			emu_set_reg(e, in, RAX, size, d);
		return EMU_OK;
	}
}

static u64 imm_z(struct emu_insn *in)
{
	return emu_sext(in->imm, in->opsz == 2 ? 2 : 4);
}

/* Unsigned 128/64 division with hi < d (no overflow): the quotient. */
static u64 udiv128(u64 hi, u64 lo, u64 d)
{
	u64 q, rem;

	asm("divq %4" : "=a"(q), "=d"(rem) : "a"(lo), "d"(hi), "rm"(d));
	return q;
}

/* Would DIV/IDIV of RDX:RAX by @s raise #DE (SDM DIV, IDIV)? */
static bool div_faults(struct emu *e, u32 size, u64 s, bool sign)
{
	u32 bits = size * 8;
	u64 hi, lo, d = emu_trunc(s, size), q, limit;
	bool neg = false;

	if (size == 8) {
		hi = e->s.gpr[RDX], lo = e->s.gpr[RAX];
	} else {
		u64 a = emu_trunc(e->s.gpr[RAX], size), dh = emu_trunc(e->s.gpr[RDX], size);

		if (size == 1)
			lo = emu_trunc(e->s.gpr[RAX], 2);
		else
			lo = (dh << bits) | a;
		hi = 0;
		if (sign) /* sign-extend the 2*size-byte dividend to 128 bits */
			lo = emu_sext(lo, 2 * size), hi = (s64)lo < 0 ? ~0ULL : 0;
	}
	if (!d)
		return true;
	if (!sign) {
		limit = emu_trunc(~0ULL, size);
	} else {
		if ((s64)hi < 0) { /* magnitude of the dividend */
			neg = true;
			lo = ~lo + 1;
			hi = ~hi + (lo == 0);
		}
		d = emu_sext(d, size);
		if ((s64)d < 0) {
			neg = !neg;
			d = -d;
		}
		limit = (1ULL << (bits - 1)) - (neg ? 0 : 1);
	}
	if (hi >= d)
		return true;
	q = udiv128(hi, lo, d);
	return q > limit;
}

static int group3(struct emu *e, struct emu_insn *in)
{
	u32 size = in->op == 0xf6 ? 1 : in->opsz;
	int sub = in->reg & 7, r;
	u64 v;

	if (sub < 2)
		return alu_rm(e, in, EMU_OP_TEST, size, in->op == 0xf6 ? in->imm : imm_z(in));
	r = emu_read_rm(e, in, size, &v);
	if (r)
		return r;
	if (sub == 2 || sub == 3)
		return emu_write_rm(e, in, size,
				    emu_alu(sub == 2 ? EMU_OP_NOT : EMU_OP_NEG, v, 0, 0, size,
					    &e->s.rflags, NULL));
	if (sub >= 6 && div_faults(e, size, v, sub == 7))
		return emu_raise(e, EMU_VEC_DE, -1);
	e->s.gpr[RAX] = emu_alu(EMU_OP_MUL1 + sub - 4, e->s.gpr[RAX], v, 0, size, &e->s.rflags,
				&e->s.gpr[RDX]);
	return EMU_OK;
}

static int shift(struct emu *e, struct emu_insn *in)
{
	u32 size = (in->op & 1) ? in->opsz : 1;
	u8 c = in->op <= 0xc1 ? in->imm : in->op <= 0xd1 ? 1 : e->s.gpr[RCX];
	u64 v;
	int r;

	c &= size == 8 ? 63 : 31;
	r = emu_read_rm(e, in, size, &v);
	if (r || (!c && in->mem))
		return r; /* a zero count leaves memory alone */
	v = emu_alu(EMU_OP_ROL + (in->reg & 7), v, 0, c, size, &e->s.rflags, NULL);
	return emu_write_rm(e, in, size, v);
}

static int xchg_family(struct emu *e, struct emu_insn *in, u32 size)
{
	u64 d, s = reg(e, in, size), a;
	int r = emu_read_rm(e, in, size, &d);

	if (r)
		return r;
	switch (in->op) {
	case 0x86:
	case 0x87: /* XCHG */
		r = emu_write_rm(e, in, size, s);
		if (!r)
			emu_set_reg(e, in, in->reg, size, d);
		return r;
	case 0xc0:
	case 0xc1: /* XADD */
		a = emu_alu(EMU_OP_ADD, d, s, 0, size, &e->s.rflags, NULL);
		emu_set_reg(e, in, in->reg, size, d);
		return emu_write_rm(e, in, size, a);
	default: /* CMPXCHG: memory is written either way (SDM CMPXCHG) */
		a = emu_get_reg(e, in, RAX, size);
		emu_alu(EMU_OP_CMP, a, d, 0, size, &e->s.rflags, NULL);
		if (e->s.rflags & EMU_ZF)
			return emu_write_rm(e, in, size, s);
		r = in->mem ? emu_write_rm(e, in, size, d) : EMU_OK;
		if (!r)
			emu_set_reg(e, in, RAX, size, d);
		return r;
	}
}

/* CMPXCHG8B / CMPXCHG16B (SDM): only ZF changes. */
static int cmpxchg8b(struct emu *e, struct emu_insn *in)
{
	u32 half = (in->rex & 8) ? 8 : 4;
	u64 m[2] = { 0, 0 }, w[2];
	int r;

	if (!in->mem)
		return ud(e);
	if (half == 8 && (in->ea & 15))
		return emu_raise(e, EMU_VEC_GP, 0);
	r = emu_mem_read(e, in, in->ea_seg, in->ea, m, 2 * half);
	if (r)
		return r;
	if (half == 4) {
		m[1] = m[0] >> 32;
		m[0] = (u32)m[0];
	}
	if (m[0] == emu_trunc(e->s.gpr[RAX], half) && m[1] == emu_trunc(e->s.gpr[RDX], half)) {
		e->s.rflags |= EMU_ZF;
		w[0] = emu_trunc(e->s.gpr[RBX], half);
		w[1] = emu_trunc(e->s.gpr[RCX], half);
	} else {
		e->s.rflags &= ~EMU_ZF;
		w[0] = m[0];
		w[1] = m[1];
		emu_set_reg(e, in, RAX, half, m[0]);
		emu_set_reg(e, in, RDX, half, m[1]);
	}
	if (half == 4)
		w[0] |= w[1] << 32;
	return emu_mem_write(e, in, in->ea_seg, in->ea, w, 2 * half);
}

/* BT/BTS/BTR/BTC: a register bit offset also selects the memory word (SDM BT). */
static int bit_op(struct emu *e, struct emu_insn *in, int bop)
{
	u32 size = in->opsz, bits = size * 8;
	u64 off, v;
	int r;

	if (in->op == 0xba) {
		off = in->imm & (bits - 1);
	} else {
		off = reg(e, in, size);
		if (in->mem) {
			s64 word = (s64)emu_sext(off, size) >> (size == 2 ? 4 : size == 4 ? 5 : 6);

			in->ea = emu_trunc(in->ea + word * (s64)size, in->adsz);
		}
		off &= bits - 1;
	}
	r = emu_read_rm(e, in, size, &v);
	if (r)
		return r;
	v = emu_alu(bop, v, off, 0, size, &e->s.rflags, NULL);
	return bop == EMU_OP_BT ? EMU_OK : emu_write_rm(e, in, size, v);
}

static int shxd(struct emu *e, struct emu_insn *in)
{
	u32 size = in->opsz;
	u8 c = (in->op & 1) ? e->s.gpr[RCX] : in->imm;
	u64 v;
	int r;

	c &= size == 8 ? 63 : 31;
	r = emu_read_rm(e, in, size, &v);
	if (r || (!c && in->mem))
		return r;
	v = emu_alu(in->op < 0xa8 ? EMU_OP_SHLD : EMU_OP_SHRD, v, reg(e, in, size), c, size,
		    &e->s.rflags, NULL);
	return emu_write_rm(e, in, size, v);
}

/* Gv <- op(Ev) for the bit-scan family; d is the old destination. */
static int scan(struct emu *e, struct emu_insn *in, int sop)
{
	u64 v;
	int r = emu_read_rm(e, in, in->opsz, &v);

	if (r)
		return r;
	if (!v && (sop == EMU_OP_BSF || sop == EMU_OP_BSR)) {
		/* a zero source: ZF, and the destination keeps its value */
		emu_alu(sop, 0, 0, 0, in->opsz, &e->s.rflags, NULL);
		return EMU_OK;
	}
	v = emu_alu(sop, reg(e, in, in->opsz), v, 0, in->opsz, &e->s.rflags, NULL);
	emu_set_reg(e, in, in->reg, in->opsz, v);
	return EMU_OK;
}

static int movx(struct emu *e, struct emu_insn *in)
{
	u32 ssize = (in->op & 1) ? 2 : 1;
	u64 v;
	int r = emu_read_rm(e, in, ssize, &v);

	if (r)
		return r;
	if (in->op >= 0xbe)
		v = emu_sext(v, ssize);
	emu_set_reg(e, in, in->reg, in->opsz, v);
	return EMU_OK;
}

static int movbe(struct emu *e, struct emu_insn *in)
{
	u32 size = in->opsz;
	u64 v;
	int r;

	if (!in->mem || in->rep == 0xf2)
		return ud(e);
	if (in->op == 0xf0) {
		r = emu_read_rm(e, in, size, &v);
		if (r)
			return r;
		v = __builtin_bswap64(v) >> (64 - size * 8);
		emu_set_reg(e, in, in->reg, size, v);
		return EMU_OK;
	}
	v = __builtin_bswap64(reg(e, in, size)) >> (64 - size * 8);
	return emu_write_rm(e, in, size, v);
}

static int exec_0f(struct emu *e, struct emu_insn *in)
{
	u8 op = in->op;
	u64 v;
	int r;

	if (op >= 0x40 && op <= 0x4f) { /* CMOVcc: the source is read either way */
		r = emu_read_rm(e, in, in->opsz, &v);
		if (r)
			return r;
		if (!emu_cond(op, e->s.rflags))
			v = reg(e, in, in->opsz);
		emu_set_reg(e, in, in->reg, in->opsz, v);
		return EMU_OK;
	}
	if (op >= 0x90 && op <= 0x9f)
		return emu_write_rm(e, in, 1, emu_cond(op, e->s.rflags));
	switch (op) {
	case 0x00:
		return emu_group6(e, in);
	case 0x01:
		if ((in->reg & 7) == 4)
			return emu_smsw(e, in);
		return (in->reg & 7) < 4 ? emu_group7_dt(e, in) : EMU_UNHANDLED;
	case 0x10:
	case 0x11:
	case 0x28:
	case 0x29:
	case 0x2b:
	case 0x6e:
	case 0x6f:
	case 0x7e:
	case 0x7f:
	case 0xd6:
	case 0xe7:
		return emu_sse(e, in);
	case 0xa1:
	case 0xa9:
		return emu_pop_sreg(e, in);
	case 0xa3:
		return bit_op(e, in, EMU_OP_BT);
	case 0xab:
		return bit_op(e, in, EMU_OP_BTS);
	case 0xb3:
		return bit_op(e, in, EMU_OP_BTR);
	case 0xbb:
		return bit_op(e, in, EMU_OP_BTC);
	case 0xba:
		if ((in->reg & 7) < 4)
			return ud(e);
		return bit_op(e, in, EMU_OP_BT + (in->reg & 3));
	case 0xa4:
	case 0xa5:
	case 0xac:
	case 0xad:
		return shxd(e, in);
	case 0xaf:
		return scan(e, in, EMU_OP_IMUL2);
	case 0xb0:
	case 0xc0:
		return xchg_family(e, in, 1);
	case 0xb1:
	case 0xc1:
		return xchg_family(e, in, in->opsz);
	case 0xb6:
	case 0xb7:
	case 0xbe:
	case 0xbf:
		return movx(e, in);
	case 0xb8:
		return in->rep == 0xf3 ? scan(e, in, EMU_OP_POPCNT) : ud(e);
	case 0xbc:
		return scan(e, in, in->rep == 0xf3 ? EMU_OP_TZCNT : EMU_OP_BSF);
	case 0xbd:
		return scan(e, in, in->rep == 0xf3 ? EMU_OP_LZCNT : EMU_OP_BSR);
	case 0xc3: /* MOVNTI */
		if (!in->mem || in->opsz == 2)
			return ud(e);
		return emu_write_rm(e, in, in->opsz, reg(e, in, in->opsz));
	case 0xc7:
		return (in->reg & 7) == 1 ? cmpxchg8b(e, in) : ud(e);
	}
	return EMU_UNHANDLED;
}

static int exec_1byte(struct emu *e, struct emu_insn *in)
{
	u8 op = in->op;
	u32 size = (op & 1) ? in->opsz : 1;
	u64 v;
	int r;

	if (op < 0x40 && (op & 7) < 6)
		return alu(e, in);
	switch (op) {
	case 0x63: /* MOVSXD (64-bit mode; ARPL elsewhere) */
		if (in->mode != 8)
			return EMU_UNHANDLED;
		r = emu_read_rm(e, in, 4, &v);
		if (!r)
			emu_set_reg(e, in, in->reg, in->opsz, emu_sext(v, 4));
		return r;
	case 0x69:
	case 0x6b:
		r = emu_read_rm(e, in, in->opsz, &v);
		if (!r)
			emu_set_reg(e, in, in->reg, in->opsz,
				    emu_alu(EMU_OP_IMUL2, v,
					    op == 0x6b ? emu_sext(in->imm, 1) : imm_z(in), 0,
					    in->opsz, &e->s.rflags, NULL));
		return r;
	case 0x6c:
	case 0x6d:
	case 0x6e:
	case 0x6f:
	case 0xa4:
	case 0xa5:
	case 0xa6:
	case 0xa7:
	case 0xaa:
	case 0xab:
	case 0xac:
	case 0xad:
	case 0xae:
	case 0xaf:
		return emu_string(e, in);
	case 0x80:
	case 0x81:
	case 0x83:
		return alu_rm(e, in, in->reg & 7, op == 0x80 ? 1 : in->opsz,
			      op == 0x81 ? imm_z(in) : emu_sext(in->imm, 1));
	case 0x84:
	case 0x85:
		return alu_rm(e, in, EMU_OP_TEST, size, reg(e, in, size));
	case 0x86:
	case 0x87:
		return xchg_family(e, in, size);
	case 0x88:
	case 0x89:
		return emu_write_rm(e, in, size, reg(e, in, size));
	case 0x8a:
	case 0x8b:
		r = emu_read_rm(e, in, size, &v);
		if (!r)
			emu_set_reg(e, in, in->reg, size, v);
		return r;
	case 0x8c: /* MOV r/m, Sreg: 16 bits to memory, zero-extended to a register */
		if ((in->reg & 7) >= EMU_NSEG)
			return ud(e);
		r = emu_seg_load(e, in->reg & 7);
		if (r)
			return r;
		return emu_write_rm(e, in, in->mem ? 2 : in->opsz, e->s.seg[in->reg & 7].sel);
	case 0x8e:
		return emu_mov_sreg(e, in);
	case 0x07:
	case 0x17:
	case 0x1f:
		return emu_pop_sreg(e, in);
	case 0x9a:
		return emu_call_far(e, in);
	case 0x50 ... 0x5f:
	case 0x68:
	case 0x6a:
	case 0x8f:
	case 0x9c:
	case 0x9d:
	case 0xc2:
	case 0xc3:
	case 0xc8:
	case 0xc9:
	case 0xe8:
		return emu_stack(e, in);
	case 0xa0:
	case 0xa1:
	case 0xa2:
	case 0xa3: {
		int seg = in->seg >= 0 ? in->seg : EMU_DS;
		u64 off = emu_trunc(in->imm, in->adsz);

		if (op >= 0xa2) {
			v = emu_get_reg(e, in, RAX, size);
			return emu_mem_write(e, in, seg, off, &v, size);
		}
		v = 0;
		r = emu_mem_read(e, in, seg, off, &v, size);
		if (!r)
			emu_set_reg(e, in, RAX, size, v);
		return r;
	}
	case 0xc0:
	case 0xc1:
	case 0xd0:
	case 0xd1:
	case 0xd2:
	case 0xd3:
		return shift(e, in);
	case 0xc6:
	case 0xc7:
		if (in->reg & 7)
			return ud(e);
		return emu_write_rm(e, in, size, op == 0xc6 ? in->imm : imm_z(in));
	case 0xf6:
	case 0xf7:
		return group3(e, in);
	case 0xfe:
	case 0xff:
		if ((in->reg & 7) < 2) {
			r = emu_read_rm(e, in, size, &v);
			if (r)
				return r;
			v = emu_alu((in->reg & 7) ? EMU_OP_DEC : EMU_OP_INC, v, 0, 0, size,
				    &e->s.rflags, NULL);
			return emu_write_rm(e, in, size, v);
		}
		if (op == 0xff && (in->reg & 7) == 3)
			return emu_call_far(e, in);
		if (op == 0xff && (in->reg & 7) == 5)
			return emu_jmp_far(e, in);
		return op == 0xfe ? ud(e) : emu_stack(e, in);
	}
	return EMU_UNHANDLED;
}

int emu_execute(struct emu *e, struct emu_insn *in)
{
	u32 a = attrs(in), isz;
	int r;

	if (a & A_M) {
		r = emu_decode_modrm(e, in);
		if (r)
			return r;
	}
	isz = imm_size(in, a);
	if (isz) {
		r = emu_fetch(e, isz, &in->imm);
		if (r)
			return r;
	}
	if (in->rip_rel)
		in->ea += e->s.rip + e->len;
	if (in->lock && !lockable(in))
		return ud(e);
	if (in->vex)
		return emu_exec_vex(e, in);
	if (in->map == 0)
		return exec_1byte(e, in);
	if (in->map == 1)
		return exec_0f(e, in);
	if (in->op == 0xf0 || in->op == 0xf1)
		return movbe(e, in);
	return in->op == 0x2a ? emu_sse(e, in) : EMU_UNHANDLED;
}

/* The general decoder and executor, after the fast path declined. */
static int step_general(struct emu *e)
{
	struct emu_insn in = { 0 };
	u64 gpr[16], rip = e->s.rip, rflags = e->s.rflags;
	int r;

	/* only GPRs, RIP and RFLAGS change; a failed step restores them */
	__builtin_memcpy(gpr, e->s.gpr, sizeof(gpr));

	r = emu_decode_prefixes_opcode(e, &in);
	if (!r)
		r = emu_execute(e, &in);
	if (r) {
		__builtin_memcpy(e->s.gpr, gpr, sizeof(gpr));
		e->s.rip = rip;
		e->s.rflags = rflags;
		return r;
	}
	e->jumped = in.jump;
	if (in.jump) {
		e->s.rip = in.target;
	} else if (!in.again) {
		rip = e->s.rip + e->len;
		e->s.rip = in.mode == 8 ? rip : in.mode == 4 ? (u32)rip : (u16)rip;
	}
	e->s.rflags &= ~(1ULL << 16); /* RF: the instruction completed */
	return EMU_OK;
}

int emu_step(struct emu *e)
{
	u16 dirty = e->s.sys_dirty;
	int r;

	e->len = 0;
	e->fetched = 0;
	e->jumped = false;
	e->s.sys_dirty = 0; /* this instruction's loads only */
	r = emu_mov_fast(e);
	if (r < 0)
		r = step_general(e);
	if (r != EMU_OK)
		e->s.sys_dirty = dirty; /* a failed step changes nothing */
	return r;
}
