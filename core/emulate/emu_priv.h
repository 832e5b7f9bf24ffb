/* SPDX-License-Identifier: GPL-2.0 */
/* The emulator's internals shared by its decoder and executor. */
#ifndef HAXM_CORE_EMU_PRIV_H
#define HAXM_CORE_EMU_PRIV_H

#include "emulate.h"

/* A decoded instruction. */
struct emu_insn {
	u8 mode; /* 2, 4, 8: the code size */
	u8 opsz; /* operand size in bytes */
	u8 adsz; /* address size in bytes */
	u8 rex;	 /* 0 or 0x40-0x4f */
	u8 rep;	 /* 0, 0xf2 or 0xf3 (the last one seen) */
	bool lock;
	bool opsz_pfx; /* 0x66 seen */
	s8 seg;	       /* override, or -1 */
	u8 map;	       /* 0: one byte, 1: 0F, 2: 0F 38, 3: 0F 3A */
	bool vex;      /* VEX-encoded (SDM 2.3) */
	u8 vvvv;       /* the register VEX.vvvv names */
	u8 vex_pp;     /* its implied prefix: 0 none, 1 66, 2 F3, 3 F2 */
	bool vex_l;    /* VEX.L: 256-bit vectors */
	u8 op;
	bool has_modrm;
	u8 mod, reg, rm; /* reg and rm include REX.R / REX.B */
	bool mem;	 /* ModRM names memory */
	bool rip_rel;
	bool base_rsp; /* RSP is the base register (POP Ev) */
	u64 imm;
	bool again; /* a REP string instruction with iterations left: RIP stays */
	bool jump;  /* a near branch taken: RIP becomes target */
	u64 target;
	u64 ea;	   /* the memory operand's offset (address-size wrapped) */
	u8 ea_seg; /* its segment */
};

/* Register access with x86 width semantics (AH-BH without REX). */
u64 emu_get_reg(struct emu *e, const struct emu_insn *in, int idx, u32 size);
void emu_set_reg(struct emu *e, const struct emu_insn *in, int idx, u32 size, u64 val);
/* emu_trunc() - @v truncated to @size bytes. */
static inline u64 emu_trunc(u64 v, u32 size)
{
	return size >= 8 ? v : v & ((1ULL << (size * 8)) - 1);
}
/* emu_canonical() - whether @la is canonical (48-bit linear addresses). */
static inline bool emu_canonical(u64 la)
{
	return (u64)((s64)(la << 16) >> 16) == la;
}
/* emu_sext() - @v of @size bytes sign-extended to 64 bits. */
static inline u64 emu_sext(u64 v, u32 size)
{
	u32 sh = 64 - size * 8;

	return (u64)((s64)(v << sh) >> sh);
}

/* The stack pointer's register number. */
#define EMU_RSP 4

/* emu_stack_size() - the stack's address size: 8 in 64-bit mode, else SS.B (SDM Vol. 1 6.2.3). */
static inline u32 emu_stack_size(const struct emu *e, const struct emu_insn *in)
{
	if (in->mode == 8)
		return 8;
	return (e->s.seg[EMU_SS].ar & EMU_AR_DB) ? 4 : 2;
}

/*
 * emu_push_size() - a push or pop's operand size: in 64-bit mode 8, or 2
 * with 66 alone (SDM Vol. 1 6.2.5).
 */
static inline u32 emu_push_size(const struct emu_insn *in)
{
	return in->mode == 8 ? (in->opsz == 2 ? 2 : 8) : in->opsz;
}

/*
 * emu_fetch() - the next @size (1, 2, 4 or 8) instruction bytes, fetched
 * from CS:RIP as needed by emu_fetch_more(); a past-15-byte instruction
 * raises #GP(0). Returns EMU_OK or the fetch's fault.
 */
int emu_fetch_more(struct emu *e, u32 size, u64 *val);
/* emu_fetch_first() - fetch up to 15 bytes at CS:RIP (to the page end) at once. */
int emu_fetch_first(struct emu *e);
static inline int emu_fetch(struct emu *e, u32 size, u64 *val)
{
	u64 v = 0;
	u32 i;

	if (__builtin_expect(e->len + size > e->fetched, 0))
		return emu_fetch_more(e, size, val);
	for (i = size; i--;) /* little-endian */
		v = v << 8 | e->insn[e->len + i];
	e->len += size;
	*val = v;
	return EMU_OK;
}

