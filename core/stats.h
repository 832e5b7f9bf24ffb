/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Module-wide counters of live objects, for tests and leak checks: each
 * returns to its value before a VM was created once the VM is gone. The
 * platform exposes them (Linux: /sys/kernel/debug/haxm/<name>).
 */
#ifndef HAXM_CORE_STATS_H
#define HAXM_CORE_STATS_H

#include "os.h"

struct hax_counters {
	u64 vms;	  /* VMs alive */
	u64 vcpus;	  /* vCPUs alive */
	u64 pinned_pages; /* guest RAM pages pinned */
	u64 kernel_pages; /* pages from os_page_alloc() not freed */
	u64 allocations;  /* os_zalloc() blocks not freed */
	u64 huge_pages;	  /* 2 MiB EPT mappings present */
};

extern struct hax_counters hax_counters;

/* hax_count() - add @delta to counter @c (any thread, any context). */
static inline void hax_count(u64 *c, s64 delta)
{
	__atomic_add_fetch(c, (u64)delta, __ATOMIC_RELAXED);
}

/*
 * Exit statistics (area "eco"): per vCPU in struct vcpu_stats (vm.h), per VM
 * summed over its vCPUs, and module-wide since load in hax_totals. The
 * platform shows them (Linux: /sys/kernel/debug/haxm/[vmNN/[vcpuMM/]]).
 * by_reason[] has a slot per basic exit reason 0..64 and one, HAX_EXIT_OTHER,
 * for failed entries and reasons past the table. timer_preempt and
 * timer_hrtimer count the in-kernel LAPIC timer's interrupts by the path
 * that timed them (core/vapic_timer.c): fired while on the VMX-preemption
 * timer, and expiries of its hrtimer.
 */
#define HAX_EXIT_SLOTS 66
#define HAX_EXIT_OTHER (HAX_EXIT_SLOTS - 1)

/* Basic exit reasons and their names (SDM Appendix C), as {number, "NAME"}. */
#define HAX_EXIT_REASON_SYMBOLS                                                                    \
	{ 0, "EXCEPTION_NMI" }, { 1, "EXTERNAL_INTERRUPT" }, { 2, "TRIPLE_FAULT" }, { 3, "INIT" }, \
		{ 4, "SIPI" }, { 5, "IO_SMI" }, { 6, "OTHER_SMI" }, { 7, "INTERRUPT_WINDOW" },     \
		{ 8, "NMI_WINDOW" }, { 9, "TASK_SWITCH" }, { 10, "CPUID" }, { 11, "GETSEC" },      \
		{ 12, "HLT" }, { 13, "INVD" }, { 14, "INVLPG" }, { 15, "RDPMC" }, { 16, "RDTSC" }, \
		{ 17, "RSM" }, { 18, "VMCALL" }, { 19, "VMCLEAR" }, { 20, "VMLAUNCH" },            \
		{ 21, "VMPTRLD" }, { 22, "VMPTRST" }, { 23, "VMREAD" }, { 24, "VMRESUME" },        \
		{ 25, "VMWRITE" }, { 26, "VMXOFF" }, { 27, "VMXON" }, { 28, "CR_ACCESS" },         \
		{ 29, "DR_ACCESS" }, { 30, "IO" }, { 31, "RDMSR" }, { 32, "WRMSR" },               \
		{ 33, "INVALID_STATE" }, { 34, "MSR_LOADING" }, { 36, "MWAIT" }, { 37, "MTF" },    \
		{ 39, "MONITOR" }, { 40, "PAUSE" }, { 41, "MCE_DURING_ENTRY" },                    \
		{ 43, "TPR_BELOW_THRESHOLD" }, { 44, "APIC_ACCESS" }, { 45, "EOI_INDUCED" },       \
		{ 46, "GDTR_IDTR" }, { 47, "LDTR_TR" }, { 48, "EPT_VIOLATION" },                   \
		{ 49, "EPT_MISCONFIG" }, { 50, "INVEPT" }, { 51, "RDTSCP" },                       \
		{ 52, "PREEMPTION_TIMER" }, { 53, "INVVPID" }, { 54, "WBINVD" }, { 55, "XSETBV" }, \
		{ 56, "APIC_WRITE" }, { 57, "RDRAND" }, { 58, "INVPCID" }, { 59, "VMFUNC" },       \
		{ 60, "ENCLS" }, { 61, "RDSEED" }, { 62, "PML_FULL" }, { 63, "XSAVES" },           \
	{                                                                                          \
		64, "XRSTORS"                                                                      \
	}

struct vm;
struct vcpu;
struct vcpu_stats;

/* Every exit of every vCPU since the module loaded (updated atomically). */
extern struct vcpu_stats hax_totals;

/*
 * hax_exit_name() - the name of by_reason[] slot @slot: a basic exit reason's
 * (HAX_EXIT_REASON_SYMBOLS), "OTHER" for HAX_EXIT_OTHER, NULL past it or for
 * a number the SDM leaves unused.
 */
const char *hax_exit_name(u32 slot);

/* hax_exit_slot() - the by_reason[] slot of the full exit reason @reason. */
u32 hax_exit_slot(u32 reason);

/*
 * vcpu_stats_exit() - count one exit of @v with full exit reason @reason
 * after @guest_tsc TSC cycles in the guest, in @v's statistics and
 * hax_totals. Called by the vCPU's thread only.
 */
void vcpu_stats_exit(struct vcpu *v, u32 reason, u64 guest_tsc);

/* vcpu_stats_to_user() - count an exit handed to user space. */
void vcpu_stats_to_user(struct vcpu *v);

/*
 * vm_stats_sum() - @vm's statistics: the sum over its vCPUs now (those
 * destroyed no longer count). Takes the VM's lock; may sleep.
 */
void vm_stats_sum(struct vm *vm, struct vcpu_stats *sum);

/*
 * hax_stats_read() - a copy of @s (a vCPU's statistics or hax_totals), read
 * while the vCPU may run.
 */
void hax_stats_read(const struct vcpu_stats *s, struct vcpu_stats *out);

#endif /* HAXM_CORE_STATS_H */
