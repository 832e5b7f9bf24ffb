// SPDX-License-Identifier: GPL-2.0
/*
 * Races and ownership across threads and processes: opens of a VM's nodes
 * racing with the VM's last close (the VM must be alive or gone, never
 * half-freed), and a forked child (another mm) refused what only the
 * creating process may do with descriptors it inherited.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"

/* ---- the kernel log ------------------------------------------------------ */

/* /dev/kmsg positioned at its end: the records from now on. */
static int kmsg_at_end(void)
{
	int fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK);

	if (fd >= 0)
		lseek(fd, 0, SEEK_END);
	return fd;
}

/*
 * kmsg_reports() - the records since kmsg_at_end() that report a kernel bug
 * (KASAN, a BUG or an oops, a WARNING, a refcount_t saturating); the first
 * one in @first. Closes @fd.
 */
static int kmsg_reports(int fd, char *first, size_t len)
{
	static const char *const needles[] = {
		"KASAN", "BUG:", "WARNING:", "general protection", "refcount_t", "Oops"
	};
	char rec[2048];
	int count = 0;
	size_t i;
	ssize_t n;

	while ((n = read(fd, rec, sizeof(rec) - 1)) > 0 || (n < 0 && errno == EPIPE)) {
		if (n <= 0)
			continue; /* EPIPE: records overwritten; read on */
		rec[n] = 0;
		for (i = 0; i < sizeof(needles) / sizeof(needles[0]); i++)
			if (strstr(rec, needles[i]))
				break;
		if (i == sizeof(needles) / sizeof(needles[0]))
			continue;
		if (!count++) {
			n = n < (ssize_t)len ? n : (ssize_t)len - 1;
			memcpy(first, rec, n);
			first[n] = 0;
		}
	}
	close(fd);
	return count;
}

/* ---- opens racing with the last close ---------------------------------- */

/*
 * The racers open private nodes (mknod'ed with the VM nodes' numbers) that
 * outlive the VM, so every open reaches the module, also while the VM's own
 * node is being removed. VM nodes: minor = id; vCPU 0's: HAX_MAX_VMS + id *
 * HAX_MAX_VCPUS. Ids 1..RACE_IDS: id 0 is the holder's, which keeps VMX on.
 */
#define RACE_IDS     3
#define RACE_NODES   (2 * RACE_IDS)
#define RACE_SECONDS 20
#define RACE_ROUNDS  400

struct race {
	char path[RACE_NODES][64];
	int stop;
	/* per outcome: opened (then closed), ENXIO (gone), EBUSY (open elsewhere) */
	unsigned long opened, enxio, ebusy;
	int bad_errno; /* the first unexpected one */
};

static void race_count(struct race *rc, int fd, int *err)
{
	if (fd >= 0) {
		close(fd);
		__atomic_add_fetch(&rc->opened, 1, __ATOMIC_RELAXED);
	} else if (errno == ENXIO) {
		__atomic_add_fetch(&rc->enxio, 1, __ATOMIC_RELAXED);
	} else if (errno == EBUSY) {
		__atomic_add_fetch(&rc->ebusy, 1, __ATOMIC_RELAXED);
	} else if (!*err) {
		*err = errno;
	}
}

static void *race_opener(void *arg)
{
	struct race *rc = arg;
	int err = 0, i = 0;

	while (!__atomic_load_n(&rc->stop, __ATOMIC_RELAXED)) {
		race_count(rc, open(rc->path[i], O_RDWR | O_CLOEXEC), &err);
		i = (i + 1) % RACE_NODES;
	}
	if (err)
		__atomic_compare_exchange_n(&rc->bad_errno, &(int){ 0 }, err, false,
					    __ATOMIC_RELAXED, __ATOMIC_RELAXED);
	return NULL;
}

/*
 * The child (another mm) opens the same nodes until killed: EPERM while a VM
 * lives, ENXIO when it is gone. Its exit status: 0, or the unexpected errno.
 */
static void race_child(struct race *rc)
{
	int i = 0, fd;

	for (;;) {
		fd = open(rc->path[i], O_RDWR | O_CLOEXEC);
		if (fd >= 0)
			_exit(255);
		if (errno != EPERM && errno != ENXIO)
			_exit(errno);
		i = (i + 1) % RACE_NODES;
	}
}

