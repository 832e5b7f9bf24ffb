// SPDX-License-Identifier: GPL-2.0
/* The runner: runs every registered test (or those named) and reports. */
#define _GNU_SOURCE /* sched_setaffinity */
#include <fcntl.h>
#include <sched.h>
#include <linux/kvm.h>
#include <stdarg.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <signal.h>
#include <unistd.h>

#include "harness.h"

extern const struct test __start_haxm_tests[], __stop_haxm_tests[];

static char fail_reason[512];

int fail(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(fail_reason, sizeof(fail_reason), fmt, ap);
	va_end(ap);
	return 1;
}

int skip(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(fail_reason, sizeof(fail_reason), fmt, ap);
	va_end(ap);
	return TEST_SKIPPED;
}

int vm_setup(struct vm_ctx *c, uint64_t ram_size)
{
	memset(c, 0, sizeof(*c));
	c->sys_fd = c->vm_fd = c->vcpu_fd = -1;
	c->ram_size = ram_size;
	CHECK_OK(c->sys_fd = hax_open_system());
	CHECK_OK(hax_create_vm(c->sys_fd, &c->vm_id));
	CHECK_OK(c->vm_fd = hax_open_vm(c->vm_id));
	CHECK_OK(hax_notify_qemu_version(c->vm_fd, 4, 4));
	c->ram = mmap(NULL, ram_size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK(c->ram != MAP_FAILED);
	CHECK_OK(hax_add_ramblock(c->vm_fd, (uintptr_t)c->ram, ram_size));
	CHECK_OK(hax_set_ram(c->vm_fd, 0, (uint32_t)ram_size, (uintptr_t)c->ram, 0));
	CHECK_OK(hax_create_vcpu(c->vm_fd, 0));
	CHECK_OK(c->vcpu_fd = hax_open_vcpu(c->vm_id, 0));
	CHECK_OK(hax_setup_tunnel(c->vcpu_fd, &c->tunnel, (void **)&c->iobuf));
	return 0;
}

void vm_teardown(struct vm_ctx *c)
{
	if (c->vcpu_fd >= 0)
		close(c->vcpu_fd);
	if (c->vm_fd >= 0)
		close(c->vm_fd);
	if (c->sys_fd >= 0)
		close(c->sys_fd);
	if (c->tunnel)
		munmap(c->tunnel, 2 * 4096);
	if (c->ram && c->ram != MAP_FAILED)
		munmap(c->ram, c->ram_size);
	c->vcpu_fd = c->vm_fd = c->sys_fd = -1;
	c->tunnel = NULL;
	c->ram = NULL;
}

int vm_load_real(struct vm_ctx *c, uint64_t gpa, const uint8_t *start, const uint8_t *end)
{
	vcpu_state_t s;

	CHECK(gpa + (end - start) <= c->ram_size);
	memcpy(c->ram + gpa, start, end - start);
	CHECK_OK(hax_get_regs(c->vcpu_fd, &s));
	s._cs.selector = 0;
	s._cs.base = 0;
	s._rip = gpa;
	s._ds.selector = s._es.selector = s._ss.selector = 0;
	s._ds.base = s._es.base = s._ss.base = 0;
	s._regs[HAX_REG_RSP] = 0x8000;
	CHECK_OK(hax_set_regs(c->vcpu_fd, &s));
	return 0;
}

GUEST_CODE(g_cli_spin, ".globl g_cli_spin_start, g_cli_spin_end\n"
		       ".code16\n cli\n 1: jmp 1b\n");

int vm_load_spin(struct vm_ctx *c)
{
	return vm_load_real(c, 0x1000, g_cli_spin_start, g_cli_spin_end);
}

int spin_child(uint32_t *vm_id)
{
	int pipefd[2], status = 0;
	ssize_t n;
	pid_t pid;

	if (pipe(pipefd)) {
		fail("pipe: %s", strerror(errno));
		return -1;
	}
	pid = fork();
	if (pid < 0) {
		fail("fork: %s", strerror(errno));
		goto out;
	}
	if (pid == 0) {
		struct vm_ctx c;

		close(pipefd[0]);
		if (vm_setup(&c, 64 << 10) || vm_load_spin(&c))
			_exit(2);
		if (write(pipefd[1], &c.vm_id, sizeof(c.vm_id)) != sizeof(c.vm_id))
			_exit(3);
		for (;;)
			hax_run(c.vcpu_fd); /* until killed */
	}
	close(pipefd[1]);
	pipefd[1] = -1;
	n = read(pipefd[0], vm_id, sizeof(*vm_id));
	if (n != sizeof(*vm_id)) {
		kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
		fail("the spinning child did not start (status 0x%x)", status);
		pid = -1;
	}
out:
	close(pipefd[0]);
	if (pipefd[1] >= 0)
		close(pipefd[1]);
	return pid;
}

long unload_module_nb(void)
{
	return syscall(SYS_delete_module, "haxm", O_NONBLOCK);
}

int vm_run(struct vm_ctx *c)
{
	CHECK_OK(hax_run(c->vcpu_fd));
	return 0;
}

static void on_alarm(int sig)
{
	(void)sig;
}

int vm_run_cut(struct vm_ctx *c, unsigned int ms)
{
	struct itimerval cut = { { 0, 0 }, { ms / 1000, ms % 1000 * 1000 } }, off = { 0 };
	struct sigaction sa = { .sa_handler = on_alarm }, old;
	int r, err;

	sigaction(SIGALRM, &sa, &old);
	setitimer(ITIMER_REAL, &cut, NULL);
	r = hax_run(c->vcpu_fd);
	err = errno;
	setitimer(ITIMER_REAL, &off, NULL);
	sigaction(SIGALRM, &old, NULL);
	if (r)
		return fail("RUN: %s", strerror(err));
	return 0;
}

int expect_exit(struct vm_ctx *c, uint32_t status)
{
	if (vm_run(c))
		return 1;
	if (c->tunnel->_exit_status != status)
		return fail("exit status %u (%s), expected %u (%s); VMX exit reason %u",
			    c->tunnel->_exit_status, hax_exit_status_name(c->tunnel->_exit_status),
			    status, hax_exit_status_name(status), c->tunnel->_exit_reason);
	return 0;
}

int expect_out(struct vm_ctx *c, uint16_t port, uint8_t size, uint32_t value)
{
	uint32_t data = 0;

	if (expect_exit(c, HAX_EXIT_IO))
		return 1;
	CHECK_EQ(c->tunnel->io._direction, HAX_IO_OUT);
	CHECK_EQ(c->tunnel->io._port, port);
	CHECK_EQ(c->tunnel->io._size, size);
	CHECK_EQ(c->tunnel->io._count, 1);
	CHECK_EQ(c->tunnel->io._flags, 0);
	memcpy(&data, c->iobuf, size);
	CHECK_EQ(data, value);
	return 0;
}

#define COUNTS_DIR "/sys/kernel/debug/haxm"

static const struct {
	const char *name;
	size_t off;
} count_files[] = {
	{ "vms", offsetof(struct hax_counts, vms) },
	{ "vcpus", offsetof(struct hax_counts, vcpus) },
	{ "pinned_pages", offsetof(struct hax_counts, pinned_pages) },
	{ "kernel_pages", offsetof(struct hax_counts, kernel_pages) },
	{ "allocations", offsetof(struct hax_counts, allocations) },
	{ "huge_pages", offsetof(struct hax_counts, huge_pages) },
};

int pin_to(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	CHECK_OK(sched_setaffinity(0, sizeof(set), &set));
	return 0;
}

int apicv_mode(void)
{
	char *p = read_all("/sys/module/haxm/parameters/apicv"), *cpu;
	int m;

	if (!p)
		return fail("haxm parameter apicv: %s", strerror(errno)), -1;
	m = p[0] == 'Y';
	free(p);
	cpu = read_all("/proc/cpuinfo");
	if (!cpu)
		return fail("/proc/cpuinfo: %s", strerror(errno)), -1;
	/* the VMX flags' names (Linux's vmxfeatures.h) */
	if (m && strstr(cpu, " vapic_reg"))
		m = strstr(cpu, " vid") ? 2 : 1;
	else
		m = 0;
	free(cpu);
	return m;
}

long long exit_count(struct vm_ctx *c, const char *name)
{
	char path[96], line[96], what[40];
	long long n = 0, v;
	unsigned int nr;
	FILE *f;

	snprintf(path, sizeof(path), COUNTS_DIR "/vm%02u/vcpu00/exit_reasons", c->vm_id);
	f = fopen(path, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "%u %39s %lld", &nr, what, &v) == 3 && !strcmp(what, name))
			n = v;
	fclose(f);
	return n;
}

