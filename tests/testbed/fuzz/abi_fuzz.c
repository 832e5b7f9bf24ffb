// SPDX-License-Identifier: GPL-2.0
/*
 * haxm-fuzz: drive /dev/HAX, VM and vCPU nodes with random ioctl sequences
 * from several threads — valid and invalid arguments, wild pointers, random
 * guest code, close/munmap/fork at random points — and require every call to
 * end in success or an expected errno. The kernel's own health (no oops,
 * warning, hang or leak) is judged by the testbed harness around it.
 * Usage: haxm-fuzz [--calls N] [--seconds S] [--threads T] [--seed X] [--progress N]
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "fuzz.h"

struct fuzz fz;

/* The errnos a haxm ioctl may legitimately end in. */
static bool errno_expected(int e)
{
	switch (e) {
	case EINVAL:
	case EFAULT:
	case ENOTTY:
	case EBUSY:
	case ENOENT:
	case EEXIST:
	case ENOSPC:
	case ENOMEM:
	case EPERM:
	case ENXIO:
	case EBADF:
	case EINTR:
	case E2BIG:
	case ENODEV:
	case EACCES:
	case ERANGE:
	case EAGAIN:
		return true;
	}
	return false;
}

void fuzz_record(int which, long r, int err)
{
	struct fuzz_stat *s = &fz.stats[which];

	__atomic_add_fetch(&fz.calls, 1, __ATOMIC_RELAXED);
	if (r >= 0) {
		__atomic_add_fetch(&s->ok, 1, __ATOMIC_RELAXED);
		return;
	}
	if (err > 0 && err < FUZZ_MAX_ERRNO)
		__atomic_add_fetch(&s->err[err], 1, __ATOMIC_RELAXED);
	if (!errno_expected(err)) {
		__atomic_add_fetch(&fz.unexpected, 1, __ATOMIC_RELAXED);
		printf("FUZZ: unexpected: %s -> errno %d (%s)\n", fuzz_ioctl_name(which), err,
		       strerror(err));
	}
}

void fuzz_record_exact(int which, long r, int err, bool may_succeed, const int *errs)
{
	struct fuzz_stat *s = &fz.stats[which];
	const int *e;

	__atomic_add_fetch(&fz.calls, 1, __ATOMIC_RELAXED);
	if (r >= 0) {
		__atomic_add_fetch(&s->ok, 1, __ATOMIC_RELAXED);
		if (!may_succeed) {
			__atomic_add_fetch(&fz.unexpected, 1, __ATOMIC_RELAXED);
			printf("FUZZ: unexpected: %s succeeded\n", fuzz_ioctl_name(which));
		}
		return;
	}
	if (err > 0 && err < FUZZ_MAX_ERRNO)
		__atomic_add_fetch(&s->err[err], 1, __ATOMIC_RELAXED);
	for (e = errs; *e && *e != err; e++)
		;
	if (!*e) {
		__atomic_add_fetch(&fz.unexpected, 1, __ATOMIC_RELAXED);
		printf("FUZZ: unexpected: %s -> errno %d (%s)\n", fuzz_ioctl_name(which), err,
		       strerror(err));
	}
}

uint64_t fuzz_rand(struct fuzz_thread *t)
{
	/* xorshift64* */
	t->rng ^= t->rng >> 12;
	t->rng ^= t->rng << 25;
	t->rng ^= t->rng >> 27;
	return t->rng * 0x2545f4914f6cdd1dULL;
}

/* ---- the pool of objects the threads share ------------------------------ */

int fuzz_pick_fd(struct fuzz_thread *t, enum fd_kind kind, struct fuzz_fd *out)
{
	int i, n = 0, pick = -1;

	pthread_mutex_lock(&fz.lock);
	for (i = 0; i < FUZZ_MAX_FDS; i++)
		if (fz.fds[i].fd >= 0 && (kind == FD_ANY || fz.fds[i].kind == kind) &&
		    fuzz_rand(t) % ++n == 0)
			pick = i;
	if (pick >= 0)
		*out = fz.fds[pick];
	pthread_mutex_unlock(&fz.lock);
	return pick;
}

