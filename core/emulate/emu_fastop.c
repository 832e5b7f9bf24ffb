// SPDX-License-Identifier: GPL-2.0
/*
 * The emulator's ALU: each operation runs as the real instruction on the
 * host CPU with the guest's arithmetic flags loaded, so results and flags
 * (including the ones the SDM leaves undefined) are what the guest's CPU
 * would produce. Only OF SF ZF AF PF CF are loaded and stored; IF, DF, AC
 * and the rest of the host's RFLAGS are left alone.
 */
#include "emulate.h"

/*
 * User space may keep data in the red zone below RSP; step over it before
 * PUSHF. The kernel is built without a red zone.
 */
#ifdef __KERNEL__
#define RZ_SKIP ""
#define RZ_BACK ""
#else
#define RZ_SKIP "lea -128(%%rsp), %%rsp\n\t"
#define RZ_BACK "lea 128(%%rsp), %%rsp\n\t"
#endif

#define FL_IN                               \
	RZ_SKIP "pushfq\n\t"                \
		"andq $~0x8d5, (%%rsp)\n\t" \
		"orq %[f], (%%rsp)\n\t"     \
		"popfq\n\t"
#define FL_OUT           \
	"\n\tpushfq\n\t" \
	"popq %[f]\n\t" RZ_BACK

/*
 * One instruction at each operand width: OP(insn, suffix, register
 * modifier) at 1/2/4/8 bytes (ALL), 2/4/8 (WIDE: no byte form) or 4/8 (DQ).
 */
#define WIDTHS_ALL(OP, insn)                   \
	do {                                   \
		if (size == 1)                 \
			OP(insn, "b", "b");    \
		else                           \
			WIDTHS_WIDE(OP, insn); \
	} while (0)
#define WIDTHS_WIDE(OP, insn)                \
	do {                                 \
		if (size == 2)               \
			OP(insn, "w", "w");  \
		else                         \
			WIDTHS_DQ(OP, insn); \
	} while (0)
#define WIDTHS_DQ(OP, insn)                 \
	do {                                \
		if (size == 4)              \
			OP(insn, "l", "k"); \
		else                        \
			OP(insn, "q", "q"); \
	} while (0)

/* d = d op s */
#define OP2(insn, sfx, mod)                                   \
	asm(FL_IN insn sfx " %" mod "[s], %" mod "[d]" FL_OUT \
	    : [d] "+r"(d), [f] "+r"(f)                        \
	    : [s] "r"(s)                                      \
	    : "cc", "memory")
/* shift/rotate d by CL */
#define OPSH(insn, sfx, mod)                           \
	asm(FL_IN insn sfx " %%cl, %" mod "[d]" FL_OUT \
	    : [d] "+r"(d), [f] "+r"(f)                 \
	    : "c"(c)                                   \
	    : "cc", "memory")
/* double shift: d, s by CL */
#define OPDSH(insn, sfx, mod)                                       \
	asm(FL_IN insn sfx " %%cl, %" mod "[s], %" mod "[d]" FL_OUT \
	    : [d] "+r"(d), [f] "+r"(f)                              \
	    : [s] "r"(s), "c"(c)                                    \
	    : "cc", "memory")
/* unary on d */
#define OP1(insn, sfx, mod) \
	asm(FL_IN insn sfx " %" mod "[d]" FL_OUT : [d] "+r"(d), [f] "+r"(f) : : "cc", "memory")
/* one-operand multiply/divide: RAX (d) and RDX (h) implicit */
#define OPMD(insn, sfx, mod)                     \
	asm(FL_IN insn sfx " %" mod "[s]" FL_OUT \
	    : "+a"(d), "+d"(h), [f] "+r"(f)      \
	    : [s] "r"(s)                         \
	    : "cc", "memory")
/* d = a op b (AT&T: op a, b, d) */
#define OP3(insn, sfx, mod)                                                \
	asm(FL_IN insn sfx " %" mod "[a], %" mod "[b], %" mod "[d]" FL_OUT \
	    : [d] "=&r"(d), [f] "+r"(f)                                    \
	    : [a] "r"(a), [b] "r"(b)                                       \
	    : "cc", "memory")

/*
 * emu_alu()'s operations: EMU_OP_ name, operand form, widths, instruction.
 * BSF/BSR/POPCNT/TZCNT/LZCNT take s as the source and d as the old
 * destination.
 */
