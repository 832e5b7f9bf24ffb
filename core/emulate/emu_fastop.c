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

/* d = d op s */
#define OP2(insn, sfx, mod)                                   \
	asm(FL_IN insn sfx " %" mod "[s], %" mod "[d]" FL_OUT \
	    : [d] "+r"(d), [f] "+r"(f)                        \
	    : [s] "r"(s)                                      \
	    : "cc", "memory")
#define OP2_ALL(insn)                        \
	do {                                 \
		if (size == 1)               \
			OP2(insn, "b", "b"); \
		else if (size == 2)          \
			OP2(insn, "w", "w"); \
		else if (size == 4)          \
			OP2(insn, "l", "k"); \
		else                         \
			OP2(insn, "q", "q"); \
	} while (0)
/* no byte form */
#define OP2_WIDE(insn)                       \
	do {                                 \
		if (size == 2)               \
			OP2(insn, "w", "w"); \
		else if (size == 4)          \
			OP2(insn, "l", "k"); \
		else                         \
			OP2(insn, "q", "q"); \
	} while (0)

/* shift/rotate d by CL */
#define OPSH(insn, sfx, mod)                           \
	asm(FL_IN insn sfx " %%cl, %" mod "[d]" FL_OUT \
	    : [d] "+r"(d), [f] "+r"(f)                 \
	    : "c"(c)                                   \
	    : "cc", "memory")
#define OPSH_ALL(insn)                        \
	do {                                  \
		if (size == 1)                \
			OPSH(insn, "b", "b"); \
		else if (size == 2)           \
			OPSH(insn, "w", "w"); \
		else if (size == 4)           \
			OPSH(insn, "l", "k"); \
		else                          \
			OPSH(insn, "q", "q"); \
	} while (0)

/* double shift: d, s by CL */
#define OPDSH(insn, sfx, mod)                                       \
	asm(FL_IN insn sfx " %%cl, %" mod "[s], %" mod "[d]" FL_OUT \
	    : [d] "+r"(d), [f] "+r"(f)                              \
	    : [s] "r"(s), "c"(c)                                    \
	    : "cc", "memory")

/* unary on d */
#define OP1(insn, sfx, mod) \
	asm(FL_IN insn sfx " %" mod "[d]" FL_OUT : [d] "+r"(d), [f] "+r"(f) : : "cc", "memory")
#define OP1_ALL(insn)                        \
	do {                                 \
		if (size == 1)               \
			OP1(insn, "b", "b"); \
		else if (size == 2)          \
			OP1(insn, "w", "w"); \
		else if (size == 4)          \
			OP1(insn, "l", "k"); \
		else                         \
			OP1(insn, "q", "q"); \
	} while (0)

/* one-operand multiply/divide: RAX (d) and RDX (h) implicit */
#define OPMD(insn, sfx, mod)                     \
	asm(FL_IN insn sfx " %" mod "[s]" FL_OUT \
	    : "+a"(d), "+d"(h), [f] "+r"(f)      \
	    : [s] "r"(s)                         \
	    : "cc", "memory")
#define OPMD_ALL(insn)                        \
	do {                                  \
		if (size == 1)                \
			OPMD(insn, "b", "b"); \
		else if (size == 2)           \
			OPMD(insn, "w", "w"); \
		else if (size == 4)           \
			OPMD(insn, "l", "k"); \
		else                          \
			OPMD(insn, "q", "q"); \
	} while (0)

/* BLSR/BLSMSK/BLSI: 32 or 64 bits only */
#define OP2_DQ(insn)                         \
	do {                                 \
		if (size == 4)               \
			OP2(insn, "l", "k"); \
		else                         \
			OP2(insn, "q", "q"); \
	} while (0)

/* d = a op b (AT&T: op a, b, d) */
#define OP3(insn, sfx, mod)                                                \
	asm(FL_IN insn sfx " %" mod "[a], %" mod "[b], %" mod "[d]" FL_OUT \
	    : [d] "=&r"(d), [f] "+r"(f)                                    \
	    : [a] "r"(a), [b] "r"(b)                                       \
	    : "cc", "memory")
#define OP3_DQ(insn)                         \
	do {                                 \
		if (size == 4)               \
			OP3(insn, "l", "k"); \
		else                         \
			OP3(insn, "q", "q"); \
	} while (0)

