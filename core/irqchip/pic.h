/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The PIC model: the PC's pair of Intel 8259A Programmable Interrupt
 * Controllers (datasheet 231468-003, December 1988; "the datasheet" below),
 * the slave's INT wired to the master's IR2, with the edge/level control
 * registers (ELCR) of the PC's chipsets (Intel 82371AB PIIX4 datasheet,
 * 3.1.11, "ELCR1/ELCR2"). Portable state and logic only: the caller
 * serializes calls, reads the master's INT with i8259_output() and
 * acknowledges with i8259_intack(); what the guest's ports reach is
 * i8259_port_read()/i8259_port_write().
 */
#ifndef HAXM_IRQCHIP_PIC_H
#define HAXM_IRQCHIP_PIC_H

#include "irqchip/lapic.h"

#define PIC_MASTER_CMD	0x20
#define PIC_MASTER_DATA 0x21
#define PIC_SLAVE_CMD	0xa0
#define PIC_SLAVE_DATA	0xa1
#define PIC_ELCR_MASTER 0x4d0
#define PIC_ELCR_SLAVE	0x4d1

/* The inputs that may be level-triggered: not IR0-2, 8 or 13 (PIIX4 3.1.11). */
#define PIC_ELCR_MASK_MASTER 0xf8
#define PIC_ELCR_MASK_SLAVE  0xde
/* The master's input the slave's INT drives. */
#define PIC_CASCADE_IR 2

struct i8259_chip {
	u8 irr, imr, isr;
	u8 lines;	 /* the inputs now high */
	u8 priority_add; /* the IR of the highest priority (rotation) */
	u8 irq_base;	 /* ICW2, bits 7:3 */
	u8 read_isr;	 /* OCW3: a command-port read returns ISR (1) or IRR (0) */
	u8 poll;	 /* OCW3: the next read is a poll */
	u8 special_mask; /* OCW3: special mask mode */
	u8 init_state;	 /* 0 ready; 1-3: ICW2, ICW3, ICW4 expected */
	u8 auto_eoi, rotate_aeoi, special_fnm, icw4_needed;
	u8 elcr, elcr_mask;
	u8 icw3;
};

struct i8259 {
	struct i8259_chip chip[2]; /* [0] the master, [1] the slave */
};

/*
 * i8259_init() - the state at creation: both chips ready (init_state 0),
 * every input masked, every other register 0, every input edge-triggered.
 * No errors.
 */
void i8259_init(struct i8259 *p);
/*
 * i8259_set_irq() - input @irq (0-7 the master's IR0-7, 8-15 the slave's) is
 * now high (@level true) or low. An edge input latches a rising edge in
 * IRR; a level input's IRR follows its line. IR2 of the master is the
 * cascade: @irq 2 is refused. Errors: -EINVAL (@irq 2 or above 15).
 */
int i8259_set_irq(struct i8259 *p, u32 irq, bool level);
/*
 * i8259_output() - the master's INT: true when an unmasked request has a
 * priority above every in-service one (datasheet, "Interrupt Sequence").
 */
bool i8259_output(const struct i8259 *p);
/*
 * i8259_intack() - the CPU's INTA cycles: the vector of the request of the
 * highest priority, its ISR bit set (not in automatic-EOI mode) and an
 * edge request's IRR bit cleared; through IR2, the slave's. With nothing
 * requested, the IR7 vector of the chip asked (the spurious interrupt),
 * no ISR bit set.
 */
u8 i8259_intack(struct i8259 *p);
/*
 * i8259_port_read()/i8259_port_write() - a byte access to @port: 0x20, 0x21,
 * 0xa0, 0xa1 (ICWs, OCWs, IRR/ISR/IMR reads, polls) or 0x4d0, 0x4d1 (ELCR).
 * Errors: -ENOENT (@port is none of them).
 */
int i8259_port_read(struct i8259 *p, u16 port, u8 *val);
int i8259_port_write(struct i8259 *p, u16 port, u8 val);
/*
 * i8259_update() - after the state was loaded: the master's IR2 request made
 * the slave's INT again. No errors.
 */
void i8259_update(struct i8259 *p);
/* i8259_slave_output() - the slave's INT, what the master's IRR bit 2 holds. */
bool i8259_slave_output(const struct i8259 *p);

struct hax_pic_state;
/*
 * i8259_get_state() - @p in the ABI form of GET_PIC (isa_state.c). No errors.
 */
void i8259_get_state(const struct i8259 *p, struct hax_pic_state *s);
/*
 * i8259_set_state() - check @s (docs/api.md, SET_PIC) and load it into @p,
 * which is changed only when it is loaded. @why, when not NULL, receives
 * what is wrong. Errors: -EINVAL (a reserved word set, a flag above 1,
 * init_state above 3, priority_add above 7, irq_base bits 2:0 set, an ELCR
 * bit the chip has not, a level input's IRR bit unlike its line, the
 * master's line 2 set or its IRR bit 2 unlike the slave's INT).
 */
int i8259_set_state(struct i8259 *p, const struct hax_pic_state *s, const char **why);

#endif /* HAXM_IRQCHIP_PIC_H */
