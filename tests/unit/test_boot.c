// SPDX-License-Identifier: GPL-2.0
/* `haxm run`'s loaders (tools/haxm/boot*.c) on synthetic images. */
#include <elf.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "boot.h"

#define RAM (64u << 20)

static uint8_t *ram;
static vcpu_state_t s;
static char err[256];

static int setup(void **state)
{
	(void)state;
	ram = calloc(1, RAM);
	memset(&s, 0xcc, sizeof(s));
	err[0] = 0;
	return ram ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	free(ram);
	return 0;
}

static uint32_t get32(uint64_t gpa)
{
	uint32_t v;

	memcpy(&v, ram + gpa, 4);
	return v;
}

static uint64_t get64(uint64_t gpa)
{
	uint64_t v;

	memcpy(&v, ram + gpa, 8);
	return v;
}

/* ---- flat --------------------------------------------------------------------- */

static void test_flat(void **state)
{
	const uint8_t img[] = { 0xfa, 0xf4 };

	(void)state;
	assert_int_equal(boot_flat(ram, RAM, img, sizeof(img), 0x7c00, &s, err, sizeof(err)), 0);
	assert_memory_equal(ram + 0x7c00, img, 2);
	assert_int_equal(s._cs.selector, 0);
	assert_int_equal(s._rip, 0x7c00);
	assert_int_equal(s._cs.ar, 0x9b);
	assert_int_equal(s._ds.limit, 0xffff);
	assert_int_equal(s._regs[HAX_REG_RSP], 0x7c00);
	assert_int_equal(s._cr0 & BOOT_CR0_PE, 0);
	assert_int_equal(s._rflags, 2);
	assert_int_equal(s._efer, 0);
	assert_int_equal(s._tr.ar, 0x8b);
	assert_true(s._ldt.ar & HAX_SEG_AR_NULL);
	/* above 64 KiB: CS:IP = addr/16 : addr%16 */
	assert_int_equal(boot_flat(ram, RAM, img, sizeof(img), 0x12345, &s, err, sizeof(err)), 0);
	assert_int_equal(s._cs.selector, 0x1234);
	assert_int_equal(s._cs.base, 0x12340);
	assert_int_equal(s._rip, 5);
	assert_memory_equal(ram + 0x12345, img, 2);
}

static void test_flat_errors(void **state)
{
	const uint8_t img[] = { 0xf4 };

	(void)state;
	assert_int_equal(boot_flat(ram, RAM, img, 0, 0x7c00, &s, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "empty"));
	assert_int_equal(boot_flat(ram, RAM, img, 1, 0x100000, &s, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "below 1 MiB"));
	assert_int_equal(boot_flat(ram, 0x8000, img, 1, 0x9000, &s, err, sizeof(err)), -1);
}

/* ---- e820 --------------------------------------------------------------------- */

static void test_e820(void **state)
{
	struct e820_entry m[E820_MAX];

	(void)state;
	/* 4 GiB: 3 below the PCI hole, 1 at 4 GiB */
	assert_int_equal(boot_e820(4ull << 30, m), 5);
	assert_int_equal(m[3].addr + m[3].size, 0xc0000000ull);
	assert_int_equal(m[4].addr, 1ull << 32);
	assert_int_equal(m[4].size, 1ull << 30);
	assert_int_equal(m[4].type, E820_RAM);
	assert_int_equal(boot_e820(3ull << 30, m), 4);
	assert_int_equal(m[3].addr + m[3].size, 3ull << 30);
	assert_int_equal(boot_e820(RAM, m), 4);
	assert_int_equal(m[0].addr, 0);
	assert_int_equal(m[0].size, BOOT_LOW_END);
	assert_int_equal(m[0].type, E820_RAM);
	assert_int_equal(m[1].type, E820_RESERVED);
	assert_int_equal(m[3].addr, 1 << 20);
	assert_int_equal(m[3].addr + m[3].size, RAM);
	assert_int_equal(sizeof(m[0]), 20);
}

/* ---- MP table ------------------------------------------------------------------ */

static uint8_t sum8(uint64_t gpa, size_t n)
{
	uint8_t v = 0;

	while (n--)
		v += ram[gpa++];
	return v;
}

