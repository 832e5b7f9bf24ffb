// SPDX-License-Identifier: GPL-2.0
/* The instruction emulator's MMX/SSE/AVX moves in a real guest (mmio_dev.h). */
#include "mmio_dev.h"

/*
 * SSE/AVX/MMX moves against MMIO (64-bit guest with OSFXSR, OSXSAVE, XCR0 =
 * x87|SSE|AVX): 16- and 32-byte accesses arrive as 8-byte FAST_MMIO pieces
 * in address order; the XMM/YMM registers end up as the CPU would leave
 * them (GET_FPU for XMM, the guest's own stores to RAM for the YMM upper
 * halves: VEX.128 zeroes them, legacy SSE keeps them).
 */
GUEST_CODE(g_sse, ".code64\n"
		  "xor %ecx, %ecx\n xor %edx, %edx\n mov $7, %eax\n xsetbv\n"
		  "mov $0x400000, %rsi\n"
		  "vpcmpeqb %ymm6, %ymm6, %ymm6\n vpcmpeqb %ymm7, %ymm7, %ymm7\n"
		  "movdqu 0x10(%rsi), %xmm0\n"
		  "movdqa %xmm0, 0x40(%rsi)\n"
		  "movaps 0x60(%rsi), %xmm1\n"
		  "movups %xmm1, 0x23(%rsi)\n"
		  "movapd 0x80(%rsi), %xmm2\n"
		  "movupd %xmm2, 0x90(%rsi)\n"
		  "movd 0xa0(%rsi), %xmm3\n"
		  "movq %xmm3, 0xa8(%rsi)\n" /* 66 0F D6 */
		  "movq 0xb0(%rsi), %xmm4\n" /* F3 0F 7E */
		  "movd %xmm4, 0xb8(%rsi)\n"
		  ".byte 0x66, 0x48, 0x0f, 0x6e, 0xae, 0xc0, 0, 0, 0\n" /* movq 0xc0(%rsi), %xmm5 */
		  "movntdq %xmm0, 0xd0(%rsi)\n"
		  "movntps %xmm1, 0xe0(%rsi)\n"
		  "movntdqa 0xf0(%rsi), %xmm8\n"
		  "vmovdqu 0x100(%rsi), %ymm9\n"
		  "vmovdqa %ymm9, 0x140(%rsi)\n"
		  "vmovdqu 0x180(%rsi), %xmm6\n"
		  "movdqu 0x190(%rsi), %xmm7\n"
		  "vmovntdq %ymm9, 0x1c0(%rsi)\n"
		  "vmovd %xmm3, 0x1e0(%rsi)\n"
		  "movq 0x1f0(%rsi), %mm1\n movq %mm1, 0x200(%rsi)\n"
		  "movd 0x208(%rsi), %mm2\n movntq %mm2, 0x210(%rsi)\n"
		  "vmovups 0x220(%rsi), %ymm10\n vmovapd %ymm10, 0x240(%rsi)\n"
		  "movntpd %xmm2, 0x260(%rsi)\n vmovntdqa 0x280(%rsi), %ymm11\n"
		  "vmovq 0x2a0(%rsi), %xmm12\n vmovaps %xmm12, 0x2b0(%rsi)\n"
		  "mov $0x3000, %edi\n"
		  "vmovdqu %ymm6, (%rdi)\n vmovdqu %ymm7, 32(%rdi)\n vmovdqu %ymm9, 64(%rdi)\n"
		  "vmovdqu %ymm11, 96(%rdi)\n vmovdqu %ymm12, 128(%rdi)\n"
		  "hlt\n");