u64 emu_alu3(int op, u64 a, u64 b, u32 size, u64 *flags)
{
	u64 f = *flags & EMU_ARITH, d = 0;

	switch (op) {
	case EMU_OP_ANDN:
		OP3_DQ("andn");
		break;
	case EMU_OP_BEXTR:
		OP3_DQ("bextr");
		break;
	case EMU_OP_BZHI:
		OP3_DQ("bzhi");
		break;
	case EMU_OP_PDEP:
		OP3_DQ("pdep");
		break;
	case EMU_OP_PEXT:
		OP3_DQ("pext");
		break;
	}
	*flags = (*flags & ~EMU_ARITH) | (f & EMU_ARITH);
	return d;
}

u64 emu_alu(int op, u64 d, u64 s, u8 c, u32 size, u64 *flags, u64 *hi)
{
	u64 f = *flags & EMU_ARITH, h = hi ? *hi : 0;

	switch (op) {
	case EMU_OP_ADD:
		OP2_ALL("add");
		break;
	case EMU_OP_OR:
		OP2_ALL("or");
		break;
	case EMU_OP_ADC:
		OP2_ALL("adc");
		break;
	case EMU_OP_SBB:
		OP2_ALL("sbb");
		break;
	case EMU_OP_AND:
		OP2_ALL("and");
		break;
	case EMU_OP_SUB:
		OP2_ALL("sub");
		break;
	case EMU_OP_XOR:
		OP2_ALL("xor");
		break;
	case EMU_OP_CMP:
		OP2_ALL("cmp");
		break;
	case EMU_OP_TEST:
		OP2_ALL("test");
		break;
	case EMU_OP_BT:
		OP2_WIDE("bt");
		break;
	case EMU_OP_BTS:
		OP2_WIDE("bts");
		break;
	case EMU_OP_BTR:
		OP2_WIDE("btr");
		break;
	case EMU_OP_BTC:
		OP2_WIDE("btc");
		break;
	/* BSF/BSR/POPCNT/TZCNT/LZCNT: s is the source, d the old destination */
	case EMU_OP_BSF:
		OP2_WIDE("bsf");
		break;
	case EMU_OP_BSR:
		OP2_WIDE("bsr");
		break;
	case EMU_OP_POPCNT:
		OP2_WIDE("popcnt");
		break;
	case EMU_OP_TZCNT:
		OP2_WIDE("tzcnt");
		break;
	case EMU_OP_LZCNT:
		OP2_WIDE("lzcnt");
		break;
	case EMU_OP_IMUL2:
		OP2_WIDE("imul");
		break;
	case EMU_OP_ROL:
		OPSH_ALL("rol");
		break;
	case EMU_OP_ROR:
		OPSH_ALL("ror");
		break;
	case EMU_OP_RCL:
		OPSH_ALL("rcl");
		break;
	case EMU_OP_RCR:
		OPSH_ALL("rcr");
		break;
	case EMU_OP_SHL:
		OPSH_ALL("shl");
		break;
	case EMU_OP_SHR:
		OPSH_ALL("shr");
		break;
	case EMU_OP_SAL:
		OPSH_ALL("sal");
		break;
	case EMU_OP_SAR:
		OPSH_ALL("sar");
		break;
	case EMU_OP_INC:
		OP1_ALL("inc");
		break;
	case EMU_OP_DEC:
		OP1_ALL("dec");
		break;
	case EMU_OP_NEG:
		OP1_ALL("neg");
		break;
	case EMU_OP_NOT:
		OP1_ALL("not");
		break;
	case EMU_OP_SHLD:
		if (size == 2)
			OPDSH("shld", "w", "w");
		else if (size == 4)
			OPDSH("shld", "l", "k");
		else
			OPDSH("shld", "q", "q");
		break;
	case EMU_OP_SHRD:
		if (size == 2)
			OPDSH("shrd", "w", "w");
		else if (size == 4)
			OPDSH("shrd", "l", "k");
		else
			OPDSH("shrd", "q", "q");
		break;
	case EMU_OP_MUL1:
		OPMD_ALL("mul");
		break;
	case EMU_OP_IMUL1:
		OPMD_ALL("imul");
		break;
	case EMU_OP_DIV1:
		OPMD_ALL("div");
		break;
	case EMU_OP_IDIV1:
		OPMD_ALL("idiv");
		break;
	case EMU_OP_BLSR:
		OP2_DQ("blsr");
		break;
	case EMU_OP_BLSMSK:
		OP2_DQ("blsmsk");
		break;
	case EMU_OP_BLSI:
		OP2_DQ("blsi");
		break;
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
