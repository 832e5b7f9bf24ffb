// SPDX-License-Identifier: GPL-2.0
/*
 * The entry/exit mitigations (platform/linux/mitigate.c, vmenter.S): what
 * the module chose and says it chose, and that what is on is done where it
 * must be: per entry (VERW, RSB, SPEC_CTRL, BHB), per VMCS switch (IBPB),
 * per RUN or after host code (L1D flush, IBPB before user space). The
 * testbed kernel takes Bochs' CPU for one affected by MDS, Spectre v2 and
 * L1TF (it reports no ARCH_CAPABILITIES): the 1-CPU boot runs what it chose
 * (VERW, RSB, L1D flush), the 2-CPU boot with force_mitigations=1 all the
 * CPU can run (not IBPB or SPEC_CTRL: Bochs has neither MSR).
 */
#include <fcntl.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "harness.h"

#define MIT_PARAM "/sys/module/haxm/parameters/mitigations"
#define MIT_FORCE "/sys/module/haxm/parameters/force_mitigations"
#define MIT_DONE  "/sys/kernel/debug/haxm/mitigations"

enum { M_VERW, M_RSB, M_RSB_LITE, M_SPEC_CTRL, M_BHB, M_IBPB, M_L1D, M_IBPB_USER, M_COUNT };
static const char *const mit_names[M_COUNT] = {
	"verw", "rsb", "rsb_lite", "spec_ctrl", "bhb", "ibpb", "l1d", "ibpb_user",
};

struct mit_state {
	bool on[M_COUNT];
	unsigned long long done[M_COUNT];
};

static int read_file(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return fail("%s: %s", path, strerror(errno));
	n = read(fd, buf, len - 1);
	close(fd);
	if (n < 0)
		return fail("%s: %s", path, strerror(errno));
	buf[n] = '\0';
	return 0;
}

/* debugfs haxm/mitigations: "name on|off count" in mit_names' order. */
static int mit_read(struct mit_state *s)
{
	char buf[1024], name[32], on[8], *p = buf;
	int i, used;

	if (read_file(MIT_DONE, buf, sizeof(buf)))
		return 1;
	for (i = 0; i < M_COUNT; i++) {
		if (sscanf(p, "%31s %7s %llu\n%n", name, on, &s->done[i], &used) != 3 ||
		    strcmp(name, mit_names[i]))
			return fail("%s line %d: \"%.40s\"", MIT_DONE, i, p);
		s->on[i] = !strcmp(on, "on");
		p += used;
	}
	return 0;
}

static bool forced(void)
{
	char buf[8];

	return !read_file(MIT_FORCE, buf, sizeof(buf)) && buf[0] == 'Y';
}

/* Whether the kernel's report of @bug mentions @text (a missing file: no). */
static bool vuln_says(const char *bug, const char *text)
{
	char path[128], buf[512];
	int fd;
	ssize_t n;

	snprintf(path, sizeof(path), "/sys/devices/system/cpu/vulnerabilities/%s", bug);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	buf[n > 0 ? n : 0] = '\0';
	return strstr(buf, text) != NULL;
}

/*
 * The choice, as the module reports it: one line per mitigation with its
 * reason, on exactly when the host kernel has it on (its own report in
 * /sys/devices/system/cpu/vulnerabilities agrees) or, forced, when the CPU
 * can run it.
 */
TEST(mitigations_reported)
{
	char buf[2048], name[32], on[8], why[128], *p = buf;
	bool host[M_COUNT] = { false };
	struct mit_state s;
	bool force = forced(), is_on, host_why;
	int i, used;

	host[M_VERW] = vuln_says("mds", "Clear CPU buffers") ||
		       vuln_says("tsx_async_abort", "Clear CPU buffers") ||
		       vuln_says("mmio_stale_data", "Clear CPU buffers") ||
		       vuln_says("reg_file_data_sampling", "Clear CPU buffers");
	host[M_RSB] = vuln_says("spectre_v2", "RSB filling");
	host[M_L1D] = !vuln_says("l1tf", "Not affected");
	if (read_file(MIT_PARAM, buf, sizeof(buf)) || mit_read(&s))
		return 1;
	for (i = 0; i < M_COUNT; i++) {
		if (sscanf(p, "%31s %7s %127[^\n]\n%n", name, on, why, &used) != 3 ||
		    strcmp(name, mit_names[i]))
			return fail("%s line %d: \"%.60s\"", MIT_PARAM, i, p);
		p += used;
		is_on = !strcmp(on, "on");
		host_why = !strncmp(why, "on (", 4);
		if (s.on[i] != is_on)
			return fail("%s: parameter says %s, debugfs the other", name, on);
		if (is_on != (host_why || !strncmp(why, "forced", 6)))
			return fail("%s %s: %s", name, on, why);
		if (!force && !strncmp(why, "forced", 6))
			return fail("%s %s without force_mitigations", name, why);
		if (force && !is_on && !strstr(why, "unavailable") && !strstr(why, "covered"))
			return fail("%s off though forced: %s", name, why);
		if ((i == M_VERW || i == M_RSB || i == M_L1D) && host_why != host[i])
			return fail("%s: %s, but the kernel's report says %s", name, why,
				    host[i] ? "on" : "off");
	}
	CHECK(*p == '\0');
	/* forced: at least the ones every CPU can run */
	if (force)
		CHECK(s.on[M_VERW] && s.on[M_RSB] && s.on[M_BHB] && s.on[M_L1D]);
	return 0;
}

