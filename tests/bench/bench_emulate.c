// SPDX-License-Identifier: GPL-2.0
/*
 * The emulator's cost: decode + execute of `mov %eax, (%rbx)` (64-bit, flat,
 * no paging) N times, for `make bench-emulate` to count host instructions
 * with callgrind (collection on in emu_step() and what it calls, the
 * ops included).
 */
#include <stdio.h>
#include <string.h>

#include "emulate/emulate.h"

#define N 10000

static u8 code[16] = { 0x89, 0x03 }, data[64];

static int b_read(struct emu *e, u64 la, void *buf, u32 size, bool fetch)
{
	memcpy(buf, fetch ? code + (la & 15) : data, size > 15 ? 15 : size);
	return EMU_OK;
}

static int b_write(struct emu *e, u64 la, const void *buf, u32 size)
{
	memcpy(data, buf, size); /* the MMIO write, handed on */
	return EMU_OK;
}

static int b_pio(struct emu *e, u16 port, u32 size, u32 count)
{
	return EMU_OK;
}

static u8 vec[32];

static void b_vec_read(struct emu *e, u32 idx, void *buf, u32 size)
{
	memcpy(buf, vec, size);
}

static void b_vec_write(struct emu *e, u32 idx, const void *buf, u32 size)
{
	memcpy(vec, buf, size);
}

static u16 b_fpu_sw(struct emu *e)
{
	return 0;
}

static const struct emu_ops b_ops = { .read = b_read,
				      .write = b_write,
				      .pio_in = b_pio,
				      .pio_out = b_pio,
				      .vec_read = b_vec_read,
				      .vec_write = b_vec_write,
				      .fpu_sw = b_fpu_sw };

__attribute__((noinline)) void bench_loop(struct emu *e, const struct emu_state *s0)
{
	for (int i = 0; i < N; i++) {
		e->s = *s0;
		emu_step(e);
	}
}

int main(void)
{
	struct emu e = { .ops = &b_ops };
	struct emu_state s0 = { 0 };

	s0.seg[EMU_CS].ar = 0x9b | EMU_AR_L;
	s0.efer = 0x500;
	s0.cr0 = 0x80000011;
	s0.gpr[0] = 0x12345678;
	s0.gpr[3] = 0x1000;
	bench_loop(&e, &s0);
	printf("bench-emulate: %d emulations of mov %%eax,(%%rbx); value 0x%x\n", N,
	       *(unsigned *)data);
	return 0;
}
