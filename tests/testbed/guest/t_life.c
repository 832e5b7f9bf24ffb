// SPDX-License-Identifier: GPL-2.0
/*
 * Lifetime: whatever order descriptors close in, however the process ends,
 * every VM, vCPU, pinned page and allocation goes (the debugfs counters
 * return to their baseline), ids are reused, and the module unloads only
 * when nothing is left.
 */
#include <fcntl.h>
#include <stdlib.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"

/* Touch a few pages (so some are pinned), then HLT. */
GUEST_CODE(g_life_touch, ".code16\n"
			 "xor %ax, %ax\n mov %ax, %ds\n"
			 "movb $1, 0x3000\n movb $2, 0x5000\n movb $3, 0x7000\n"
			 "hlt\n");

static int vm_node_gone(uint32_t id)
{
	char path[64];

	snprintf(path, sizeof(path), HAX_DEVFS_VM_FMT, id);
	if (!access(path, F_OK))
		return fail("%s still exists", path);
	return 0;
}

/* A VM that ran and pinned memory. */
static int vm_touched(struct vm_ctx *c)
{
	if (vm_setup(c, 64 << 10) || vm_load_real(c, 0x1000, g_life_touch_start, g_life_touch_end))
		return 1;
	return expect_exit(c, HAX_EXIT_HLT);
}

TEST(life_close_in_any_order)
{
	static const int orders[6][3] = { { 0, 1, 2 }, { 0, 2, 1 }, { 1, 0, 2 },
					  { 1, 2, 0 }, { 2, 0, 1 }, { 2, 1, 0 } };
	struct hax_counts base, mid;
	int o, k;

	if (counts_read(&base))
		return 1;
	for (o = 0; o < 6; o++) {
		struct vm_ctx c;
		int *fds[3];

		if (vm_touched(&c))
			return 1;
		if (counts_read(&mid))
			return 1;
		CHECK(mid.pinned_pages > base.pinned_pages);
		fds[0] = &c.sys_fd;
		fds[1] = &c.vm_fd;
		fds[2] = &c.vcpu_fd;
		for (k = 0; k < 3; k++) {
			/* Not gone while any descriptor holds it. */
			if (counts_read(&mid))
				return 1;
			CHECK_EQ(mid.vms, base.vms + 1);
			close(*fds[orders[o][k]]);
			*fds[orders[o][k]] = -1;
		}
		vm_teardown(&c);
		if (counts_expect(&base) || vm_node_gone(c.vm_id))
			return 1;
	}
	return 0;
}

/* The child that made @id exits or is killed: all of it goes and the id is reused. */
static int child_gone(const struct hax_counts *base, uint32_t id)
{
	uint32_t again;
	int sys;

	CHECK(id != ~0u);
	if (counts_expect(base) || vm_node_gone(id))
		return 1;
	CHECK_OK(sys = hax_open_system());
	CHECK_OK(hax_create_vm(sys, &again));
	close(sys);
	CHECK_EQ(again, id);
	return counts_expect(base);
}

/* A child makes a VM, runs it and exits with everything open, mapped and pinned. */
TEST(life_process_exit_with_everything_open)
{
	struct hax_counts base;
	int pipefd[2], status;
	uint32_t id = ~0u;
	pid_t pid;

	if (counts_read(&base))
		return 1;
	CHECK_OK(pipe(pipefd));
	pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		struct vm_ctx c;

		close(pipefd[0]);
		if (vm_touched(&c))
			_exit(2);
		if (write(pipefd[1], &c.vm_id, sizeof(c.vm_id)) != sizeof(c.vm_id))
			_exit(3);
		_exit(0);
	}
	close(pipefd[1]);
	if (read(pipefd[0], &id, sizeof(id)) != sizeof(id))
		id = ~0u;
	close(pipefd[0]);
	CHECK(waitpid(pid, &status, 0) == pid);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	return child_gone(&base, id);
}

/* A child is killed while its vCPU spins in RUN. */
TEST(life_kill9_during_run)
{
	struct timespec ts = { 0, 300 * 1000 * 1000 };
	struct hax_counts base;
	uint32_t id;
	int status;
	pid_t pid;

	if (counts_read(&base))
		return 1;
	pid = spin_child(&id);
	if (pid < 0)
		return 1;
	nanosleep(&ts, NULL); /* well inside RUN by now */
	kill(pid, SIGKILL);
	CHECK(waitpid(pid, &status, 0) == pid);
	CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
	return child_gone(&base, id);
}

static int load_module(void)
{
	int fd = open("/payload/haxm.ko", O_RDONLY | O_CLOEXEC);
	long r;

	if (fd < 0)
		return fail("/payload/haxm.ko: %s", strerror(errno));
	/* The parameters the suite loaded it with (payload/run). */
	r = syscall(SYS_finit_module, fd, getenv("HAXM_MODULE_ARGS") ?: "", 0);
	close(fd);
	if (r)
		return fail("finit_module: %s", strerror(errno));
	return 0;
}

/* The module stays while a VM exists; afterwards it unloads and loads again. */
TEST(life_module_unload_waits_for_vms)
{
	struct hax_counts base;
	struct vm_ctx c;
	int r;

	if (counts_read(&base) || vm_touched(&c))
		return 1;
	/* In use: the kernel refuses with EWOULDBLOCK (EAGAIN), as for any module in use. */
	if (unload_module_nb() != -1 || errno != EWOULDBLOCK) {
		r = fail("unload with a VM: %s, expected EWOULDBLOCK", strerror(errno));
		vm_teardown(&c);
		return r;
	}
	CHECK(!access(HAX_DEVFS_SYSTEM, F_OK));
	vm_teardown(&c);
	if (counts_expect(&base))
		return 1;
	if (unload_module_nb())
		return fail("unload with no VM: %s", strerror(errno));
	r = access(HAX_DEVFS_SYSTEM, F_OK) ? 0 : fail("/dev/HAX left after unload");
	if (load_module())
		return 1;
	if (r)
		return r;
	CHECK_OK(access(HAX_DEVFS_SYSTEM, F_OK));
	/* A fresh module counts what the old one did with no VM: nothing leaked. */
	return counts_expect(&base);
}

/*
 * A vCPU whose very first entry fails (invalid guest state: a DS limit above
 * 1 MiB with byte granularity, SDM 26.3.1.2) stops with STATECHANGE; once user space loads a good
 * state, it runs. The failed VMLAUNCH leaves the VMCS unlaunched (SDM 26.8): the retry must launch
 * again, not resume (which would fail and kill the VM with EIO).
 */
VM_TEST(life_vcpu_runs_after_failed_first_entry, 64 << 10)
{
	vcpu_state_t good, bad;

	CHECK_OK(hax_get_regs(c->vcpu_fd, &good));
	bad = good;
	bad._cr0 |= 1;
	bad._cs.ar = 0x91; /* protected mode, CS a read-only data segment (SDM 26.3.1.2) */
	if (hax_set_regs(c->vcpu_fd, &bad))
		return fail("SET_REGS refused the state (%s): pick another the CPU refuses",
			    strerror(errno));
	if (expect_exit(c, HAX_EXIT_STATECHANGE))
		return 1;
	CHECK_EQ(c->tunnel->_exit_reason, 33); /* VM-entry failure: invalid guest state */
	CHECK_OK(hax_set_regs(c->vcpu_fd, &good));
	if (vm_load_real(c, 0x1000, g_life_touch_start, g_life_touch_end))
		return 1;
	return expect_exit(c, HAX_EXIT_HLT);
}
