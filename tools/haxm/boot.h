/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Guest loaders of `haxm run`: put an image into guest RAM and fill in the
 * boot vCPU's registers. Pure functions over a RAM buffer, unit-tested in
 * tests/unit/test_boot.c. Each returns 0, or -1 with a one-line reason in
 * @err (what is wrong with the image, or that it does not fit in RAM).
 *
 * Guest-physical layout they use (below the image, never overlapping it):
 *   0x0500  GDT (BOOT_GDT): null, null, 0x10 64-bit code, 0x18 data,
 *           0x20 32-bit code (multiboot uses 0x20/0x18)
 *   0x7000  Linux boot_params (the "zero page")
 *   0x8000  multiboot information, 0x8100 its memory map, 0x8400 cmdline
 *   0x9000  identity page tables for Linux's 64-bit entry (PML4, PDPT,
 *           4 page directories: the first 4 GiB in 2 MiB pages)
 *   0x20000 the Linux command line
 *   0x9fc00 the MP tables (in-kernel irqchip), in the reserved EBDA KiB
 * RAM is reported (e820, multiboot mmap) as [0, 0x9fc00) and [1 MiB, end),
 * with the EBDA and BIOS area [0x9fc00, 0xa0000) and [0xf0000, 1 MiB) reserved.
 * RAM past 3 GiB (BOOT_PCI_HOLE: the PCI, IO-APIC and LAPIC hole up to 4
 * GiB) is at 4 GiB: the first boot_low_ram() bytes of the RAM buffer are at
 * guest-physical 0, the rest at BOOT_RAM_ABOVE_4G. Loaders use low RAM.
 */
#ifndef HAXM_TOOL_BOOT_H
#define HAXM_TOOL_BOOT_H

#include <stddef.h>
#include <stdint.h>

#include "haxm.h"

#define BOOT_GDT	    0x500
#define BOOT_SEL_CODE64	    0x10
#define BOOT_SEL_DATA	    0x18
#define BOOT_SEL_CODE32	    0x20
#define BOOT_ZERO_PAGE	    0x7000
#define BOOT_MB_INFO	    0x8000
#define BOOT_MB_MMAP	    0x8100
#define BOOT_MB_CMDLINE	    0x8400
#define BOOT_MB_CMDLINE_MAX 0xb00
#define BOOT_PML4	    0x9000
#define BOOT_LINUX_CMDLINE  0x20000
#define BOOT_LOW_END	    0x9fc00	 /* conventional memory below the EBDA */
#define BOOT_MPTABLE	    BOOT_LOW_END /* the MP tables, in the reserved last KiB */
#define BOOT_IOAPIC_ID	    0
#define BOOT_HIGH_START	    0x100000
#define BOOT_PCI_HOLE	    0xc0000000ull  /* RAM stops here below 4 GiB ... */
#define BOOT_RAM_ABOVE_4G   0x100000000ull /* ... and goes on here */

#define MULTIBOOT_MAGIC 0x2badb002
/*
 * haxm's own convention for application processors (multiboot has none,
 * and haxm run has no local APIC to send INIT-SIPI through): every vCPU
 * starts at the multiboot entry; vCPUs other than 0 get EAX = BOOT_AP_MAGIC,
 * EBX = their index, and all vCPUs get ECX = the number of vCPUs.
 */
#define BOOT_AP_MAGIC 0x50415848 /* "HXAP" */

/* Control register and EFER bits (SDM vol. 3A, 2.5 and 2.2.1). */
#define BOOT_CR0_PE   (1u << 0)
#define BOOT_CR0_ET   (1u << 4)
#define BOOT_CR0_PG   (1u << 31)
#define BOOT_CR4_PAE  (1u << 5)
#define BOOT_EFER_LME (1u << 8)
#define BOOT_EFER_LMA (1u << 10)

#define E820_RAM      1
#define E820_RESERVED 2
#define E820_MAX      5

struct e820_entry {
	uint64_t addr, size;
	uint32_t type;
} __attribute__((packed));

/**
 * boot_e820() - the memory map of a guest with @ram_size bytes of RAM.
 * @ram_size: at least 2 MiB
 * @map:      receives up to E820_MAX entries (the last one RAM above 4 GiB)
 *
 * Returns the number of entries.
 */
int boot_e820(uint64_t ram_size, struct e820_entry map[E820_MAX]);

