/* SPDX-License-Identifier: GPL-2.0 */
/* haxm.ko: the device nodes around the portable core. */
#ifndef HAXM_LINUX_H
#define HAXM_LINUX_H

#include <linux/fs.h>
#include <linux/kref.h>

#include "vm.h"

struct hax_vcpu_node;

/* One VM and its /dev/hax_vm/vmNN node. */
struct hax_vm_node {
	struct kref ref; /* creator's /dev/HAX fd, open VM fd, open vCPU fds */
	struct vm *vm;
	struct device *dev;
	struct mutex lock; /* vcpus[] */
	struct hax_vcpu_node *vcpus[HAX_MAX_VCPUS];
	atomic_t opened;
	struct dentry *debugfs; /* its statistics: debugfs haxm/vmNN/ */
};

/* One vCPU and its /dev/hax_vmNN/vcpuMM node. */
struct hax_vcpu_node {
	struct hax_vm_node *vmn;
	struct vcpu *vcpu;
	struct device *dev;
	atomic_t opened;
	struct dentry *debugfs; /* haxm/vmNN/vcpuMM/ */
};

int hax_nodes_init(void);
void hax_nodes_exit(void);

/*
 * hax_vm_node_create() - CREATE_VM: a VM owned by the caller's /dev/HAX fd.
 * Errors: -ENOSPC (all VM ids in use), -ENOMEM, -EBUSY (VMX taken), -EIO.
 */
int hax_vm_node_create(u32 *id);
/*
 * hax_vm_node_put_id() - drop the creator's reference of VM @id.
 * Errors: -ENOENT (no such VM).
 */
int hax_vm_node_put_id(u32 id);
/* hax_vm_count() - VMs alive now; the module refuses to unload while > 0. */
int hax_vm_count(void);

/*
 * debugfs.c: /sys/kernel/debug/haxm/ with the live-object counters and the
 * exit statistics (module-wide, per VM, per vCPU). Failures to create files
 * are ignored: the module works without debugfs. A VM's directory goes
 * before its VM, a vCPU's before its vCPU (hax_debugfs_*_remove() wait for
 * readers).
 */
void hax_debugfs_init(void);
void hax_debugfs_exit(void);
void hax_debugfs_vm_add(struct hax_vm_node *vmn);
void hax_debugfs_vm_remove(struct hax_vm_node *vmn);
void hax_debugfs_vcpu_add(struct hax_vm_node *vmn, struct hax_vcpu_node *vn);
void hax_debugfs_vcpu_remove(struct hax_vcpu_node *vn);

/*
 * hax_vm_ext_ioctl() - a VM node ioctl HAXM never had (ext_ioctl.c):
 * dirty-page logging. -ENOTTY for a number it does not know either.
 */
long hax_vm_ext_ioctl(struct vm *vm, unsigned int cmd, void __user *argp);
/*
 * hax_vcpu_ext_ioctl() - a vCPU node ioctl HAXM never had (ext_ioctl.c),
 * with the vCPU's lock held: the complete vCPU state, GET_LAPIC/SET_LAPIC.
 * -ENOTTY for any other number, and for the LAPIC ones on a VM without
 * in-kernel LAPICs.
 */
long hax_vcpu_ext_ioctl(struct vcpu *v, unsigned int cmd, void __user *argp);

#endif /* HAXM_LINUX_H */
