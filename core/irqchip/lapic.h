/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The local APIC model: the state of one vCPU's local APIC and its logic,
 * portable and free of host timers and locks (issue 18; docs/design.md,
 * "In-kernel interrupt controllers").
 *
 * References are to the Intel SDM vol. 3A, chapter "Advanced Programmable
 * Interrupt Controller (APIC)" (chapter 11 in current editions, chapter 10 in
 * editions before 2023; the section numbers below are given as 11.x and
 * their titles, which did not change).
 *
 * Time: the timer counts an abstract time, @now in nanoseconds, passed in by
 * the caller; one APIC bus clock lasts lapic.bus_ns nanoseconds. Nothing
 * here arms a host timer: a change of the timer that the host must follow is
 * reported as LAPIC_EFF_TIMER and the host asks lapic_timer_expiry().
 *
 * Locking: none; the caller serializes access to one lapic.
 */
#ifndef HAXM_IRQCHIP_LAPIC_H
#define HAXM_IRQCHIP_LAPIC_H

#include "os.h"

/* The xAPIC page's register offsets (SDM 11.4.1, "Local APIC Register Address Map"). */
#define LAPIC_REG_ID	   0x020
#define LAPIC_REG_LVR	   0x030
#define LAPIC_REG_TPR	   0x080
#define LAPIC_REG_APR	   0x090
#define LAPIC_REG_PPR	   0x0a0
#define LAPIC_REG_EOI	   0x0b0
#define LAPIC_REG_RRD	   0x0c0
#define LAPIC_REG_LDR	   0x0d0
#define LAPIC_REG_DFR	   0x0e0
#define LAPIC_REG_SVR	   0x0f0
#define LAPIC_REG_ISR	   0x100 /* 8 registers, 0x100..0x170 */
#define LAPIC_REG_TMR	   0x180
#define LAPIC_REG_IRR	   0x200
#define LAPIC_REG_ESR	   0x280
#define LAPIC_REG_ICR	   0x300
#define LAPIC_REG_ICR2	   0x310
#define LAPIC_REG_LVT	   0x320 /* 6 LVT registers, 0x320..0x370 (enum lapic_lvt) */
#define LAPIC_REG_TMICT	   0x380
#define LAPIC_REG_TMCCT	   0x390
#define LAPIC_REG_TDCR	   0x3e0
#define LAPIC_REG_SELF_IPI 0x3f0 /* x2APIC only (MSR 0x83f) */

/* x2APIC MSRs: 0x800 + offset / 16 (SDM 11.12.1.2, "x2APIC Register Address Space"). */
#define LAPIC_MSR_BASE	       0x800
#define LAPIC_MSR_LAST	       0x8ff
#define LAPIC_MSR(off)	       (LAPIC_MSR_BASE + ((off) >> 4))
#define MSR_IA32_APIC_BASE     0x1b
#define LAPIC_MSR_TSC_DEADLINE 0x6e0

/* IA32_APIC_BASE (SDM 11.4.4, "Local APIC Status and Location"; 11.12.1). */
#define LAPIC_BASE_BSP	   (1ull << 8)
#define LAPIC_BASE_EXTD	   (1ull << 10)
#define LAPIC_BASE_EN	   (1ull << 11)
#define LAPIC_BASE_DEFAULT 0xfee00000ull

/* The version register: version 0x14 (an integrated APIC), 6 LVT entries (max LVT 5). */
#define LAPIC_VERSION 0x00050014u

/* SVR (SDM 11.9, "Spurious Interrupt"). */
#define LAPIC_SVR_ENABLE   (1u << 8)
#define LAPIC_SVR_NO_FOCUS (1u << 9)

