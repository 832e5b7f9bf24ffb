/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Dirty-page logging (the HAX_CAP_DIRTY_LOG extension): which 4 KiB guest
 * pages of a logged guest-physical range were written since the last fetch.
 *
 * Mechanism: EPT write protection. A logged page is mapped writable only
 * while its bit is set (the invariant every function below keeps, under the
 * VM lock): the guest's first write after a fetch is an EPT violation, whose
 * handler sets the bit and maps the page writable. A fetch copies and clears
 * the bits and takes write access from those pages again; the caller flushes
 * the EPT TLBs (INVEPT on every CPU) before it returns, so a write that lands
 * after the fetch faults and is in the next one. 2 MiB EPT leaves never map
 * a logged block: START drops them and faults map such a block 4 KiB a page
 * (split on first touch); STOP drops the range's leaves and emptied tables
 * so the block comes back as one 2 MiB leaf. Writes the instruction emulator makes for the guest
 * are marked by dirty_log_mark(); the VMM's own writes through its mapping
 * of guest RAM are not guest writes and are not logged (as in KVM).
 */
#ifndef HAXM_CORE_DIRTY_H
#define HAXM_CORE_DIRTY_H

#include "os.h"
#include "ept.h"
#include "memslot.h"

/* Ranges a VM may log at once. */
#define DIRTY_MAX_RANGES 32
/* The largest range: that of the largest ramblock (a 16 MiB bitmap). */
#define DIRTY_MAX_SIZE HAX_RAMBLOCK_MAX_SIZE

struct dirty_range {
	u64 gfn;
	u64 npages;
	u64 *bits; /* dirty_words(npages) words, bit i of word w: page 64 * w + i */
};

struct dirty_log {
	struct dirty_range r[DIRTY_MAX_RANGES]; /* [0, n), disjoint, unordered */
	int n;
};

/* dirty_words() - the u64 words of a bitmap for @npages pages. */
static inline u64 dirty_words(u64 npages)
{
	return (npages + 63) / 64;
}

/*
 * dirty_log_start() - log [@gpa, @gpa+@size), every page of which a memslot
 * of @gm maps: take write access away from its EPT entries (dropping 2 MiB
 * leaves); *@flush becomes true when the caller must flush the EPT TLBs.
 * Errors: -EINVAL (zero size, unaligned, wraps or reaches past
 * HAX_GPA_LIMIT), -E2BIG (larger than DIRTY_MAX_SIZE), -ENOENT (a page of
 * the range is not RAM or ROM: a hole, MMIO), -EEXIST (overlaps a logged
 * range), -ENOSPC (DIRTY_MAX_RANGES ranges logged already), -ENOMEM.
 */
int dirty_log_start(struct dirty_log *dl, const struct guest_mem *gm, struct ept *ept, u64 gpa,
		    u64 size, bool *flush);

/*
 * dirty_log_stop() - stop logging the range dirty_log_start() began at @gpa
 * with @size; its EPT entries go so it refaults at full speed (writable, and
 * 2 MiB leaves where they fit), and so do the 4 KiB tables that emptied:
 * they come back in *@freed, to free with ept_nodes_release() after the
 * flush. *@flush: as dirty_log_start().
 * Errors: -EINVAL (zero size or unaligned), -ENOENT (no logged range is
 * exactly [@gpa, @gpa+@size)).
 */
int dirty_log_stop(struct dirty_log *dl, struct ept *ept, u64 gpa, u64 size, bool *flush,
		   struct ept_node **freed);

/*
 * dirty_log_fetch() - copy the bitmap of the logged range [@gpa, @gpa+@size)
 * into @out (dirty_words() words), clear it and take write access away from
 * the pages that were dirty. *@flush: as dirty_log_start().
 * Errors: -EINVAL (zero size or unaligned), -ENOENT (no logged range is
 * exactly [@gpa, @gpa+@size)).
 */
int dirty_log_fetch(struct dirty_log *dl, struct ept *ept, u64 gpa, u64 size, u64 *out,
		    bool *flush);

/*
 * dirty_log_unfetch() - a fetch's bitmap @bits could not reach user space:
 * set its bits again in the range (if it is still logged), so the next fetch
 * reports those pages. Nothing is lost.
 */
void dirty_log_unfetch(struct dirty_log *dl, u64 gpa, u64 size, const u64 *bits);

/*
 * dirty_log_fault() - the EPT permissions to map logged or unlogged frame
 * @gfn with, for a fault of @access (EPT_R/W/X) when @perm is what memory
 * and protections allow: a write to a logged frame sets its bit and keeps
 * EPT_W; any other access to a clean logged frame maps it without EPT_W.
 */
u32 dirty_log_fault(struct dirty_log *dl, u64 gfn, u32 access, u32 perm);

/* dirty_log_block() - whether a logged range holds a page of the 2 MiB block of @gfn. */
bool dirty_log_block(const struct dirty_log *dl, u64 gfn);

/* dirty_log_mark() - the guest wrote frame @gfn another way (the emulator): set its bit. */
void dirty_log_mark(struct dirty_log *dl, u64 gfn);

/* dirty_log_free() - drop every range (the VM goes). */
void dirty_log_free(struct dirty_log *dl);

struct vm;
struct hax_dirty_log;

/*
 * vm_dirty_start() - DIRTY_LOG_START: dirty_log_start() under the VM lock;
 * running vCPUs see the write protection before it returns.
 * Errors: -EINVAL also for @a's flags, reserved or bitmap not 0; otherwise
 * as dirty_log_start().
 */
int vm_dirty_start(struct vm *vm, const struct hax_dirty_log *a);

/*
 * vm_dirty_stop() - DIRTY_LOG_STOP. Errors: -EINVAL (flags, reserved or
 * bitmap not 0), otherwise as dirty_log_stop().
 */
int vm_dirty_stop(struct vm *vm, const struct hax_dirty_log *a);

/*
 * vm_dirty_fetch() - DIRTY_LOG_GET's core: the bitmap, fetched and cleared,
 * in a new buffer of dirty_words() words (*@out, free with os_free()); every
 * write after it is in the next fetch (INVEPT done). If the bitmap cannot be
 * copied to user space, give it back with vm_dirty_unfetch().
 * Errors: -EINVAL (flags or reserved not 0), -ENOMEM, and as
 * dirty_log_fetch().
 */
int vm_dirty_fetch(struct vm *vm, const struct hax_dirty_log *a, u64 **out);
void vm_dirty_unfetch(struct vm *vm, const struct hax_dirty_log *a, const u64 *bits);

/* vm_dirty_mark() - the emulator wrote guest-physical @gpa for the guest (takes the VM lock). */
void vm_dirty_mark(struct vm *vm, u64 gpa);

#endif /* HAXM_CORE_DIRTY_H */
