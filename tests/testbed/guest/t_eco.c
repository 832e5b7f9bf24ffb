// SPDX-License-Identifier: GPL-2.0
/*
 * Observability: log levels and rate limiting (dmesg through /dev/kmsg),
 * trace events (tracefs), exit statistics (debugfs) and `haxm stat`.
 */
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"

#define LOG_LEVEL "/sys/module/haxm/parameters/log_level"
#define TRACEFS	  "/sys/kernel/tracing"
#define STATS	  "/sys/kernel/debug/haxm"

/* ---- helpers ---------------------------------------------------------------- */

static int write_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_TRUNC);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = write(fd, text, strlen(text));
	close(fd);
	return n == (ssize_t)strlen(text) ? 0 : -1;
}

static int read_level(void)
{
	char *s = read_all(LOG_LEVEL);
	int v = s ? atoi(s) : -1;

	free(s);
	return v;
}

static int set_level(int level)
{
	char buf[8];

	snprintf(buf, sizeof(buf), "%d\n", level);
	CHECK_OK(write_file(LOG_LEVEL, buf));
	CHECK_EQ(read_level(), level);
	return 0;
}

/* The kernel log from now on: /dev/kmsg positioned at its end. */
static int kmsg_open(void)
{
	int fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK);

	if (fd >= 0)
		lseek(fd, 0, SEEK_END);
	return fd;
}

