// SPDX-License-Identifier: GPL-2.0
/* Ramblocks and memslots: argument checks, cutting, pinning, and a random model check. */
#include "unit.h"

#include "memslot.h"
#include "haxm.h"

#define PG  HAX_PAGE_SIZE
#define UVA 0x7f0000000000ULL

static struct guest_mem gm;

static void test_ramblock_add_checks(void **state)
{
	(void)state;
	memset(&gm, 0, sizeof(gm));
	assert_int_equal(ramblock_add(&gm, UVA, 0), -EINVAL);
	assert_int_equal(ramblock_add(&gm, UVA + 1, PG), -EINVAL);
	assert_int_equal(ramblock_add(&gm, UVA, PG + 1), -EINVAL);
	assert_int_equal(ramblock_add(&gm, (1ULL << 47) - PG, 2 * PG), -EINVAL);
	assert_int_equal(ramblock_add(&gm, -PG, PG), -EINVAL);
	/* past the largest block (fuzzer: a 128 TiB block asked 256 GiB of pin array) */
	assert_int_equal(ramblock_add(&gm, PG, HAX_RAMBLOCK_MAX_SIZE + PG), -EINVAL);
	assert_int_equal(ramblock_add(&gm, PG, (1ULL << 47) - 2 * PG), -EINVAL);
	assert_int_equal(
		memslot_set(&gm, 0, HAX_RAMBLOCK_MAX_SIZE + PG, PG, HAX_RAM_INFO_STANDALONE),
		-EINVAL);
	assert_int_equal(ramblock_add(&gm, UVA, 16 * PG), 0);
	assert_int_equal(ramblock_add(&gm, UVA + 15 * PG, 2 * PG), -EEXIST);
	assert_int_equal(ramblock_add(&gm, UVA - PG, 2 * PG), -EEXIST);
	assert_int_equal(ramblock_add(&gm, UVA - PG, PG), 0); /* adjacent is fine */
	assert_int_equal(ramblock_add(&gm, UVA + 16 * PG, PG), 0);
	assert_non_null(ramblock_find(&gm, UVA + PG, 15 * PG));
	assert_null(ramblock_find(&gm, UVA + PG, 16 * PG)); /* spans two blocks */
	assert_null(ramblock_find(&gm, UVA + 17 * PG, PG));
	guest_mem_free(&gm);
}

static void test_ramblock_limit(void **state)
{
	int i;

	(void)state;
	memset(&gm, 0, sizeof(gm));
	for (i = 0; i < HAX_MAX_RAMBLOCKS; i++)
		assert_int_equal(ramblock_add(&gm, UVA + i * 2 * PG, PG), 0);
	assert_int_equal(ramblock_add(&gm, UVA + i * 2 * PG, PG), -ENOSPC);
	guest_mem_free(&gm);
}

static void test_ramblock_enomem(void **state)
{
	(void)state;
	memset(&gm, 0, sizeof(gm));
	os_user.fail_alloc_after = 0;
	assert_int_equal(ramblock_add(&gm, UVA, PG), -ENOMEM);
	os_user.fail_alloc_after = 1; /* the block, not its pin array */
	os_user.allocs = 0;
	assert_int_equal(ramblock_add(&gm, UVA, PG), -ENOMEM);
	assert_int_equal(gm.nr_rbs, 0);
}

