/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Guest memory: ramblocks (ranges of the VMM's address space registered as
 * guest RAM) and memslots (guest-physical ranges mapped onto ramblocks).
 * Pages are pinned lazily, on the first EPT violation that touches them, and
 * unpinned when no memslot maps them any more (after the EPT flush) or when
 * the VM goes. Protections (PROTECT_RAM) are kept per guest frame.
 */
#ifndef HAXM_CORE_MEMSLOT_H
#define HAXM_CORE_MEMSLOT_H

#include "os.h"

#define HAX_MAX_RAMBLOCKS 64
#define HAX_MAX_MEMSLOTS  256
/* The guest-physical address space we map: 52 bits (SDM 28.2.2, EPT). */
#define HAX_GPA_LIMIT (1ULL << 52)
/*
 * The largest ramblock: its per-page pin array (8 bytes a page, 1 GiB here)
 * must stay an allocation the kernel makes at all (kvmalloc refuses more than
 * INT_MAX bytes, with a warning).
 */
#define HAX_RAMBLOCK_MAX_SIZE (1ULL << 39)
/* Protections are kept for the first 1 TiB of guest-physical space. */
#define HAX_PROTECT_PAGES (1ULL << 28)
/* Pages of a 2 MiB EPT mapping. */
#define HAX_HUGE_PAGES 512ULL
#define HAX_HUGE_SHIFT 21

struct ramblock {
	u64 uva;
	u64 size;
	void **pins; /* a page pinned alone: its handle, else NULL */
	u64 npinned;
	bool implicit; /* made by a STANDALONE mapping; goes with its last slot */
	/*
	 * 2 MiB blocks of the VMM's address space (from uva rounded down): a
	 * block that one 2 MiB host page maps may be held by one pin of it
	 * (os_pin_user_huge()): block_pins; its pages pinned through it are
	 * the bits of block_bits (BLOCK_WORDS words a block, by the page's
	 * place in it), block_users counts them, and the pin goes with the
	 * last. Other pages are pinned one by one: pins[], block_single of
	 * them in the block; a block held by a pin has none of those.
	 */
	void **block_pins;
	u16 *block_users;
	u16 *block_single;
	u64 *block_bits;
};

struct memslot {
	u64 gfn;
	u64 npages;
	struct ramblock *rb;
	u64 rb_pgoff;
	u32 flags; /* HAX_RAM_INFO_ROM */
};

/* Ramblock pages a memslot change stopped mapping, to unpin after the flush. */
struct rb_range {
	struct ramblock *rb;
	u64 pgoff;
	u64 npages;
};

struct guest_mem {
	struct ramblock *rbs[HAX_MAX_RAMBLOCKS];
	int nr_rbs;
	struct memslot slots[HAX_MAX_MEMSLOTS]; /* sorted by gfn, disjoint */
	int nr_slots;
	struct rb_range unmapped[HAX_MAX_MEMSLOTS + 1];
	int nr_unmapped;
	u8 *denied;	  /* per guest frame: HAX_RAM_PERM_* bits PROTECT_RAM took away */
	u64 denied_pages; /* frames [0, denied_pages) have an entry; the rest: none denied */
};

/*
 * ramblock_add() - register [@uva, @uva+@size) of the VMM as guest RAM.
 * Errors: -EINVAL (zero size, unaligned, wraps, beyond user space, above
 * HAX_RAMBLOCK_MAX_SIZE),
 * -EEXIST (overlaps a registered ramblock), -ENOSPC (too many), -ENOMEM.
 */
int ramblock_add(struct guest_mem *gm, u64 uva, u64 size);

/* ramblock_find() - the ramblock holding all of [@uva, @uva+@size), or NULL. */
struct ramblock *ramblock_find(struct guest_mem *gm, u64 uva, u64 size);

