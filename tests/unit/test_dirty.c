// SPDX-License-Identifier: GPL-2.0
/*
 * Dirty-page logging (core/dirty.c): argument checks, the bitmap, and the
 * invariant it keeps with the EPT: a logged page is writable in the EPT only
 * while its bit is set; 2 MiB leaves never map a logged block.
 */
#include "unit.h"

#include "dirty.h"
#include "haxm.h"

#define PG   HAX_PAGE_SIZE
#define HUGE EPT_HUGE_SIZE
#define UVA  0x7f0000000000ULL
#define RAM  (8 * HUGE) /* guest-physical [0, 16 MiB) is RAM */

static struct guest_mem gm;
static struct dirty_log dl;
static struct ept ept;

static int setup(void **state)
{
	unit_setup(state);
	memset(&gm, 0, sizeof(gm));
	memset(&dl, 0, sizeof(dl));
	assert_int_equal(ept_init(&ept), 0);
	assert_int_equal(ramblock_add(&gm, UVA, RAM), 0);
	assert_int_equal(memslot_set(&gm, 0, RAM, UVA, 0), 0);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	dirty_log_free(&dl);
	ept_free(&ept);
	guest_mem_free(&gm);
	return unit_teardown(state); /* nothing leaked */
}

static void test_start_checks(void **state)
{
	struct ept_node *freed;
	bool flush;
	int i;

	(void)state;
	assert_int_equal(dirty_log_start(&dl, &gm, &ept, 0, 0, &flush), -EINVAL);
	assert_int_equal(dirty_log_start(&dl, &gm, &ept, 1, PG, &flush), -EINVAL);
	assert_int_equal(dirty_log_start(&dl, &gm, &ept, 0, PG + 1, &flush), -EINVAL);
	assert_int_equal(dirty_log_start(&dl, &gm, &ept, -PG, 2 * PG, &flush), -EINVAL);
	assert_int_equal(dirty_log_start(&dl, &gm, &ept, HAX_GPA_LIMIT - PG, 2 * PG, &flush),
			 -EINVAL);
	assert_int_equal(dirty_log_start(&dl, &gm, &ept, 0, DIRTY_MAX_SIZE + PG, &flush), -E2BIG);
	/* a range reaching past RAM, and one with a hole in it */
	assert_int_equal(dirty_log_start(&dl, &gm, &ept, RAM - PG, 2 * PG, &flush), -ENOENT);
	assert_int_equal(memslot_set(&gm, 5 * PG, PG, 0, HAX_RAM_INFO_INVALID), 0);
	guest_mem_release_unmapped(&gm);
	assert_int_equal(dirty_log_start(&dl, &gm, &ept, 0, 16 * PG, &flush), -ENOENT);
	assert_int_equal(dl.n, 0);
	/* ranges over two slots are fine; overlaps are not */
	assert_int_equal(dirty_log_start(&dl, &gm, &ept, 6 * PG, 10 * PG, &flush), 0);
	assert_false(flush); /* nothing mapped: nothing to flush */
	assert_int_equal(dirty_log_start(&dl, &gm, &ept, 15 * PG, PG, &flush), -EEXIST);
	assert_int_equal(dirty_log_start(&dl, &gm, &ept, 0, 5 * PG, &flush), 0);
	for (i = 2; i < DIRTY_MAX_RANGES; i++)
		assert_int_equal(dirty_log_start(&dl, &gm, &ept, (16 + i) * PG, PG, &flush), 0);
	assert_int_equal(dirty_log_start(&dl, &gm, &ept, 100 * PG, PG, &flush), -ENOSPC);
	/* stop and fetch want exactly a logged range */
	assert_int_equal(dirty_log_stop(&dl, &ept, 6 * PG, 9 * PG, &flush, &freed), -ENOENT);
	assert_int_equal(dirty_log_stop(&dl, &ept, 7 * PG, 10 * PG, &flush, &freed), -ENOENT);
	assert_int_equal(dirty_log_stop(&dl, &ept, 6 * PG, 0, &flush, &freed), -EINVAL);
	assert_int_equal(dirty_log_stop(&dl, &ept, 6 * PG + 8, PG, &flush, &freed), -EINVAL);
	assert_int_equal(dirty_log_stop(&dl, &ept, 6 * PG, 10 * PG, &flush, &freed), 0);
	assert_int_equal(dirty_log_stop(&dl, &ept, 6 * PG, 10 * PG, &flush, &freed), -ENOENT);
	assert_int_equal(dirty_log_start(&dl, &gm, &ept, 100 * PG, PG, &flush), 0);
	assert_int_equal(dl.n, DIRTY_MAX_RANGES);
}

