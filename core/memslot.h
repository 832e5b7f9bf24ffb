/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Guest memory: ramblocks (ranges of the VMM's address space registered as
 * guest RAM) and memslots (guest-physical ranges mapped onto ramblocks).
 * Pages are pinned lazily, on the first EPT violation that touches them, and
 * stay pinned until their ramblock goes away with the VM.
 */
#ifndef HAXM_CORE_MEMSLOT_H
#define HAXM_CORE_MEMSLOT_H

#include "os.h"

#define HAX_MAX_RAMBLOCKS 64
#define HAX_MAX_MEMSLOTS 256
/* The guest-physical address space we map: 52 bits (SDM 28.2.2, EPT). */
#define HAX_GPA_LIMIT (1ULL << 52)

struct ramblock {
	u64 uva;
	u64 size;
	void **pins; /* one handle a page, NULL while not pinned */
	u64 npinned;
};

struct memslot {
	u64 gfn;
	u64 npages;
	struct ramblock *rb;
	u64 rb_pgoff;
	u32 flags; /* HAX_RAM_INFO_ROM */
};

struct guest_mem {
	struct ramblock *rbs[HAX_MAX_RAMBLOCKS];
	int nr_rbs;
	struct memslot slots[HAX_MAX_MEMSLOTS]; /* sorted by gfn, disjoint */
	int nr_slots;
};

/*
 * ramblock_add() - register [@uva, @uva+@size) of the VMM as guest RAM.
 * Errors: -EINVAL (zero size, unaligned, wraps, beyond user space),
 * -EEXIST (overlaps a registered ramblock), -ENOSPC (too many), -ENOMEM.
 */
int ramblock_add(struct guest_mem *gm, u64 uva, u64 size);

/* ramblock_find() - the ramblock holding all of [@uva, @uva+@size), or NULL. */
struct ramblock *ramblock_find(struct guest_mem *gm, u64 uva, u64 size);

/*
 * memslot_set() - map guest-physical [@gpa, @gpa+@size) to the VMM range at
 * @uva with @flags (HAX_RAM_INFO_ROM), or unmap it when @flags holds
 * HAX_RAM_INFO_INVALID. Mappings it overlaps are cut or replaced.
 * Errors: -EINVAL (unaligned, zero size, past HAX_GPA_LIMIT, unknown flags,
 * INVALID with a non-zero @uva), -ENOENT (@uva range not inside one
 * ramblock), -ENOSPC (too many slots).
 */
int memslot_set(struct guest_mem *gm, u64 gpa, u64 size, u64 uva, u32 flags);

/* memslot_find() - the slot mapping guest frame @gfn, or NULL (MMIO). */
const struct memslot *memslot_find(const struct guest_mem *gm, u64 gfn);

/*
 * guest_mem_pin() - the host-physical address of the page backing @gfn,
 * pinning it on first use. Sleeps.
 * Errors: -ENOENT (no slot: MMIO), -EFAULT (the VMM's page is gone or not
 * writable), -ENOMEM.
 */
int guest_mem_pin(struct guest_mem *gm, u64 gfn, u64 *hpa, u32 *flags);

/* guest_mem_free() - unpin every page and free all ramblocks and slots. */
void guest_mem_free(struct guest_mem *gm);

/* guest_mem_pinned() - the number of pages pinned now. */
u64 guest_mem_pinned(const struct guest_mem *gm);

#endif /* HAXM_CORE_MEMSLOT_H */
