// SPDX-License-Identifier: GPL-2.0
/* Ramblocks and memslots: the guest-physical to VMM-virtual map. */
#include "memslot.h"
#include "stats.h"
#include "../include/uapi/haxm.h"

/* User addresses are canonical lower-half (x86-64, 47 bits). */
#define USER_VA_LIMIT (1ULL << 47)

static bool page_aligned(u64 v)
{
	return !(v & (HAX_PAGE_SIZE - 1));
}

/* Index of the 2 MiB block holding @va among those from the one holding @base. */
static u64 va_block(u64 base, u64 va)
{
	return (va >> HAX_HUGE_SHIFT) - (base >> HAX_HUGE_SHIFT);
}

/* The block of page @pg of @rb. */
static u64 pg_block(const struct ramblock *rb, u64 pg)
{
	return va_block(rb->uva, rb->uva + (pg << HAX_PAGE_SHIFT));
}

/* Words of a block's bitmap, and page @pg's place in its block. */
#define BLOCK_WORDS (HAX_HUGE_PAGES / 64)
static u64 pg_bit(const struct ramblock *rb, u64 pg)
{
	return ((rb->uva >> HAX_PAGE_SHIFT) + pg) & (HAX_HUGE_PAGES - 1);
}

/* Is page @pg of @rb held through its block's pin? */
static bool pg_in_block(const struct ramblock *rb, u64 pg)
{
	u64 bit = pg_bit(rb, pg);

	return rb->block_bits[pg_block(rb, pg) * BLOCK_WORDS + bit / 64] >> (bit % 64) & 1;
}

static bool rb_pinned(const struct ramblock *rb, u64 pg)
{
	return rb->pins[pg] || pg_in_block(rb, pg);
}

/* The pin handle of page @pg of @rb (its own or its block's), NULL when not pinned. */
static void *rb_handle(const struct ramblock *rb, u64 pg)
{
	if (rb->pins[pg])
		return rb->pins[pg];
	if (!pg_in_block(rb, pg))
		return NULL;
	return os_pinned_sub(rb->block_pins[pg_block(rb, pg)], pg_bit(rb, pg));
}

/* A ramblock and its arrays, with no page pinned (any array may be NULL). */
static void rb_free_arrays(struct ramblock *rb)
{
	os_free(rb->pins);
	os_free(rb->block_pins);
	os_free(rb->block_users);
	os_free(rb->block_single);
	os_free(rb->block_bits);
	os_free(rb);
}

static int rb_new(struct guest_mem *gm, u64 uva, u64 size, bool implicit, struct ramblock **out)
{
	struct ramblock *rb;
	u64 nblocks;
	int i;

	if (!size || size > HAX_RAMBLOCK_MAX_SIZE || !page_aligned(uva) || !page_aligned(size) ||
	    uva + size < uva || uva + size > USER_VA_LIMIT)
		return -EINVAL;
	for (i = 0; i < gm->nr_rbs; i++) {
		rb = gm->rbs[i];
		if (uva < rb->uva + rb->size && rb->uva < uva + size)
			return -EEXIST;
	}
	if (gm->nr_rbs == HAX_MAX_RAMBLOCKS)
		return -ENOSPC;
	rb = os_zalloc(sizeof(*rb));
	if (!rb)
		return -ENOMEM;
	rb->pins = os_zalloc((size >> HAX_PAGE_SHIFT) * sizeof(void *));
	nblocks = va_block(uva, uva + size - 1) + 1;
	rb->block_pins = os_zalloc(nblocks * sizeof(void *));
	rb->block_users = os_zalloc(nblocks * sizeof(u16));
	rb->block_single = os_zalloc(nblocks * sizeof(u16));
	rb->block_bits = os_zalloc(nblocks * BLOCK_WORDS * sizeof(u64));
	if (!rb->pins || !rb->block_pins || !rb->block_users || !rb->block_single ||
	    !rb->block_bits) {
		rb_free_arrays(rb);
		return -ENOMEM;
	}
	rb->uva = uva;
	rb->size = size;
	rb->implicit = implicit;
	gm->rbs[gm->nr_rbs++] = rb;
	if (out)
		*out = rb;
	return 0;
}

int ramblock_add(struct guest_mem *gm, u64 uva, u64 size)
{
	return rb_new(gm, uva, size, false, NULL);
}

