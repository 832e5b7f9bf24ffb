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
};

/* One vCPU and its /dev/hax_vmNN/vcpuMM node. */
struct hax_vcpu_node {
	struct hax_vm_node *vmn;
	struct vcpu *vcpu;
	struct device *dev;
	atomic_t opened;
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

#endif /* HAXM_LINUX_H */
