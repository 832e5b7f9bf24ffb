// SPDX-License-Identifier: GPL-2.0
/*
 * core/os.h's primitives for the in-kernel interrupt controllers: a
 * spinlock, the monotonic clock, a host timer with a wait queue (a halted
 * vCPU's sleep and its APIC timer), and the kick of a CPU running a guest.
 */
#include <asm/tsc.h>
#include <linux/hrtimer.h>
#include <linux/ktime.h>
#include <linux/sched.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/smp.h>
#include <linux/spinlock.h>
#include <linux/wait.h>
/* smp_send_reschedule() traces the IPI (a macro since 6.6) */
#include <trace/events/ipi.h>

#include "os.h"

struct os_spin {
	spinlock_t lock;
};

struct os_spin *os_spin_alloc(void)
{
	struct os_spin *l = kzalloc(sizeof(*l), GFP_KERNEL_ACCOUNT);

	if (l)
		spin_lock_init(&l->lock);
	return l;
}

void os_spin_free(struct os_spin *l)
{
	kfree(l);
}

void os_spin_lock(struct os_spin *l)
{
	spin_lock(&l->lock);
}

void os_spin_unlock(struct os_spin *l)
{
	spin_unlock(&l->lock);
}

u64 os_now_ns(void)
{
	return ktime_get_ns();
}

u32 os_tsc_khz(void)
{
	return tsc_khz;
}

struct os_waker {
	struct hrtimer timer;
	wait_queue_head_t wq;
	void (*fn)(void *);
	void *arg;
};

static enum hrtimer_restart os_waker_fire(struct hrtimer *t)
{
	struct os_waker *w = container_of(t, struct os_waker, timer);

	w->fn(w->arg);
	return HRTIMER_NORESTART;
}

struct os_waker *os_waker_alloc(void (*fn)(void *), void *arg)
{
	struct os_waker *w = kzalloc(sizeof(*w), GFP_KERNEL_ACCOUNT);

	if (!w)
		return NULL;
	/* hard interrupt context: the callback only sets a flag and wakes */
	hrtimer_init(&w->timer, CLOCK_MONOTONIC, HRTIMER_MODE_ABS_HARD);
	w->timer.function = os_waker_fire;
	init_waitqueue_head(&w->wq);
	w->fn = fn;
	w->arg = arg;
	return w;
}

void os_waker_free(struct os_waker *w)
{
	if (!w)
		return;
	hrtimer_cancel(&w->timer);
	kfree(w);
}

void os_waker_arm(struct os_waker *w, u64 ns)
{
	if (!ns)
		hrtimer_try_to_cancel(&w->timer);
	else
		hrtimer_start(&w->timer, ns_to_ktime(ns), HRTIMER_MODE_ABS_HARD);
}

void os_waker_wake(struct os_waker *w)
{
	wake_up_interruptible(&w->wq);
}

int os_waker_wait(struct os_waker *w, bool (*cond)(void *), void *arg)
{
	return wait_event_interruptible(w->wq, cond(arg)) ? -EINTR : 0;
}

void os_cpu_kick(int cpu)
{
	int me = get_cpu();

	if (cpu != me && cpu >= 0 && cpu_online(cpu))
		smp_send_reschedule(cpu);
	put_cpu();
}
