// SPDX-License-Identifier: GPL-2.0
/*
 * The emulator's system instructions with a memory operand: SMSW (0F 01 /4),
 * SGDT SIDT LGDT LIDT (0F 01 /0-/3) and group 6 (0F 00): SLDT, STR, LLDT,
 * LTR; and the segment loads MOV Sreg (8E), POP Sreg, far JMP (FF /5) and
 * far CALL (9A, FF /3) (SDM Vol. 2 for each, and Vol. 3A 3.4.5, 5.5-5.8
 * and 7.2.4 for the descriptors they load and their checks). They reach
 * the emulator when their operand is in MMIO (kvm-unit-tests emulator:
 * "smsw (3)", "ltr"), POP Sreg and far CALL also when the stack is; the
 * register forms run on the CPU, but the emulator takes them too. All but
 * SMSW also come here when haxm emulates CR4.UMIP with descriptor-table
 * exits (core/vmx/cr.c), their operands mostly in RAM.
 *
 * LLDT and LTR read their descriptor from the GDT through ops->read (RAM or
 * MMIO), LTR marks it busy through ops->write as its last access, and the
 * new LDTR or TR goes to e->s with its bit in e->s.sys_dirty (only then:
 * a failed step changes nothing).
 */
#include "emu_priv.h"

#define EMU_RFLAGS_VM (1ULL << 17)

/* System-descriptor types with S = 0 (SDM 3.5, table 3-2). */
#define DESC_LDT      0x2
#define DESC_TSS16    0x1
#define DESC_TSS      0x9 /* 32-bit TSS, or 64-bit in IA-32e mode */
#define DESC_TSS_BUSY 0x2 /* the busy bit of a TSS type */

/*
 * SMSW: CR0 as the guest sees it; a memory operand takes its low 16 bits
 * whatever the operand size, a register the operand size. With CR4.UMIP it
 * is #GP(0) outside CPL 0.
 */
int emu_smsw(struct emu *e, struct emu_insn *in)
{
	if ((e->s.cr4 & EMU_CR4_UMIP) && e->s.cpl)
		return emu_raise(e, EMU_VEC_GP, 0);
	return emu_write_rm(e, in, in->mem ? 2 : in->opsz, e->s.cr0);
}

static bool ia32e(const struct emu *e)
{
	return e->s.efer & EMU_EFER_LMA;
}

/* A selector's fault: #GP or #NP with the selector's index and TI (RPL 0). */
static int sel_fault(struct emu *e, u8 vec, u16 sel)
{
	return emu_raise(e, vec, sel & 0xfffc);
}

/*
 * The descriptor @sel names in the GDT, or in the LDT when @ldt allows,
 * @size bytes (16: a system descriptor in IA-32e mode, @hi its upper half)
 * at *@la; #GP(selector) past the table's limit, for an LDT selector when
 * !@ldt or LDTR is unusable.
 */
static int table_desc(struct emu *e, const struct emu_sys *sys, u16 sel, bool ldt, u32 size,
		      u64 *lo, u64 *hi, u64 *la)
{
	u64 d[2] = { 0, 0 }, base = sys->gdt_base;
	u32 limit = sys->gdt_limit;
	int r;

	if (sel & 4) {
		if (!ldt || (sys->ldtr.ar & EMU_AR_UNUSABLE))
			return sel_fault(e, EMU_VEC_GP, sel);
		base = sys->ldtr.base;
		limit = sys->ldtr.limit;
	}
	if ((u32)(sel & 0xfff8) + size - 1 > limit)
		return sel_fault(e, EMU_VEC_GP, sel);
	*la = base + (sel & 0xfff8);
	if (!ia32e(e))
		*la = (u32)*la;
	r = e->ops->read(e, *la, d, size, false);
	*lo = d[0];
	*hi = d[1];
	return r;
}

