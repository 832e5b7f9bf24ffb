// SPDX-License-Identifier: GPL-2.0
/* Boot helpers shared by the loaders, and the flat real-mode loader. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "boot.h"

#define AR_CODE	    (HAX_SEG_AR_PRESENT | HAX_SEG_AR_DESC | 0xb) /* execute/read, accessed */
#define AR_DATA	    (HAX_SEG_AR_PRESENT | HAX_SEG_AR_DESC | 0x3) /* read/write, accessed */
#define AR_TSS_BUSY (HAX_SEG_AR_PRESENT | 0xb)

void boot_seg(segment_desc_t *seg, uint16_t sel, uint64_t base, uint32_t limit, uint32_t ar)
{
	memset(seg, 0, sizeof(*seg));
	seg->selector = sel;
	seg->base = base;
	seg->limit = limit;
	seg->ar = ar ? ar : HAX_SEG_AR_NULL;
}

void boot_write_gdt(uint8_t *ram, vcpu_state_t *s)
{
	static const uint64_t gdt[] = {
		0,
		0,
		0x00af9b000000ffffull, /* BOOT_SEL_CODE64 */
		0x00cf93000000ffffull, /* BOOT_SEL_DATA */
		0x00cf9b000000ffffull, /* BOOT_SEL_CODE32 */
	};

	memcpy(ram + BOOT_GDT, gdt, sizeof(gdt));
	boot_seg(&s->_gdt, 0, BOOT_GDT, sizeof(gdt) - 1, 0);
	s->_gdt.ar = 0;
}

int boot_e820(uint64_t ram_size, struct e820_entry map[E820_MAX])
{
	uint64_t low = boot_low_ram(ram_size);

	map[0] = (struct e820_entry){ 0, BOOT_LOW_END, E820_RAM };
	map[1] = (struct e820_entry){ BOOT_LOW_END, 0xa0000 - BOOT_LOW_END, E820_RESERVED };
	map[2] = (struct e820_entry){ 0xf0000, 0x10000, E820_RESERVED };
	map[3] = (struct e820_entry){ BOOT_HIGH_START, low - BOOT_HIGH_START, E820_RAM };
	if (ram_size == low)
		return 4;
	map[4] = (struct e820_entry){ BOOT_RAM_ABOVE_4G, ram_size - low, E820_RAM };
	return 5;
}

void boot_common(vcpu_state_t *s)
{
	memset(s->_regs, 0, sizeof(s->_regs));
	s->_rflags = 2;
	s->_cr2 = 0;
	s->_dr7 = 0x400;
	s->_activity_state = HAX_ACTIVITY_ACTIVE;
	s->_interruptibility_state = 0;
	boot_seg(&s->_ldt, 0, 0, 0, 0);
	boot_seg(&s->_tr, 0, 0, 0x67, AR_TSS_BUSY);
	boot_seg(&s->_idt, 0, 0, 0, 0);
	s->_idt.ar = 0;
}

int boot_flat(uint8_t *ram, uint64_t ram_size, const uint8_t *img, size_t len, uint64_t addr,
	      vcpu_state_t *s, char *err, size_t errlen)
{
	uint16_t cs = addr < 0x10000 ? 0 : addr >> 4;
	segment_desc_t *data[] = { &s->_ds, &s->_es, &s->_fs, &s->_gs, &s->_ss };
	size_t i;

	if (!len) {
		snprintf(err, errlen, "the image is empty");
		return -1;
	}
	if (addr >= BOOT_HIGH_START || len > BOOT_HIGH_START - addr || addr + len > ram_size) {
		snprintf(err, errlen,
			 "%zu bytes at 0x%llx do not fit below 1 MiB in RAM (real-mode entry)", len,
			 (unsigned long long)addr);
		return -1;
	}
	memcpy(ram + addr, img, len);
	boot_common(s);
	boot_seg(&s->_idt, 0, 0, 0xffff, 0);
	s->_idt.ar = 0;
	boot_seg(&s->_cs, cs, (uint64_t)cs << 4, 0xffff, AR_CODE);
	for (i = 0; i < sizeof(data) / sizeof(data[0]); i++)
		boot_seg(data[i], 0, 0, 0xffff, AR_DATA);
	boot_seg(&s->_gdt, 0, 0, 0xffff, 0);
	s->_gdt.ar = 0;
	s->_rip = addr - ((uint64_t)cs << 4);
	s->_regs[HAX_REG_RSP] = 0x7c00;
	s->_cr0 = BOOT_CR0_ET;
	s->_cr3 = s->_cr4 = 0;
	s->_efer = 0;
	return 0;
}