/* The floating pointer and the table: checksums, processors, the IRQ 0 override. */
static void test_mptable(void **state)
{
	uint64_t t, e;
	int i, procs = 0, bsps = 0, ints = 0, pin2 = -1, irq2 = 0;
	uint16_t len, n;

	(void)state;
	assert_int_equal(boot_mptable(ram, RAM, 4, err, sizeof(err)), 0);
	assert_memory_equal(ram + BOOT_MPTABLE, "_MP_", 4);
	assert_int_equal(sum8(BOOT_MPTABLE, 16), 0);
	assert_int_equal(ram[BOOT_MPTABLE + 8], 1);
	assert_int_equal(ram[BOOT_MPTABLE + 9], 4);
	assert_int_equal(ram[BOOT_MPTABLE + 11], 0); /* feature 1: a table, not a default */
	t = get32(BOOT_MPTABLE + 4);
	assert_memory_equal(ram + t, "PCMP", 4);
	memcpy(&len, ram + t + 4, 2);
	memcpy(&n, ram + t + 34, 2);
	assert_int_equal(sum8(t, len), 0);
	assert_int_equal(get32(t + 36), 0xfee00000);
	assert_int_equal(t + len, BOOT_MPTABLE + boot_mptable_size(4));
	assert_true(t + len <= BOOT_MPTABLE + 1024);
	for (e = t + 44, i = 0; i < n; i++) {
		switch (ram[e]) {
		case 0:
			assert_int_equal(ram[e + 1], procs);
			assert_true(ram[e + 3] & 1);
			bsps += !!(ram[e + 3] & 2);
			procs++;
			e += 20;
			continue;
		case 2:
			assert_int_equal(ram[e + 1], BOOT_IOAPIC_ID);
			assert_int_equal(get32(e + 4), 0xfec00000);
			break;
		case 3:
			ints++;
			if (ram[e + 5] == 0)
				pin2 = ram[e + 7];
			irq2 += ram[e + 5] == 2;
			if (ram[e + 5])
				assert_int_equal(ram[e + 7], ram[e + 5]);
			break;
		}
		e += 8;
	}
	assert_int_equal(e, t + len);
	assert_int_equal(procs, 4);
	assert_int_equal(bsps, 1);
	assert_int_equal(ints, 15);
	assert_int_equal(pin2, 2);
	assert_int_equal(irq2, 0);
	/* the limits: 32 vCPUs fit in the KiB, 33 do not */
	assert_int_equal(boot_mptable(ram, RAM, 32, err, sizeof(err)), 0);
	assert_true(boot_mptable_size(32) <= 1024);
	assert_int_equal(boot_mptable(ram, RAM, 33, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "33 vCPUs"));
	assert_int_equal(boot_mptable(ram, RAM, 0, err, sizeof(err)), -1);
}

/* ---- multiboot ---------------------------------------------------------------- */

/* An ELF32 with one PT_LOAD (code, then bss) at 1 MiB and the header at offset 0x100. */
static size_t make_mb_elf(uint8_t *img, uint32_t mbflags)
{
	Elf32_Ehdr *eh = (void *)img;
	Elf32_Phdr *ph = (void *)(img + sizeof(*eh));
	uint32_t *h = (void *)(img + 0x100);

	memset(img, 0, 0x200);
	memcpy(eh->e_ident, ELFMAG, SELFMAG);
	eh->e_ident[EI_CLASS] = ELFCLASS32;
	eh->e_ident[EI_DATA] = ELFDATA2LSB;
	eh->e_machine = EM_386;
	eh->e_entry = 0x100110;
	eh->e_phoff = sizeof(*eh);
	eh->e_phentsize = sizeof(*ph);
	eh->e_phnum = 1;
	ph->p_type = PT_LOAD;
	ph->p_offset = 0x100;
	ph->p_paddr = ph->p_vaddr = 0x100000;
	ph->p_filesz = 0x100;
	ph->p_memsz = 0x1000;
	h[0] = 0x1badb002;
	h[1] = mbflags;
	h[2] = -(0x1badb002 + mbflags);
	img[0x110] = 0xf4;
	return 0x200;
}

