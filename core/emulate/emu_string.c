// SPDX-License-Identifier: GPL-2.0
/*
 * String instructions (SDM Vol. 2: MOVS, CMPS, STOS, LODS, SCAS, INS, OUTS;
 * REP prefixes). Memory string instructions run one iteration per step and
 * leave RIP on the instruction while iterations remain, so the guest
 * executes it again (taking interrupts in between, as the CPU does). INS and
 * OUTS move as many elements as fit in one guest page and the 4 KiB I/O
 * buffer in one step when their memory is RAM, one element per step when it
 * is MMIO (each an I/O exit and an MMIO access of the element's size).
 */
#include "emu_priv.h"

#define RAX 0
#define RCX 1
#define RDX 2
#define RSI 6
#define RDI 7

/* The element count to run now: 1 without REP, else RCX (address-sized). */
static u64 rep_count(struct emu *e, struct emu_insn *in)
{
	return in->rep ? emu_trunc(e->s.gpr[RCX], in->adsz) : 1;
}

static void advance(struct emu *e, struct emu_insn *in, int idx, u64 bytes)
{
	u64 v = (e->s.rflags & EMU_DF) ? e->s.gpr[idx] - bytes : e->s.gpr[idx] + bytes;

	emu_set_reg(e, in, idx, in->adsz, v);
}

/* After @n iterations: count down RCX; more to do unless it reached 0. */
static void rep_done(struct emu *e, struct emu_insn *in, u64 n, bool stop)
{
	if (!in->rep)
		return;
	emu_set_reg(e, in, RCX, in->adsz, e->s.gpr[RCX] - n);
	in->again = !stop && emu_trunc(e->s.gpr[RCX], in->adsz) != 0;
}

/*
 * Whether linear [@la, +@bytes) of INS (@write) or OUTS has memory that is
 * not RAM (ops->mmio()): 1 or 0, or minus the EMU_* result of a fault.
 */
static int mem_is_mmio(struct emu *e, u64 la, u32 bytes, bool write)
{
	bool mmio = false;
	int r;

	if (!e->ops->mmio)
		return 0;
	r = e->ops->mmio(e, la, bytes, write, &mmio);
	return r ? -r : mmio;
}

static int string_io(struct emu *e, struct emu_insn *in, u32 size, u64 count)
{
	bool out = in->op >= 0x6e, down = e->s.rflags & EMU_DF;
	int idx = out ? RSI : RDI, seg = out ? (in->seg >= 0 ? in->seg : EMU_DS) : EMU_ES;
	u64 off = emu_trunc(e->s.gpr[idx], in->adsz), la, first, room;
	u16 port = e->s.gpr[RDX];
	u8 *buf = e->iobuf;
	u32 bytes;
	int r;

	/* stay within the page of the first element and the I/O buffer */
	r = emu_linear(e, in, seg, off, size, !out, &la);
	if (r)
		return r;
	room = down ? (la & 4095) / size + 1 : (4096 - (la & 4095)) / size;
	if (!room)
		room = 1;
	if (count > room)
		count = room;
	if (count > 4096 / size)
		count = 4096 / size;
	bytes = count * size;
	first = down ? off - bytes + size : off;
	if (in->adsz < 8 && first + bytes - 1 > emu_trunc(~0ULL, in->adsz))
		count = 1, bytes = size, first = off; /* the offset wraps: one at a time */
	/* MMIO: one element per step, its port and memory accesses in order */
	r = mem_is_mmio(e, emu_trunc(la - (off - first), in->mode == 8 ? 8 : 4), bytes, !out);
	if (r < 0)
		return -r;
	if (r)
		count = 1, bytes = size, first = off;
	if (out) {
		r = emu_mem_read(e, in, seg, emu_trunc(first, in->adsz), buf, bytes);
		if (!r)
			r = e->ops->pio_out(e, port, size, count);
	} else {
		r = e->ops->pio_in(e, port, size, count);
		if (!r)
			r = emu_mem_write(e, in, seg, emu_trunc(first, in->adsz), buf, bytes);
	}
	if (r)
		return r;
	advance(e, in, idx, bytes);
	rep_done(e, in, count, false);
	return EMU_OK;
}

int emu_string(struct emu *e, struct emu_insn *in)
{
	u32 size = (in->op & 1) ? (in->op < 0x70 && in->opsz == 8 ? 4 : in->opsz) : 1;
	int src = in->seg >= 0 ? in->seg : EMU_DS;
	u64 count = rep_count(e, in), a = 0, b = 0;
	u64 si = emu_trunc(e->s.gpr[RSI], in->adsz), di = emu_trunc(e->s.gpr[RDI], in->adsz);
	bool stop = false;
	int r = EMU_OK;

	if (!count)
		return EMU_OK; /* REP with RCX = 0: nothing */
	if (in->op < 0x70)
		return string_io(e, in, size, count);
	switch (in->op) {
	case 0xa4:
	case 0xa5: /* MOVS */
		r = emu_mem_read(e, in, src, si, &a, size);
		if (!r)
			r = emu_mem_write(e, in, EMU_ES, di, &a, size);
		break;
	case 0xa6:
	case 0xa7: /* CMPS: [RSI] - [RDI] */
		r = emu_mem_read(e, in, src, si, &a, size);
		if (!r)
			r = emu_mem_read(e, in, EMU_ES, di, &b, size);
		if (!r)
			emu_alu(EMU_OP_CMP, a, b, 0, size, &e->s.rflags, NULL);
		break;
	case 0xaa:
	case 0xab: /* STOS */
		a = emu_get_reg(e, in, RAX, size);
		r = emu_mem_write(e, in, EMU_ES, di, &a, size);
		break;
	case 0xac:
	case 0xad: /* LODS */
		r = emu_mem_read(e, in, src, si, &a, size);
		if (!r)
			emu_set_reg(e, in, RAX, size, a);
		break;
	case 0xae:
	case 0xaf: /* SCAS: RAX - [RDI] */
		r = emu_mem_read(e, in, EMU_ES, di, &b, size);
		if (!r)
			emu_alu(EMU_OP_CMP, emu_get_reg(e, in, RAX, size), b, 0, size, &e->s.rflags,
				NULL);
		break;
	}
	if (r)
		return r;
	if (in->op <= 0xa7 || in->op == 0xac || in->op == 0xad)
		advance(e, in, RSI, size);
	if (in->op != 0xac && in->op != 0xad)
		advance(e, in, RDI, size);
	if (in->op == 0xa6 || in->op == 0xa7 || in->op == 0xae || in->op == 0xaf)
		stop = (in->rep == 0xf3) != !!(e->s.rflags & EMU_ZF);
	rep_done(e, in, 1, stop);
	return EMU_OK;
}