/** boot_low_ram() - the bytes of @ram_size below the PCI hole (at guest-physical 0). */
static inline uint64_t boot_low_ram(uint64_t ram_size)
{
	return ram_size < BOOT_PCI_HOLE ? ram_size : BOOT_PCI_HOLE;
}

/**
 * boot_flat() - a raw binary at @addr, entered in real mode at its first
 * byte (CS:IP = @addr / 16 : @addr % 16, or 0:@addr below 64 KiB), data
 * segments 0, SS:SP = 0:0x7c00, interrupts off.
 *
 * Errors: the image is empty or does not fit below 1 MiB and in RAM.
 */
int boot_flat(uint8_t *ram, uint64_t ram_size, const uint8_t *img, size_t len, uint64_t addr,
	      vcpu_state_t *s, char *err, size_t errlen);

/**
 * boot_multiboot() - a multiboot (v1) kernel: the ELF32 PT_LOAD segments
 * (or the a.out-kludge addresses of the header), the information structure
 * with memory sizes, the memory map and @cmdline; 32-bit protected mode
 * entry, paging off, EAX = MULTIBOOT_MAGIC, EBX = the information's address,
 * ECX = @ncpus.
 *
 * Errors: no multiboot header in the first 8 KiB, a bad checksum, header
 * flags asking for what haxm run cannot give (video mode), a malformed ELF
 * or segments outside RAM or over the boot structures, @cmdline too long.
 */
int boot_multiboot(uint8_t *ram, uint64_t ram_size, const uint8_t *img, size_t len,
		   const char *cmdline, int ncpus, vcpu_state_t *s, char *err, size_t errlen);

/**
 * boot_multiboot_ap() - the entry state of application processor @index:
 * that of the boot vCPU @bsp, with EAX = BOOT_AP_MAGIC and EBX = @index.
 */
void boot_multiboot_ap(const vcpu_state_t *bsp, int index, vcpu_state_t *s);

/**
 * boot_linux() - a Linux bzImage by the x86 boot protocol (2.12 or later,
 * with a 64-bit entry): the protected-mode kernel at its preferred address,
 * boot_params with the setup header, e820 map, @cmdline and the initrd
 * (placed as high as the kernel allows), then the 64-bit entry (load
 * address + 0x200) in long mode with identity page tables, RSI = the
 * boot_params' address, interrupts off.
 *
 * Errors: not a bzImage (no "HdrS" or boot flag), a protocol before 2.12 or
 * no 64-bit entry, kernel or initrd not fitting in RAM, @cmdline too long.
 */
int boot_linux(uint8_t *ram, uint64_t ram_size, const uint8_t *kernel, size_t klen,
	       const uint8_t *initrd, size_t ilen, const char *cmdline, vcpu_state_t *s, char *err,
	       size_t errlen);

/**
 * boot_mptable() - the MP specification 1.4 tables for @ncpus vCPUs and
 * the in-kernel IO-APIC at BOOT_MPTABLE (where Linux looks: the last KiB
 * below 640 KiB): see boot_mptable.c for what they say.
 *
 * Errors: @ncpus outside 1..32 (the tables would not fit in their KiB),
 * RAM too small to hold them.
 */
int boot_mptable(uint8_t *ram, uint64_t ram_size, int ncpus, char *err, size_t errlen);

/** boot_mptable_size() - the bytes boot_mptable() writes for @ncpus vCPUs. */
size_t boot_mptable_size(int ncpus);

/**
 * boot_seg() - fill a segment register: selector, base, limit, access rights
 * (HAX_SEG_AR_* bits; 0 makes it unusable).
 */
void boot_seg(segment_desc_t *seg, uint16_t sel, uint64_t base, uint32_t limit, uint32_t ar);

/**
 * boot_common() - what every entry state shares: GPRs 0, RFLAGS 2, DR7 and
 * CR2 at reset values, active, no blocking, LDT unusable, TR a busy 32-bit
 * TSS (VMX requires a usable TR, SDM 26.3.1.2), IDTR 0/0.
 */
void boot_common(vcpu_state_t *s);

/** boot_write_gdt() - the GDT at BOOT_GDT; the state's GDTR pointing to it. */
void boot_write_gdt(uint8_t *ram, vcpu_state_t *s);

#endif /* HAXM_TOOL_BOOT_H */
