/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The MMIO tests' device model (t_mmio.c, t_mmio_sse.c, t_kut_*.c):
 * guest-physical 0xf0000 is a 4 KiB device of plain registers behind
 * FAST_MMIO that logs every access; string I/O is served too. And a
 * loader for paged guests, with their descriptor tables.
 */
#ifndef HAXM_TESTBED_MMIO_DEV_H
#define HAXM_TESTBED_MMIO_DEV_H

#include "harness.h"

#define MMIO_BASE 0xf0000ULL

struct access {
	uint64_t gpa, val;
	uint8_t size, dir;
};

/* A 4 KiB device of plain registers that logs every access. */
struct dev {
	uint8_t mem[4096];
	struct access log[64];
	int n;
	/* string I/O */
	uint8_t out[4096];
	uint32_t out_len, io_exits;
	uint16_t io_port, io_count, io_size;
	uint8_t in_fill;
	bool clobber_vec; /* fill this thread's YMM0-15 before every RUN */
};

/* dev_init() - the device with its registers at a known pattern. */
void dev_init(struct dev *d);
/* dev_val() - @size bytes of the device at offset @off. */
uint64_t dev_val(const struct dev *d, uint32_t off, int size);
/* dev_run() - run the guest to HLT, serving MMIO and string I/O; 0 or 1 (failed). */
int dev_run(struct vm_ctx *c, struct dev *d);
/* expect_acc() - access @i of the log is (@dir, @off, @size); 0 or 1. */
int expect_acc(const struct dev *d, int i, uint8_t dir, uint32_t off, uint8_t size);
#define ACC(i, dir, off, size)                                        \
	do {                                                          \
		if (expect_acc(&d, i, HAX_FASTMMIO_##dir, off, size)) \
			return 1;                                     \
	} while (0)
/*
 * vm_load_paged() - a paged guest at 0x1000 whose linear 0x400000 maps to
 * the device: @lm 64-bit (4-level paging), else 32-bit paging; 0 or 1.
 */
int vm_load_paged(struct vm_ctx *c, bool lm, const uint8_t *start, const uint8_t *end);

#define SYS_GDT 0x9000
#define SYS_IDT 0xa000
/*
 * sys_tables() - a paged guest's GDT at SYS_GDT (@size bytes of @gdt) and,
 * with @idt, its IDT of 32 64-bit gates at SYS_IDT; 0 or 1.
 */
int sys_tables(struct vm_ctx *c, const uint64_t *gdt, size_t size, bool idt);
/* dev_run_paged() - vm_load_paged(), sys_tables() without IDT, dev_run(); 0 or 1. */
int dev_run_paged(struct vm_ctx *c, struct dev *d, bool lm, const uint8_t *start,
		  const uint8_t *end, const uint64_t *gdt, size_t size);

#endif /* HAXM_TESTBED_MMIO_DEV_H */
