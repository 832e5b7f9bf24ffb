// SPDX-License-Identifier: GPL-2.0
/*
 * Host system sleep with guests running: hibernation and suspend to RAM
 * through the kernel's own path (/sys/power/state). At pm_test=core the
 * kernel freezes the tasks, takes the secondary CPUs down, runs the syscore
 * suspend callbacks on CPU 0 and resumes from there: haxm's callbacks run as
 * in a real sleep, without an image or the firmware. A real S3 goes through
 * Bochs' reset and its BIOS' resume, so the CPUs lose VMX operation. Guests
 * spin in RUN threads across it, counting in their memory; VMX off during the
 * sleep is seen in dmesg.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"

#define PM_TEST	  "/sys/power/pm_test"
#define PM_STATE  "/sys/power/state"
#define MEM_SLEEP "/sys/power/mem_sleep"
#define PM_DELAY  "/sys/module/suspend/parameters/pm_test_delay"

/* Real mode, interrupts off: count in the dword at 0x600 forever. */
GUEST_CODE(g_pm_count, ".code16\n cli\n 1: incl 0x600\n jmp 1b\n");
/* OUT 0x42 to port 0x10, then HLT. */
GUEST_CODE(g_pm_out, ".code16\n mov $0x42, %al\n out %al, $0x10\n hlt\n");

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

/* The first line of @path in @buf; 0 or -1. */
static int read_line(const char *path, char *buf, size_t size)
{
	FILE *f = fopen(path, "r");
	int r = -1;

	if (!f)
		return -1;
	if (fgets(buf, size, f))
		r = 0;
	fclose(f);
	return r;
}

/* Is @word one of the space-separated words of @path's first line? */
static bool file_offers(const char *path, const char *word)
{
	char buf[256], *tok, *save;

	if (read_line(path, buf, sizeof(buf)))
		return false;
	for (tok = strtok_r(buf, " \n", &save); tok; tok = strtok_r(NULL, " \n", &save))
		if (!strcmp(tok, word) || (tok[0] == '[' && !strncmp(tok + 1, word, strlen(word))))
			return true;
	return false;
}

static int kmsg_open(void)
{
	int fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK);

	if (fd >= 0)
		lseek(fd, 0, SEEK_END);
	return fd;
}

/* The records since kmsg_open(), one a line, in @buf; closes @fd. */
static void kmsg_read(int fd, char *buf, size_t size)
{
	size_t len = 0;
	ssize_t n;

	buf[0] = 0;
	if (fd < 0)
		return;
	while (len + 1 < size &&
	       ((n = read(fd, buf + len, size - len - 1)) > 0 || (n < 0 && errno == EPIPE)))
		if (n > 0)
			len += n; /* EPIPE: records overwritten; read on */
	buf[len] = 0;
	close(fd);
}

static int count_of(const char *text, const char *needle)
{
	int n = 0;

	for (; (text = strstr(text, needle)); text += strlen(needle))
		n++;
	return n;
}

static void on_usr1(int sig)
{
	(void)sig;
}

/* ---- a guest counting in a RUN thread --------------------------------------- */

struct spinner {
	struct vm_ctx c;
	pthread_t th;
	bool started;
	volatile bool stop, done;
	int err;	     /* errno of a failed RUN, 0 if none */
	uint32_t bad_status; /* an exit other than INTERRUPT */
	unsigned long runs;  /* RUNs that returned */
};

static volatile uint32_t *counter(struct spinner *s)
{
	return (volatile uint32_t *)(s->c.ram + 0x600);
}

/* RUN until told to stop; the only exits expected are INTERRUPTs. */
static void *spin_thread(void *arg)
{
	struct spinner *s = arg;

	while (!s->stop) {
		if (hax_run(s->c.vcpu_fd) < 0) {
			s->err = errno;
			break;
		}
		s->runs++;
		if (s->c.tunnel->_exit_status != HAX_EXIT_INTERRUPT) {
			s->bad_status = s->c.tunnel->_exit_status;
			break;
		}
	}
	s->done = true;
	return NULL;
}

/* Pin @s's thread to @cpu: when this returns, it runs there only. */
static int spinner_pin(struct spinner *s, int cpu)
{
	cpu_set_t set;
	int r;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	r = pthread_setaffinity_np(s->th, sizeof(set), &set);
	return r ? fail("pin the RUN thread to CPU %d: %s", cpu, strerror(r)) : 0;
}

/* The guest's counter passes its value now within 60 s; 0 or a failure. */
static int spinner_advances(struct spinner *s, const char *when)
{
	uint32_t from = *counter(s);
	int i;

	for (i = 0; i < 6000; i++) {
		if (*counter(s) != from)
			return 0;
		if (s->done)
			break;
		usleep(10000);
	}
	if (s->err)
		return fail("%s: RUN failed: %s (after %lu RUNs)", when, strerror(s->err), s->runs);
	if (s->bad_status)
		return fail("%s: RUN exit status %u (%s), expected INTERRUPT", when, s->bad_status,
			    hax_exit_status_name(s->bad_status));
	return fail("%s: the guest's counter stays at %u", when, from);
}

static int spinner_start(struct spinner *s, int cpu)
{
	struct sigaction sa = { .sa_handler = on_usr1 };

	memset(s, 0, sizeof(*s));
	if (vm_setup(&s->c, 64 << 10) ||
	    vm_load_real(&s->c, 0x1000, g_pm_count_start, g_pm_count_end))
		return 1;
	sigaction(SIGUSR1, &sa, NULL); /* no SA_RESTART: a signal ends RUN */
	if (pthread_create(&s->th, NULL, spin_thread, s))
		return fail("pthread_create: %s", strerror(errno));
	s->started = true;
	return spinner_pin(s, cpu) || spinner_advances(s, "before the sleep");
}

