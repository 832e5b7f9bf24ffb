// SPDX-License-Identifier: GPL-2.0
/* Exit statistics: per vCPU, per VM and module-wide (core/stats.h). */
#include "stats.h"
#include "vm.h"

struct vcpu_stats hax_totals;

static const struct {
	u32 nr;
	const char *name;
} hax_exit_names[] = { HAX_EXIT_REASON_SYMBOLS };

const char *hax_exit_name(u32 slot)
{
	u32 i;

	if (slot == HAX_EXIT_OTHER)
		return "OTHER";
	for (i = 0; i < sizeof(hax_exit_names) / sizeof(hax_exit_names[0]); i++)
		if (hax_exit_names[i].nr == slot)
			return hax_exit_names[i].name;
	return NULL;
}

u32 hax_exit_slot(u32 reason)
{
	/* A failed entry (SDM 26.8) sets bit 31 above its basic reason. */
	return reason < HAX_EXIT_OTHER ? reason : HAX_EXIT_OTHER;
}

void vcpu_stats_exit(struct vcpu *v, u32 reason, u64 guest_tsc)
{
	u32 slot = hax_exit_slot(reason);

	/* Only this vCPU's thread writes its counters: plain adds. */
	v->stats.exits++;
	v->stats.by_reason[slot]++;
	v->stats.guest_tsc += guest_tsc;
	hax_count(&hax_totals.exits, 1);
	hax_count(&hax_totals.by_reason[slot], 1);
	hax_count(&hax_totals.guest_tsc, (s64)guest_tsc);
}

void vcpu_stats_to_user(struct vcpu *v)
{
	v->stats.exits_to_user++;
	hax_count(&hax_totals.exits_to_user, 1);
}

/* A 64-bit load that the compiler may neither tear nor cache. */
static u64 stat_load(const u64 *p)
{
	return __atomic_load_n(p, __ATOMIC_RELAXED);
}

static void stats_add(struct vcpu_stats *sum, const struct vcpu_stats *s)
{
	u32 i;

	sum->exits += stat_load(&s->exits);
	sum->exits_to_user += stat_load(&s->exits_to_user);
	sum->guest_tsc += stat_load(&s->guest_tsc);
	sum->timer_preempt += stat_load(&s->timer_preempt);
	sum->timer_hrtimer += stat_load(&s->timer_hrtimer);
	for (i = 0; i < HAX_EXIT_SLOTS; i++)
		sum->by_reason[i] += stat_load(&s->by_reason[i]);
}

void hax_stats_read(const struct vcpu_stats *s, struct vcpu_stats *out)
{
	*out = (struct vcpu_stats){ 0 };
	stats_add(out, s);
}

void vm_stats_sum(struct vm *vm, struct vcpu_stats *sum)
{
	u32 i;

	*sum = (struct vcpu_stats){ 0 };
	os_mutex_lock(&vm->lock);
	for (i = 0; i < HAX_MAX_VCPUS; i++)
		if (vm->vcpus[i])
			stats_add(sum, &vm->vcpus[i]->stats);
	os_mutex_unlock(&vm->lock);
}
