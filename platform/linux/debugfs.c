// SPDX-License-Identifier: GPL-2.0
/*
 * /sys/kernel/debug/haxm/: the live-object counters (core/stats.h) and the
 * exit statistics, module-wide at the top, per VM in vmNN/ and per vCPU in
 * vmNN/vcpuMM/. Each level has the files
 *   exits          VM exits
 *   exits_to_user  RUN calls that returned with an exit for user space
 *   guest_ns       nanoseconds spent in the guest
 *   exit_reasons   "NUMBER NAME COUNT" per exit reason seen (haxm stat reads it)
 *   lapic_timer    the in-kernel LAPIC timer's interrupts by path:
 *                  "preemption_timer N" (the fast path) and "hrtimer N"
 * Statistics only: the module works without debugfs.
 */
#include <linux/debugfs.h>
#include <linux/math64.h>
#include <linux/seq_file.h>
#include <asm/tsc.h>

#include "haxm_linux.h"
#include "mitigate.h"

static struct dentry *hax_debugfs;

static void stats_module(void *obj, struct vcpu_stats *s)
{
	hax_stats_read(&hax_totals, s);
}

static void stats_vm(void *obj, struct vcpu_stats *s)
{
	vm_stats_sum(((struct hax_vm_node *)obj)->vm, s);
}

static void stats_vcpu(void *obj, struct vcpu_stats *s)
{
	hax_stats_read(&((struct hax_vcpu_node *)obj)->vcpu->stats, s);
}

static int show_exits(struct seq_file *m, const struct vcpu_stats *s)
{
	seq_printf(m, "%llu\n", s->exits);
	return 0;
}

static int show_exits_to_user(struct seq_file *m, const struct vcpu_stats *s)
{
	seq_printf(m, "%llu\n", s->exits_to_user);
	return 0;
}

static int show_guest_ns(struct seq_file *m, const struct vcpu_stats *s)
{
	/* The core counts TSC cycles; an invariant TSC runs at tsc_khz. */
	seq_printf(m, "%llu\n", tsc_khz ? mul_u64_u32_div(s->guest_tsc, 1000000, tsc_khz) : 0);
	return 0;
}

static int show_exit_reasons(struct seq_file *m, const struct vcpu_stats *s)
{
	u32 i;

	for (i = 0; i < HAX_EXIT_SLOTS; i++)
		if (s->by_reason[i])
			seq_printf(m, "%u %s %llu\n", i, hax_exit_name(i) ?: "UNKNOWN",
				   s->by_reason[i]);
	return 0;
}

static int show_lapic_timer(struct seq_file *m, const struct vcpu_stats *s)
{
	seq_printf(m, "preemption_timer %llu\nhrtimer %llu\n", s->timer_preempt, s->timer_hrtimer);
	return 0;
}

/* One show function and fops per (level, file). */
#define HAX_STAT_FILE(level, field)                                         \
	static int level##_##field##_show(struct seq_file *m, void *unused) \
	{                                                                   \
		struct vcpu_stats s;                                        \
                                                                            \
		stats_##level(m->private, &s);                              \
		return show_##field(m, &s);                                 \
	}                                                                   \
	DEFINE_SHOW_ATTRIBUTE(level##_##field)

#define HAX_STAT_LEVEL(level)                                                                      \
	HAX_STAT_FILE(level, exits);                                                               \
	HAX_STAT_FILE(level, exits_to_user);                                                       \
	HAX_STAT_FILE(level, guest_ns);                                                            \
	HAX_STAT_FILE(level, exit_reasons);                                                        \
	HAX_STAT_FILE(level, lapic_timer);                                                         \
	static void level##_files(struct dentry *dir, void *obj)                                   \
	{                                                                                          \
		debugfs_create_file("exits", 0444, dir, obj, &level##_exits_fops);                 \
		debugfs_create_file("exits_to_user", 0444, dir, obj, &level##_exits_to_user_fops); \
		debugfs_create_file("guest_ns", 0444, dir, obj, &level##_guest_ns_fops);           \
		debugfs_create_file("exit_reasons", 0444, dir, obj, &level##_exit_reasons_fops);   \
		debugfs_create_file("lapic_timer", 0444, dir, obj, &level##_lapic_timer_fops);     \
	}

HAX_STAT_LEVEL(module)
HAX_STAT_LEVEL(vm)
HAX_STAT_LEVEL(vcpu)

static int mitigations_open(struct inode *inode, struct file *file)
{
	return single_open(file, haxm_mitigations_show, NULL);
}

static const struct file_operations mitigations_fops = {
	.owner = THIS_MODULE,
	.open = mitigations_open,
	.read = seq_read,
	.llseek = seq_lseek,
	.release = single_release,
};

void hax_debugfs_init(void)
{
	static const struct {
		const char *name;
		u64 *value;
	} files[] = {
		{ "vms", &hax_counters.vms },
		{ "vcpus", &hax_counters.vcpus },
		{ "pinned_pages", &hax_counters.pinned_pages },
		{ "kernel_pages", &hax_counters.kernel_pages },
		{ "allocations", &hax_counters.allocations },
		{ "huge_pages", &hax_counters.huge_pages },
	};
	int i;

	hax_debugfs = debugfs_create_dir("haxm", NULL);
	for (i = 0; i < ARRAY_SIZE(files); i++)
		debugfs_create_u64(files[i].name, 0444, hax_debugfs, files[i].value);
	debugfs_create_file("mitigations", 0444, hax_debugfs, NULL, &mitigations_fops);
	module_files(hax_debugfs, NULL);
}

void hax_debugfs_exit(void)
{
	debugfs_remove(hax_debugfs);
}

void hax_debugfs_vm_add(struct hax_vm_node *vmn)
{
	char name[16];

	snprintf(name, sizeof(name), "vm%02u", vmn->vm->id);
	vmn->debugfs = debugfs_create_dir(name, hax_debugfs);
	vm_files(vmn->debugfs, vmn);
}

void hax_debugfs_vm_remove(struct hax_vm_node *vmn)
{
	/* Returns once no reader is inside a file of the VM or its vCPUs. */
	debugfs_remove(vmn->debugfs);
	vmn->debugfs = NULL;
}

void hax_debugfs_vcpu_add(struct hax_vm_node *vmn, struct hax_vcpu_node *vn)
{
	char name[16];

	snprintf(name, sizeof(name), "vcpu%02u", vn->vcpu->id);
	vn->debugfs = debugfs_create_dir(name, vmn->debugfs);
	vcpu_files(vn->debugfs, vn);
}

void hax_debugfs_vcpu_remove(struct hax_vcpu_node *vn)
{
	debugfs_remove(vn->debugfs);
	vn->debugfs = NULL;
}
