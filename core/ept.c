// SPDX-License-Identifier: GPL-2.0
/* EPT hierarchy: each table page has a shadow array of child pointers. */
#include "ept.h"
#include "stats.h"

#define EPT_LEVELS   4
#define EPT_ENTRIES  512
#define EPT_GPA_BITS 48

static unsigned int ept_index(u64 gpa, int level)
{
	return (gpa >> (HAX_PAGE_SHIFT + 9 * level)) & (EPT_ENTRIES - 1);
}

static int node_init(struct ept_node *n, bool leaf)
{
	int r = os_page_alloc(&n->page);

	if (r)
		return r;
	n->children = NULL;
	if (leaf)
		return 0;
	n->children = os_zalloc(EPT_ENTRIES * sizeof(*n->children));
	if (!n->children) {
		os_page_free(&n->page);
		return -ENOMEM;
	}
	return 0;
}

static void node_free(struct ept_node *n)
{
	int i;

	if (n->children) {
		for (i = 0; i < EPT_ENTRIES; i++) {
			if (n->children[i]) {
				node_free(n->children[i]);
				os_free(n->children[i]);
			}
		}
		os_free(n->children);
	}
	os_page_free(&n->page);
}

int ept_init(struct ept *ept)
{
	int r = node_init(&ept->root, false);

	if (r)
		return r;
	ept->nr_tables = 1;
	ept->nr_huge = 0;
	/* SDM 24.6.11: memory type WB (6), walk length 4 (encoded as 3). */
	ept->eptp = ept->root.page.pa | (3 << 3) | 6;
	return 0;
}

void ept_free(struct ept *ept)
{
	node_free(&ept->root);
	ept->nr_tables = 0;
	hax_count(&hax_counters.huge_pages, -(s64)ept->nr_huge);
	ept->nr_huge = 0;
}

void ept_node_release(struct ept_node *n)
{
	if (!n)
		return;
	node_free(n);
	os_free(n);
}

/*
 * The table at @stop_level (1: the page directory, 0: a page table) for
 * @gpa; created when @create. NULL (and -EEXIST in @err) when a 2 MiB leaf
 * maps @gpa and @stop_level is 0.
 */
static struct ept_node *ept_table(struct ept *ept, u64 gpa, int stop_level, bool create, int *err)
{
	struct ept_node *n = &ept->root;
	int level;

	for (level = EPT_LEVELS - 1; level > stop_level; level--) {
		unsigned int i = ept_index(gpa, level);
		struct ept_node *c = n->children[i];
		u64 *table = n->page.va;

		if (!c && (table[i] & EPT_LARGE)) {
			*err = -EEXIST;
			return NULL;
		}
		if (!c) {
			if (!create)
				return NULL;
			c = os_zalloc(sizeof(*c));
			if (!c || node_init(c, level == 1)) {
				os_free(c);
				*err = -ENOMEM;
				return NULL;
			}
			n->children[i] = c;
			ept->nr_tables++;
			__atomic_store_n(&table[i], c->page.pa | EPT_RWX, __ATOMIC_RELEASE);
		}
		n = c;
	}
	return n;
}

int ept_map(struct ept *ept, u64 gpa, u64 hpa, u64 perm)
{
	struct ept_node *leaf;
	int err = 0;
	u64 *table;

	if ((gpa | hpa) & (HAX_PAGE_SIZE - 1) || gpa >> EPT_GPA_BITS)
		return -EINVAL;
	leaf = ept_table(ept, gpa, 0, true, &err);
	if (!leaf)
		return err;
	table = leaf->page.va;
	__atomic_store_n(&table[ept_index(gpa, 0)],
			 (hpa & EPT_PA_MASK) | EPT_MT_WB | (perm & EPT_RWX), __ATOMIC_RELEASE);
	return 0;
}

int ept_map_huge(struct ept *ept, u64 gpa, u64 hpa, u64 perm, struct ept_node **old)
{
	struct ept_node *pd;
	unsigned int i = ept_index(gpa, 1);
	int err = 0;
	u64 *table;

	*old = NULL;
	if ((gpa | hpa) & (EPT_HUGE_SIZE - 1) || gpa >> EPT_GPA_BITS)
		return -EINVAL;
	pd = ept_table(ept, gpa, 1, true, &err);
	if (!pd)
		return err;
	table = pd->page.va;
	if (!(table[i] & EPT_LARGE)) {
		ept->nr_huge++;
		hax_count(&hax_counters.huge_pages, 1);
	}
	/* SDM 29.3.2: bit 7 makes a PDE map 2 MiB; its table goes after the flush. */
	__atomic_store_n(&table[i], (hpa & EPT_PA_MASK) | EPT_LARGE | EPT_MT_WB | (perm & EPT_RWX),
			 __ATOMIC_RELEASE);
	*old = pd->children[i];
	pd->children[i] = NULL;
	if (*old)
		ept->nr_tables--;
	return 0;
}

