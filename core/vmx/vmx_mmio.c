// SPDX-License-Identifier: GPL-2.0
/*
 * The instruction emulator (core/emulate) wired to a vCPU: MMIO through
 * FAST_MMIO exits, and INS/OUTS through IO exits; and the FAST_MMIO exits of
 * MOV to and from CR8 (the APIC's TPR, core/vmx/cr.c).
 *
 * An instruction runs on a snapshot of the guest's registers and retires
 * (registers written back, RIP advanced) only when it completes. An MMIO
 * read without its data yet stops it (EMU_IO): user space gets a FAST_MMIO
 * read; the next RUN records the value and runs the instruction again from
 * the start, the recorded reads answering its first reads in order. MMIO
 * writes (at most the instruction's last access) go to the vCPU's queue as
 * they are made, count once it retires, and are sent one FAST_MMIO write
 * per RUN (the queue is empty while an instruction runs: the previous
 * one's were all sent before it). INS works like a read: the
 * IO exit asks for the data, the next RUN runs the instruction again with
 * it. OUTS retires with its data in the I/O buffer and exits. INS/OUTS
 * whose memory is MMIO move one element per step (op_mmio()): INS's IO
 * exit, then its FAST_MMIO write; OUTS's FAST_MMIO read, then its IO exit
 * (QEMU's HAX client serves both; a REP prefix repeats the step). INS/OUTS to
 * a port of the in-kernel ISA devices (vpic.h) are done here, element by
 * element in the instruction's order, and do not exit.
 */
#include "../emulate/emulate.h"
#include "../vapic.h"
#include "../vpic.h"
#include "cpu.h"
#include "intr.h"
#include "exits.h"
#include "vmcs.h"
#include "vmx.h"

struct emu_ctx {
	struct vcpu *v;
	struct hax_tunnel *t;
	u8 nread;      /* MMIO reads this run of the instruction made */
	u8 nwrite;     /* MMIO writes it queued in v->emu.wr (all sent before) */
	bool pio;      /* INS/OUTS: its memory side must be RAM... */
	bool str_mmio; /* ...unless op_mmio() found MMIO (one element) */
	bool pio_out;  /* OUTS retired: the IO exit is ready */
	int err;       /* a host error behind EMU_UNHANDLED */
	u64 pf_gpa;    /* PROTECT_RAM forbids the access: the page... */
	u32 pf_flags;  /* ...and the PAGEFAULT flags, or 0 */
};

static struct emu_ctx *ctx(struct emu *e)
{
	return e->ctx;
}

/*
 * Where guest-physical @gpa lives for access @acc (HAX_PAGEFAULT_ACC_*):
 * 0 RAM, at *@uva in the VMM; 1 not RAM (MMIO, or ROM for a write); 2 RAM
 * that PROTECT_RAM closes to @acc (recorded for the PAGEFAULT exit).
 */
static int ram_lookup(struct emu *e, u64 gpa, u32 acc, u64 *uva)
{
	struct vm *vm = ctx(e)->v->vm;
	u64 gfn = gpa >> HAX_PAGE_SHIFT;
	const struct memslot *s;
	u32 allowed;
	int r = 0;

	os_mutex_lock(&vm->lock);
	s = memslot_find(&vm->mem, gfn);
	if (!s || ((acc & HAX_PAGEFAULT_ACC_W) && (s->flags & HAX_RAM_INFO_ROM))) {
		r = 1;
	} else {
		allowed = guest_mem_allowed(&vm->mem, gfn);
		*uva = s->rb->uva + ((s->rb_pgoff + gfn - s->gfn) << HAX_PAGE_SHIFT) + (gpa & 4095);
		if (acc & ~allowed) {
			ctx(e)->pf_gpa = gpa & HAX_PAGE_MASK;
			ctx(e)->pf_flags = acc | (allowed << 4);
			r = 2;
		}
	}
	os_mutex_unlock(&vm->lock);
	return r;
}

/* Copy to or from the guest RAM at @uva: 0 or -EFAULT (the VMM unmapped it). */
static int ram_copy(u64 uva, void *buf, u32 size, bool write)
{
	return write ? os_copy_to_user(uva, buf, size) : os_copy_from_user(buf, uva, size);
}

static int host_error(struct emu *e, int r)
{
	ctx(e)->err = r;
	return EMU_UNHANDLED;
}

