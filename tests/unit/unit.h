/* SPDX-License-Identifier: GPL-2.0 */
/* Common includes of the core unit tests (cmocka over tests/unit/os_user.c). */
#ifndef HAXM_UNIT_UNIT_H
#define HAXM_UNIT_UNIT_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "os_user.h"

/* Per-test setup: fresh os_user counters, everything succeeding. */
static inline int unit_setup(void **state)
{
	(void)state;
	os_user_reset();
	return 0;
}

/* Per-test teardown: the core freed all it allocated and unpinned all. */
static inline int unit_teardown(void **state)
{
	(void)state;
	assert_int_equal(os_user.live_allocs, 0);
	assert_int_equal(os_user.live_pages, 0);
	assert_int_equal(os_user.pinned, 0);
	assert_int_equal(os_user.preempt_depth, 0);
	return 0;
}

#define UNIT_TEST(f) cmocka_unit_test_setup_teardown(f, unit_setup, unit_teardown)

#endif /* HAXM_UNIT_UNIT_H */
