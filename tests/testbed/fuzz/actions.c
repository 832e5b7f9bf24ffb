// SPDX-License-Identifier: GPL-2.0
/* haxm-fuzz: the actions and the argument generator. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fuzz.h"

#define PG 4096UL

static const struct {
	const char *name;
	unsigned long nr;
	enum fd_kind kind;
} ioctls[FUZZ_NR_IOCTLS] = {
	[IDX_VERSION] = { "VERSION", HAX_IOCTL_VERSION, FD_SYS },
	[IDX_CREATE_VM] = { "CREATE_VM", HAX_IOCTL_CREATE_VM, FD_SYS },
	[IDX_DESTROY_VM] = { "DESTROY_VM", HAX_IOCTL_DESTROY_VM, FD_SYS },
	[IDX_CAPABILITY] = { "CAPABILITY", HAX_IOCTL_CAPABILITY, FD_SYS },
	[IDX_SET_MEMLIMIT] = { "SET_MEMLIMIT", HAX_IOCTL_SET_MEMLIMIT, FD_SYS },
	[IDX_VCPU_CREATE] = { "VCPU_CREATE", HAX_VM_IOCTL_VCPU_CREATE, FD_VM },
	[IDX_ALLOC_RAM] = { "ALLOC_RAM", HAX_VM_IOCTL_ALLOC_RAM, FD_VM },
	[IDX_SET_RAM] = { "SET_RAM", HAX_VM_IOCTL_SET_RAM, FD_VM },
	[IDX_VCPU_DESTROY] = { "VCPU_DESTROY", HAX_VM_IOCTL_VCPU_DESTROY, FD_VM },
	[IDX_VCPU_DESTROY_W] = { "VCPU_DESTROY_W", HAX_VM_IOCTL_VCPU_DESTROY_W, FD_VM },
	[IDX_NOTIFY_QEMU_VERSION] = { "NOTIFY_QEMU_VERSION", HAX_VM_IOCTL_NOTIFY_QEMU_VERSION,
				      FD_VM },
	[IDX_ADD_RAMBLOCK] = { "ADD_RAMBLOCK", HAX_VM_IOCTL_ADD_RAMBLOCK, FD_VM },
	[IDX_SET_RAM2] = { "SET_RAM2", HAX_VM_IOCTL_SET_RAM2, FD_VM },
	[IDX_PROTECT_RAM] = { "PROTECT_RAM", HAX_VM_IOCTL_PROTECT_RAM, FD_VM },
	[IDX_RUN] = { "RUN", HAX_VCPU_IOCTL_RUN, FD_VCPU },
	[IDX_SET_MSRS] = { "SET_MSRS", HAX_VCPU_IOCTL_SET_MSRS, FD_VCPU },
	[IDX_GET_MSRS] = { "GET_MSRS", HAX_VCPU_IOCTL_GET_MSRS, FD_VCPU },
	[IDX_SET_FPU] = { "SET_FPU", HAX_VCPU_IOCTL_SET_FPU, FD_VCPU },
	[IDX_GET_FPU] = { "GET_FPU", HAX_VCPU_IOCTL_GET_FPU, FD_VCPU },
	[IDX_SETUP_TUNNEL] = { "SETUP_TUNNEL", HAX_VCPU_IOCTL_SETUP_TUNNEL, FD_VCPU },
	[IDX_INTERRUPT] = { "INTERRUPT", HAX_VCPU_IOCTL_INTERRUPT, FD_VCPU },
	[IDX_SET_REGS] = { "SET_REGS", HAX_VCPU_SET_REGS, FD_VCPU },
	[IDX_GET_REGS] = { "GET_REGS", HAX_VCPU_GET_REGS, FD_VCPU },
	[IDX_VCPU_DEBUG] = { "VCPU_DEBUG", HAX_IOCTL_VCPU_DEBUG, FD_VCPU },
	[IDX_SET_CPUID] = { "SET_CPUID", HAX_VCPU_IOCTL_SET_CPUID, FD_VCPU },
	[IDX_GET_CPUID] = { "GET_CPUID", HAX_VCPU_IOCTL_GET_CPUID, FD_VCPU },
	[IDX_GET_STATE] = { "GET_STATE", HAX_VCPU_IOCTL_GET_STATE, FD_VCPU },
	[IDX_SET_STATE] = { "SET_STATE", HAX_VCPU_IOCTL_SET_STATE, FD_VCPU },
	[IDX_LAPIC_ENABLE] = { "LAPIC_ENABLE", HAX_VM_IOCTL_LAPIC_ENABLE, FD_VM },
	[IDX_IRQ_LINE] = { "IRQ_LINE", HAX_VM_IOCTL_IRQ_LINE, FD_VM },
	[IDX_GET_IOAPIC] = { "GET_IOAPIC", HAX_VM_IOCTL_GET_IOAPIC, FD_VM },
	[IDX_SET_IOAPIC] = { "SET_IOAPIC", HAX_VM_IOCTL_SET_IOAPIC, FD_VM },
	[IDX_GET_PIC] = { "GET_PIC", HAX_VM_IOCTL_GET_PIC, FD_VM },
	[IDX_SET_PIC] = { "SET_PIC", HAX_VM_IOCTL_SET_PIC, FD_VM },
	[IDX_GET_PIT] = { "GET_PIT", HAX_VM_IOCTL_GET_PIT, FD_VM },
	[IDX_SET_PIT] = { "SET_PIT", HAX_VM_IOCTL_SET_PIT, FD_VM },
	[IDX_GET_LAPIC] = { "GET_LAPIC", HAX_VCPU_IOCTL_GET_LAPIC, FD_VCPU },
	[IDX_SET_LAPIC] = { "SET_LAPIC", HAX_VCPU_IOCTL_SET_LAPIC, FD_VCPU },
	[IDX_SIGNAL_MSI] = { "SIGNAL_MSI", HAX_VM_IOCTL_SIGNAL_MSI, FD_VM },
	[IDX_OPEN] = { "open", 0, FD_ANY },
	[IDX_MMAP_TUNNEL] = { "mmap-tunnel", 0, FD_ANY },
	[IDX_CHILD] = { "child", 0, FD_ANY },
	[IDX_OTHER] = { "other", 0, FD_ANY },
	[IDX_RACE_OPEN] = { "race-open", 0, FD_ANY },
	[IDX_RACE_USE] = { "race-use", 0, FD_ANY },
};

const char *fuzz_ioctl_name(int which)
{
	return ioctls[which].name;
}

unsigned long fuzz_ioctl_nr(int which)
{
	return ioctls[which].nr;
}

/* Argument memory: a read-write page followed by a PROT_NONE guard page, and a read-only page. */
static uint8_t *arg_page, *ro_page;
uint8_t *fuzz_arg_page;