int counts_read(struct hax_counts *c)
{
	char path[128];
	size_t i;

	if (access(COUNTS_DIR, F_OK))
		mount("debugfs", "/sys/kernel/debug", "debugfs", 0, NULL);
	for (i = 0; i < sizeof(count_files) / sizeof(count_files[0]); i++) {
		unsigned long long v;
		FILE *f;
		int n;

		snprintf(path, sizeof(path), COUNTS_DIR "/%s", count_files[i].name);
		f = fopen(path, "r");
		if (!f)
			return fail("%s: %s", path, strerror(errno));
		n = fscanf(f, "%llu", &v);
		fclose(f);
		if (n != 1)
			return fail("%s: not a number", path);
		*(uint64_t *)((char *)c + count_files[i].off) = v;
	}
	return 0;
}

int counts_expect(const struct hax_counts *base)
{
	struct hax_counts now;
	char diff[256] = "";
	size_t i, len = 0;

	if (counts_read(&now))
		return 1;
	for (i = 0; i < sizeof(count_files) / sizeof(count_files[0]); i++) {
		uint64_t a = *(const uint64_t *)((const char *)base + count_files[i].off);
		uint64_t b = *(uint64_t *)((char *)&now + count_files[i].off);

		if (a != b && len < sizeof(diff))
			len += snprintf(diff + len, sizeof(diff) - len, " %s %llu (was %llu)",
					count_files[i].name, (unsigned long long)b,
					(unsigned long long)a);
	}
	return len ? fail("counters not back to baseline:%s", diff) : 0;
}

