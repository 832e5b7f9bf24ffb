// SPDX-License-Identifier: GPL-2.0
/*
 * The emulator's stack and near-branch instructions (SDM Vol. 2 for each,
 * Vol. 1 6.2-6.3 for the stack and near CALL/RET): PUSH and POP of a
 * register, an immediate or memory, PUSHF and POPF, CALL and RET near, JMP
 * near indirect, ENTER and LEAVE. They reach the emulator when the stack or
 * the memory operand is MMIO (kvm-unit-tests emulator's test_push and
 * test_pop point RSP into their MMIO page: "cannot emulate 6a f9").
 *
 * As everywhere in the executor, reads and checks come first and an
 * instruction's stack write is one write, its last access: ENTER builds
 * its whole frame (RBP, the copied frame pointers, the new frame pointer)
 * in a buffer and writes it as one block.
 */
#include "emu_priv.h"

#define RBP 5

#define EMU_IF	 (1ULL << 9)
#define EMU_IOPL (3ULL << 12)
#define EMU_RF	 (1ULL << 16)
#define EMU_VM	 (1ULL << 17)
#define EMU_VIF	 (1ULL << 19)
#define EMU_VIP	 (1ULL << 20)
/* the flags POPF can write: CF PF AF ZF SF TF IF DF OF IOPL NT RF VM AC VIF VIP ID */
#define POPF_BITS 0x3f7fd5ULL
#define CR4_VME	  1ULL

static u64 top(const struct emu *e, const struct emu_insn *in)
{
	return emu_trunc(e->s.gpr[EMU_RSP], emu_stack_size(e, in));
}

static void add_sp(struct emu *e, struct emu_insn *in, s64 delta)
{
	emu_set_reg(e, in, EMU_RSP, emu_stack_size(e, in), e->s.gpr[EMU_RSP] + delta);
}

/* The write of a push; RSP moves only once it is made. */
static int push(struct emu *e, struct emu_insn *in, u64 v, u32 size)
{
	u64 sp = emu_trunc(e->s.gpr[EMU_RSP] - size, emu_stack_size(e, in));
	int r = emu_mem_write(e, in, EMU_SS, sp, &v, size);

	if (!r)
		add_sp(e, in, -(s64)size);
	return r;
}

/* The read of a pop; the caller moves RSP. */
static int pop(struct emu *e, struct emu_insn *in, u64 *v, u32 size)
{
	*v = 0;
	return emu_mem_read(e, in, EMU_SS, top(e, in), v, size);
}

/*
 * A near branch to @ip at operand size @size: #GP(0) when @ip is not
 * canonical (64-bit mode) or past CS's limit (SDM CALL, RET, JMP). RIP
 * becomes @ip when the step retires.
 */
static int jump(struct emu *e, struct emu_insn *in, u64 ip, u32 size)
{
	ip = emu_trunc(ip, size);
	if (in->mode == 8 ? !emu_canonical(ip) : ip > e->s.seg[EMU_CS].limit)
		return emu_raise(e, EMU_VEC_GP, 0);
	in->jump = true;
	in->target = ip;
	return EMU_OK;
}

/*
 * PUSHF and POPF in virtual-8086 mode with IOPL < 3: #GP(0), or with
 * CR4.VME the virtual interrupt flag (not emulated).
 */
static int v86_check(struct emu *e)
{
	if (!(e->s.rflags & EMU_VM) || (e->s.rflags & EMU_IOPL) == EMU_IOPL)
		return EMU_OK;
	return (e->s.cr4 & CR4_VME) ? EMU_UNHANDLED : emu_raise(e, EMU_VEC_GP, 0);
}

/* PUSHF: the image has VM and RF clear. */
static int pushf(struct emu *e, struct emu_insn *in, u32 size)
{
	int r = v86_check(e);

	return r ? r : push(e, in, e->s.rflags & ~(EMU_RF | EMU_VM), size);
}

/*
 * POPF (SDM POPF): VIP, VIF and VM never change and RF is cleared; outside
 * CPL 0 in protected mode IOPL stays, and IF too when CPL > IOPL; in
 * virtual-8086 mode (IOPL 3) IOPL stays. A 16-bit POPF writes bits 15:0.
 */
static int popf(struct emu *e, struct emu_insn *in, u32 size)
{
	u64 f = e->s.rflags, keep = ~POPF_BITS | EMU_VIP | EMU_VIF | EMU_VM, v;
	int r = v86_check(e);

	if (!r)
		r = pop(e, in, &v, size);
	if (r)
		return r;
	if (f & EMU_VM) {
		keep |= EMU_IOPL;
	} else if ((e->s.cr0 & EMU_CR0_PE) && e->s.cpl) {
		keep |= EMU_IOPL;
		if (e->s.cpl > ((f & EMU_IOPL) >> 12))
			keep |= EMU_IF;
	}
	if (size == 2)
		keep |= ~0xffffULL;
	e->s.rflags = (f & keep) | (v & ~keep); /* RF: cleared as the step retires */
	add_sp(e, in, size);
	return EMU_OK;
}

/* RET near (C3, C2 iw: then iw more bytes released). */
static int ret(struct emu *e, struct emu_insn *in, u32 size)
{
	u64 ip;
	int r = pop(e, in, &ip, size);

	if (!r)
		r = jump(e, in, ip, size);
	if (!r)
		add_sp(e, in, size + (in->op == 0xc2 ? (u16)in->imm : 0));
	return r;
}

/*
 * ENTER iw, ib (SDM ENTER): push RBP; at nesting level L > 0 the L - 1
 * frame pointers below RBP and then the new frame pointer; RBP = the frame
 * pointer, RSP -= iw. Outside 64-bit mode the new SP must be within SS
 * (#SS(0)).
 */
