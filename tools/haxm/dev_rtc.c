// SPDX-License-Identifier: GPL-2.0
/*
 * The MC146818 real-time clock and its CMOS RAM (ports 0x70/0x71). The time
 * registers are read from the host clock on every access (UTC, BCD or
 * binary and 12/24-hour as register B asks); writes to them are ignored (the
 * guest cannot set the host's clock). No alarm or periodic interrupts:
 * register C reads 0. The memory-size bytes tell BIOS-era code how much RAM
 * there is.
 */
#include <string.h>

#include "devices.h"

enum {
	RTC_SEC = 0x00,
	RTC_MIN = 0x02,
	RTC_HOUR = 0x04,
	RTC_WDAY = 0x06,
	RTC_MDAY = 0x07,
	RTC_MON = 0x08,
	RTC_YEAR = 0x09,
	RTC_REG_A = 0x0a,
	RTC_REG_B = 0x0b,
	RTC_REG_C = 0x0c,
	RTC_REG_D = 0x0d,
	CMOS_BASE_LO = 0x15, /* KiB below 640 KiB */
	CMOS_EXT_LO = 0x17,  /* KiB from 1 MiB, capped at 0xffff */
	CMOS_EXT2_LO = 0x30, /* the same, the other copy */
	CMOS_CENTURY = 0x32,
	CMOS_HIGH_LO = 0x34, /* 64 KiB units from 16 MiB */
};

#define REG_B_24H    0x02
#define REG_B_BINARY 0x04
#define REG_B_SET    0x80
#define REG_D_VRT    0x80

static void cmos_put16(struct rtc *r, int reg, uint64_t v)
{
	if (v > 0xffff)
		v = 0xffff;
	r->cmos[reg] = v & 0xff;
	r->cmos[reg + 1] = v >> 8;
}

void rtc_init(struct rtc *r, uint64_t ram_size, time_t (*clock)(void))
{
	memset(r, 0, sizeof(*r));
	r->clock = clock;
	r->cmos[RTC_REG_A] = 0x26; /* 32.768 kHz base, 1024 Hz rate */
	r->cmos[RTC_REG_B] = REG_B_24H;
	r->cmos[RTC_REG_D] = REG_D_VRT;
	cmos_put16(r, CMOS_BASE_LO, 640);
	if (ram_size > (1 << 20)) {
		cmos_put16(r, CMOS_EXT_LO, (ram_size - (1 << 20)) >> 10);
		cmos_put16(r, CMOS_EXT2_LO, (ram_size - (1 << 20)) >> 10);
	}
	if (ram_size > (16 << 20))
		cmos_put16(r, CMOS_HIGH_LO, (ram_size - (16 << 20)) >> 16);
}

static uint8_t rtc_fmt(const struct rtc *r, int v)
{
	if (r->cmos[RTC_REG_B] & REG_B_BINARY)
		return v;
	return ((v / 10) << 4) | (v % 10);
}

static uint8_t rtc_time_reg(const struct rtc *r, int reg)
{
	time_t now = r->clock();
	struct tm tm;
	int h;

	gmtime_r(&now, &tm);
	switch (reg) {
	case RTC_SEC:
		return rtc_fmt(r, tm.tm_sec);
	case RTC_MIN:
		return rtc_fmt(r, tm.tm_min);
	case RTC_HOUR:
		if (r->cmos[RTC_REG_B] & REG_B_24H)
			return rtc_fmt(r, tm.tm_hour);
		h = tm.tm_hour % 12;
		return rtc_fmt(r, h ? h : 12) | (tm.tm_hour >= 12 ? 0x80 : 0);
	case RTC_WDAY:
		return rtc_fmt(r, tm.tm_wday + 1);
	case RTC_MDAY:
		return rtc_fmt(r, tm.tm_mday);
	case RTC_MON:
		return rtc_fmt(r, tm.tm_mon + 1);
	case RTC_YEAR:
		return rtc_fmt(r, tm.tm_year % 100);
	default: /* CMOS_CENTURY */
		return rtc_fmt(r, 19 + tm.tm_year / 100);
	}
}

static bool rtc_is_time(int reg)
{
	return reg == RTC_SEC || reg == RTC_MIN || reg == RTC_HOUR || reg == CMOS_CENTURY ||
	       (reg >= RTC_WDAY && reg <= RTC_YEAR);
}

void rtc_io(void *opaque, uint16_t port, int size, bool write, uint32_t *val)
{
	struct rtc *r = opaque;
	int reg = r->index;

	(void)size; /* byte-wide registers: wider accesses use the low byte */

	if (port == 0x70) {
		if (write)
			r->index = *val & 0x7f; /* bit 7 masks NMIs: there are none */
		else
			*val = 0xff; /* the index port is write-only */
		return;
	}
	if (!write) {
		if (rtc_is_time(reg))
			*val = rtc_time_reg(r, reg);
		else if (reg == RTC_REG_C)
			*val = 0; /* no interrupt flags: no alarm or periodic interrupt */
		else
			*val = r->cmos[reg];
		return;
	}
	switch (reg) {
	case RTC_REG_A:
		r->cmos[reg] = *val & 0x7f; /* UIP is read-only (and always 0) */
		break;
	case RTC_REG_B:
		r->cmos[reg] = *val & ~REG_B_SET;
		break;
	case RTC_REG_C:
	case RTC_REG_D:
		break;
	default:
		if (!rtc_is_time(reg))
			r->cmos[reg] = *val;
		break;
	}
}