/* The GDT's system descriptor @sel names (LLDT, LTR). */
static int gdt_desc(struct emu *e, const struct emu_sys *sys, u16 sel, u64 *lo, u64 *hi, u64 *la)
{
	return table_desc(e, sys, sel, false, ia32e(e) ? 16 : 8, lo, hi, la);
}

/* The segment a system descriptor describes, in the VMCS's terms. */
static struct emu_seg desc_seg(const struct emu *e, u16 sel, u64 lo, u64 hi)
{
	struct emu_seg s;

	s.sel = sel;
	s.ar = (lo >> 40) & 0xf0ff;
	s.limit = (lo & 0xffff) | ((lo >> 32) & 0xf0000);
	if (s.ar & (1u << 15)) /* G: 4 KiB units */
		s.limit = s.limit << 12 | 0xfff;
	s.base = ((lo >> 16) & 0xffffff) | ((lo >> 56) << 24);
	if (ia32e(e))
		s.base |= (hi & 0xffffffffULL) << 32;
	return s;
}

/*
 * The checks LLDT and LTR share past the type: present (#NP(selector)),
 * and in IA-32e mode the upper half's type zero and the base canonical
 * (#GP(selector)).
 */
static int desc_check(struct emu *e, u16 sel, const struct emu_seg *s, u64 hi)
{
	if (!(s->ar & EMU_AR_P))
		return sel_fault(e, EMU_VEC_NP, sel);
	if (ia32e(e) && (((hi >> 40) & 0x1f) || (u64)((s64)(s->base << 16) >> 16) != s->base))
		return sel_fault(e, EMU_VEC_GP, sel);
	return EMU_OK;
}

/* LLDT: a null selector (bits 15:2 zero) leaves LDTR unusable. */
static int lldt(struct emu *e, const struct emu_sys *sys, u16 sel)
{
	struct emu_seg s = { .sel = sel, .ar = EMU_AR_UNUSABLE };
	u64 lo, hi, la;
	int r;

	if (sel & 0xfffc) {
		r = gdt_desc(e, sys, sel, &lo, &hi, &la);
		if (r)
			return r;
		s = desc_seg(e, sel, lo, hi);
		if ((s.ar & 0x1f) != DESC_LDT)
			return sel_fault(e, EMU_VEC_GP, sel);
		r = desc_check(e, sel, &s, hi);
		if (r)
			return r;
	}
	e->s.ldtr = s;
	e->s.sys_dirty |= EMU_SYS_LDTR;
	return EMU_OK;
}

/*
 * LTR: an available TSS (16- or 32-bit; 64-bit in IA-32e mode, where type
 * 1 is reserved), marked busy in the GDT with a 1-byte write of its type
 * byte; TR gets the busy type too.
 */
static int ltr(struct emu *e, const struct emu_sys *sys, u16 sel)
{
	struct emu_seg s;
	u64 lo, hi, la;
	u8 type;
	int r;

	if (!(sel & 0xfffc))
		return emu_raise(e, EMU_VEC_GP, 0);
	r = gdt_desc(e, sys, sel, &lo, &hi, &la);
	if (r)
		return r;
	s = desc_seg(e, sel, lo, hi);
	if ((s.ar & 0x1f) != DESC_TSS && (ia32e(e) || (s.ar & 0x1f) != DESC_TSS16))
		return sel_fault(e, EMU_VEC_GP, sel);
	r = desc_check(e, sel, &s, hi);
	if (r)
		return r;
	s.ar |= DESC_TSS_BUSY;
	type = (u8)(lo >> 40) | DESC_TSS_BUSY;
	r = e->ops->write(e, la + 5, &type, 1);
	if (r)
		return r;
	e->s.tr = s;
	e->s.sys_dirty |= EMU_SYS_TR;
	return EMU_OK;
}

/*
 * The privilege checks of system instruction @op (0, 1: a store, CPL 0
 * only with CR4.UMIP; 2, 3: a load, CPL 0 only), then the guest's GDTR,
 * IDTR, LDTR and TR into @sys.
 */