static void test_memslot_set_checks(void **state)
{
	(void)state;
	memset(&gm, 0, sizeof(gm));
	assert_int_equal(ramblock_add(&gm, UVA, 16 * PG), 0);
	assert_int_equal(memslot_set(&gm, 0, 0, UVA, 0), -EINVAL);
	assert_int_equal(memslot_set(&gm, 1, PG, UVA, 0), -EINVAL);
	assert_int_equal(memslot_set(&gm, 0, PG, UVA + 1, 0), -EINVAL);
	assert_int_equal(memslot_set(&gm, HAX_GPA_LIMIT - PG, 2 * PG, UVA, 0), -EINVAL);
	assert_int_equal(memslot_set(&gm, -PG, PG, UVA, 0), -EINVAL);
	assert_int_equal(memslot_set(&gm, 0, PG, UVA, 0x80), -EINVAL);
	assert_int_equal(memslot_set(&gm, 0, PG, UVA, HAX_RAM_INFO_INVALID), -EINVAL);
	assert_int_equal(memslot_set(&gm, 0, PG, 0, HAX_RAM_INFO_INVALID | HAX_RAM_INFO_ROM),
			 -EINVAL);
	assert_int_equal(memslot_set(&gm, 0, 17 * PG, UVA, 0), -ENOENT);
	assert_int_equal(memslot_set(&gm, 0, PG, UVA - PG, 0), -ENOENT);
	assert_int_equal(memslot_set(&gm, 0, PG, 0, HAX_RAM_INFO_INVALID), 0); /* nothing mapped */
	assert_int_equal(gm.nr_slots, 0);
	assert_int_equal(memslot_set(&gm, HAX_GPA_LIMIT - PG, PG, UVA, HAX_RAM_INFO_ROM), 0);
	assert_int_equal(memslot_find(&gm, (HAX_GPA_LIMIT >> HAX_PAGE_SHIFT) - 1)->flags,
			 HAX_RAM_INFO_ROM);
	guest_mem_free(&gm);
}

static void test_memslot_split_and_cut(void **state)
{
	const struct memslot *s;

	(void)state;
	memset(&gm, 0, sizeof(gm));
	assert_int_equal(ramblock_add(&gm, UVA, 16 * PG), 0);
	assert_int_equal(memslot_set(&gm, 0x100000, 16 * PG, UVA, 0), 0);
	/* a hole in the middle splits the slot in two */
	assert_int_equal(memslot_set(&gm, 0x104000, 2 * PG, 0, HAX_RAM_INFO_INVALID), 0);
	guest_mem_release_unmapped(&gm);
	assert_int_equal(gm.nr_slots, 2);
	assert_null(memslot_find(&gm, 0x104));
	assert_null(memslot_find(&gm, 0x105));
	s = memslot_find(&gm, 0x106);
	assert_non_null(s);
	assert_int_equal(s->gfn, 0x106);
	assert_int_equal(s->npages, 10);
	assert_int_equal(s->rb_pgoff, 6);
	s = memslot_find(&gm, 0x103);
	assert_int_equal(s->gfn, 0x100);
	assert_int_equal(s->npages, 4);
	/* a ROM mapping across the hole's tail end cuts the second slot */
	assert_int_equal(memslot_set(&gm, 0x105000, 3 * PG, UVA, HAX_RAM_INFO_ROM), 0);
	guest_mem_release_unmapped(&gm);
	assert_int_equal(gm.nr_slots, 3);
	s = memslot_find(&gm, 0x107);
	assert_int_equal(s->flags, HAX_RAM_INFO_ROM);
	assert_int_equal(s->gfn, 0x105);
	assert_int_equal(s->rb_pgoff, 0);
	s = memslot_find(&gm, 0x108);
	assert_int_equal(s->gfn, 0x108);
	assert_int_equal(s->rb_pgoff, 8);
	assert_int_equal(s->flags, 0);
	/* unmapping everything empties the map */
	assert_int_equal(memslot_set(&gm, 0, 0x200000, 0, HAX_RAM_INFO_INVALID), 0);
	guest_mem_release_unmapped(&gm);
	assert_int_equal(gm.nr_slots, 0);
	guest_mem_free(&gm);
}

static void test_memslot_limit(void **state)
{
	int i, r = 0;

	(void)state;
	memset(&gm, 0, sizeof(gm));
	assert_int_equal(ramblock_add(&gm, UVA, PG), 0);
	for (i = 0; i < HAX_MAX_MEMSLOTS + 4 && !r; i++)
		r = memslot_set(&gm, (u64)i * 2 * PG, PG, UVA, 0);
	assert_int_equal(r, -ENOSPC);
	guest_mem_release_unmapped(&gm);
	assert_true(gm.nr_slots <= HAX_MAX_MEMSLOTS);
	/* replacing an existing slot in place still works when full */
	assert_int_equal(memslot_set(&gm, 0, PG, 0, HAX_RAM_INFO_INVALID), 0);
	guest_mem_release_unmapped(&gm);
	guest_mem_free(&gm);
}

