// SPDX-License-Identifier: GPL-2.0
/*
 * Linux bzImage by the x86 boot protocol (Documentation/x86/boot.rst,
 * "64-bit boot protocol"): the setup header at 0x1f1 of the image is copied
 * into a zeroed boot_params, the protected-mode kernel is loaded at its
 * preferred address, and the vCPU enters startup_64 (load address + 0x200)
 * in long mode with an identity map covering the first 4 GiB, a GDT with
 * __BOOT_CS 0x10 / __BOOT_DS 0x18, and RSI pointing at boot_params.
 */
#include <stdio.h>
#include <string.h>

#include "boot.h"

/* Offsets in the image and in boot_params (they coincide for the header). */
#define BP_E820_ENTRIES	   0x1e8
#define BP_SETUP_SECTS	   0x1f1
#define BP_BOOT_FLAG	   0x1fe
#define BP_JUMP		   0x200
#define BP_HEADER	   0x202
#define BP_VERSION	   0x206
#define BP_TYPE_OF_LOADER  0x210
#define BP_LOADFLAGS	   0x211
#define BP_RAMDISK_IMAGE   0x218
#define BP_RAMDISK_SIZE	   0x21c
#define BP_HEAP_END_PTR	   0x224
#define BP_CMD_LINE_PTR	   0x228
#define BP_INITRD_ADDR_MAX 0x22c
#define BP_XLOADFLAGS	   0x236
#define BP_CMDLINE_SIZE	   0x238
#define BP_PREF_ADDRESS	   0x258
#define BP_INIT_SIZE	   0x260
#define BP_E820_TABLE	   0x2d0

#define LOADED_HIGH	 0x01
#define CAN_USE_HEAP	 0x80
#define XLF_KERNEL_64	 0x01
#define LOADER_UNDEFINED 0xff

#define PTE_P  0x1
#define PTE_RW 0x2
#define PTE_PS 0x80

#define FAIL(...)                                   \
	do {                                        \
		snprintf(err, errlen, __VA_ARGS__); \
		return -1;                          \
	} while (0)

static uint16_t get16(const uint8_t *p, size_t off)
{
	uint16_t v;

	memcpy(&v, p + off, sizeof(v));
	return v;
}

static uint32_t get32(const uint8_t *p, size_t off)
{
	uint32_t v;

	memcpy(&v, p + off, sizeof(v));
	return v;
}

static uint64_t get64(const uint8_t *p, size_t off)
{
	uint64_t v;

	memcpy(&v, p + off, sizeof(v));
	return v;
}

static void put32(uint8_t *p, size_t off, uint32_t v)
{
	memcpy(p + off, &v, sizeof(v));
}

/* PML4 -> PDPT -> four page directories of 2 MiB pages: VA = PA below 4 GiB. */
static void linux_page_tables(uint8_t *ram)
{
	uint64_t *pml4 = (void *)(ram + BOOT_PML4);
	uint64_t *pdpt = pml4 + 512;
	uint64_t *pd = pdpt + 512;
	int i;

	memset(pml4, 0, 6 * 4096);
	pml4[0] = (BOOT_PML4 + 0x1000) | PTE_P | PTE_RW;
	for (i = 0; i < 4; i++)
		pdpt[i] = (BOOT_PML4 + 0x2000 + i * 0x1000) | PTE_P | PTE_RW;
	for (i = 0; i < 4 * 512; i++)
		pd[i] = ((uint64_t)i << 21) | PTE_P | PTE_RW | PTE_PS;
}

static void linux_regs(uint8_t *ram, uint64_t entry, vcpu_state_t *s)
{
	segment_desc_t *data[] = { &s->_ds, &s->_es, &s->_fs, &s->_gs, &s->_ss };
	size_t i;

	boot_common(s);
	boot_write_gdt(ram, s);
	boot_seg(&s->_cs, BOOT_SEL_CODE64, 0, 0xffffffff, 0xa09b);
	for (i = 0; i < sizeof(data) / sizeof(data[0]); i++)
		boot_seg(data[i], BOOT_SEL_DATA, 0, 0xffffffff, 0xc093);
	s->_rip = entry;
	s->_cr0 = BOOT_CR0_PE | BOOT_CR0_ET | BOOT_CR0_PG;
	s->_cr3 = BOOT_PML4;
	s->_cr4 = BOOT_CR4_PAE;
	s->_efer = BOOT_EFER_LME | BOOT_EFER_LMA;
	s->_regs[HAX_REG_RSI] = BOOT_ZERO_PAGE;
}

