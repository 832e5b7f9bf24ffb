// SPDX-License-Identifier: GPL-2.0
/*
 * The emulator's decoder (SDM Vol. 2 ch. 2: prefixes, REX, ModRM, SIB,
 * displacement) and its segmented memory access (SDM Vol. 3 ch. 3 and 5:
 * limit checks, canonical checks, alignment checks).
 */
#include "emu_priv.h"

int emu_raise(struct emu *e, u8 vec, s64 err)
{
	e->exc_vec = vec;
	e->exc_has_err = err >= 0;
	e->exc_err = err >= 0 ? (u32)err : 0;
	return EMU_EXCEPTION;
}

u64 emu_get_reg(struct emu *e, const struct emu_insn *in, int idx, u32 size)
{
	if (size == 1 && !in->rex && idx >= 4 && idx < 8)
		return (e->s.gpr[idx - 4] >> 8) & 0xff;
	return emu_trunc(e->s.gpr[idx], size);
}

void emu_set_reg(struct emu *e, const struct emu_insn *in, int idx, u32 size, u64 val)
{
	u64 *r;

	if (size == 1 && !in->rex && idx >= 4 && idx < 8) {
		r = &e->s.gpr[idx - 4];
		*r = (*r & ~0xff00ULL) | ((val & 0xff) << 8);
		return;
	}
	r = &e->s.gpr[idx];
	if (size == 8)
		*r = val;
	else if (size == 4)
		*r = (u32)val; /* 32-bit results zero-extend (SDM 3.4.1.1) */
	else
		*r = (*r & ~emu_trunc(~0ULL, size)) | emu_trunc(val, size);
}

static u64 cs_rip_la(struct emu *e, u32 off)
{
	u64 rip = e->s.rip + off;

	if (!(e->s.efer & (1ULL << 10)) || !(e->s.seg[EMU_CS].ar & EMU_AR_L))
		return (e->s.seg[EMU_CS].base + (u32)rip) & 0xffffffffULL;
	return rip;
}

int emu_fetch_first(struct emu *e)
{
	u64 la = cs_rip_la(e, 0);
	u32 n = 4096 - (la & 4095);
	int r;

	if (n > 15)
		n = 15;
	r = e->ops->read(e, la, e->insn, n, true);
	if (!r)
		e->fetched = n;
	return r;
}

int emu_fetch_more(struct emu *e, u32 size, u64 *val)
{
	int r;

	if (e->len + size > 15)
		return emu_raise(e, EMU_VEC_GP, 0);
	while (e->len + size > e->fetched) {
		/* to the end of the page, at most up to 15 bytes */
		u64 la = cs_rip_la(e, e->fetched);
		u32 n = 15 - e->fetched, room = 4096 - (la & 4095);

		if (n > room)
			n = room;
		r = e->ops->read(e, la, e->insn + e->fetched, n, true);
		if (r)
			return r;
		e->fetched += n;
	}
	return emu_fetch(e, size, val);
}

static int fetch8(struct emu *e, u8 *b)
{
	u64 v;
	int r = emu_fetch(e, 1, &v);

	*b = v;
	return r;
}

/*
 * VEX (SDM 2.3.5): C4 R X B mmmmm / W vvvv L pp, or C5 R vvvv L pp. Outside
 * 64-bit mode C4/C5 are LES/LDS unless the next byte has its top bits set.
 * VEX after 66, F2, F3, LOCK or REX is #UD.
 */
static int decode_vex(struct emu *e, struct emu_insn *in, u8 c)
{
	u8 b1, b2, rxb;
	int r = fetch8(e, &b1);

	if (r)
		return r;
	if (!(e->s.cr0 & 1) || (in->mode != 8 && (b1 & 0xc0) != 0xc0)) {
		e->len--; /* LES/LDS (always in real mode): not VEX */
		return EMU_OK;
	}
	in->vex = true;
	if (in->opsz_pfx || in->rep || in->lock || in->rex)
		return emu_raise(e, EMU_VEC_UD, -1);
	if (c == 0xc5) {
		rxb = (~b1 >> 5) & 4;
		in->map = 1;
		b2 = b1;
	} else {
		r = fetch8(e, &b2);
		if (r)
			return r;
		rxb = (~b1 >> 5) & 7;
		in->map = b1 & 0x1f;
		if (in->map < 1 || in->map > 3)
			return emu_raise(e, EMU_VEC_UD, -1);
	}
	if (in->mode == 8) /* VEX.W: C4 only */
		in->rex = 0x40 | rxb | ((c == 0xc4 && (b2 & 0x80)) ? 8 : 0);
	in->vvvv = (~b2 >> 3) & (in->mode == 8 ? 15 : 7);
	in->vex_pp = b2 & 3;
	in->vex_l = b2 & 4;
	in->adsz = in->mode == 8 ? (in->adsz ? 4 : 8) : ((in->adsz ? 6 : 0) ^ in->mode);
	in->opsz = (in->rex & 8) ? 8 : 4;
	r = fetch8(e, &in->op);
	return r;
}