/* clang-format off */
#define ALU_OPS(X)                     \
	X(ADD, OP2, ALL, "add")        \
	X(OR, OP2, ALL, "or")          \
	X(ADC, OP2, ALL, "adc")        \
	X(SBB, OP2, ALL, "sbb")        \
	X(AND, OP2, ALL, "and")        \
	X(SUB, OP2, ALL, "sub")        \
	X(XOR, OP2, ALL, "xor")        \
	X(CMP, OP2, ALL, "cmp")        \
	X(TEST, OP2, ALL, "test")      \
	X(BT, OP2, WIDE, "bt")         \
	X(BTS, OP2, WIDE, "bts")       \
	X(BTR, OP2, WIDE, "btr")       \
	X(BTC, OP2, WIDE, "btc")       \
	X(BSF, OP2, WIDE, "bsf")       \
	X(BSR, OP2, WIDE, "bsr")       \
	X(POPCNT, OP2, WIDE, "popcnt") \
	X(TZCNT, OP2, WIDE, "tzcnt")   \
	X(LZCNT, OP2, WIDE, "lzcnt")   \
	X(IMUL2, OP2, WIDE, "imul")    \
	X(ROL, OPSH, ALL, "rol")       \
	X(ROR, OPSH, ALL, "ror")       \
	X(RCL, OPSH, ALL, "rcl")       \
	X(RCR, OPSH, ALL, "rcr")       \
	X(SHL, OPSH, ALL, "shl")       \
	X(SHR, OPSH, ALL, "shr")       \
	X(SAL, OPSH, ALL, "sal")       \
	X(SAR, OPSH, ALL, "sar")       \
	X(INC, OP1, ALL, "inc")        \
	X(DEC, OP1, ALL, "dec")        \
	X(NEG, OP1, ALL, "neg")        \
	X(NOT, OP1, ALL, "not")        \
	X(SHLD, OPDSH, WIDE, "shld")   \
	X(SHRD, OPDSH, WIDE, "shrd")   \
	X(MUL1, OPMD, ALL, "mul")      \
	X(IMUL1, OPMD, ALL, "imul")    \
	X(DIV1, OPMD, ALL, "div")      \
	X(IDIV1, OPMD, ALL, "idiv")    \
	X(BLSR, OP2, DQ, "blsr")       \
	X(BLSMSK, OP2, DQ, "blsmsk")   \
	X(BLSI, OP2, DQ, "blsi")
/* emu_alu3()'s, all OP3 at 4 or 8 bytes */
#define ALU3_OPS(X)                \
	X(ANDN, OP3, DQ, "andn")   \
	X(BEXTR, OP3, DQ, "bextr") \
	X(BZHI, OP3, DQ, "bzhi")   \
	X(PDEP, OP3, DQ, "pdep")   \
	X(PEXT, OP3, DQ, "pext")
/* clang-format on */
#define ALU_CASE(name, form, widths, insn)   \
	case EMU_OP_##name:                  \
		WIDTHS_##widths(form, insn); \
		break;

u64 emu_alu3(int op, u64 a, u64 b, u32 size, u64 *flags)
{
	u64 f = *flags & EMU_ARITH, d = 0;

	switch (op) {
		ALU3_OPS(ALU_CASE)
	}
	*flags = (*flags & ~EMU_ARITH) | (f & EMU_ARITH);
	return d;
}

u64 emu_alu(int op, u64 d, u64 s, u8 c, u32 size, u64 *flags, u64 *hi)
{
	u64 f = *flags & EMU_ARITH, h = hi ? *hi : 0;

	switch (op) {
		ALU_OPS(ALU_CASE)
	}
	*flags = (*flags & ~EMU_ARITH) | (f & EMU_ARITH);
	if (hi)
		*hi = h;
	return d;
}

bool emu_cond(u8 cc, u64 fl)
{
	bool cf = fl & EMU_CF, zf = fl & EMU_ZF, sf = fl & EMU_SF, of = fl & EMU_OF;
	bool pf = fl & EMU_PF, r;

	switch ((cc >> 1) & 7) {
	case 0:
		r = of;
		break;
	case 1:
		r = cf;
		break;
	case 2:
		r = zf;
		break;
	case 3:
		r = cf || zf;
		break;
	case 4:
		r = sf;
		break;
	case 5:
		r = pf;
		break;
	case 6:
		r = sf != of;
		break;
	default:
		r = zf || sf != of;
		break;
	}
	return (cc & 1) ? !r : r;
}
