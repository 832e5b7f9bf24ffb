// SPDX-License-Identifier: GPL-2.0
/*
 * The Intel MultiProcessor Specification 1.4 tables (chapter 4) that tell
 * Linux about the vCPUs and the interrupt wiring of haxm run's in-kernel
 * irqchip: a floating pointer and a configuration table with one processor
 * entry per vCPU (local APIC ID = vCPU index, vCPU 0 the BSP), an ISA bus,
 * the IO-APIC (ID 0 at 0xfec00000, 24 pins), the ISA IRQs on the IO-APIC's
 * pins (IRQ 0, the PIT, on pin 2 as on a PC; IRQ 2, the cascade, nowhere;
 * IRQ n on pin n otherwise, ISA-conforming: edge, active high), and the
 * local interrupts (ExtINT on the BSP's LINT0, NMI on every LINT1).
 */
#include <stdio.h>
#include <string.h>

#include "boot.h"

#define MP_PROC	    0
#define MP_BUS	    1
#define MP_IOAPIC   2
#define MP_IOINT    3
#define MP_LOCALINT 4

#define MP_INT_INT    0
#define MP_INT_NMI    1
#define MP_INT_EXTINT 3

#define MP_CPU_EN 0x01
#define MP_CPU_BP 0x02

#define MP_LAPIC_BASE	 0xfee00000u
#define MP_IOAPIC_BASE	 0xfec00000u
#define MP_IOAPIC_VER	 0x11
#define MP_LAPIC_VER	 0x14
#define MP_HEADER_SIZE	 44
#define MP_PROC_SIZE	 20
#define MP_ENTRY_SIZE	 8
#define MP_ISA_BUS	 0
#define MP_CPU_SIGNATURE 0x000906ea /* family 6, a Skylake-era stepping */
#define MP_CPU_FEATURES	 0x00000201 /* FPU, APIC */

static uint8_t mp_sum(const uint8_t *p, size_t n)
{
	uint8_t s = 0;

	while (n--)
		s += *p++;
	return (uint8_t)-s;
}

static uint8_t *put16(uint8_t *p, uint16_t v)
{
	memcpy(p, &v, 2);
	return p + 2;
}

static uint8_t *put32(uint8_t *p, uint32_t v)
{
	memcpy(p, &v, 4);
	return p + 4;
}

/* An 8-byte interrupt entry: I/O (dest = IO-APIC ID, pin) or local (LAPIC ID, LINT). */
static uint8_t *mp_int(uint8_t *p, uint8_t type, uint8_t kind, uint8_t irq, uint8_t dest,
		       uint8_t pin)
{
	p[0] = type;
	p[1] = kind;
	p[2] = 0; /* flags: polarity and trigger conform to the bus */
	p[3] = 0;
	p[4] = MP_ISA_BUS;
	p[5] = irq;
	p[6] = dest;
	p[7] = pin;
	return p + MP_ENTRY_SIZE;
}

size_t boot_mptable_size(int ncpus)
{
	/* floating pointer, header, processors, bus, IO-APIC, 15 ISA IRQs, 2 local */
	return 16 + MP_HEADER_SIZE + ncpus * MP_PROC_SIZE + (1 + 1 + 15 + 2) * MP_ENTRY_SIZE;
}

int boot_mptable(uint8_t *ram, uint64_t ram_size, int ncpus, char *err, size_t errlen)
{
	uint8_t *fp = ram + BOOT_MPTABLE, *t = fp + 16, *p;
	int i, entries = 0;

	if (ncpus < 1 || ncpus > 32 || ram_size < BOOT_MPTABLE + 1024 ||
	    boot_mptable_size(ncpus) > 1024) {
		snprintf(err, errlen, "no MP table for %d vCPUs", ncpus);
		return -1;
	}
	memset(fp, 0, 1024);
	p = t + MP_HEADER_SIZE;
	for (i = 0; i < ncpus; i++, entries++) {
		p[0] = MP_PROC;
		p[1] = (uint8_t)i; /* local APIC ID: the vCPU index */
		p[2] = MP_LAPIC_VER;
		p[3] = MP_CPU_EN | (i ? 0 : MP_CPU_BP);
		put32(p + 4, MP_CPU_SIGNATURE);
		put32(p + 8, MP_CPU_FEATURES);
		p += MP_PROC_SIZE;
	}
	p[0] = MP_BUS;
	p[1] = MP_ISA_BUS;
	memcpy(p + 2, "ISA   ", 6);
	p += MP_ENTRY_SIZE;
	p[0] = MP_IOAPIC;
	p[1] = BOOT_IOAPIC_ID;
	p[2] = MP_IOAPIC_VER;
	p[3] = 1; /* enabled */
	put32(p + 4, MP_IOAPIC_BASE);
	p += MP_ENTRY_SIZE;
	entries += 2;
	for (i = 0; i < 16; i++) {
		if (i == 2)
			continue; /* the cascade: pin 2 is IRQ 0's */
		p = mp_int(p, MP_IOINT, MP_INT_INT, i, BOOT_IOAPIC_ID, i ? i : 2);
		entries++;
	}
	p = mp_int(p, MP_LOCALINT, MP_INT_EXTINT, 0, 0, 0);
	p = mp_int(p, MP_LOCALINT, MP_INT_NMI, 0, 0xff, 1);
	entries += 2;

	memcpy(t, "PCMP", 4);
	put16(t + 4, (uint16_t)(p - t)); /* base table length */
	t[6] = 4;			 /* spec revision 1.4 */
	memcpy(t + 8, "HAXM    ", 8);
	memcpy(t + 16, "HAXM RUN    ", 12);
	put16(t + 34, (uint16_t)entries);
	put32(t + 36, MP_LAPIC_BASE);
	t[7] = mp_sum(t, p - t);

	memcpy(fp, "_MP_", 4);
	put32(fp + 4, BOOT_MPTABLE + 16); /* the configuration table */
	fp[8] = 1;			  /* length in 16-byte units */
	fp[9] = 4;			  /* spec revision 1.4 */
	/* feature bytes 0: the table is present; no IMCR (virtual wire mode) */
	fp[10] = mp_sum(fp, 16);
	return 0;
}
