// SPDX-License-Identifier: GPL-2.0
/*
 * Multiboot (version 0.6.96, "multiboot 1") kernels: the header in the first
 * 8 KiB, ELF32 or a.out-kludge loading, the information structure, 32-bit
 * protected-mode entry (spec section 3.2: flat CS/DS, paging off, IF clear,
 * EAX magic, EBX the information's physical address).
 */
#include <elf.h>
#include <stdio.h>
#include <string.h>

#include "boot.h"
#include "multiboot.h"

#define MBH_MAGIC	0x1badb002
#define MBH_SEARCH	8192
#define MBH_PAGE_ALIGN	(1u << 0) /* modules page-aligned: there are none */
#define MBH_MEMINFO	(1u << 1)
#define MBH_VIDEO	(1u << 2)
#define MBH_AOUT_KLUDGE (1u << 16)
#define MBH_KNOWN	(MBH_PAGE_ALIGN | MBH_MEMINFO)

#define MBI_MEM		(1u << 0)
#define MBI_CMDLINE	(1u << 2)
#define MBI_MMAP	(1u << 6)
#define MBI_LOADER_NAME (1u << 9)
#define MB_LOADER_NAME	"haxm run"

#define FAIL(...)                                   \
	do {                                        \
		snprintf(err, errlen, __VA_ARGS__); \
		return -1;                          \
	} while (0)

/* Is guest-physical [a, a + n) inside RAM and clear of the boot structures? */
static int mb_range_ok(uint64_t ram_size, uint64_t a, uint64_t n)
{
	if (a > ram_size || n > ram_size - a)
		return 0;
	return a >= BOOT_MB_CMDLINE + BOOT_MB_CMDLINE_MAX || a + n <= BOOT_GDT;
}

static const struct mb_header *mb_find(const uint8_t *img, size_t len, size_t *off)
{
	size_t o;

	for (o = 0; o + sizeof(struct mb_header) <= len && o < MBH_SEARCH; o += 4) {
		const struct mb_header *h = (const void *)(img + o);

		if (h->magic == MBH_MAGIC && h->magic + h->flags + h->checksum == 0) {
			*off = o;
			return h;
		}
	}
	return NULL;
}

static int mb_load_aout(uint8_t *ram, uint64_t ram_size, const uint8_t *img, size_t len,
			const struct mb_header *h, size_t hoff, uint32_t *entry, char *err,
			size_t errlen)
{
	uint64_t foff, end, bss_end;

	if (h->header_addr < h->load_addr || hoff < h->header_addr - h->load_addr)
		FAIL("multiboot header: load_addr 0x%x is above header_addr 0x%x", h->load_addr,
		     h->header_addr);
	foff = hoff - (h->header_addr - h->load_addr);
	end = h->load_end_addr ? h->load_end_addr : h->load_addr + (len - foff);
	if (end < h->load_addr || end - h->load_addr > len - foff)
		FAIL("multiboot header: load_end_addr 0x%llx is past the end of the file",
		     (unsigned long long)end);
	bss_end = h->bss_end_addr > end ? h->bss_end_addr : end;
	if (!mb_range_ok(ram_size, h->load_addr, bss_end - h->load_addr))
		FAIL("the kernel [0x%x, 0x%llx) does not fit in RAM above 0x%x", h->load_addr,
		     (unsigned long long)bss_end, BOOT_MB_CMDLINE + BOOT_MB_CMDLINE_MAX);
	memcpy(ram + h->load_addr, img + foff, end - h->load_addr);
	memset(ram + end, 0, bss_end - end);
	*entry = h->entry_addr;
	return 0;
}

static int mb_load_elf(uint8_t *ram, uint64_t ram_size, const uint8_t *img, size_t len,
		       uint32_t *entry, char *err, size_t errlen)
{
	const Elf32_Ehdr *eh = (const void *)img;
	const Elf32_Phdr *ph;
	int i, loaded = 0;

	if (len < sizeof(*eh) || memcmp(eh->e_ident, ELFMAG, SELFMAG))
		FAIL("not an ELF file, and the multiboot header has no load addresses");
	if (eh->e_ident[EI_CLASS] != ELFCLASS32 || eh->e_machine != EM_386)
		FAIL("not a 32-bit x86 ELF file (multiboot kernels are ELF32)");
	if (eh->e_phentsize != sizeof(*ph) || eh->e_phoff > len ||
	    (uint64_t)eh->e_phnum * sizeof(*ph) > len - eh->e_phoff)
		FAIL("malformed ELF program headers");
	ph = (const void *)(img + eh->e_phoff);
	for (i = 0; i < eh->e_phnum; i++) {
		if (ph[i].p_type != PT_LOAD || !ph[i].p_memsz)
			continue;
		if (ph[i].p_filesz > ph[i].p_memsz || ph[i].p_offset > len ||
		    ph[i].p_filesz > len - ph[i].p_offset)
			FAIL("ELF segment %d lies outside the file", i);
		if (!mb_range_ok(ram_size, ph[i].p_paddr, ph[i].p_memsz))
			FAIL("ELF segment %d [0x%x, 0x%llx) does not fit in RAM above 0x%x", i,
			     ph[i].p_paddr, (unsigned long long)ph[i].p_paddr + ph[i].p_memsz,
			     BOOT_MB_CMDLINE + BOOT_MB_CMDLINE_MAX);
		memcpy(ram + ph[i].p_paddr, img + ph[i].p_offset, ph[i].p_filesz);
		memset(ram + ph[i].p_paddr + ph[i].p_filesz, 0, ph[i].p_memsz - ph[i].p_filesz);
		loaded++;
	}
	if (!loaded)
		FAIL("the ELF file has nothing to load");
	*entry = eh->e_entry;
	return 0;
}

