// SPDX-License-Identifier: GPL-2.0
/*
 * haxm-fuzz: other processes and races on purpose. Forked children try the
 * parent's descriptors and nodes (every outcome exact: only the owner may
 * use them), and racer threads open the nodes of a VM whose last
 * descriptor may be closing at the same time.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fuzz.h"

#define PG 4096UL

/* ---- other processes ----------------------------------------------------- */

/* In a forked child: report a wrong outcome (no stdio: its lock may be held). */
static int child_bad(const char *what, long r, int err)
{
	char line[160];
	int n = snprintf(line, sizeof(line), "FUZZ: unexpected in a child: %s -> %ld errno %d\n",
			 what, r, err);

	if (write(1, line, n) < 0)
		return 1;
	return 1;
}

/* The kind of the haxm node behind @fd in this process, or FD_ANY for none. */
static enum fd_kind fd_kind_of(int fd)
{
	char link[64], target[64];
	ssize_t n;

	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	n = readlink(link, target, sizeof(target) - 1);
	if (n <= 0)
		return FD_ANY;
	target[n] = 0;
	if (!strcmp(target, "/dev/HAX"))
		return FD_SYS;
	if (!strncmp(target, "/dev/hax_vm/", 12))
		return FD_VM;
	if (!strncmp(target, "/dev/hax_vm", 11) && strstr(target, "/vcpu"))
		return FD_VCPU;
	return FD_ANY;
}

/*
 * In a forked child (another mm), whatever the parent's threads do meanwhile:
 * opening the parent's nodes is refused (EPERM; ENOENT or ENXIO once gone);
 * through an inherited descriptor only /dev/HAX's VERSION and CAPABILITY
 * work, every other ioctl is EPERM, and mapping a vCPU's tunnel is EPERM
 * (ENODEV on a node without mmap). The number of wrong outcomes.
 */
static int child_checks(struct fuzz_thread *t, int fd, const char *path)
{
	enum fd_kind kind = fd_kind_of(fd);
	int i, bad = 0, e;
	long r;

	for (i = 0; path && i < 4; i++) {
		r = open(path, O_RDWR | O_CLOEXEC);
		e = errno;
		if (r >= 0 || (e != EPERM && e != ENOENT && e != ENXIO))
			bad += child_bad(path, r, e);
		if (r >= 0)
			close(r);
	}
	if (kind == FD_ANY) /* closed or reused by the parent before the fork */
		return bad;
	for (i = 0; i < 8; i++) {
		int which = fuzz_rand(t) % IDX_OPEN;
		bool query = kind == FD_SYS && (which == IDX_VERSION || which == IDX_CAPABILITY);

		errno = 0;
		r = ioctl(fd, fuzz_ioctl_nr(which), fuzz_arg_page);
		e = errno;
		if (query ? r != 0 : r != -1 || e != EPERM)
			bad += child_bad(fuzz_ioctl_name(which), r, e);
	}
	{
		void *p = mmap(NULL, 2 * PG, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);

		e = errno;
		if (p != MAP_FAILED || e != (kind == FD_VCPU ? EPERM : ENODEV))
			bad += child_bad("mmap", p == MAP_FAILED ? -1 : 0, e);
	}
	return bad;
}

/* Fork a child that runs child_checks() while this thread goes on; reaped here. */
static pid_t child_start(struct fuzz_thread *t, int fd, const char *path)
{
	pid_t pid = fork();

	if (pid == 0)
		_exit(child_checks(t, fd, path) ? 1 : 0);
	if (pid > 0)
		__atomic_add_fetch(&fz.forks, 1, __ATOMIC_RELAXED);
	return pid;
}

static void child_reap(pid_t pid)
{
	int st = 0;
	pid_t w;

	if (pid <= 0)
		return;
	/*
	 * The thread's 3 ms timer interrupts the wait (no SA_RESTART): without
	 * the loop the child's verdict was lost, and a child still running
	 * when the fuzzer exited held the parent's VMs past the leak check.
	 */
	while ((w = waitpid(pid, &st, 0)) < 0 && errno == EINTR)
		;
	fuzz_record_exact(IDX_CHILD, w == pid && WIFEXITED(st) && !WEXITSTATUS(st) ? 0 : -1, EIO,
			  true, (const int[]){ 0 });
}

