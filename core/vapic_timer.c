// SPDX-License-Identifier: GPL-2.0
/*
 * The in-kernel LAPIC's timer on the host (issue 18): a vCPU's hrtimer
 * (v->waker) while it sleeps (HLT, wait-for-SIPI) or is out of RUN, and
 * while it is in its run loop the VMX-preemption timer (SDM 25.5.1): the
 * poll before each entry turns the timer's next expiry into a host TSC
 * value (v->timer_tsc) and the entry programs the preemption timer for it
 * (vmx/run.c), so a timer due while the guest runs exits the guest by
 * itself, with no host timer interrupt and no kick. See docs/design.md,
 * "The LAPIC timer's fast path".
 */
#include "vapic.h"
#include "stats.h"
#include "irqchip/lapic.h"
#include "vmx/vmx.h"

bool vapic_preempt_timer = true;

/* Beyond this many ms a TSC deadline is as good as never (31 years). */
#define TSC_DEADLINE_MAX_MS 1000000000000ull
/*
 * A one-shot/periodic expiry further than this is timed as if it were
 * this far: the preemption timer's watchdog (vmx/run.c) exits sooner on
 * any host whose TSC runs above 2.1 MHz, and the poll then looks again.
 */
#define PREEMPT_MAX_NS 1000000000ull

void vapic_hrtimer(void *arg)
{
	struct vcpu *v = arg;

	hax_count(&v->stats.timer_hrtimer, 1);
	hax_count(&hax_totals.timer_hrtimer, 1);
	vcpu_lapic_kick(v);
}

/*
 * The os_now_ns() time of @v's next APIC timer interrupt, 0 for none; the
 * VM's APIC lock is held. A TSC deadline is in the guest's TSC, the host's
 * plus v->tsc_offset (SDM 11.5.4.1): it is converted at the host's TSC
 * rate, and one already reached is due now (1, a time in the past).
 */
static u64 vapic_timer_expiry(struct vcpu *v)
{
	const struct lapic *l = v->lapic;
	u64 tsc, left, ms;
	u32 khz;

	if (lapic_timer_mode(l) != LAPIC_TIMER_TSC_DEADLINE)
		return lapic_timer_expiry(l);
	if (!l->tsc_deadline)
		return 0;
	tsc = hax_rdtsc() + v->tsc_offset;
	if (l->tsc_deadline <= tsc)
		return 1;
	left = l->tsc_deadline - tsc;
	khz = os_tsc_khz(); /* not 0: TSC-deadline mode is offered only then */
	ms = left / khz;
	if (ms > TSC_DEADLINE_MAX_MS)
		ms = TSC_DEADLINE_MAX_MS;
	/* rounded up: the host timer must not fire before the deadline */
	return os_now_ns() + ms * 1000000 + ((left % khz) * 1000000 + khz - 1) / khz;
}

void vapic_timer_arm(struct vcpu *v)
{
	/* on the fast path the next poll times it */
	if (!v->timer_preempt)
		os_waker_arm(v->waker, vapic_timer_expiry(v));
}

void vcpu_lapic_tsc_changed(struct vcpu *v)
{
	if (!v->lapic)
		return;
	os_spin_lock(v->vm->apic_lock);
	if (lapic_timer_mode(v->lapic) == LAPIC_TIMER_TSC_DEADLINE)
		vapic_timer_arm(v);
	os_spin_unlock(v->vm->apic_lock);
}

/*
 * Fire the timer at @now (lapic_timer_fire()); when it fired, the IRR of
 * the virtual-APIC page's copy is stale (vmx/apicv.c).
 */
static bool vapic_fire(struct vcpu *v, u64 now)
{
	if (!lapic_timer_fire(v->lapic, now))
		return false;
	v->apicv_irr_stale = true;
	return true;
}

/* The hrtimer's path: fire an expired timer, re-arm the hrtimer. */
static void timer_poll_host(struct vcpu *v, bool kicked)
{
	struct lapic *l = v->lapic;
	u64 expiry = vapic_timer_expiry(v), now;

	if (!expiry)
		return;
	now = os_now_ns();
	if (now >= expiry && vapic_fire(v, now))
		os_waker_arm(v->waker, vapic_timer_expiry(v)); /* periodic: the next one */
	else if (kicked && lapic_timer_mode(l) == LAPIC_TIMER_TSC_DEADLINE)
		/* the host timer ran ahead of the guest's TSC (its rate is
		 * calibrated, the guest's TSC may have been set): again */
		os_waker_arm(v->waker, expiry);
}

static void count_preempt(struct vcpu *v)
{
	v->stats.timer_preempt++;
	hax_count(&hax_totals.timer_preempt, 1);
}

/*
 * The fast path: fire an expired timer, else set v->timer_tsc to the host
 * TSC it is due at. The guest's TSC is the host's plus TSC_OFFSET (haxm
 * does not use TSC scaling), so a deadline is compared with it directly
 * and the host TSC value is the ticks left added to the host's TSC; a
 * guest that moved its TSC (IA32_TSC, TSC_ADJUST, SET_STATE) is seen here
 * at the next entry.
 */
static void timer_poll_preempt(struct vcpu *v)
{
	struct lapic *l = v->lapic;
	u64 tsc, gtsc, expiry, now, ns;

	if (lapic_timer_mode(l) == LAPIC_TIMER_TSC_DEADLINE) {
		if (!l->tsc_deadline)
			return;
		tsc = hax_rdtsc();
		gtsc = tsc + v->tsc_offset;
		if (l->tsc_deadline > gtsc) {
			v->timer_tsc = tsc + (l->tsc_deadline - gtsc);
			return;
		}
		/* reached, or written in the past: fires now (SDM 11.5.4.1) */
		if (vapic_fire(v, 0))
			count_preempt(v);
		return;
	}
	expiry = lapic_timer_expiry(l);
	if (!expiry)
		return;
	now = os_now_ns();
	if (now >= expiry) {
		if (vapic_fire(v, now))
			count_preempt(v);
		expiry = lapic_timer_expiry(l); /* periodic: the next one, after now */
		if (expiry <= now)
			return;
	}
	ns = expiry - now;
	if (ns > PREEMPT_MAX_NS)
		ns = PREEMPT_MAX_NS;
	/* rounded up; os_tsc_khz() is not 0 on this path (vapic_timer_path()) */
	v->timer_tsc = hax_rdtsc() + (ns * os_tsc_khz() + 999999) / 1000000;
}

void vapic_timer_poll(struct vcpu *v, bool kicked)
{
	v->timer_tsc = 0;
	if (v->timer_preempt)
		timer_poll_preempt(v);
	else
		timer_poll_host(v, kicked);
}

void vapic_timer_path(struct vcpu *v, bool preempt)
{
	if (!preempt) {
		v->timer_preempt = false;
		v->timer_tsc = 0;
		os_waker_arm(v->waker, vapic_timer_expiry(v));
		return;
	}
	/* what expired on the hrtimer fires on its path, counted there */
	if (!v->timer_preempt)
		timer_poll_host(v, false);
	/* the one-shot and periodic modes need the TSC rate on this path */
	v->timer_preempt =
		__atomic_load_n(&vapic_preempt_timer, __ATOMIC_RELAXED) && os_tsc_khz() != 0;
	if (v->timer_preempt)
		os_waker_arm(v->waker, 0);
}

void vcpu_lapic_run(struct vcpu *v, bool in)
{
	if (!v->lapic)
		return;
	os_spin_lock(v->vm->apic_lock);
	vapic_timer_path(v, in);
	os_spin_unlock(v->vm->apic_lock);
}
