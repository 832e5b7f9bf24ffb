/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Multiboot 1 (specification 0.6.96) structures, shared by the loader of
 * `haxm run` (boot_multiboot.c) and the testbed's multiboot test kernel
 * (tests/testbed/vmm/mb_kernel.c, built freestanding for i386).
 */
#ifndef HAXM_TOOL_MULTIBOOT_H
#define HAXM_TOOL_MULTIBOOT_H

#include <stdint.h>

/* The header in the kernel image's first 8 KiB (spec 3.1.1). */
struct mb_header {
	uint32_t magic, flags, checksum;
	uint32_t header_addr, load_addr, load_end_addr, bss_end_addr, entry_addr;
};

/* The information structure the loader passes in EBX (spec 3.3). */
struct mb_info {
	uint32_t flags, mem_lower, mem_upper, boot_device, cmdline, mods_count, mods_addr;
	uint32_t syms[4];
	uint32_t mmap_length, mmap_addr;
	uint32_t drives_length, drives_addr, config_table, boot_loader_name;
} __attribute__((packed));

/* One memory-map entry; @size counts the bytes after itself. */
struct mb_mmap {
	uint32_t size;
	uint64_t addr, len;
	uint32_t type;
} __attribute__((packed));

#endif /* HAXM_TOOL_MULTIBOOT_H */