static void rb_unpin(struct ramblock *rb, u64 pg)
{
	u64 b = pg_block(rb, pg), bit = pg_bit(rb, pg);
	u64 *word = &rb->block_bits[b * BLOCK_WORDS + bit / 64], mask = 1ULL << (bit % 64);

	if (rb->pins[pg]) {
		os_unpin_user_page(rb->pins[pg]);
		rb->pins[pg] = NULL;
		rb->block_single[b]--;
	} else if (*word & mask) {
		*word &= ~mask;
		if (!--rb->block_users[b]) {
			/* the block's last page: its one pin goes */
			os_unpin_user_page(rb->block_pins[b]);
			rb->block_pins[b] = NULL;
		}
	} else {
		return;
	}
	rb->npinned--;
	hax_count(&hax_counters.pinned_pages, -1);
}

static void rb_free(struct ramblock *rb)
{
	u64 pg;

	for (pg = 0; pg < rb->size >> HAX_PAGE_SHIFT; pg++)
		rb_unpin(rb, pg);
	rb_free_arrays(rb);
}

/* Remove gm->rbs[@i], unpinning its pages. */
static void rb_remove(struct guest_mem *gm, int i)
{
	rb_free(gm->rbs[i]);
	gm->rbs[i] = gm->rbs[--gm->nr_rbs];
	gm->rbs[gm->nr_rbs] = NULL;
}

struct ramblock *ramblock_find(struct guest_mem *gm, u64 uva, u64 size)
{
	int i;

	for (i = 0; i < gm->nr_rbs; i++) {
		struct ramblock *rb = gm->rbs[i];

		if (uva >= rb->uva && uva - rb->uva < rb->size &&
		    size <= rb->size - (uva - rb->uva))
			return rb;
	}
	return NULL;
}

