// SPDX-License-Identifier: GPL-2.0
/*
 * Dirty-page logging (HAX_CAP_DIRTY_LOG, docs/api.md): every way a guest
 * writes a page sets its bit, reads and the VMM's own writes do not, a fetch
 * clears, nothing written while another thread fetches is lost, 2 MiB-backed
 * RAM is split while logged and whole again after, and every error.
 */
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"
#include "mmio_dev.h"

#define PG 4096ULL

/* ---- helpers ----------------------------------------------------------- */

#define MAX_WORDS 32 /* 2048 pages */

/* Fetch the log of [@gpa, +@size) into @bm; 0 or a failure. */
static int fetch(struct vm_ctx *c, uint64_t gpa, uint64_t size, uint64_t *bm)
{
	memset(bm, 0xa5, HAX_DIRTY_LOG_WORDS(size) * 8);
	CHECK_OK(hax_dirty_log_get(c->vm_fd, gpa, size, bm));
	return 0;
}

static bool bit(const uint64_t *bm, unsigned int page)
{
	return bm[page / 64] >> (page % 64) & 1;
}

/*
 * The bitmap @bm of @npages pages holds exactly the pages listed in @want
 * (@n of them); a failure names the first page that differs.
 */
static int expect_pages(const uint64_t *bm, unsigned int npages, const unsigned int *want,
			unsigned int n)
{
	uint64_t exp[MAX_WORDS] = { 0 };
	unsigned int p, i;

	for (i = 0; i < n; i++)
		exp[want[i] / 64] |= 1ULL << (want[i] % 64);
	for (p = 0; p < (npages + 63) / 64 * 64; p++)
		if (bit(bm, p) != bit(exp, p))
			return fail("page %u: dirty bit %d, expected %d", p, bit(bm, p),
				    bit(exp, p));
	return 0;
}
#define EXPECT_PAGES(bm, npages, ...)                                         \
	do {                                                                  \
		const unsigned int _w[] = { __VA_ARGS__ };                    \
		if (expect_pages(bm, npages, _w, sizeof(_w) / sizeof(_w[0]))) \
			return 1;                                             \
	} while (0)
#define EXPECT_CLEAN(bm, npages)                       \
	do {                                           \
		if (expect_pages(bm, npages, NULL, 0)) \
			return 1;                      \
	} while (0)

/* ---- real mode: stores, a store over two pages, a read, the VMM's writes -- */

#define RM_GPA	0x20000ULL /* ES base in the real-mode guests */
#define RM_SIZE 0x20000ULL /* 32 pages */

GUEST_CODE(g_rm_store, ".code16\n"
		       "mov $0x2000, %ax\n mov %ax, %es\n"
		       "movb $1, %es:0x0000\n" /* page 0 */
		       "movw $2, %es:0x5008\n" /* page 5 */
		       "movl $3, %es:0x7ffe\n" /* pages 7 and 8 */
		       "mov %es:0x9000, %al\n" /* a read of page 9 */
		       "cld\n mov $0xb800, %di\n mov $0x1000, %cx\n rep stosb\n" /* 11, 12 */
		       "hlt\n"
		       "movb $4, %es:0x0010\n" /* page 0 again */
		       "hlt\n");

