// SPDX-License-Identifier: GPL-2.0
/*
 * The local APIC timer (SDM 11.5.4, "APIC Timer"): the initial-count,
 * current-count and divide-configuration registers, the LVT timer entry's
 * three modes, and IA32_TSC_DEADLINE (SDM 11.5.4.1, "TSC-Deadline Mode").
 *
 * The count is not stored: it is computed from the count timer_count it had
 * at time timer_start and @now, at one decrement every bus_ns * divisor ns;
 * a periodic count that reaches 0 goes on from the initial count. The host
 * timer that will call lapic_timer_fire() is the caller's.
 */
#include "irqchip/lapic.h"

enum lapic_timer_mode lapic_timer_mode(const struct lapic *l)
{
	return (l->lvt[LVT_TIMER] >> LAPIC_TIMER_MODE_SHIFT) & 3;
}

u32 lapic_timer_divisor(const struct lapic *l)
{
	/* bits 3, 1:0 (bit 2 is 0): 000b = 2, 001b = 4 ... 110b = 128, 111b = 1
	 * (SDM 11.5.4, figure "Divide Configuration Register") */
	u32 v = ((l->tdcr >> 1) & 4) | (l->tdcr & 3);

	return v == 7 ? 1 : 2u << v;
}

/* Nanoseconds for one decrement of the count. */
static u64 tick_ns(const struct lapic *l)
{
	return (u64)l->cfg.bus_ns * lapic_timer_divisor(l);
}

static bool counting(const struct lapic *l)
{
	return l->timer_armed && l->tmict && lapic_timer_mode(l) != LAPIC_TIMER_TSC_DEADLINE;
}

u32 lapic_timer_current(const struct lapic *l, u64 now)
{
	u64 ticks;

	/* 0 when stopped, after a one-shot expiry, and in TSC-deadline mode,
	 * where the current count always reads 0 (SDM 11.5.4.1) */
	if (!counting(l))
		return 0;
	if (now < l->timer_start)
		return l->timer_count;
	ticks = (now - l->timer_start) / tick_ns(l);
	if (ticks < l->timer_count)
		return l->timer_count - (u32)ticks;
	if (lapic_timer_mode(l) != LAPIC_TIMER_PERIODIC)
		return 0;
	/* periodic: reloaded from the initial count each time it reaches 0 */
	return l->tmict - (u32)((ticks - l->timer_count) % l->tmict);
}

u64 lapic_timer_expiry(const struct lapic *l)
{
	if (!counting(l))
		return 0;
	return l->timer_start + (u64)l->timer_count * tick_ns(l);
}

bool lapic_timer_fire(struct lapic *l, u64 now)
{
	u64 period, expiry;

	if (lapic_timer_mode(l) == LAPIC_TIMER_TSC_DEADLINE) {
		/* the caller compared the TSC with the deadline; firing disarms it */
		if (!l->tsc_deadline)
			return false;
		l->tsc_deadline = 0;
		lapic_lvt_fire(l, LVT_TIMER);
		return true;
	}
	expiry = lapic_timer_expiry(l);
	if (!expiry || now < expiry)
		return false;
	/* a masked LVT entry inhibits the interrupt, not the count (SDM 11.5.4) */
	lapic_lvt_fire(l, LVT_TIMER);
	if (lapic_timer_mode(l) == LAPIC_TIMER_ONESHOT) {
		/* one-shot: the count stays at 0 until reprogrammed */
		l->timer_armed = false;
		return true;
	}
	/* periodic: reloaded from the initial count; periods missed while the
	 * host was late are coalesced into this one interrupt */
	period = (u64)l->tmict * tick_ns(l);
	l->timer_start = expiry + (now - expiry) / period * period;
	l->timer_count = l->tmict;
	return true;
}

void lapic_timer_write_tmict(struct lapic *l, u32 val, u64 now, struct lapic_effects *eff)
{
	/* ignored in TSC-deadline mode (SDM 11.5.4.1) */
	if (lapic_timer_mode(l) == LAPIC_TIMER_TSC_DEADLINE)
		return;
	/* a write loads the count and starts it; 0 stops the timer (SDM 11.5.4) */
	l->tmict = val;
	l->timer_count = val;
	l->timer_start = now;
	l->timer_armed = val != 0;
	eff->flags |= LAPIC_EFF_TIMER;
}

void lapic_timer_write_tdcr(struct lapic *l, u32 val, u64 now, struct lapic_effects *eff)
{
	u32 cur = lapic_timer_current(l, now);

	/* a count in progress goes on from its current value at the new rate */
	if (counting(l) && cur) {
		l->timer_count = cur;
		l->timer_start = now;
		eff->flags |= LAPIC_EFF_TIMER;
	}
	l->tdcr = val & 0xb;
}

void lapic_timer_write_lvt(struct lapic *l, u32 val, u64 now, struct lapic_effects *eff)
{
	enum lapic_timer_mode old = lapic_timer_mode(l), mode;
	u32 w = LAPIC_VECTOR | LAPIC_LVT_MASKED | (1u << LAPIC_TIMER_MODE_SHIFT);

	/* bit 18 (TSC-deadline) is writable only when CPUID.1:ECX[24] offers it */
	if (l->cfg.tsc_deadline)
		w |= 2u << LAPIC_TIMER_MODE_SHIFT;
	val &= w;
	/* mode 11b is reserved (SDM 11.5.1): taken as one-shot here */
	if (((val >> LAPIC_TIMER_MODE_SHIFT) & 3) == 3)
		val &= ~(3u << LAPIC_TIMER_MODE_SHIFT);
	l->lvt[LVT_TIMER] = val;
	mode = lapic_timer_mode(l);
	if (mode == old)
		return;
	/* switching to or from TSC-deadline mode disarms the timer (SDM 11.5.4.1);
	 * between one-shot and periodic the count goes on */
	if (mode == LAPIC_TIMER_TSC_DEADLINE || old == LAPIC_TIMER_TSC_DEADLINE) {
		l->tsc_deadline = 0;
		l->tmict = 0;
		l->timer_armed = false;
		eff->flags |= LAPIC_EFF_TIMER;
		return;
	}
	/* one-shot -> periodic after the one-shot expired: the count stays 0 */
	eff->flags |= LAPIC_EFF_TIMER;
}

u64 lapic_tsc_deadline_read(const struct lapic *l)
{
	if (lapic_timer_mode(l) != LAPIC_TIMER_TSC_DEADLINE)
		return 0;
	return l->tsc_deadline;
}

void lapic_tsc_deadline_write(struct lapic *l, u64 val, struct lapic_effects *eff)
{
	if (lapic_timer_mode(l) != LAPIC_TIMER_TSC_DEADLINE)
		return;
	l->tsc_deadline = val;
	eff->flags |= LAPIC_EFF_TIMER;
}
