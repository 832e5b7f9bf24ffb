// SPDX-License-Identifier: GPL-2.0
/*
 * PAUSE-loop exiting (core/vmx/caps.h, SDM 25.6.13 and 26.1.3): a guest at
 * CPL 0 spinning on PAUSE for longer than the module's ple_window exits
 * (exit reason PAUSE), its thread yields, and the guest goes on where it
 * was, the PAUSE done; a short spin does not exit. Seen through the
 * vCPU's exit statistics (debugfs) and the guest's registers.
 */
#include <stdlib.h>

#include "harness.h"

#define STATS "/sys/kernel/debug/haxm"

static unsigned long ple_window(void)
{
	char *s = read_all("/sys/module/haxm/parameters/ple_window");
	unsigned long w = s ? strtoul(s, NULL, 10) : 0;

	free(s);
	return w;
}

/* ECX iterations of PAUSE; then ECX (0) and a marker out, HLT. */
GUEST_CODE(g_ple_spin, ".code16\n"
		       "1: pause\n addr32 loop 1b\n"
		       "mov $0x5a, %al\n out %al, $0x90\n hlt\n");

static int spin(struct vm_ctx *c, uint32_t iterations, uint64_t *exits)
{
	char dir[96];
	vcpu_state_t s;

	if (vm_load_real(c, 0x1000, g_ple_spin_start, g_ple_spin_end))
		return 1;
	CHECK_OK(hax_get_regs(c->vcpu_fd, &s));
	s._regs[HAX_REG_RCX] = iterations;
	CHECK_OK(hax_set_regs(c->vcpu_fd, &s));
	if (expect_out(c, 0x90, 1, 0x5a) || expect_exit(c, HAX_EXIT_HLT))
		return 1;
	CHECK_OK(hax_get_regs(c->vcpu_fd, &s));
	CHECK_EQ((uint32_t)s._regs[HAX_REG_RCX], 0);
	snprintf(dir, sizeof(dir), STATS "/vm%02u/vcpu00", c->vm_id);
	return stat_reason(dir, "PAUSE", exits);
}

/*
 * 200000 PAUSEs, two instructions apart: about 400000 TSC ticks, a hundred
 * windows of 4096. Each exit skips one PAUSE, so the loop still ends with
 * ECX 0 after exactly its iterations.
 */
VM_TEST(ple_long_spin_exits, 64 << 10)
{
	uint64_t n;

	if (!ple_window())
		return skip("haxm loaded with ple_window=0");
	if (spin(c, 200000, &n))
		return 1;
	printf("ple_long_spin_exits: %llu PAUSE exits, window %lu\n", (unsigned long long)n,
	       ple_window());
	CHECK(n >= 10);
	CHECK(n <= 200000);
	return 0;
}

/* 100 PAUSEs stay inside one window: no exit. */
VM_TEST(ple_short_spin_stays, 64 << 10)
{
	uint64_t n;

	if (spin(c, 100, &n))
		return 1;
	CHECK_EQ(n, 0);
	return 0;
}