VM_TEST(dirty_real_mode_stores, 1 << 20)
{
	uint64_t bm[MAX_WORDS];

	CHECK_OK(hax_dirty_log_start(c->vm_fd, RM_GPA, RM_SIZE));
	if (fetch(c, RM_GPA, RM_SIZE, bm))
		return 1;
	EXPECT_CLEAN(bm, 32);
	/* the VMM's own writes (a device's DMA) are not the guest's */
	c->ram[RM_GPA + 6 * PG] = 0x66;
	c->ram[RM_GPA] = 0x99;
	if (vm_load_real(c, 0x1000, g_rm_store_start, g_rm_store_end) ||
	    expect_exit(c, HAX_EXIT_HLT) || fetch(c, RM_GPA, RM_SIZE, bm))
		return 1;
	EXPECT_PAGES(bm, 32, 0, 5, 7, 8, 11, 12);
	CHECK_EQ(c->ram[RM_GPA], 1);
	CHECK_EQ(*(uint32_t *)(c->ram + RM_GPA + 0x7ffe), 3);
	/* the fetch cleared the log: a second one is empty */
	if (fetch(c, RM_GPA, RM_SIZE, bm))
		return 1;
	EXPECT_CLEAN(bm, 32);
	/* written again after the fetch: dirty again */
	if (expect_exit(c, HAX_EXIT_HLT) || fetch(c, RM_GPA, RM_SIZE, bm))
		return 1;
	EXPECT_PAGES(bm, 32, 0);
	CHECK_EQ(c->ram[RM_GPA + 0x10], 4);
	/* pages outside the range are not logged: the code page, the stack */
	CHECK_OK(hax_dirty_log_stop(c->vm_fd, RM_GPA, RM_SIZE));
	CHECK_ERRNO(hax_dirty_log_get(c->vm_fd, RM_GPA, RM_SIZE, bm), ENOENT);
	return 0;
}

/* ---- long mode: stores, a store over two pages, REP STOSQ, REP MOVSB ------ */

#define LM_GPA	0x100000ULL
#define LM_SIZE 0x100000ULL /* 256 pages */

GUEST_CODE(g_lm_store, ".code64\n cld\n"
		       "mov $0x100000, %rbx\n"
		       "movq $1, (%rbx)\n"	 /* page 0 */
		       "movl $2, 0x2ffe(%rbx)\n" /* pages 2 and 3 */
		       "lea 0x10000(%rbx), %rdi\n mov $1536, %ecx\n mov $0x55, %eax\n"
		       "rep stosq\n" /* pages 0x10-0x12 */
		       "mov %rbx, %rsi\n lea 0x40800(%rbx), %rdi\n mov $4096, %ecx\n"
		       "rep movsb\n"		   /* reads page 0, writes 0x40, 0x41 */
		       "mov 0x50000(%rbx), %rax\n" /* a read of page 0x50 */
		       "hlt\n");

VM_TEST(dirty_long_mode_stores, 4 << 20)
{
	struct long_mode m = { .tables = 0x10000 };
	uint64_t bm[MAX_WORDS];

	if (vm_load_long(c, &m, 0x1000, g_lm_store_start, g_lm_store_end))
		return 1;
	CHECK_OK(hax_dirty_log_start(c->vm_fd, LM_GPA, LM_SIZE));
	if (expect_exit(c, HAX_EXIT_HLT) || fetch(c, LM_GPA, LM_SIZE, bm))
		return 1;
	EXPECT_PAGES(bm, 256, 0, 2, 3, 0x10, 0x11, 0x12, 0x40, 0x41);
	CHECK_EQ(*(uint64_t *)(c->ram + LM_GPA + 0x12000 - 8), 0x55);
	CHECK_EQ(c->ram[LM_GPA + 0x40800], 1);
	if (fetch(c, LM_GPA, LM_SIZE, bm))
		return 1;
	EXPECT_CLEAN(bm, 256);
	CHECK_OK(hax_dirty_log_stop(c->vm_fd, LM_GPA, LM_SIZE));
	return 0;
}

/* ---- writes the instruction emulator makes for the guest -------------------- */

/*
 * REP MOVSB from the device (MMIO at 0xf0000) to RAM: the emulator runs it
 * and writes RAM through the VMM's mapping, a guest write all the same.
 * Then one MOVSL whose store crosses from page 4 into page 5.
 */
GUEST_CODE(g_emu_write, ".code16\n cld\n"
			"mov $0xf000, %ax\n mov %ax, %ds\n mov $0x2000, %ax\n mov %ax, %es\n"
			"xor %si, %si\n mov $0x3000, %di\n mov $4, %cx\n rep movsb\n"
			"hlt\n"
			"xor %si, %si\n mov $0x4ffe, %di\n movsl\n"
			"hlt\n");