void fuzz_add_fd(struct fuzz_fd f, int evict)
{
	struct fuzz_fd old;
	int i;

	pthread_mutex_lock(&fz.lock);
	for (i = 0; i < FUZZ_MAX_FDS && fz.fds[i].fd >= 0; i++)
		;
	if (i == FUZZ_MAX_FDS && evict >= 0)
		i = evict % FUZZ_MAX_FDS;
	if (i < FUZZ_MAX_FDS) {
		old = fz.fds[i];
		fz.fds[i] = f;
		f = old;
	}
	pthread_mutex_unlock(&fz.lock);
	if (f.fd < 0)
		return;
	/* pool full, or evicted: the tunnel goes too, or its mapping keeps the
	 * vCPU's file, and with it the VM, alive until the process exits */
	if (f.tunnel)
		munmap(f.tunnel, 2 * 4096);
	close(f.fd);
}

void fuzz_adopt_tunnel(int slot, int fd, struct hax_tunnel *tunnel)
{
	pthread_mutex_lock(&fz.lock);
	if (fz.fds[slot].fd == fd && fz.fds[slot].kind == FD_VCPU && !fz.fds[slot].tunnel) {
		fz.fds[slot].tunnel = tunnel;
		tunnel = NULL;
	}
	pthread_mutex_unlock(&fz.lock);
	if (tunnel)
		munmap(tunnel, 2 * 4096);
}

void fuzz_close_fd(int slot)
{
	int fd;

	pthread_mutex_lock(&fz.lock);
	fd = fz.fds[slot].fd;
	fz.fds[slot].fd = -1;
	if (fz.fds[slot].tunnel) {
		munmap(fz.fds[slot].tunnel, 2 * 4096);
		fz.fds[slot].tunnel = NULL;
	}
	pthread_mutex_unlock(&fz.lock);
	if (fd >= 0)
		close(fd);
}

bool fuzz_pick_region(struct fuzz_thread *t, struct fuzz_region *out)
{
	int i, n = 0, pick = -1;

	pthread_mutex_lock(&fz.lock);
	for (i = 0; i < FUZZ_MAX_REGIONS; i++)
		if (fz.regions[i].p && fuzz_rand(t) % ++n == 0)
			pick = i;
	if (pick >= 0)
		*out = fz.regions[pick];
	pthread_mutex_unlock(&fz.lock);
	return pick >= 0;
}

/* ---- threads ------------------------------------------------------------------ */

static void on_timer(int sig)
{
	(void)sig;
}

/* A per-thread periodic timer: a RUN of a spinning guest ends with EINTR. */
static void thread_timer(void)
{
	struct sigevent ev = { 0 };
	struct itimerspec its = { { 0, 3000000 }, { 0, 3000000 } };
	timer_t tm;

	ev.sigev_notify = SIGEV_THREAD_ID;
	ev.sigev_signo = SIGALRM;
	ev._sigev_un._tid = syscall(SYS_gettid);
	if (!timer_create(CLOCK_MONOTONIC, &ev, &tm))
		timer_settime(tm, 0, &its, NULL);
}

static void *thread_main(void *arg)
{
	struct fuzz_thread *t = arg;

	t->tid = syscall(SYS_gettid);
	thread_timer();
	while (!__atomic_load_n(&fz.stop, __ATOMIC_RELAXED)) {
		t->doing = -1;
		fuzz_step(t);
		if (__atomic_load_n(&fz.calls, __ATOMIC_RELAXED) >= fz.max_calls ||
		    time(NULL) >= fz.deadline)
			__atomic_store_n(&fz.stop, 1, __ATOMIC_RELAXED);
	}
	return NULL;
}

/* The module's live-object counters (debugfs); false when unreadable. */
static const char *const counters[] = { "vms",		"vcpus",       "pinned_pages",
					"kernel_pages", "allocations", "huge_pages" };
#define NR_COUNTERS (sizeof(counters) / sizeof(counters[0]))

static bool read_counters(unsigned long long *v)
{
	unsigned int i;

	for (i = 0; i < NR_COUNTERS; i++) {
		char path[96];
		FILE *f;
		int ok;

		snprintf(path, sizeof(path), "/sys/kernel/debug/haxm/%s", counters[i]);
		f = fopen(path, "r");
		if (!f)
			return false;
		ok = fscanf(f, "%llu", &v[i]) == 1;
		fclose(f);
		if (!ok)
			return false;
	}
	return true;
}

static void print_stats(void)
{
	int i, e;

	for (i = 0; i < FUZZ_NR_IOCTLS; i++) {
		struct fuzz_stat *s = &fz.stats[i];
		char line[512];
		int n = snprintf(line, sizeof(line), "FUZZ: %-22s ok %-7lu", fuzz_ioctl_name(i),
				 s->ok);

		for (e = 1; e < FUZZ_MAX_ERRNO && n < (int)sizeof(line) - 32; e++)
			if (s->err[e])
				n += snprintf(line + n, sizeof(line) - n, " %s %lu",
					      strerrorname_np(e) ?: "?", s->err[e]);
		puts(line);
	}
}

