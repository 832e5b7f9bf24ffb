// SPDX-License-Identifier: GPL-2.0
/*
 * qmark: runs inside the QEMU guest (statically linked into its initramfs).
 * Puts a marker in one locked page, looks up that page's guest-physical
 * address in /proc/self/pagemap, prints both and the address of a spin loop,
 * then spins there forever with RAX = the marker and RBX = the physical
 * address. The monitor test reads them back with `info registers` and `xp`.
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/mman.h>
#include <sys/time.h>
#include <unistd.h>

static uint64_t page[512] __attribute__((aligned(4096)));
extern char qmark_loop[];

int main(void)
{
	struct timeval tv;
	uint64_t val, ent, phys;
	int fd;

	gettimeofday(&tv, NULL);
	/* differs from run to run: a stale page cannot pass for it */
	val = 0x514d41524b000000ull ^ ((uint64_t)getpid() << 32) ^ (uint64_t)tv.tv_usec;
	page[0] = val;
	page[1] = ~val;
	if (mlock(page, sizeof(page))) {
		perror("qmark: mlock");
		return 1;
	}
	fd = open("/proc/self/pagemap", O_RDONLY);
	if (fd < 0 ||
	    pread(fd, &ent, sizeof(ent), (uintptr_t)page / 4096 * sizeof(ent)) != sizeof(ent)) {
		perror("qmark: pagemap");
		return 1;
	}
	if (!(ent >> 63)) {
		fprintf(stderr, "qmark: page not present\n");
		return 1;
	}
	phys = (ent & ((1ull << 55) - 1)) * 4096;
	printf("QGUEST: mark phys=0x%llx value=0x%016llx rip=0x%llx\n", (unsigned long long)phys,
	       (unsigned long long)val, (unsigned long long)(uintptr_t)qmark_loop);
	fflush(stdout);
	asm volatile("mov %0, %%rax\n\t"
		     "mov %1, %%rbx\n\t"
		     ".globl qmark_loop\n"
		     "qmark_loop: jmp qmark_loop"
		     :
		     : "r"(val), "r"(phys)
		     : "rax", "rbx");
	return 0;
}