/* RAM up to the end of the logged range: the device at 0xf0000 is MMIO */
VM_TEST(dirty_emulated_writes, RM_GPA + RM_SIZE)
{
	uint64_t bm[MAX_WORDS];
	struct dev d;

	dev_init(&d);
	CHECK_OK(hax_dirty_log_start(c->vm_fd, RM_GPA, RM_SIZE));
	if (vm_load_real(c, 0x1000, g_emu_write_start, g_emu_write_end) || dev_run(c, &d))
		return 1;
	CHECK(d.n > 0); /* the device was read: the emulator ran */
	CHECK_EQ(*(uint32_t *)(c->ram + RM_GPA + 0x3000), dev_val(&d, 0, 4));
	if (fetch(c, RM_GPA, RM_SIZE, bm))
		return 1;
	EXPECT_PAGES(bm, 32, 3);
	if (dev_run(c, &d) || fetch(c, RM_GPA, RM_SIZE, bm))
		return 1;
	CHECK_EQ(*(uint32_t *)(c->ram + RM_GPA + 0x4ffe), dev_val(&d, 0, 4));
	EXPECT_PAGES(bm, 32, 4, 5);
	return 0;
}

/* ---- a vCPU writing while another thread fetches ----------------------------- */

#define RACE_PAGES  64
#define RACE_ROUNDS 60

/* Forever: the next generation number into the first qword of each of 64 pages. */
GUEST_CODE(g_race, ".code64\n xor %rax, %rax\n"
		   "1: inc %rax\n mov $0x100000, %rdi\n mov $64, %ecx\n"
		   "2: mov %rax, (%rdi)\n add $4096, %rdi\n dec %ecx\n jnz 2b\n"
		   "jmp 1b\n");

struct racer {
	struct vm_ctx *c;
	int err; /* an unexpected exit or RUN failure */
};

/* RUN until user space's PAUSED comes back; kicks and signals just go round. */
static void *race_vcpu(void *arg)
{
	struct racer *r = arg;

	for (;;) {
		if (hax_run(r->c->vcpu_fd) < 0 && errno != EINTR) {
			r->err = errno;
			return NULL;
		}
		if (r->c->tunnel->_exit_status == HAX_EXIT_PAUSED)
			return NULL;
		if (r->c->tunnel->_exit_status != HAX_EXIT_INTERRUPT) {
			r->err = 1000 + r->c->tunnel->_exit_status;
			return NULL;
		}
	}
}

static void snapshot(const struct vm_ctx *c, uint64_t *vals)
{
	for (int p = 0; p < RACE_PAGES; p++)
		vals[p] = __atomic_load_n((uint64_t *)(c->ram + LM_GPA + p * PG), __ATOMIC_ACQUIRE);
}

/*
 * A page whose value changed between the snapshots taken after fetches k-1
 * and k was written after fetch k-1 returned and before the second
 * snapshot: fetch k or fetch k+1 must have it.
 */
static int race_check(const uint64_t *old, const uint64_t *now, const uint64_t *bm_k,
		      const uint64_t *bm_next, int round, int *changed)
{
	for (int p = 0; p < RACE_PAGES; p++) {
		if (old[p] == now[p])
			continue;
		(*changed)++;
		if (!bit(bm_k, p) && !bit(bm_next, p))
			return fail("round %d: page %d went from %llu to %llu, in no fetch", round,
				    p, (unsigned long long)old[p], (unsigned long long)now[p]);
	}
	return 0;
}