static bool fault_odd_pages(u64 page)
{
	return (page >> HAX_PAGE_SHIFT) & 1;
}

static void test_pin(void **state)
{
	u64 hpa;
	u32 flags;

	(void)state;
	memset(&gm, 0, sizeof(gm));
	assert_int_equal(ramblock_add(&gm, UVA, 8 * PG), 0);
	assert_int_equal(memslot_set(&gm, 0, 4 * PG, UVA + 4 * PG, HAX_RAM_INFO_ROM), 0);
	assert_int_equal(memslot_set(&gm, 0x10000, 8 * PG, UVA, 0), 0);
	assert_int_equal(guest_mem_pin(&gm, 4, &hpa, &flags), -ENOENT);
	assert_int_equal(guest_mem_pin(&gm, 1, &hpa, &flags), 0);
	assert_int_equal(hpa, UVA + 5 * PG);
	assert_int_equal(flags, HAX_RAM_INFO_ROM);
	/* the same host page through another gfn: pinned once */
	assert_int_equal(guest_mem_pin(&gm, 0x15, &hpa, &flags), 0);
	assert_int_equal(hpa, UVA + 5 * PG);
	assert_int_equal(flags, 0);
	assert_int_equal(guest_mem_pinned(&gm), 1);
	assert_int_equal(os_user.pinned, 1);
	os_user.pin_fault = fault_odd_pages;
	assert_int_equal(guest_mem_pin(&gm, 0x13, &hpa, &flags), -EFAULT);
	assert_int_equal(guest_mem_pin(&gm, 0x12, &hpa, &flags), 0);
	assert_int_equal(guest_mem_pinned(&gm), 2);
	/* unmapping a slot unpins, on release, the pages no other slot maps */
	assert_int_equal(memslot_set(&gm, 0x10000, 8 * PG, 0, HAX_RAM_INFO_INVALID), 0);
	assert_int_equal(os_user.pinned, 2);
	assert_int_equal(memslot_set(&gm, 0, PG, 0, HAX_RAM_INFO_INVALID), -EBUSY);
	guest_mem_release_unmapped(&gm);
	assert_int_equal(os_user.pinned, 1); /* UVA + 5 pages: still ROM at gfn 1 */
	assert_int_equal(guest_mem_pinned(&gm), 1);
	guest_mem_free(&gm);
	assert_int_equal(os_user.pinned, 0);
}

static void test_standalone(void **state)
{
	u64 hpa;
	u32 flags;

	(void)state;
	memset(&gm, 0, sizeof(gm));
	assert_int_equal(ramblock_add(&gm, UVA, 4 * PG), 0);
	/* a range in no block: a block of its own */
	assert_int_equal(memslot_set(&gm, 0, 8 * PG, UVA + 16 * PG, 0), -ENOENT);
	assert_int_equal(memslot_set(&gm, 0, 8 * PG, UVA + 16 * PG, HAX_RAM_INFO_STANDALONE), 0);
	assert_int_equal(gm.nr_rbs, 2);
	/* partly in a block: refused */
	assert_int_equal(memslot_set(&gm, 0x100000, 8 * PG, UVA + 2 * PG, HAX_RAM_INFO_STANDALONE),
			 -EEXIST);
	/* inside a block: that block */
	assert_int_equal(memslot_set(&gm, 0x200000, 2 * PG, UVA + PG, HAX_RAM_INFO_STANDALONE), 0);
	assert_int_equal(gm.nr_rbs, 2);
	assert_int_equal(guest_mem_pin(&gm, 3, &hpa, &flags), 0);
	assert_int_equal(hpa, UVA + 19 * PG);
	assert_int_equal(os_user.pinned, 1);
	/* half unmapped: the block stays; all unmapped: it goes, unpinned */
	assert_int_equal(memslot_set(&gm, 0, 4 * PG, 0, HAX_RAM_INFO_INVALID), 0);
	guest_mem_release_unmapped(&gm);
	assert_int_equal(gm.nr_rbs, 2);
	assert_int_equal(os_user.pinned, 0);
	assert_int_equal(memslot_set(&gm, 0, 8 * PG, 0, HAX_RAM_INFO_INVALID), 0);
	guest_mem_release_unmapped(&gm);
	assert_int_equal(gm.nr_rbs, 1);
	/* explicit blocks stay when unmapped */
	assert_int_equal(memslot_set(&gm, 0x200000, 2 * PG, 0, HAX_RAM_INFO_INVALID), 0);
	guest_mem_release_unmapped(&gm);
	assert_int_equal(gm.nr_rbs, 1);
	guest_mem_free(&gm);
}

