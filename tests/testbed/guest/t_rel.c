// SPDX-License-Identifier: GPL-2.0
/*
 * Reliability (issue 8): the VMM killed with SIGKILL at random points while
 * it runs guests, changes their memory and creates vCPUs; module unload
 * attempts while a vCPU runs; a user without access to the nodes; user space
 * scribbling over the tunnel and I/O buffer while RUN uses them. After each,
 * the module's counters are back at their baseline.
 */
#include <dirent.h>
#include <fcntl.h>
#include <grp.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"

/* ---- SIGKILL at random points ----------------------------------------------- */

#define KILL_RAM     (64 << 10)
#define KILL_CHUNKS  4
#define KILL_CHUNK   (64 << 10)
#define KILL_ROUNDS  32
#define KILL_MAX_VMS 6

/*
 * Touch one byte in each page of the four 64 KiB slots above the base RAM
 * (guest-physical 0x10000-0x4ffff: RAM, unmapped or protected, as the memory
 * thread makes them), then OUT to port 0x80; forever.
 */
GUEST_CODE(g_rel_touch, ".code16\n"
			"1: mov $0x1000, %ax\n"
			"2: mov %ax, %es\n"
			"incb %es:0\n"
			"add $0x100, %ax\n"
			"cmp $0x5000, %ax\n"
			"jb 2b\n"
			"out %al, $0x80\n"
			"jmp 1b\n");

/* What the child got done before it was killed (a page shared with the parent). */
struct kill_progress {
	unsigned long runs, mem_ops, vcpus;
};

enum { DO_RUN = 1, DO_MEM = 2, DO_VCPUS = 4 };

struct kill_child {
	struct vm_ctx c;
	uint8_t *chunk[KILL_CHUNKS];
	struct kill_progress *p;
	uint64_t rng;
};