/* Each argument selects the tests whose names start with it. */
static bool selected(const char *name, int argc, char **argv)
{
	int i;

	if (argc < 2)
		return true;
	for (i = 1; i < argc; i++)
		if (!strncmp(argv[i], name, strlen(argv[i])))
			return true;
	return false;
}

int main(int argc, char **argv)
{
	const struct test *t;
	int passed = 0, failed = 0, skipped = 0;

	setvbuf(stdout, NULL, _IOLBF, 0);
	for (t = __start_haxm_tests; t < __stop_haxm_tests; t++) {
		struct hax_counts base;
		bool counted;
		int r;

		if (!selected(t->name, argc, argv))
			continue;
		/* Every test leaves nothing behind in the module (when debugfs shows it). */
		counted = !counts_read(&base);
		fail_reason[0] = 0;
		r = t->fn();
		if ((r == 0 || r == TEST_SKIPPED) && counted && counts_expect(&base))
			r = 1;
		if (r == 0) {
			printf("PASS: %s\n", t->name);
			passed++;
		} else if (r == TEST_SKIPPED) {
			printf("SKIP: %s: %s\n", t->name, fail_reason);
			skipped++;
		} else {
			printf("FAIL: %s: %s\n", t->name, fail_reason);
			failed++;
		}
	}
	printf("haxm-test: %d passed, %d failed, %d skipped\n", passed, failed, skipped);
	return failed || !passed;
}

/* ---- shared guest loaders ------------------------------------------------ */

#define PG 4096ULL