static void test_protect(void **state)
{
	(void)state;
	memset(&gm, 0, sizeof(gm));
	assert_int_equal(ramblock_add(&gm, UVA, 16 * PG), 0);
	assert_int_equal(guest_mem_protect(&gm, 0, PG, HAX_RAM_PERM_NONE), -ENOENT);
	assert_int_equal(memslot_set(&gm, 0x10000, 16 * PG, UVA, 0), 0);
	assert_int_equal(guest_mem_protect(&gm, 0x10001, PG, 0), -EINVAL);
	assert_int_equal(guest_mem_protect(&gm, 0x10000, 0, 0), -EINVAL);
	assert_int_equal(guest_mem_protect(&gm, 0x10000, PG, 8), -EINVAL);
	assert_int_equal(guest_mem_protect(&gm, 0x10000, PG, HAX_RAM_PERM_W), -EINVAL);
	assert_int_equal(guest_mem_protect(&gm, 0x10000, 17 * PG, 0), -ENOENT);
	assert_int_equal(guest_mem_allowed(&gm, 0x12), HAX_RAM_PERM_RWX);
	assert_int_equal(guest_mem_protect(&gm, 0x12000, 2 * PG, HAX_RAM_PERM_R), 0);
	assert_int_equal(guest_mem_allowed(&gm, 0x11), HAX_RAM_PERM_RWX);
	assert_int_equal(guest_mem_allowed(&gm, 0x12), HAX_RAM_PERM_R);
	assert_int_equal(guest_mem_allowed(&gm, 0x13), HAX_RAM_PERM_R);
	assert_int_equal(guest_mem_allowed(&gm, 0x14), HAX_RAM_PERM_RWX);
	assert_int_equal(guest_mem_allowed(&gm, 1ULL << 40), HAX_RAM_PERM_RWX);
	/* protections belong to guest frames: they outlive remapping */
	assert_int_equal(memslot_set(&gm, 0x10000, 16 * PG, 0, HAX_RAM_INFO_INVALID), 0);
	guest_mem_release_unmapped(&gm);
	assert_int_equal(guest_mem_allowed(&gm, 0x13), HAX_RAM_PERM_R);
	assert_int_equal(guest_mem_protect(&gm, 0x10000, PG, HAX_RAM_PERM_RWX), -ENOENT);
	guest_mem_free(&gm);
}

