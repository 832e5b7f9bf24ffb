/* SPDX-License-Identifier: GPL-2.0 */
/* Extended page tables (SDM 29.3): 4-level, write-back, 4 KiB leaves. */
#ifndef HAXM_CORE_EPT_H
#define HAXM_CORE_EPT_H

#include "os.h"

#define EPT_R (1ULL << 0)
#define EPT_W (1ULL << 1)
#define EPT_X (1ULL << 2)
#define EPT_RWX (EPT_R | EPT_W | EPT_X)
#define EPT_MT_WB (6ULL << 3)
#define EPT_PA_MASK 0x000ffffffffff000ULL

struct ept_node {
	struct os_page page;        /* the table the CPU walks: 512 entries */
	struct ept_node **children; /* 512 shadows, NULL at the leaf level */
};

struct ept {
	struct ept_node root; /* PML4 */
	u64 eptp;
	u64 nr_tables;
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
 * ept_unmap() - remove the mappings of [@gpa, @gpa+@size). Returns true when
 * anything was removed, so the caller must flush the EPT TLBs (INVEPT).
 */
bool ept_unmap(struct ept *ept, u64 gpa, u64 size);

/* ept_lookup() - the leaf entry for @gpa, 0 when unmapped. */
u64 ept_lookup(const struct ept *ept, u64 gpa);

#endif /* HAXM_CORE_EPT_H */