static int race_nodes(struct race *rc)
{
	char path[64];
	struct stat st;
	uint32_t id;
	int i;

	/* The holder's node gives the major number. */
	CHECK_OK(hax_vm_path(path, sizeof(path), 0));
	CHECK_OK(stat(path, &st));
	for (i = 0; i < RACE_IDS; i++) {
		id = i + 1;
		snprintf(rc->path[2 * i], sizeof(rc->path[0]), "/tmp/race-vm%02u", id);
		snprintf(rc->path[2 * i + 1], sizeof(rc->path[0]), "/tmp/race-vm%02u-vcpu00", id);
		unlink(rc->path[2 * i]);
		unlink(rc->path[2 * i + 1]);
		CHECK_OK(mknod(rc->path[2 * i], S_IFCHR | 0600, makedev(major(st.st_rdev), id)));
		CHECK_OK(mknod(rc->path[2 * i + 1], S_IFCHR | 0600,
			       makedev(major(st.st_rdev), HAX_MAX_VMS + id * HAX_MAX_VCPUS)));
	}
	return 0;
}

/* One VM held only by its VM descriptor (and its vCPU's node), then closed. */
static int race_round(unsigned int round)
{
	struct timespec ts = { 0, (round % 7) * 50 * 1000 };
	uint32_t id;
	int sys, vm;

	CHECK_OK(sys = hax_open_system());
	CHECK_OK(hax_create_vm(sys, &id));
	/* A racer may have it open for a moment: EBUSY until it closes. */
	while ((vm = hax_open_vm(id)) < 0 && errno == EBUSY)
		sched_yield();
	if (vm < 0) {
		fail("open VM %u: %s", id, strerror(errno));
		close(sys);
		return 1;
	}
	close(sys);
	/* A vCPU makes the teardown longer and gives the racers a second node. */
	if (hax_create_vcpu(vm, 0)) {
		fail("VCPU_CREATE: %s", strerror(errno));
		close(vm);
		return 1;
	}
	nanosleep(&ts, NULL);
	close(vm); /* the last reference, unless a racer holds one now */
	return 0;
}

/*
 * Opens of a VM's and its vCPU's nodes from two threads of the owner and from
 * a child process, against the VM's last close, round after round. Before
 * the last put unpublished the VM under the lock, an open could find it
 * freed (KASAN: use-after-free in hax_node_open). Every open must end
 * opened, ENXIO or EBUSY (EPERM or ENXIO in the child), the kernel log must
 * stay free of reports, and nothing may leak.
 */
TEST(race_open_vs_last_close)
{
	struct hax_counts base;
	struct race rc = { 0 };
	pthread_t th[2];
	char report[256] = "";
	int kfd, holder, status, r = 0, reports, i;
	unsigned int round;
	uint32_t hid;
	time_t end;
	pid_t pid;

	if (counts_read(&base))
		return 1;
	CHECK_OK(holder = hax_open_system());
	if (hax_create_vm(holder, &hid) || hid != 0) {
		close(holder);
		return fail("the holder VM: %s, id %u (want 0: no other VM)", strerror(errno), hid);
	}
	if (race_nodes(&rc)) {
		close(holder);
		return 1;
	}
	kfd = kmsg_at_end();
	CHECK_OK(kfd);
	pid = fork();
	if (pid == 0)
		race_child(&rc);
	CHECK(pid > 0);
	CHECK(!pthread_create(&th[0], NULL, race_opener, &rc));
	CHECK(!pthread_create(&th[1], NULL, race_opener, &rc));
	end = time(NULL) + RACE_SECONDS;
	for (round = 0; round < RACE_ROUNDS && time(NULL) < end && !r; round++)
		r = race_round(round);
	__atomic_store_n(&rc.stop, 1, __ATOMIC_RELAXED);
	pthread_join(th[0], NULL);
	pthread_join(th[1], NULL);
	kill(pid, SIGKILL);
	CHECK(waitpid(pid, &status, 0) == pid);
	close(holder);
	for (i = 0; i < RACE_NODES; i++)
		unlink(rc.path[i]);
	printf("race_open_vs_last_close: %u rounds; racers: %lu opened, %lu ENXIO, %lu EBUSY\n",
	       round, rc.opened, rc.enxio, rc.ebusy);
	reports = kmsg_reports(kfd, report, sizeof(report));
	if (reports)
		return fail("%d kernel reports, the first: %s", reports, report);
	if (r)
		return r;
	if (rc.bad_errno)
		return fail("an open failed with %s", strerror(rc.bad_errno));
	if (!WIFSIGNALED(status))
		return fail("the child's open: %s", WEXITSTATUS(status) == 255
							    ? "succeeded"
							    : strerror(WEXITSTATUS(status)));
	CHECK(round >= 20);
	/* Both outcomes happened: the racers really met live VMs and gone ones. */
	CHECK(rc.opened + rc.ebusy > 0);
	CHECK(rc.enxio > 0);
	return counts_expect(&base);
}

