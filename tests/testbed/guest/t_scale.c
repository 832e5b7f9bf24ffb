// SPDX-License-Identifier: GPL-2.0
/*
 * Scale: HAX_MAX_VMS VMs at once, HAX_MAX_VCPUS vCPUs in one VM running in
 * parallel from threads, moved between host CPUs between RUNs; each guest's
 * result is checked.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <sys/mman.h>
#include <unistd.h>

#include "harness.h"

/* EAX += EBX, shown on port 0x10, ECX times; then HLT. */
GUEST_CODE(g_count, ".code16\n"
		    "xor %eax, %eax\n"
		    "1: add %ebx, %eax\n out %eax, $0x10\n"
		    "dec %ecx\n jnz 1b\n"
		    "hlt\n");

/* Point @fd's vCPU at the counting code with @step and @times. */
static int load_count(int fd, uint32_t step, uint32_t times)
{
	vcpu_state_t s;

	CHECK_OK(hax_get_regs(fd, &s));
	s._cs.selector = 0;
	s._cs.base = 0;
	s._rip = 0x1000;
	s._regs[HAX_REG_RBX] = step;
	s._regs[HAX_REG_RCX] = times;
	CHECK_OK(hax_set_regs(fd, &s));
	return 0;
}

/* One RUN that must be the OUT of @value on port 0x10. */
static int expect_count(int fd, struct hax_tunnel *t, uint8_t *iobuf, uint32_t value)
{
	uint32_t got;

	CHECK_OK(hax_run(fd));
	if (t->_exit_status != HAX_EXIT_IO)
		return fail("exit status %u (%s), expected IO", t->_exit_status,
			    hax_exit_status_name(t->_exit_status));
	CHECK_EQ(t->io._port, 0x10);
	CHECK_EQ(t->io._size, 4);
	memcpy(&got, iobuf, 4);
	CHECK_EQ(got, value);
	return 0;
}

TEST(scale_max_vms_at_once)
{
	static struct vm_ctx vms[HAX_MAX_VMS];
	struct hax_counts base;
	uint32_t id;
	int i, n = 0, r = 0, extra;

	if (counts_read(&base))
		return 1;
	for (n = 0; n < HAX_MAX_VMS && !r; n++)
		r = vm_setup(&vms[n], 64 << 10);
	if (!r) {
		struct hax_counts now;

		/* All ids taken. */
		CHECK_OK(extra = hax_open_system());
		if (hax_create_vm(extra, &id) != -1 || errno != ENOSPC)
			r = fail("CREATE_VM past HAX_MAX_VMS: %s, expected ENOSPC",
				 strerror(errno));
		close(extra);
		if (!r && !counts_read(&now)) {
			if (now.vms != base.vms + HAX_MAX_VMS ||
			    now.vcpus != base.vcpus + HAX_MAX_VMS)
				r = fail("%llu VMs, %llu vCPUs counted",
					 (unsigned long long)now.vms,
					 (unsigned long long)now.vcpus);
		}
	}
	/* Every VM runs its own guest with its own result. */
	for (i = 0; !r && i < HAX_MAX_VMS; i++) {
		memcpy(vms[i].ram + 0x1000, g_count_start, g_count_end - g_count_start);
		r = load_count(vms[i].vcpu_fd, i + 1, 2) ||
		    expect_count(vms[i].vcpu_fd, vms[i].tunnel, vms[i].iobuf, i + 1) ||
		    expect_count(vms[i].vcpu_fd, vms[i].tunnel, vms[i].iobuf, 2 * (i + 1)) ||
		    expect_exit(&vms[i], HAX_EXIT_HLT);
	}
	for (i = 0; i < n; i++)
		vm_teardown(&vms[i]);
	return r ? r : counts_expect(&base);
}

#define RUNS 6

struct runner {
	int fd, id, ncpus, r;
	struct hax_tunnel *tunnel;
	uint8_t *iobuf;
	int cpus_seen;
};

/* One vCPU's thread: RUNs on CPU k % ncpus for the k-th run. */
static void *run_vcpu(void *arg)
{
	struct runner *p = arg;
	int k;

	for (k = 0; k < RUNS && !p->r; k++) {
		cpu_set_t set;
		int cpu = (k + p->id) % p->ncpus;

		CPU_ZERO(&set);
		CPU_SET(cpu, &set);
		if (sched_setaffinity(0, sizeof(set), &set)) {
			p->r = fail("vcpu %d: sched_setaffinity: %s", p->id, strerror(errno));
			break;
		}
		p->r = expect_count(p->fd, p->tunnel, p->iobuf, (k + 1) * (p->id + 1));
		if (!p->r && sched_getcpu() == cpu)
			p->cpus_seen |= 1 << cpu;
	}
	if (!p->r) {
		if (hax_run(p->fd))
			p->r = fail("vcpu %d: RUN: %s", p->id, strerror(errno));
		else if (p->tunnel->_exit_status != HAX_EXIT_HLT)
			p->r = fail("vcpu %d: exit %u, expected HLT", p->id,
				    p->tunnel->_exit_status);
	}
	return NULL;
}

VM_TEST(scale_max_vcpus_in_parallel, 64 << 10)
{
	static struct runner run[HAX_MAX_VCPUS];
	static pthread_t th[HAX_MAX_VCPUS];
	int ncpus = sysconf(_SC_NPROCESSORS_ONLN), i, started = 0, r = 0, seen = 0;

	CHECK(ncpus >= 1 && ncpus <= 16);
	memcpy(c->ram + 0x1000, g_count_start, g_count_end - g_count_start);
	memset(run, 0, sizeof(run));
	run[0].fd = c->vcpu_fd;
	run[0].tunnel = c->tunnel;
	run[0].iobuf = c->iobuf;
	for (i = 1; i < HAX_MAX_VCPUS; i++) {
		CHECK_OK(hax_create_vcpu(c->vm_fd, i));
		CHECK_OK(run[i].fd = hax_open_vcpu(c->vm_id, i));
		CHECK_OK(hax_setup_tunnel(run[i].fd, &run[i].tunnel, (void **)&run[i].iobuf));
	}
	for (i = 0; i < HAX_MAX_VCPUS; i++) {
		run[i].id = i;
		run[i].ncpus = ncpus;
		if (load_count(run[i].fd, i + 1, RUNS))
			return 1;
	}
	for (i = 0; i < HAX_MAX_VCPUS; i++, started++)
		if (pthread_create(&th[i], NULL, run_vcpu, &run[i])) {
			r = fail("pthread_create: %s", strerror(errno));
			break;
		}
	for (i = 0; i < started; i++) {
		pthread_join(th[i], NULL);
		if (run[i].r && !r)
			r = 1; /* the thread's fail() reason stands */
		seen |= run[i].cpus_seen;
	}
	for (i = 1; i < HAX_MAX_VCPUS; i++) {
		munmap(run[i].tunnel, 2 * 4096);
		close(run[i].fd);
	}
	if (!r && seen != (1 << ncpus) - 1)
		r = fail("vCPUs ran on CPU mask 0x%x of %d CPUs", seen, ncpus);
	return r;
}