/* LVT and ICR fields (SDM 11.5.1 "Local Vector Table", 11.6.1 "Interrupt Command Register"). */
#define LAPIC_VECTOR	   0xffu
#define LAPIC_DM_SHIFT	   8
#define LAPIC_DM_MASK	   (7u << 8)
#define LAPIC_DEST_LOGICAL (1u << 11)
#define LAPIC_STATUS	   (1u << 12) /* delivery status (send pending) */
#define LAPIC_POLARITY	   (1u << 13)
#define LAPIC_REMOTE_IRR   (1u << 14)
#define LAPIC_LEVEL_ASSERT (1u << 14) /* ICR: level (1 = assert) */
#define LAPIC_TRIGGER	   (1u << 15) /* 1 = level-triggered */
#define LAPIC_LVT_MASKED   (1u << 16)
#define LAPIC_SH_SHIFT	   18
/* The ICR low bits software writes: vector, delivery mode, destination mode,
 * level, trigger mode, shorthand (SDM 11.6.1, figure "Interrupt Command Register"). */
#define LAPIC_ICR_WRITABLE 0x000ccfffu

/* Delivery modes (ICR, LVT and IO-APIC redirection entries). */
enum {
	APIC_DM_FIXED = 0,
	APIC_DM_LOWEST = 1,
	APIC_DM_SMI = 2,
	APIC_DM_NMI = 4,
	APIC_DM_INIT = 5,
	APIC_DM_SIPI = 6,
	APIC_DM_EXTINT = 7,
};

/* ICR destination shorthands. */
enum { APIC_SH_NONE, APIC_SH_SELF, APIC_SH_ALL, APIC_SH_ALL_BUT_SELF };

/* LVT entries, in their register order from 0x320. */
enum lapic_lvt { LVT_TIMER, LVT_THERMAL, LVT_PERF, LVT_LINT0, LVT_LINT1, LVT_ERROR, LVT_NR };

/* Timer modes, LVT timer bits 18:17 (SDM 11.5.4, "APIC Timer"). */
enum lapic_timer_mode {
	LAPIC_TIMER_ONESHOT = 0,
	LAPIC_TIMER_PERIODIC = 1,
	LAPIC_TIMER_TSC_DEADLINE = 2,
};
#define LAPIC_TIMER_MODE_SHIFT 17

/* ESR bits (SDM 11.5.3, "Error Handling"). */
#define LAPIC_ESR_SEND_ILLEGAL (1u << 5)
#define LAPIC_ESR_RECV_ILLEGAL (1u << 6)
#define LAPIC_ESR_ILLEGAL_REG  (1u << 7)

enum lapic_mode { LAPIC_MODE_DISABLED, LAPIC_MODE_XAPIC, LAPIC_MODE_X2APIC };

/*
 * An interrupt message on the APIC bus: from an ICR write, an IO-APIC
 * redirection entry or an MSI. @dest is 8 bits (xAPIC form, broadcast 0xff)
 * unless @x2apic (32 bits, broadcast 0xffffffff).
 */
struct apic_msg {
	u32 dest;
	u8 vector;
	u8 delivery;  /* APIC_DM_* */
	u8 shorthand; /* APIC_SH_*: ICR messages only */
	bool logical; /* destination mode: logical (else physical) */
	bool level;   /* trigger mode: level (else edge) */
	bool assert;  /* the ICR's level bit: false only for INIT level de-assert */
	bool x2apic;
};

/*
 * Side effects of a register access that the caller carries out:
 * LAPIC_EFF_IPI: route @ipi (apic_bus_deliver()), sent by this APIC;
 * LAPIC_EFF_EOI_LEVEL: an EOI of level-triggered @eoi_vector, to broadcast to
 *   the IO-APICs (ioapic_eoi());
 * LAPIC_EFF_TIMER: the timer was armed, re-armed or stopped: reprogram the
 *   host timer from lapic_timer_expiry().
 */
#define LAPIC_EFF_IPI	    (1u << 0)
#define LAPIC_EFF_EOI_LEVEL (1u << 1)
#define LAPIC_EFF_TIMER	    (1u << 2)
struct lapic_effects {
	u32 flags;
	u8 eoi_vector;
	struct apic_msg ipi;
};

/* What the vCPU model offers: fixed at creation. */
struct lapic_config {
	u32 id;		   /* the initial (x2)APIC ID, as CPUID reports it */
	bool bsp;	   /* IA32_APIC_BASE.BSP */
	u8 phys_bits;	   /* MAXPHYADDR: bits above it in IA32_APIC_BASE are reserved */
	bool x2apic;	   /* x2APIC mode may be enabled (CPUID.1:ECX.x2APIC) */
	bool tsc_deadline; /* the TSC-deadline timer mode (CPUID.1:ECX[24]) */
	u32 bus_ns;	   /* one APIC timer clock in ns (>= 1) */
};

