// SPDX-License-Identifier: GPL-2.0
/* EPT tables: the entries the CPU walks (SDM 29.3.2), built and torn down. */
#include "unit.h"

#include "ept.h"

#define PG HAX_PAGE_SIZE

/* Walk the tables the way the CPU does (4 levels, 4 KiB or 2 MiB leaves). */
static u64 cpu_walk(const struct ept *ept, u64 gpa)
{
	u64 *table = (u64 *)(uintptr_t)(ept->eptp & EPT_PA_MASK);
	int level;

	for (level = 3; level > 0; level--) {
		u64 e = table[(gpa >> (12 + 9 * level)) & 511];

		if (!(e & EPT_RWX))
			return 0;
		if (level == 1 && (e & EPT_LARGE))
			return e;
		assert_int_equal(e & EPT_RWX, EPT_RWX); /* non-leaf entries allow all */
		table = (u64 *)(uintptr_t)(e & EPT_PA_MASK);
	}
	return table[(gpa >> 12) & 511];
}

static void test_huge(void **state)
{
	struct ept ept;
	struct ept_node *old;
	const u64 huge = EPT_HUGE_SIZE;

	(void)state;
	assert_int_equal(ept_init(&ept), 0);
	assert_int_equal(ept_map_huge(&ept, huge + PG, 0, EPT_RWX, &old), -EINVAL);
	assert_int_equal(ept_map_huge(&ept, huge, PG, EPT_RWX, &old), -EINVAL);
	/* 4 KiB mappings first, then the block replaces them and hands back their table */
	assert_int_equal(ept_map(&ept, huge + PG, 0x40001000, EPT_RWX), 0);
	assert_int_equal(ept.nr_tables, 4);
	assert_int_equal(ept_map_huge(&ept, huge, 0x40000000, EPT_R | EPT_X, &old), 0);
	assert_non_null(old);
	ept_node_release(old);
	assert_int_equal(ept.nr_tables, 3);
	assert_int_equal(ept.nr_huge, 1);
	assert_int_equal(cpu_walk(&ept, huge + 0x1234),
			 0x40000000 | EPT_LARGE | EPT_MT_WB | EPT_R | EPT_X);
	assert_int_equal(ept_lookup(&ept, 2 * huge - 1),
			 0x40000000 | EPT_LARGE | EPT_MT_WB | EPT_R | EPT_X);
	/* no 4 KiB mapping inside a block */
	assert_int_equal(ept_map(&ept, huge + PG, 0x1000, EPT_RWX), -EEXIST);
	/* a change inside drops the whole block */
	assert_true(ept_unmap(&ept, huge + 5 * PG, PG));
	assert_int_equal(ept.nr_huge, 0);
	assert_int_equal(cpu_walk(&ept, huge), 0);
	assert_int_equal(ept_map(&ept, huge + PG, 0x1000, EPT_RWX), 0);
	assert_int_equal(ept.nr_tables, 4);
	/* a block where no table was; freed with the rest */
	assert_true(ept_block_unused(&ept, 7 * huge + PG));
	assert_int_equal(ept_map_huge(&ept, 7 * huge, 0x80000000, EPT_RWX, &old), 0);
	assert_null(old);
	assert_int_equal(ept.nr_huge, 1);
	/* used: by a 2 MiB leaf, or by a table, even with its entries gone */
	assert_false(ept_block_unused(&ept, 7 * huge));
	assert_false(ept_block_unused(&ept, huge));
	assert_true(ept_unmap(&ept, huge + PG, PG));
	assert_false(ept_block_unused(&ept, huge));
	assert_true(ept_block_unused(&ept, 6 * huge));
	assert_true(ept_block_unused(&ept, 1ULL << 40));
	ept_free(&ept);
}

static void test_eptp(void **state)
{
	struct ept ept;

	(void)state;
	assert_int_equal(ept_init(&ept), 0);
	/* SDM 24.6.11: WB (6) in bits 2:0, walk length - 1 in bits 5:3 */
	assert_int_equal(ept.eptp & 0xfff, 0x1e);
	assert_int_equal(ept.eptp & EPT_PA_MASK, ept.root.page.pa);
	assert_int_equal(ept.nr_tables, 1);
	ept_free(&ept);
}

