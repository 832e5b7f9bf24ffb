/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The kernel interfaces that changed between the kernels haxm builds for
 * (6.1 to 6.12; see tests/build/matrix.sh), each behind one name that
 * means the same on all of them.
 */
#ifndef HAXM_COMPAT_H
#define HAXM_COMPAT_H

#include <linux/device.h>
#include <linux/mm.h>
#include <linux/version.h>

/* 6.2 made struct device_type's devnode() take a const device. */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 2, 0)
#define HAX_DEVNODE_CONST const
#else
#define HAX_DEVNODE_CONST
#endif

/* 6.4 dropped class_create()'s module argument. */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 4, 0)
#define hax_class_create(name) class_create(name)
#else
#define hax_class_create(name) class_create(THIS_MODULE, name)
#endif

/* 6.3 made vma->vm_flags read-only: vm_flags_set() sets them (mmap lock held). */
static inline void hax_vm_flags_set(struct vm_area_struct *vma, vm_flags_t flags)
{
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 3, 0)
	vm_flags_set(vma, flags);
#else
	vma->vm_flags |= flags;
#endif
}

#endif /* HAXM_COMPAT_H */