VM_TEST(dirty_fetch_while_running, 4 << 20)
{
	struct long_mode m = { .tables = 0x10000 };
	uint64_t vals[3][RACE_PAGES], bm[3][1], dirty_pages = 0;
	struct timespec ts = { 0, 2 * 1000 * 1000 };
	struct racer r = { c, 0 };
	int k, changed = 0, rr;
	pthread_t th;

	if (vm_load_long(c, &m, 0x1000, g_race_start, g_race_end))
		return 1;
	CHECK_OK(hax_dirty_log_start(c->vm_fd, LM_GPA, RACE_PAGES * PG));
	snapshot(c, vals[0]);
	CHECK(pthread_create(&th, NULL, race_vcpu, &r) == 0);
	/* round k: fetch into bm[k % 3], snapshot into vals[k % 3] */
	for (k = 1; k <= RACE_ROUNDS + 1; k++) {
		int cur = k % 3, prev = (k - 1) % 3, prev2 = (k + 1) % 3;

		if (k == RACE_ROUNDS + 1) {
			/* the last round with the vCPU stopped: nothing after it */
			__atomic_store_n(&c->tunnel->_exit_reason, HAX_EXIT_PAUSED,
					 __ATOMIC_SEQ_CST);
			pthread_join(th, NULL);
			if (r.err)
				return fail("vCPU thread: %d", r.err);
		} else {
			nanosleep(&ts, NULL);
		}
		rr = hax_dirty_log_get(c->vm_fd, LM_GPA, RACE_PAGES * PG, bm[cur]);
		if (rr) {
			rr = errno;
			if (k <= RACE_ROUNDS) {
				__atomic_store_n(&c->tunnel->_exit_reason, HAX_EXIT_PAUSED,
						 __ATOMIC_SEQ_CST);
				pthread_join(th, NULL);
			}
			return fail("round %d: DIRTY_LOG_GET: %s", k, strerror(rr));
		}
		dirty_pages += __builtin_popcountll(bm[cur][0]);
		snapshot(c, vals[cur]);
		/* round k-1's changes, now that fetch k is in */
		if (k >= 2 &&
		    race_check(vals[prev2], vals[prev], bm[prev], bm[cur], k - 1, &changed))
			goto out;
		if (k == RACE_ROUNDS + 1 &&
		    race_check(vals[prev], vals[cur], bm[cur], bm[cur], k, &changed))
			goto out;
	}
	printf("dirty_fetch_while_running: %d rounds, %d page changes, %llu dirty bits, "
	       "generation %llu\n",
	       RACE_ROUNDS, changed, (unsigned long long)dirty_pages,
	       (unsigned long long)vals[(RACE_ROUNDS + 1) % 3][0]);
	/* the guest made progress while we fetched */
	CHECK(changed > RACE_PAGES);
	c->tunnel->_exit_reason = 0;
	return 0;
out:
	return 1;
}

/* ---- 2 MiB-backed RAM: split while logged, whole again after ----------------- */

#define HUGE	   (2ULL << 20)
#define THP_BLOCKS 4
#define THP_GPA	   (8ULL << 20)
#define THP_PAGES  (THP_BLOCKS * HUGE / PG)

/* HLT, then a store into every page from THP_GPA up (unreal mode), again and again. */
GUEST_CODE(g_thp_pass, ".code16\n"
		       "1: hlt\n"
		       "mov $0x800000, %edi\n mov $2048, %ecx\n"
		       "2: addr32 movb %cl, (%edi)\n add $4096, %edi\n dec %ecx\n jnz 2b\n"
		       "jmp 1b\n");

/* One pass of g_thp_pass: its EPT violations and the counters after it. */
static int thp_pass(struct vm_ctx *c, long long *faults, struct hax_counts *after)
{
	long long f0 = exit_count(c, "EPT_VIOLATION"), f1;

	if (expect_exit(c, HAX_EXIT_HLT))
		return 1;
	f1 = exit_count(c, "EPT_VIOLATION");
	CHECK(f0 >= 0 && f1 >= 0);
	*faults = f1 - f0;
	return counts_read(after);
}

