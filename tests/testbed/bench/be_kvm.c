// SPDX-License-Identifier: GPL-2.0
/* The KVM backend of haxm-bench: the reference, kvm_intel in the same testbed. */
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "bench.h"

struct bench_vm {
	int kvm_fd, vm_fd, vcpu_fd;
	uint8_t *ram;
	uint64_t ram_size;
	struct kvm_run *run;
	int run_size;
};

static void kvm_destroy(struct bench_vm *vm)
{
	if (vm->run)
		munmap(vm->run, vm->run_size);
	if (vm->vcpu_fd >= 0)
		close(vm->vcpu_fd);
	if (vm->vm_fd >= 0)
		close(vm->vm_fd);
	if (vm->kvm_fd >= 0)
		close(vm->kvm_fd);
	if (vm->ram)
		bench_ram_free(vm->ram, vm->ram_size);
	free(vm);
}

static struct bench_vm *kvm_create(uint64_t ram, bool populate)
{
	struct bench_vm *vm = calloc(1, sizeof(*vm));
	struct kvm_userspace_memory_region r = { 0 };
	void *run;

	if (!vm)
		return NULL;
	vm->kvm_fd = vm->vm_fd = vm->vcpu_fd = -1;
	vm->ram_size = ram;
	vm->ram = bench_ram_alloc(ram, populate);
	if (!vm->ram)
		goto fail;
	r.memory_size = ram;
	r.userspace_addr = (uintptr_t)vm->ram;
	if ((vm->kvm_fd = open("/dev/kvm", O_RDWR | O_CLOEXEC)) < 0 ||
	    (vm->vm_fd = ioctl(vm->kvm_fd, KVM_CREATE_VM, 0)) < 0 ||
	    ioctl(vm->vm_fd, KVM_SET_USER_MEMORY_REGION, &r) ||
	    (vm->vcpu_fd = ioctl(vm->vm_fd, KVM_CREATE_VCPU, 0)) < 0 ||
	    (vm->run_size = ioctl(vm->kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0)) <= 0)
		goto fail;
	run = mmap(NULL, vm->run_size, PROT_READ | PROT_WRITE, MAP_SHARED, vm->vcpu_fd, 0);
	if (run == MAP_FAILED)
		goto fail;
	vm->run = run;
	return vm;
fail:
	perror("kvm: VM setup");
	kvm_destroy(vm);
	return NULL;
}

static uint8_t *kvm_ram(struct bench_vm *vm)
{
	return vm->ram;
}

static int kvm_set_entry(struct bench_vm *vm, uint16_t ip, uint32_t esi, bool unreal)
{
	struct kvm_sregs s;
	struct kvm_regs r = { 0 };

	if (ioctl(vm->vcpu_fd, KVM_GET_SREGS, &s))
		return -1;
	s.cs.selector = s.ds.selector = s.es.selector = s.ss.selector = 0;
	s.cs.base = s.ds.base = s.es.base = s.ss.base = 0;
	if (unreal) {
		s.ds.limit = 0xffffffff;
		s.ds.g = 1;
	}
	if (ioctl(vm->vcpu_fd, KVM_SET_SREGS, &s))
		return -1;
	r.rip = ip;
	r.rsi = esi;
	r.rsp = 0x8000;
	r.rflags = 2;
	return ioctl(vm->vcpu_fd, KVM_SET_REGS, &r);
}

static enum bench_exit kvm_run(struct bench_vm *vm, char *why, int len)
{
	if (ioctl(vm->vcpu_fd, KVM_RUN, 0)) {
		snprintf(why, len, "KVM_RUN: %m");
		return BENCH_EXIT_OTHER;
	}
	switch (vm->run->exit_reason) {
	case KVM_EXIT_IO:
		return BENCH_EXIT_IO;
	case KVM_EXIT_MMIO:
		return BENCH_EXIT_MMIO;
	case KVM_EXIT_HLT:
		return BENCH_EXIT_HLT;
	case KVM_EXIT_INTR:
		return BENCH_EXIT_AGAIN;
	}
	snprintf(why, len, "exit reason %u", vm->run->exit_reason);
	return BENCH_EXIT_OTHER;
}

const struct backend backend_kvm = {
	.name = "kvm",
	.create = kvm_create,
	.ram = kvm_ram,
	.set_entry = kvm_set_entry,
	.run = kvm_run,
	.destroy = kvm_destroy,
};