/* Live objects now: the pool's fds by kind, the module's VMs and vCPUs, the
 * vCPU mappings in this process; and what CREATE_VM, VCPU_CREATE,
 * SETUP_TUNNEL and RUN got since the last line. */
static void print_progress(unsigned long long *last_runs)
{
	static const int watch[] = { IDX_CREATE_VM, IDX_VCPU_CREATE, IDX_SETUP_TUNNEL, IDX_RUN };
	static struct fuzz_stat prev[4];
	unsigned long long v[NR_COUNTERS] = { 0 }, exits;
	int n[4] = { 0 }, tunnels = 0, maps = 0, i, e, len;
	char line[1024], buf[512];
	FILE *f;

	pthread_mutex_lock(&fz.lock);
	for (i = 0; i < FUZZ_MAX_FDS; i++) {
		if (fz.fds[i].fd < 0)
			continue;
		n[fz.fds[i].kind]++;
		tunnels += fz.fds[i].tunnel != NULL;
	}
	pthread_mutex_unlock(&fz.lock);
	f = fopen("/proc/self/maps", "r");
	while (f && fgets(buf, sizeof(buf), f))
		maps += strstr(buf, "/dev/hax_vm") != NULL;
	if (f)
		fclose(f);
	read_counters(v);
	f = fopen("/sys/kernel/debug/haxm/exits", "r");
	if (!f || fscanf(f, "%llu", &exits) != 1)
		exits = 0;
	if (f)
		fclose(f);
	len = snprintf(line, sizeof(line),
		       "FUZZ: %lu calls, %lu runs (+%llu), %lu built, %lu unexpected; pool %d sys "
		       "%d vm %d vcpu "
		       "%d tunnels; %d vcpu maps; module %llu vms %llu vcpus %llu exits;",
		       fz.calls, fz.runs, fz.runs - *last_runs, fz.builds, fz.unexpected, n[FD_SYS],
		       n[FD_VM], n[FD_VCPU], tunnels, maps, v[0], v[1], exits);
	*last_runs = fz.runs;
	for (i = 0; i < 4; i++) {
		struct fuzz_stat s = fz.stats[watch[i]];

		len += snprintf(line + len, sizeof(line) - len, " %s ok %lu",
				fuzz_ioctl_name(watch[i]), s.ok - prev[i].ok);
		for (e = 1; e < FUZZ_MAX_ERRNO && len < (int)sizeof(line) - 32; e++)
			if (s.err[e] != prev[i].err[e])
				len += snprintf(line + len, sizeof(line) - len, " %s %lu",
						strerrorname_np(e) ?: "?",
						s.err[e] - prev[i].err[e]);
		prev[i] = s;
	}
	puts(line);
}

/*
 * No call finished for a while: say what each thread is doing and where
 * the kernel holds it (its stack and wait channel), and the kernel's last
 * messages, so that a hang is a report and not only a timeout.
 */
static void report_stall(const struct fuzz_thread *th, int nthreads, unsigned long secs)
{
	char path[96], cmd[320];
	int i, d;

	printf("FUZZ: stalled: no call finished for %lu s\n", secs);
	for (i = 0; i < nthreads; i++) {
		d = th[i].doing;
		printf("FUZZ: stalled: thread %d (tid %d) in %s\n", i, th[i].tid,
		       d < 0 ? "(between actions)" : fuzz_ioctl_name(d));
		snprintf(path, sizeof(path), "/proc/self/task/%d", th[i].tid);
		snprintf(cmd, sizeof(cmd),
			 "cat %s/wchan; echo; sed 's/^/FUZZ: stack: /' %s/stack 2>&1", path, path);
		fflush(stdout);
		if (system(cmd) < 0)
			perror("system");
	}
	fflush(stdout);
	if (system("dmesg | tail -n 40 | sed 's/^/FUZZ: dmesg: /'") < 0)
		perror("system");
}