static int thp_body(struct vm_ctx *c, uint8_t *region)
{
	struct hax_counts base, now;
	uint64_t bm[MAX_WORDS];
	long long faults[3];
	vcpu_state_t s;

	CHECK_OK(hax_add_ramblock(c->vm_fd, (uintptr_t)region, (THP_BLOCKS + 1) * HUGE));
	CHECK_OK(hax_set_ram2(c->vm_fd, THP_GPA, THP_BLOCKS * HUGE, (uintptr_t)region, 0));
	if (vm_load_real(c, 0x1000, g_thp_pass_start, g_thp_pass_end) ||
	    expect_exit(c, HAX_EXIT_HLT))
		return 1;
	CHECK_OK(hax_get_regs(c->vcpu_fd, &s));
	s._ds.selector = 0;
	s._ds.base = 0;
	s._ds.limit = 0xffffffff;
	s._ds.granularity = 1;
	CHECK_OK(hax_set_regs(c->vcpu_fd, &s));
	if (counts_read(&base))
		return 1;
	/* not logged: one violation maps the four blocks as 2 MiB leaves */
	if (thp_pass(c, &faults[0], &now))
		return 1;
	CHECK_EQ(now.huge_pages - base.huge_pages, THP_BLOCKS);
	/* logged: the leaves go, every first write is a violation, a 4 KiB leaf */
	CHECK_OK(hax_dirty_log_start(c->vm_fd, THP_GPA, THP_BLOCKS * HUGE));
	if (counts_read(&now))
		return 1;
	CHECK_EQ(now.huge_pages, base.huge_pages);
	if (thp_pass(c, &faults[1], &now))
		return 1;
	CHECK_EQ(now.huge_pages, base.huge_pages);
	CHECK(faults[1] >= (long long)THP_PAGES);
	if (fetch(c, THP_GPA, THP_BLOCKS * HUGE, bm))
		return 1;
	for (unsigned int w = 0; w < THP_PAGES / 64; w++)
		CHECK_EQ(bm[w], ~0ULL);
	if (fetch(c, THP_GPA, THP_BLOCKS * HUGE, bm))
		return 1;
	EXPECT_CLEAN(bm, THP_PAGES);
	/* stopped: full speed again, the four 2 MiB leaves back at one violation */
	CHECK_OK(hax_dirty_log_stop(c->vm_fd, THP_GPA, THP_BLOCKS * HUGE));
	if (thp_pass(c, &faults[2], &now))
		return 1;
	printf("dirty_thp_split_and_restore: EPT violations a pass: %lld unlogged, %lld logged, "
	       "%lld after stop\n",
	       faults[0], faults[1], faults[2]);
	CHECK_EQ(now.huge_pages - base.huge_pages, THP_BLOCKS);
	/* one violation maps all four blocks (fault-around), before and after */
	CHECK(faults[0] <= 2 && faults[2] <= 2);
	for (unsigned int p = 0; p < THP_PAGES; p++)
		CHECK_EQ(region[p * PG], (uint8_t)(2048 - p));
	return 0;
}

VM_TEST(dirty_thp_split_and_restore, 64 << 10)
{
	uint8_t *region = thp_alloc((THP_BLOCKS + 1) * HUGE);
	int blocks, r;

	if (!region)
		return fail("no THP-backed populated region: %m");
	blocks = thp_blocks(region, THP_BLOCKS);
	if (blocks != THP_BLOCKS) {
		munmap(region, (THP_BLOCKS + 1) * HUGE);
		return fail("only %d of %d blocks in 2 MiB host pages", blocks, THP_BLOCKS);
	}
	r = thp_body(c, region);
	vm_teardown(c); /* before the region goes */
	munmap(region, (THP_BLOCKS + 1) * HUGE);
	return r;
}

/* ---- a client that does not ask, and the errors ------------------------------- */

