// SPDX-License-Identifier: GPL-2.0
/*
 * The VM node's extension ioctls (numbers HAXM never used, docs/api.md):
 * dirty-page logging; and the vCPU node's: the complete vCPU state. Each
 * argument is read once; the core checks its fields on that copy.
 */
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "haxm_linux.h"
#include "vcpu_state.h"

/* DIRTY_LOG_GET: the bitmap to user space, or back into the log when it cannot go. */
static long hax_dirty_get(struct vm *vm, const struct hax_dirty_log *a)
{
	void __user *ubits = u64_to_user_ptr(a->bitmap);
	u64 bytes = HAX_DIRTY_LOG_WORDS(a->size) * sizeof(u64), *bits;
	long r;

	if (!a->bitmap)
		return -EFAULT;
	r = vm_dirty_fetch(vm, a, &bits);
	if (r)
		return r;
	/* a fault writing the bitmap loses nothing: the next GET has the pages */
	if (copy_to_user(ubits, bits, bytes)) {
		vm_dirty_unfetch(vm, a, bits);
		r = -EFAULT;
	}
	os_free(bits);
	return r;
}

long hax_vm_ext_ioctl(struct vm *vm, unsigned int cmd, void __user *argp)
{
	struct hax_dirty_log dl;

	switch (cmd) {
	case HAX_VM_IOCTL_DIRTY_LOG_START:
	case HAX_VM_IOCTL_DIRTY_LOG_GET:
	case HAX_VM_IOCTL_DIRTY_LOG_STOP:
		if (copy_from_user(&dl, argp, sizeof(dl)))
			return -EFAULT;
		break;
	default:
		return -ENOTTY;
	}
	switch (cmd) {
	case HAX_VM_IOCTL_DIRTY_LOG_START:
		return vm_dirty_start(vm, &dl);
	case HAX_VM_IOCTL_DIRTY_LOG_GET:
		return hax_dirty_get(vm, &dl);
	default:
		return vm_dirty_stop(vm, &dl);
	}
}

long hax_vcpu_ext_ioctl(struct vcpu *v, unsigned int cmd, void __user *argp)
{
	struct hax_vcpu_full_state *s;
	long r;

	switch (cmd) {
	case HAX_VCPU_IOCTL_GET_STATE:
		s = kmalloc(sizeof(*s), GFP_KERNEL);
		if (!s)
			return -ENOMEM;
		r = vcpu_get_state(v, s);
		if (!r && copy_to_user(argp, s, sizeof(*s)))
			r = -EFAULT;
		break;
	case HAX_VCPU_IOCTL_SET_STATE:
		s = memdup_user(argp, sizeof(*s));
		if (IS_ERR(s))
			return PTR_ERR(s);
		r = vcpu_set_state(v, s);
		break;
	default:
		return -ENOTTY;
	}
	kfree(s);
	return r;
}