/*
 * memslot_set() - map guest-physical [@gpa, @gpa+@size) to the VMM range at
 * @uva with @flags (HAX_RAM_INFO_ROM), or unmap it when @flags holds
 * HAX_RAM_INFO_INVALID. Mappings it overlaps are cut or replaced; what they
 * mapped is recorded for guest_mem_release_unmapped(). With
 * HAX_RAM_INFO_STANDALONE, a range that is in no ramblock becomes one of its
 * own, which goes when nothing maps it any more.
 * Errors: -EINVAL (unaligned, zero size, past HAX_GPA_LIMIT, unknown flags,
 * INVALID with a non-zero @uva or another flag, a STANDALONE range above
 * HAX_RAMBLOCK_MAX_SIZE), -ENOENT (@uva range not
 * inside one ramblock, without STANDALONE), -EEXIST (STANDALONE range
 * overlapping a ramblock it is not inside), -ENOSPC (too many slots or
 * ramblocks), -ENOMEM, -EBUSY (guest_mem_release_unmapped() not called
 * since the last change).
 */
int memslot_set(struct guest_mem *gm, u64 gpa, u64 size, u64 uva, u32 flags);

/*
 * guest_mem_release_unmapped() - unpin the pages the last memslot_set()
 * calls stopped mapping (unless another slot still maps them) and free the
 * implicit ramblocks no slot uses. Call only once no CPU can still reach
 * them through the EPT (after the flush).
 */
void guest_mem_release_unmapped(struct guest_mem *gm);

/* memslot_find() - the slot mapping guest frame @gfn, or NULL (MMIO). */
const struct memslot *memslot_find(const struct guest_mem *gm, u64 gfn);

/*
 * guest_mem_pin() - the host-physical address of the page backing @gfn,
 * pinning it on first use. Sleeps.
 * Errors: -ENOENT (no slot: MMIO), -EFAULT (the VMM's page is gone or not
 * writable), -ENOMEM.
 */
int guest_mem_pin(struct guest_mem *gm, u64 gfn, u64 *hpa, u32 *flags);

/*
 * guest_mem_pin_block() - when one 2 MiB host page maps the 2 MiB guest
 * block of @gfn now (or one pin holds the block already), hold the block
 * with that pin and, as guest_mem_huge_hpa() would, give its host address
 * and the slot's flags. Never pins page by page, never faults host memory
 * in: for mapping blocks around a fault. Sleeps.
 */
bool guest_mem_pin_block(struct guest_mem *gm, u64 gfn, u64 *hpa, u32 *flags);

/*
 * guest_mem_huge_hpa() - when the 512 frames of the 2 MiB-aligned block
 * holding @gfn are all mapped by one slot, pinned, allowed the same access
 * and backed by physically contiguous, 2 MiB-aligned host memory: true, and
 * the block's host-physical address in @hpa.
 */
bool guest_mem_huge_hpa(const struct guest_mem *gm, u64 gfn, u64 *hpa);

/*
 * guest_mem_protect() - PROTECT_RAM: allow only the accesses in @perm
 * (HAX_RAM_PERM_*) to the frames of [@gpa, @gpa+@size).
 * Errors: -EINVAL (unaligned, zero size, wraps, unknown @perm bits),
 * -ENOENT (the range reaches past the end of the highest memslot), -E2BIG
 * (past HAX_PROTECT_PAGES), -ENOMEM.
 */
int guest_mem_protect(struct guest_mem *gm, u64 gpa, u64 size, u32 perm);

/* guest_mem_allowed() - the HAX_RAM_PERM_* accesses PROTECT_RAM allows @gfn. */
u32 guest_mem_allowed(const struct guest_mem *gm, u64 gfn);

/* guest_mem_free() - unpin every page and free all ramblocks and slots. */
void guest_mem_free(struct guest_mem *gm);

/* guest_mem_pinned() - the number of pages pinned now. */
u64 guest_mem_pinned(const struct guest_mem *gm);

#endif /* HAXM_CORE_MEMSLOT_H */
