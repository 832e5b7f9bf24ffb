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
 *
 * The timer advance (TSC-deadline mode; KVM's lapic_timer_advance_ns):
 * both host timers go off vapic_timer_advance_ns (or, adaptive, the
 * vCPU's v->timer_adv_ns) before a TSC deadline, and the poll fires a
 * deadline that close; the entry then waits for the deadline before it
 * enters (vapic_timer_wait()). The guest, whose TSC is the host's plus
 * TSC_OFFSET, never takes the interrupt before its deadline, and the wake
 * and the poll are behind it: what it sees is the entry's cost.
 */
#include "vapic.h"
#include "stats.h"
#include "irqchip/lapic.h"
#include "vmx/vmx.h"

bool vapic_preempt_timer = true;
int vapic_timer_advance_ns = -1;

/* Beyond this many ms a TSC deadline is as good as never (31 years). */
#define TSC_DEADLINE_MAX_MS 1000000000000ull
/*
 * A one-shot/periodic expiry further than this is timed as if it were
 * this far: the preemption timer's watchdog (vmx/run.c) exits sooner on
 * any host whose TSC runs above 2.1 MHz, and the poll then looks again.
 */
#define PREEMPT_MAX_NS 1000000000ull
/* The share of a lateness the adaptive advance takes. */
#define ADVANCE_STEP 8
/* How far in the past a deadline's host TSC is taken: signed differences hold. */
#define WAIT_PAST_MAX (1ull << 62)

void vapic_hrtimer(void *arg)
{
	struct vcpu *v = arg;

	hax_count(&v->stats.timer_hrtimer, 1);
	hax_count(&hax_totals.timer_hrtimer, 1);
	__atomic_store_n(&v->timer_woke, 1, __ATOMIC_RELAXED);
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

/* @v's timer advance now, in ns: the module parameter's, or the adaptive one. */
static u64 advance_ns(const struct vcpu *v)
{
	int ns = __atomic_load_n(&vapic_timer_advance_ns, __ATOMIC_RELAXED);

	return ns >= 0 ? (u64)ns : v->timer_adv_ns;
}

/* The same in host TSC ticks, rounded up: what the hrtimer advances, at least. */
static u64 advance_ticks(const struct vcpu *v)
{
	return (advance_ns(v) * os_tsc_khz() + 999999) / 1000000;
}

/*
 * The os_now_ns() time @v's hrtimer goes off at, 0 for none: the next
 * expiry, a TSC deadline's advanced, noted as the one armed early.
 */
static u64 hrtimer_expiry(struct vcpu *v)
{
	u64 expiry = vapic_timer_expiry(v), adv;

	if (expiry <= 1 || lapic_timer_mode(v->lapic) != LAPIC_TIMER_TSC_DEADLINE)
		return expiry;
	v->timer_adv_dl = v->lapic->tsc_deadline;
	adv = advance_ns(v);
	return expiry > adv + 1 ? expiry - adv : 1;
}

void vapic_timer_arm(struct vcpu *v)
{
	/* on the fast path the next poll times it */
	if (!v->timer_preempt)
		os_waker_arm(v->waker, hrtimer_expiry(v));
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

/*
 * A TSC deadline (armed, TSC-deadline mode) reached or within @v's advance
 * fires: true, and the entry waits for it (v->timer_wait_tsc, its host
 * TSC), its lateness then tuning the adaptive advance when a host timer
 * was armed early for it. Else false, and *@host_tsc is its host TSC.
 */
static bool tsc_deadline_poll(struct vcpu *v, u64 *host_tsc)
{
	u64 tsc = hax_rdtsc(), gtsc = tsc + v->tsc_offset, dl = v->lapic->tsc_deadline;

	if (dl > gtsc) {
		*host_tsc = tsc + (dl - gtsc);
		if (dl - gtsc > advance_ticks(v))
			return false;
	} else {
		/* reached, or written in the past: fires now (SDM 11.5.4.1); as
		 * long past as the host's TSC reaches back, for the lateness */
		*host_tsc = tsc - (gtsc - dl < WAIT_PAST_MAX ? gtsc - dl : WAIT_PAST_MAX);
	}
	if (!vapic_fire(v, 0))
		return false;
	v->timer_wait_tsc = *host_tsc;
	v->timer_adapt = v->timer_adv_dl == dl;
	v->timer_adv_dl = 0;
	return true;
}

/* The hrtimer's path: fire an expired timer, re-arm the hrtimer. */
static void timer_poll_host(struct vcpu *v, bool kicked)
{
	struct lapic *l = v->lapic;
	u64 expiry = vapic_timer_expiry(v), now, tsc;

	if (!expiry)
		return;
	if (lapic_timer_mode(l) == LAPIC_TIMER_TSC_DEADLINE) {
		if (tsc_deadline_poll(v, &tsc))
			os_waker_arm(v->waker, 0); /* fired early: not again */
		else if (kicked)
			/* the host timer ran ahead of the guest's TSC (its rate is
			 * calibrated, the guest's TSC may have been set): again */
			os_waker_arm(v->waker, hrtimer_expiry(v));
		return;
	}
	now = os_now_ns();
	if (now >= expiry && vapic_fire(v, now))
		os_waker_arm(v->waker, vapic_timer_expiry(v)); /* periodic: the next one */
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
static void timer_poll_preempt(struct vcpu *v, bool woke)
{
	struct lapic *l = v->lapic;
	u64 tsc, expiry, now, ns;

	if (lapic_timer_mode(l) == LAPIC_TIMER_TSC_DEADLINE) {
		if (!l->tsc_deadline)
			return;
		if (tsc_deadline_poll(v, &tsc)) {
			/* one the hrtimer woke the vCPU for early is the hrtimer's */
			if (!woke)
				count_preempt(v);
			return;
		}
		/* the preemption timer exits the advance before it */
		v->timer_tsc = tsc - advance_ticks(v);
		v->timer_adv_dl = l->tsc_deadline;
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
	bool woke = __atomic_exchange_n(&v->timer_woke, 0, __ATOMIC_RELAXED);

	v->timer_tsc = 0;
	if (v->timer_preempt)
		timer_poll_preempt(v, woke);
	else
		timer_poll_host(v, kicked);
}

/* The adaptive advance takes 1/ADVANCE_STEP of @late host TSC ticks. */
static void advance_adapt(struct vcpu *v, s64 late)
{
	s64 max = (s64)VAPIC_ADVANCE_MAX_NS * os_tsc_khz() / 1000000, adv;

	/* an outlier (the thread preempted, a deadline written long past) says nothing */
	if (late > max || late < -max)
		return;
	adv = (s64)v->timer_adv_ns + late * 1000000 / os_tsc_khz() / ADVANCE_STEP;
	v->timer_adv_ns = adv < 0 ? 0 : adv > VAPIC_ADVANCE_MAX_NS ? VAPIC_ADVANCE_MAX_NS : adv;
}

void vapic_timer_wait(struct vcpu *v)
{
	u64 dl = v->timer_wait_tsc;
	s64 late = (s64)(hax_rdtsc() - dl);

	v->timer_wait_tsc = 0;
	if (v->timer_adapt && __atomic_load_n(&vapic_timer_advance_ns, __ATOMIC_RELAXED) < 0)
		advance_adapt(v, late);
	/* at most the advance: the host TSC is monotonic */
	while ((s64)(hax_rdtsc() - dl) < 0)
		hax_pause();
}

void vapic_timer_path(struct vcpu *v, bool preempt)
{
	if (!preempt) {
		v->timer_preempt = false;
		v->timer_tsc = 0;
		os_waker_arm(v->waker, hrtimer_expiry(v));
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
