/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The APIC bus of one VM: routing an interrupt message (an IPI from an ICR
 * write, an IO-APIC redirection entry, an MSI) to its destination local
 * APICs, as pure logic over the VM's array of lapic states (SDM 11.6.2
 * "Determining IPI Destination", 11.6.2.4 "Lowest Priority Delivery Mode",
 * 11.12.9 "ICR Operation in x2APIC Mode"). The caller holds whatever lock
 * keeps the array and its APICs still.
 */
#ifndef HAXM_IRQCHIP_APIC_BUS_H
#define HAXM_IRQCHIP_APIC_BUS_H

#include "irqchip/lapic.h"

#define APIC_BUS_MAX 64 /* HAX_MAX_VCPUS: one bit per APIC in a u64 set */

struct apic_bus {
	struct lapic **apic; /* indexed by vCPU id; NULL for an absent vCPU */
	u32 n;		     /* entries in @apic, at most APIC_BUS_MAX */
};

/*
 * apic_bus_dest() - the APICs @m names, as a set (bit i: apic[i]), before
 * any lowest-priority choice: the shorthand's set (self, all, all but
 * self; @src is the sender's index, -1 for a message that no APIC sent, to
 * which "self" means nobody), else the APICs whose lapic_match_dest() holds.
 */
u64 apic_bus_dest(const struct apic_bus *bus, int src, const struct apic_msg *m);
/*
 * apic_bus_lowest() - the lowest-priority choice among @set: the
 * software-enabled APIC with the lowest arbitration priority (lapic_apr()),
 * the lowest index among equals; focus-processor checking is not modelled
 * (as with SVR bit 9 set). Returns the index, or -1 when none is enabled.
 */
int apic_bus_lowest(const struct apic_bus *bus, u64 set);
/*
 * apic_bus_deliver() - deliver @m from @src: to each APIC of its
 * destination set, or to the lowest-priority one of it for APIC_DM_LOWEST.
 * Returns how many APICs accepted it (lapic_accept()); @accepted (may be
 * NULL) receives their set.
 */
int apic_bus_deliver(const struct apic_bus *bus, int src, const struct apic_msg *m, u64 *accepted);

#endif /* HAXM_IRQCHIP_APIC_BUS_H */