static void test_multiboot_elf(void **state)
{
	uint8_t img[0x200];
	size_t len = make_mb_elf(img, 3);
	uint32_t mmap, i;

	(void)state;
	memset(ram + 0x100100, 0x55, 0x100); /* bss must be zeroed */
	assert_int_equal(boot_multiboot(ram, RAM, img, len, "exit=3", 2, &s, err, sizeof(err)), 0);
	assert_int_equal(ram[0x100010], 0xf4);
	assert_int_equal(ram[0x100100], 0);
	assert_int_equal(s._rip, 0x100110);
	assert_int_equal(s._regs[HAX_REG_RAX], MULTIBOOT_MAGIC);
	assert_int_equal(s._regs[HAX_REG_RBX], BOOT_MB_INFO);
	assert_int_equal(s._regs[HAX_REG_RCX], 2);
	assert_int_equal(s._cr0 & (BOOT_CR0_PE | BOOT_CR0_PG), BOOT_CR0_PE);
	assert_int_equal(s._cs.selector, BOOT_SEL_CODE32);
	assert_int_equal(s._cs.ar, 0xc09b);
	assert_int_equal(s._cs.limit, 0xffffffff);
	assert_int_equal(s._ss.ar, 0xc093);
	assert_int_equal(s._rflags & (1 << 9), 0); /* IF clear */
	/* the GDT in memory matches the loaded selectors */
	assert_int_equal(s._gdt.base, BOOT_GDT);
	assert_int_equal(get64(BOOT_GDT + BOOT_SEL_CODE32), 0x00cf9b000000ffffull);
	/* the information structure */
	assert_int_equal(get32(BOOT_MB_INFO) & 0x245, 0x245); /* mem, cmdline, mmap, name */
	assert_int_equal(get32(BOOT_MB_INFO + 4), 639);
	assert_int_equal(get32(BOOT_MB_INFO + 8), (RAM >> 10) - 1024);
	assert_string_equal((char *)ram + get32(BOOT_MB_INFO + 16), "exit=3");
	assert_string_equal((char *)ram + get32(BOOT_MB_INFO + 64), "haxm run");
	mmap = get32(BOOT_MB_INFO + 48);
	assert_int_equal(get32(BOOT_MB_INFO + 44), 4 * 24);
	for (i = 0; i < 4; i++)
		assert_int_equal(get32(mmap + i * 24), 20);
	assert_int_equal(get64(mmap + 3 * 24 + 4), 1 << 20);
	assert_int_equal(get64(mmap + 3 * 24 + 12), RAM - (1 << 20));
	/* an application processor */
	vcpu_state_t ap;
	boot_multiboot_ap(&s, 1, &ap);
	assert_int_equal(ap._regs[HAX_REG_RAX], BOOT_AP_MAGIC);
	assert_int_equal(ap._regs[HAX_REG_RBX], 1);
	assert_int_equal(ap._regs[HAX_REG_RCX], 2);
	assert_int_equal(ap._rip, s._rip);
}

static void test_multiboot_aout(void **state)
{
	uint8_t img[0x400] = { 0 };
	uint32_t *h = (void *)(img + 0x40), flags = 0x10002;

	(void)state;
	h[0] = 0x1badb002;
	h[1] = flags;
	h[2] = -(0x1badb002 + flags);
	h[3] = 0x200040; /* header_addr: the file is loaded at 0x200000 */
	h[4] = 0x200000;
	h[5] = 0x200300; /* load_end_addr */
	h[6] = 0x201000; /* bss_end_addr */
	h[7] = 0x200080;
	img[0x80] = 0x90;
	img[0x300] = 0x77; /* past load_end_addr: not loaded */
	ram[0x200300] = 0x11;
	assert_int_equal(boot_multiboot(ram, RAM, img, sizeof(img), "", 1, &s, err, sizeof(err)),
			 0);
	assert_int_equal(ram[0x200080], 0x90);
	assert_int_equal(ram[0x200300], 0);
	assert_int_equal(s._rip, 0x200080);
}