struct lapic {
	struct lapic_config cfg;
	u64 apic_base;
	u32 id; /* the ID register as read in the current mode */
	u32 tpr, ldr, dfr, svr;
	u32 irr[8], isr[8], tmr[8]; /* 256-bit vectors, bit v of word v / 32 */
	/*
	 * IRR bits lapic_accept() set since the owner last cleared these: what
	 * a copy of IRR made before (a virtual-APIC page) does not have.
	 */
	u32 irr_new[8];
	u32 icr_lo, icr_hi;
	u32 lvt[LVT_NR];
	u32 esr;	 /* what ESR reads: the errors latched at the last ESR write */
	u32 esr_pending; /* errors seen since */
	/* the timer (lapic_timer.c) */
	u32 tmict, tdcr;
	u64 timer_start;  /* @now at which the count was timer_count */
	u32 timer_count;  /* the count at timer_start (tmict, or less after a divide change) */
	u64 tsc_deadline; /* IA32_TSC_DEADLINE, 0 = disarmed */
	bool timer_armed; /* one-shot/periodic: counting (not yet expired) */
	/* requests for the vCPU, taken by the injector / the vCPU's run loop */
	bool nmi_pending, smi_pending, init_pending, extint_pending, sipi_pending;
	u8 sipi_vector;
	bool wait_sipi; /* the vCPU is in the wait-for-SIPI state (INIT to an AP sets it) */
};

/* lapic.c: the register file, priorities, acceptance and EOI. */

/*
 * lapic_init() - power-up reset (SDM 11.4.7.1, "Local APIC State After
 * Power-Up or Reset") with @cfg's ID and BSP flag: xAPIC mode, enabled at
 * 0xfee00000, software-disabled, every LVT masked. @cfg->bus_ns 0 is taken
 * as 1. No errors.
 */
void lapic_init(struct lapic *l, const struct lapic_config *cfg);
/*
 * lapic_init_signal() - the state after an INIT (SDM 11.4.7.3, "Local APIC
 * State After an INIT Reset"): as power-up, but IA32_APIC_BASE and the APIC
 * ID are kept (an x2APIC stays in x2APIC mode; SDM 11.12.5.1).
 */
void lapic_init_signal(struct lapic *l);
/* lapic_mode() - disabled, xAPIC or x2APIC, from IA32_APIC_BASE. */
enum lapic_mode lapic_mode(const struct lapic *l);
/* lapic_sw_enabled() - SVR.APIC software enable set (and the APIC not disabled). */
bool lapic_sw_enabled(const struct lapic *l);
/* lapic_id() - the APIC ID: 8 bits in xAPIC mode, 32 in x2APIC mode. */
u32 lapic_id(const struct lapic *l);
/*
 * lapic_set_base() - write IA32_APIC_BASE (SDM 11.12.5, "x2APIC State
 * Transitions"). A guest write (@host false) may not set reserved bits nor go
 * x2APIC -> xAPIC or disabled -> x2APIC; the host (restoring a state) may do
 * any transition but still not set reserved bits or EXTD without EN.
 * Entering disabled resets the APIC to its power-up state (its ID included);
 * xAPIC -> x2APIC makes the ID the 32-bit initial ID and derives the LDR.
 * Errors: -EINVAL (#GP for a guest).
 */
int lapic_set_base(struct lapic *l, u64 val, bool host);

/* lapic_ppr() - the processor priority (SDM 11.8.3.1, "Task and Processor Priorities"). */
u32 lapic_ppr(const struct lapic *l);
/* lapic_apr() - the arbitration priority (SDM 11.8.3.1 / figure "Arbitration Priority Register").
 */
u32 lapic_apr(const struct lapic *l);
/* lapic_highest_irr()/lapic_highest_isr() - the highest set vector, or -1. */
int lapic_highest_irr(const struct lapic *l);
int lapic_highest_isr(const struct lapic *l);
/*
 * lapic_pending_vector() - the vector the APIC would dispatch to the CPU
 * now: the highest IRR vector whose priority class (bits 7:4) is above
 * PPR's (SDM 11.8.3.1), or -1.
 */