int vm_load_long(struct vm_ctx *c, const struct long_mode *m, uint64_t gpa, const uint8_t *start,
		 const uint8_t *end)
{
	unsigned int gib = m->gib ? m->gib : 1, i, j;
	uint64_t *pml4 = (uint64_t *)(c->ram + m->tables), *pdpt = pml4 + 512;
	vcpu_state_t s;

	CHECK(gib <= 512 && !(m->tables & (PG - 1)));
	CHECK(c->ram_size >= m->tables + (2 + gib) * PG && gpa + (end - start) <= m->tables);
	memcpy(c->ram + gpa, start, end - start);
	memset(pml4, 0, (2 + gib) * PG);
	pml4[0] = (m->tables + PG) | 3;
	for (i = 0; i < gib; i++) {
		uint64_t *pd = pml4 + 512 * (2 + i);

		pdpt[i] = (m->tables + (2 + i) * PG) | 3;
		for (j = 0; j < 512; j++)
			pd[j] = ((uint64_t)i << 30 | (uint64_t)j << 21) | 0x83;
	}
	CHECK_OK(hax_get_regs(c->vcpu_fd, &s));
	s._cs.selector = 8;
	s._cs.base = 0;
	s._cs.limit = 0xffffffff;
	s._cs.ar = 0xa09b;
	s._ds.selector = s._es.selector = s._ss.selector = 16;
	s._ds.base = s._es.base = s._ss.base = 0;
	s._ds.limit = s._es.limit = s._ss.limit = 0xffffffff;
	s._ds.ar = s._es.ar = s._ss.ar = 0xc093;
	s._cr0 = 0x80000031 | m->cr0_set; /* PG NE ET PE */
	s._cr3 = m->tables;
	s._cr4 = 0x20 | m->cr4_set;    /* PAE */
	s._efer = 0x500 | m->efer_set; /* LME LMA */
	s._rip = gpa;
	s._rflags = m->rflags ? m->rflags : 2;
	s._regs[HAX_REG_RSP] = 0x8000;
	CHECK_OK(hax_set_regs(c->vcpu_fd, &s));
	return 0;
}

void kvm_teardown(struct kvm_ctx *k)
{
	if (k->run && k->run != MAP_FAILED)
		munmap(k->run, k->run_size);
	if (k->vcpu >= 0)
		close(k->vcpu);
	if (k->vm >= 0)
		close(k->vm);
	if (k->kvm >= 0)
		close(k->kvm);
	if (k->ram && k->ram != MAP_FAILED)
		munmap(k->ram, k->ram_size);
	k->kvm = k->vm = k->vcpu = -1;
	k->run = NULL;
	k->ram = NULL;
}

