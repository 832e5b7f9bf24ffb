/* SPDX-License-Identifier: GPL-2.0 */
/* Knobs and counters of the user-space os.h (tests/unit/os_user.c). */
#ifndef HAXM_UNIT_OS_USER_H
#define HAXM_UNIT_OS_USER_H

#include "os.h"

struct os_user {
	int log_level;		     /* print core messages up to this level (0: none) */
	long fail_alloc_after;	     /* allocations succeed this many times; -1: always */
	long allocs;		     /* allocations so far */
	long live_allocs;	     /* os_zalloc() blocks not freed */
	long live_pages;	     /* os_page_alloc() pages not freed */
	long pinned;		     /* user pages pinned now */
	long pin_calls;		     /* os_pin_user_page(s)() calls */
	bool (*pin_fault)(u64 page); /* true: pinning @page fails with -EFAULT */
	bool (*huge)(u64 page);	     /* true: @page lies in a 2 MiB host page */
	int preempt_depth;
	bool cr4_vmxe;
	long traced[OS_TRACE_NR]; /* os_trace_*() calls, by event */
};

extern struct os_user os_user;

/* os_user_waker_expiry() - what @w was last armed at (os_waker_arm(); 0: cancelled). */
u64 os_user_waker_expiry(const struct os_waker *w);

/* Reset all counters and knobs to "everything succeeds". */
static inline void os_user_reset(void)
{
	struct os_user fresh = { .fail_alloc_after = -1 };

	os_user = fresh;
}

#endif /* HAXM_UNIT_OS_USER_H */