int lapic_pending_vector(const struct lapic *l);
/*
 * lapic_tpr_held_class() - the priority class of the highest IRR vector
 * when the TPR alone holds it back (its class above the highest ISR
 * vector's, not above TPR[7:4]): lowering the TPR below it would dispatch
 * it. 0 when there is none. Never fails.
 */
int lapic_tpr_held_class(const struct lapic *l);
/*
 * lapic_ack() - the CPU accepted @vector (the injector injected it): move it
 * from IRR to ISR (SDM 11.8.4, "Interrupt Acceptance for Fixed Interrupts").
 */
void lapic_ack(struct lapic *l, u8 vector);
/*
 * lapic_eoi() - an EOI write: clear the highest ISR bit (the in-service
 * interrupt with the highest priority, SDM 11.8.5 "Signaling Interrupt
 * Servicing Completion"). When its TMR bit is set, LAPIC_EFF_EOI_LEVEL is
 * added to @eff. Returns the vector, or -1 when nothing was in service.
 */
int lapic_eoi(struct lapic *l, struct lapic_effects *eff);
/*
 * lapic_accept() - this APIC receives @m (already routed to it). Fixed and
 * lowest-priority: refused while software-disabled; a vector below 16 is
 * dropped with ESR "received illegal vector"; else IRR set and TMR set
 * (level) or cleared (edge). NMI, SMI, ExtINT: the request flag for the
 * vCPU. INIT: lapic_init_signal(), then init_pending (the vCPU resets its
 * registers) and, unless IA32_APIC_BASE.BSP, wait_sipi. SIPI: taken only in
 * the wait-for-SIPI state, the first one until the vCPU starts. INIT level
 * de-assert is ignored (SDM 11.6.1: not supported since the Pentium 4).
 * Returns true when the message was accepted.
 */
bool lapic_accept(struct lapic *l, const struct apic_msg *m);
/*
 * lapic_match_dest() - does @m's destination field (not the shorthand) name
 * this APIC? Physical: equal to the ID, or broadcast; logical: the LDR and DFR
 * rules of SDM 11.6.2.2 "Logical Destination Mode" (flat, cluster) and
 * 11.12.10.2 (x2APIC cluster). A disabled APIC matches nothing.
 */
bool lapic_match_dest(const struct lapic *l, const struct apic_msg *m);
/* lapic_icr_msg() - the message an ICR value (@lo, @dest) sends. */
void lapic_icr_msg(const struct lapic *l, u32 lo, u32 dest, struct apic_msg *m);
/*
 * lapic_error() - record error bits @bits in the ESR's pending set; when one
 * is new, the LVT error entry delivers its interrupt unless masked.
 */
void lapic_error(struct lapic *l, u32 bits);
/*
 * lapic_lvt_fire() - the local source of LVT entry @lvt signals: unless
 * masked, deliver the entry's interrupt to this APIC (fixed: its vector; NMI,
 * SMI, INIT, ExtINT: the request; the timer and error entries are always
 * fixed). Returns true when something was delivered.
 */
bool lapic_lvt_fire(struct lapic *l, enum lapic_lvt lvt);

/* Register writes shared by the xAPIC and x2APIC interfaces (lapic_regs.c). */
void lapic_write_tpr(struct lapic *l, u32 val);
void lapic_write_svr(struct lapic *l, u32 val);
void lapic_write_lvt(struct lapic *l, enum lapic_lvt lvt, u32 val, u64 now,
		     struct lapic_effects *eff);
void lapic_write_esr(struct lapic *l);

/* lapic_regs.c: the xAPIC MMIO page and the x2APIC MSRs. */