static int sys_check_read(struct emu *e, u32 op, struct emu_sys *sys)
{
	if (op < 2 ? (e->s.cr4 & EMU_CR4_UMIP) && e->s.cpl : e->s.cpl)
		return emu_raise(e, EMU_VEC_GP, 0);
	if (!e->ops->sys_read)
		return EMU_UNHANDLED;
	return e->ops->sys_read(e, sys);
}

int emu_group6(struct emu *e, struct emu_insn *in)
{
	struct emu_sys sys;
	u32 op = in->reg & 7;
	u64 v;
	int r;

	if (op > 3)
		return EMU_UNHANDLED; /* VERR, VERW */
	/* not recognized in real-address and virtual-8086 mode */
	if (!(e->s.cr0 & EMU_CR0_PE) || (e->s.rflags & EMU_RFLAGS_VM))
		return emu_raise(e, EMU_VEC_UD, -1);
	r = sys_check_read(e, op, &sys);
	if (r)
		return r;
	if (op < 2) /* SLDT, STR: 16 bits to memory, the operand size to a register */
		return emu_write_rm(e, in, in->mem ? 2 : in->opsz, op ? sys.tr.sel : sys.ldtr.sel);
	r = emu_read_rm(e, in, 2, &v);
	if (r)
		return r;
	return op == 2 ? lldt(e, &sys, (u16)v) : ltr(e, &sys, (u16)v);
}

/*
 * SGDT SIDT LGDT LIDT (SDM Vol. 2 for each): memory of a 16-bit limit and
 * a base of 8 bytes in 64-bit mode whatever the operand size, 4 bytes
 * otherwise (SGDT SIDT store all 32 bits; LGDT LIDT with a 16-bit operand
 * size load 24, the top byte 0). The stores are #GP(0) at CPL > 0 with
 * CR4.UMIP; the loads at CPL > 0 (virtual-8086 mode too) and, in 64-bit
 * mode, for a non-canonical base.
 */
int emu_group7_dt(struct emu *e, struct emu_insn *in)
{
	u32 op = in->reg & 7, bsz = in->mode == 8 ? 8 : 4;
	struct emu_dtr d = { 0, 0 };
	struct emu_sys sys;
	u8 buf[10];
	int r;

	if (!in->mem)
		return EMU_UNHANDLED;
	r = sys_check_read(e, op, &sys);
	if (r)
		return r;
	if (op < 2) {
		d = op ? sys.idt : (struct emu_dtr){ sys.gdt_base, sys.gdt_limit };
		__builtin_memcpy(buf, &d.limit, 2);
		__builtin_memcpy(buf + 2, &d.base, bsz);
		return emu_mem_write(e, in, in->ea_seg, in->ea, buf, 2 + bsz);
	}
	r = emu_mem_read(e, in, in->ea_seg, in->ea, buf, 2 + bsz);
	if (r)
		return r;
	__builtin_memcpy(&d.limit, buf, 2);
	__builtin_memcpy(&d.base, buf + 2, bsz);
	if (in->mode != 8 && in->opsz == 2)
		d.base &= 0xffffff;
	if (!emu_canonical(d.base))
		return emu_raise(e, EMU_VEC_GP, 0);
	if (op == 2)
		e->s.gdtr = d;
	else
		e->s.idtr = d;
	e->s.sys_dirty |= op == 2 ? EMU_SYS_GDTR : EMU_SYS_IDTR;
	return EMU_OK;
}

/*
 * The code or data descriptor @sel names (S = 1; 8 bytes in any mode) into
 * @s, and its linear address; EMU_UNHANDLED without ops->sys_read().
 */
static int seg_desc(struct emu *e, u16 sel, struct emu_seg *s, u64 *la)
{
	struct emu_sys sys;
	u64 lo, hi;
	int r;

	if (!e->ops->sys_read)
		return EMU_UNHANDLED;
	r = e->ops->sys_read(e, &sys);
	if (!r)
		r = table_desc(e, &sys, sel, true, 8, &lo, &hi, la);
	if (!r)
		*s = desc_seg(e, sel, lo, 0);
	return r;
}