int boot_multiboot(uint8_t *ram, uint64_t ram_size, const uint8_t *img, size_t len,
		   const char *cmdline, int ncpus, vcpu_state_t *s, char *err, size_t errlen)
{
	struct e820_entry map[E820_MAX];
	const struct mb_header *h;
	struct mb_info *mbi = (void *)(ram + BOOT_MB_INFO);
	struct mb_mmap *mm = (void *)(ram + BOOT_MB_MMAP);
	segment_desc_t *data[] = { &s->_ds, &s->_es, &s->_fs, &s->_gs, &s->_ss };
	size_t hoff, clen = strlen(cmdline);
	uint32_t entry;
	int i, n;

	h = mb_find(img, len, &hoff);
	if (!h)
		FAIL("no multiboot header (magic 0x%x with a valid checksum) in the first %d bytes",
		     MBH_MAGIC, MBH_SEARCH);
	if (h->flags & 0xffff & ~MBH_KNOWN)
		FAIL("the multiboot header asks for %s (flags 0x%x), which haxm run cannot provide",
		     (h->flags & MBH_VIDEO) ? "a video mode" : "an unknown feature", h->flags);
	if (clen + sizeof(MB_LOADER_NAME) + 1 > BOOT_MB_CMDLINE_MAX)
		FAIL("the command line is longer than %zu bytes",
		     BOOT_MB_CMDLINE_MAX - sizeof(MB_LOADER_NAME) - 1);
	if ((h->flags & MBH_AOUT_KLUDGE)
		    ? mb_load_aout(ram, boot_low_ram(ram_size), img, len, h, hoff, &entry, err,
				   errlen)
		    : mb_load_elf(ram, boot_low_ram(ram_size), img, len, &entry, err, errlen))
		return -1;

	memset(mbi, 0, sizeof(*mbi));
	mbi->flags = MBI_MEM | MBI_CMDLINE | MBI_MMAP | MBI_LOADER_NAME;
	mbi->mem_lower = BOOT_LOW_END >> 10;
	mbi->mem_upper = (boot_low_ram(ram_size) - BOOT_HIGH_START) >> 10;
	n = boot_e820(ram_size, map);
	for (i = 0; i < n; i++)
		mm[i] = (struct mb_mmap){ sizeof(mm[i]) - 4, map[i].addr, map[i].size,
					  map[i].type };
	mbi->mmap_addr = BOOT_MB_MMAP;
	mbi->mmap_length = n * sizeof(*mm);
	memcpy(ram + BOOT_MB_CMDLINE, cmdline, clen + 1);
	mbi->cmdline = BOOT_MB_CMDLINE;
	memcpy(ram + BOOT_MB_CMDLINE + clen + 1, MB_LOADER_NAME, sizeof(MB_LOADER_NAME));
	mbi->boot_loader_name = BOOT_MB_CMDLINE + clen + 1;

	boot_common(s);
	boot_write_gdt(ram, s);
	boot_seg(&s->_cs, BOOT_SEL_CODE32, 0, 0xffffffff, 0xc09b);
	for (i = 0; i < (int)(sizeof(data) / sizeof(data[0])); i++)
		boot_seg(data[i], BOOT_SEL_DATA, 0, 0xffffffff, 0xc093);
	s->_rip = entry;
	s->_cr0 = BOOT_CR0_PE | BOOT_CR0_ET;
	s->_cr3 = s->_cr4 = 0;
	s->_efer = 0;
	s->_regs[HAX_REG_RAX] = MULTIBOOT_MAGIC;
	s->_regs[HAX_REG_RBX] = BOOT_MB_INFO;
	s->_regs[HAX_REG_RCX] = ncpus;
	return 0;
}

void boot_multiboot_ap(const vcpu_state_t *bsp, int index, vcpu_state_t *s)
{
	*s = *bsp;
	s->_regs[HAX_REG_RAX] = BOOT_AP_MAGIC;
	s->_regs[HAX_REG_RBX] = index;
}