/* A child process inherits the fds: every call must be refused, harmlessly. */
void fuzz_do_child(struct fuzz_thread *t)
{
	struct fuzz_fd f;
	char path[64];

	if (fuzz_pick_fd(t, FD_ANY, &f) < 0)
		return;
	snprintf(path, sizeof(path), "/dev/hax_vm/vm%02u", f.vm_id);
	child_reap(child_start(t, f.fd, f.kind == FD_SYS ? NULL : path));
}

/* ---- races on purpose --------------------------------------------------- */

struct racer {
	const char *path;
	bool vcpu;
	pthread_t tid;
};

/*
 * One racer: open the node, use the descriptor once, close it. The open finds
 * the object alive (it may be the only holder then, and its close the last),
 * open elsewhere (EBUSY) or gone (ENOENT: the node went; ENXIO: going). The
 * owner's use always works: the tunnel maps, NOTIFY_QEMU_VERSION 4/4 passes,
 * GET_REGS returns (or EIO: the VM died of a failed VMX instruction).
 */
static void *racer_main(void *arg)
{
	static const int open_errs[] = { ENOENT, ENXIO, EBUSY, 0 };
	struct racer *rc = arg;
	int fd = open(rc->path, O_RDWR | O_CLOEXEC);
	long r;

	fuzz_record_exact(IDX_RACE_OPEN, fd, errno, true, open_errs);
	if (fd < 0)
		return NULL;
	if (rc->vcpu) {
		void *p = mmap(NULL, 2 * PG, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
		vcpu_state_t s;

		fuzz_record_exact(IDX_RACE_USE, p == MAP_FAILED ? -1 : 0, errno, true,
				  (const int[]){ 0 });
		if (p != MAP_FAILED)
			munmap(p, 2 * PG);
		r = ioctl(fd, HAX_VCPU_GET_REGS, &s);
		fuzz_record_exact(IDX_RACE_USE, r, errno, true, (const int[]){ EIO, 0 });
	} else {
		struct hax_qemu_version qv = { 4, 4 };

		r = ioctl(fd, HAX_VM_IOCTL_NOTIFY_QEMU_VERSION, &qv);
		fuzz_record_exact(IDX_RACE_USE, r, errno, true, (const int[]){ 0 });
	}
	close(fd);
	return NULL;
}

/*
 * Two threads open the same VM or vCPU node at once while this thread may
 * close the pool's descriptor of that VM (perhaps its last reference) and a
 * forked child opens the node and tries the inherited descriptor too.
 */
void fuzz_do_race(struct fuzz_thread *t)
{
	struct racer rc[2];
	struct fuzz_fd f;
	char path[64];
	pid_t pid = -1;
	int slot, i;
	bool vcpu = fuzz_rand(t) % 2;

	slot = fuzz_pick_fd(t, fuzz_rand(t) % 2 ? FD_VM : FD_VCPU, &f);
	if (slot < 0)
		return;
	if (vcpu)
		snprintf(path, sizeof(path), "/dev/hax_vm%02u/vcpu%02u", f.vm_id,
			 f.kind == FD_VCPU ? f.vcpu_id : (uint32_t)(fuzz_rand(t) % 4));
	else
		snprintf(path, sizeof(path), "/dev/hax_vm/vm%02u", f.vm_id);
	for (i = 0; i < 2; i++) {
		rc[i].path = path;
		rc[i].vcpu = vcpu;
		if (pthread_create(&rc[i].tid, NULL, racer_main, &rc[i]))
			rc[i].path = NULL;
	}
	if (fuzz_rand(t) % 3 == 0)
		pid = child_start(t, f.fd, path);
	if (fuzz_rand(t) % 2)
		fuzz_close_fd(slot);
	for (i = 0; i < 2; i++)
		if (rc[i].path)
			pthread_join(rc[i].tid, NULL);
	child_reap(pid);
}