/* Paging structures must be in RAM. */
static int read_pte(struct emu *e, u64 gpa, u64 *pte, u32 size)
{
	u64 uva;
	int r = ram_lookup(e, gpa, HAX_PAGEFAULT_ACC_R, &uva);

	if (r == 2)
		return EMU_IO; /* a PAGEFAULT exit */
	if (r)
		return EMU_UNHANDLED;
	r = ram_copy(uva, pte, size, false);
	return r ? host_error(e, r) : EMU_OK;
}

static void fastmmio_exit(struct emu_ctx *c, const struct vcpu_mmio_access *a, u8 dir)
{
	struct hax_fastmmio *m = c->v->iobuf_page.va;

	m->gpa = a->gpa;
	m->value = dir == HAX_FASTMMIO_WRITE ? a->val : 0;
	m->size = a->size;
	m->direction = dir;
	m->reg_index = 0;
	m->pad0 = 0;
	c->t->_exit_status = HAX_EXIT_FAST_MMIO;
}

static int mmio_read(struct emu *e, u64 gpa, u8 *buf, u32 size)
{
	struct emu_ctx *c = ctx(e);
	struct vcpu_emu *ve = &c->v->emu;

	if (c->pio && !c->str_mmio)
		return EMU_UNHANDLED;
	/* the in-kernel xAPIC page: no exit (its reads have no side effects) */
	if (!vcpu_lapic_mmio(c->v, gpa, buf, size, false))
		return EMU_OK;
	while (size) {
		u32 n = size > 8 ? 8 : size;
		struct vcpu_mmio_access *a;

		if (c->nread >= VCPU_EMU_PIECES)
			return EMU_UNHANDLED;
		a = &ve->rd[c->nread];
		if (c->nread == ve->nread) { /* not answered yet: ask */
			a->gpa = gpa;
			a->size = n;
			ve->pending = VCPU_EMU_WAIT_MMIO;
			fastmmio_exit(c, a, HAX_FASTMMIO_READ);
			return EMU_IO;
		}
		if (a->gpa != gpa || a->size != n)
			return EMU_UNHANDLED; /* the instruction changed under us */
		__builtin_memcpy(buf, &a->val, n);
		c->nread++;
		gpa += n, buf += n, size -= n;
	}
	return EMU_OK;
}

static int mmio_write(struct emu *e, u64 gpa, const u8 *buf, u32 size)
{
	struct emu_ctx *c = ctx(e);

	if (c->pio && !c->str_mmio)
		return EMU_UNHANDLED;
	/*
	 * The in-kernel xAPIC page, written at once: an instruction writing
	 * MMIO has no access after its write (the emulator's rule above).
	 */
	if (!vcpu_lapic_mmio(c->v, gpa, (void *)buf, size, true))
		return EMU_OK;
	while (size) {
		u32 n = size > 8 ? 8 : size;
		struct vcpu_mmio_access *a;

		if (c->nwrite >= VCPU_EMU_PIECES)
			return EMU_UNHANDLED;
		a = &c->v->emu.wr[c->nwrite];
		a->gpa = gpa;
		a->size = n;
		a->val = 0;
		__builtin_memcpy(&a->val, buf, n);
		c->nwrite++;
		gpa += n, buf += n, size -= n;
	}
	return EMU_OK;
}

/* [la, +size) by page: each piece's guest-physical address, length, kind. */
struct pieces {
	u64 gpa[2], uva[2];
	u32 len[2], n;
	int kind[2]; /* ram_lookup()'s; 1 for the in-kernel xAPIC page too */
};

/*
 * Translate every page of [@la, +@size) and find where each lives, before
 * any is touched: a #PF on a later page comes before any write.
 */