/* kvm_setup_real(), and with @lapic the in-kernel irqchip and a flat 4 GiB FS. */
static int kvm_setup(struct kvm_ctx *k, uint64_t ram_size, uint64_t ip, bool lapic)
{
	struct kvm_userspace_memory_region mr = { .memory_size = ram_size };
	struct {
		struct kvm_cpuid2 h;
		struct kvm_cpuid_entry2 e[100];
	} cpuid = { .h.nent = 100 };
	struct kvm_regs regs = { .rip = ip, .rsp = 0x8000, .rflags = 2 };
	struct kvm_sregs sr;
	uint32_t i;

	memset(k, 0, sizeof(*k));
	k->kvm = k->vm = k->vcpu = -1;
	k->ram_size = ram_size;
	k->ram = mmap(NULL, ram_size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK(k->ram != MAP_FAILED);
	mr.userspace_addr = (uintptr_t)k->ram;
	k->kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (k->kvm < 0)
		return fail("/dev/kvm: %s (kvm_intel not loaded?)", strerror(errno));
	if ((k->vm = ioctl(k->kvm, KVM_CREATE_VM, 0)) < 0 ||
	    ioctl(k->vm, KVM_SET_USER_MEMORY_REGION, &mr) ||
	    (lapic && ioctl(k->vm, KVM_CREATE_IRQCHIP, 0)) ||
	    (k->vcpu = ioctl(k->vm, KVM_CREATE_VCPU, 0)) < 0 ||
	    ioctl(k->kvm, KVM_GET_SUPPORTED_CPUID, &cpuid))
		return fail("KVM setup: %s", strerror(errno));
	/*
	 * KVM's in-kernel LAPIC has the TSC-deadline timer, but its supported
	 * CPUID leaves the bit to the VMM, which sets it with an irqchip and
	 * KVM_CAP_TSC_DEADLINE_TIMER (as QEMU does)
	 */
	for (i = 0; lapic && i < cpuid.h.nent; i++)
		if (cpuid.e[i].function == 1 &&
		    ioctl(k->kvm, KVM_CHECK_EXTENSION, KVM_CAP_TSC_DEADLINE_TIMER) > 0)
			cpuid.e[i].ecx |= 1u << 24;
	if (ioctl(k->vcpu, KVM_SET_CPUID2, &cpuid) ||
	    (k->run_size = ioctl(k->kvm, KVM_GET_VCPU_MMAP_SIZE, 0)) <= 0 ||
	    (k->run = mmap(NULL, k->run_size, PROT_READ | PROT_WRITE, MAP_SHARED, k->vcpu, 0)) ==
		    MAP_FAILED ||
	    ioctl(k->vcpu, KVM_GET_SREGS, &sr))
		return fail("KVM setup: %s", strerror(errno));
	sr.cs.selector = sr.ds.selector = sr.es.selector = sr.ss.selector = 0;
	sr.cs.base = sr.ds.base = sr.es.base = sr.ss.base = 0;
	if (lapic) {
		sr.fs.selector = 0;
		sr.fs.base = 0;
		sr.fs.limit = 0xffffffff;
		sr.fs.g = 1;
	}
	if (ioctl(k->vcpu, KVM_SET_SREGS, &sr) || ioctl(k->vcpu, KVM_SET_REGS, &regs))
		return fail("KVM_SET_*REGS: %s", strerror(errno));
	return 0;
}

int kvm_setup_real(struct kvm_ctx *k, uint64_t ram_size, uint64_t ip)
{
	return kvm_setup(k, ram_size, ip, false);
}

int kvm_setup_real_irqchip(struct kvm_ctx *k, uint64_t ram_size, uint64_t ip)
{
	return kvm_setup(k, ram_size, ip, true);
}

int out_trace_add(struct out_trace *tr, uint16_t port, const void *data, int size)
{
	uint32_t v = 0;

	if (tr->n == (int)(sizeof(tr->val) / sizeof(tr->val[0])))
		return fail("more than %d OUTs", tr->n);
	memcpy(&v, data, size);
	tr->port[tr->n] = port;
	tr->val[tr->n++] = v;
	return 0;
}

int vm_out_trace(struct vm_ctx *c, struct out_trace *tr)
{
	vcpu_state_t s;

	for (;;) {
		if (vm_run(c))
			return 1;
		if (c->tunnel->_exit_status == HAX_EXIT_HLT)
			return 0;
		if (c->tunnel->_exit_status != HAX_EXIT_IO ||
		    c->tunnel->io._direction != HAX_IO_OUT)
			break;
		if (out_trace_add(tr, c->tunnel->io._port, c->iobuf, c->tunnel->io._size))
			return 1;
	}
	CHECK_OK(hax_get_regs(c->vcpu_fd, &s));
	return fail("after %d OUTs: exit status %u reason %u; rip 0x%llx cs 0x%x cr0 0x%llx "
		    "cr4 0x%llx efer 0x%x",
		    tr->n, c->tunnel->_exit_status, c->tunnel->_exit_reason,
		    (unsigned long long)s._rip, s._cs.selector, (unsigned long long)s._cr0,
		    (unsigned long long)s._cr4, s._efer);
}

int kvm_out_trace(struct kvm_ctx *k, struct out_trace *tr)
{
	for (;;) {
		if (ioctl(k->vcpu, KVM_RUN, 0))
			return fail("KVM_RUN: %s", strerror(errno));
		if (k->run->exit_reason == KVM_EXIT_HLT)
			return 0;
		if (k->run->exit_reason != KVM_EXIT_IO || k->run->io.direction != KVM_EXIT_IO_OUT)
			return fail("KVM exit %u after %d OUTs", k->run->exit_reason, tr->n);
		if (out_trace_add(tr, k->run->io.port, (uint8_t *)k->run + k->run->io.data_offset,
				  k->run->io.size))
			return 1;
	}
}

int out_trace_equal(const struct out_trace *h, const struct out_trace *k)
{
	int i;

	for (i = 0; i < h->n && i < k->n; i++)
		if (h->port[i] != k->port[i] || h->val[i] != k->val[i])
			return fail("OUT %d: haxm port 0x%x value 0x%x, kvm_intel port 0x%x value "
				    "0x%x",
				    i, h->port[i], h->val[i], k->port[i], k->val[i]);
	if (h->n != k->n)
		return fail("haxm made %d OUTs, kvm_intel %d", h->n, k->n);
	return 0;
}

int twin_out(struct twin *d, struct out_trace *tr)
{
	struct kvm_run *run;

	if (d->c) {
		if (vm_run(d->c))
			return 1;
		if (d->c->tunnel->_exit_status != HAX_EXIT_IO ||
		    d->c->tunnel->io._direction != HAX_IO_OUT)
			return fail("haxm exit %u (port 0x%x) after %d OUTs",
				    d->c->tunnel->_exit_status, d->c->tunnel->io._port, tr->n);
		return out_trace_add(tr, d->c->tunnel->io._port, d->c->iobuf,
				     d->c->tunnel->io._size);
	}
	run = d->k->run;
	if (ioctl(d->k->vcpu, KVM_RUN, 0))
		return fail("KVM_RUN: %s", strerror(errno));
	if (run->exit_reason != KVM_EXIT_IO || run->io.direction != KVM_EXIT_IO_OUT)
		return fail("KVM exit %u (port 0x%x) after %d OUTs", run->exit_reason, run->io.port,
			    tr->n);
	return out_trace_add(tr, run->io.port, (uint8_t *)run + run->io.data_offset, run->io.size);
}

int twin_line(struct twin *d, int irq, int level)
{
	struct kvm_irq_level kl = { .irq = irq, .level = level };

	if (irq < 0)
		return 0;
	if (d->c) {
		if (hax_irq_line(d->c->vm_fd, irq, level))
			return fail("IRQ_LINE %d %d: %s", irq, level, strerror(errno));
	} else if (ioctl(d->k->vm, KVM_IRQ_LINE, &kl)) {
		return fail("KVM_IRQ_LINE: %s", strerror(errno));
	}
	return 0;
}

/* Read a whole file into a malloc'ed string (NULL on failure). */
char *read_all(const char *path)
{
	size_t len = 0, cap = 1 << 16;
	char *buf = malloc(cap);
	int fd = open(path, O_RDONLY);
	ssize_t n;

	if (fd < 0 || !buf) {
		free(buf);
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	while ((n = read(fd, buf + len, cap - len - 1)) > 0) {
		len += n;
		if (cap - len < 4096) {
			char *bigger = realloc(buf, cap * 2);

			if (!bigger)
				break;
			buf = bigger;
			cap *= 2;
		}
	}
	buf[len] = 0;
	close(fd);
	return buf;
}

/* The count of exit reason @name in @dir/exit_reasons (0 when absent). */
int stat_reason(const char *dir, const char *name, uint64_t *v)
{
	char path[160], pat[40], *s, *p;

	snprintf(path, sizeof(path), "%s/exit_reasons", dir);
	s = read_all(path);
	if (!s)
		return fail("%s: %s", path, strerror(errno));
	snprintf(pat, sizeof(pat), " %s ", name);
	p = strstr(s, pat);
	*v = p ? strtoull(p + strlen(pat), NULL, 10) : 0;
	free(s);
	return 0;
}
