// SPDX-License-Identifier: GPL-2.0
/* Ramblocks and memslots: the guest-physical to VMM-virtual map. */
#include "memslot.h"
#include "../include/uapi/haxm.h"

/* User addresses are canonical lower-half (x86-64, 47 bits). */
#define USER_VA_LIMIT (1ULL << 47)

static bool page_aligned(u64 v)
{
	return !(v & (HAX_PAGE_SIZE - 1));
}

int ramblock_add(struct guest_mem *gm, u64 uva, u64 size)
{
	struct ramblock *rb;
	int i;

	if (!size || !page_aligned(uva) || !page_aligned(size) || uva + size < uva ||
	    uva + size > USER_VA_LIMIT)
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
	if (!rb->pins) {
		os_free(rb);
		return -ENOMEM;
	}
	rb->uva = uva;
	rb->size = size;
	gm->rbs[gm->nr_rbs++] = rb;
	return 0;
}

struct ramblock *ramblock_find(struct guest_mem *gm, u64 uva, u64 size)
{
	int i;

	for (i = 0; i < gm->nr_rbs; i++) {
		struct ramblock *rb = gm->rbs[i];

		if (uva >= rb->uva && uva - rb->uva < rb->size && size <= rb->size - (uva - rb->uva))
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

/* Take [gfn, end) out of the map, cutting or splitting the slots it meets. */
static int slots_punch(struct guest_mem *gm, u64 gfn, u64 end)
{
	int i = slot_lower_bound(gm, gfn);

	while (i < gm->nr_slots && gm->slots[i].gfn < end) {
		struct memslot *s = &gm->slots[i];
		u64 s_end = s->gfn + s->npages;

		if (s->gfn < gfn && s_end > end) {
			/* the hole is inside: split in two */
			struct memslot tail = *s;

			if (gm->nr_slots == HAX_MAX_MEMSLOTS)
				return -ENOSPC;
			tail.gfn = end;
			tail.npages = s_end - end;
			tail.rb_pgoff += end - s->gfn;
			s->npages = gfn - s->gfn;
			slots_insert(gm, i + 1, &tail);
			return 0;
		}
		if (s->gfn < gfn) {
			s->npages = gfn - s->gfn; /* keep the head */
			i++;
		} else if (s_end > end) {
			s->rb_pgoff += end - s->gfn; /* keep the tail */
			s->npages = s_end - end;
			s->gfn = end;
			i++;
		} else {
			slots_remove(gm, i);
		}
	}
	return 0;
}

int memslot_set(struct guest_mem *gm, u64 gpa, u64 size, u64 uva, u32 flags)
{
	const u32 known = HAX_RAM_INFO_ROM | HAX_RAM_INFO_STANDALONE | HAX_RAM_INFO_INVALID;
	struct memslot s = { 0 };
	int r;

	if (!size || !page_aligned(gpa) || !page_aligned(size) || gpa + size < gpa ||
	    gpa + size > HAX_GPA_LIMIT || (flags & ~known))
		return -EINVAL;
	if (flags & HAX_RAM_INFO_INVALID) {
		if (uva || (flags & ~HAX_RAM_INFO_INVALID))
			return -EINVAL;
	} else {
		if (!page_aligned(uva))
			return -EINVAL;
		s.rb = ramblock_find(gm, uva, size);
		if (!s.rb)
			return -ENOENT;
		/* Worst case the punch splits one slot and we add one. */
		if (gm->nr_slots + 2 > HAX_MAX_MEMSLOTS)
			return -ENOSPC;
	}
	r = slots_punch(gm, gpa >> HAX_PAGE_SHIFT, (gpa + size) >> HAX_PAGE_SHIFT);
	if (r || (flags & HAX_RAM_INFO_INVALID))
		return r;
	s.gfn = gpa >> HAX_PAGE_SHIFT;
	s.npages = size >> HAX_PAGE_SHIFT;
	s.rb_pgoff = (uva - s.rb->uva) >> HAX_PAGE_SHIFT;
	s.flags = flags & HAX_RAM_INFO_ROM;
	slots_insert(gm, slot_lower_bound(gm, s.gfn), &s);
	return 0;
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
	if (!rb->pins[pg]) {
		r = os_pin_user_page(rb->uva + (pg << HAX_PAGE_SHIFT), &rb->pins[pg], hpa);
		if (r)
			return r;
		rb->npinned++;
		return 0;
	}
	*hpa = os_pinned_pa(rb->pins[pg]);
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
	int i;
	u64 pg;

	for (i = 0; i < gm->nr_rbs; i++) {
		struct ramblock *rb = gm->rbs[i];

		for (pg = 0; pg < rb->size >> HAX_PAGE_SHIFT; pg++)
			if (rb->pins[pg])
				os_unpin_user_page(rb->pins[pg]);
		os_free(rb->pins);
		os_free(rb);
	}
	gm->nr_rbs = 0;
	gm->nr_slots = 0;
}