/*
 * Mark the code or data descriptor @s at @la accessed (type bit 0; a 1-byte
 * write) unless it is.
 */
static int seg_mark(struct emu *e, struct emu_seg *s, u64 la)
{
	u8 type = s->ar & 0xff;
	int r;

	if (type & 1)
		return EMU_OK;
	type |= 1;
	r = e->ops->write(e, la + 5, &type, 1);
	if (!r)
		s->ar |= 1;
	return r;
}

/* Segment register @seg becomes @s, for the caller to write back. */
static void seg_install(struct emu *e, int seg, const struct emu_seg *s)
{
	e->s.seg[seg] = *s;
	e->s.seg_lazy &= ~(1u << seg);
	e->s.sys_dirty |= EMU_SYS_SEG(seg);
}

/* Real-address and virtual-8086 mode: the selector and base only. */
static bool real_or_v86(const struct emu *e)
{
	return !(e->s.cr0 & EMU_CR0_PE) || (e->s.rflags & EMU_RFLAGS_VM);
}

/*
 * A null selector into @seg (SDM MOV): #GP(0) for SS but in 64-bit mode at
 * CPL < 3 with RPL = CPL, where SS stays a flat writable segment of DPL =
 * CPL as KVM makes it (the VMCS keeps CPL in SS.DPL); other registers
 * become unusable, base 0.
 */
static int load_null(struct emu *e, struct emu_insn *in, int seg, u16 sel)
{
	struct emu_seg s = { .sel = sel, .ar = EMU_AR_UNUSABLE };

	if (seg == EMU_SS) {
		if (in->mode != 8 || e->s.cpl == 3 || (sel & 3) != e->s.cpl)
			return emu_raise(e, EMU_VEC_GP, 0);
		s.ar = 0x93 | EMU_AR_P | EMU_AR_DB | (1u << 15) | e->s.cpl << 5;
		s.limit = 0xffffffff;
	}
	seg_install(e, seg, &s);
	return EMU_OK;
}

/*
 * Load DS ES FS GS or SS with selector @sel (SDM MOV, "loading a segment
 * register in protected mode"; POP): SS takes a writable data segment with
 * RPL = DPL = CPL (#GP(selector)), present (#SS(selector)); DS ES FS GS a
 * data or readable code segment, with RPL and CPL at most its DPL unless
 * conforming code (#GP(selector)), present (#NP(selector)). A load of SS
 * blocks interrupts and debug traps until the next instruction retires
 * (SDM 6.8.3), EMU_SYS_MOVSS.
 */
static int load_sreg(struct emu *e, struct emu_insn *in, int seg, u16 sel)
{
	u32 rpl = sel & 3, dpl, type;
	struct emu_seg s;
	u64 la;
	int r = emu_seg_load(e, seg);

	if (r)
		return r;
	if (seg == EMU_SS)
		e->s.sys_dirty |= EMU_SYS_MOVSS;
	if (real_or_v86(e)) {
		s = e->s.seg[seg];
		s.sel = sel;
		s.base = (u64)sel << 4;
		e->s.seg[seg] = s;
		e->s.sys_dirty |= EMU_SYS_SEG(seg);
		return EMU_OK;
	}
	if (!(sel & 0xfffc))
		return load_null(e, in, seg, sel);
	r = seg_desc(e, sel, &s, &la);
	if (r)
		return r;
	dpl = (s.ar >> 5) & 3, type = s.ar & 0x1f;
	if (seg == EMU_SS) {
		if (rpl != e->s.cpl || dpl != e->s.cpl || (type & 0x1a) != 0x12)
			return sel_fault(e, EMU_VEC_GP, sel);
		if (!(s.ar & EMU_AR_P))
			return sel_fault(e, EMU_VEC_SS, sel);
	} else {
		if (!(type & 0x10) || (type & 0x0a) == 0x08)
			return sel_fault(e, EMU_VEC_GP, sel);
		if ((type & 0x0c) != 0x0c && (rpl > dpl || e->s.cpl > dpl))
			return sel_fault(e, EMU_VEC_GP, sel);
		if (!(s.ar & EMU_AR_P))
			return sel_fault(e, EMU_VEC_NP, sel);
	}
	r = seg_mark(e, &s, la);
	if (!r)
		seg_install(e, seg, &s);
	return r;
}