/* Map page @gfn as the fault handler would for @access, logging considered. */
static void fault(u64 gfn, u32 access)
{
	u32 perm = dirty_log_fault(&dl, gfn, access, EPT_RWX);

	assert_int_equal(ept_map(&ept, gfn << HAX_PAGE_SHIFT, 0x100000000ULL + (gfn << 12), perm),
			 0);
}

static bool writable(u64 gfn)
{
	return ept_lookup(&ept, gfn << HAX_PAGE_SHIFT) & EPT_W;
}

static void test_fault_fetch(void **state)
{
	struct ept_node *freed;
	u64 bits[2];
	bool flush;

	(void)state;
	/* mapped writable before logging starts: START takes W away */
	fault(3, EPT_W);
	fault(70, EPT_R);
	assert_true(writable(3));
	assert_int_equal(dirty_log_start(&dl, &gm, &ept, 0, 100 * PG, &flush), 0);
	assert_true(flush);
	assert_false(writable(3));
	assert_false(writable(70));
	/* reads and fetches map clean pages read-only; a write dirties and opens */
	fault(4, EPT_R);
	fault(5, EPT_X);
	assert_false(writable(4));
	fault(3, EPT_W);
	fault(99, EPT_W | EPT_R);
	assert_true(writable(3));
	assert_true(writable(99));
	/* an emulated write: its bit, and the EPT untouched */
	dirty_log_mark(&dl, 64);
	dirty_log_mark(&dl, 100); /* not logged */
	assert_false(writable(64));
	memset(bits, 0xaa, sizeof(bits));
	assert_int_equal(dirty_log_fetch(&dl, &ept, 0, 100 * PG, bits, &flush), 0);
	assert_true(flush);
	assert_int_equal(bits[0], 1ULL << 3);
	assert_int_equal(bits[1], (1ULL << (99 - 64)) | 1);
	assert_false(writable(3));
	assert_false(writable(99));
	/* cleared: the second fetch is empty and flushes nothing */
	assert_int_equal(dirty_log_fetch(&dl, &ept, 0, 100 * PG, bits, &flush), 0);
	assert_false(flush);
	assert_int_equal(bits[0] | bits[1], 0);
	/* a page already dirty maps writable on a read fault too */
	fault(4, EPT_W);
	assert_int_equal(ept_unmap(&ept, 4 * PG, PG), true);
	fault(4, EPT_R);
	assert_true(writable(4));
	/* a fetch that could not reach user space gives its bits back */
	assert_int_equal(dirty_log_fetch(&dl, &ept, 0, 100 * PG, bits, &flush), 0);
	assert_int_equal(bits[0], 1ULL << 4);
	dirty_log_unfetch(&dl, 0, 100 * PG, bits);
	dirty_log_unfetch(&dl, 0, 99 * PG, bits); /* not a range: ignored */
	memset(bits, 0, sizeof(bits));
	assert_int_equal(dirty_log_fetch(&dl, &ept, 0, 100 * PG, bits, &flush), 0);
	assert_int_equal(bits[0], 1ULL << 4);
	assert_int_equal(bits[1], 0);
	assert_int_equal(dirty_log_fetch(&dl, &ept, 0, 99 * PG, bits, &flush), -ENOENT);
	/* stop: the range refaults writable (and unlogged pages never lose W) */
	assert_int_equal(dirty_log_stop(&dl, &ept, 0, 100 * PG, &flush, &freed), 0);
	assert_true(flush);
	assert_null(freed); /* the block's table still maps page 70 */
	assert_false(ept_block_unused(&ept, 0));
	assert_int_equal(ept_lookup(&ept, 4 * PG), 0);
	fault(4, EPT_R);
	assert_true(writable(4));
	fault(200, EPT_R);
	assert_true(writable(200));
}