/* How many records since kmsg_open() contain @needle; closes @fd. */
static int kmsg_count(int fd, const char *needle)
{
	char rec[2048];
	int count = 0;
	ssize_t n;

	while ((n = read(fd, rec, sizeof(rec) - 1)) > 0 || (n < 0 && errno == EPIPE)) {
		if (n <= 0)
			continue; /* EPIPE: records overwritten; read on */
		rec[n] = 0;
		if (strstr(rec, needle))
			count++;
	}
	close(fd);
	return count;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* ---- log levels ------------------------------------------------------------- */

TEST(log_level_param_validated)
{
	int old = read_level();

	CHECK_EQ(old, 3); /* the default: info */
	CHECK_ERRNO(write_file(LOG_LEVEL, "0"), EINVAL);
	CHECK_ERRNO(write_file(LOG_LEVEL, "6"), EINVAL);
	CHECK_ERRNO(write_file(LOG_LEVEL, "debug"), EINVAL);
	CHECK_EQ(read_level(), 3);
	if (set_level(5) || set_level(1) || set_level(3))
		return 1;
	return 0;
}

/* Debug-level messages (VM created/destroyed) appear only at level 4 and up. */
TEST(log_level_debug_on_vm_create)
{
	char needle[32];
	uint32_t id;
	int fd, kfd, r = 0, quiet, loud;

	CHECK_OK(fd = hax_open_system());
	for (int level = 3; level <= 4 && !r; level++) {
		if (set_level(level))
			return 1;
		CHECK_OK(kfd = kmsg_open());
		CHECK_OK(hax_create_vm(fd, &id));
		CHECK_OK(hax_destroy_vm(fd, id));
		snprintf(needle, sizeof(needle), "haxm: vm%u: created", id);
		if (level == 3)
			quiet = kmsg_count(kfd, needle);
		else
			loud = kmsg_count(kfd, needle);
	}
	close(fd);
	if (set_level(3))
		return 1;
	CHECK_EQ(quiet, 0);
	CHECK_EQ(loud, 1);
	return 0;
}

/* Real mode with an empty IDT: INT3 cannot be delivered, #GP neither, #DF neither. */
GUEST_CODE(g_eco_triple, ".code16\n"
			 "xor %ax, %ax\n mov %ax, %ds\n"
			 "lidt 0x500\n" /* six zero bytes: limit 0 */
			 "int3\n hlt\n");

static int triple_fault(struct vm_ctx *c)
{
	if (vm_load_real(c, 0x1000, g_eco_triple_start, g_eco_triple_end))
		return 1;
	return expect_exit(c, HAX_EXIT_STATECHANGE);
}

/*
 * A triple fault logs a warning: not at level 1, at level 2 -- rate limited
 * (10 per 5 s, shared by all guest-triggered messages), so a guest cannot
 * flood the log.
 */
VM_TEST(log_level_warning_ratelimited, 64 << 10)
{
	const char *needle = "guest stopped, exit reason 2";
	int kfd, n, tries = 0;
	double t0, t;

	if (set_level(1))
		return 1;
	CHECK_OK(kfd = kmsg_open());
	for (int i = 0; i < 5; i++)
		if (triple_fault(c))
			return 1;
	n = kmsg_count(kfd, needle);
	if (set_level(2))
		return 1;
	CHECK_EQ(n, 0);
	/*
	 * Fault for 5.5 s: earlier tests may have spent the current window's
	 * budget, but a new window starts within 5 s.
	 */
	CHECK_OK(kfd = kmsg_open());
	t0 = now_s();
	do {
		if (triple_fault(c))
			return 1;
		tries++;
	} while (now_s() - t0 < 5.5);
	t = now_s() - t0;
	n = kmsg_count(kfd, needle);
	if (set_level(3))
		return 1;
	printf("log_level_warning_ratelimited: %d warnings for %d triple faults in %.1f s\n", n,
	       tries, t);
	CHECK(n >= 1);
	/* At most 10 per window of 5 s; the 5.5 s touch at most 3 windows. */
	if (n > 10 * ((int)(t / 5) + 2))
		return fail("%d warnings in %.1f s: not rate limited", n, t);
	CHECK(n < tries);
	return 0;
}

/* ---- trace events ------------------------------------------------------------ */

static int tracefs_ready(void)
{
	if (access(TRACEFS "/events", F_OK))
		mount("tracefs", TRACEFS, "tracefs", 0, NULL);
	CHECK_OK(access(TRACEFS "/events/haxm", F_OK));
	return 0;
}

static int trace_start(void)
{
	if (tracefs_ready())
		return 1;
	CHECK_OK(write_file(TRACEFS "/tracing_on", "0"));
	CHECK_OK(write_file(TRACEFS "/trace", ""));
	CHECK_OK(write_file(TRACEFS "/buffer_size_kb", "1024"));
	CHECK_OK(write_file(TRACEFS "/events/haxm/enable", "1"));
	CHECK_OK(write_file(TRACEFS "/tracing_on", "1"));
	return 0;
}

/* Stop tracing and return the trace (malloc'ed) in *@out. */
static int trace_stop(char **out)
{
	CHECK_OK(write_file(TRACEFS "/tracing_on", "0"));
	CHECK_OK(write_file(TRACEFS "/events/haxm/enable", "0"));
	*out = read_all(TRACEFS "/trace");
	CHECK(*out != NULL);
	return 0;
}

/* The trace has a line with all of @parts (NULL-terminated), in order. */
static bool trace_has(const char *trace, const char *const *parts)
{
	const char *line = trace;

	while (line && *line) {
		const char *end = strchr(line, '\n'), *p = line;
		int i;

		for (i = 0; parts[i] && p; i++) {
			p = strstr(p, parts[i]);
			if (p && end && p > end)
				p = NULL;
			if (p)
				p += strlen(parts[i]);
		}
		if (!parts[i] && p)
			return true;
		line = end ? end + 1 : NULL;
	}
	return false;
}

#define TRACE_EXPECT(trace, ...)                                                     \
	do {                                                                         \
		const char *const _parts[] = { __VA_ARGS__, NULL };                  \
		if (!trace_has(trace, _parts))                                       \
			return fail("no trace line with: %s ... %s", _parts[0],      \
				    _parts[sizeof(_parts) / sizeof(_parts[0]) - 2]); \
	} while (0)

TEST(trace_events_listed)
{
	static const char *const events[] = { "haxm_entry", "haxm_exit",   "haxm_io",
					      "haxm_mmio",  "haxm_inject", "haxm_ept_fault" };
	char path[128];
	size_t i;

	if (tracefs_ready())
		return 1;
	for (i = 0; i < sizeof(events) / sizeof(events[0]); i++) {
		snprintf(path, sizeof(path), TRACEFS "/events/haxm/%s/format", events[i]);
		CHECK_OK(access(path, R_OK));
	}
	return 0;
}

/* OUT 0x1234 to port 0x80, then HLT, the code at 0x1000 faulted in by EPT. */
GUEST_CODE(g_eco_out_hlt, ".code16\n"
			  "mov $0x1234, %ax\n out %ax, $0x80\n"
			  "hlt\n");

VM_TEST(trace_out_hlt, 64 << 10)
{
	char *trace, vm[32];
	int r;

	if (vm_load_real(c, 0x1000, g_eco_out_hlt_start, g_eco_out_hlt_end) || trace_start())
		return 1;
	r = expect_out(c, 0x80, 2, 0x1234) || expect_exit(c, HAX_EXIT_HLT);
	if (trace_stop(&trace) || r)
		return 1;
	snprintf(vm, sizeof(vm), "vm %u vcpu 0 ", c->vm_id);
	r = 0;
	do {
		TRACE_EXPECT(trace, "haxm_entry: ", vm, "rip 0x1000");
		TRACE_EXPECT(trace, "haxm_ept_fault: ", vm, "gpa 0x1000 ", "access ", "x");
		TRACE_EXPECT(trace, "haxm_exit: ", vm, "reason EPT_VIOLATION", "rip 0x1000");
		TRACE_EXPECT(trace, "haxm_io: ", vm, "out port 0x80 size 2 value 0x1234");
		/* SDM Table 28-5: size-1 = 1, immediate operand (bit 6), port 0x80 */
		TRACE_EXPECT(trace, "haxm_exit: ", vm, "reason IO qual 0x800041 rip 0x1003");
		TRACE_EXPECT(trace, "haxm_exit: ", vm, "reason HLT", "rip 0x1005");
	} while (0);
	free(trace);
	return r;
}

/* VMCALL raises #UD; its handler at IVT[6] reports through OUT. */
GUEST_CODE(g_eco_ud, ".code16\n"
		     "xor %ax, %ax\n mov %ax, %ds\n"
		     "movw $0x1100, 0x18\n movw $0, 0x1a\n"
		     "vmcall\n hlt\n");
GUEST_CODE(g_eco_ud_handler, ".code16\n mov $0x66, %al\n out %al, $0x81\n hlt\n");

VM_TEST(trace_inject_ud, 64 << 10)
{
	char *trace, vm[32];
	int r;

	if (vm_load_real(c, 0x1000, g_eco_ud_start, g_eco_ud_end))
		return 1;
	memcpy(c->ram + 0x1100, g_eco_ud_handler_start,
	       g_eco_ud_handler_end - g_eco_ud_handler_start);
	if (trace_start())
		return 1;
	r = expect_out(c, 0x81, 1, 0x66);
	if (trace_stop(&trace) || r)
		return 1;
	snprintf(vm, sizeof(vm), "vm %u vcpu 0 ", c->vm_id);
	r = 0;
	do {
		TRACE_EXPECT(trace, "haxm_exit: ", vm, "reason VMCALL");
		TRACE_EXPECT(trace, "haxm_inject: ", vm, "vector 6 type exception has_error 0");
	} while (0);
	free(trace);
	return r;
}

/* A read from 0x100000, past the 64 KiB of RAM: MMIO. */
GUEST_CODE(g_eco_mmio, ".code16\n"
		       "mov $0xffff, %ax\n mov %ax, %ds\n"
		       "mov 0x10, %al\n hlt\n");

VM_TEST(trace_mmio, 64 << 10)
{
	char *trace, vm[32];
	int r;

	if (vm_load_real(c, 0x1000, g_eco_mmio_start, g_eco_mmio_end) || trace_start())
		return 1;
	/* What follows the access is the MMIO emulator's business, not this test's. */
	r = vm_run(c);
	if (trace_stop(&trace) || r)
		return 1;
	snprintf(vm, sizeof(vm), "vm %u vcpu 0 ", c->vm_id);
	r = 0;
	do {
		TRACE_EXPECT(trace, "haxm_ept_fault: ", vm, "gpa 0x100000 ", "access r");
		TRACE_EXPECT(trace, "haxm_mmio: ", vm, "gpa 0x100000 access r");
	} while (0);
	free(trace);
	return r;
}

/* ---- statistics --------------------------------------------------------------- */

static int stat_u64(const char *dir, const char *name, uint64_t *v)
{
	char path[160], *s;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	s = read_all(path);
	if (!s)
		return fail("%s: %s", path, strerror(errno));
	*v = strtoull(s, NULL, 10);
	free(s);
	return 0;
}

#define N_OUTS 50
/* N_OUTS OUTs of 1..N_OUTS to port 0x90, then HLT. */
GUEST_CODE(g_eco_outs, ".code16\n"
		       "mov $1, %al\n"
		       "1: out %al, $0x90\n inc %al\n cmp $51, %al\n jne 1b\n"
		       "hlt\n");

VM_TEST(stats_io_exits_counted, 64 << 10)
{
	uint64_t io0, mod_io0, io, mod_io, vm_io, exits, vm_exits, to_user, ns;
	char vm[64], vcpu[128];

	snprintf(vm, sizeof(vm), STATS "/vm%02u", c->vm_id);
	snprintf(vcpu, sizeof(vcpu), "%s/vcpu00", vm);
	if (stat_reason(vcpu, "IO", &io0) || stat_reason(STATS, "IO", &mod_io0))
		return 1;
	CHECK_EQ(io0, 0);
	if (vm_load_real(c, 0x1000, g_eco_outs_start, g_eco_outs_end))
		return 1;
	for (int i = 1; i <= N_OUTS; i++)
		if (expect_out(c, 0x90, 1, i))
			return 1;
	if (expect_exit(c, HAX_EXIT_HLT))
		return 1;
	if (stat_reason(vcpu, "IO", &io) || stat_reason(vm, "IO", &vm_io) ||
	    stat_reason(STATS, "IO", &mod_io) || stat_u64(vcpu, "exits", &exits) ||
	    stat_u64(vm, "exits", &vm_exits) || stat_u64(vcpu, "exits_to_user", &to_user) ||
	    stat_u64(vcpu, "guest_ns", &ns))
		return 1;
	CHECK_EQ(io, N_OUTS);
	CHECK_EQ(vm_io, N_OUTS);
	CHECK_EQ(mod_io - mod_io0, N_OUTS);
	CHECK_EQ(to_user, N_OUTS + 1);
	CHECK_EQ(vm_exits, exits);
	CHECK(exits >= N_OUTS + 1); /* plus EPT violations, timer exits */
	CHECK(ns > 0);
	return 0;
}

/* `haxm stat --once` for the VM shows the same counts. */
VM_TEST(stats_haxm_stat_once, 64 << 10)
{
	char cmd[96], line[256];
	bool io = false, hlt = false, title = false;
	FILE *p;

	if (vm_load_real(c, 0x1000, g_eco_outs_start, g_eco_outs_end))
		return 1;
	for (int i = 1; i <= N_OUTS; i++)
		if (expect_out(c, 0x90, 1, i))
			return 1;
	if (expect_exit(c, HAX_EXIT_HLT))
		return 1;
	snprintf(cmd, sizeof(cmd), "./haxm stat --once --vm %u --vcpu 0", c->vm_id);
	p = popen(cmd, "r");
	CHECK(p != NULL);
	while (fgets(line, sizeof(line), p)) {
		unsigned long long n;
		char name[32];

		fputs(line, stdout);
		if (strstr(line, "haxm: VM") && strstr(line, "vCPU 0"))
			title = true;
		if (sscanf(line, " %31s %llu", name, &n) == 2) {
			if (!strcmp(name, "IO"))
				io = n == N_OUTS;
			if (!strcmp(name, "HLT"))
				hlt = n == 1;
		}
	}
	CHECK_EQ(pclose(p), 0);
	CHECK(title);
	CHECK(io);
	CHECK(hlt);
	return 0;
}

/* A VM's statistics directory lives as long as the VM. */
TEST(stats_dirs_follow_vms)
{
	struct vm_ctx c;
	char vm[64], vcpu[128];
	uint32_t id;
	int r = vm_setup(&c, 64 << 10);

	id = c.vm_id;
	snprintf(vm, sizeof(vm), STATS "/vm%02u", id);
	snprintf(vcpu, sizeof(vcpu), "%s/vcpu00/exit_reasons", vm);
	if (!r && access(vcpu, R_OK))
		r = fail("%s: %s", vcpu, strerror(errno));
	vm_teardown(&c);
	if (r)
		return r;
	CHECK_ERRNO(access(vm, F_OK), ENOENT);
	return 0;
}

/* ---- the same guest under kvm_intel: its counters agree ------------------- */

/* Run g_eco_outs under KVM; its debugfs VM directory's io_exits and halt_exits. */
static int kvm_outs(uint64_t *io, uint64_t *hlt)
{
	struct kvm_ctx k;
	int outs = 0, r = 1;
	char dir[96];

	if (kvm_setup_real(&k, 64 << 10, 0x1000))
		goto out;
	memcpy(k.ram + 0x1000, g_eco_outs_start, g_eco_outs_end - g_eco_outs_start);
	for (;;) {
		if (ioctl(k.vcpu, KVM_RUN, 0)) {
			fail("KVM_RUN: %s", strerror(errno));
			goto out;
		}
		if (k.run->exit_reason == KVM_EXIT_HLT)
			break;
		if (k.run->exit_reason != KVM_EXIT_IO || k.run->io.port != 0x90 || outs == N_OUTS) {
			fail("KVM exit %u after %d OUTs", k.run->exit_reason, outs);
			goto out;
		}
		outs++;
	}
	/* debugfs names a KVM VM "<pid>-<vm fd>" (virt/kvm/kvm_main.c). */
	snprintf(dir, sizeof(dir), "/sys/kernel/debug/kvm/%d-%d", getpid(), k.vm);
	if (stat_u64(dir, "io_exits", io) || stat_u64(dir, "halt_exits", hlt))
		goto out;
	r = outs == N_OUTS ? 0 : fail("KVM: %d OUTs", outs);
out:
	kvm_teardown(&k);
	return r;
}

/* haxm and KVM hold VMX only while they have VMs: KVM's VM goes first. */
static int haxm_outs(struct vm_ctx *c, uint64_t *io, uint64_t *hlt)
{
	char vcpu[96];

	if (vm_load_real(c, 0x1000, g_eco_outs_start, g_eco_outs_end))
		return 1;
	for (int i = 1; i <= N_OUTS; i++)
		if (expect_out(c, 0x90, 1, i))
			return 1;
	if (expect_exit(c, HAX_EXIT_HLT))
		return 1;
	snprintf(vcpu, sizeof(vcpu), STATS "/vm%02u/vcpu00", c->vm_id);
	return stat_reason(vcpu, "IO", io) || stat_reason(vcpu, "HLT", hlt);
}

TEST(stats_match_kvm)
{
	uint64_t kvm_io, kvm_hlt, io, hlt;
	struct vm_ctx c;
	int r;

	if (kvm_outs(&kvm_io, &kvm_hlt))
		return 1;
	r = vm_setup(&c, 64 << 10) || haxm_outs(&c, &io, &hlt);
	vm_teardown(&c);
	if (r)
		return r;
	printf("stats_match_kvm: IO exits haxm %llu kvm %llu, HLT exits haxm %llu kvm %llu\n",
	       (unsigned long long)io, (unsigned long long)kvm_io, (unsigned long long)hlt,
	       (unsigned long long)kvm_hlt);
	CHECK_EQ(io, kvm_io);
	CHECK_EQ(hlt, kvm_hlt);
	return 0;
}
