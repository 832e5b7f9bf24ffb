/* SPDX-License-Identifier: GPL-2.0 */
/* Extended page tables (SDM 29.3): 4-level, write-back, 4 KiB and 2 MiB leaves. */
#ifndef HAXM_CORE_EPT_H
#define HAXM_CORE_EPT_H

#include "os.h"

#define EPT_R	      (1ULL << 0)
#define EPT_W	      (1ULL << 1)
#define EPT_X	      (1ULL << 2)
#define EPT_RWX	      (EPT_R | EPT_W | EPT_X)
#define EPT_MT_WB     (6ULL << 3)
#define EPT_LARGE     (1ULL << 7) /* a PDE mapping 2 MiB (SDM 29.3.2) */
#define EPT_HUGE_SIZE (2ULL << 20)
#define EPT_PA_MASK   0x000ffffffffff000ULL

struct ept_node {
	struct os_page page;	    /* the table the CPU walks: 512 entries */
	struct ept_node **children; /* 512 shadows, NULL at the leaf level */
	struct ept_node *next;	    /* detached by ept_prune(), waiting for the flush */
};

struct ept {
	struct ept_node root; /* PML4 */
	u64 eptp;
	u64 nr_tables;
	u64 nr_huge; /* 2 MiB leaves */
};

/*
 * ept_init() - an empty EPT hierarchy and its EPT pointer.
 * Errors: -ENOMEM.
 */
int ept_init(struct ept *ept);

/* ept_free() - free every table; the EPT must no longer be in use. */
void ept_free(struct ept *ept);

/*
 * ept_map() - map the 4 KiB guest page at @gpa to host page @hpa with the
 * permissions @perm (EPT_R/W/X), write-back. Replaces an existing mapping.
 * Errors: -EINVAL (@gpa beyond 48 bits or unaligned), -ENOMEM.
 */
int ept_map(struct ept *ept, u64 gpa, u64 hpa, u64 perm);

/*
 * ept_map() fails with -EEXIST when a 2 MiB leaf maps @gpa.
 *
 * ept_map_huge() - map the 2 MiB guest block at @gpa to host block @hpa,
 * replacing the 4 KiB mappings there. Their table comes back in @old: free
 * it with ept_node_release() once no CPU can walk it (after the flush).
 * Errors: -EINVAL (@gpa beyond 48 bits, @gpa or @hpa not 2 MiB-aligned),
 * -ENOMEM.
 */
int ept_map_huge(struct ept *ept, u64 gpa, u64 hpa, u64 perm, struct ept_node **old);

/* ept_node_release() - free a table ept_map_huge() detached (NULL is fine). */
void ept_node_release(struct ept_node *n);

/*
 * ept_unmap() - remove the mappings of [@gpa, @gpa+@size); a 2 MiB leaf the
 * range touches goes as a whole. Returns true when anything was removed, so
 * the caller must flush the EPT TLBs (INVEPT).
 */
bool ept_unmap(struct ept *ept, u64 gpa, u64 size);

/*
 * ept_write_protect() - take write access away in [@gpa, @gpa+@size): 4 KiB
 * leaves lose EPT_W, a 2 MiB leaf the range touches goes as a whole (its
 * pages refault as 4 KiB ones). Returns true when anything changed, so the
 * caller must flush the EPT TLBs (INVEPT) before relying on it.
 */
bool ept_write_protect(struct ept *ept, u64 gpa, u64 size);

/*
 * ept_prune() - detach the 4 KiB tables of the 2 MiB blocks inside
 * [@gpa, @gpa+@size) that map nothing any more, so those blocks are unused
 * again (ept_block_unused(): fault-around maps them). Returns the detached
 * tables, chained through ->next: flush the EPT TLBs (INVEPT), then free
 * them with ept_nodes_release(). NULL when nothing was detached.
 */
struct ept_node *ept_prune(struct ept *ept, u64 gpa, u64 size);

/* ept_nodes_release() - free a chain ept_prune() returned (NULL is fine). */
void ept_nodes_release(struct ept_node *n);

/* ept_lookup() - the leaf entry for @gpa (EPT_LARGE: a 2 MiB one), 0 when unmapped. */
u64 ept_lookup(const struct ept *ept, u64 gpa);

/* ept_block_unused() - nothing maps the 2 MiB block of @gpa: no leaf, no table. */
bool ept_block_unused(const struct ept *ept, u64 gpa);

#endif /* HAXM_CORE_EPT_H */
