/* SPDX-License-Identifier: GPL-2.0 */
/* Linux kernel types for the portable core (see core/os.h). */
#ifndef HAXM_LINUX_OS_TYPES_H
#define HAXM_LINUX_OS_TYPES_H

#include <linux/errno.h>
#include <linux/irqflags.h>
#include <linux/mutex.h>
#include <linux/preempt.h>
#include <linux/thread_info.h>
#include <linux/stddef.h>
#include <linux/types.h>

typedef struct mutex os_mutex_t;

/* A macro, so that lockdep gives each lock its own class. */
#define os_mutex_init(m) mutex_init(m)

/*
 * Inline, as the kernel's own are: the core calls these around every VM
 * entry, and each out-of-line call would cost a call and a return through
 * the return thunk. Each is also a macro of its own name (core/os.h). Only
 * from headers that keep asm/apicdef.h out: its APIC_DM_* macros would
 * rename the core's own constants. linux/smp.h (through asm/mpspec.h) and
 * linux/sched/signal.h bring it in on distro kernels, so os_cpu_current()
 * stays out of line and os_signal_pending() tests the current thread's
 * flags as signal_pending(current) does.
 */
static inline void os_preempt_disable(void)
{
	preempt_disable();
}
#define os_preempt_disable os_preempt_disable

static inline void os_preempt_enable(void)
{
	preempt_enable();
}
#define os_preempt_enable os_preempt_enable

static inline unsigned long os_irq_save(void)
{
	unsigned long flags;

	local_irq_save(flags);
	return flags;
}
#define os_irq_save os_irq_save

static inline void os_irq_restore(unsigned long flags)
{
	local_irq_restore(flags);
}
#define os_irq_restore os_irq_restore

static inline bool os_signal_pending(void)
{
	return test_thread_flag(TIF_SIGPENDING) || test_thread_flag(TIF_NOTIFY_SIGNAL);
}
#define os_signal_pending os_signal_pending

#endif /* HAXM_LINUX_OS_TYPES_H */