static int enter(struct emu *e, struct emu_insn *in, u32 size)
{
	u32 ss = emu_stack_size(e, in), level, n, i;
	u64 sp = top(e, in), bp = e->s.gpr[RBP], frame, v, lvl, la;
	u8 buf[32 * 8];
	int r = emu_fetch(e, 1, &lvl);

	if (r)
		return r;
	level = lvl & 31;
	n = level ? level + 1 : 1;
	if (sp < n * size)
		return EMU_UNHANDLED; /* a frame wrapping around the stack's bottom */
	frame = sp - size;
	/* slot i (the i-th push) at the block's end minus (i + 1) * size */
	__builtin_memcpy(buf + (n - 1) * size, &bp, size);
	for (i = 1; i < level; i++) {
		bp = emu_trunc(bp - size, ss) | (bp & ~emu_trunc(~0ULL, ss));
		r = emu_mem_read(e, in, EMU_SS, emu_trunc(bp, ss), &v, size);
		if (r)
			return r;
		__builtin_memcpy(buf + (n - 1 - i) * size, &v, size);
	}
	if (level)
		__builtin_memcpy(buf, &frame, size);
	if (in->mode != 8) {
		r = emu_linear(e, in, EMU_SS, emu_trunc(sp - n * size - (u16)in->imm, ss), 1, true,
			       &la);
		if (r)
			return r;
	}
	r = emu_mem_write(e, in, EMU_SS, sp - n * size, buf, n * size);
	if (r)
		return r;
	emu_set_reg(e, in, RBP, ss, bp);
	emu_set_reg(e, in, RBP, size, frame);
	add_sp(e, in, -(s64)(n * size) - (u16)in->imm);
	return EMU_OK;
}

/* LEAVE: RSP = RBP (stack address size), then pop RBP. */
static int leave(struct emu *e, struct emu_insn *in, u32 size)
{
	u32 ss = emu_stack_size(e, in);
	u64 sp = emu_trunc(e->s.gpr[RBP], ss), v = 0;
	int r = emu_mem_read(e, in, EMU_SS, sp, &v, size);

	if (r)
		return r;
	emu_set_reg(e, in, EMU_RSP, ss, sp + size);
	emu_set_reg(e, in, RBP, size, v);
	return EMU_OK;
}

/* POP r/m (8F /0): an RSP base sees RSP after the pop (SDM POP). */
static int pop_rm(struct emu *e, struct emu_insn *in, u32 size)
{
	u64 v;
	int r = pop(e, in, &v, size);

	if (r)
		return r;
	if (in->base_rsp)
		in->ea = emu_trunc(in->ea + size, in->adsz);
	r = emu_write_rm(e, in, size, v);
	if (!r && (in->mem || in->rm != EMU_RSP))
		add_sp(e, in, size);
	return r;
}

/* FF /2 CALL, /4 JMP, /6 PUSH with a register or memory operand. */
static int group5(struct emu *e, struct emu_insn *in, u32 size)
{
	u64 v, next = e->s.rip + e->len;
	int r = emu_read_rm(e, in, size, &v);

	if (r)
		return r;
	if ((in->reg & 7) == 6)
		return push(e, in, v, size);
	r = jump(e, in, v, size);
	if (r || (in->reg & 7) == 4)
		return r;
	return push(e, in, next, size);
}

/*
 * In 64-bit mode a near branch's operand size is 64 bits whatever the
 * prefixes say: Intel's CPUs ignore 66 there (SDM Vol. 1 6.3.7, "operand
 * size prefixes are silently ignored"; CALL rel keeps its rel32, the
 * decoder's A_JZ), where AMD's honour it. haxm runs on Intel's.
 */
static u32 branch_size(const struct emu_insn *in)
{
	bool branch = in->op == 0xc2 || in->op == 0xc3 || in->op == 0xe8 ||
		      (in->op == 0xff && (in->reg & 7) != 6);

	return branch && in->mode == 8 ? 8 : emu_push_size(in);
}

int emu_stack(struct emu *e, struct emu_insn *in)
{
	u32 size = branch_size(in);
	u64 v;
	int r, reg = (in->op & 7) | (in->rex & 1) << 3;

	switch (in->op) {
	case 0x50 ... 0x57:
		return push(e, in, emu_get_reg(e, in, reg, size), size);
	case 0x58 ... 0x5f: /* POP RSP loads the popped value (SDM POP) */
		r = pop(e, in, &v, size);
		if (!r) {
			add_sp(e, in, size);
			emu_set_reg(e, in, reg, size, v);
		}
		return r;
	case 0x68:
		return push(e, in, emu_sext(in->imm, size == 2 ? 2 : 4), size);
	case 0x6a:
		return push(e, in, emu_sext(in->imm, 1), size);
	case 0x8f:
		return (in->reg & 7) ? EMU_UNHANDLED : pop_rm(e, in, size);
	case 0x9c:
		return pushf(e, in, size);
	case 0x9d:
		return popf(e, in, size);
	case 0xc2:
	case 0xc3:
		return ret(e, in, size);
	case 0xc8:
		return enter(e, in, size);
	case 0xc9:
		return leave(e, in, size);
	case 0xe8:
		r = jump(e, in, e->s.rip + e->len + emu_sext(in->imm, size == 2 ? 2 : 4), size);
		return r ? r : push(e, in, e->s.rip + e->len, size);
	case 0xff:
		if ((in->reg & 7) == 2 || (in->reg & 7) == 4 || (in->reg & 7) == 6)
			return group5(e, in, size);
		break;
	}
	return EMU_UNHANDLED;
}