/* 100 CPUIDs (exits handled in the kernel), then an OUT to user space. */
GUEST_CODE(g_mit_loop, ".code16\n"
		       "1: mov $100, %si\n"
		       "2: xor %eax, %eax\n cpuid\n dec %si\n jnz 2b\n"
		       " xor %al, %al\n out %al, $0x80\n jmp 1b\n");

#define MIT_RUNS 20

/*
 * Per entry: the VERW, RSB, SPEC_CTRL and BHB work happens on every one of
 * the 101 entries of a RUN while on, never while off; the L1D flush at
 * least once a RUN (the first entry follows user space) while on; the IBPB
 * for user space once a RUN.
 */
VM_TEST(mitigations_done_per_entry, 64 << 10)
{
	static const int per_entry[] = { M_VERW, M_RSB, M_RSB_LITE, M_SPEC_CTRL, M_BHB };
	struct mit_state a, b;
	unsigned long long d;
	int i, run;

	if (pin_to(0) || vm_load_real(c, 0x1000, g_mit_loop_start, g_mit_loop_end) || mit_read(&a))
		return 1;
	for (run = 0; run < MIT_RUNS; run++)
		if (expect_out(c, 0x80, 1, 0))
			return 1;
	if (mit_read(&b))
		return 1;
	/* Other VMs may run meanwhile (none in this suite): at least ours. */
	for (i = 0; i < (int)(sizeof(per_entry) / sizeof(per_entry[0])); i++) {
		d = b.done[per_entry[i]] - a.done[per_entry[i]];
		if (b.on[per_entry[i]] && d < MIT_RUNS * 101ULL)
			return fail("%s: %llu times in %d entries", mit_names[per_entry[i]], d,
				    MIT_RUNS * 101);
		if (!b.on[per_entry[i]] && d)
			return fail("%s off but done %llu times", mit_names[per_entry[i]], d);
	}
	d = b.done[M_L1D] - a.done[M_L1D];
	if (b.on[M_L1D] ? d < MIT_RUNS : d != 0)
		return fail("l1d flushes: %llu in %d RUNs (%s)", d, MIT_RUNS,
			    b.on[M_L1D] ? "on" : "off");
	d = b.done[M_IBPB_USER] - a.done[M_IBPB_USER];
	if (b.on[M_IBPB_USER] ? d < MIT_RUNS : d != 0)
		return fail("ibpb_user: %llu in %d RUNs (%s)", d, MIT_RUNS,
			    b.on[M_IBPB_USER] ? "on" : "off");
	return 0;
}

/*
 * IBPB when another VMCS becomes current: two vCPUs taking turns on one
 * CPU switch VMCS at every RUN; one vCPU alone never does.
 */
VM_TEST(mitigations_ibpb_on_vmcs_switch, 64 << 10)
{
	struct hax_tunnel *t1;
	struct mit_state a, b, e;
	int fd1, run, r = 1;
	vcpu_state_t s;
	void *io1;

	if (pin_to(0) || vm_load_real(c, 0x1000, g_mit_loop_start, g_mit_loop_end))
		return 1;
	CHECK_OK(hax_create_vcpu(c->vm_fd, 1));
	CHECK_OK(fd1 = hax_open_vcpu(c->vm_id, 1));
	if (hax_setup_tunnel(fd1, &t1, &io1)) {
		close(fd1);
		return fail("SETUP_TUNNEL: %s", strerror(errno));
	}
	/* vCPU 1 never runs; creating it made its VMCS current once. */
	if (expect_out(c, 0x80, 1, 0) || mit_read(&a))
		goto out;
	for (run = 0; run < MIT_RUNS; run++)
		if (expect_out(c, 0x80, 1, 0))
			goto out;
	if (mit_read(&e))
		goto out;
	for (run = 0; run < MIT_RUNS; run++) {
		if (expect_out(c, 0x80, 1, 0))
			goto out;
		/* vCPU 1's VMCS current here (GET_REGS reads it), then vCPU 0's */
		if (hax_get_regs(fd1, &s)) {
			fail("GET_REGS of vCPU 1: %s", strerror(errno));
			goto out;
		}
	}
	if (mit_read(&b))
		goto out;
	if (e.done[M_IBPB] != a.done[M_IBPB]) {
		fail("ibpb: %llu with one vCPU on the CPU", e.done[M_IBPB] - a.done[M_IBPB]);
		goto out;
	}
	if (b.on[M_IBPB] ? b.done[M_IBPB] - e.done[M_IBPB] < 2 * MIT_RUNS
			 : b.done[M_IBPB] != e.done[M_IBPB]) {
		fail("ibpb: %llu in %d switches (%s)", b.done[M_IBPB] - e.done[M_IBPB],
		     2 * MIT_RUNS, b.on[M_IBPB] ? "on" : "off");
		goto out;
	}
	r = 0;
out:
	munmap(t1, 2 * 4096);
	close(fd1);
	return r;
}