/* Stop and join the thread (a signal ends RUN), free the VM. */
static void spinner_stop(struct spinner *s)
{
	if (s->started) {
		s->stop = true;
		while (!s->done) {
			pthread_kill(s->th, SIGUSR1);
			usleep(10000);
		}
		pthread_join(s->th, NULL);
	}
	vm_teardown(&s->c);
}

/* A new VM after the resume runs on every CPU: OUT, then HLT. */
static int new_vm_runs(int ncpus)
{
	struct vm_ctx c;
	int cpu, r = 0;
	cpu_set_t all;

	for (cpu = 0; cpu < ncpus && !r; cpu++) {
		r = pin_to(cpu) || vm_setup(&c, 64 << 10) ||
		    vm_load_real(&c, 0x1000, g_pm_out_start, g_pm_out_end) ||
		    expect_out(&c, 0x10, 1, 0x42) || expect_exit(&c, HAX_EXIT_HLT);
		vm_teardown(&c);
	}
	CPU_ZERO(&all);
	for (cpu = 0; cpu < ncpus; cpu++)
		CPU_SET(cpu, &all);
	sched_setaffinity(0, sizeof(all), &all);
	return r;
}

/*
 * One sleep with a guest spinning on each CPU (the one on CPU 0 goes
 * through the syscore callbacks, the other through CPU hotplug). @state is
 * written to /sys/power/state with @pm_test in /sys/power/pm_test.
 */
static int sleep_with_guests(const char *state, const char *pm_test)
{
	int ncpus = sysconf(_SC_NPROCESSORS_ONLN), n = 0, i, r = 0, off, on, kfd;
	static char log[1 << 16];
	unsigned long runs[2];
	struct spinner s[2];

	CHECK(ncpus >= 1);
	if (ncpus > 2)
		ncpus = 2;
	for (; n < ncpus && !r; n++)
		r = spinner_start(&s[n], n);
	if (r)
		goto out;
	/* A kernel without PM_DEBUG has no pm_test: only "none" goes there. */
	if (write_file(PM_TEST, pm_test) && (strcmp(pm_test, "none") || !access(PM_TEST, F_OK))) {
		r = fail("write %s to " PM_TEST ": %s", pm_test, strerror(errno));
		goto out;
	}
	for (i = 0; i < n; i++)
		runs[i] = s[i].runs;
	kfd = kmsg_open();
	if (write_file(PM_STATE, state))
		r = fail("write %s to " PM_STATE ": %s", state, strerror(errno));
	write_file(PM_TEST, "none");
	kmsg_read(kfd, log, sizeof(log));
	if (r)
		goto out;
	/* CPU 0 left VMX operation with the VMCS of the guest pinned there. */
	off = count_of(log, "haxm: VMX off on CPU 0 for system sleep, 1 VMCS cleared");
	on = count_of(log, "haxm: VMX on again on CPU 0 after system sleep");
	if (off != 1 || on != 1) {
		r = fail("dmesg: %d \"VMX off on CPU 0 ..., 1 VMCS cleared\", %d \"VMX on again "
			 "on CPU 0\"; expected 1 and 1",
			 off, on);
		goto out;
	}
	/* Each guest carries on after the resume, then on the other CPU. */
	for (i = 0; i < n && !r; i++) {
		r = spinner_advances(&s[i], "after the resume");
		/* The freezer's wake-up ended RUN (INTERRUPT), the loop went on. */
		if (!r && s[i].runs == runs[i])
			r = fail("guest %d: no RUN returned across the sleep", i);
	}
	for (i = 0; i < n && !r; i++)
		r = spinner_pin(&s[i], (i + 1) % n) ||
		    spinner_advances(&s[i], "moved to another CPU after the resume");
out:
	for (i = 0; i < n; i++) {
		spinner_stop(&s[i]);
		if (!r && (s[i].err || s[i].bad_status))
			r = fail("guest %d: RUN %s, exit status %u", i,
				 s[i].err ? strerror(s[i].err) : "ok", s[i].bad_status);
	}
	return r ? r : new_vm_runs(ncpus);
}

/* ---- the tests -------------------------------------------------------------- */

/* Hibernation stopped at pm_test=core: no image, syscore suspend/resume run. */
TEST(pm_hibernate_core)
{
	if (!file_offers(PM_STATE, "disk") || !file_offers(PM_TEST, "core"))
		return skip("no hibernation or no pm_test=core in this kernel");
	return sleep_with_guests("disk", "core");
}

/* Suspend to RAM (ACPI S3) stopped at pm_test=core, before the firmware. */
TEST(pm_suspend_core)
{
	if (!file_offers(PM_STATE, "mem") || !file_offers(PM_TEST, "core"))
		return skip("no suspend to RAM or no pm_test=core in this kernel");
	if (write_file(MEM_SLEEP, "deep"))
		return skip("no S3 (mem_sleep offers no \"deep\")");
	/* The pm_test stop waits pm_test_delay seconds with interrupts off. */
	write_file(PM_DELAY, "1");
	return sleep_with_guests("mem", "core");
}

/* A real suspend to RAM: Bochs resets the machine, the BIOS jumps back. */
TEST(pm_suspend_s3)
{
	if (!file_offers(PM_STATE, "mem"))
		return skip("no suspend to RAM in this kernel");
	if (write_file(MEM_SLEEP, "deep"))
		return skip("no S3 (mem_sleep offers no \"deep\")");
	return sleep_with_guests("mem", "none");
}