static int map_pieces(struct emu *e, u64 la, u32 size, bool write, bool fetch, struct pieces *p)
{
	u32 acc = write ? HAX_PAGEFAULT_ACC_W : fetch ? HAX_PAGEFAULT_ACC_X : HAX_PAGEFAULT_ACC_R;
	u32 i, done = 0;
	int r;

	p->n = 0;
	while (done < size) {
		u32 room = 4096 - ((la + done) & 4095);

		if (p->n == 2)
			return EMU_UNHANDLED;
		p->len[p->n] = size - done < room ? size - done : room;
		r = emu_translate(e, la + done, write, fetch, &p->gpa[p->n], read_pte);
		if (r)
			return r;
		done += p->len[p->n++];
	}
	for (i = 0; i < p->n; i++) { /* every piece allowed before any is touched */
		/* the in-kernel xAPIC page claims its accesses (SDM 11.4.1) */
		if (!fetch && vcpu_lapic_page(ctx(e)->v, p->gpa[i]))
			p->kind[i] = 1;
		else
			p->kind[i] = ram_lookup(e, p->gpa[i], acc, &p->uva[i]);
		if (p->kind[i] == 2)
			return EMU_IO; /* a PAGEFAULT exit */
		if (p->kind[i] && fetch)
			return EMU_UNHANDLED; /* executing from MMIO */
	}
	return EMU_OK;
}

static int access(struct emu *e, u64 la, u8 *buf, u32 size, bool write, bool fetch)
{
	struct pieces p;
	u32 i;
	int r = map_pieces(e, la, size, write, fetch, &p);

	if (r)
		return r;
	for (i = 0; i < p.n; i++) {
		if (!p.kind[i]) {
			r = ram_copy(p.uva[i], buf, p.len[i], write);
			/* a guest write, in the dirty log once it is in memory */
			if (!r && write)
				vm_dirty_mark(ctx(e)->v->vm, p.gpa[i]);
		} else if (write)
			r = mmio_write(e, p.gpa[i], buf, p.len[i]);
		else
			r = mmio_read(e, p.gpa[i], buf, p.len[i]);
		if (r < 0)
			return host_error(e, r);
		if (r)
			return r;
		buf += p.len[i];
	}
	return EMU_OK;
}

/* The memory side of INS/OUTS: MMIO (or ROM for INS) takes one element a step. */
static int op_mmio(struct emu *e, u64 la, u32 size, bool write, bool *mmio)
{
	struct pieces p;
	int r = map_pieces(e, la, size, write, false, &p);

	if (r)
		return r;
	*mmio = p.kind[0] || (p.n == 2 && p.kind[1]);
	ctx(e)->str_mmio = *mmio;
	return EMU_OK;
}

static int op_read(struct emu *e, u64 la, void *buf, u32 size, bool fetch)
{
	return access(e, la, buf, size, false, fetch);
}

static int op_write(struct emu *e, u64 la, const void *buf, u32 size)
{
	return access(e, la, (u8 *)buf, size, true, false);
}

static void pio_exit(struct emu *e, u16 port, u32 size, u32 count, u8 dir)
{
	struct hax_tunnel *t = ctx(e)->t;

	t->io._direction = dir;
	t->io._df = !!(e->s.rflags & EMU_DF);
	t->io._size = size;
	t->io._port = port;
	t->io._count = count;
	t->io._flags = HAX_IO_FLAG_STRING;
	t->io._pad0 = 0;
	t->io._pad1 = 0;
	t->io._pad2 = 0;
	t->io._vaddr = 0;
	t->_exit_status = HAX_EXIT_IO;
}

/*
 * INS/OUTS of @count elements of @size bytes at @port, the data in the I/O
 * buffer (the lowest address first): when the port is the in-kernel ISA
 * devices', carry them out in the instruction's order (highest address
 * first with EFLAGS.DF) and return true. An INS whose memory write then
 * faults runs again after the fault, reading again (a latch read twice).
 */
static bool pio_kernel(struct emu *e, u16 port, u32 size, u32 count, bool in)
{
	struct vcpu *v = ctx(e)->v;
	bool down = e->s.rflags & EMU_DF;
	u8 *p;
	u32 i, val;

	if (!v->vm->pic && !v->vm->pit)
		return false;
	for (i = 0; i < count; i++) {
		p = e->iobuf + (down ? count - 1 - i : i) * size;
		val = 0;
		if (!in)
			__builtin_memcpy(&val, p, size);
		/* the port is the same for every element: only the first can refuse */
		if (vcpu_isa_pio(v, port, size, in, &val))
			return false;
		if (in)
			__builtin_memcpy(p, &val, size);
	}
	return true;
}

