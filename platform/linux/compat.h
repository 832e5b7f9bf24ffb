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

/*
 * Syscore callbacks: kernels with struct syscore (Debian's 6.12.118 has it;
 * Kbuild finds register_syscore() in the headers and defines
 * HAX_SYSCORE_DATA) pass a data pointer and register a struct syscore
 * around the ops; older ones register the ops themselves.
 */
#ifdef HAX_SYSCORE_DATA
#define HAX_SYSCORE_ARG		       void *data
#define HAX_SYSCORE_OPS_CONST	       const
#define HAX_SYSCORE_DEFINE(name, ops_) static struct syscore name = { .ops = &ops_ }
#define hax_register_syscore(s)	       register_syscore(s)
#define hax_unregister_syscore(s)      unregister_syscore(s)
#else
#define HAX_SYSCORE_ARG void
#define HAX_SYSCORE_OPS_CONST
#define HAX_SYSCORE_DEFINE(name, ops_) static struct syscore_ops *const name = &ops_
#define hax_register_syscore(s)	       register_syscore_ops(*(s))
#define hax_unregister_syscore(s)      unregister_syscore_ops(*(s))
#endif

#endif /* HAXM_COMPAT_H */