/* os_user's "physical" address is the user address: contiguous by construction. */
static void test_huge(void **state)
{
	u64 hpa, g;
	u32 flags;
	const u64 huge = HAX_HUGE_PAGES * PG, uva = UVA + 4 * huge;

	(void)state;
	memset(&gm, 0, sizeof(gm));
	assert_int_equal(ramblock_add(&gm, UVA, 8 * huge), 0);
	assert_int_equal(memslot_set(&gm, 2 * huge, 2 * huge, uva, 0), 0);
	/* not all pinned yet */
	for (g = 0; g < HAX_HUGE_PAGES - 1; g++)
		assert_int_equal(guest_mem_pin(&gm, 1024 + g, &hpa, &flags), 0);
	assert_false(guest_mem_huge_hpa(&gm, 1024, &hpa));
	assert_int_equal(guest_mem_pin(&gm, 1024 + g, &hpa, &flags), 0);
	assert_true(guest_mem_huge_hpa(&gm, 1024 + 7, &hpa));
	assert_int_equal(hpa, uva);
	/* one frame protected differently: no longer uniform */
	assert_int_equal(guest_mem_protect(&gm, 2 * huge + 5 * PG, PG, HAX_RAM_PERM_R), 0);
	assert_false(guest_mem_huge_hpa(&gm, 1024, &hpa));
	assert_int_equal(guest_mem_protect(&gm, 2 * huge, huge, HAX_RAM_PERM_R), 0);
	assert_true(guest_mem_huge_hpa(&gm, 1024, &hpa));
	/* host memory not 2 MiB-aligned to the guest block */
	assert_int_equal(memslot_set(&gm, 2 * huge, huge, uva + PG, 0), 0);
	guest_mem_release_unmapped(&gm);
	for (g = 0; g < HAX_HUGE_PAGES; g++)
		assert_int_equal(guest_mem_pin(&gm, 1024 + g, &hpa, &flags), 0);
	assert_false(guest_mem_huge_hpa(&gm, 1024, &hpa));
	/* a block reaching past its slot */
	assert_int_equal(memslot_set(&gm, 2 * huge, huge, 0, HAX_RAM_INFO_INVALID), 0);
	guest_mem_release_unmapped(&gm);
	assert_int_equal(memslot_set(&gm, 2 * huge, huge - PG, uva, 0), 0);
	assert_false(guest_mem_huge_hpa(&gm, 1024, &hpa));
	guest_mem_free(&gm);
}

static bool huge_all(u64 page)
{
	(void)page;
	return true;
}

/* A page in a 2 MiB host page pins its whole guest block at once. */
static void test_huge_host_page(void **state)
{
	const u64 huge = HAX_HUGE_PAGES * PG, uva = UVA + 4 * huge;
	u64 hpa;
	u32 flags;

	(void)state;
	memset(&gm, 0, sizeof(gm));
	os_user.huge = huge_all;
	assert_int_equal(ramblock_add(&gm, UVA, 8 * huge), 0);
	assert_int_equal(memslot_set(&gm, 2 * huge, huge, uva, 0), 0);
	assert_int_equal(guest_mem_pin(&gm, 1024 + 9, &hpa, &flags), 0);
	/* one pin of the host page holds all 512 */
	assert_int_equal(os_user.pinned, 1);
	assert_int_equal(guest_mem_pinned(&gm), HAX_HUGE_PAGES);
	assert_true(guest_mem_huge_hpa(&gm, 1024, &hpa));
	assert_int_equal(hpa, uva);
	/* guest block not at the host frame's offset: just the page */
	assert_int_equal(memslot_set(&gm, 2 * huge, huge, 0, HAX_RAM_INFO_INVALID), 0);
	guest_mem_release_unmapped(&gm);
	assert_int_equal(memslot_set(&gm, 2 * huge, huge, uva + PG, 0), 0);
	assert_int_equal(guest_mem_pin(&gm, 1024 + 9, &hpa, &flags), 0);
	assert_int_equal(os_user.pinned, 1);
	/* block larger than the slot: just the page */
	assert_int_equal(memslot_set(&gm, 2 * huge, PG * 16, uva, 0), 0);
	guest_mem_release_unmapped(&gm);
	assert_int_equal(guest_mem_pin(&gm, 1024 + 3, &hpa, &flags), 0);
	assert_int_equal(os_user.pinned, 2);
	guest_mem_free(&gm);
}

/*
 * A block in a 2 MiB host page is held by one pin of it: its pages are
 * unpinned one by one (the pin goes with the last), pinned again without
 * another pin of the host, and pages pinned before it joins become its own.
 */
