// SPDX-License-Identifier: GPL-2.0
/*
 * Guest memory: ROM, unmapping and remapping, RAM above 4 GiB, STANDALONE
 * mappings, PROTECT_RAM and its PAGEFAULT exits, 2 MiB EPT mappings, and
 * the guest kept inside its RAM.
 */
#include <fcntl.h>
#include <pthread.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"

#define PG   4096ULL
#define HUGE (2ULL << 20)

static void *map_anon(uint64_t size)
{
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

/* Real mode: read the ROM byte at 0x20000, show it, then try to write it. */
GUEST_CODE(g_rom, ".code16\n"
		  "mov $0x2000, %ax\n mov %ax, %ds\n"
		  "mov 0, %al\n out %al, $0x80\n"
		  "movb $0x11, 0\n"
		  "hlt\n");

VM_TEST(mem_rom_write_goes_to_mmio, 64 << 10)
{
	uint8_t *rom = map_anon(PG);

	CHECK(rom);
	memset(rom, 0x5a, PG);
	CHECK_OK(hax_add_ramblock(c->vm_fd, (uintptr_t)rom, PG));
	CHECK_OK(hax_set_ram(c->vm_fd, 0x20000, PG, (uintptr_t)rom, HAX_RAM_INFO_ROM));
	if (vm_load_real(c, 0x1000, g_rom_start, g_rom_end) || expect_out(c, 0x80, 1, 0x5a))
		return 1;
	/* The write is MMIO: a FAST_MMIO write, and the ROM keeps its byte. */
	if (expect_exit(c, HAX_EXIT_FAST_MMIO))
		return 1;
	CHECK_EQ(c->tunnel->_exit_reason, 48);
	CHECK_EQ(((struct hax_fastmmio *)c->iobuf)->gpa, 0x20000);
	CHECK_EQ(((struct hax_fastmmio *)c->iobuf)->direction, HAX_FASTMMIO_WRITE);
	CHECK_EQ(((struct hax_fastmmio *)c->iobuf)->size, 1);
	CHECK_EQ(((struct hax_fastmmio *)c->iobuf)->value & 0xff, 0x11);
	if (expect_exit(c, HAX_EXIT_HLT))
		return 1;
	CHECK_EQ(rom[0], 0x5a);
	munmap(rom, PG);
	return 0;
}

/* Write 0x42 to 0x3000, then read 0x3000 back out. */
GUEST_CODE(g_rw3000, ".code16\n"
		     "xor %ax, %ax\n mov %ax, %ds\n"
		     "movb $0x42, 0x3000\n"
		     "mov 0x3000, %al\n out %al, $0x80\n"
		     "hlt\n");
GUEST_CODE(g_rd3000, ".code16\n"
		     "xor %ax, %ax\n mov %ax, %ds\n"
		     "mov 0x3000, %al\n out %al, $0x80\n"
		     "hlt\n");

VM_TEST(mem_unmap_unpins_and_remap, 64 << 10)
{
	struct hax_counts before, after;
	uint8_t *other = map_anon(PG);

	CHECK(other);
	memset(other, 0x77, PG);
	if (vm_load_real(c, 0x1000, g_rw3000_start, g_rw3000_end) || expect_out(c, 0x80, 1, 0x42) ||
	    expect_exit(c, HAX_EXIT_HLT))
		return 1;
	CHECK_EQ(c->ram[0x3000], 0x42);
	if (counts_read(&before))
		return 1;
	/* Unmapped: the page is unpinned (nothing else maps it) and is MMIO now. */
	CHECK_OK(hax_set_ram(c->vm_fd, 0x3000, PG, 0, HAX_RAM_INFO_INVALID));
	if (counts_read(&after))
		return 1;
	CHECK_EQ(after.pinned_pages, before.pinned_pages - 1);
	if (vm_load_real(c, 0x1000, g_rd3000_start, g_rd3000_end) ||
	    expect_exit(c, HAX_EXIT_FAST_MMIO))
		return 1;
	CHECK_EQ(((struct hax_fastmmio *)c->iobuf)->gpa, 0x3000);
	CHECK_EQ(((struct hax_fastmmio *)c->iobuf)->direction, HAX_FASTMMIO_READ);
	/* Remapped elsewhere: the guest sees the new memory. */
	CHECK_OK(hax_add_ramblock(c->vm_fd, (uintptr_t)other, PG));
	CHECK_OK(hax_set_ram(c->vm_fd, 0x3000, PG, (uintptr_t)other, 0));
	if (vm_load_real(c, 0x1000, g_rd3000_start, g_rd3000_end) || expect_out(c, 0x80, 1, 0x77))
		return 1;
	/* Remapped over live RAM: the old page goes, the new one is seen. */
	other[0] = 0x78;
	CHECK_OK(hax_set_ram(c->vm_fd, 0x3000, PG, (uintptr_t)c->ram + 0x3000, 0));
	if (vm_load_real(c, 0x1000, g_rd3000_start, g_rd3000_end) || expect_out(c, 0x80, 1, 0x42))
		return 1;
	munmap(other, PG);
	return 0;
}

/* STANDALONE: memory registered by the mapping itself, gone with it. */
TEST(mem_standalone_mapping)
{
	struct hax_capabilityinfo ci;
	struct hax_counts base;
	struct vm_ctx ctx, *c = &ctx;
	uint8_t *ram = map_anon(64 << 10), *own;
	int r;

	CHECK(ram);
	if (counts_read(&base))
		return 1;
	r = vm_setup(c, 4096);
	own = c->ram;
	if (!r) {
		CHECK_OK(hax_get_capability(c->sys_fd, &ci));
		CHECK(ci.winfo & HAX_CAP_IMPLICIT_RAMBLOCK);
		/* Not registered: refused without STANDALONE. */
		CHECK_ERRNO(hax_set_ram2(c->vm_fd, 0, 64 << 10, (uintptr_t)ram, 0), ENOENT);
		CHECK_OK(hax_set_ram2(c->vm_fd, 0, 64 << 10, (uintptr_t)ram,
				      HAX_RAM_INFO_STANDALONE));
		c->ram = ram;
		c->ram_size = 64 << 10;
		r = vm_load_real(c, 0x1000, g_rw3000_start, g_rw3000_end) ||
		    expect_out(c, 0x80, 1, 0x42);
		if (!r && ram[0x3000] != 0x42)
			r = fail("guest write not in the STANDALONE memory");
		if (!r && hax_set_ram2(c->vm_fd, 0, 64 << 10, 0, HAX_RAM_INFO_INVALID))
			r = fail("unmap: %s", strerror(errno));
		c->ram = own;
		c->ram_size = 4096;
	}
	vm_teardown(c);
	munmap(ram, 64 << 10);
	return r ? r : counts_expect(&base);
}

/* ---- long mode, for RAM above 4 GiB and 2 MiB mappings ---------------- */

/*
 * A 64-bit vCPU at @gpa running the code [start, end), with the first
 * 8 GiB identity-mapped by 2 MiB pages; tables (at 0x10000) and code in c->ram.
 */
static int load_long_8g(struct vm_ctx *c, uint64_t gpa, const uint8_t *start, const uint8_t *end)
{
	static const struct long_mode m = { .tables = 0x10000, .gib = 8 };

	return vm_load_long(c, &m, gpa, start, end);
}

/* Read the byte at 4 GiB, show it, write 0x42 at 4 GiB + 16. */
GUEST_CODE(g_high, ".code64\n"
		   "mov $0x100000000, %rbx\n"
		   "mov (%rbx), %al\n out %al, $0x80\n"
		   "movb $0x42, 16(%rbx)\n"
		   "hlt\n");

VM_TEST(mem_ram_above_4g, 1 << 20)
{
	uint8_t *high = map_anon(1 << 20);

	CHECK(high);
	high[0] = 0x31;
	CHECK_OK(hax_add_ramblock(c->vm_fd, (uintptr_t)high, 1 << 20));
	CHECK_OK(hax_set_ram2(c->vm_fd, 1ULL << 32, 1 << 20, (uintptr_t)high, 0));
	if (load_long_8g(c, 0x1000, g_high_start, g_high_end) || expect_out(c, 0x80, 1, 0x31) ||
	    expect_exit(c, HAX_EXIT_HLT))
		return 1;
	CHECK_EQ(high[16], 0x42);
	munmap(high, 1 << 20);
	return 0;
}

/* ---- PROTECT_RAM ---------------------------------------------------------- */

VM_TEST(mem_protect_ram_pagefault, 64 << 10)
{
	struct hax_capabilityinfo ci;
	vcpu_state_t s;

	CHECK_OK(hax_get_capability(c->sys_fd, &ci));
	CHECK(ci.winfo & HAX_CAP_RAM_PROTECTION);
	/* Bad requests change nothing. */
	CHECK_ERRNO(hax_protect_ram(c->vm_fd, 0x3001, PG, 0), EINVAL);
	CHECK_ERRNO(hax_protect_ram(c->vm_fd, 0x3000, 0, 0), EINVAL);
	CHECK_ERRNO(hax_protect_ram(c->vm_fd, 0x3000, PG, 8), EINVAL);
	CHECK_ERRNO(hax_protect_ram(c->vm_fd, 0x3000, PG, HAX_RAM_PERM_W), EINVAL);
	CHECK_ERRNO(hax_protect_ram(c->vm_fd, 0x10000, PG, 0), ENOENT);
	/* Read-only: the read works, the write exits with the page and the rights. */
	CHECK_OK(hax_protect_ram(c->vm_fd, 0x3000, PG, HAX_RAM_PERM_R));
	c->ram[0x3000] = 0x99;
	if (vm_load_real(c, 0x1000, g_rw3000_start, g_rw3000_end) ||
	    expect_exit(c, HAX_EXIT_PAGEFAULT))
		return 1;
	CHECK_EQ(c->tunnel->_exit_reason, 48);
	CHECK_EQ(c->tunnel->pagefault.gpa, 0x3000);
	CHECK_EQ(c->tunnel->pagefault.flags, HAX_PAGEFAULT_ACC_W | HAX_PAGEFAULT_PERM_R);
	CHECK_EQ(c->ram[0x3000], 0x99);
	/* The guest retries the write once the page is writable. */
	CHECK_OK(hax_get_regs(c->vcpu_fd, &s));
	CHECK_EQ(s._rip, 0x1004);
	CHECK_OK(hax_protect_ram(c->vm_fd, 0x3000, PG, HAX_RAM_PERM_RWX));
	if (expect_out(c, 0x80, 1, 0x42) || expect_exit(c, HAX_EXIT_HLT))
		return 1;
	/* No access at all: the read exits (with no rights). */
	CHECK_OK(hax_protect_ram(c->vm_fd, 0x3000, PG, HAX_RAM_PERM_NONE));
	if (vm_load_real(c, 0x1000, g_rd3000_start, g_rd3000_end) ||
	    expect_exit(c, HAX_EXIT_PAGEFAULT))
		return 1;
	CHECK_EQ(c->tunnel->pagefault.flags, HAX_PAGEFAULT_ACC_R);
	/* Code without execute right: the fetch exits. */
	CHECK_OK(hax_protect_ram(c->vm_fd, 0x3000, PG, HAX_RAM_PERM_RWX));
	CHECK_OK(hax_protect_ram(c->vm_fd, 0x1000, PG, HAX_RAM_PERM_RW));
	if (vm_load_real(c, 0x1000, g_rd3000_start, g_rd3000_end) ||
	    expect_exit(c, HAX_EXIT_PAGEFAULT))
		return 1;
	CHECK_EQ(c->tunnel->pagefault.gpa, 0x1000);
	CHECK_EQ(c->tunnel->pagefault.flags & HAX_PAGEFAULT_ACC_X, HAX_PAGEFAULT_ACC_X);
	CHECK_EQ(c->tunnel->pagefault.flags >> 4, HAX_RAM_PERM_RW);
	return 0;
}

/* Read 0x3000 forever, interrupts off. */
GUEST_CODE(g_spin_read, ".code16\n cli\n xor %ax, %ax\n mov %ax, %ds\n"
			"1: mov 0x3000, %al\n jmp 1b\n");

struct protector {
	int vm_fd;
	bool unmap; /* unmap the page instead of protecting it */
	int r;
};

static void *protect_later(void *arg)
{
	struct protector *p = arg;
	struct timespec ts = { 0, 200 * 1000 * 1000 };

	nanosleep(&ts, NULL);
	if (p->unmap)
		p->r = hax_set_ram(p->vm_fd, 0x3000, PG, 0, HAX_RAM_INFO_INVALID);
	else
		p->r = hax_protect_ram(p->vm_fd, 0x3000, PG, HAX_RAM_PERM_NONE);
	return NULL;
}

/* A protection change reaches a vCPU that is running (INVEPT everywhere). */
VM_TEST(mem_protect_reaches_running_vcpu, 64 << 10)
{
	struct protector p = { c->vm_fd, false, -1 };
	pthread_t th;
	int r;

	if (vm_load_real(c, 0x1000, g_spin_read_start, g_spin_read_end))
		return 1;
	CHECK(pthread_create(&th, NULL, protect_later, &p) == 0);
	r = expect_exit(c, HAX_EXIT_PAGEFAULT);
	pthread_join(th, NULL);
	CHECK_EQ(p.r, 0);
	if (r)
		return r;
	CHECK_EQ(c->tunnel->pagefault.gpa, 0x3000);
	CHECK_EQ(c->tunnel->pagefault.flags, HAX_PAGEFAULT_ACC_R);
	return 0;
}

/* Unmapping reaches a running vCPU too: its next read of the page is MMIO. */
VM_TEST(mem_unmap_reaches_running_vcpu, 64 << 10)
{
	struct protector p = { c->vm_fd, true, -1 };
	struct hax_counts before, after;
	pthread_t th;
	int r;

	/* The code and data pages pinned first. */
	if (vm_load_real(c, 0x1000, g_rd3000_start, g_rd3000_end) || expect_out(c, 0x80, 1, 0) ||
	    vm_load_real(c, 0x1000, g_spin_read_start, g_spin_read_end) || counts_read(&before))
		return 1;
	CHECK(pthread_create(&th, NULL, protect_later, &p) == 0);
	r = expect_exit(c, HAX_EXIT_FAST_MMIO);
	pthread_join(th, NULL);
	CHECK_EQ(p.r, 0);
	if (r || counts_read(&after))
		return 1;
	CHECK_EQ(c->tunnel->_exit_reason, 48);
	CHECK_EQ(((struct hax_fastmmio *)c->iobuf)->gpa, 0x3000);
	CHECK_EQ(after.pinned_pages, before.pinned_pages - 1);
	return 0;
}

/* ---- 2 MiB mappings -------------------------------------------------------- */

/* The physical frame behind @va (root reads PFNs in /proc/self/pagemap). */
static uint64_t pfn_of(int pagemap, const void *va)
{
	uint64_t e = 0;

	if (pread(pagemap, &e, 8, (uintptr_t)va / PG * 8) != 8 || !(e >> 63))
		return 0;
	return e & ((1ULL << 55) - 1);
}

/*
 * 2 MiB of anonymous memory backed by physically contiguous, 2 MiB-aligned
 * host memory: with THP, one huge page; without (the testbed), found among
 * 64 MiB of freshly faulted pages.
 */
static uint8_t *find_contiguous_2m(uint8_t **area, uint64_t *area_size)
{
	uint64_t size = 64 << 20, i, run = 0;
	int pagemap = open("/proc/self/pagemap", O_RDONLY);
	uint8_t *a = map_anon(size), *found = NULL;
	uint64_t prev = 0;

	if (!a || pagemap < 0)
		return NULL;
	madvise(a, size, MADV_HUGEPAGE); /* EINVAL without THP: fine */
	for (i = 0; i < size; i += PG)
		a[i] = 1;
	for (i = 0; i < size && !found; i += PG) {
		uint64_t pfn = pfn_of(pagemap, a + i);

		if (pfn && run && pfn == prev + 1)
			run++;
		else
			run = (pfn & 511) == 0 && pfn ? 1 : 0;
		prev = pfn;
		if (run == 512)
			found = a + i - (HUGE - PG);
	}
	close(pagemap);
	*area = a;
	*area_size = size;
	return found;
}

/* Sum the first qword of each of the 512 pages at 2 MiB; store each page's index at +8. */
GUEST_CODE(g_huge_walk, ".code64\n"
			"mov $0x200000, %rbx\n xor %rax, %rax\n xor %rcx, %rcx\n"
			"1: add (%rbx), %rax\n mov %rcx, 8(%rbx)\n"
			"add $4096, %rbx\n inc %rcx\n cmp $512, %rcx\n jne 1b\n"
			"out %eax, $0x80\n hlt\n");
/* Read page 5 of the block, show it; write page 6, then page 5. */
GUEST_CODE(g_huge_split, ".code64\n"
			 "mov 0x205000, %eax\n out %eax, $0x80\n"
			 "movl $0x66, 0x206000\n movl $0x55, 0x205000\n hlt\n");

VM_TEST(mem_huge_mapping_and_split, 1 << 20)
{
	struct hax_counts base, now;
	uint8_t *area, *block;
	uint64_t area_size, i;
	uint32_t sum = 0;

	block = find_contiguous_2m(&area, &area_size);
	if (!block)
		return fail("no physically contiguous 2 MiB run in 64 MiB of anonymous memory");
	for (i = 0; i < 512; i++) {
		*(uint64_t *)(block + i * PG) = i * 3 + 1;
		sum += i * 3 + 1;
	}
	if (counts_read(&base))
		return 1;
	CHECK_OK(hax_add_ramblock(c->vm_fd, (uintptr_t)block, HUGE));
	CHECK_OK(hax_set_ram(c->vm_fd, HUGE, HUGE, (uintptr_t)block, 0));
	if (load_long_8g(c, 0x1000, g_huge_walk_start, g_huge_walk_end) ||
	    expect_out(c, 0x80, 4, sum) || expect_exit(c, HAX_EXIT_HLT))
		return 1;
	for (i = 0; i < 512; i++)
		CHECK_EQ(*(uint64_t *)(block + i * PG + 8), i);
	/* Every page pinned and contiguous: one 2 MiB leaf maps the block. */
	if (counts_read(&now))
		return 1;
	CHECK_EQ(now.huge_pages, base.huge_pages + 1);
	CHECK(now.pinned_pages >= base.pinned_pages + 512);
	/* A protection inside splits it back: page 5 read-only, page 6 still RAM. */
	CHECK_OK(hax_protect_ram(c->vm_fd, HUGE + 5 * PG, PG, HAX_RAM_PERM_R));
	if (counts_read(&now))
		return 1;
	CHECK_EQ(now.huge_pages, base.huge_pages);
	if (load_long_8g(c, 0x1000, g_huge_split_start, g_huge_split_end) ||
	    expect_out(c, 0x80, 4, 5 * 3 + 1) || expect_exit(c, HAX_EXIT_PAGEFAULT))
		return 1;
	CHECK_EQ(c->tunnel->pagefault.gpa, HUGE + 5 * PG);
	CHECK_EQ(*(uint32_t *)(block + 6 * PG), 0x66);
	CHECK_EQ(*(uint32_t *)(block + 5 * PG), 5 * 3 + 1);
	/* Unmapping the block drops its pins. */
	if (counts_read(&base))
		return 1;
	CHECK_OK(hax_set_ram(c->vm_fd, HUGE, HUGE, 0, HAX_RAM_INFO_INVALID));
	if (counts_read(&now))
		return 1;
	CHECK_EQ(now.pinned_pages, base.pinned_pages - 512);
	munmap(area, area_size);
	return 0;
}

/* ---- the guest stays inside its RAM ----------------------------------------- */

/* Fill [0, 0xf000) with 0xff (the code lives in the last page). */
GUEST_CODE(g_fill, ".code16\n"
		   "xor %ax, %ax\n mov %ax, %es\n xor %di, %di\n"
		   "mov $0xf000, %cx\n mov $0xff, %al\n cld\n rep stosb\n"
		   "hlt\n");
/* One store of 0xff to ES:DI, set by the host. */
GUEST_CODE(g_store, ".code16\n movb $0xff, %es:(%di)\n hlt\n");

TEST(mem_guest_stays_inside_its_ram)
{
	const uint64_t guard = 64 << 10, ram = 64 << 10;
	uint8_t *all = map_anon(guard + ram + guard);
	struct vm_ctx ctx, *c = &ctx;
	uint8_t *own;
	vcpu_state_t s;
	uint64_t i, gpa;
	int r;

	CHECK(all);
	memset(all, 0xa5, guard + ram + guard);
	r = vm_setup(c, 4096);
	own = c->ram;
	if (r)
		goto out;
	/* RAM in the middle of a larger mapping of ours: only that is the guest's. */
	c->ram = all + guard;
	c->ram_size = ram;
	CHECK_OK(hax_add_ramblock(c->vm_fd, (uintptr_t)c->ram, ram));
	CHECK_OK(hax_set_ram(c->vm_fd, 0, ram, (uintptr_t)c->ram, 0));
	r = vm_load_real(c, 0xf000, g_fill_start, g_fill_end) || expect_exit(c, HAX_EXIT_HLT);
	/* Then a store to every page beyond the RAM, up to the end of real mode's reach. */
	for (gpa = ram; !r && gpa < 0x110000; gpa += PG) {
		memcpy(c->ram + 0xf000, g_store_start, g_store_end - g_store_start);
		if (hax_get_regs(c->vcpu_fd, &s)) {
			r = fail("GET_REGS: %s", strerror(errno));
			break;
		}
		s._cs.selector = 0;
		s._cs.base = 0;
		s._rip = 0xf000;
		s._es.selector = (gpa >> 4) & 0xf000;
		s._es.base = gpa & ~0xffffULL;
		s._regs[HAX_REG_RDI] = gpa & 0xffff;
		if (gpa >= 0x100000) {
			s._es.selector = 0xffff;
			s._es.base = 0xffff0;
			s._regs[HAX_REG_RDI] = gpa - 0xffff0;
		}
		if (hax_set_regs(c->vcpu_fd, &s))
			r = fail("SET_REGS: %s", strerror(errno));
		else
			r = expect_exit(c, HAX_EXIT_FAST_MMIO);
		if (!r && ((struct hax_fastmmio *)c->iobuf)->gpa != gpa)
			r = fail("FAST_MMIO at 0x%llx, expected 0x%llx",
				 (unsigned long long)((struct hax_fastmmio *)c->iobuf)->gpa,
				 (unsigned long long)gpa);
	}
	for (i = 0; !r && i < 0xf000; i++)
		if (c->ram[i] != 0xff)
			r = fail("guest RAM byte 0x%llx is 0x%x", (unsigned long long)i, c->ram[i]);
	for (i = 0; !r && i < guard; i++)
		if (all[i] != 0xa5 || all[guard + ram + i] != 0xa5)
			r = fail("host memory next to the guest's RAM changed at +0x%llx",
				 (unsigned long long)i);
out:
	c->ram = own;
	c->ram_size = 4096;
	vm_teardown(c);
	munmap(all, guard + ram + guard);
	return r;
}
