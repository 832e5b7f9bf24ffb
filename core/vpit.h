/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The in-kernel 8254 PIT of a VM (HAX_LAPIC_ENABLE_PIT, issue 18): the
 * model of core/irqchip/pit.c under the VM's APIC lock (vapic.h), on the
 * host's monotonic clock. Counter 0's rising OUT edges are pulses on the
 * PIC's IR0 and the IO-APIC's pin 2; they are timed by a host timer of
 * vCPU 0 (its pit_waker), which kicks vCPU 0, and taken by vCPU 0 before
 * its next entry (vm_pit_poll()).
 */
#ifndef HAXM_CORE_VPIT_H
#define HAXM_CORE_VPIT_H

#include "vm.h"

/* The IO-APIC pin counter 0 drives: the PC's ISA override of IRQ 0. */
#define VPIT_IOAPIC_PIN 2

/*
 * vm_pit_alloc() - a PIT in its creation state (i8254_init()), not yet the
 * VM's; NULL when out of memory. vm_pit_free() frees the VM's (NULL is
 * fine).
 */
struct i8254 *vm_pit_alloc(void);
void vm_pit_free(struct vm *vm);

/*
 * vm_pit_poll() - on vCPU 0, before an entry, the APIC lock held: when
 * counter 0's edge is due, pulse IR0 and IO-APIC pin 2 and re-arm the host
 * timer for the next one. Nothing without a PIT.
 */
void vm_pit_poll(struct vm *vm);
/*
 * vm_pit_rearm() - arm vCPU 0's PIT timer at counter 0's next edge (or
 * cancel it); the APIC lock held. Nothing without a PIT or a vCPU 0.
 */
void vm_pit_rearm(struct vm *vm);
/*
 * vm_pit_port() - a byte access to @port (0x40-0x43, 0x61) of the VM's
 * PIT; the APIC lock held. Returns 0, or -ENOENT (no PIT, or not its port).
 */
int vm_pit_port(struct vm *vm, u16 port, bool in, u8 *b);

/*
 * vm_pit_get()/vm_pit_set() - GET_PIT/SET_PIT. GET first delivers counter
 * 0's edge if it is due (vm_pit_poll()). SET loads the whole state,
 * each counter restarted from its elapsed_ns, and re-arms counter 0's timer.
 * Errors: -ENOTTY (no in-kernel PIT); set: -EINVAL (a field outside what
 * docs/api.md allows: a count of 0 or above 0x10000, a latch state above 3,
 * a read or write state unlike the RW mode, an RW mode of 0 or above 3, a
 * mode above 5, a flag above 1, gate 0 on counter 0 or 1, the status' null
 * count bit, a reserved byte or word set, port61 bits 31:4 or a bit 0
 * unlike counter 2's gate); nothing changed.
 */
int vm_pit_get(struct vm *vm, struct hax_pit_state *s);
int vm_pit_set(struct vm *vm, const struct hax_pit_state *s);

#endif /* HAXM_CORE_VPIT_H */