/* MOV Sreg, r/m: the low 16 bits of the operand; MOV to CS is #UD. */
int emu_mov_sreg(struct emu *e, struct emu_insn *in)
{
	int seg = in->reg & 7, r;
	u64 v;

	if (seg == EMU_CS || seg >= EMU_NSEG)
		return emu_raise(e, EMU_VEC_UD, -1);
	r = emu_read_rm(e, in, 2, &v);
	return r ? r : load_sreg(e, in, seg, v);
}

/*
 * POP Sreg (SDM POP): the operand-size slot at the top of the stack, its
 * low 16 bits loaded as MOV Sreg loads them; then RSP moves by the stack
 * address size it had before (a new SS may have another B, as KVM does
 * it). POP ES, SS and DS are #UD in 64-bit mode.
 */
int emu_pop_sreg(struct emu *e, struct emu_insn *in)
{
	u32 size = emu_push_size(in), ss = emu_stack_size(e, in);
	u64 sp = emu_trunc(e->s.gpr[EMU_RSP], ss), v = 0;
	int seg = in->map ? (in->op == 0xa1 ? EMU_FS : EMU_GS) : in->op >> 3, r;

	if (!in->map && in->mode == 8)
		return emu_raise(e, EMU_VEC_UD, -1);
	r = emu_mem_read(e, in, EMU_SS, sp, &v, size);
	if (!r)
		r = load_sreg(e, in, seg, v);
	if (!r)
		emu_set_reg(e, in, EMU_RSP, ss, sp + size);
	return r;
}

/* A far branch's destination: CS's new value, its descriptor's address, the offset. */
struct far_dest {
	struct emu_seg cs;
	u64 la, off;
};

/*
 * The checks of a far JMP or CALL to @sel:@off at operand size @size, to
 * a code segment (SDM JMP and CALL, far transfers in protected mode):
 * conforming with DPL <= CPL or non-conforming with RPL <= CPL and DPL =
 * CPL (#GP(selector)), present (#NP(selector)), not L and D both
 * (#GP(selector)); the offset within the new CS (#GP(0)). CS.RPL becomes
 * CPL. Gates and TSSs are not emulated. Only the descriptor is read.
 */
static int far_check(struct emu *e, u64 off, u16 sel, u32 size, struct far_dest *f)
{
	u32 dpl, type, cpl = e->s.cpl;
	struct emu_seg *s = &f->cs;
	bool lm = false;
	int r;

	if (real_or_v86(e)) {
		*s = e->s.seg[EMU_CS];
		s->sel = sel;
		s->base = (u64)sel << 4;
	} else {
		if (!(sel & 0xfffc))
			return emu_raise(e, EMU_VEC_GP, 0);
		r = seg_desc(e, sel, s, &f->la);
		if (r)
			return r;
		dpl = (s->ar >> 5) & 3, type = s->ar & 0x1f;
		if (!(type & 0x10))
			return EMU_UNHANDLED; /* a call gate, task gate or TSS */
		if (!(type & 8) || ((type & 4) ? dpl > cpl : (sel & 3) > cpl || dpl != cpl))
			return sel_fault(e, EMU_VEC_GP, sel);
		if (!(s->ar & EMU_AR_P))
			return sel_fault(e, EMU_VEC_NP, sel);
		lm = ia32e(e) && (s->ar & EMU_AR_L);
		if (lm && (s->ar & EMU_AR_DB))
			return sel_fault(e, EMU_VEC_GP, sel);
		s->sel = (sel & 0xfffc) | cpl;
	}
	f->off = emu_trunc(off, size);
	if (lm ? !emu_canonical(f->off) : f->off > s->limit)
		return emu_raise(e, EMU_VEC_GP, 0);
	return EMU_OK;
}