int emu_decode_prefixes_opcode(struct emu *e, struct emu_insn *in)
{
	bool lma = e->s.efer & (1ULL << 10);
	u8 b;
	int r;

	if (lma && (e->s.seg[EMU_CS].ar & EMU_AR_L))
		in->mode = 8;
	else
		in->mode = (e->s.seg[EMU_CS].ar & EMU_AR_DB) ? 4 : 2;
	in->seg = -1;
	for (;;) {
		r = fetch8(e, &b);
		if (r)
			return r;
		switch (b) {
		case 0x26:
		case 0x2e:
		case 0x36:
		case 0x3e:
			/* ES CS SS DS overrides; ignored in 64-bit mode */
			if (in->mode != 8)
				in->seg = (b >> 3) & 3;
			in->rex = 0;
			continue;
		case 0x64:
		case 0x65:
			in->seg = b - 0x64 + EMU_FS;
			in->rex = 0;
			continue;
		case 0x66:
			in->opsz_pfx = true;
			in->rex = 0;
			continue;
		case 0x67:
			in->adsz = 1;
			in->rex = 0;
			continue;
		case 0xf0:
			in->lock = true;
			in->rex = 0;
			continue;
		case 0xf2:
		case 0xf3:
			in->rep = b;
			in->rex = 0;
			continue;
		}
		if (in->mode == 8 && (b & 0xf0) == 0x40) {
			in->rex = b; /* counts only right before the opcode */
			continue;
		}
		break;
	}
	if (b == 0xc4 || b == 0xc5) {
		r = decode_vex(e, in, b);
		if (r || in->vex)
			return r;
	}
	if (in->mode == 8)
		in->adsz = in->adsz ? 4 : 8;
	else
		in->adsz = (in->adsz ? 6 : 0) ^ in->mode; /* 67 toggles 2 <-> 4 */
	if (in->rex & 8)
		in->opsz = 8;
	else if (in->mode == 8)
		in->opsz = in->opsz_pfx ? 2 : 4;
	else
		in->opsz = in->opsz_pfx ? (6 ^ in->mode) : in->mode;
	if (b == 0x0f) {
		r = fetch8(e, &b);
		if (r)
			return r;
		in->map = 1;
		if (b == 0x38) {
			r = fetch8(e, &b);
			if (r)
				return r;
			in->map = 2;
		}
	}
	in->op = b;
	return EMU_OK;
}

/* 16-bit addressing (SDM Table 2-1). */
static int modrm16(struct emu *e, struct emu_insn *in)
{
	static const s8 base[8] = { 3, 3, 5, 5, 6, 7, 5, 3 },
			index[8] = { 6, 7, 6, 7, -1, -1, -1, -1 };
	u64 disp = 0, ea = 0;
	int r = 0;

	if (in->mod == 0 && in->rm == 6) {
		r = emu_fetch(e, 2, &disp);
		in->ea = disp & 0xffff;
		in->ea_seg = EMU_DS;
		return r;
	}
	if (in->mod == 1)
		r = emu_fetch(e, 1, &disp), disp = emu_sext(disp, 1);
	else if (in->mod == 2)
		r = emu_fetch(e, 2, &disp);
	if (r)
		return r;
	ea = e->s.gpr[base[in->rm & 7]];
	if (index[in->rm & 7] >= 0)
		ea += e->s.gpr[index[in->rm & 7]];
	in->ea = (ea + disp) & 0xffff;
	in->ea_seg = (base[in->rm & 7] == 5) ? EMU_SS : EMU_DS;
	return EMU_OK;
}