static void test_multiboot_errors(void **state)
{
	uint8_t img[0x200];
	size_t len;
	char longline[4096];

	(void)state;
	len = make_mb_elf(img, 3);
	img[0x108]++; /* bad checksum */
	assert_int_equal(boot_multiboot(ram, RAM, img, len, "", 1, &s, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "no multiboot header"));
	len = make_mb_elf(img, 7); /* asks for a video mode */
	assert_int_equal(boot_multiboot(ram, RAM, img, len, "", 1, &s, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "video mode"));
	len = make_mb_elf(img, 3);
	img[EI_CLASS] = ELFCLASS64;
	assert_int_equal(boot_multiboot(ram, RAM, img, len, "", 1, &s, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "32-bit"));
	len = make_mb_elf(img, 3);
	assert_int_equal(boot_multiboot(ram, 0x100800, img, len, "", 1, &s, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "does not fit"));
	len = make_mb_elf(img, 3);
	((Elf32_Phdr *)(img + sizeof(Elf32_Ehdr)))->p_paddr = 0x7000; /* over the boot data */
	assert_int_equal(boot_multiboot(ram, RAM, img, len, "", 1, &s, err, sizeof(err)), -1);
	len = make_mb_elf(img, 3);
	memset(longline, 'a', sizeof(longline) - 1);
	longline[sizeof(longline) - 1] = 0;
	assert_int_equal(boot_multiboot(ram, RAM, img, len, longline, 1, &s, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "command line"));
}

/* ---- Linux -------------------------------------------------------------------- */

#define KSIZE (64 * 1024)

/* A bzImage header (protocol 2.15, 64-bit entry) and 4 setup sectors. */
static uint8_t *make_bzimage(void)
{
	uint8_t *k = calloc(1, KSIZE);
	uint32_t v32;
	uint64_t v64;

	k[0x1f1] = 4;
	k[0x1fe] = 0x55;
	k[0x1ff] = 0xaa;
	k[0x200] = 0xeb;
	k[0x201] = 0x6a; /* header ends at 0x202 + 0x6a = 0x26c */
	memcpy(k + 0x202, "HdrS", 4);
	k[0x206] = 0x0f;
	k[0x207] = 0x02;
	k[0x211] = 0x01;  /* LOADED_HIGH */
	k[0x236] = 0x03;  /* XLF_KERNEL_64 | XLF_CAN_BE_LOADED_ABOVE_4G */
	v32 = 0x7fffffff; /* initrd_addr_max */
	memcpy(k + 0x22c, &v32, 4);
	v32 = 2048; /* cmdline_size */
	memcpy(k + 0x238, &v32, 4);
	v64 = 0x1000000; /* pref_address */
	memcpy(k + 0x258, &v64, 8);
	v32 = 0x800000; /* init_size */
	memcpy(k + 0x260, &v32, 4);
	k[5 * 512] = 0xe8; /* the first byte of the protected-mode kernel */
	return k;
}

