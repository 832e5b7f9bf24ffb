// SPDX-License-Identifier: GPL-2.0
/* Routing interrupt messages between the local APICs of a VM: see apic_bus.h. */
#include "irqchip/apic_bus.h"

static u32 bus_size(const struct apic_bus *bus)
{
	return bus->n > APIC_BUS_MAX ? APIC_BUS_MAX : bus->n;
}

u64 apic_bus_dest(const struct apic_bus *bus, int src, const struct apic_msg *m)
{
	u32 i, n = bus_size(bus);
	u64 set = 0;

	for (i = 0; i < n; i++) {
		const struct lapic *l = bus->apic[i];
		bool self = src >= 0 && i == (u32)src;

		if (!l || lapic_mode(l) == LAPIC_MODE_DISABLED)
			continue;
		switch (m->shorthand) {
		case APIC_SH_SELF:
			if (self)
				set |= 1ull << i;
			break;
		case APIC_SH_ALL:
			set |= 1ull << i;
			break;
		case APIC_SH_ALL_BUT_SELF:
			if (!self)
				set |= 1ull << i;
			break;
		default:
			if (lapic_match_dest(l, m))
				set |= 1ull << i;
		}
	}
	return set;
}

int apic_bus_lowest(const struct apic_bus *bus, u64 set)
{
	u32 i, n = bus_size(bus), best_apr = 0;
	int best = -1;

	for (i = 0; i < n; i++) {
		const struct lapic *l = bus->apic[i];
		u32 apr;

		if (!(set & (1ull << i)) || !l || !lapic_sw_enabled(l))
			continue;
		/* "the processor ... with the lowest priority" of the set, by its
		 * arbitration priority (SDM 11.6.2.4); the first one on a tie */
		apr = lapic_apr(l);
		if (best < 0 || apr < best_apr) {
			best = i;
			best_apr = apr;
		}
	}
	return best;
}

int apic_bus_deliver(const struct apic_bus *bus, int src, const struct apic_msg *m, u64 *accepted)
{
	u64 set = apic_bus_dest(bus, src, m), got = 0;
	u32 i, n = bus_size(bus);
	int count = 0;

	if (m->delivery == APIC_DM_LOWEST) {
		int lo = apic_bus_lowest(bus, set);

		set = lo < 0 ? 0 : 1ull << lo;
	}
	for (i = 0; i < n; i++) {
		if (!(set & (1ull << i)))
			continue;
		if (lapic_accept(bus->apic[i], m)) {
			got |= 1ull << i;
			count++;
		}
	}
	if (accepted)
		*accepted = got;
	return count;
}