VM_TEST(mmio_sse_avx_moves, 64 << 10)
{
	static const struct {
		uint8_t dir;
		uint16_t off, size;
	} acc[] = {
		{ HAX_FASTMMIO_READ, 0x10, 16 },   { HAX_FASTMMIO_WRITE, 0x40, 16 },
		{ HAX_FASTMMIO_READ, 0x60, 16 },   { HAX_FASTMMIO_WRITE, 0x23, 16 },
		{ HAX_FASTMMIO_READ, 0x80, 16 },   { HAX_FASTMMIO_WRITE, 0x90, 16 },
		{ HAX_FASTMMIO_READ, 0xa0, 4 },	   { HAX_FASTMMIO_WRITE, 0xa8, 8 },
		{ HAX_FASTMMIO_READ, 0xb0, 8 },	   { HAX_FASTMMIO_WRITE, 0xb8, 4 },
		{ HAX_FASTMMIO_READ, 0xc0, 8 },	   { HAX_FASTMMIO_WRITE, 0xd0, 16 },
		{ HAX_FASTMMIO_WRITE, 0xe0, 16 },  { HAX_FASTMMIO_READ, 0xf0, 16 },
		{ HAX_FASTMMIO_READ, 0x100, 32 },  { HAX_FASTMMIO_WRITE, 0x140, 32 },
		{ HAX_FASTMMIO_READ, 0x180, 16 },  { HAX_FASTMMIO_READ, 0x190, 16 },
		{ HAX_FASTMMIO_WRITE, 0x1c0, 32 }, { HAX_FASTMMIO_WRITE, 0x1e0, 4 },
		{ HAX_FASTMMIO_READ, 0x1f0, 8 },   { HAX_FASTMMIO_WRITE, 0x200, 8 },
		{ HAX_FASTMMIO_READ, 0x208, 4 },   { HAX_FASTMMIO_WRITE, 0x210, 8 },
		{ HAX_FASTMMIO_READ, 0x220, 32 },  { HAX_FASTMMIO_WRITE, 0x240, 32 },
		{ HAX_FASTMMIO_WRITE, 0x260, 16 }, { HAX_FASTMMIO_READ, 0x280, 32 },
		{ HAX_FASTMMIO_READ, 0x2a0, 8 },   { HAX_FASTMMIO_WRITE, 0x2b0, 16 },
	};
	struct dev d, o;
	struct fx_layout fx;
	vcpu_state_t s;
	uint8_t z[16] = { 0 }, ones[16];
	int n = 0;

	dev_init(&d);
	o = d;
	d.clobber_vec = true;
	memset(ones, 0xff, sizeof(ones));
	if (vm_load_paged(c, true, g_sse_start, g_sse_end))
		return 1;
	CHECK_OK(hax_get_regs(c->vcpu_fd, &s));
	s._cr4 |= (1 << 9) | (1 << 18); /* OSFXSR, OSXSAVE */
	CHECK_OK(hax_set_regs(c->vcpu_fd, &s));
	if (dev_run(c, &d))
		return 1;
	/* every access: 8-byte pieces (or the whole of a smaller one), in order */
	for (size_t i = 0; i < sizeof(acc) / sizeof(acc[0]); i++) {
		for (int p = 0; p < acc[i].size; p += 8, n++) {
			int sz = acc[i].size < 8 ? acc[i].size : 8;

			if (expect_acc(&d, n, acc[i].dir, acc[i].off + p, sz))
				return 1;
		}
	}
	CHECK_EQ(d.n, n);
	/* memory written: the values read before */
	CHECK(!memcmp(d.mem + 0x40, o.mem + 0x10, 16));
	CHECK(!memcmp(d.mem + 0x23, o.mem + 0x60, 16));
	CHECK(!memcmp(d.mem + 0x90, o.mem + 0x80, 16));
	CHECK(!memcmp(d.mem + 0xa8, o.mem + 0xa0, 4) && !memcmp(d.mem + 0xac, z, 4));
	CHECK(!memcmp(d.mem + 0xb8, o.mem + 0xb0, 4));
	CHECK(!memcmp(d.mem + 0xd0, o.mem + 0x10, 16));
	CHECK(!memcmp(d.mem + 0xe0, o.mem + 0x60, 16));
	CHECK(!memcmp(d.mem + 0x140, o.mem + 0x100, 32));
	CHECK(!memcmp(d.mem + 0x1c0, o.mem + 0x100, 32));
	CHECK(!memcmp(d.mem + 0x1e0, o.mem + 0xa0, 4));
	CHECK(!memcmp(d.mem + 0x200, o.mem + 0x1f0, 8));
	CHECK(!memcmp(d.mem + 0x210, o.mem + 0x208, 4) && !memcmp(d.mem + 0x214, z, 4));
	CHECK(!memcmp(d.mem + 0x240, o.mem + 0x220, 32));
	CHECK(!memcmp(d.mem + 0x260, o.mem + 0x80, 16));
	CHECK(!memcmp(d.mem + 0x2b0, o.mem + 0x2a0, 8) && !memcmp(d.mem + 0x2b8, z, 8));
	/* the registers */
	CHECK_OK(hax_get_fpu(c->vcpu_fd, &fx));
	CHECK(!memcmp(fx.mmx_1[0], o.mem + 0x10, 16));
	CHECK(!memcmp(fx.mmx_1[1], o.mem + 0x60, 16));
	CHECK(!memcmp(fx.mmx_1[2], o.mem + 0x80, 16));
	CHECK(!memcmp(fx.mmx_1[3], o.mem + 0xa0, 4) && !memcmp(fx.mmx_1[3] + 4, z, 12));
	CHECK(!memcmp(fx.mmx_1[4], o.mem + 0xb0, 8) && !memcmp(fx.mmx_1[4] + 8, z, 8));
	CHECK(!memcmp(fx.mmx_1[5], o.mem + 0xc0, 8) && !memcmp(fx.mmx_1[5] + 8, z, 8));
	CHECK(!memcmp(fx.mmx_1[6], o.mem + 0x180, 16));
	CHECK(!memcmp(fx.mmx_1[7], o.mem + 0x190, 16));
	CHECK(!memcmp(fx.mmx_2[0], o.mem + 0xf0, 16));
	CHECK(!memcmp(fx.mmx_2[1], o.mem + 0x100, 16));
	CHECK(!memcmp(fx.mmx_2[2], o.mem + 0x220, 16));
	CHECK(!memcmp(fx.mmx_2[3], o.mem + 0x280, 16));
	CHECK(!memcmp(fx.mmx_2[4], o.mem + 0x2a0, 8) && !memcmp(fx.mmx_2[4] + 8, z, 8));
	/* MM1, MM2; the MMX moves left TOS 0 and every tag valid (FTW was 0) */
	CHECK(!memcmp(fx.st_mm[1], o.mem + 0x1f0, 8));
	CHECK(!memcmp(fx.st_mm[2], o.mem + 0x208, 4) && !memcmp(fx.st_mm[2] + 4, z, 4));
	CHECK_EQ(fx.ftw, 0xff);
	CHECK_EQ((fx.fsw >> 11) & 7, 0);
	/* YMM6 (VEX.128 load: upper zeroed), YMM7 (SSE load: upper kept), YMM9, 11, 12 */
	CHECK(!memcmp(c->ram + 0x3000, o.mem + 0x180, 16) && !memcmp(c->ram + 0x3010, z, 16));
	CHECK(!memcmp(c->ram + 0x3020, o.mem + 0x190, 16) && !memcmp(c->ram + 0x3030, ones, 16));
	CHECK(!memcmp(c->ram + 0x3040, o.mem + 0x100, 32));
	CHECK(!memcmp(c->ram + 0x3060, o.mem + 0x280, 32));
	CHECK(!memcmp(c->ram + 0x3080, o.mem + 0x2a0, 8) && !memcmp(c->ram + 0x3088, z, 16) &&
	      !memcmp(c->ram + 0x3098, z, 8));
	return 0;
}