static void test_huge_block_pin(void **state)
{
	const u64 huge = HAX_HUGE_PAGES * PG, uva = UVA + 4 * huge;
	u64 hpa, g;
	u32 flags;

	(void)state;
	memset(&gm, 0, sizeof(gm));
	assert_int_equal(ramblock_add(&gm, UVA, 8 * huge), 0);
	assert_int_equal(memslot_set(&gm, 2 * huge, huge, uva, 0), 0);
	/* the first fault in an untouched block: one pin for the block */
	os_user.huge = huge_all;
	assert_int_equal(guest_mem_pin(&gm, 1024 + 9, &hpa, &flags), 0);
	assert_int_equal(hpa, uva + 9 * PG);
	assert_int_equal(os_user.pin_calls, 1);
	assert_int_equal(os_user.pinned, 1);
	assert_int_equal(guest_mem_pinned(&gm), HAX_HUGE_PAGES);
	assert_true(guest_mem_huge_hpa(&gm, 1024 + 300, &hpa));
	assert_int_equal(hpa, uva);
	/* the first half unmapped: its pages go, the pin stays for the rest */
	assert_int_equal(memslot_set(&gm, 2 * huge, huge / 2, 0, HAX_RAM_INFO_INVALID), 0);
	guest_mem_release_unmapped(&gm);
	assert_int_equal(guest_mem_pinned(&gm), HAX_HUGE_PAGES / 2);
	assert_int_equal(os_user.pinned, 1);
	assert_false(guest_mem_huge_hpa(&gm, 1024 + 300, &hpa));
	/* mapped again: its pages come from the block's pin, no new host pin */
	assert_int_equal(memslot_set(&gm, 2 * huge, huge / 2, uva, 0), 0);
	for (g = 0; g < HAX_HUGE_PAGES / 2; g++) {
		assert_int_equal(guest_mem_pin(&gm, 1024 + g, &hpa, &flags), 0);
		assert_int_equal(hpa, uva + g * PG);
	}
	assert_int_equal(os_user.pin_calls, 1);
	assert_int_equal(os_user.pinned, 1);
	assert_int_equal(guest_mem_pinned(&gm), HAX_HUGE_PAGES);
	/* two slots map the block now: no 2 MiB leaf */
	assert_false(guest_mem_huge_hpa(&gm, 1024, &hpa));
	/* all unmapped: the pin goes with the last page */
	assert_int_equal(memslot_set(&gm, 2 * huge, huge, 0, HAX_RAM_INFO_INVALID), 0);
	guest_mem_release_unmapped(&gm);
	assert_int_equal(os_user.pinned, 0);
	assert_int_equal(guest_mem_pinned(&gm), 0);

	/* around a fault: a block held at once, or not at all */
	assert_int_equal(memslot_set(&gm, 2 * huge, huge, uva, 0), 0);
	os_user.huge = NULL;
	assert_false(guest_mem_pin_block(&gm, 1024, &hpa, &flags));
	assert_int_equal(os_user.pinned, 0);
	os_user.huge = huge_all;
	assert_false(guest_mem_pin_block(&gm, 1536, &hpa, &flags)); /* no slot */
	/* frames protected differently: no pin at all */
	assert_int_equal(guest_mem_protect(&gm, 2 * huge + 7 * PG, PG, HAX_RAM_PERM_R), 0);
	assert_false(guest_mem_pin_block(&gm, 1024, &hpa, &flags));
	assert_int_equal(os_user.pinned, 0);
	assert_int_equal(guest_mem_protect(&gm, 2 * huge + 7 * PG, PG, HAX_RAM_PERM_RWX), 0);
	assert_true(guest_mem_pin_block(&gm, 1024, &hpa, &flags));
	assert_int_equal(hpa, uva);
	assert_int_equal(os_user.pinned, 1);
	assert_true(guest_mem_pin_block(&gm, 1024 + 5, &hpa, &flags)); /* held already */
	assert_int_equal(os_user.pinned, 1);
	assert_int_equal(guest_mem_pinned(&gm), HAX_HUGE_PAGES);
	assert_int_equal(memslot_set(&gm, 2 * huge, huge, 0, HAX_RAM_INFO_INVALID), 0);
	guest_mem_release_unmapped(&gm);
	assert_int_equal(os_user.pinned, 0);

	/* pages 3 and 100 pinned before (4 KiB host pages then) join the block */
	assert_int_equal(memslot_set(&gm, 2 * huge, huge, uva, 0), 0);
	os_user.huge = NULL;
	assert_int_equal(guest_mem_pin(&gm, 1024 + 3, &hpa, &flags), 0);
	assert_int_equal(guest_mem_pin(&gm, 1024 + 100, &hpa, &flags), 0);
	assert_int_equal(os_user.pinned, 2);
	assert_false(guest_mem_huge_hpa(&gm, 1024, &hpa));
	os_user.huge = huge_all;
	assert_int_equal(guest_mem_pin(&gm, 1024 + 9, &hpa, &flags), 0);
	assert_int_equal(os_user.pinned, 1);
	assert_int_equal(guest_mem_pinned(&gm), HAX_HUGE_PAGES);
	assert_true(guest_mem_huge_hpa(&gm, 1024, &hpa));
	guest_mem_free(&gm);
	assert_int_equal(os_user.pinned, 0);
}