/*
 * Clear @bits in the 4 KiB leaves of [@gpa, @gpa+@size) that have any of
 * them set (~0: remove the leaves); a 2 MiB leaf the range touches goes as a
 * whole, its pages refault as 4 KiB ones. True when anything changed.
 */
static bool ept_clear(struct ept *ept, u64 gpa, u64 size, u64 bits)
{
	bool changed = false;
	u64 end = gpa + size;

	if (end > (1ULL << EPT_GPA_BITS) || end < gpa)
		end = 1ULL << EPT_GPA_BITS;
	while (gpa < end) {
		int err = 0;
		struct ept_node *pd = ept_table(ept, gpa, 1, false, &err);
		u64 next = (gpa | (EPT_HUGE_SIZE - 1)) + 1;
		unsigned int i = ept_index(gpa, 1);

		if (pd && (((u64 *)pd->page.va)[i] & EPT_LARGE)) {
			__atomic_store_n(&((u64 *)pd->page.va)[i], 0, __ATOMIC_RELEASE);
			ept->nr_huge--;
			hax_count(&hax_counters.huge_pages, -1);
			changed = true;
		} else if (pd && pd->children[i]) {
			u64 *table = pd->children[i]->page.va;
			u64 g;

			for (g = gpa; g < end && g < next; g += HAX_PAGE_SIZE) {
				unsigned int j = ept_index(g, 0);

				if (table[j] & bits) {
					__atomic_store_n(&table[j], table[j] & ~bits,
							 __ATOMIC_RELEASE);
					changed = true;
				}
			}
		}
		gpa = next;
	}
	return changed;
}

bool ept_unmap(struct ept *ept, u64 gpa, u64 size)
{
	return ept_clear(ept, gpa, size, ~0ULL);
}

bool ept_write_protect(struct ept *ept, u64 gpa, u64 size)
{
	return ept_clear(ept, gpa, size, EPT_W);
}

/* Does the 4 KiB table @n map nothing? */
static bool table_empty(const struct ept_node *n)
{
	const u64 *t = n->page.va;
	int i;

	for (i = 0; i < EPT_ENTRIES; i++)
		if (t[i])
			return false;
	return true;
}

struct ept_node *ept_prune(struct ept *ept, u64 gpa, u64 size)
{
	u64 g = (gpa + EPT_HUGE_SIZE - 1) & ~(EPT_HUGE_SIZE - 1), end = gpa + size;
	struct ept_node *freed = NULL;

	if (end > (1ULL << EPT_GPA_BITS) || end < gpa)
		end = 1ULL << EPT_GPA_BITS;
	for (; g + EPT_HUGE_SIZE <= end && g + EPT_HUGE_SIZE > g; g += EPT_HUGE_SIZE) {
		int err = 0;
		struct ept_node *pd = ept_table(ept, g, 1, false, &err), *t;
		unsigned int i = ept_index(g, 1);

		if (!pd || !pd->children[i] || !table_empty(pd->children[i]))
			continue;
		t = pd->children[i];
		__atomic_store_n(&((u64 *)pd->page.va)[i], 0, __ATOMIC_RELEASE);
		pd->children[i] = NULL;
		ept->nr_tables--;
		t->next = freed;
		freed = t;
	}
	return freed;
}

void ept_nodes_release(struct ept_node *n)
{
	while (n) {
		struct ept_node *next = n->next;

		ept_node_release(n);
		n = next;
	}
}

u64 ept_lookup(const struct ept *ept, u64 gpa)
{
	int err = 0;
	struct ept_node *pd = ept_table((struct ept *)ept, gpa, 1, false, &err);
	u64 pde;

	if (!pd)
		return 0;
	pde = ((u64 *)pd->page.va)[ept_index(gpa, 1)];
	if (pde & EPT_LARGE)
		return pde;
	pd = pd->children[ept_index(gpa, 1)];
	return pd ? ((u64 *)pd->page.va)[ept_index(gpa, 0)] : 0;
}

bool ept_block_unused(const struct ept *ept, u64 gpa)
{
	int err = 0;
	struct ept_node *pd = ept_table((struct ept *)ept, gpa, 1, false, &err);
	unsigned int i = ept_index(gpa, 1);

	return !pd || (!((u64 *)pd->page.va)[i] && !pd->children[i]);
}
