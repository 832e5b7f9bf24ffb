// SPDX-License-Identifier: GPL-2.0
/*
 * 2 MiB EPT mappings of THP-backed guest RAM, allocated the way QEMU does it
 * (2 MiB-aligned, THP, here populated up front): the guest's first
 * touch maps its whole block and the blocks after it with one EPT
 * violation; RAM whose host pages are not at the guest block's offset is
 * mapped 4 KiB a page.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "harness.h"

#define PG	    4096ULL
#define HUGE	    (2ULL << 20)
#define HUGE_BLOCKS 4
#define HUGE_GPA    (8ULL << 20)
#define HUGE_PAGES  (HUGE_BLOCKS * HUGE / PG)

/*
 * The guest stops at a HLT first (the host reads the counters), then stores
 * the low byte of its countdown into every page from HUGE_GPA up (unreal
 * mode: DS limit 4 GiB), and HLTs.
 */
GUEST_CODE(g_huge_touch, ".code16\n"
			 "hlt\n"
			 "mov $0x800000, %edi\n mov $2048, %ecx\n"
			 "1: addr32 movb %cl, (%edi)\n add $4096, %edi\n dec %ecx\n jnz 1b\n"
			 "hlt\n");

#define THP_ENABLED "/sys/kernel/mm/transparent_hugepage/enabled"
#define THP_DEFRAG  "/sys/kernel/mm/transparent_hugepage/defrag"

/*
 * Set the THP setting @file to @mode; the one it had into @prev (when not NULL).
 * The testbed kernel has no madvise(), so MADV_HUGEPAGE cannot ask for THP
 * in its default "madvise" mode: the tests use "always" for a while.
 */
static int thp_mode(const char *file, const char *mode, char *prev, size_t len)
{
	char buf[96], *open_br, *close_br;
	FILE *f = fopen(file, "r+");
	int r = -1;

	if (!f)
		return -1;
	if (prev && fgets(buf, sizeof(buf), f) && (open_br = strchr(buf, '[')) &&
	    (close_br = strchr(open_br, ']'))) {
		*close_br = 0;
		snprintf(prev, len, "%s", open_br + 1);
	}
	rewind(f);
	if (fputs(mode, f) >= 0 && fflush(f) == 0)
		r = 0;
	fclose(f);
	return r;
}

