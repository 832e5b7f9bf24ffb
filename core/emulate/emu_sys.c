// SPDX-License-Identifier: GPL-2.0
/*
 * The emulator's system instructions with a memory operand: SMSW (0F 01 /4)
 * and group 6 (0F 00): SLDT, STR, LLDT, LTR (SDM Vol. 2 for each, and Vol.
 * 3A 3.4.5 and 7.2.4 for the descriptors they load). They reach the
 * emulator when their operand is in MMIO (kvm-unit-tests emulator: "smsw
 * (3)", "ltr"); the register forms run on the CPU, but the emulator takes
 * them too.
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
 * The GDT descriptor @sel names, 8 bytes (16 in IA-32e mode: @hi the upper
 * half) at *@la; #GP(selector) past the GDT limit or for an LDT selector.
 */
static int gdt_desc(struct emu *e, const struct emu_sys *sys, u16 sel, u64 *lo, u64 *hi, u64 *la)
{
	u32 size = ia32e(e) ? 16 : 8;
	u64 d[2] = { 0, 0 };
	int r;

	if ((sel & 4) || (u32)(sel & 0xfff8) + size - 1 > sys->gdt_limit)
		return sel_fault(e, EMU_VEC_GP, sel);
	*la = sys->gdt_base + (sel & 0xfff8);
	if (!ia32e(e))
		*la = (u32)*la;
	r = e->ops->read(e, *la, d, size, false);
	*lo = d[0];
	*hi = d[1];
	return r;
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
	if (op < 2 ? (e->s.cr4 & EMU_CR4_UMIP) && e->s.cpl : e->s.cpl)
		return emu_raise(e, EMU_VEC_GP, 0);
	if (!e->ops->sys_read)
		return EMU_UNHANDLED;
	r = e->ops->sys_read(e, &sys);
	if (r)
		return r;
	if (op < 2) /* SLDT, STR: 16 bits to memory, the operand size to a register */
		return emu_write_rm(e, in, in->mem ? 2 : in->opsz, op ? sys.tr.sel : sys.ldtr.sel);
	r = emu_read_rm(e, in, 2, &v);
	if (r)
		return r;
	return op == 2 ? lldt(e, &sys, (u16)v) : ltr(e, &sys, (u16)v);
}
