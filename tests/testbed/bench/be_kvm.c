// SPDX-License-Identifier: GPL-2.0
/* The KVM backend of haxm-bench: the reference, kvm_intel in the same testbed. */
#include <errno.h>
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
	int kvm_fd, vm_fd, vcpu_fd[2];
	uint8_t *ram;
	uint64_t ram_size;
	struct kvm_run *run[2];
	int run_size;
};

static void kvm_destroy(struct bench_vm *vm)
{
	int i;

	for (i = 0; i < 2; i++) {
		if (vm->run[i])
			munmap(vm->run[i], vm->run_size);
		if (vm->vcpu_fd[i] >= 0)
			close(vm->vcpu_fd[i]);
	}
	if (vm->vm_fd >= 0)
		close(vm->vm_fd);
	if (vm->kvm_fd >= 0)
		close(vm->kvm_fd);
	if (vm->ram)
		bench_ram_free(vm->ram, vm->ram_size);
	free(vm);
}

/*
 * vCPU @i of @vm, its kvm_run mapped; with the irqchip, CPUID as KVM supports
 * it plus the TSC-deadline timer, which KVM leaves to the VMM to offer
 * (KVM_CAP_TSC_DEADLINE_TIMER; QEMU does the same).
 */
static int kvm_add_vcpu(struct bench_vm *vm, int i, bool irqchip)
{
	struct {
		struct kvm_cpuid2 h;
		struct kvm_cpuid_entry2 e[100];
	} cpuid = { .h.nent = 100 };
	void *run;
	uint32_t n;

	if ((vm->vcpu_fd[i] = ioctl(vm->vm_fd, KVM_CREATE_VCPU, i)) < 0)
		return -1;
	if (irqchip) {
		if (ioctl(vm->kvm_fd, KVM_GET_SUPPORTED_CPUID, &cpuid) ||
		    ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_TSC_DEADLINE_TIMER) <= 0)
			return -1;
		for (n = 0; n < cpuid.h.nent; n++)
			if (cpuid.e[n].function == 1)
				cpuid.e[n].ecx |= 1u << 24;
		if (ioctl(vm->vcpu_fd[i], KVM_SET_CPUID2, &cpuid))
			return -1;
	}
	run = mmap(NULL, vm->run_size, PROT_READ | PROT_WRITE, MAP_SHARED, vm->vcpu_fd[i], 0);
	if (run == MAP_FAILED)
		return -1;
	vm->run[i] = run;
	return 0;
}

static struct bench_vm *kvm_create(uint64_t ram, bool populate, unsigned int flags)
{
	struct bench_vm *vm = calloc(1, sizeof(*vm));
	struct kvm_userspace_memory_region r = { 0 };
	bool irqchip = flags & BENCH_VM_IRQCHIP;

	if (!vm)
		return NULL;
	vm->kvm_fd = vm->vm_fd = vm->vcpu_fd[0] = vm->vcpu_fd[1] = -1;
	vm->ram_size = ram;
	vm->ram = bench_ram_alloc(ram, populate);
	if (!vm->ram)
		goto fail;
	r.memory_size = ram;
	r.userspace_addr = (uintptr_t)vm->ram;
	if ((vm->kvm_fd = open("/dev/kvm", O_RDWR | O_CLOEXEC)) < 0 ||
	    (vm->vm_fd = ioctl(vm->kvm_fd, KVM_CREATE_VM, 0)) < 0 ||
	    ioctl(vm->vm_fd, KVM_SET_USER_MEMORY_REGION, &r) ||
	    (irqchip && ioctl(vm->vm_fd, KVM_CREATE_IRQCHIP, 0)) ||
	    (vm->run_size = ioctl(vm->kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0)) <= 0 ||
	    kvm_add_vcpu(vm, 0, irqchip) || ((flags & BENCH_VM_AP) && kvm_add_vcpu(vm, 1, irqchip)))
		goto fail;
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

	if (ioctl(vm->vcpu_fd[0], KVM_GET_SREGS, &s))
		return -1;
	s.cs.selector = s.ds.selector = s.es.selector = s.ss.selector = 0;
	s.cs.base = s.ds.base = s.es.base = s.ss.base = 0;
	if (unreal) {
		s.ds.limit = 0xffffffff;
		s.ds.g = 1;
	}
	if (ioctl(vm->vcpu_fd[0], KVM_SET_SREGS, &s))
		return -1;
	r.rip = ip;
	r.rsi = esi;
	r.rsp = 0x8000;
	r.rflags = 2;
	return ioctl(vm->vcpu_fd[0], KVM_SET_REGS, &r);
}

static enum bench_exit kvm_run(struct bench_vm *vm, int cpu, char *why, int len)
{
	if (ioctl(vm->vcpu_fd[cpu], KVM_RUN, 0)) {
		/* EAGAIN: an AP left its wait for INIT-SIPI */
		if (errno == EINTR || errno == EAGAIN)
			return BENCH_EXIT_AGAIN;
		snprintf(why, len, "KVM_RUN: %m");
		return BENCH_EXIT_OTHER;
	}
	switch (vm->run[cpu]->exit_reason) {
	case KVM_EXIT_IO:
		return BENCH_EXIT_IO;
	case KVM_EXIT_MMIO:
		return BENCH_EXIT_MMIO;
	case KVM_EXIT_HLT:
		return BENCH_EXIT_HLT;
	case KVM_EXIT_INTR:
		return BENCH_EXIT_AGAIN;
	}
	snprintf(why, len, "exit reason %u", vm->run[cpu]->exit_reason);
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