/* Index of the first slot that ends after @gfn. */
static int slot_lower_bound(const struct guest_mem *gm, u64 gfn)
{
	int lo = 0, hi = gm->nr_slots;

	while (lo < hi) {
		int mid = (lo + hi) / 2;
		const struct memslot *s = &gm->slots[mid];

		if (s->gfn + s->npages <= gfn)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

const struct memslot *memslot_find(const struct guest_mem *gm, u64 gfn)
{
	int i = slot_lower_bound(gm, gfn);

	if (i < gm->nr_slots && gm->slots[i].gfn <= gfn)
		return &gm->slots[i];
	return NULL;
}

static void slots_insert(struct guest_mem *gm, int at, const struct memslot *s)
{
	int i;

	for (i = gm->nr_slots; i > at; i--)
		gm->slots[i] = gm->slots[i - 1];
	gm->slots[at] = *s;
	gm->nr_slots++;
}

static void slots_remove(struct guest_mem *gm, int at)
{
	int i;

	gm->nr_slots--;
	for (i = at; i < gm->nr_slots; i++)
		gm->slots[i] = gm->slots[i + 1];
}

/* Remember that @s no longer maps [@gfn, @end) (a part of it). */
static void note_unmapped(struct guest_mem *gm, const struct memslot *s, u64 gfn, u64 end)
{
	struct rb_range *u = &gm->unmapped[gm->nr_unmapped++];

	u->rb = s->rb;
	u->pgoff = s->rb_pgoff + (gfn - s->gfn);
	u->npages = end - gfn;
}

/*
 * Take [gfn, end) out of the map, cutting or splitting the slots it meets.
 * Callers checked there is room for a split.
 */
static void slots_punch(struct guest_mem *gm, u64 gfn, u64 end)
{
	int i = slot_lower_bound(gm, gfn);

	while (i < gm->nr_slots && gm->slots[i].gfn < end) {
		struct memslot *s = &gm->slots[i];
		u64 s_end = s->gfn + s->npages;

		if (s->gfn < gfn && s_end > end) {
			/* the hole is inside: split in two */
			struct memslot tail = *s;

			note_unmapped(gm, s, gfn, end);
			tail.gfn = end;
			tail.npages = s_end - end;
			tail.rb_pgoff += end - s->gfn;
			s->npages = gfn - s->gfn;
			slots_insert(gm, i + 1, &tail);
			return;
		}
		if (s->gfn < gfn) {
			note_unmapped(gm, s, gfn, s_end);
			s->npages = gfn - s->gfn; /* keep the head */
			i++;
		} else if (s_end > end) {
			note_unmapped(gm, s, s->gfn, end);
			s->rb_pgoff += end - s->gfn; /* keep the tail */
			s->npages = s_end - end;
			s->gfn = end;
			i++;
		} else {
			note_unmapped(gm, s, s->gfn, s_end);
			slots_remove(gm, i);
		}
	}
}

/* Would punching [gfn, end) split a slot in two? */
static bool punch_splits(const struct guest_mem *gm, u64 gfn, u64 end)
{
	const struct memslot *s = memslot_find(gm, gfn);

	return s && s->gfn < gfn && s->gfn + s->npages > end;
}

int memslot_set(struct guest_mem *gm, u64 gpa, u64 size, u64 uva, u32 flags)
{
	const u32 known = HAX_RAM_INFO_ROM | HAX_RAM_INFO_STANDALONE | HAX_RAM_INFO_INVALID;
	u64 gfn = gpa >> HAX_PAGE_SHIFT, end = (gpa + size) >> HAX_PAGE_SHIFT;
	bool unmap = flags & HAX_RAM_INFO_INVALID;
	struct memslot s = { 0 };
	int r;

	if (!size || !page_aligned(gpa) || !page_aligned(size) || gpa + size < gpa ||
	    gpa + size > HAX_GPA_LIMIT || (flags & ~known))
		return -EINVAL;
	if (unmap && (uva || (flags & ~HAX_RAM_INFO_INVALID)))
		return -EINVAL;
	if (!unmap && (!page_aligned(uva) || uva + size < uva || uva + size > USER_VA_LIMIT))
		return -EINVAL;
	if (gm->nr_unmapped)
		return -EBUSY;
	/* A split adds a slot, and so does the new mapping. */
	if (gm->nr_slots + punch_splits(gm, gfn, end) + !unmap > HAX_MAX_MEMSLOTS)
		return -ENOSPC;
	if (!unmap) {
		s.rb = ramblock_find(gm, uva, size);
		if (!s.rb && !(flags & HAX_RAM_INFO_STANDALONE))
			return -ENOENT;
		if (!s.rb) {
			r = rb_new(gm, uva, size, true, &s.rb);
			if (r)
				return r;
		}
	}
	slots_punch(gm, gfn, end);
	if (unmap)
		return 0;
	s.gfn = gfn;
	s.npages = end - gfn;
	s.rb_pgoff = (uva - s.rb->uva) >> HAX_PAGE_SHIFT;
	s.flags = flags & HAX_RAM_INFO_ROM;
	slots_insert(gm, slot_lower_bound(gm, s.gfn), &s);
	return 0;
}

/* Is page @pg of @rb mapped by some slot? */
static bool rb_page_mapped(const struct guest_mem *gm, const struct ramblock *rb, u64 pg)
{
	int i;

	for (i = 0; i < gm->nr_slots; i++) {
		const struct memslot *s = &gm->slots[i];

		if (s->rb == rb && pg >= s->rb_pgoff && pg - s->rb_pgoff < s->npages)
			return true;
	}
	return false;
}

static bool rb_used(const struct guest_mem *gm, const struct ramblock *rb)
{
	int i;

	for (i = 0; i < gm->nr_slots; i++)
		if (gm->slots[i].rb == rb)
			return true;
	return false;
}

void guest_mem_release_unmapped(struct guest_mem *gm)
{
	int i;
	u64 pg;

	for (i = 0; i < gm->nr_unmapped; i++) {
		struct rb_range *u = &gm->unmapped[i];

		for (pg = u->pgoff; pg < u->pgoff + u->npages; pg++)
			if (rb_pinned(u->rb, pg) && !rb_page_mapped(gm, u->rb, pg))
				rb_unpin(u->rb, pg);
	}
	gm->nr_unmapped = 0;
	for (i = gm->nr_rbs - 1; i >= 0; i--)
		if (gm->rbs[i]->implicit && !rb_used(gm, gm->rbs[i]))
			rb_remove(gm, i);
}

/* Pin page @pg of @rb (once). */
static int rb_pin(struct ramblock *rb, u64 pg)
{
	u64 pa, va = rb->uva + (pg << HAX_PAGE_SHIFT), b = pg_block(rb, pg);
	int r;

	if (rb_pinned(rb, pg))
		return 0;
	if (rb->block_pins[b]) {
		/* its block is held by one pin: the page is part of that host page */
		u64 bit = pg_bit(rb, pg);

		rb->block_bits[b * BLOCK_WORDS + bit / 64] |= 1ULL << (bit % 64);
		rb->block_users[b]++;
	} else {
		r = os_pin_user_page(va, &rb->pins[pg], &pa);
		if (r)
			return r;
		rb->block_single[b]++;
	}
	rb->npinned++;
	hax_count(&hax_counters.pinned_pages, 1);
	return 0;
}

/*
 * When one 2 MiB host page maps the block of @gfn (os_pin_user_huge(): a
 * THP or hugetlb page), hold the whole block with one pin of it, so the
 * block can be one 2 MiB mapping at once; it costs no memory (the host page
 * is there anyway). The block's pages pinned one by one before become its
 * pages (when they are the same pages; otherwise the block stays as it is).
 * Best effort: true when the block is held so now.
 */
static bool pin_huge_block(const struct memslot *s, u64 gfn)
{
	u64 first = gfn & ~(HAX_HUGE_PAGES - 1), pg, i, va, hpa, b;
	struct ramblock *rb = s->rb;
	void *pin;

	/* The guest block must lie in the slot and be one 2 MiB block of the VMM. */
	if (first < s->gfn || first + HAX_HUGE_PAGES > s->gfn + s->npages)
		return false;
	pg = s->rb_pgoff + (first - s->gfn);
	va = rb->uva + (pg << HAX_PAGE_SHIFT);
	b = pg_block(rb, pg);
	if ((va & ((1ULL << HAX_HUGE_SHIFT) - 1)) || rb->block_pins[b] ||
	    os_pin_user_huge(va, &pin, &hpa))
		return false;
	if (rb->block_single[b]) {
		for (i = 0; i < HAX_HUGE_PAGES; i++) {
			if (rb->pins[pg + i] && rb->pins[pg + i] != os_pinned_sub(pin, i)) {
				os_unpin_user_page(pin);
				return false;
			}
		}
		for (i = 0; i < HAX_HUGE_PAGES; i++) {
			if (rb->pins[pg + i]) {
				os_unpin_user_page(rb->pins[pg + i]);
				rb->pins[pg + i] = NULL;
			}
		}
		rb->npinned -= rb->block_single[b];
		hax_count(&hax_counters.pinned_pages, -(s64)rb->block_single[b]);
		rb->block_single[b] = 0;
	}
	for (i = 0; i < BLOCK_WORDS; i++)
		rb->block_bits[b * BLOCK_WORDS + i] = ~0ULL;
	rb->block_pins[b] = pin;
	rb->block_users[b] = HAX_HUGE_PAGES;
	rb->npinned += HAX_HUGE_PAGES;
	hax_count(&hax_counters.pinned_pages, HAX_HUGE_PAGES);
	return true;
}

int guest_mem_pin(struct guest_mem *gm, u64 gfn, u64 *hpa, u32 *flags)
{
	const struct memslot *s = memslot_find(gm, gfn);
	struct ramblock *rb;
	u64 pg;
	int r;

	if (!s)
		return -ENOENT;
	rb = s->rb;
	pg = s->rb_pgoff + (gfn - s->gfn);
	*flags = s->flags;
	/*
	 * A 2 MiB host page in place: one pin for its whole block. Otherwise
	 * the page alone, and when that faulted in a 2 MiB host page, its block.
	 */
	if (!rb_pinned(rb, pg) && !pin_huge_block(s, gfn)) {
		r = rb_pin(rb, pg);
		if (r)
			return r;
		/* (a page of a block already held by a pin has no handle of its own) */
		if (rb->pins[pg] && os_pinned_huge(rb->pins[pg]))
			pin_huge_block(s, gfn);
	}
	*hpa = os_pinned_pa(rb_handle(rb, pg));
	return 0;
}

u64 guest_mem_pinned(const struct guest_mem *gm)
{
	u64 n = 0;
	int i;

	for (i = 0; i < gm->nr_rbs; i++)
		n += gm->rbs[i]->npinned;
	return n;
}

void guest_mem_free(struct guest_mem *gm)
{
	while (gm->nr_rbs)
		rb_remove(gm, gm->nr_rbs - 1);
	gm->nr_slots = 0;
	gm->nr_unmapped = 0;
	os_free(gm->denied);
	gm->denied = NULL;
	gm->denied_pages = 0;
}

u32 guest_mem_allowed(const struct guest_mem *gm, u64 gfn)
{
	return gfn < gm->denied_pages ? HAX_RAM_PERM_RWX & ~gm->denied[gfn] : HAX_RAM_PERM_RWX;
}

int guest_mem_protect(struct guest_mem *gm, u64 gpa, u64 size, u32 perm)
{
	u64 gfn = gpa >> HAX_PAGE_SHIFT, end = (gpa + size) >> HAX_PAGE_SHIFT, g;
	const struct memslot *last = gm->nr_slots ? &gm->slots[gm->nr_slots - 1] : NULL;
	u64 top = last ? last->gfn + last->npages : 0;

	/* EPT cannot express write without read (SDM 29.3.3.1). */
	if (!size || !page_aligned(gpa) || !page_aligned(size) || gpa + size < gpa ||
	    (perm & ~HAX_RAM_PERM_MASK) ||
	    (perm & (HAX_RAM_PERM_R | HAX_RAM_PERM_W)) == HAX_RAM_PERM_W)
		return -EINVAL;
	if (end > top)
		return -ENOENT;
	if (end > HAX_PROTECT_PAGES)
		return -E2BIG;
	if (end > gm->denied_pages) {
		u8 *d = os_zalloc(end);

		if (!d)
			return -ENOMEM;
		for (g = 0; g < gm->denied_pages; g++)
			d[g] = gm->denied[g];
		os_free(gm->denied);
		gm->denied = d;
		gm->denied_pages = end;
	}
	for (g = gfn; g < end; g++)
		gm->denied[g] = HAX_RAM_PERM_RWX & ~perm;
	return 0;
}

/* Do the 512 frames from @first all have the same protection? */
static bool block_uniform(const struct guest_mem *gm, u64 first)
{
	u32 allowed = guest_mem_allowed(gm, first);
	u64 i;

	/* Frames from denied_pages on have no protections: all allow RWX. */
	for (i = 1; i < HAX_HUGE_PAGES; i++) {
		if (first + i >= gm->denied_pages)
			return allowed == HAX_RAM_PERM_RWX;
		if (guest_mem_allowed(gm, first + i) != allowed)
			return false;
	}
	return true;
}

bool guest_mem_huge_hpa(const struct guest_mem *gm, u64 gfn, u64 *hpa)
{
	u64 first = gfn & ~(HAX_HUGE_PAGES - 1), i, pa0, pg, b;
	const struct memslot *s = memslot_find(gm, first);
	void *pin;

	if (!s || s->gfn + s->npages < first + HAX_HUGE_PAGES)
		return false;
	pg = s->rb_pgoff + (first - s->gfn);
	pin = rb_handle(s->rb, pg);
	if (!pin)
		return false;
	pa0 = os_pinned_pa(pin);
	if (pa0 & (HAX_HUGE_PAGES * HAX_PAGE_SIZE - 1))
		return false;
	b = pg_block(s->rb, pg);
	/* All 512 held by one 2 MiB host page's pin, in order: contiguous. */
	if (!(s->rb->block_users[b] == HAX_HUGE_PAGES && !pg_bit(s->rb, pg))) {
		for (i = 1; i < HAX_HUGE_PAGES; i++) {
			pin = rb_handle(s->rb, pg + i);
			if (!pin || os_pinned_pa(pin) != pa0 + (i << HAX_PAGE_SHIFT))
				return false;
		}
	}
	if (!block_uniform(gm, first))
		return false;
	*hpa = pa0;
	return true;
}

bool guest_mem_pin_block(struct guest_mem *gm, u64 gfn, u64 *hpa, u32 *flags)
{
	const struct memslot *s = memslot_find(gm, gfn);
	u64 first = gfn & ~(HAX_HUGE_PAGES - 1);

	/* no pin for a block that could not be one leaf anyway */
	if (!s || !block_uniform(gm, first))
		return false;
	*flags = s->flags;
	/* just held: in the slot, uniform, one aligned 2 MiB host page */
	if (pin_huge_block(s, gfn)) {
		*hpa = os_pinned_pa(
			s->rb->block_pins[pg_block(s->rb, s->rb_pgoff + (first - s->gfn))]);
		return true;
	}
	return guest_mem_huge_hpa(gm, gfn, hpa);
}