/* Random SET_RAM2 sequences against a flat model of 64 guest frames. */
#define NFRAMES 64
struct frame {
	bool mapped;
	u64 uva;
	u32 flags;
};

static void test_random_model(void **state)
{
	struct frame model[NFRAMES];
	int iter, g;

	(void)state;
	srand(1234);
	memset(&gm, 0, sizeof(gm));
	memset(model, 0, sizeof(model));
	assert_int_equal(ramblock_add(&gm, UVA, 32 * PG), 0);
	for (iter = 0; iter < 20000; iter++) {
		u64 gfn = rand() % NFRAMES, n = 1 + rand() % 12, off = rand() % 32;
		bool unmap = rand() % 3 == 0;
		u32 flags = unmap ? HAX_RAM_INFO_INVALID : (rand() % 2 ? HAX_RAM_INFO_ROM : 0);
		u64 uva = unmap ? 0 : UVA + off * PG;
		int want = 0, r;

		if (gfn + n > NFRAMES)
			n = NFRAMES - gfn;
		if (!unmap && off + n > 32)
			want = -ENOENT;
		r = memslot_set(&gm, gfn * PG, n * PG, uva, flags);
		guest_mem_release_unmapped(&gm);
		if (r == -ENOSPC)
			continue;
		assert_int_equal(r, want);
		if (r)
			continue;
		for (g = gfn; g < (int)(gfn + n); g++) {
			model[g].mapped = !unmap;
			model[g].uva = uva + (g - gfn) * PG;
			model[g].flags = flags;
		}
		/* the map equals the model, and the slots are sorted and disjoint */
		for (g = 0; g < NFRAMES; g++) {
			const struct memslot *s = memslot_find(&gm, g);

			assert_int_equal(s != NULL, model[g].mapped);
			if (!s)
				continue;
			assert_int_equal(s->rb->uva + (s->rb_pgoff + g - s->gfn) * PG,
					 model[g].uva);
			assert_int_equal(s->flags, model[g].flags);
		}
		for (g = 1; g < gm.nr_slots; g++)
			assert_true(gm.slots[g - 1].gfn + gm.slots[g - 1].npages <=
				    gm.slots[g].gfn);
	}
	guest_mem_free(&gm);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		UNIT_TEST(test_ramblock_add_checks),
		UNIT_TEST(test_ramblock_limit),
		UNIT_TEST(test_ramblock_enomem),
		UNIT_TEST(test_memslot_set_checks),
		UNIT_TEST(test_memslot_split_and_cut),
		UNIT_TEST(test_memslot_limit),
		UNIT_TEST(test_pin),
		UNIT_TEST(test_random_model),
		UNIT_TEST(test_standalone),
		UNIT_TEST(test_protect),
		UNIT_TEST(test_huge),
		UNIT_TEST(test_huge_host_page),
		UNIT_TEST(test_huge_block_pin),
	};

	return cmocka_run_group_tests_name("memslot", tests, NULL, NULL);
}
