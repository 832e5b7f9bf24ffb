// SPDX-License-Identifier: GPL-2.0
/*
 * haxm.ko: module load and unload, /dev/HAX and CPU hotplug. The hypervisor
 * itself is the portable core (core/); this file and nodes.c give it its
 * HAXM-compatible device interface.
 */
#include <linux/cpuhotplug.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>
#include <linux/syscore_ops.h>
#include <linux/uaccess.h>

#include "compat.h"
#include "haxm_linux.h"
#include "mitigate.h"
#include "stats.h"
#include "vapic.h"
#include "vmx/caps.h"

module_param_named(ple_window, vmx_ple_window, uint, 0444);
MODULE_PARM_DESC(ple_window, "PAUSE-loop exiting: a guest spinning on PAUSE longer than this many "
			     "TSC ticks yields its CPU (default 4096; 0: off)");
/* Read at each RUN: a change applies from a vCPU's next RUN. */
module_param_named(lapic_preemption_timer, vapic_preempt_timer, bool, 0644);
MODULE_PARM_DESC(lapic_preemption_timer,
		 "The in-kernel LAPIC timer on the VMX-preemption timer while the vCPU "
		 "runs (default on); off: on its hrtimer throughout");

/* -1 (adaptive) up to VAPIC_ADVANCE_MAX_NS, at load and in sysfs. */
static int timer_advance_set(const char *val, const struct kernel_param *kp)
{
	int ns, r = kstrtoint(val, 0, &ns);

	if (r)
		return r;
	if (ns < -1 || ns > VAPIC_ADVANCE_MAX_NS)
		return -EINVAL;
	WRITE_ONCE(*(int *)kp->arg, ns);
	return 0;
}

static const struct kernel_param_ops timer_advance_ops = {
	.set = timer_advance_set,
	.get = param_get_int,
};
/* Read at each poll and host timer arming: a change applies at once. */
module_param_cb(lapic_timer_advance_ns, &timer_advance_ops, &vapic_timer_advance_ns, 0644);
MODULE_PARM_DESC(lapic_timer_advance_ns,
		 "In-kernel LAPIC, TSC-deadline mode: fire this many ns early, the entry waiting "
		 "out the rest (default -1: adaptive; 0 to 100000)");

/* Read at LAPIC_ENABLE: a change applies to VMs that enable it afterwards. */
module_param_named(apicv, vmx_apicv_enable, bool, 0644);
MODULE_PARM_DESC(apicv, "APIC virtualization for VMs with the in-kernel LAPIC where the CPU has "
			"it (default on); off: the xAPIC page emulated");
/* Read at each exit; for emulators only (docs/design.md, "APIC virtualization"). */
module_param_named(quirk_vid_vectoring, vmx_quirk_vid_vectoring, bool, 0644);
MODULE_PARM_DESC(quirk_vid_vectoring,
		 "The CPU reports a stale IDT-vectoring field for an exit during "
		 "virtual-interrupt delivery (Bochs 2.7; default off)");

#define HAXM_VERSION "0.1.0"

static enum cpuhp_state hax_cpuhp_state;

/*
 * One /dev/HAX file: the VMs it created and still owns (bit = VM id), and
 * the address space of the process that opened it (held, so the address
 * identifies that process for as long as the file is open).
 */
struct hax_sys_file {
	struct mutex lock;
	u64 owned;
	struct mm_struct *mm;
};

static_assert(HAX_MAX_VMS <= 64, "owned VMs are a 64-bit mask");

static int hax_sys_open(struct inode *inode, struct file *filp)
{
	struct hax_sys_file *sf = kzalloc(sizeof(*sf), GFP_KERNEL);

	if (!sf)
		return -ENOMEM;
	if (!current->mm) {
		kfree(sf);
		return -EPERM;
	}
	mutex_init(&sf->lock);
	mmgrab(current->mm);
	sf->mm = current->mm;
	filp->private_data = sf;
	return 0;
}

static int hax_sys_release(struct inode *inode, struct file *filp)
{
	struct hax_sys_file *sf = filp->private_data;
	u32 id;

	for (id = 0; id < HAX_MAX_VMS; id++)
		if (sf->owned & (1ULL << id))
			hax_vm_node_put_id(id);
	mmdrop(sf->mm);
	kfree(sf);
	return 0;
}

