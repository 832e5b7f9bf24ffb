/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The PIT model: the PC's Intel 8254 Programmable Interval Timer (datasheet
 * 231164-005, September 1993; "the datasheet" below), its three counters
 * clocked at 1.193182 MHz, and the gate and output of counter 2 on port
 * 0x61. Portable state and logic only: the time is the caller's @now (ns,
 * monotonic); counter 0's output edges are scheduled with
 * i8254_irq_expiry() and taken with i8254_irq_fire(). The caller
 * serializes calls.
 */
#ifndef HAXM_IRQCHIP_PIT_H
#define HAXM_IRQCHIP_PIT_H

#include "irqchip/lapic.h"

#define PIT_HZ	      1193182ull
#define PIT_PORT_BASE 0x40 /* counters 0-2 at 0x40-0x42, the control word at 0x43 */
#define PIT_PORT_CTRL 0x43
#define PIT_PORT_61   0x61

/* RW field and access states: LSB, MSB, LSB then MSB (word, first/second byte). */
enum { PIT_RW_LSB = 1, PIT_RW_MSB = 2, PIT_RW_WORD0 = 3, PIT_RW_WORD1 = 4 };

struct i8254_channel {
	u32 count; /* 1-0x10000 */
	u16 latched_count;
	u8 count_latched; /* 0, or the bytes to read: PIT_RW_LSB, _MSB, _WORD0 */
	u8 status_latched, status;
	u8 read_state, write_state, write_latch;
	u8 rw_mode, mode, bcd, gate, counting;
	u64 start;    /* @now at which the count was loaded (or counting resumed) */
	u64 frozen;   /* the time counted when the gate stopped the counter */
	u64 irq_tick; /* counter 0: the clock of its next rising OUT edge, 0 none */
};

struct i8254 {
	struct i8254_channel ch[3];
	u8 port61; /* bits 3:0 as written */
};

/*
 * i8254_init() - the state at creation: every counter in mode 0, LSB then
 * MSB, count 0x10000, not counting; gates 0 and 1 high, gate 2 low.
 */
void i8254_init(struct i8254 *p);
/*
 * i8254_port_read()/i8254_port_write() - a byte access to @port at @now:
 * 0x40-0x42 (counts, latches, status), 0x43 (control words, counter latch
 * and read-back commands; reads 0xff), 0x61 (gate 2, speaker data and the
 * refresh and OUT2 bits). Errors: -ENOENT (@port is none of them).
 */
int i8254_port_read(struct i8254 *p, u16 port, u64 now, u8 *val);
int i8254_port_write(struct i8254 *p, u16 port, u8 val, u64 now);
/* i8254_elapsed() - the time counter @i has counted since its load, at @now. */
u64 i8254_elapsed(const struct i8254 *p, u32 i, u64 now);
/* i8254_count() - counter @i's counting element at @now (0 reads as 0x10000). */
u32 i8254_count(const struct i8254 *p, u32 i, u64 now);
/* i8254_out() - counter @i's OUT at @now. */
bool i8254_out(const struct i8254 *p, u32 i, u64 now);
/*
 * i8254_restart() - counter @i counted @elapsed ns by @now (a state being
 * loaded): its start and counter 0's next edge follow from it.
 */
void i8254_restart(struct i8254 *p, u32 i, u64 elapsed, u64 now);
/*
 * i8254_irq_expiry() - the @now-time of counter 0's next rising OUT edge,
 * 0 for none.
 */
u64 i8254_irq_expiry(const struct i8254 *p);
/*
 * i8254_irq_fire() - at @now: when counter 0's edge is due, schedule the
 * next one (periodic modes: the first period boundary after @now, missed
 * ones coalesced; one-shot modes: none) and return true; else false.
 */
bool i8254_irq_fire(struct i8254 *p, u64 now);

struct hax_pit_state;
/*
 * i8254_get_state() - @p at @now in the ABI form of GET_PIT (isa_state.c):
 * each counter's elapsed_ns is i8254_elapsed(). No errors.
 */
void i8254_get_state(const struct i8254 *p, u64 now, struct hax_pit_state *s);
/*
 * i8254_check_state() - is @s a state SET_PIT takes (docs/api.md)? @why,
 * when not NULL, receives what is wrong. Errors: -EINVAL (a count of 0 or
 * above 0x10000, a latch state above 3, a read or write state unlike the
 * RW mode, an RW mode of 0 or above 3, a mode above 5, a flag above 1,
 * gate 0 on counter 0 or 1, the status' null count bit, a reserved byte or
 * word set, port61 bits 31:4 or a bit 0 unlike counter 2's gate).
 */
int i8254_check_state(const struct hax_pit_state *s, const char **why);
/*
 * i8254_set_state() - i8254_check_state(), then load @s into @p at @now,
 * each counter restarted from its elapsed_ns (i8254_restart()); @p is
 * changed only when @s is loaded. Errors: those of i8254_check_state().
 */
int i8254_set_state(struct i8254 *p, const struct hax_pit_state *s, u64 now, const char **why);

#endif /* HAXM_IRQCHIP_PIT_H */