/* The fuzzing proper, in its own process; its exit status. */
static int fuzz_run(unsigned long seed, unsigned long seconds, int nthreads)
{
	struct fuzz_thread th[FUZZ_MAX_THREADS];
	pthread_t tid[FUZZ_MAX_THREADS];
	unsigned long progress = 0;
	unsigned long long last_runs = 0;
	unsigned long seen = 0, still = 0;
	struct timespec t0, t1;
	double secs;
	int i;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	fz.deadline = time(NULL) + seconds;
	for (i = 0; i < nthreads; i++) {
		th[i].rng = seed * 2654435761u + i + 1;
		th[i].id = i;
		th[i].tid = 0;
		th[i].doing = -1;
		pthread_create(&tid[i], NULL, thread_main, &th[i]);
	}
	while (!__atomic_load_n(&fz.stop, __ATOMIC_RELAXED)) {
		usleep(100000);
		if (fz.calls >= progress + fz.progress_every) {
			progress = fz.calls;
			print_progress(&last_runs);
		}
		if (fz.calls != seen) {
			seen = fz.calls;
			still = 0;
		} else if (++still % 300 == 0) { /* 30 s, and every 30 s after */
			report_stall(th, nthreads, still / 10);
		}
	}
	for (i = 0; i < nthreads; i++)
		pthread_join(tid[i], NULL);
	for (i = 0; i < FUZZ_MAX_FDS; i++)
		fuzz_close_fd(i);
	print_stats();
	clock_gettime(CLOCK_MONOTONIC, &t1);
	secs = (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;
	printf("FUZZ: %lu calls, %lu guest runs, %lu forks, %lu runnable VMs built, %lu unexpected "
	       "errnos in %.0f s (%.0f calls/s)\n",
	       fz.calls, fz.runs, fz.forks, fz.builds, fz.unexpected, secs,
	       secs > 0 ? fz.calls / secs : 0);
	return fz.unexpected != 0 || fz.calls == 0;
}

int main(int argc, char **argv)
{
	struct sigaction sa = { 0 };
	unsigned long seed = time(NULL), seconds = 60;
	unsigned long long base[NR_COUNTERS], end[NR_COUNTERS];
	int i, nthreads = 3, st = 0, leaks = 0;
	unsigned int c;
	pid_t pid;

	fz.max_calls = 100000;
	for (i = 1; i + 1 < argc; i += 2) {
		if (!strcmp(argv[i], "--calls"))
			fz.max_calls = strtoul(argv[i + 1], NULL, 0);
		else if (!strcmp(argv[i], "--seconds"))
			seconds = strtoul(argv[i + 1], NULL, 0);
		else if (!strcmp(argv[i], "--threads"))
			nthreads = atoi(argv[i + 1]);
		else if (!strcmp(argv[i], "--seed"))
			seed = strtoul(argv[i + 1], NULL, 0);
		else if (!strcmp(argv[i], "--progress"))
			fz.progress_every = strtoul(argv[i + 1], NULL, 0);
	}
	if (!fz.progress_every)
		fz.progress_every = fz.max_calls / 20 > 1000 ? fz.max_calls / 20 : 1000;
	if (nthreads < 1 || nthreads > FUZZ_MAX_THREADS)
		nthreads = 3;
	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("FUZZ: seed %lu, %d threads, at most %lu calls or %lu s\n", seed, nthreads,
	       fz.max_calls, seconds);
	sa.sa_handler = on_timer; /* no SA_RESTART: RUN returns EINTR */
	sigaction(SIGALRM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	pthread_mutex_init(&fz.lock, NULL);
	for (i = 0; i < FUZZ_MAX_FDS; i++)
		fz.fds[i].fd = -1;
	if (fuzz_args_init())
		return 1;
	if (!read_counters(base)) {
		printf("FUZZ: cannot read /sys/kernel/debug/haxm counters\n");
		return 1;
	}
	/* the fuzzing runs in a child: whatever it leaves (fds, mappings of
	 * tunnels it set up) goes with its exit, after which the module must be
	 * back where it started */
	pid = fork();
	if (pid == 0)
		_exit(fuzz_run(seed, seconds, nthreads));
	if (pid < 0 || waitpid(pid, &st, 0) != pid)
		return perror("fork"), 1;
	if (!read_counters(end))
		leaks++;
	for (c = 0; c < NR_COUNTERS && !leaks; c++) {
		if (end[c] != base[c]) {
			printf("FUZZ: leak: %s %llu at the start, %llu at the end\n", counters[c],
			       base[c], end[c]);
			leaks++;
		}
	}
	printf("FUZZ: done: fuzzer exit status %d, %d leaks\n",
	       WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st), leaks);
	return !WIFEXITED(st) || WEXITSTATUS(st) || leaks;
}