/*
 * emu_decode_prefixes_opcode() and emu_decode_modrm(): fill @in. Return
 * EMU_OK or a fault result.
 */
int emu_decode_prefixes_opcode(struct emu *e, struct emu_insn *in);
int emu_decode_modrm(struct emu *e, struct emu_insn *in);

/*
 * Memory by segment and offset: segment limit, canonical, writability and
 * alignment checks, then the ops. @align: the size the CPU requires aligned
 * (#GP(0) when not), or 0.
 */
int emu_mem_read(struct emu *e, const struct emu_insn *in, int seg, u64 off, void *buf, u32 size);
int emu_mem_write(struct emu *e, const struct emu_insn *in, int seg, u64 off, const void *buf,
		  u32 size);
/*
 * emu_seg_load() - make e->s.seg[@seg] valid (ops->seg_read() when the
 * caller's snapshot left it out). EMU_OK or EMU_UNHANDLED.
 */
int emu_seg_load(struct emu *e, int seg);
/* emu_linear() - the checked linear address of [seg:off, +size). */
int emu_linear(struct emu *e, const struct emu_insn *in, int seg, u64 off, u32 size, bool write,
	       u64 *la);

/* emu_string() - MOVS CMPS STOS LODS SCAS INS OUTS, one REP step (emu_string.c). */
int emu_string(struct emu *e, struct emu_insn *in);

/*
 * emu_stack() - PUSH, POP, PUSHF, POPF, CALL and RET near, JMP near
 * indirect, ENTER, LEAVE (emu_stack.c). An emu_step() result.
 */
int emu_stack(struct emu *e, struct emu_insn *in);

/* emu_read_rm() - the ModRM operand (register or memory) of @size bytes. */
int emu_read_rm(struct emu *e, struct emu_insn *in, u32 size, u64 *v);
/* emu_write_rm() - @v to the ModRM operand, @size bytes. */
int emu_write_rm(struct emu *e, struct emu_insn *in, u32 size, u64 v);

/*
 * emu_smsw() - SMSW (0F 01 /4); emu_group6() - SLDT STR LLDT LTR (0F 00
 * /0-/3; EMU_UNHANDLED for VERR, VERW); emu_group7_dt() - SGDT SIDT LGDT
 * LIDT (0F 01 /0-/3 with a memory operand; EMU_UNHANDLED for the register
 * forms, VMCALL MONITOR XGETBV and the like) (emu_sys.c). An emu_step()
 * result.
 */
int emu_smsw(struct emu *e, struct emu_insn *in);
int emu_group6(struct emu *e, struct emu_insn *in);
int emu_group7_dt(struct emu *e, struct emu_insn *in);
/*
 * emu_mov_sreg() - MOV Sreg, r/m (8E); emu_pop_sreg() - POP ES SS DS (07
 * 17 1F), POP FS GS (0F A1, 0F A9); emu_jmp_far() - JMP m16:16/32/64 (FF
 * /5) and emu_call_far() - CALL ptr16:16/32 (9A) and m16:16/32/64 (FF /3),
 * to a code segment (emu_sys.c). An emu_step() result.
 */
int emu_mov_sreg(struct emu *e, struct emu_insn *in);
int emu_pop_sreg(struct emu *e, struct emu_insn *in);
int emu_jmp_far(struct emu *e, struct emu_insn *in);
int emu_call_far(struct emu *e, struct emu_insn *in);

/*
 * emu_sse() - the SSE/AVX data moves: legacy 0F 10/11/28/29/2B/6E/6F/7E/7F/
 * D6/E7 and 0F 38 2A, and their VEX forms (emu_sse.c). EMU_UNHANDLED for
 * the rest of the opcode space there (MMX, MOVSS/MOVSD...).
 */
int emu_sse(struct emu *e, struct emu_insn *in);

/* emu_exec_vex() - a VEX-encoded instruction (emu_bmi.c). */
int emu_exec_vex(struct emu *e, struct emu_insn *in);

/*
 * emu_mov_fast() - MOV between a register and memory the short way
 * (emu_fast.c): an emu_step() result, or -1 when the instruction is not
 * one it handles (then nothing changed but the fetched bytes).
 */
int emu_mov_fast(struct emu *e);

/* emu_execute() - run the decoded @in (emu_exec.c). */
int emu_execute(struct emu *e, struct emu_insn *in);

#endif /* HAXM_CORE_EMU_PRIV_H */
