// SPDX-License-Identifier: GPL-2.0
/*
 * The guest page walk the emulator's memory accesses go through: 32-bit
 * paging with 4 MiB pages (SDM 4.3), PAE (4.4) and 4-level paging (4.5),
 * with the access-rights checks of SDM 4.6 and the #PF error code of 4.7.
 */
#include "emulate.h"

#define PTE_P	  1ULL
#define PTE_W	  2ULL
#define PTE_U	  4ULL
#define PTE_PS	  0x80ULL
#define PTE_XD	  (1ULL << 63)
#define ADDR_MASK 0x000ffffffffff000ULL

static int page_fault(struct emu *e, u64 la, u32 code)
{
	e->exc_cr2 = la;
	return emu_raise(e, EMU_VEC_PF, code);
}

int emu_translate(struct emu *e, u64 la, bool write, bool fetch, u64 *gpa,
		  int (*read_pte)(struct emu *e, u64 gpa, u64 *pte, u32 size))
{
	bool user = e->s.cpl == 3, nxe = e->s.efer & (1ULL << 11);
	bool wp = e->s.cr0 & (1ULL << 16), lma = e->s.efer & (1ULL << 10);
	u32 code = (write ? EMU_PF_W : 0) | (user ? EMU_PF_U : 0);
	u64 table, pte = 0, allow_w = PTE_W, allow_u = PTE_U, xd = 0, page_mask;
	int levels, level, r;
	u32 esz;

	if (!(e->s.cr0 & (1ULL << 31))) {
		*gpa = la & 0xffffffffULL;
		return EMU_OK;
	}
	if (fetch && (nxe || (e->s.cr4 & (1ULL << 20))))
		code |= EMU_PF_I;
	if (lma) {
		levels = 4, esz = 8;
		table = e->s.cr3 & ADDR_MASK;
	} else if (e->s.cr4 & (1ULL << 5)) { /* PAE: the PDPTE first */
		levels = 2, esz = 8;
		r = read_pte(e, (e->s.cr3 & 0xffffffe0ULL) + ((la >> 30) & 3) * 8, &pte, 8);
		if (r)
			return r;
		if (!(pte & PTE_P))
			return page_fault(e, la, code);
		table = pte & ADDR_MASK;
	} else {
		levels = 2, esz = 4;
		table = e->s.cr3 & 0xfffff000ULL;
	}
	for (level = levels; level >= 1; level--) {
		u32 shift = 12 + (level - 1) * (esz == 8 ? 9 : 10);
		u64 idx = (la >> shift) & (esz == 8 ? 511 : 1023);

		pte = 0;
		r = read_pte(e, table + idx * esz, &pte, esz);
		if (r)
			return r;
		if (!(pte & PTE_P))
			return page_fault(e, la, code);
		allow_w &= pte;
		allow_u &= pte;
		if (esz == 8 && nxe)
			xd |= pte & PTE_XD;
		if (level == 1)
			break;
		if ((pte & PTE_PS) &&
		    (level == 2 || (level == 3 && lma) || (esz == 4 && (e->s.cr4 & (1ULL << 4))))) {
			page_mask = (1ULL << shift) - 1;
			if (esz == 4) /* PSE-36: bits 13+ give address bits 32+ */
				*gpa = (pte & 0xffc00000ULL) | ((pte & 0x1fe000ULL) << 19);
			else
				*gpa = pte & ADDR_MASK & ~page_mask;
			*gpa |= la & page_mask;
			goto check;
		}
		table = pte & (esz == 8 ? ADDR_MASK : 0xfffff000ULL);
	}
	*gpa = (pte & (esz == 8 ? ADDR_MASK : 0xfffff000ULL)) | (la & 4095);
check:
	code |= EMU_PF_P;
	if (user && !allow_u)
		return page_fault(e, la, code);
	if (write && !allow_w && (user || wp))
		return page_fault(e, la, code);
	if (fetch && xd)
		return page_fault(e, la, code);
	/* SMEP: supervisor fetch from a user page (SDM 4.6.1) */
	if (fetch && !user && allow_u && (e->s.cr4 & (1ULL << 20)))
		return page_fault(e, la, code);
	return EMU_OK;
}
