/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The x86 instruction emulator: decodes one guest instruction and executes
 * it on a copy of the guest's registers, reaching guest memory and I/O ports
 * only through struct emu_ops. Portable: no kernel dependencies; the module
 * uses it for MMIO (FAST_MMIO) and string I/O, the unit tests against flat
 * memory. Flags come from executing the ALU operation itself on the host
 * CPU (which is the guest's CPU in the module), so they match exactly.
 */
#ifndef HAXM_CORE_EMULATE_H
#define HAXM_CORE_EMULATE_H

#include "../os.h"

/* emu_step() results. */
enum {
	EMU_OK = 0,	   /* executed: commit e->s */
	EMU_EXCEPTION = 1, /* deliver e->exc (registers unchanged) */
	EMU_IO = 2,	   /* an op needs data from user space; nothing committed */
	EMU_UNHANDLED = 3, /* an instruction the emulator does not know */
};

/* Segment registers, in the hardware's encoding order. */
enum { EMU_ES, EMU_CS, EMU_SS, EMU_DS, EMU_FS, EMU_GS, EMU_NSEG };

/* Access rights as in the VMCS (SDM 24.4.1): type, S, DPL, P, L, D/B, G. */
#define EMU_AR_S	(1u << 4)
#define EMU_AR_P	(1u << 7)
#define EMU_AR_L	(1u << 13)
#define EMU_AR_DB	(1u << 14)
#define EMU_AR_UNUSABLE (1u << 16)

struct emu_seg {
	u64 base;
	u32 limit;
	u32 ar;
	u16 sel;
};

/* GDTR or IDTR. */
struct emu_dtr {
	u64 base;
	u16 limit;
};

/* The guest state the emulator reads and changes. */
struct emu_state {
	u64 gpr[16]; /* RAX RCX RDX RBX RSP RBP RSI RDI R8-R15 */
	u64 rip;
	u64 rflags;
	struct emu_seg seg[EMU_NSEG];
	/*
	 * Bit n set: seg[n] is not filled in yet; the emulator asks
	 * ops->seg_read() for it on first use (64-bit mode needs no more than
	 * CS, SS, FS and GS, and FS and GS only for their bases). 0: all filled.
	 */
	u8 seg_lazy;
	u64 cr0, cr3, cr4, efer;
	u64 xcr0; /* the guest's XCR0: VEX instructions need its SSE and AVX bits */
	u8 cpl;
	/*
	 * LLDT and LTR load LDTR or TR here and set EMU_SYS_LDTR or EMU_SYS_TR
	 * in sys_dirty (cleared by emu_step()) for the caller to write the new
	 * register back with the rest. Not read: ops->sys_read() gives the old.
	 * MOV Sreg, POP Sreg, far JMP and far CALL load seg[n] and set
	 * EMU_SYS_SEG(n); MOV SS and POP SS set EMU_SYS_MOVSS too (blocking by
	 * MOV SS follows, SDM 6.8.3). LGDT and
	 * LIDT load gdtr or idtr and set EMU_SYS_GDTR or EMU_SYS_IDTR.
	 */
	struct emu_seg ldtr, tr;
	struct emu_dtr gdtr, idtr;
	u16 sys_dirty;
};

#define EMU_SYS_LDTR   1u
#define EMU_SYS_TR     2u
#define EMU_SYS_SEG(n) (4u << (n))
#define EMU_SYS_MOVSS  0x100u
#define EMU_SYS_GDTR   0x200u
#define EMU_SYS_IDTR   0x400u

/* GDTR, IDTR, LDTR and TR as the guest has them (ops->sys_read()). */
struct emu_sys {
	u64 gdt_base;
	u32 gdt_limit;
	struct emu_dtr idt;
	struct emu_seg ldtr, tr;
};

struct emu;

/*
 * Guest memory by linear address and I/O ports. Each returns EMU_OK,
 * EMU_EXCEPTION (after emu_raise()), or EMU_IO (the data must come from user
 * space first: the caller exits, and runs the instruction again when it has
 * the data). A write may take effect at once: the executor makes an
 * instruction's one memory write after all its reads and checks, and
 * nothing after it can fail. @size is at most 4096 (INS/OUTS) and a write
 * or read may cross a page.
 */
struct emu_ops {
	int (*read)(struct emu *e, u64 la, void *buf, u32 size, bool fetch);
	int (*write)(struct emu *e, u64 la, const void *buf, u32 size);
	/* @count elements of @size bytes in e->iobuf, in guest memory order. */
	int (*pio_in)(struct emu *e, u16 port, u32 size, u32 count);
	int (*pio_out)(struct emu *e, u16 port, u32 size, u32 count);
	/*
	 * The guest's vector registers: XMM/YMM @idx (0-15), @size 16 (XMM) or
	 * 32 (YMM). Writing 16 bytes leaves bits 255:128 as they are (legacy
	 * SSE); the executor passes 32 bytes with a zero upper half for VEX.128.
	 * The executor reads and writes them only once an instruction can no
	 * longer fail (after its memory reads, instead of a memory write).
	 */
	void (*vec_read)(struct emu *e, u32 idx, void *buf, u32 size);
	void (*vec_write)(struct emu *e, u32 idx, const void *buf, u32 size);
	/*
	 * With @size 8 the two above move MMX register MM@idx (0-7), which, as
	 * every MMX instruction does, sets the x87 TOS to 0 and every tag valid.
	 * fpu_sw() - the x87 status word (MMX moves raise #MF when its ES bit
	 * says an unmasked x87 exception is pending).
	 */
	u16 (*fpu_sw)(struct emu *e);
	/*
	 * sys_read() - the guest's GDTR, IDTR, LDTR and TR into @sys, which
	 * only SGDT SIDT SLDT STR LLDT LTR need (callers' snapshots can leave them out). EMU_OK, or
	 * EMU_UNHANDLED (a host failure). May be NULL: those instructions are
	 * then EMU_UNHANDLED.
	 */
	int (*sys_read)(struct emu *e, struct emu_sys *sys);
	/*
	 * seg_read() - segment register @seg (EMU_ES..EMU_GS) into @to, for
	 * those the snapshot left out (emu_state.seg_lazy). EMU_OK, or
	 * EMU_UNHANDLED (a host failure). Needed only when seg_lazy is not 0.
	 */
	int (*seg_read)(struct emu *e, int seg, struct emu_seg *to);
	/*
	 * mmio() - whether linear [@la, +@size) (two pages at most) reaches
	 * memory that is not RAM for a @write or read (MMIO; ROM for a write):
	 * INS and OUTS then move one element per step, an I/O access and a
	 * memory access of the element's size in the instruction's order.
	 * EMU_OK with *@mmio set, or what read() returns for a translation's
	 * fault. May be NULL: all memory is RAM.
	 */
	int (*mmio)(struct emu *e, u64 la, u32 size, bool write, bool *mmio);
};

struct emu {
	struct emu_state s;
	const struct emu_ops *ops;
	void *ctx;
	u8 *iobuf; /* 4096 bytes: the data of INS/OUTS */
	/* the exception to deliver after EMU_EXCEPTION */
	u8 exc_vec;
	bool exc_has_err;
	u32 exc_err;
	u64 exc_cr2; /* #PF */
	/* the last step's instruction was a taken near branch (RIP: its target) */
	bool jumped;
	/* decoder state (private) */
	u8 insn[15];
	u8 len, fetched;
	u64 insn_la;
};

#define EMU_VEC_DE 0
#define EMU_VEC_UD 6
#define EMU_VEC_NM 7
#define EMU_VEC_NP 11
#define EMU_VEC_SS 12
#define EMU_VEC_GP 13
#define EMU_VEC_PF 14
#define EMU_VEC_MF 16
#define EMU_VEC_AC 17

/* CR4.UMIP: SGDT SIDT SLDT SMSW STR are CPL-0 only */
#define EMU_CR4_UMIP (1ULL << 11)
#define EMU_CR0_PE   1ULL
#define EMU_EFER_LMA (1ULL << 10)

/* RFLAGS bits */
#define EMU_CF	  0x1ULL
#define EMU_PF	  0x4ULL
#define EMU_AF	  0x10ULL
#define EMU_ZF	  0x40ULL
#define EMU_SF	  0x80ULL
#define EMU_DF	  0x400ULL
#define EMU_OF	  0x800ULL
#define EMU_ARITH (EMU_CF | EMU_PF | EMU_AF | EMU_ZF | EMU_SF | EMU_OF)

/*
 * emu_step() - decode and execute the instruction at CS:RIP of e->s, once.
 * On EMU_OK, e->s holds the state after it (RIP advanced, or unchanged for a
 * REP string instruction with iterations left). Returns an EMU_* result.
 */
int emu_step(struct emu *e);

/* emu_raise() - for ops: record exception @vec (with error code @err if >= 0). */
int emu_raise(struct emu *e, u8 vec, s64 err);

/* The native ALU with host flags (emu_fastop.c); @op is an EMU_OP_*. */
enum {
	EMU_OP_ADD,
	EMU_OP_OR,
	EMU_OP_ADC,
	EMU_OP_SBB,
	EMU_OP_AND,
	EMU_OP_SUB,
	EMU_OP_XOR,
	EMU_OP_CMP,
	EMU_OP_TEST,
	EMU_OP_BT,
	EMU_OP_BTS,
	EMU_OP_BTR,
	EMU_OP_BTC,
	EMU_OP_BSF,
	EMU_OP_BSR,
	EMU_OP_IMUL2,
	EMU_OP_POPCNT,
	EMU_OP_TZCNT,
	EMU_OP_LZCNT,
	EMU_OP_ROL,
	EMU_OP_ROR,
	EMU_OP_RCL,
	EMU_OP_RCR,
	EMU_OP_SHL,
	EMU_OP_SHR,
	EMU_OP_SAL,
	EMU_OP_SAR,
	EMU_OP_INC,
	EMU_OP_DEC,
	EMU_OP_NEG,
	EMU_OP_NOT,
	EMU_OP_SHLD,
	EMU_OP_SHRD,
	EMU_OP_MUL1,
	EMU_OP_IMUL1,
	EMU_OP_DIV1,
	EMU_OP_IDIV1,
	EMU_OP_BLSR,
	EMU_OP_BLSMSK,
	EMU_OP_BLSI,
	/* emu_alu3(): BMI1/BMI2 with three operands */
	EMU_OP_ANDN,
	EMU_OP_BEXTR,
	EMU_OP_BZHI,
	EMU_OP_PDEP,
	EMU_OP_PEXT,
};

/*
 * emu_alu() - @op on destination @d and source @s (@c: shift count, or for
 * SHLD/SHRD the count with @s the bits shifted in) at @size bytes, with
 * *@flags the guest's RFLAGS in and out (only EMU_ARITH bits change).
 * For MUL1/IMUL1/DIV1/IDIV1, @d is RAX and *@hi RDX (in and out); the caller
 * has ruled out #DE. Returns the result.
 */
u64 emu_alu(int op, u64 d, u64 s, u8 c, u32 size, u64 *flags, u64 *hi);

/*
 * emu_alu3() - a BMI operation, AT&T operand order "op @a, @b, dest" at
 * @size (4 or 8) bytes with *@flags in and out. Returns the destination.
 */
u64 emu_alu3(int op, u64 a, u64 b, u32 size, u64 *flags);

/*
 * emu_cond() - condition code @cc (the low nibble of Jcc/SETcc/CMOVcc)
 * against @flags.
 */
bool emu_cond(u8 cc, u64 flags);

/* Page-walk access kinds and #PF error code bits (SDM 4.7). */
#define EMU_PF_P    1u
#define EMU_PF_W    2u
#define EMU_PF_U    4u
#define EMU_PF_RSVD 8u
#define EMU_PF_I    16u

/*
 * emu_translate() - the guest-physical address of linear @la under the
 * paging mode of e->s (none, 32-bit, PAE, 4-level: SDM 4.3-4.5), checking
 * the access (@write, @fetch; user when CPL 3) against U/S, R/W (with
 * CR0.WP), XD (with EFER.NXE). @read_pte(@e, gpa, &pte, size) reads a
 * paging-structure entry. Accessed/dirty bits are not set.
 * Returns EMU_OK, EMU_EXCEPTION (#PF, e->exc_cr2 = @la) or the failure of
 * @read_pte.
 */
int emu_translate(struct emu *e, u64 la, bool write, bool fetch, u64 *gpa,
		  int (*read_pte)(struct emu *e, u64 gpa, u64 *pte, u32 size));

#endif /* HAXM_CORE_EMULATE_H */
