// SPDX-License-Identifier: GPL-2.0
/* Dirty-page logging: bitmaps of logged ranges and their EPT write protection. */
#include "dirty.h"
#include "vm.h"
#include "vmx/cpu.h"

static bool page_aligned(u64 v)
{
	return !(v & (HAX_PAGE_SIZE - 1));
}

/* The range holding frame @gfn, or NULL. */
static struct dirty_range *range_of(const struct dirty_log *dl, u64 gfn)
{
	int i;

	for (i = 0; i < dl->n; i++) {
		const struct dirty_range *r = &dl->r[i];

		if (gfn >= r->gfn && gfn - r->gfn < r->npages)
			return (struct dirty_range *)r;
	}
	return NULL;
}

/* The range that is exactly [@gpa, @gpa+@size): its index, or -ENOENT / -EINVAL. */
static int range_exact(const struct dirty_log *dl, u64 gpa, u64 size)
{
	int i;

	if (!size || !page_aligned(gpa) || !page_aligned(size))
		return -EINVAL;
	for (i = 0; i < dl->n; i++)
		if (dl->r[i].gfn == gpa >> HAX_PAGE_SHIFT &&
		    dl->r[i].npages == size >> HAX_PAGE_SHIFT)
			return i;
	return -ENOENT;
}

/* Does every frame of [gfn, end) have a memslot? */
static bool all_mapped(const struct guest_mem *gm, u64 gfn, u64 end)
{
	while (gfn < end) {
		const struct memslot *s = memslot_find(gm, gfn);

		if (!s || s->gfn > gfn)
			return false;
		gfn = s->gfn + s->npages;
	}
	return true;
}

int dirty_log_start(struct dirty_log *dl, const struct guest_mem *gm, struct ept *ept, u64 gpa,
		    u64 size, bool *flush)
{
	u64 gfn = gpa >> HAX_PAGE_SHIFT, npages = size >> HAX_PAGE_SHIFT;
	struct dirty_range *r;
	int i;

	*flush = false;
	if (!size || !page_aligned(gpa) || !page_aligned(size) || gpa + size < gpa ||
	    gpa + size > HAX_GPA_LIMIT)
		return -EINVAL;
	if (size > DIRTY_MAX_SIZE)
		return -E2BIG;
	if (!all_mapped(gm, gfn, gfn + npages))
		return -ENOENT;
	for (i = 0; i < dl->n; i++)
		if (gfn < dl->r[i].gfn + dl->r[i].npages && dl->r[i].gfn < gfn + npages)
			return -EEXIST;
	if (dl->n == DIRTY_MAX_RANGES)
		return -ENOSPC;
	r = &dl->r[dl->n];
	r->bits = os_zalloc(dirty_words(npages) * sizeof(u64));
	if (!r->bits)
		return -ENOMEM;
	r->gfn = gfn;
	r->npages = npages;
	dl->n++;
	/* every page clean: none writable, and no 2 MiB leaf over the range */
	*flush = ept_write_protect(ept, gpa, size);
	return 0;
}

int dirty_log_stop(struct dirty_log *dl, struct ept *ept, u64 gpa, u64 size, bool *flush,
		   struct ept_node **freed)
{
	int i = range_exact(dl, gpa, size);

	*flush = false;
	*freed = NULL;
	if (i < 0)
		return i;
	os_free(dl->r[i].bits);
	dl->r[i] = dl->r[--dl->n];
	dl->r[dl->n].bits = NULL;
	/*
	 * Refault writable, and as 2 MiB leaves where the blocks allow: the
	 * emptied 4 KiB tables go too, so fault-around maps the blocks again.
	 */
	*flush = ept_unmap(ept, gpa, size);
	*freed = ept_prune(ept, gpa, size);
	*flush |= *freed != NULL;
	return 0;
}

int dirty_log_fetch(struct dirty_log *dl, struct ept *ept, u64 gpa, u64 size, u64 *out, bool *flush)
{
	int i = range_exact(dl, gpa, size);
	struct dirty_range *r;
	u64 w;

	*flush = false;
	if (i < 0)
		return i;
	r = &dl->r[i];
	for (w = 0; w < dirty_words(r->npages); w++) {
		u64 bits = r->bits[w], b;

		out[w] = bits;
		r->bits[w] = 0;
		/* a dirty page is writable in the EPT: clean again, it must not be */
		while (bits) {
			b = __builtin_ctzll(bits);
			bits &= bits - 1;
			*flush |= ept_write_protect(ept, (r->gfn + w * 64 + b) << HAX_PAGE_SHIFT,
						    HAX_PAGE_SIZE);
		}
	}
	return 0;
}

void dirty_log_unfetch(struct dirty_log *dl, u64 gpa, u64 size, const u64 *bits)
{
	int i = range_exact(dl, gpa, size);
	u64 w;

	if (i < 0)
		return;
	for (w = 0; w < dirty_words(dl->r[i].npages); w++)
		dl->r[i].bits[w] |= bits[w];
}