static long hax_sys_ioctl(struct file *filp, unsigned int cmd, unsigned long arg)
{
	struct hax_sys_file *sf = filp->private_data;
	void __user *argp = (void __user *)arg;
	struct hax_module_version ver = { HAX_API_COMPAT_VERSION, HAX_API_CUR_VERSION };
	struct hax_capabilityinfo ci;
	struct hax_set_memlimit ml;
	u32 id;
	int r;

	/*
	 * The queries answer anyone holding the descriptor; what changes state
	 * (the VMs this descriptor owns) is for the process that opened it, as
	 * a VM's and a vCPU's ioctls are for the VM's owner.
	 */
	if (cmd != HAX_IOCTL_VERSION && cmd != HAX_IOCTL_CAPABILITY && sf->mm != current->mm)
		return -EPERM;
	switch (cmd) {
	case HAX_IOCTL_VERSION:
		return copy_to_user(argp, &ver, sizeof(ver)) ? -EFAULT : 0;
	case HAX_IOCTL_CAPABILITY:
		hax_capability(&ci);
		return copy_to_user(argp, &ci, sizeof(ci)) ? -EFAULT : 0;
	case HAX_IOCTL_SET_MEMLIMIT:
		/* Accepted and ignored, as HAXM 6.2 and later do. */
		return copy_from_user(&ml, argp, sizeof(ml)) ? -EFAULT : 0;
	case HAX_IOCTL_CREATE_VM:
		/* Check the pointer first: a VM nobody learns of would leak. */
		if (!access_ok(argp, sizeof(id)) || put_user(0, (u32 __user *)argp))
			return -EFAULT;
		mutex_lock(&sf->lock);
		r = hax_vm_node_create(&id);
		if (!r) {
			sf->owned |= 1ULL << id;
			if (put_user(id, (u32 __user *)argp)) {
				sf->owned &= ~(1ULL << id);
				hax_vm_node_put_id(id);
				r = -EFAULT;
			}
		}
		mutex_unlock(&sf->lock);
		return r;
	case HAX_IOCTL_DESTROY_VM:
		if (get_user(id, (u32 __user *)argp))
			return -EFAULT;
		mutex_lock(&sf->lock);
		r = -ENOENT;
		if (id < HAX_MAX_VMS && (sf->owned & (1ULL << id))) {
			sf->owned &= ~(1ULL << id);
			r = hax_vm_node_put_id(id);
		}
		mutex_unlock(&sf->lock);
		return r;
	}
	return -ENOTTY;
}

static const struct file_operations hax_sys_fops = {
	.owner = THIS_MODULE,
	.open = hax_sys_open,
	.release = hax_sys_release,
	.unlocked_ioctl = hax_sys_ioctl,
	.llseek = noop_llseek,
};

static struct miscdevice hax_sys_dev = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = "HAX",
	.fops = &hax_sys_fops,
	.mode = 0600,
};

static int hax_cpu_up(unsigned int cpu)
{
	hax_cpu_online();
	return 0;
}

static int hax_cpu_down(unsigned int cpu)
{
	hax_cpu_offline();
	return 0;
}

/* System sleep: VMX off on the last CPU before it, on again after. */
static int hax_pm_suspend(HAX_SYSCORE_ARG)
{
	hax_cpu_suspend();
	return 0;
}

static void hax_pm_resume(HAX_SYSCORE_ARG)
{
	hax_cpu_resume(); /* a failure is logged; vCPUs there get -EIO */
}

static HAX_SYSCORE_OPS_CONST struct syscore_ops hax_syscore_ops = {
	.suspend = hax_pm_suspend,
	.resume = hax_pm_resume,
};
HAX_SYSCORE_DEFINE(hax_syscore, hax_syscore_ops);

static int __init haxm_init(void)
{
	int r;

	r = haxm_mitigations_init();
	if (r)
		return r;
	r = hax_core_init();
	if (r)
		goto fail_mit;
	r = cpuhp_setup_state_nocalls(CPUHP_AP_ONLINE_DYN, "haxm:online", hax_cpu_up, hax_cpu_down);
	if (r < 0)
		goto fail_core;
	hax_cpuhp_state = r;
	hax_register_syscore(&hax_syscore);
	r = hax_nodes_init();
	if (r)
		goto fail_cpuhp;
	r = misc_register(&hax_sys_dev);
	if (r)
		goto fail_nodes;
	hax_debugfs_init();
	pr_info("haxm: version %s loaded, API %d\n", HAXM_VERSION, HAX_API_CUR_VERSION);
	return 0;
fail_nodes:
	hax_nodes_exit();
fail_cpuhp:
	hax_unregister_syscore(&hax_syscore);
	cpuhp_remove_state_nocalls(hax_cpuhp_state);
fail_core:
	hax_core_exit();
fail_mit:
	haxm_mitigations_exit();
	return r;
}

static void __exit haxm_exit(void)
{
	hax_debugfs_exit();
	misc_deregister(&hax_sys_dev);
	hax_nodes_exit();
	hax_unregister_syscore(&hax_syscore);
	cpuhp_remove_state_nocalls(hax_cpuhp_state);
	hax_core_exit();
	haxm_mitigations_exit();
	pr_info("haxm: unloaded\n");
}

module_init(haxm_init);
module_exit(haxm_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("haxm: a HAXM-compatible hypervisor on Intel VT-x");
MODULE_VERSION(HAXM_VERSION);