static int op_pio_in(struct emu *e, u16 port, u32 size, u32 count)
{
	struct vcpu_emu *ve = &ctx(e)->v->emu;

	ctx(e)->pio = true;
	if (!ve->pio_ready && pio_kernel(e, port, size, count, true))
		return EMU_OK;
	if (ve->pio_ready) {
		if (ve->pio_port != port || ve->pio_count != count)
			return EMU_UNHANDLED;
		return EMU_OK;
	}
	ve->pio_port = port;
	ve->pio_count = count;
	ve->pending = VCPU_EMU_WAIT_PIO;
	pio_exit(e, port, size, count, HAX_IO_IN);
	return EMU_IO;
}

static int op_pio_out(struct emu *e, u16 port, u32 size, u32 count)
{
	ctx(e)->pio = true;
	if (pio_kernel(e, port, size, count, false))
		return EMU_OK;
	ctx(e)->pio_out = true;
	pio_exit(e, port, size, count, HAX_IO_OUT);
	return EMU_OK;
}

/*
 * The guest's MMX/XMM/YMM registers. During a RUN they are the thread's own
 * (os_fpu_enter()), so they are read and written in the CPU itself, with
 * preemption and softirqs off so that no host code saves or replaces them
 * in between (os_fpu_regs_get()); the host's XCR0 is loaded while exits are
 * handled, and it enables AVX whenever a guest's XCR0 may (VEX.256 forms
 * raise #UD before this unless the guest's XCR0 has AVX).
 */
struct vec16 {
	u8 b[16];
};
struct vec32 {
	u8 b[32];
};

/* One switch over (kind, register): kind 0 MM, 2 XMM, 4 YMM; +1 writes it. */
#define MMX_REGS(X) X(0) X(1) X(2) X(3) X(4) X(5) X(6) X(7)
#define VEC_REGS(X) \
	X(0) X(1) X(2) X(3) X(4) X(5) X(6) X(7) X(8) X(9) X(10) X(11) X(12) X(13) X(14) X(15)