/* The far pointer m16:16/32/64 of FF /3 and /5 (a register operand is #UD), checked. */
static int far_mem(struct emu *e, struct emu_insn *in, struct far_dest *f)
{
	u64 off = 0, sel = 0;
	int r;

	if (!in->mem)
		return emu_raise(e, EMU_VEC_UD, -1);
	r = emu_mem_read(e, in, in->ea_seg, in->ea, &off, in->opsz);
	if (!r)
		r = emu_mem_read(e, in, in->ea_seg, emu_trunc(in->ea + in->opsz, in->adsz), &sel,
				 2);
	return r ? r : far_check(e, off, sel, in->opsz, f);
}

/* The new CS's descriptor marked accessed (protected mode). */
static int far_mark(struct emu *e, struct far_dest *f)
{
	return real_or_v86(e) ? EMU_OK : seg_mark(e, &f->cs, f->la);
}

/* CS and RIP from @f: nothing left to fail. */
static void far_go(struct emu *e, struct emu_insn *in, const struct far_dest *f)
{
	seg_install(e, EMU_CS, &f->cs);
	in->jump = true;
	in->target = f->off;
}

/* JMP m16:16/32/64 (SDM JMP): the descriptor's accessed bit is its one write. */
int emu_jmp_far(struct emu *e, struct emu_insn *in)
{
	struct far_dest f;
	int r = far_mem(e, in, &f);

	if (!r)
		r = far_mark(e, &f);
	if (!r)
		far_go(e, in, &f);
	return r;
}

/*
 * CALL ptr16:16/32 (9A, #UD in 64-bit mode) and m16:16/32/64 (FF /3) to a
 * code segment at the same privilege level (SDM CALL): the checks of a far
 * JMP, then CS and the return offset pushed at the operand size (CS zero-
 * extended) as one write of the frame, checked against SS first (#SS(0)).
 * The new CS's descriptor is marked accessed before that write, which stays
 * the last access; a fault on it (a #PF) leaves the accessed bit set, as
 * the CPU sets it when it loads the descriptor (SDM Vol. 3A 3.4.5.1).
 */
int emu_call_far(struct emu *e, struct emu_insn *in)
{
	u32 size = in->opsz, ss = emu_stack_size(e, in);
	u64 sp = emu_trunc(e->s.gpr[EMU_RSP] - 2 * size, ss), off, sel, la, ip;
	struct far_dest f;
	u8 frame[16];
	int r;

	if (in->op == 0x9a) {
		if (in->mode == 8)
			return emu_raise(e, EMU_VEC_UD, -1);
		r = emu_fetch(e, size, &off);
		if (!r)
			r = emu_fetch(e, 2, &sel);
		if (!r)
			r = far_check(e, off, sel, size, &f);
	} else {
		r = far_mem(e, in, &f);
	}
	if (!r)
		r = emu_linear(e, in, EMU_SS, sp, 2 * size, true, &la);
	if (!r)
		r = far_mark(e, &f);
	if (r)
		return r;
	ip = e->s.rip + e->len; /* past the instruction, its pointer too */
	sel = e->s.seg[EMU_CS].sel;
	__builtin_memcpy(frame, &ip, size);
	__builtin_memcpy(frame + size, &sel, size);
	r = emu_mem_write(e, in, EMU_SS, sp, frame, 2 * size);
	if (r)
		return r;
	emu_set_reg(e, in, EMU_RSP, ss, sp);
	far_go(e, in, &f);
	return EMU_OK;
}