int boot_linux(uint8_t *ram, uint64_t all_ram, const uint8_t *kernel, size_t klen,
	       const uint8_t *initrd, size_t ilen, const char *cmdline, vcpu_state_t *s, char *err,
	       size_t errlen)
{
	uint8_t *bp = ram + BOOT_ZERO_PAGE;
	struct e820_entry map[E820_MAX];
	uint64_t load, kend, pm_off, pm_len, top, rd = 0;
	uint32_t setup_sects, init_size, cl_max;
	size_t hdr_end, clen = strlen(cmdline);
	uint64_t ram_size = boot_low_ram(all_ram);
	int n;

	if (klen < 0x270 || get16(kernel, BP_BOOT_FLAG) != 0xaa55 ||
	    memcmp(kernel + BP_HEADER, "HdrS", 4))
		FAIL("not a Linux bzImage (no boot flag 0xaa55 or \"HdrS\" header)");
	if (get16(kernel, BP_VERSION) < 0x20c)
		FAIL("boot protocol %u.%02u: haxm run needs 2.12 or later (a 64-bit kernel)",
		     kernel[BP_VERSION + 1], kernel[BP_VERSION]);
	if (!(get16(kernel, BP_XLOADFLAGS) & XLF_KERNEL_64))
		FAIL("the kernel has no 64-bit entry point (XLF_KERNEL_64)");
	if (!(kernel[BP_LOADFLAGS] & LOADED_HIGH))
		FAIL("a zImage (loaded low): haxm run boots bzImages only");
	setup_sects = kernel[BP_SETUP_SECTS] ? kernel[BP_SETUP_SECTS] : 4;
	pm_off = (setup_sects + 1) * 512ull;
	if (pm_off >= klen)
		FAIL("the image is truncated (%zu bytes, setup alone takes %llu)", klen,
		     (unsigned long long)pm_off);
	pm_len = klen - pm_off;
	load = get64(kernel, BP_PREF_ADDRESS);
	if (load < BOOT_HIGH_START)
		load = BOOT_HIGH_START;
	init_size = get32(kernel, BP_INIT_SIZE);
	kend = load + (init_size > pm_len ? init_size : pm_len);
	if (kend > ram_size)
		FAIL("the kernel needs RAM up to %llu MiB (load address 0x%llx + %u bytes): use a "
		     "larger -m",
		     (unsigned long long)(kend + (1 << 20) - 1) >> 20, (unsigned long long)load,
		     init_size);
	cl_max = get32(kernel, BP_CMDLINE_SIZE);
	if (clen > cl_max)
		FAIL("the command line is longer than the kernel's %u bytes", cl_max);
	if (ilen) {
		top = get32(kernel, BP_INITRD_ADDR_MAX) + 1ull;
		if (top > ram_size)
			top = ram_size;
		rd = top > ilen ? (top - ilen) & ~0xfffull : 0;
		if (rd < kend)
			FAIL("the initrd (%zu bytes) does not fit in RAM above the kernel: use a "
			     "larger -m",
			     ilen);
		memcpy(ram + rd, initrd, ilen);
	}
	memcpy(ram + load, kernel + pm_off, pm_len);

	memset(bp, 0, 4096);
	hdr_end = BP_HEADER + kernel[BP_JUMP + 1];
	if (hdr_end > klen || hdr_end > 0x1000)
		FAIL("malformed setup header");
	memcpy(bp + BP_SETUP_SECTS, kernel + BP_SETUP_SECTS, hdr_end - BP_SETUP_SECTS);
	bp[BP_TYPE_OF_LOADER] = LOADER_UNDEFINED;
	bp[BP_LOADFLAGS] |= CAN_USE_HEAP;
	put32(bp, BP_HEAP_END_PTR, 0xfe00);
	memcpy(ram + BOOT_LINUX_CMDLINE, cmdline, clen + 1);
	put32(bp, BP_CMD_LINE_PTR, BOOT_LINUX_CMDLINE);
	put32(bp, BP_RAMDISK_IMAGE, (uint32_t)rd);
	put32(bp, BP_RAMDISK_SIZE, (uint32_t)ilen);
	n = boot_e820(all_ram, map);
	bp[BP_E820_ENTRIES] = n;
	memcpy(bp + BP_E820_TABLE, map, n * sizeof(map[0]));

	linux_page_tables(ram);
	linux_regs(ram, load + 0x200, s);
	return 0;
}