GUEST_CODE(g_rm_twice, ".code16\n"
		       "mov $0x2000, %ax\n mov %ax, %es\n"
		       "1: xor %di, %di\n mov $16, %cx\n"
		       "2: movb %cl, %es:(%di)\n add $4096, %di\n loop 2b\n"
		       "hlt\n jmp 1b\n");

/*
 * The capability is advertised; the ioctls belong to the VM node only; a VM
 * that never starts a log runs as under HAXM: its pages stay writable (a
 * second pass of writes has no EPT violation).
 */
VM_TEST(dirty_capability_and_unasked, 1 << 20)
{
	struct hax_capabilityinfo ci;
	struct hax_dirty_log dl = { .pa_start = RM_GPA, .size = RM_SIZE };
	long long f0, f1;

	CHECK_OK(hax_get_capability(c->sys_fd, &ci));
	CHECK(ci.winfo & HAX_CAP_DIRTY_LOG);
	CHECK_ERRNO(ioctl(c->sys_fd, HAX_VM_IOCTL_DIRTY_LOG_START, &dl), ENOTTY);
	CHECK_ERRNO(ioctl(c->vcpu_fd, HAX_VM_IOCTL_DIRTY_LOG_START, &dl), ENOTTY);
	CHECK_ERRNO(ioctl(c->vcpu_fd, HAX_VM_IOCTL_DIRTY_LOG_GET, &dl), ENOTTY);
	/* a client built against another layout: another number */
	CHECK_ERRNO(ioctl(c->vm_fd, _IOW(0, 0xa0, struct hax_protect_ram_info), &dl), ENOTTY);
	CHECK_ERRNO(ioctl(c->vm_fd, _IOWR(0, 0xa1, struct hax_dirty_log), &dl), ENOTTY);
	if (vm_load_real(c, 0x1000, g_rm_twice_start, g_rm_twice_end) ||
	    expect_exit(c, HAX_EXIT_HLT))
		return 1;
	f0 = exit_count(c, "EPT_VIOLATION");
	if (expect_exit(c, HAX_EXIT_HLT))
		return 1;
	f1 = exit_count(c, "EPT_VIOLATION");
	CHECK(f0 >= 0);
	CHECK_EQ(f1 - f0, 0);
	return 0;
}

