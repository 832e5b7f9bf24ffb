// SPDX-License-Identifier: GPL-2.0
/* The haxm backend of haxm-bench, over libhaxm. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "bench.h"
#include "libhaxm.h"

struct bench_vm {
	int sys_fd, vm_fd, vcpu_fd[2];
	uint8_t *ram;
	uint64_t ram_size;
	struct hax_tunnel *tunnel[2];
	void *iobuf[2];
};

static void haxm_destroy(struct bench_vm *vm)
{
	int i;

	for (i = 0; i < 2; i++) {
		if (vm->tunnel[i])
			munmap(vm->tunnel[i], 2 * 4096);
		if (vm->vcpu_fd[i] >= 0)
			close(vm->vcpu_fd[i]);
	}
	if (vm->vm_fd >= 0)
		close(vm->vm_fd);
	if (vm->sys_fd >= 0)
		close(vm->sys_fd);
	if (vm->ram)
		bench_ram_free(vm->ram, vm->ram_size);
	free(vm);
}

/* vCPU @i of @vm (VM @id), its tunnel mapped. */
static int haxm_add_vcpu(struct bench_vm *vm, uint32_t id, uint32_t i)
{
	if (hax_create_vcpu(vm->vm_fd, i) || (vm->vcpu_fd[i] = hax_open_vcpu(id, i)) < 0)
		return -1;
	return hax_setup_tunnel(vm->vcpu_fd[i], &vm->tunnel[i], &vm->iobuf[i]);
}

static struct bench_vm *haxm_create(uint64_t ram, bool populate, unsigned int flags)
{
	struct bench_vm *vm = calloc(1, sizeof(*vm));
	uint32_t id;

	if (!vm)
		return NULL;
	vm->sys_fd = vm->vm_fd = vm->vcpu_fd[0] = vm->vcpu_fd[1] = -1;
	vm->ram_size = ram;
	vm->ram = bench_ram_alloc(ram, populate);
	if (!vm->ram)
		goto fail;
	if ((vm->sys_fd = hax_open_system()) < 0 || hax_create_vm(vm->sys_fd, &id) ||
	    (vm->vm_fd = hax_open_vm(id)) < 0 || hax_notify_qemu_version(vm->vm_fd, 4, 4) ||
	    hax_add_ramblock(vm->vm_fd, (uintptr_t)vm->ram, ram) ||
	    hax_set_ram2(vm->vm_fd, 0, ram, (uintptr_t)vm->ram, 0) ||
	    ((flags & BENCH_VM_IRQCHIP) && hax_lapic_enable(vm->vm_fd)) ||
	    haxm_add_vcpu(vm, id, 0) || ((flags & BENCH_VM_AP) && haxm_add_vcpu(vm, id, 1)))
		goto fail;
	return vm;
fail:
	perror("haxm: VM setup");
	haxm_destroy(vm);
	return NULL;
}

static uint8_t *haxm_ram(struct bench_vm *vm)
{
	return vm->ram;
}

static int haxm_set_entry(struct bench_vm *vm, uint16_t ip, uint32_t esi, bool unreal)
{
	vcpu_state_t s;

	if (hax_get_regs(vm->vcpu_fd[0], &s))
		return -1;
	s._cs.selector = s._ds.selector = s._es.selector = s._ss.selector = 0;
	s._cs.base = s._ds.base = s._es.base = s._ss.base = 0;
	if (unreal) {
		s._ds.limit = 0xffffffff;
		s._ds.granularity = 1;
	}
	s._rip = ip;
	s._regs[HAX_REG_RSI] = esi;
	s._regs[HAX_REG_RSP] = 0x8000;
	return hax_set_regs(vm->vcpu_fd[0], &s);
}

static enum bench_exit haxm_run(struct bench_vm *vm, int cpu, char *why, int len)
{
	struct hax_tunnel *t = vm->tunnel[cpu];

	if (hax_run(vm->vcpu_fd[cpu])) {
		if (errno == EINTR)
			return BENCH_EXIT_AGAIN;
		snprintf(why, len, "RUN: %m");
		return BENCH_EXIT_OTHER;
	}
	switch (t->_exit_status) {
	case HAX_EXIT_IO:
		return BENCH_EXIT_IO;
	case HAX_EXIT_FAST_MMIO:
		return BENCH_EXIT_MMIO;
	case HAX_EXIT_HLT:
		return BENCH_EXIT_HLT;
	case HAX_EXIT_INTERRUPT:
		return BENCH_EXIT_AGAIN;
	}
	snprintf(why, len, "exit %s (VMX reason %u)", hax_exit_status_name(t->_exit_status),
		 t->_exit_reason);
	return BENCH_EXIT_OTHER;
}

const struct backend backend_haxm = {
	.name = "haxm",
	.create = haxm_create,
	.ram = haxm_ram,
	.set_entry = haxm_set_entry,
	.run = haxm_run,
	.destroy = haxm_destroy,
};