/*
 * lapic_mmio_read()/lapic_mmio_write() - an access of @size (1, 2 or 4)
 * bytes at @off in the APIC page, in xAPIC mode (SDM 11.4.1: registers are
 * 32 bits wide on 16-byte boundaries). A narrower access reads part of the
 * register; a write must be 4 bytes at a register's start, others are
 * ignored, as are writes to read-only and reserved offsets; reserved and
 * write-only offsets read 0. Errors: -ENODEV (not in xAPIC mode: the page is
 * not decoded, SDM 11.12.2), -EINVAL (@size or @off out of range).
 */
/*
 * lapic_reg_timed() - whether an access to the register at page offset @off
 * needs the time (@now of the accessors below): the LVT entries, the timer's
 * initial and current counts, its divide configuration. Others take 0.
 * No errors.
 */
static inline bool lapic_reg_timed(u32 off)
{
	off &= 0xff0;
	return (off >= LAPIC_REG_LVT && off < LAPIC_REG_LVT + 0x10 * LVT_NR) ||
	       off == LAPIC_REG_TMICT || off == LAPIC_REG_TMCCT || off == LAPIC_REG_TDCR;
}
int lapic_mmio_read(struct lapic *l, u32 off, u32 size, u64 now, u32 *val);
int lapic_mmio_write(struct lapic *l, u32 off, u32 size, u32 val, u64 now,
		     struct lapic_effects *eff);
/*
 * lapic_msr_read()/lapic_msr_write() - RDMSR/WRMSR of x2APIC MSR @msr
 * (SDM 11.12.1.2, table "Local APIC Register Address Map Supported by
 * x2APIC"). Errors: -ENOENT (@msr outside 0x800-0x8ff: not an APIC MSR),
 * -EINVAL (the #GP the instruction raises: not in x2APIC mode, no such
 * register, a read of a write-only or write of a read-only register, bits
 * 63:32 set where reserved, a non-zero write to EOI or ESR).
 */
int lapic_msr_read(struct lapic *l, u32 msr, u64 now, u64 *val);
int lapic_msr_write(struct lapic *l, u32 msr, u64 val, u64 now, struct lapic_effects *eff);

/* lapic_timer.c: the APIC timer (SDM 11.5.4, "APIC Timer"). */

/* lapic_timer_mode() - the mode LVT timer bits 18:17 select. */
enum lapic_timer_mode lapic_timer_mode(const struct lapic *l);
/* lapic_timer_divisor() - the divide configuration's divisor: 1, 2, 4, ... 128. */
u32 lapic_timer_divisor(const struct lapic *l);
/* lapic_timer_current() - the current-count register at @now. */
u32 lapic_timer_current(const struct lapic *l, u64 now);
/*
 * lapic_timer_expiry() - when the one-shot/periodic timer reaches 0 next (in
 * the time of @now), or 0 when it is not counting or in TSC-deadline mode.
 */
u64 lapic_timer_expiry(const struct lapic *l);
/*
 * lapic_timer_fire() - the host timer reached lapic_timer_expiry() (or, in
 * TSC-deadline mode, the TSC reached the deadline): deliver the LVT timer
 * interrupt (unless masked), then stop a one-shot count, reload a periodic
 * one (missed periods are coalesced into this one), or clear the deadline.
 * Returns true when the timer had expired; false (nothing done) when it was
 * not armed or @now is before its expiry.
 */
bool lapic_timer_fire(struct lapic *l, u64 now);
/* Register writes: initial count, divide configuration, the timer LVT entry. */
void lapic_timer_write_tmict(struct lapic *l, u32 val, u64 now, struct lapic_effects *eff);
void lapic_timer_write_tdcr(struct lapic *l, u32 val, u64 now, struct lapic_effects *eff);
void lapic_timer_write_lvt(struct lapic *l, u32 val, u64 now, struct lapic_effects *eff);
/*
 * lapic_tsc_deadline_read()/lapic_tsc_deadline_write() - IA32_TSC_DEADLINE
 * (MSR 0x6e0): reads 0 and ignores writes outside TSC-deadline mode
 * (SDM 11.5.4.1, "TSC-Deadline Mode"); writing 0 disarms.
 */
u64 lapic_tsc_deadline_read(const struct lapic *l);
void lapic_tsc_deadline_write(struct lapic *l, u64 val, struct lapic_effects *eff);

#endif /* HAXM_IRQCHIP_LAPIC_H */