static void set_bit64(struct dirty_range *r, u64 gfn)
{
	u64 p = gfn - r->gfn;

	r->bits[p / 64] |= 1ULL << (p % 64);
}

static bool test_bit64(const struct dirty_range *r, u64 gfn)
{
	u64 p = gfn - r->gfn;

	return r->bits[p / 64] >> (p % 64) & 1;
}

u32 dirty_log_fault(struct dirty_log *dl, u64 gfn, u32 access, u32 perm)
{
	struct dirty_range *r;

	if (!dl->n || !(perm & EPT_W))
		return perm;
	r = range_of(dl, gfn);
	if (!r)
		return perm;
	if (access & EPT_W) {
		set_bit64(r, gfn);
		return perm;
	}
	return test_bit64(r, gfn) ? perm : perm & ~(u32)EPT_W;
}

bool dirty_log_block(const struct dirty_log *dl, u64 gfn)
{
	u64 first = gfn & ~(HAX_HUGE_PAGES - 1);
	int i;

	for (i = 0; i < dl->n; i++)
		if (first < dl->r[i].gfn + dl->r[i].npages && dl->r[i].gfn < first + HAX_HUGE_PAGES)
			return true;
	return false;
}

void dirty_log_mark(struct dirty_log *dl, u64 gfn)
{
	struct dirty_range *r = dl->n ? range_of(dl, gfn) : NULL;

	if (r)
		set_bit64(r, gfn);
}

void dirty_log_free(struct dirty_log *dl)
{
	while (dl->n) {
		dl->n--;
		os_free(dl->r[dl->n].bits);
		dl->r[dl->n].bits = NULL;
	}
}

/* ---- the VM's ioctls ----------------------------------------------------- */

int vm_dirty_start(struct vm *vm, const struct hax_dirty_log *a)
{
	bool flush;
	int r;

	if (a->flags || a->reserved || a->bitmap)
		return -EINVAL;
	os_mutex_lock(&vm->lock);
	r = dirty_log_start(&vm->dirty, &vm->mem, &vm->ept, a->pa_start, a->size, &flush);
	/* before the lock goes: no vCPU may write through a stale writable entry */
	if (flush)
		vmx_flush_ept(vm->ept.eptp);
	os_mutex_unlock(&vm->lock);
	return r;
}

int vm_dirty_stop(struct vm *vm, const struct hax_dirty_log *a)
{
	struct ept_node *freed;
	bool flush;
	int r;

	if (a->flags || a->reserved || a->bitmap)
		return -EINVAL;
	os_mutex_lock(&vm->lock);
	r = dirty_log_stop(&vm->dirty, &vm->ept, a->pa_start, a->size, &flush, &freed);
	if (flush)
		vmx_flush_ept(vm->ept.eptp);
	os_mutex_unlock(&vm->lock);
	/* no CPU walks the detached tables any more */
	ept_nodes_release(freed);
	return r;
}

int vm_dirty_fetch(struct vm *vm, const struct hax_dirty_log *a, u64 **out)
{
	u64 *bits;
	bool flush;
	int r;

	*out = NULL;
	if (a->flags || a->reserved)
		return -EINVAL;
	if (!a->size || !page_aligned(a->pa_start) || !page_aligned(a->size))
		return -EINVAL;
	if (a->size > DIRTY_MAX_SIZE)
		return -ENOENT; /* never logged */
	bits = os_zalloc(dirty_words(a->size >> HAX_PAGE_SHIFT) * sizeof(u64));
	if (!bits)
		return -ENOMEM;
	os_mutex_lock(&vm->lock);
	r = dirty_log_fetch(&vm->dirty, &vm->ept, a->pa_start, a->size, bits, &flush);
	/*
	 * The pages just reported clean are read-only for every CPU before
	 * the lock goes: a later write faults, waits for the lock and lands
	 * in the next fetch.
	 */
	if (flush)
		vmx_flush_ept(vm->ept.eptp);
	os_mutex_unlock(&vm->lock);
	if (r) {
		os_free(bits);
		return r;
	}
	*out = bits;
	return 0;
}

void vm_dirty_unfetch(struct vm *vm, const struct hax_dirty_log *a, const u64 *bits)
{
	os_mutex_lock(&vm->lock);
	dirty_log_unfetch(&vm->dirty, a->pa_start, a->size, bits);
	os_mutex_unlock(&vm->lock);
}

void vm_dirty_mark(struct vm *vm, u64 gpa)
{
	os_mutex_lock(&vm->lock);
	dirty_log_mark(&vm->dirty, gpa >> HAX_PAGE_SHIFT);
	os_mutex_unlock(&vm->lock);
}