/*
 * Regions (guest RAM) live in slots of a window reserved at the start. A VM
 * may still map a region the pool dropped, and its guest then writes to
 * whatever the process has at that address: a dropped region's slot is made
 * PROT_NONE (RUN: EFAULT), and only a later region takes it again, never the
 * heap, a stack or a FILE that mmap() would otherwise put there.
 */
#define REGION_SLOT  (64 * PG)
#define REGION_SLOTS 32
static uint8_t *region_window;
static bool region_busy[REGION_SLOTS]; /* under fz.lock */

int fuzz_args_init(void)
{
	uint8_t *p = mmap(NULL, 3 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return perror("mmap"), -1;
	memset(p + 2 * PG, 0x5a, PG);
	if (mprotect(p + PG, PG, PROT_NONE) || mprotect(p + 2 * PG, PG, PROT_READ))
		return perror("mprotect"), -1;
	arg_page = p;
	ro_page = p + 2 * PG;
	fuzz_arg_page = arg_page;
	region_window = mmap(NULL, REGION_SLOTS * REGION_SLOT, PROT_NONE,
			     MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (region_window == MAP_FAILED)
		return perror("mmap"), -1;
	return 0;
}

/* A small, an aligned, a boundary or a random value. */
static uint64_t interesting(struct fuzz_thread *t)
{
	static const uint64_t vals[] = { 0,
					 1,
					 2,
					 0xfff,
					 0x1000,
					 0x1001,
					 0x7fffffff,
					 0x80000000,
					 0xffffffff,
					 0x100000000ULL,
					 (1ULL << 47) - PG,
					 (1ULL << 52),
					 ~0ULL,
					 ~0ULL - PG + 1,
					 63,
					 64,
					 65 };

	switch (fuzz_rand(t) % 3) {
	case 0:
		return vals[fuzz_rand(t) % (sizeof(vals) / sizeof(vals[0]))];
	case 1:
		return (fuzz_rand(t) % 64) * PG;
	}
	return fuzz_rand(t);
}

/* Fill @size bytes of argument with a plausible or a random structure. */
static void fill_arg(struct fuzz_thread *t, int which, uint8_t *a, size_t size)
{
	struct fuzz_region reg;
	size_t i;

	for (i = 0; i < size; i += 8) {
		uint64_t v = interesting(t);

		memcpy(a + i, &v, size - i < 8 ? size - i : 8);
	}
	if (!fuzz_pick_region(t, &reg) || fuzz_rand(t) % 4 == 0)
		return;
	/* mostly-valid memory arguments over a real region */
	uint64_t off = (fuzz_rand(t) % (reg.len / PG)) * PG;
	uint64_t len = (1 + fuzz_rand(t) % ((reg.len - off) / PG)) * PG;
	uint64_t gpa = (fuzz_rand(t) % 512) * PG;

	switch (ioctls[which].nr) {
	case HAX_VM_IOCTL_ADD_RAMBLOCK: {
		struct hax_ramblock_info *r = (void *)a;

		r->start_va = (uintptr_t)reg.p;
		r->size = reg.len;
		r->reserved = fuzz_rand(t) % 8 == 0;
		break;
	}
	case HAX_VM_IOCTL_SET_RAM: {
		struct hax_set_ram_info *r = (void *)a;

		r->pa_start = gpa;
		r->size = len;
		r->flags = fuzz_rand(t) % 3 ? 0 : 1u << (fuzz_rand(t) % 8);
		r->va = r->flags & HAX_RAM_INFO_INVALID ? 0 : (uintptr_t)reg.p + off;
		break;
	}
	case HAX_VM_IOCTL_SET_RAM2: {
		struct hax_set_ram_info2 *r = (void *)a;

		r->pa_start = gpa;
		r->size = len;
		r->flags = fuzz_rand(t) % 3 ? 0 : 1u << (fuzz_rand(t) % 8);
		r->va = r->flags & HAX_RAM_INFO_INVALID ? 0 : (uintptr_t)reg.p + off;
		r->reserved1 = r->reserved2 = 0;
		break;
	}
	case HAX_VM_IOCTL_ALLOC_RAM: {
		struct hax_alloc_ram_info *r = (void *)a;

		r->size = reg.len;
		r->pad = 0;
		r->va = (uintptr_t)reg.p;
		break;
	}
	case HAX_VM_IOCTL_PROTECT_RAM: {
		struct hax_protect_ram_info *r = (void *)a;

		r->pa_start = gpa;
		r->size = len;
		r->flags = fuzz_rand(t) % 8;
		r->reserved = 0;
		break;
	}
	case HAX_VM_IOCTL_NOTIFY_QEMU_VERSION: {
		struct hax_qemu_version *r = (void *)a;

		r->cur_version = fuzz_rand(t) % 6;
		r->least_version = fuzz_rand(t) % 6;
		break;
	}
	case HAX_VM_IOCTL_VCPU_CREATE:
	case HAX_VM_IOCTL_VCPU_DESTROY:
	case HAX_VM_IOCTL_VCPU_DESTROY_W:
	case HAX_IOCTL_DESTROY_VM:
	case HAX_VCPU_IOCTL_INTERRUPT:
		*(uint32_t *)a = fuzz_rand(t) % 70;
		break;
	case HAX_VCPU_IOCTL_SET_MSRS:
	case HAX_VCPU_IOCTL_GET_MSRS: {
		struct hax_msr_data *m = (void *)a;

		m->nr_msr = fuzz_rand(t) % 40;
		for (i = 0; i < HAX_MAX_MSR_ARRAY; i++)
			m->entries[i].entry = fuzz_rand(t) % 2 ? 0xc0000080 + fuzz_rand(t) % 0x110
							       : fuzz_rand(t) % 0x800;
		break;
	}
	case HAX_VM_IOCTL_LAPIC_ENABLE:
	case HAX_VM_IOCTL_IRQ_LINE:
	case HAX_VM_IOCTL_SIGNAL_MSI:
		fuzz_irqchip_arg(t, ioctls[which].nr, a);
		break;
	case HAX_VCPU_IOCTL_SET_CPUID:
	case HAX_VCPU_IOCTL_GET_CPUID: {
		/* a pointer to a pointer: aim it at the rest of the page */
		struct hax_cpuid *c = (void *)(a + 64);

		*(void **)a = fuzz_rand(t) % 4 ? (void *)c : (void *)(uintptr_t)interesting(t);
		c->total = fuzz_rand(t) % 80;
		c->pad = fuzz_rand(t) % 8 == 0;
		break;
	}
	}
}

/* The argument pointer: good memory mostly, sometimes a trap. */
static void *arg_ptr(struct fuzz_thread *t, int which, size_t size)
{
	uint8_t *a = arg_page;

	switch (fuzz_rand(t) % 16) {
	case 0:
		return NULL;
	case 1:
		return arg_page + PG; /* the guard page */
	case 2:
		return arg_page + PG - (size ? fuzz_rand(t) % size + 1 : 1); /* runs into it */
	case 3:
		return (void *)0xffff888000000000ULL; /* a kernel address */
	case 4:
		return ro_page; /* readable, not writable */
	case 5:
		a = arg_page + 1 + fuzz_rand(t) % 7; /* unaligned */
		break;
	}
	if (size > PG - (a - arg_page))
		size = PG - (a - arg_page);
	fill_arg(t, which, a, size);
	return a;
}

static void do_ioctl(struct fuzz_thread *t, int which, int slot, int fd)
{
	unsigned long nr = ioctls[which].nr;
	void *arg = arg_ptr(t, which, _IOC_SIZE(nr) ? _IOC_SIZE(nr) : 8);
	t->doing = which;
	struct hax_tunnel_info ti[2];
	uint8_t *a = arg;
	vcpu_state_t s;
	struct hax_vcpu_full_state fs;
	struct hax_lapic_state chip; /* the largest of the controllers' states */
	void *own;
	long r;

	/*
	 * SETUP_TUNNEL maps the tunnel anew at each call, and the mapping keeps
	 * the vCPU's file (so its VM) alive: its address must not be lost in
	 * the page the threads share. A good pointer becomes a private one with
	 * the same alignment; the traps stay.
	 */
	if (nr == HAX_VCPU_IOCTL_SETUP_TUNNEL && a >= arg_page && a + sizeof(*ti) <= arg_page + PG)
		arg = (uint8_t *)ti + (a - arg_page) % 8;

	/* SET_REGS: mostly the vCPU's own state with a few bytes changed */
	if (which == IDX_SET_REGS && fuzz_rand(t) % 4 && !ioctl(fd, HAX_VCPU_GET_REGS, &s)) {
		int k, n = fuzz_rand(t) % 4;

		for (k = 0; k < n; k++)
			((uint8_t *)&s)[fuzz_rand(t) % sizeof(s)] = fuzz_rand(t);
		arg = &s;
	}
	/*
	 * The complete state (larger than the argument page): GET into a
	 * buffer of its size mostly; SET mostly the vCPU's own state with a
	 * few bytes changed, outside the XSAVE area mostly. What SET takes, a
	 * VM entry must take too: a RUN failing with EIO is a finding.
	 */
	if ((which == IDX_GET_STATE || which == IDX_SET_STATE) && fuzz_rand(t) % 4) {
		if (which == IDX_GET_STATE || !ioctl(fd, HAX_VCPU_IOCTL_GET_STATE, &fs)) {
			int k, n = which == IDX_SET_STATE ? fuzz_rand(t) % 4 : 0;

			for (k = 0; k < n; k++) {
				size_t off = fuzz_rand(t) % 8 ? fuzz_rand(t) % 960
							      : fuzz_rand(t) % sizeof(fs);

				((uint8_t *)&fs)[off] =
					fuzz_rand(t) % 2
						? fuzz_rand(t)
						: ((uint8_t *)&fs)[off] ^ 1u << fuzz_rand(t) % 8;
			}
			arg = &fs;
		}
	}
	/* the in-kernel controllers' SETs: mostly their own state, a field or two off */
	if (fuzz_rand(t) % 4 && (own = fuzz_irqchip_state(t, nr, fd, &chip)))
		arg = own;
	r = ioctl(fd, nr, arg);
	fuzz_record(which, r, errno);
	if (nr == HAX_VCPU_IOCTL_SETUP_TUNNEL && !r) {
		uint64_t va;

		memcpy(&va, arg, sizeof(va));
		fuzz_adopt_tunnel(slot, fd, (void *)(uintptr_t)va);
	}
}

static void set_seg(segment_desc_t *sg, uint16_t sel, uint32_t ar)
{
	sg->selector = sel;
	sg->base = sel << 4;
	sg->limit = 0xffff;
	sg->ar = ar;
}

/* Real mode at @ip with CS, DS, ES and SS 0: the code at guest-physical @ip
 * runs. A vCPU stopped by STATECHANGE starts again from such a state. */
static void aim_real(struct fuzz_thread *t, int fd, uint64_t ip)
{
	vcpu_state_t s;
	long r = ioctl(fd, HAX_VCPU_GET_REGS, &s);
	int i;

	fuzz_record(IDX_GET_REGS, r, errno);
	if (r)
		return;
	for (i = 0; i < HAX_NR_GPRS; i++)
		s._regs[i] = fuzz_rand(t) % 2 ? (uint16_t)fuzz_rand(t) : fuzz_rand(t);
	s._regs[HAX_REG_RSP] = 0xfff0;
	s._rip = ip;
	s._rflags = 2 | (fuzz_rand(t) & 0x2d5); /* CF PF AF ZF SF IF at random */
	s._cr0 = 0x60000010;
	s._cr3 = s._cr4 = 0;
	s._efer = 0;
	set_seg(&s._cs, 0, 0x9b);
	set_seg(&s._ds, 0, 0x93);
	s._es = s._fs = s._gs = s._ss = s._ds;
	s._idt.base = 0;
	s._idt.limit = 0x3ff;
	s._activity_state = HAX_ACTIVITY_ACTIVE;
	r = ioctl(fd, HAX_VCPU_SET_REGS, &s);
	fuzz_record(IDX_SET_REGS, r, errno);
}

/* Random bytes at @off of region @p if it is still in the pool (under the
 * lock: no other thread unmaps it meanwhile); @p NULL: a random region. */
static void write_code(struct fuzz_thread *t, uint8_t *p, uint64_t off)
{
	int i = fuzz_rand(t) % FUZZ_MAX_REGIONS, j;

	pthread_mutex_lock(&fz.lock);
	for (j = 0; p && j < FUZZ_MAX_REGIONS; j++)
		if (fz.regions[j].p == p)
			i = j;
	if (fz.regions[i].p && (!p || fz.regions[i].p == p)) {
		struct fuzz_region *reg = &fz.regions[i];
		size_t n = 16 + fuzz_rand(t) % 240, k;

		if (!p)
			off = (fuzz_rand(t) % (reg->len / PG)) * PG;
		for (k = 0; k < n && off + k < reg->len; k++)
			reg->p[off + k] = fuzz_rand(t);
	}
	pthread_mutex_unlock(&fz.lock);
}

/* Random real-mode code somewhere in a region; RUN. */
static void do_run(struct fuzz_thread *t, struct fuzz_fd *v)
{
	bool stopped = false;
	long r;
	int i;

	if (fuzz_rand(t) % 2)
		write_code(t, NULL, 0);
	/* under the lock: no other thread unmaps the tunnel meanwhile */
	pthread_mutex_lock(&fz.lock);
	for (i = 0; i < FUZZ_MAX_FDS; i++) {
		if (fz.fds[i].fd != v->fd || !fz.fds[i].tunnel)
			continue;
		stopped = fz.fds[i].tunnel->_exit_status == HAX_EXIT_STATECHANGE;
		if (fuzz_rand(t) % 4 == 0) /* scribble over the shared fields */
			memset((uint8_t *)fz.fds[i].tunnel + fuzz_rand(t) % 64, fuzz_rand(t),
			       1 + fuzz_rand(t) % 8);
	}
	pthread_mutex_unlock(&fz.lock);
	if (stopped && fuzz_rand(t) % 2)
		aim_real(t, v->fd, (fuzz_rand(t) % 0xff00) & ~0xfULL);
	r = ioctl(v->fd, HAX_VCPU_IOCTL_RUN, 0);
	fuzz_record(IDX_RUN, r, errno);
	__atomic_add_fetch(&fz.runs, 1, __ATOMIC_RELAXED);
}

static void do_open(struct fuzz_thread *t)
{
	struct fuzz_fd f = { .fd = -1 }, vm;
	char path[64];
	int r;

	switch (fuzz_rand(t) % 3) {
	case 0:
		f.fd = open("/dev/HAX", O_RDWR | O_CLOEXEC);
		f.kind = FD_SYS;
		break;
	case 1: /* a new VM from a system fd, and its node */
		if (fuzz_pick_fd(t, FD_SYS, &vm) < 0)
			return;
		r = ioctl(vm.fd, HAX_IOCTL_CREATE_VM, &f.vm_id);
		fuzz_record(IDX_CREATE_VM, r, errno);
		if (r)
			return;
		snprintf(path, sizeof(path), "/dev/hax_vm/vm%02u", f.vm_id);
		f.fd = open(path, O_RDWR | O_CLOEXEC);
		f.kind = FD_VM;
		/* mostly with the in-kernel controllers: their ioctls act */
		if (f.fd >= 0 && fuzz_rand(t) % 4) {
			struct hax_lapic_enable le = { .flags = fuzz_enable_flags(t) };

			r = ioctl(f.fd, HAX_VM_IOCTL_LAPIC_ENABLE, &le);
			fuzz_record(IDX_LAPIC_ENABLE, r, errno);
		}
		break;
	case 2: /* a vCPU of a VM, its node and tunnel */
		if (fuzz_pick_fd(t, FD_VM, &vm) < 0)
			return;
		f.vm_id = vm.vm_id;
		f.vcpu_id = fuzz_rand(t) % 4;
		r = ioctl(vm.fd, HAX_VM_IOCTL_VCPU_CREATE, &f.vcpu_id);
		fuzz_record(IDX_VCPU_CREATE, r, errno);
		snprintf(path, sizeof(path), "/dev/hax_vm%02u/vcpu%02u", f.vm_id, f.vcpu_id);
		f.fd = open(path, O_RDWR | O_CLOEXEC);
		f.kind = FD_VCPU;
		if (f.fd >= 0) {
			struct hax_tunnel_info ti;

			r = ioctl(f.fd, HAX_VCPU_IOCTL_SETUP_TUNNEL, &ti);
			fuzz_record(IDX_SETUP_TUNNEL, r, errno);
			if (!r)
				f.tunnel = (void *)(uintptr_t)ti.va;
		}
		break;
	}
	fuzz_record(IDX_OPEN, f.fd, errno);
	if (f.fd >= 0)
		fuzz_add_fd(f, -1);
}

/* A new region, or NULL; @install: in a random slot of the pool. */
static uint8_t *do_region(struct fuzz_thread *t, bool install, uint64_t *out_len)
{
	int i = fuzz_rand(t) % FUZZ_MAX_REGIONS, k, slot = -1;
	uint64_t len = (1 + fuzz_rand(t) % 64) * PG;
	bool make = install || fuzz_rand(t) % 2;
	uint8_t *p = NULL, *old;

	pthread_mutex_lock(&fz.lock);
	for (k = 0; make && k < REGION_SLOTS && slot < 0; k++)
		if (!region_busy[(i + k) % REGION_SLOTS])
			slot = (i + k) % REGION_SLOTS;
	if (slot >= 0)
		region_busy[slot] = true;
	pthread_mutex_unlock(&fz.lock);
	if (slot >= 0) {
		p = mmap(region_window + slot * REGION_SLOT, len, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
		if (p == MAP_FAILED) {
			pthread_mutex_lock(&fz.lock);
			region_busy[slot] = false;
			pthread_mutex_unlock(&fz.lock);
			return NULL;
		}
	}
	if (out_len)
		*out_len = len;
	/* replace (or just drop) a region: the kernel may hold it as RAM */
	pthread_mutex_lock(&fz.lock);
	old = fz.regions[i].p;
	fz.regions[i].p = p;
	fz.regions[i].len = len;
	pthread_mutex_unlock(&fz.lock);
	if (old) {
		slot = (old - region_window) / REGION_SLOT;
		mmap(old, REGION_SLOT, PROT_NONE,
		     MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED, -1, 0);
		pthread_mutex_lock(&fz.lock);
		region_busy[slot] = false;
		pthread_mutex_unlock(&fz.lock);
	}
	return p;
}

/* An fd to the pool, evicting one when it is full (its VM may go). */
static void add_evict(struct fuzz_thread *t, struct fuzz_fd *f)
{
	if (f->fd >= 0)
		fuzz_add_fd(*f, fuzz_rand(t) % FUZZ_MAX_FDS);
}

/* ioctls[@which] on @fd, its result recorded. */
static long call(int which, int fd, void *arg)
{
	long r = ioctl(fd, ioctls[which].nr, arg);

	fuzz_record(which, r, errno);
	return r;
}

/*
 * A complete, runnable VM from a fresh /dev/HAX fd: RAM at 0 over a region,
 * a vCPU with its tunnel, in real mode at random code in that RAM; its fds
 * join the pool, evicting others. The fds the pool keeps own VMs, so when
 * CREATE_VM finds the module's VM slots full, a system fd of the pool goes,
 * and with it the VMs it created.
 */
static void do_build(struct fuzz_thread *t)
{
	struct fuzz_fd sys = { .fd = -1, .kind = FD_SYS }, vm = { .fd = -1, .kind = FD_VM };
	struct fuzz_fd vc = { .fd = -1, .kind = FD_VCPU }, f;
	struct hax_tunnel_info ti;
	struct fuzz_region reg;
	uint64_t ip, top;
	char path[64];
	long r;
	int e;

	sys.fd = open("/dev/HAX", O_RDWR | O_CLOEXEC);
	fuzz_record(IDX_OPEN, sys.fd, errno);
	if (sys.fd < 0)
		return;
	r = ioctl(sys.fd, HAX_IOCTL_CREATE_VM, &vm.vm_id);
	e = errno;
	fuzz_record(IDX_CREATE_VM, r, e);
	if (r) {
		int slot = fuzz_pick_fd(t, FD_SYS, &f);

		close(sys.fd);
		if (e == ENOSPC && slot >= 0)
			fuzz_close_fd(slot);
		return;
	}
	snprintf(path, sizeof(path), "/dev/hax_vm/vm%02u", vm.vm_id);
	vm.fd = open(path, O_RDWR | O_CLOEXEC);
	fuzz_record(IDX_OPEN, vm.fd, errno);
	if (vm.fd < 0)
		return (void)close(sys.fd);
	__atomic_add_fetch(&fz.builds, 1, __ATOMIC_RELAXED);
	if (fuzz_rand(t) % 2) {
		struct hax_qemu_version qv = { 4, 4 };

		call(IDX_NOTIFY_QEMU_VERSION, vm.fd, &qv);
	}
	/* the in-kernel controllers, before the vCPU, at random */
	if (fuzz_rand(t) % 4) {
		struct hax_lapic_enable le = { .flags = fuzz_enable_flags(t) };

		call(IDX_LAPIC_ENABLE, vm.fd, &le);
	}
	/* RAM: a region of the pool or a new one (put in the pool) */
	if (fuzz_rand(t) % 2 || !fuzz_pick_region(t, &reg))
		reg.p = do_region(t, true, &reg.len);
	if (reg.p) {
		struct hax_ramblock_info rb = { .start_va = (uintptr_t)reg.p, .size = reg.len };
		struct hax_alloc_ram_info ar = { .size = reg.len, .va = (uintptr_t)reg.p };
		struct hax_set_ram_info2 ram2 = { .size = reg.len, .va = (uintptr_t)reg.p };
		struct hax_set_ram_info ram = { .size = reg.len, .va = (uintptr_t)reg.p };

		if (fuzz_rand(t) % 2)
			call(IDX_ADD_RAMBLOCK, vm.fd, &rb);
		else
			call(IDX_ALLOC_RAM, vm.fd, &ar);
		if (fuzz_rand(t) % 2)
			call(IDX_SET_RAM2, vm.fd, &ram2);
		else
			call(IDX_SET_RAM, vm.fd, &ram);
	}
	vc.vm_id = vm.vm_id;
	vc.vcpu_id = fuzz_rand(t) % 4;
	r = ioctl(vm.fd, HAX_VM_IOCTL_VCPU_CREATE, &vc.vcpu_id);
	fuzz_record(IDX_VCPU_CREATE, r, errno);
	snprintf(path, sizeof(path), "/dev/hax_vm%02u/vcpu%02u", vc.vm_id, vc.vcpu_id);
	vc.fd = r ? -1 : open(path, O_RDWR | O_CLOEXEC);
	if (!r)
		fuzz_record(IDX_OPEN, vc.fd, errno);
	if (vc.fd >= 0) {
		r = ioctl(vc.fd, HAX_VCPU_IOCTL_SETUP_TUNNEL, &ti);
		fuzz_record(IDX_SETUP_TUNNEL, r, errno);
		if (!r)
			vc.tunnel = (void *)(uintptr_t)ti.va;
		top = reg.p ? (reg.len < 0x10000 ? reg.len : 0x10000) : 0x10000;
		ip = top > 0x200 ? fuzz_rand(t) % (top - 0x100) : 0;
		if (reg.p)
			write_code(t, reg.p, ip);
		aim_real(t, vc.fd, ip);
	}
	add_evict(t, &vc);
	add_evict(t, &vm);
	add_evict(t, &sys);
}

void fuzz_step(struct fuzz_thread *t)
{
	unsigned int dice = fuzz_rand(t) % 100;
	struct fuzz_fd f;
	int slot, which;

	if (dice < 8) {
		do_open(t);
	} else if (dice < 14) {
		slot = fuzz_pick_fd(t, FD_ANY, &f);
		if (slot >= 0)
			fuzz_close_fd(slot);
	} else if (dice < 17) {
		do_region(t, false, NULL);
	} else if (dice < 18) {
		fuzz_do_child(t);
	} else if (dice < 20) {
		fuzz_do_race(t);
	} else if (dice < 30) {
		t->doing = IDX_RUN;
		if (fuzz_pick_fd(t, FD_VCPU, &f) >= 0)
			do_run(t, &f);
	} else if (dice < 33) {
		/* a second mapping of a vCPU's tunnel pages */
		if (fuzz_pick_fd(t, FD_VCPU, &f) >= 0) {
			void *p = mmap(NULL, 2 * PG, PROT_READ | PROT_WRITE, MAP_SHARED, f.fd,
				       (fuzz_rand(t) % 4) * PG);

			fuzz_record(IDX_MMAP_TUNNEL, p == MAP_FAILED ? -1 : 0, errno);
			if (p != MAP_FAILED)
				munmap(p, 2 * PG);
		}
	} else if (dice < 34) {
		t->doing = IDX_CREATE_VM; /* building a VM */
		do_build(t);
	} else if (dice < 90) {
		/* an ioctl of the fd's kind, mostly */
		which = fuzz_rand(t) % IDX_OPEN;
		slot = fuzz_pick_fd(t, fuzz_rand(t) % 8 ? ioctls[which].kind : FD_ANY, &f);
		if (slot >= 0)
			do_ioctl(t, which, slot, f.fd);
	} else {
		/* numbers no haxm node knows: haxm's type 0 with any number, size
		 * and direction, or another type — except 'X' (FIFREEZE and
		 * friends act on the file system under the node) */
		unsigned long type = fuzz_rand(t) % 2 ? 0 : fuzz_rand(t) % 256;
		unsigned long nr = _IOC(fuzz_rand(t) % 4, type == 'X' ? 0 : type,
					fuzz_rand(t) % 256, fuzz_rand(t) % 1024);

		if (nr == HAX_VCPU_IOCTL_SETUP_TUNNEL) /* known, and its mapping would be lost */
			nr = HAX_VCPU_IOCTL_SETUP_TUNNEL + 1;

		if (fuzz_pick_fd(t, FD_ANY, &f) >= 0) {
			long r = ioctl(f.fd, nr, arg_page);

			fuzz_record(IDX_OTHER, r, errno);
		}
	}
}