/* 32/64-bit addressing (SDM Tables 2-2, 2-3; RIP-relative: 2.2.1.6). */
static int modrm32(struct emu *e, struct emu_insn *in)
{
	u64 disp = 0, ea = 0, sib;
	int base = in->rm & 7, r;
	bool no_base = false;

	in->ea_seg = EMU_DS;
	if (base == 4) {
		int idx, b;

		r = emu_fetch(e, 1, &sib);
		if (r)
			return r;
		idx = ((sib >> 3) & 7) | ((in->rex & 2) << 2);
		b = (sib & 7) | ((in->rex & 1) << 3);
		if (idx != 4)
			ea = e->s.gpr[idx] << (sib >> 6);
		if ((sib & 7) == 5 && in->mod == 0) {
			no_base = true;
		} else {
			ea += e->s.gpr[b];
			in->base_rsp = b == 4;
			if ((b & 7) == 4 || (b & 7) == 5)
				in->ea_seg = EMU_SS;
		}
	} else if (base == 5 && in->mod == 0) {
		no_base = true;
		in->rip_rel = in->mode == 8;
	} else {
		ea = e->s.gpr[in->rm];
		if (base == 5)
			in->ea_seg = EMU_SS;
	}
	if (in->mod == 1) {
		r = emu_fetch(e, 1, &disp);
		disp = emu_sext(disp, 1);
	} else if (in->mod == 2 || no_base) {
		r = emu_fetch(e, 4, &disp);
		disp = emu_sext(disp, 4);
	} else {
		r = EMU_OK;
	}
	in->ea = ea + disp;
	return r;
}

int emu_decode_modrm(struct emu *e, struct emu_insn *in)
{
	u64 m;
	int r = emu_fetch(e, 1, &m);

	if (r)
		return r;
	in->has_modrm = true;
	in->mod = m >> 6;
	in->reg = ((m >> 3) & 7) | ((in->rex & 4) << 1);
	in->rm = (m & 7) | ((in->rex & 1) << 3);
	if (in->mod == 3)
		return EMU_OK;
	in->mem = true;
	r = in->adsz == 2 ? modrm16(e, in) : modrm32(e, in);
	if (!r && in->seg >= 0)
		in->ea_seg = in->seg;
	if (!r && in->adsz == 4)
		in->ea = (u32)in->ea;
	return r;
}

int emu_seg_load(struct emu *e, int seg)
{
	int r;

	if (!(e->s.seg_lazy & (1u << seg)))
		return EMU_OK;
	r = e->ops->seg_read(e, seg, &e->s.seg[seg]);
	if (!r)
		e->s.seg_lazy &= ~(1u << seg);
	return r;
}

int emu_linear(struct emu *e, const struct emu_insn *in, int seg, u64 off, u32 size, bool write,
	       u64 *la)
{
	const struct emu_seg *s = &e->s.seg[seg];
	u8 vec = seg == EMU_SS ? EMU_VEC_SS : EMU_VEC_GP;
	int r;

	/* 64-bit mode: only FS and GS have a base, no segment a limit (SDM 3.2.4) */
	if (in->mode != 8 || seg == EMU_FS || seg == EMU_GS) {
		r = emu_seg_load(e, seg);
		if (r)
			return r;
	}
	if (in->mode == 8) {
		u64 a = off + ((seg == EMU_FS || seg == EMU_GS) ? s->base : 0);

		if (!emu_canonical(a) || !emu_canonical(a + size - 1))
			return emu_raise(e, vec, 0);
		*la = a;
	} else {
		u64 last = off + size - 1;

		if (e->s.cr0 & 1) { /* protected mode: SDM 5.3, 5.4 */
			u32 type = s->ar & 15;

			if ((s->ar & EMU_AR_UNUSABLE) || !(s->ar & EMU_AR_P))
				return emu_raise(e, vec, 0);
			if (write && ((type & 8) || !(type & 2)))
				return emu_raise(e, vec, 0);
			if (!write && (type & 8) && !(type & 2))
				return emu_raise(e, vec, 0); /* execute-only code */
		}
		if ((e->s.cr0 & 1) && (s->ar & 15 & 12) == 4) { /* expand-down data */
			u64 top = (s->ar & EMU_AR_DB) ? 0xffffffffULL : 0xffff;

			if (off <= s->limit || last > top)
				return emu_raise(e, vec, 0);
		} else if (last > s->limit) {
			return emu_raise(e, vec, 0);
		}
		*la = (s->base + off) & 0xffffffffULL;
	}
	/* SDM 6.15 #AC: CR0.AM, RFLAGS.AC, CPL 3, unaligned */
	if ((e->s.cr0 & (1ULL << 18)) && (e->s.rflags & (1ULL << 18)) && e->s.cpl == 3 &&
	    size <= 8 && (*la & (size - 1)))
		return emu_raise(e, EMU_VEC_AC, 0);
	return EMU_OK;
}

int emu_mem_read(struct emu *e, const struct emu_insn *in, int seg, u64 off, void *buf, u32 size)
{
	u64 la;
	int r = emu_linear(e, in, seg, off, size, false, &la);

	return r ? r : e->ops->read(e, la, buf, size, false);
}

int emu_mem_write(struct emu *e, const struct emu_insn *in, int seg, u64 off, const void *buf,
		  u32 size)
{
	u64 la;
	int r = emu_linear(e, in, seg, off, size, true, &la);

	return r ? r : e->ops->write(e, la, buf, size);
}