static uint64_t rel_rand(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static void *kill_run_thread(void *arg)
{
	struct kill_child *k = arg;

	for (;;) {
		if (hax_run(k->c.vcpu_fd) == 0)
			__atomic_add_fetch(&k->p->runs, 1, __ATOMIC_RELAXED);
	}
	return NULL;
}

/* Map, unmap and protect the four slots at random, with the vCPU touching them. */
static void *kill_mem_thread(void *arg)
{
	struct kill_child *k = arg;
	uint64_t s = k->rng ^ 0x9e3779b97f4a7c15ULL;

	for (;;) {
		unsigned int n = rel_rand(&s) % KILL_CHUNKS;
		uint64_t gpa = KILL_RAM + (uint64_t)n * KILL_CHUNK;
		int r;

		switch (rel_rand(&s) % 3) {
		case 0:
			r = hax_set_ram(k->c.vm_fd, gpa, KILL_CHUNK, (uintptr_t)k->chunk[n], 0);
			break;
		case 1:
			r = hax_set_ram(k->c.vm_fd, gpa, KILL_CHUNK, 0, HAX_RAM_INFO_INVALID);
			break;
		default:
			r = hax_protect_ram(k->c.vm_fd, gpa, KILL_CHUNK, rel_rand(&s) % 8);
			break;
		}
		if (!r)
			__atomic_add_fetch(&k->p->mem_ops, 1, __ATOMIC_RELAXED);
	}
	return NULL;
}

/* VMs with four vCPUs each (tunnels mapped), made and dropped in turn. */
static void *kill_vcpu_thread(void *arg)
{
	struct kill_child *k = arg;
	int sys[KILL_MAX_VMS], vm[KILL_MAX_VMS], vcpu[KILL_MAX_VMS][4];
	unsigned int i = 0, j;

	memset(sys, -1, sizeof(sys));
	memset(vm, -1, sizeof(vm));
	memset(vcpu, -1, sizeof(vcpu));
	for (;; i = (i + 1) % KILL_MAX_VMS) {
		uint32_t id;

		for (j = 0; j < 4; j++)
			close(vcpu[i][j]);
		close(vm[i]);
		close(sys[i]);
		sys[i] = hax_open_system();
		if (sys[i] < 0 || hax_create_vm(sys[i], &id) || (vm[i] = hax_open_vm(id)) < 0)
			continue;
		for (j = 0; j < 4; j++) {
			struct hax_tunnel *t;
			void *io;

			if (hax_create_vcpu(vm[i], j))
				break;
			vcpu[i][j] = hax_open_vcpu(id, j);
			if (vcpu[i][j] >= 0 && !hax_setup_tunnel(vcpu[i][j], &t, &io))
				__atomic_add_fetch(&k->p->vcpus, 1, __ATOMIC_RELAXED);
		}
	}
	return NULL;
}

/* The child: tell the parent it started, set up, tell it again, then run @what until killed. */
static void kill_child_main(int ready_fd, unsigned int what, struct kill_progress *p, uint64_t seed)
{
	struct kill_child k = { .p = p, .rng = seed | 1 };
	pthread_t th;
	unsigned int n;

	if (write(ready_fd, "x", 1) != 1)
		_exit(3);
	if (vm_setup(&k.c, KILL_RAM) ||
	    vm_load_real(&k.c, 0x1000, g_rel_touch_start, g_rel_touch_end))
		_exit(2);
	for (n = 0; n < KILL_CHUNKS; n++) {
		k.chunk[n] = mmap(NULL, KILL_CHUNK, PROT_READ | PROT_WRITE,
				  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (k.chunk[n] == MAP_FAILED ||
		    hax_add_ramblock(k.c.vm_fd, (uintptr_t)k.chunk[n], KILL_CHUNK))
			_exit(2);
	}
	if (write(ready_fd, "y", 1) != 1)
		_exit(3);
	if (what & DO_MEM)
		pthread_create(&th, NULL, kill_mem_thread, &k);
	if (what & DO_VCPUS)
		pthread_create(&th, NULL, kill_vcpu_thread, &k);
	if (what & DO_RUN)
		kill_run_thread(&k);
	for (;;)
		pause();
}

/* The child has done some of each kind of work @what asks for. */
static bool kill_child_working(const struct kill_progress *p, unsigned int what)
{
	return (!(what & DO_RUN) || __atomic_load_n(&p->runs, __ATOMIC_RELAXED)) &&
	       (!(what & DO_MEM) || __atomic_load_n(&p->mem_ops, __ATOMIC_RELAXED)) &&
	       (!(what & DO_VCPUS) || __atomic_load_n(&p->vcpus, __ATOMIC_RELAXED));
}

/* Entries in /dev/hax_vm (one node per live VM). */
static int vm_nodes(void)
{
	DIR *d = opendir("/dev/hax_vm");
	struct dirent *e;
	int n = 0;

	if (!d)
		return 0;
	while ((e = readdir(d)))
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

/*
 * SIGKILL 0-60 ms after the child started (even rounds) or got into every
 * kind of its work (odd rounds): during setup, RUN, SET_RAM/PROTECT_RAM and vCPU and VM
 * creation, alone and all at once. Every time, every VM, vCPU, pinned
 * page and allocation goes with the process.
 */
TEST(rel_kill9_at_random_points)
{
	static const unsigned int modes[] = { DO_RUN, DO_MEM | DO_RUN, DO_VCPUS,
					      DO_RUN | DO_MEM | DO_VCPUS };
	uint64_t seed = (uint64_t)time(NULL) * 2654435761u + getpid();
	struct kill_progress *p, total = { 0 };
	struct hax_counts base;
	int round, nodes;

	if (counts_read(&base))
		return 1;
	nodes = vm_nodes();
	p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	CHECK(p != MAP_FAILED);
	printf("rel_kill9_at_random_points: seed %llu\n", (unsigned long long)seed);
	for (round = 0; round < KILL_ROUNDS; round++) {
		unsigned int what = modes[round % 4];
		uint64_t delay_us = rel_rand(&seed) % 60000;
		struct timespec ts = { 0, (long)delay_us * 1000 };
		int pipefd[2], status;
		char x;
		pid_t pid;

		memset(p, 0, sizeof(*p));
		CHECK_OK(pipe(pipefd));
		pid = fork();
		CHECK(pid >= 0);
		if (pid == 0) {
			close(pipefd[0]);
			kill_child_main(pipefd[1], what, p, rel_rand(&seed));
		}
		close(pipefd[1]);
		/*
		 * Started; in odd rounds, also set up and into every kind of its
		 * work (so a slow kernel cannot make every kill land in the setup).
		 */
		CHECK(read(pipefd[0], &x, 1) == 1);
		if (round & 1) {
			struct timespec ms = { 0, 1000 * 1000 };
			int waited = 0;

			CHECK(read(pipefd[0], &x, 1) == 1);
			while (!kill_child_working(p, what) && waited++ < 20000)
				nanosleep(&ms, NULL);
		}
		nanosleep(&ts, NULL);
		kill(pid, SIGKILL);
		CHECK(waitpid(pid, &status, 0) == pid);
		/* open until now: the child's second write cannot raise SIGPIPE */
		close(pipefd[0]);
		if (!WIFSIGNALED(status) || WTERMSIG(status) != SIGKILL)
			return fail("round %d: the child ended before the kill (status 0x%x)",
				    round, status);
		total.runs += p->runs;
		total.mem_ops += p->mem_ops;
		total.vcpus += p->vcpus;
		if (counts_expect(&base)) {
			printf("rel_kill9_at_random_points: round %d (mode %u) killed after %llu "
			       "us\n",
			       round, what, (unsigned long long)delay_us);
			return 1;
		}
		if (vm_nodes() != nodes)
			return fail("round %d: %d VM nodes left, %d before", round, vm_nodes(),
				    nodes);
	}
	munmap(p, 4096);
	printf("rel_kill9_at_random_points: %d kills; the children made %lu runs, %lu memory "
	       "changes, %lu vCPUs\n",
	       KILL_ROUNDS, total.runs, total.mem_ops, total.vcpus);
	/* The kills did land inside the work, not only before it. */
	CHECK(total.runs > 0 && total.mem_ops > 0 && total.vcpus > 0);
	return 0;
}

/* ---- module unload while a vCPU runs ------------------------------------------ */

/* The module stays while a vCPU spins in RUN (or only /dev/HAX is open); the vCPU runs on. */
TEST(rel_unload_refused_while_running)
{
	struct hax_counts base;
	int status, sys, err = 0;
	uint32_t id;
	pid_t pid;
	long r;

	if (counts_read(&base))
		return 1;
	CHECK_OK(sys = hax_open_system());
	errno = 0;
	r = unload_module_nb();
	close(sys);
	if (r != -1 || errno != EWOULDBLOCK)
		return fail("unload with /dev/HAX open: %s, expected EWOULDBLOCK", strerror(errno));
	pid = spin_child(&id);
	if (pid < 0)
		return 1;
	for (int k = 0; !err && k < 5; k++) {
		struct timespec ts = { 0, 20 * 1000 * 1000 };

		nanosleep(&ts, NULL);
		errno = 0;
		if (unload_module_nb() != -1 || errno != EWOULDBLOCK)
			err = fail("unload while a vCPU runs: %s, expected EWOULDBLOCK",
				   strerror(errno));
	}
	/* still in RUN: neither the unload attempts nor anything else ended it */
	if (!err && waitpid(pid, &status, WNOHANG) != 0)
		err = fail("the running child ended during the unload attempts");
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	if (err)
		return err;
	CHECK(!access(HAX_DEVFS_SYSTEM, F_OK));
	return counts_expect(&base);
}

/* ---- another user ------------------------------------------------------------- */

/*
 * A user other than the creator cannot open the VM's or vCPU's node (0600,
 * EACCES), nor /dev/HAX as the module creates it (0600 root; the packages'
 * udev rule opens it to group haxm only: pkg-non-member-refused), nor use
 * descriptors it inherited (EPERM).
 */
VM_TEST(rel_other_user_refused, 64 << 10)
{
	char vm_path[64], vcpu_path[64];
	struct stat st;
	int status;
	pid_t pid;

	CHECK_OK(hax_vm_path(vm_path, sizeof(vm_path), c->vm_id));
	CHECK_OK(hax_vcpu_path(vcpu_path, sizeof(vcpu_path), c->vm_id, 0));
	CHECK_OK(stat(HAX_DEVFS_SYSTEM, &st));
	CHECK_EQ(st.st_mode & 0777, 0600);
	CHECK_OK(stat(vm_path, &st));
	CHECK_EQ(st.st_mode & 0777, 0600);
	pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		int bad = 0;

		if (setgroups(0, NULL) || setgid(1001) || setuid(1001))
			_exit(100);
		if (open(HAX_DEVFS_SYSTEM, O_RDWR) != -1 || errno != EACCES)
			bad |= 1;
		if (open(vm_path, O_RDWR) != -1 || errno != EACCES)
			bad |= 2;
		if (open(vcpu_path, O_RDWR) != -1 || errno != EACCES)
			bad |= 4;
		if (hax_run(c->vcpu_fd) != -1 || errno != EPERM)
			bad |= 8;
		if (hax_set_ram(c->vm_fd, 0, 4096, (uintptr_t)c->ram, HAX_RAM_INFO_INVALID) != -1 ||
		    errno != EPERM)
			bad |= 16;
		_exit(bad);
	}
	CHECK(waitpid(pid, &status, 0) == pid);
	CHECK(WIFEXITED(status));
	CHECK_EQ(WEXITSTATUS(status), 0);
	return 0;
}

/* ---- user space scribbling over the tunnel during RUN ---------------------------- */

/*
 * Every kind of exit that leaves data in the tunnel or I/O buffer, forever:
 * OUT and IN, string OUT and IN (REP, 4 bytes), an MMIO read and write
 * (segment 0x2000 is past the 64 KiB of RAM); a counter at 0x600 counts
 * the rounds.
 */
GUEST_CODE(g_rel_exits, ".code16\n"
			"xor %ax, %ax\n mov %ax, %ds\n mov %ax, %es\n"
			"mov $0x2000, %bx\n mov %bx, %fs\n"
			"1: out %al, $0x80\n"
			"in $0x81, %al\n"
			"mov $0x82, %dx\n mov $0x700, %si\n mov $4, %cx\n cld\n rep outsb\n"
			"mov $0x700, %di\n mov $4, %cx\n rep insb\n"
			"mov %fs:0x10, %al\n"
			"movb $0x5a, %fs:0x20\n"
			"incl 0x600\n"
			"jmp 1b\n");

struct scribbler {
	struct vm_ctx *c;
	int stop;
	unsigned long writes, runs;
};

static void *scribble(void *arg)
{
	struct scribbler *s = arg;
	uint64_t r = 0x243f6a8885a308d3ULL;

	while (!__atomic_load_n(&s->stop, __ATOMIC_RELAXED)) {
		uint8_t *page;
		unsigned int off;
		uint64_t v;

		/*
		 * At most 8 writes a RUN: unpaced (a slow debug kernel), one
		 * always lands on user_event_pending before RUN looks, every RUN
		 * returns at once and the guest never gets anywhere.
		 */
		if (s->writes >= 8 * (__atomic_load_n(&s->runs, __ATOMIC_RELAXED) + 1)) {
			sched_yield();
			continue;
		}
		page = rel_rand(&r) & 1 ? (uint8_t *)s->c->tunnel : s->c->iobuf;
		/* mostly the fields at the start of either page */
		off = rel_rand(&r) % (rel_rand(&r) & 7 ? 64 : 4096 - 8);
		v = rel_rand(&r);
		memcpy(page + off, &v, 1 + rel_rand(&r) % 8);
		s->writes++;
	}
	return NULL;
}

VM_TEST(rel_tunnel_scribbled_during_run, 64 << 10)
{
	struct scribbler s = { c, 0, 0, 0 };
	unsigned long runs = 0, bad = 0;
	uint32_t rounds;
	struct timespec t0, t1;
	vcpu_state_t regs;
	pthread_t th;

	if (vm_load_real(c, 0x1000, g_rel_exits_start, g_rel_exits_end))
		return 1;
	CHECK(pthread_create(&th, NULL, scribble, &s) == 0);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	do {
		if (hax_run(c->vcpu_fd)) {
			bad++;
			break;
		}
		__atomic_store_n(&s.runs, ++runs, __ATOMIC_RELAXED);
		clock_gettime(CLOCK_MONOTONIC, &t1);
	} while (runs < 3000 && t1.tv_sec - t0.tv_sec < 5);
	__atomic_store_n(&s.stop, 1, __ATOMIC_RELAXED);
	pthread_join(th, NULL);
	if (bad)
		return fail("RUN %lu failed while the tunnel was scribbled over: %s", runs + 1,
			    strerror(errno));
	printf("rel_tunnel_scribbled_during_run: %lu runs, %lu scribbles\n", runs, s.writes);
	CHECK(s.writes > 0);
	memcpy(&rounds, c->ram + 0x600, 4);
	CHECK(rounds > 0);
	/* The vCPU still works: from the top of its loop, the exits come in order. */
	memset(c->tunnel, 0, 4096);
	memset(c->iobuf, 0, 4096);
	if (vm_load_real(c, 0x1000, g_rel_exits_start, g_rel_exits_end) ||
	    expect_out(c, 0x80, 1, 0))
		return 1;
	if (expect_exit(c, HAX_EXIT_IO))
		return 1;
	CHECK_EQ(c->tunnel->io._direction, HAX_IO_IN);
	CHECK_EQ(c->tunnel->io._port, 0x81);
	c->iobuf[0] = 0x77;
	if (expect_exit(c, HAX_EXIT_IO))
		return 1;
	CHECK_EQ(c->tunnel->io._port, 0x82);
	CHECK_EQ(c->tunnel->io._count, 4);
	CHECK_OK(hax_get_regs(c->vcpu_fd, &regs));
	CHECK_EQ(regs._regs[HAX_REG_RAX] & 0xff, 0x77); /* the IN completed with our byte */
	return 0;
}