uint8_t *thp_alloc(uint64_t size)
{
	uint8_t *a = mmap(NULL, size + HUGE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0), *r;
	char prev[16] = "madvise", prev_defrag[24] = "madvise";
	uint64_t head;

	if (a == MAP_FAILED)
		return NULL;
	head = -(uintptr_t)a & (HUGE - 1);
	if (head)
		munmap(a, head);
	munmap(a + head + size, HUGE - head);
	a += head;
	/* THP for this mapping, compacting memory if it must (a long suite fragments it) */
	if (thp_mode(THP_ENABLED, "always", prev, sizeof(prev)) ||
	    thp_mode(THP_DEFRAG, "always", prev_defrag, sizeof(prev_defrag))) {
		thp_mode(THP_ENABLED, prev, NULL, 0);
		munmap(a, size);
		return NULL;
	}
	r = mmap(a, size, PROT_READ | PROT_WRITE,
		 MAP_FIXED | MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	thp_mode(THP_DEFRAG, prev_defrag, NULL, 0);
	thp_mode(THP_ENABLED, prev, NULL, 0);
	if (r == MAP_FAILED) {
		munmap(a, size);
		return NULL;
	}
	return r;
}

int thp_blocks(const uint8_t *a, int n)
{
	FILE *f = fopen("/proc/self/pagemap", "r");
	int b, huge = 0;

	if (!f)
		return -1;
	for (b = 0; b < n; b++) {
		uint64_t i, first = 0, e;

		for (i = 0; i < HUGE / PG; i++) {
			uintptr_t va = (uintptr_t)a + b * HUGE + i * PG;

			if (fseek(f, va / PG * 8, SEEK_SET) || fread(&e, 8, 1, f) != 1 ||
			    !(e >> 63))
				break;
			e &= (1ULL << 55) - 1;
			if (!i)
				first = e;
			if ((first & 511) || e != first + i)
				break;
		}
		huge += i == HUGE / PG;
	}
	fclose(f);
	return huge;
}

/* Run g_huge_touch to its first HLT, then give it a 4 GiB DS (unreal mode). */
static int touch_start(struct vm_ctx *c)
{
	vcpu_state_t s;

	if (vm_load_real(c, 0x1000, g_huge_touch_start, g_huge_touch_end) ||
	    expect_exit(c, HAX_EXIT_HLT))
		return 1;
	CHECK_OK(hax_get_regs(c->vcpu_fd, &s));
	s._ds.selector = 0;
	s._ds.base = 0;
	s._ds.limit = 0xffffffff;
	s._ds.granularity = 1;
	CHECK_OK(hax_set_regs(c->vcpu_fd, &s));
	return 0;
}

/* Map the THP region at HUGE_GPA (at @offset into it), run the touch loop; the EPT violations. */
static int touch_region(struct vm_ctx *c, uint8_t *region, uint64_t offset, long long *faults,
			struct hax_counts *before, struct hax_counts *after)
{
	long long f0, f1;
	uint64_t i;

	CHECK_OK(hax_add_ramblock(c->vm_fd, (uintptr_t)region, (HUGE_BLOCKS + 1) * HUGE));
	CHECK_OK(hax_set_ram2(c->vm_fd, HUGE_GPA, HUGE_BLOCKS * HUGE, (uintptr_t)region + offset,
			      0));
	if (touch_start(c))
		return 1;
	f0 = exit_count(c, "EPT_VIOLATION");
	if (counts_read(before))
		return 1;
	if (expect_exit(c, HAX_EXIT_HLT))
		return 1;
	f1 = exit_count(c, "EPT_VIOLATION");
	if (counts_read(after))
		return 1;
	CHECK(f0 >= 0 && f1 >= 0);
	*faults = f1 - f0;
	/* every page holds the guest's byte, seen through the VMM's mapping */
	for (i = 0; i < HUGE_PAGES; i++)
		CHECK_EQ(region[offset + i * PG], (uint8_t)(2048 - i));
	return 0;
}

VM_TEST(huge_thp_block_one_fault, 64 << 10)
{
	uint8_t *region = thp_alloc((HUGE_BLOCKS + 1) * HUGE);
	struct hax_counts before, after;
	long long faults;
	int blocks;

	if (!region)
		return fail("no THP-backed populated region: %m");
	blocks = thp_blocks(region, HUGE_BLOCKS);
	if (blocks != HUGE_BLOCKS) {
		munmap(region, (HUGE_BLOCKS + 1) * HUGE);
		return fail("only %d of %d blocks in 2 MiB host pages", blocks, HUGE_BLOCKS);
	}
	if (touch_region(c, region, 0, &faults, &before, &after))
		return 1;
	printf("huge_thp_block_one_fault: %lld EPT violations for %d blocks\n", faults,
	       HUGE_BLOCKS);
	/*
	 * One EPT violation: it maps its block and, the host pages being
	 * there, the blocks after it (fault-around); one 2 MiB leaf a block,
	 * every page pinned.
	 */
	CHECK_EQ(faults, 1);
	CHECK_EQ(after.huge_pages - before.huge_pages, HUGE_BLOCKS);
	CHECK_EQ(after.pinned_pages - before.pinned_pages, HUGE_PAGES);
	munmap(region, (HUGE_BLOCKS + 1) * HUGE);
	return 0;
}

/* Host pages 4 KiB off the guest block's offset: no 2 MiB leaf, a fault a page. */
VM_TEST(huge_misaligned_4k, 64 << 10)
{
	uint8_t *region = thp_alloc((HUGE_BLOCKS + 1) * HUGE);
	struct hax_counts before, after;
	long long faults;

	if (!region)
		return fail("no THP-backed populated region: %m");
	if (touch_region(c, region, PG, &faults, &before, &after))
		return 1;
	CHECK_EQ(faults, HUGE_PAGES);
	CHECK_EQ(after.huge_pages, before.huge_pages);
	CHECK_EQ(after.pinned_pages - before.pinned_pages, HUGE_PAGES);
	munmap(region, (HUGE_BLOCKS + 1) * HUGE);
	return 0;
}

/*
 * Fault-around keeps each block's protection: block 2 read-only is mapped
 * read-only with the others, so the guest's store there is the VMM's
 * page fault, and the blocks before it were all mapped by the first fault.
 */
VM_TEST(huge_fault_around_protected, 64 << 10)
{
	uint8_t *region = thp_alloc((HUGE_BLOCKS + 1) * HUGE);
	struct hax_counts before, after;
	long long f0, f1;

	if (!region)
		return fail("no THP-backed populated region: %m");
	if (thp_blocks(region, HUGE_BLOCKS) != HUGE_BLOCKS) {
		munmap(region, (HUGE_BLOCKS + 1) * HUGE);
		return fail("not all blocks in 2 MiB host pages");
	}
	CHECK_OK(hax_add_ramblock(c->vm_fd, (uintptr_t)region, (HUGE_BLOCKS + 1) * HUGE));
	CHECK_OK(hax_set_ram2(c->vm_fd, HUGE_GPA, HUGE_BLOCKS * HUGE, (uintptr_t)region, 0));
	CHECK_OK(hax_protect_ram(c->vm_fd, HUGE_GPA + 2 * HUGE, HUGE, HAX_RAM_PERM_R));
	if (touch_start(c))
		return 1;
	f0 = exit_count(c, "EPT_VIOLATION");
	if (counts_read(&before) || expect_exit(c, HAX_EXIT_PAGEFAULT))
		return 1;
	f1 = exit_count(c, "EPT_VIOLATION");
	if (counts_read(&after))
		return 1;
	CHECK_EQ(c->tunnel->pagefault.gpa, HUGE_GPA + 2 * HUGE);
	CHECK_EQ(f1 - f0, 2);
	CHECK_EQ(after.huge_pages - before.huge_pages, HUGE_BLOCKS);
	/* blocks 0 and 1 hold the guest's bytes, block 2 is untouched */
	CHECK_EQ(region[PG], (uint8_t)(2048 - 1));
	CHECK_EQ(region[2 * HUGE - PG], (uint8_t)(2048 - 1023));
	CHECK_EQ(region[2 * HUGE + PG], 0);
	munmap(region, (HUGE_BLOCKS + 1) * HUGE);
	return 0;
}