#define MM_RD(n)                                                         \
	case 0 * 16 + n:                                                 \
		asm volatile("movq %%mm" #n ", %0" : "=m"(*(u64 *)buf)); \
		break;
#define MM_WR(n)                                                       \
	case 1 * 16 + n:                                               \
		asm volatile("movq %0, %%mm" #n : : "m"(*(u64 *)buf)); \
		break;
#define XMM_RD(n)                                                                    \
	case 2 * 16 + n:                                                             \
		asm volatile("movdqu %%xmm" #n ", %0" : "=m"(*(struct vec16 *)buf)); \
		break;
#define XMM_WR(n)                                                                  \
	case 3 * 16 + n:                                                           \
		asm volatile("movdqu %0, %%xmm" #n : : "m"(*(struct vec16 *)buf)); \
		break;
#define YMM_RD(n)                                                                     \
	case 4 * 16 + n:                                                              \
		asm volatile("vmovdqu %%ymm" #n ", %0" : "=m"(*(struct vec32 *)buf)); \
		break;
#define YMM_WR(n)                                                                   \
	case 5 * 16 + n:                                                            \
		asm volatile("vmovdqu %0, %%ymm" #n : : "m"(*(struct vec32 *)buf)); \
		break;

static void vec_move(u32 kind, u32 idx, void *buf)
{
	os_fpu_regs_get();
	switch (kind * 16 + idx) {
		MMX_REGS(MM_RD)
		MMX_REGS(MM_WR)
		VEC_REGS(XMM_RD)
		VEC_REGS(XMM_WR)
		VEC_REGS(YMM_RD)
		VEC_REGS(YMM_WR)
	}
	os_fpu_regs_put();
}

static u32 vec_kind(u32 size)
{
	return size == 8 ? 0 : size == 16 ? 2 : 4;
}

static void op_vec_read(struct emu *e, u32 idx, void *buf, u32 size)
{
	vec_move(vec_kind(size), idx, buf);
}

static void op_vec_write(struct emu *e, u32 idx, const void *buf, u32 size)
{
	vec_move(vec_kind(size) + 1, idx, (void *)buf);
}

/* The guest's x87 status word; FNSTSW raises no pending exception. */
static u16 op_fpu_sw(struct emu *e)
{
	u16 sw;

	os_fpu_regs_get();
	asm volatile("fnstsw %0" : "=m"(sw));
	os_fpu_regs_put();
	return sw;
}

static void emu_seg_get(struct emu_seg *to, int which)
{
	segment_desc_t seg;

	vmcs_guest_seg(which, &seg);
	to->base = seg.base;
	to->limit = seg.limit;
	to->ar = seg.ar;
	to->sel = seg.selector;
}

static void emu_seg_put(int which, const struct emu_seg *from)
{
	segment_desc_t seg = { .selector = from->sel, .limit = from->limit, .base = from->base };

	seg.ar = from->ar;
	vmcs_set_guest_seg(which, &seg);
}

/* GDTR, IDTR, LDTR and TR, which the snapshot leaves out (SGDT SIDT SLDT...). */
static int op_sys_read(struct emu *e, struct emu_sys *s)
{
	int r;

	os_preempt_disable();
	r = vmx_vcpu_load(ctx(e)->v);
	if (!r) {
		s->gdt_base = vmcs_readl(GUEST_GDTR_BASE);
		s->gdt_limit = vmcs_read32(GUEST_GDTR_LIMIT);
		s->idt.base = vmcs_readl(GUEST_IDTR_BASE);
		s->idt.limit = vmcs_read32(GUEST_IDTR_LIMIT);
		emu_seg_get(&s->ldtr, SEG_LDTR);
		emu_seg_get(&s->tr, SEG_TR);
		if (vmx_take_error())
			r = -EIO;
	}
	os_preempt_enable();
	return r ? host_error(e, r) : EMU_OK;
}

/* A segment register the snapshot left out (emu_state.seg_lazy). */
static int op_seg_read(struct emu *e, int seg, struct emu_seg *to)
{
	int r;

	os_preempt_disable();
	r = vmx_vcpu_load(ctx(e)->v);
	if (!r) {
		emu_seg_get(to, seg);
		if (vmx_take_error())
			r = -EIO;
	}
	os_preempt_enable();
	return r ? host_error(e, r) : EMU_OK;
}

static const struct emu_ops vcpu_emu_ops = {
	.read = op_read,
	.write = op_write,
	.pio_in = op_pio_in,
	.pio_out = op_pio_out,
	.mmio = op_mmio,
	.vec_read = op_vec_read,
	.vec_write = op_vec_write,
	.fpu_sw = op_fpu_sw,
	.sys_read = op_sys_read,
	.seg_read = op_seg_read,
};

/* The emulator's segments are the VMCS's first six, in the same order. */
_Static_assert((int)EMU_ES == SEG_ES && (int)EMU_CS == SEG_CS && (int)EMU_SS == SEG_SS &&
		       (int)EMU_DS == SEG_DS && (int)EMU_FS == SEG_FS && (int)EMU_GS == SEG_GS &&
		       (int)EMU_NSEG == SEG_LDTR,
	       "segment order");

/*
 * The guest's state into @e, only what the emulator reads; -EIO if a VMX
 * instruction failed, 1 mid-event. CS (the mode, the fetch) and SS (CPL,
 * the stack) always; ES, DS, FS and GS when the instruction uses them
 * (op_seg_read()): an MMIO access in 64-bit mode reads none of them but
 * for an FS or GS override, which saves 16 VMREADs an access.
 */
static int snapshot(struct vcpu *v, struct emu *e)
{
	struct emu_state *s = &e->s;
	int r;

	os_preempt_disable();
	r = vmx_vcpu_load(v);
	if (r)
		goto out;
	/* An exit while delivering an event is not the instruction's. */
	if (vmcs_read32(IDT_VECTORING_INFO) & INTR_INFO_VALID)
		r = 1;
	__builtin_memcpy(s->gpr, v->regs, sizeof(s->gpr));
	s->gpr[HAX_REG_RSP] = vmcs_readl(GUEST_RSP);
	s->rip = vmcs_readl(GUEST_RIP);
	s->rflags = vmcs_readl(GUEST_RFLAGS);
	emu_seg_get(&s->seg[EMU_CS], SEG_CS);
	emu_seg_get(&s->seg[EMU_SS], SEG_SS);
	s->seg_lazy = (1u << EMU_ES) | (1u << EMU_DS) | (1u << EMU_FS) | (1u << EMU_GS);
	s->cr0 = vmcs_guest_cr0();
	s->cr3 = vmcs_readl(GUEST_CR3);
	s->cr4 = vmcs_guest_cr4();
	s->efer = (u32)vmcs_read64(GUEST_IA32_EFER);
	if (vmx_take_error())
		r = -EIO;
out:
	os_preempt_enable();
	s->xcr0 = v->xcr0;
	s->cpl = (s->cr0 & HAX_CR0_PE) ? (s->seg[EMU_SS].ar >> 5) & 3 : 0;
	return r;
}

/* Write the retired instruction's registers back, or deliver its fault. */
static int commit(struct vcpu *v, struct emu *e, bool fault)
{
	int r, i;

	os_preempt_disable();
	r = vmx_vcpu_load(v);
	if (!r && fault) {
		bool code = e->exc_has_err;

		if (e->exc_vec == EMU_VEC_PF)
			v->cr2 = e->exc_cr2;
		vmx_inject_exception(v, e->exc_vec, code, e->exc_err);
	} else if (!r) {
		u32 intr = vmcs_read32(GUEST_INTERRUPTIBILITY);
		u64 rflags = vmcs_readl(GUEST_RFLAGS);

		for (i = 0; i < HAX_NR_GPRS; i++)
			if (i != HAX_REG_RSP)
				v->regs[i] = e->s.gpr[i];
		vmcs_writel(GUEST_RSP, e->s.gpr[HAX_REG_RSP]);
		vmcs_writel(GUEST_RIP, e->s.rip);
		vmcs_writel(GUEST_RFLAGS, e->s.rflags);
		/*
		 * Retired: STI/MOV SS blocking ends (SDM 24.4.2), unless it was
		 * a MOV SS, which blocks interrupts and debug traps until the
		 * next instruction retires (SDM 6.8.3): its single-step trap is
		 * then a pending debug exception, delivered after that one
		 * (VM entry requires BS with TF and MOV SS blocking, SDM
		 * 26.3.1.5).
		 */
		intr &= ~(GUEST_INTR_STI | GUEST_INTR_MOVSS);
		if (e->s.sys_dirty & EMU_SYS_MOVSS) {
			intr |= GUEST_INTR_MOVSS;
			if (e->s.rflags & HAX_RFLAGS_TF)
				vmcs_writel(GUEST_PENDING_DBG_EXCEPTIONS,
					    vmcs_readl(GUEST_PENDING_DBG_EXCEPTIONS) | DR6_BS);
		}
		vmcs_write32(GUEST_INTERRUPTIBILITY, intr);
		/* LGDT, LIDT, LLDT, LTR, MOV and POP Sreg, far JMP and CALL */
		if (e->s.sys_dirty & EMU_SYS_GDTR) {
			vmcs_writel(GUEST_GDTR_BASE, e->s.gdtr.base);
			vmcs_write32(GUEST_GDTR_LIMIT, e->s.gdtr.limit);
		}
		if (e->s.sys_dirty & EMU_SYS_IDTR) {
			vmcs_writel(GUEST_IDTR_BASE, e->s.idtr.base);
			vmcs_write32(GUEST_IDTR_LIMIT, e->s.idtr.limit);
		}
		if (e->s.sys_dirty & EMU_SYS_LDTR)
			emu_seg_put(SEG_LDTR, &e->s.ldtr);
		if (e->s.sys_dirty & EMU_SYS_TR)
			emu_seg_put(SEG_TR, &e->s.tr);
		for (i = 0; i < EMU_NSEG; i++)
			if (e->s.sys_dirty & EMU_SYS_SEG(i))
				emu_seg_put(i, &e->s.seg[i]);
		if (!(e->s.sys_dirty & EMU_SYS_MOVSS))
			vmx_step_trap(v, rflags);
	}
	if (!r && vmx_take_error())
		r = -EIO;
	os_preempt_enable();
	return r;
}

static void send_write(struct vcpu *v, struct hax_tunnel *t)
{
	struct emu_ctx c = { .v = v, .t = t };

	fastmmio_exit(&c, &v->emu.wr[v->emu.wdone++], HAX_FASTMMIO_WRITE);
}

int vcpu_emulate(struct vcpu *v, struct hax_tunnel *t)
{
	struct emu_ctx c = { .v = v, .t = t };
	struct emu *e = &v->emu_insn;
	int r, i;

	e->ops = &vcpu_emu_ops;
	e->ctx = &c;
	e->iobuf = v->iobuf_page.va;
	r = snapshot(v, e);
	if (r < 0)
		return r;
	if (r) {
		e->fetched = 0;
		goto unhandled;
	}
	r = emu_step(e);
	if (r == EMU_IO && c.pf_flags) {
		/*
		 * A protected page: user space learns it as the CPU's own access
		 * would report it; after RUN the guest executes the instruction
		 * again (MMIO reads it made are asked again).
		 */
		v->emu = (struct vcpu_emu){ 0 };
		t->pagefault.gpa = c.pf_gpa;
		t->pagefault.flags = c.pf_flags;
		t->pagefault.reserved1 = 0;
		t->pagefault.reserved2 = 0;
		t->_exit_status = HAX_EXIT_PAGEFAULT;
		return EXIT_TO_USER;
	}
	if (r == EMU_IO)
		return EXIT_TO_USER;
	if (r != EMU_OK && r != EMU_EXCEPTION)
		goto unhandled;
	v->emu.nread = 0;
	v->emu.pio_ready = false;
	r = commit(v, e, r == EMU_EXCEPTION);
	if (r)
		return r;
	for (i = 0; i < c.nwrite; i++)
		vmx_tpr_mmio_write(v, v->emu.wr[i].gpa, v->emu.wr[i].size);
	v->emu.nwrite = c.nwrite;
	v->emu.wdone = 0;
	if (c.nwrite) {
		send_write(v, t);
		return EXIT_TO_USER;
	}
	return c.pio_out ? EXIT_TO_USER : EXIT_RESUME;
unhandled:
	v->emu = (struct vcpu_emu){ 0 };
	if (c.err)
		return c.err;
	/* e->insn holds an earlier instruction's bytes past those fetched */
	__builtin_memset(e->insn + e->fetched, 0, sizeof(e->insn) - e->fetched);
	os_log_ratelimited(HAX_LOG_WARN,
			   "vm%u vcpu%u: cannot emulate %02x %02x %02x %02x at rip 0x%llx\n",
			   v->vm->id, v->id, e->insn[0], e->insn[1], e->insn[2], e->insn[3],
			   (unsigned long long)e->s.rip);
	return vmx_statechange(v, t);
}

int vcpu_mmio(struct vcpu *v, struct hax_tunnel *t, u64 gpa)
{
	/* the VMM sees the TPR before the access (the guest repeats it) */
	if (vcpu_tpr_dirty(v))
		return vcpu_tpr_sync(v, t);
	return vcpu_emulate(v, t);
}

int vcpu_mmio_exit(struct vcpu *v, struct hax_tunnel *t, u64 gpa, u64 val, u8 size, bool write)
{
	struct emu_ctx c = { .v = v, .t = t };
	struct vcpu_emu *ve = &v->emu;

	if (write) {
		ve->wr[0] = (struct vcpu_mmio_access){ .gpa = gpa, .val = val, .size = size };
		ve->nwrite = 1;
		ve->wdone = 0;
		send_write(v, t);
	} else {
		ve->rd[0] = (struct vcpu_mmio_access){ .gpa = gpa, .size = size };
		ve->pending = VCPU_EMU_WAIT_CR8;
		fastmmio_exit(&c, &ve->rd[0], HAX_FASTMMIO_READ);
	}
	return EXIT_TO_USER;
}

int vcpu_emu_continue(struct vcpu *v, struct hax_tunnel *t)
{
	struct vcpu_emu *ve = &v->emu;
	const struct hax_fastmmio *m = v->iobuf_page.va;

	if (ve->wdone < ve->nwrite) {
		send_write(v, t);
		return EXIT_TO_USER;
	}
	ve->nwrite = ve->wdone = 0;
	switch (ve->pending) {
	case VCPU_EMU_WAIT_MMIO:
		/* user space's answer, read once */
		ve->rd[ve->nread].val = __atomic_load_n(&m->value, __ATOMIC_RELAXED);
		ve->nread++;
		break;
	case VCPU_EMU_WAIT_PIO:
		ve->pio_ready = true;
		break;
	case VCPU_EMU_WAIT_CR8:
		ve->pending = VCPU_EMU_WAIT_NONE;
		return vmx_cr8_read_done(v, __atomic_load_n(&m->value, __ATOMIC_RELAXED));
	default:
		return EXIT_RESUME;
	}
	ve->pending = VCPU_EMU_WAIT_NONE;
	return vcpu_emulate(v, t);
}