static void test_huge_blocks(void **state)
{
	struct ept_node *old, *freed;
	u64 bits[HAX_DIRTY_LOG_WORDS(HUGE)], tables;
	bool flush;

	(void)state;
	/* a 2 MiB leaf over block 1, read-write */
	assert_int_equal(ept_map_huge(&ept, HUGE, 0x40000000, EPT_RWX, &old), 0);
	assert_int_equal(ept.nr_huge, 1);
	assert_false(dirty_log_block(&dl, HUGE >> 12));
	/* logging one page of the block drops the whole leaf */
	assert_int_equal(dirty_log_start(&dl, &gm, &ept, HUGE + 7 * PG, PG, &flush), 0);
	assert_true(flush);
	assert_int_equal(ept.nr_huge, 0);
	assert_int_equal(ept_lookup(&ept, HUGE), 0);
	assert_true(dirty_log_block(&dl, (2 * HUGE - PG) >> 12));
	assert_false(dirty_log_block(&dl, (2 * HUGE) >> 12));
	assert_false(dirty_log_block(&dl, (HUGE - PG) >> 12));
	/* the logged page refaults 4 KiB, the rest of the block as it likes */
	fault((HUGE >> 12) + 7, EPT_R);
	fault((HUGE >> 12) + 8, EPT_W);
	assert_false(writable((HUGE >> 12) + 7));
	assert_true(writable((HUGE >> 12) + 8));
	assert_int_equal(dirty_log_fetch(&dl, &ept, HUGE + 7 * PG, PG, bits, &flush), 0);
	assert_int_equal(bits[0], 0);
	assert_int_equal(dirty_log_stop(&dl, &ept, HUGE + 7 * PG, PG, &flush, &freed), 0);
	assert_false(dirty_log_block(&dl, HUGE >> 12));

	/* a whole logged block: every page is its own bit */
	assert_int_equal(dirty_log_start(&dl, &gm, &ept, 2 * HUGE, HUGE, &flush), 0);
	fault((2 * HUGE >> 12) + 511, EPT_W);
	fault((2 * HUGE >> 12) + 0, EPT_W);
	assert_int_equal(dirty_log_fetch(&dl, &ept, 2 * HUGE, HUGE, bits, &flush), 0);
	assert_int_equal(bits[0], 1);
	assert_int_equal(bits[7], 1ULL << 63);
	assert_int_equal(bits[3], 0);
	/* STOP: the block's emptied table goes too (after the flush): unused again */
	tables = ept.nr_tables;
	assert_false(ept_block_unused(&ept, 2 * HUGE));
	assert_int_equal(dirty_log_stop(&dl, &ept, 2 * HUGE, HUGE, &flush, &freed), 0);
	assert_true(flush);
	assert_non_null(freed);
	assert_null(freed->next);
	ept_nodes_release(freed);
	assert_int_equal(ept.nr_tables, tables - 1);
	assert_true(ept_block_unused(&ept, 2 * HUGE));
	assert_int_equal(ept_lookup(&ept, 2 * HUGE + 511 * PG), 0);
	/* a block only partly in the range keeps its table */
	fault((3 * HUGE >> 12) + 1, EPT_W);
	assert_int_equal(dirty_log_start(&dl, &gm, &ept, 3 * HUGE, HUGE - PG, &flush), 0);
	assert_int_equal(dirty_log_stop(&dl, &ept, 3 * HUGE, HUGE - PG, &flush, &freed), 0);
	assert_null(freed);
	assert_false(ept_block_unused(&ept, 3 * HUGE));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_start_checks, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fault_fetch, setup, teardown),
		cmocka_unit_test_setup_teardown(test_huge_blocks, setup, teardown),
	};

	return cmocka_run_group_tests_name("dirty", tests, NULL, NULL);
}