VM_TEST(dirty_errors, 1 << 20)
{
	struct hax_dirty_log dl = { .pa_start = RM_GPA, .size = RM_SIZE };
	uint64_t bm[MAX_WORDS], *ro;
	int i;

	/* nothing logged yet */
	CHECK_ERRNO(hax_dirty_log_get(c->vm_fd, RM_GPA, RM_SIZE, bm), ENOENT);
	CHECK_ERRNO(hax_dirty_log_stop(c->vm_fd, RM_GPA, RM_SIZE), ENOENT);
	/* bad ranges */
	CHECK_ERRNO(hax_dirty_log_start(c->vm_fd, RM_GPA, 0), EINVAL);
	CHECK_ERRNO(hax_dirty_log_start(c->vm_fd, RM_GPA + 1, PG), EINVAL);
	CHECK_ERRNO(hax_dirty_log_start(c->vm_fd, RM_GPA, PG + 8), EINVAL);
	CHECK_ERRNO(hax_dirty_log_start(c->vm_fd, -PG, 2 * PG), EINVAL);
	CHECK_ERRNO(hax_dirty_log_start(c->vm_fd, 1ULL << 52, PG), EINVAL);
	CHECK_ERRNO(hax_dirty_log_start(c->vm_fd, 0, 1ULL << 40), E2BIG);
	/* past RAM's end, and MMIO */
	CHECK_ERRNO(hax_dirty_log_start(c->vm_fd, (1 << 20) - PG, 2 * PG), ENOENT);
	CHECK_ERRNO(hax_dirty_log_start(c->vm_fd, 0xfee00000, PG), ENOENT);
	/* reserved fields, and a bitmap where none belongs */
	dl.flags = 1;
	CHECK_ERRNO(ioctl(c->vm_fd, HAX_VM_IOCTL_DIRTY_LOG_START, &dl), EINVAL);
	dl.flags = 0;
	dl.reserved = 1;
	CHECK_ERRNO(ioctl(c->vm_fd, HAX_VM_IOCTL_DIRTY_LOG_START, &dl), EINVAL);
	dl.reserved = 0;
	dl.bitmap = (uintptr_t)bm;
	CHECK_ERRNO(ioctl(c->vm_fd, HAX_VM_IOCTL_DIRTY_LOG_START, &dl), EINVAL);
	CHECK_ERRNO(ioctl(c->vm_fd, HAX_VM_IOCTL_DIRTY_LOG_START, NULL), EFAULT);
	/* logged; overlaps refused, exact ranges only */
	CHECK_OK(hax_dirty_log_start(c->vm_fd, RM_GPA, RM_SIZE));
	CHECK_ERRNO(hax_dirty_log_start(c->vm_fd, RM_GPA + RM_SIZE - PG, 2 * PG), EEXIST);
	CHECK_ERRNO(hax_dirty_log_start(c->vm_fd, 0, RM_GPA + PG), EEXIST);
	CHECK_ERRNO(hax_dirty_log_get(c->vm_fd, RM_GPA, RM_SIZE - PG, bm), ENOENT);
	CHECK_ERRNO(hax_dirty_log_get(c->vm_fd, RM_GPA + PG, RM_SIZE - PG, bm), ENOENT);
	CHECK_ERRNO(hax_dirty_log_stop(c->vm_fd, RM_GPA, 2 * RM_SIZE), ENOENT);
	dl.flags = 2;
	CHECK_ERRNO(ioctl(c->vm_fd, HAX_VM_IOCTL_DIRTY_LOG_GET, &dl), EINVAL);
	dl.flags = 0;
	CHECK_ERRNO(ioctl(c->vm_fd, HAX_VM_IOCTL_DIRTY_LOG_STOP, &dl), EINVAL);
	dl.bitmap = 0;
	/* bitmap faults: nothing written is lost, the next fetch has it */
	if (vm_load_real(c, 0x1000, g_rm_store_start, g_rm_store_end) ||
	    expect_exit(c, HAX_EXIT_HLT))
		return 1;
	CHECK_ERRNO(hax_dirty_log_get(c->vm_fd, RM_GPA, RM_SIZE, NULL), EFAULT);
	ro = mmap(NULL, PG, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK(ro != MAP_FAILED);
	CHECK_ERRNO(hax_dirty_log_get(c->vm_fd, RM_GPA, RM_SIZE, ro), EFAULT);
	munmap(ro, PG);
	CHECK_ERRNO(hax_dirty_log_get(c->vm_fd, RM_GPA, RM_SIZE, (uint64_t *)0xffff888000000000ULL),
		    EFAULT);
	if (fetch(c, RM_GPA, RM_SIZE, bm))
		return 1;
	EXPECT_PAGES(bm, 32, 0, 5, 7, 8, 11, 12);
	/* at most 32 ranges */
	for (i = 0; i < 31; i++)
		CHECK_OK(hax_dirty_log_start(c->vm_fd, 0x40000 + i * PG, PG));
	CHECK_ERRNO(hax_dirty_log_start(c->vm_fd, 0x80000, PG), ENOSPC);
	CHECK_OK(hax_dirty_log_stop(c->vm_fd, 0x40000, PG));
	CHECK_OK(hax_dirty_log_start(c->vm_fd, 0x80000, PG));
	/* stopped means stopped */
	CHECK_OK(hax_dirty_log_stop(c->vm_fd, RM_GPA, RM_SIZE));
	CHECK_ERRNO(hax_dirty_log_stop(c->vm_fd, RM_GPA, RM_SIZE), ENOENT);
	/* ranges still logged when the VM goes: freed with it (VM_TEST's teardown) */
	return 0;
}