static void test_map_lookup_unmap(void **state)
{
	struct ept ept;
	u64 e;

	(void)state;
	assert_int_equal(ept_init(&ept), 0);
	assert_int_equal(ept_map(&ept, 0x1000, 0xabcd000, EPT_R | EPT_X), 0);
	e = ept_lookup(&ept, 0x1000);
	assert_int_equal(e, 0xabcd000 | EPT_MT_WB | EPT_R | EPT_X);
	assert_int_equal(cpu_walk(&ept, 0x1fff), e);
	assert_int_equal(ept.nr_tables, 4);
	assert_int_equal(ept_lookup(&ept, 0x2000), 0);
	assert_int_equal(cpu_walk(&ept, 0x2000), 0);
	/* replacing a mapping changes the leaf only */
	assert_int_equal(ept_map(&ept, 0x1000, 0x5000, EPT_RWX), 0);
	assert_int_equal(cpu_walk(&ept, 0x1000), 0x5000 | EPT_MT_WB | EPT_RWX);
	assert_int_equal(ept.nr_tables, 4);
	/* far apart: a new path of tables; the top of the 48-bit space */
	assert_int_equal(ept_map(&ept, (1ULL << 48) - PG, 0x7000, EPT_RWX), 0);
	assert_int_equal(ept.nr_tables, 7);
	assert_int_equal(cpu_walk(&ept, (1ULL << 48) - 1), 0x7000 | EPT_MT_WB | EPT_RWX);
	/* unmap reports whether anything went */
	assert_false(ept_unmap(&ept, 0x2000, 0x100000));
	assert_true(ept_unmap(&ept, 0, 0x100000));
	assert_int_equal(cpu_walk(&ept, 0x1000), 0);
	assert_true(ept_unmap(&ept, 0, 1ULL << 52));
	assert_int_equal(cpu_walk(&ept, (1ULL << 48) - PG), 0);
	ept_free(&ept);
}

static void test_map_checks(void **state)
{
	struct ept ept;

	(void)state;
	assert_int_equal(ept_init(&ept), 0);
	assert_int_equal(ept_map(&ept, 0x1001, 0x1000, EPT_RWX), -EINVAL);
	assert_int_equal(ept_map(&ept, 0x1000, 0x1800, EPT_RWX), -EINVAL);
	assert_int_equal(ept_map(&ept, 1ULL << 48, 0x1000, EPT_RWX), -EINVAL);
	/* permission bits beyond RWX never reach the entry */
	assert_int_equal(ept_map(&ept, 0, 0x1000, ~0ULL), 0);
	assert_int_equal(ept_lookup(&ept, 0), 0x1000 | EPT_MT_WB | EPT_RWX);
	ept_free(&ept);
}

static void test_enomem_unwinds(void **state)
{
	struct ept ept;
	long n;

	(void)state;
	/* fail each allocation of the first map in turn: no leak, no entry */
	for (n = 0; n <= 8; n++) {
		os_user.allocs = 0;
		os_user.fail_alloc_after = -1;
		assert_int_equal(ept_init(&ept), 0);
		os_user.allocs = 0;
		os_user.fail_alloc_after = n;
		if (ept_map(&ept, 0x40201000, 0x1000, EPT_RWX) == 0) {
			assert_int_equal(n, 8); /* 3 nodes, 3 pages, 2 child arrays */
			assert_int_equal(cpu_walk(&ept, 0x40201000), 0x1000 | EPT_MT_WB | EPT_RWX);
		} else {
			assert_int_equal(cpu_walk(&ept, 0x40201000), 0);
		}
		os_user.fail_alloc_after = -1;
		ept_free(&ept);
	}
	for (n = 0; n < 2; n++) {
		os_user.allocs = 0;
		os_user.fail_alloc_after = n;
		assert_int_equal(ept_init(&ept), -ENOMEM);
	}
}

/* Random maps and unmaps against a model of 4096 frames spread over the space. */
static void test_random_model(void **state)
{
	static u64 model[4096];
	struct ept ept;
	int i, k;

	(void)state;
	srand(42);
	memset(model, 0, sizeof(model));
	assert_int_equal(ept_init(&ept), 0);
	for (i = 0; i < 50000; i++) {
		/* frames k live at gpa k * 129 pages: crossing table boundaries */
		k = rand() % 4096;
		u64 gpa = (u64)k * 129 * PG;

		if (rand() % 4) {
			u64 hpa = (u64)(rand() + 1) * PG, perm = 1 + rand() % 7;

			assert_int_equal(ept_map(&ept, gpa, hpa, perm), 0);
			model[k] = hpa | EPT_MT_WB | perm;
		} else {
			assert_int_equal(ept_unmap(&ept, gpa, PG), model[k] != 0);
			model[k] = 0;
		}
	}
	for (k = 0; k < 4096; k++) {
		assert_int_equal(cpu_walk(&ept, (u64)k * 129 * PG), model[k]);
		assert_int_equal(cpu_walk(&ept, (u64)k * 129 * PG + PG), 0);
	}
	ept_free(&ept);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		UNIT_TEST(test_eptp),	      UNIT_TEST(test_map_lookup_unmap),
		UNIT_TEST(test_map_checks),   UNIT_TEST(test_enomem_unwinds),
		UNIT_TEST(test_random_model), UNIT_TEST(test_huge),
	};

	return cmocka_run_group_tests_name("ept", tests, NULL, NULL);
}
