/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Module-wide counters of live objects, for tests and leak checks: each
 * returns to its value before a VM was created once the VM is gone. The
 * platform exposes them (Linux: /sys/kernel/debug/haxm/<name>).
 */
#ifndef HAXM_CORE_STATS_H
#define HAXM_CORE_STATS_H

#include "os.h"

struct hax_counters {
	u64 vms;	  /* VMs alive */
	u64 vcpus;	  /* vCPUs alive */
	u64 pinned_pages; /* guest RAM pages pinned */
	u64 kernel_pages; /* pages from os_page_alloc() not freed */
	u64 allocations;  /* os_zalloc() blocks not freed */
	u64 huge_pages;	  /* 2 MiB EPT mappings present */
};

extern struct hax_counters hax_counters;

/* hax_count() - add @delta to counter @c (any thread, any context). */
static inline void hax_count(u64 *c, s64 delta)
{
	__atomic_add_fetch(c, (u64)delta, __ATOMIC_RELAXED);
}

#endif /* HAXM_CORE_STATS_H */
