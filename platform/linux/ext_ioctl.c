// SPDX-License-Identifier: GPL-2.0
/*
 * The VM and vCPU nodes' extension ioctls (numbers HAXM never used,
 * docs/api.md): dirty-page logging, the complete vCPU state, the in-kernel
 * local APICs and IO-APIC. Each
 * argument is read once; the core checks its fields on that copy.
 */
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "haxm_linux.h"
#include "vcpu_state.h"
#include "vapic.h"
#include "vioapic.h"
#include "vpic.h"
#include "vpit.h"

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

/* GET_IOAPIC/SET_IOAPIC: the IO-APIC's state, copied once each way. */
static long hax_ioapic_ioctl(struct vm *vm, unsigned int cmd, void __user *argp)
{
	struct hax_ioapic_state s;
	long r;

	if (cmd == HAX_VM_IOCTL_GET_IOAPIC) {
		r = vm_ioapic_get(vm, &s);
		if (!r && copy_to_user(argp, &s, sizeof(s)))
			r = -EFAULT;
		return r;
	}
	if (copy_from_user(&s, argp, sizeof(s)))
		return -EFAULT;
	return vm_ioapic_set(vm, &s);
}

/* GET_PIC/SET_PIC: the 8259A pair's state, copied once each way. */
static long hax_pic_ioctl(struct vm *vm, unsigned int cmd, void __user *argp)
{
	struct hax_pic_state s;
	long r;

	if (cmd == HAX_VM_IOCTL_GET_PIC) {
		r = vm_pic_get(vm, &s);
		if (!r && copy_to_user(argp, &s, sizeof(s)))
			r = -EFAULT;
		return r;
	}
	if (copy_from_user(&s, argp, sizeof(s)))
		return -EFAULT;
	return vm_pic_set(vm, &s);
}

/* GET_PIT/SET_PIT: the 8254's state, copied once each way. */
static long hax_pit_ioctl(struct vm *vm, unsigned int cmd, void __user *argp)
{
	struct hax_pit_state s;
	long r;

	if (cmd == HAX_VM_IOCTL_GET_PIT) {
		r = vm_pit_get(vm, &s);
		if (!r && copy_to_user(argp, &s, sizeof(s)))
			r = -EFAULT;
		return r;
	}
	if (copy_from_user(&s, argp, sizeof(s)))
		return -EFAULT;
	return vm_pit_set(vm, &s);
}

long hax_vm_ext_ioctl(struct vm *vm, unsigned int cmd, void __user *argp)
{
	struct hax_dirty_log dl;
	struct hax_lapic_enable le;
	struct hax_irq_line il;
	struct hax_msi msi;

	switch (cmd) {
	case HAX_VM_IOCTL_LAPIC_ENABLE:
		if (copy_from_user(&le, argp, sizeof(le)))
			return -EFAULT;
		return vm_lapic_enable(vm, &le);
	case HAX_VM_IOCTL_IRQ_LINE:
		if (copy_from_user(&il, argp, sizeof(il)))
			return -EFAULT;
		return vm_irq_line(vm, &il);
	case HAX_VM_IOCTL_SIGNAL_MSI:
		if (copy_from_user(&msi, argp, sizeof(msi)))
			return -EFAULT;
		return vm_signal_msi(vm, &msi);
	case HAX_VM_IOCTL_GET_IOAPIC:
	case HAX_VM_IOCTL_SET_IOAPIC:
		return hax_ioapic_ioctl(vm, cmd, argp);
	case HAX_VM_IOCTL_GET_PIC:
	case HAX_VM_IOCTL_SET_PIC:
		return hax_pic_ioctl(vm, cmd, argp);
	case HAX_VM_IOCTL_GET_PIT:
	case HAX_VM_IOCTL_SET_PIT:
		return hax_pit_ioctl(vm, cmd, argp);
	}
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

/* GET_STATE/SET_STATE: the complete vCPU state, copied once each way. */
static long hax_vcpu_state_ioctl(struct vcpu *v, unsigned int cmd, void __user *argp)
{
	struct hax_vcpu_full_state *s;
	long r;

	if (cmd == HAX_VCPU_IOCTL_GET_STATE) {
		s = kmalloc(sizeof(*s), GFP_KERNEL);
		if (!s)
			return -ENOMEM;
		r = vcpu_get_state(v, s);
		if (!r && copy_to_user(argp, s, sizeof(*s)))
			r = -EFAULT;
	} else {
		s = memdup_user(argp, sizeof(*s));
		if (IS_ERR(s))
			return PTR_ERR(s);
		r = vcpu_set_state(v, s);
	}
	kfree(s);
	return r;
}

/* GET_LAPIC/SET_LAPIC: only on a VM with in-kernel LAPICs. */
static long hax_vcpu_lapic_ioctl(struct vcpu *v, unsigned int cmd, void __user *argp)
{
	struct hax_lapic_state *s;
	long r;

	if (!v->lapic)
		return -ENOTTY;
	s = kmalloc(sizeof(*s), GFP_KERNEL);
	if (!s)
		return -ENOMEM;
	if (cmd == HAX_VCPU_IOCTL_GET_LAPIC) {
		vcpu_lapic_get(v, s);
		r = copy_to_user(argp, s, sizeof(*s)) ? -EFAULT : 0;
	} else {
		r = copy_from_user(s, argp, sizeof(*s)) ? -EFAULT : vcpu_lapic_set(v, s);
	}
	kfree(s);
	return r;
}

long hax_vcpu_ext_ioctl(struct vcpu *v, unsigned int cmd, void __user *argp)
{
	switch (cmd) {
	case HAX_VCPU_IOCTL_GET_STATE:
	case HAX_VCPU_IOCTL_SET_STATE:
		return hax_vcpu_state_ioctl(v, cmd, argp);
	case HAX_VCPU_IOCTL_GET_LAPIC:
	case HAX_VCPU_IOCTL_SET_LAPIC:
		return hax_vcpu_lapic_ioctl(v, cmd, argp);
	default:
		return -ENOTTY;
	}
}