static void test_linux(void **state)
{
	uint8_t *k = make_bzimage(), rd[8192];
	uint64_t initrd;
	int i;

	(void)state;
	memset(rd, 0xab, sizeof(rd));
	assert_int_equal(boot_linux(ram, RAM, k, KSIZE, rd, sizeof(rd), "console=ttyS0", &s, err,
				    sizeof(err)),
			 0);
	assert_int_equal(ram[0x1000000], 0xe8);
	assert_int_equal(s._rip, 0x1000200);
	assert_int_equal(s._regs[HAX_REG_RSI], BOOT_ZERO_PAGE);
	assert_int_equal(s._efer, BOOT_EFER_LME | BOOT_EFER_LMA);
	assert_int_equal(s._cr0 & (BOOT_CR0_PE | BOOT_CR0_PG), BOOT_CR0_PE | BOOT_CR0_PG);
	assert_int_equal(s._cr4 & BOOT_CR4_PAE, BOOT_CR4_PAE);
	assert_int_equal(s._cr3, BOOT_PML4);
	assert_int_equal(s._cs.selector, BOOT_SEL_CODE64);
	assert_true(s._cs.ar & HAX_SEG_AR_LONG);
	assert_false(s._cs.ar & HAX_SEG_AR_DB);
	assert_int_equal(s._ds.selector, BOOT_SEL_DATA);
	assert_int_equal(get64(BOOT_GDT + BOOT_SEL_CODE64), 0x00af9b000000ffffull);
	assert_int_equal(get64(BOOT_GDT + BOOT_SEL_DATA), 0x00cf93000000ffffull);
	/* identity map: PML4[0] -> PDPT[0..3] -> 2 MiB pages */
	assert_int_equal(get64(BOOT_PML4) & ~0xfffull, BOOT_PML4 + 0x1000);
	for (i = 0; i < 4; i++)
		assert_int_equal(get64(BOOT_PML4 + 0x1000 + i * 8) & ~0xfffull,
				 BOOT_PML4 + 0x2000 + i * 0x1000);
	assert_int_equal(get64(BOOT_PML4 + 0x2000 + 8 * 100), (100ull << 21) | 0x83);
	assert_int_equal(get64(BOOT_PML4 + 0x2000 + 8 * 2047), (2047ull << 21) | 0x83);
	/* boot_params */
	assert_memory_equal(ram + BOOT_ZERO_PAGE + 0x202, "HdrS", 4);
	assert_int_equal(ram[BOOT_ZERO_PAGE + 0x210], 0xff);
	assert_int_equal(ram[BOOT_ZERO_PAGE + 0x211] & 0x81, 0x81);
	assert_string_equal((char *)ram + get32(BOOT_ZERO_PAGE + 0x228), "console=ttyS0");
	initrd = get32(BOOT_ZERO_PAGE + 0x218);
	assert_int_equal(get32(BOOT_ZERO_PAGE + 0x21c), sizeof(rd));
	assert_int_equal(initrd & 0xfff, 0);
	assert_true(initrd + sizeof(rd) <= RAM && initrd >= 0x1800000);
	assert_memory_equal(ram + initrd, rd, sizeof(rd));
	assert_int_equal(ram[BOOT_ZERO_PAGE + 0x1e8], 4);
	assert_int_equal(get64(BOOT_ZERO_PAGE + 0x2d0 + 3 * 20), 1 << 20);
	assert_int_equal(get32(BOOT_ZERO_PAGE + 0x2d0 + 3 * 20 + 16), E820_RAM);
	/* nothing past the header was copied from the image */
	assert_int_equal(ram[BOOT_ZERO_PAGE + 0x26c], 0);
	free(k);
}

static void test_linux_errors(void **state)
{
	uint8_t *k = make_bzimage(), rd[16];
	char cl[3000];

	(void)state;
	assert_int_equal(boot_linux(ram, RAM, k, 0x100, NULL, 0, "", &s, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "not a Linux bzImage"));
	k[0x206] = 0x0b;
	assert_int_equal(boot_linux(ram, RAM, k, KSIZE, NULL, 0, "", &s, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "2.12"));
	k[0x206] = 0x0f;
	k[0x236] = 0;
	assert_int_equal(boot_linux(ram, RAM, k, KSIZE, NULL, 0, "", &s, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "64-bit"));
	k[0x236] = 1;
	assert_int_equal(boot_linux(ram, 16u << 20, k, KSIZE, NULL, 0, "", &s, err, sizeof(err)),
			 -1);
	assert_non_null(strstr(err, "larger -m"));
	assert_int_equal(
		boot_linux(ram, 0x1800000, k, KSIZE, rd, sizeof(rd), "", &s, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "initrd"));
	memset(cl, 'x', sizeof(cl) - 1);
	cl[sizeof(cl) - 1] = 0;
	assert_int_equal(boot_linux(ram, RAM, k, KSIZE, NULL, 0, cl, &s, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "command line"));
	assert_int_equal(boot_linux(ram, RAM, k, 5 * 512, NULL, 0, "", &s, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "truncated"));
	free(k);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_flat, setup, teardown),
		cmocka_unit_test_setup_teardown(test_flat_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_e820, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mptable, setup, teardown),
		cmocka_unit_test_setup_teardown(test_multiboot_elf, setup, teardown),
		cmocka_unit_test_setup_teardown(test_multiboot_aout, setup, teardown),
		cmocka_unit_test_setup_teardown(test_multiboot_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_linux, setup, teardown),
		cmocka_unit_test_setup_teardown(test_linux_errors, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