/* ---- ownership: a forked child and the parent's descriptors -------------- */

/*
 * The child may not map the parent's tunnel through the inherited vCPU
 * descriptor (EPERM, as the vCPU ioctls say); the owner still maps the very
 * pages SETUP_TUNNEL gave it.
 */
VM_TEST(own_child_mmap_refused, 64 << 10)
{
	volatile uint8_t *again;
	int status;
	pid_t pid;

	pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		int bad = 0;
		void *p;

		p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, c->vcpu_fd, 0);
		if (p != MAP_FAILED || errno != EPERM)
			bad |= 1;
		p = mmap(NULL, 4096, PROT_READ, MAP_SHARED, c->vcpu_fd, 4096);
		if (p != MAP_FAILED || errno != EPERM)
			bad |= 2;
		p = mmap(NULL, 2 * 4096, PROT_READ, MAP_SHARED, c->vcpu_fd, 0);
		if (p != MAP_FAILED || errno != EPERM)
			bad |= 4;
		_exit(bad);
	}
	CHECK(waitpid(pid, &status, 0) == pid);
	CHECK(WIFEXITED(status));
	CHECK_EQ(WEXITSTATUS(status), 0);
	/* The owner maps the I/O buffer again: the same page. */
	again = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, c->vcpu_fd, 4096);
	CHECK(again != MAP_FAILED);
	c->iobuf[100] = 0x5a;
	CHECK_EQ(again[100], 0x5a);
	again[101] = 0xa5;
	CHECK_EQ(c->iobuf[101], 0xa5);
	munmap((void *)again, 4096);
	return 0;
}

/*
 * Through the parent's /dev/HAX descriptor the child may ask (VERSION,
 * CAPABILITY) but not create, destroy or set limits (EPERM); the parent's
 * VM is untouched and the parent still creates and destroys through it.
 */
VM_TEST(own_child_sys_ioctls_refused, 64 << 10)
{
	uint32_t id;
	int status;
	pid_t pid;

	pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		struct hax_module_version v;
		struct hax_capabilityinfo ci;
		int bad = 0;

		if (hax_get_version(c->sys_fd, &v) || hax_get_capability(c->sys_fd, &ci))
			bad |= 1;
		if (hax_create_vm(c->sys_fd, &id) != -1 || errno != EPERM)
			bad |= 2;
		if (hax_destroy_vm(c->sys_fd, c->vm_id) != -1 || errno != EPERM)
			bad |= 4;
		if (hax_set_memlimit(c->sys_fd, 0, 0) != -1 || errno != EPERM)
			bad |= 8;
		_exit(bad);
	}
	CHECK(waitpid(pid, &status, 0) == pid);
	CHECK(WIFEXITED(status));
	CHECK_EQ(WEXITSTATUS(status), 0);
	/* The parent's VM is alive and still held by the parent's descriptor. */
	CHECK_ERRNO(hax_open_vm(c->vm_id), EBUSY);
	if (vm_load_spin(c) || vm_run_cut(c, 100))
		return 1;
	CHECK_OK(hax_set_memlimit(c->sys_fd, 0, 0));
	CHECK_OK(hax_create_vm(c->sys_fd, &id));
	CHECK(id != c->vm_id);
	CHECK_OK(hax_destroy_vm(c->sys_fd, id));
	CHECK_ERRNO(hax_destroy_vm(c->sys_fd, id), ENOENT);
	/* The parent's own VM: destroying drops this descriptor's hold only. */
	CHECK_OK(hax_destroy_vm(c->sys_fd, c->vm_id));
	CHECK_ERRNO(hax_open_vm(c->vm_id), EBUSY);
	return 0;
}
