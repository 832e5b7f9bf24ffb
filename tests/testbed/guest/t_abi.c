// SPDX-License-Identifier: GPL-2.0
/* The ioctl ABI: values, device nodes, and a precise errno for bad input. */
#include <fcntl.h>
#include <linux/kvm.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"

TEST(version)
{
	struct hax_module_version v;
	int fd;

	CHECK_OK(fd = hax_open_system());
	CHECK_OK(hax_get_version(fd, &v));
	close(fd);
	CHECK_EQ(v.compat_version, 1);
	CHECK_EQ(v.cur_version, 4);
	return 0;
}

TEST(capability)
{
	struct hax_capabilityinfo ci;
	int fd;

	CHECK_OK(fd = hax_open_system());
	CHECK_OK(hax_get_capability(fd, &ci));
	close(fd);
	CHECK_EQ(ci.wstatus & HAX_CAP_STATUS_WORKING, HAX_CAP_STATUS_WORKING);
	CHECK_EQ(ci.winfo & (HAX_CAP_EPT | HAX_CAP_UG), HAX_CAP_EPT | HAX_CAP_UG);
	/* Only what works is advertised: MMIO emulation and VCPU_DEBUG work. */
	CHECK_EQ(ci.winfo & HAX_CAP_FASTMMIO, HAX_CAP_FASTMMIO);
	CHECK_EQ(ci.winfo & HAX_CAP_DEBUG, HAX_CAP_DEBUG);
	CHECK_EQ(ci.winfo & (HAX_CAP_RAM_PROTECTION | HAX_CAP_IMPLICIT_RAMBLOCK),
		 HAX_CAP_RAM_PROTECTION | HAX_CAP_IMPLICIT_RAMBLOCK);
	return 0;
}

TEST(system_node)
{
	struct stat st;

	CHECK_OK(stat(HAX_DEVFS_SYSTEM, &st));
	CHECK(S_ISCHR(st.st_mode));
	CHECK_EQ(st.st_mode & 0777, 0600);
	return 0;
}

VM_TEST(vm_and_vcpu_nodes, 64 << 10)
{
	char path[64];
	struct stat st;

	snprintf(path, sizeof(path), HAX_DEVFS_VM_FMT, c->vm_id);
	CHECK_OK(stat(path, &st));
	CHECK(S_ISCHR(st.st_mode));
	CHECK_EQ(st.st_mode & 0777, 0600);
	CHECK_EQ(st.st_uid, getuid());
	snprintf(path, sizeof(path), HAX_DEVFS_VCPU_FMT, c->vm_id, 0);
	CHECK_OK(stat(path, &st));
	CHECK_EQ(st.st_mode & 0777, 0600);
	/* Each node opens once at a time. */
	CHECK_ERRNO(hax_open_vm(c->vm_id), EBUSY);
	CHECK_ERRNO(hax_open_vcpu(c->vm_id, 0), EBUSY);
	CHECK_ERRNO(hax_open_vcpu(c->vm_id, 1), ENOENT); /* no such vCPU, no node */
	return 0;
}

TEST(vm_gone_when_fds_close)
{
	char path[64];
	struct vm_ctx c;
	uint32_t id;
	int r = vm_setup(&c, 64 << 10);

	id = c.vm_id;
	vm_teardown(&c);
	if (r)
		return r;
	snprintf(path, sizeof(path), HAX_DEVFS_VM_FMT, id);
	CHECK_ERRNO(access(path, F_OK), ENOENT);
	snprintf(path, sizeof(path), HAX_DEVFS_VCPU_FMT, id, 0);
	CHECK_ERRNO(access(path, F_OK), ENOENT);
	/* The id is free again. */
	r = vm_setup(&c, 64 << 10);
	if (!r && c.vm_id != id)
		r = fail("VM id %u not reused (got %u)", id, c.vm_id);
	vm_teardown(&c);
	return r;
}

TEST(destroy_vm_drops_creator_reference)
{
	char path[64];
	uint32_t id;
	int fd;

	CHECK_OK(fd = hax_open_system());
	CHECK_OK(hax_create_vm(fd, &id));
	snprintf(path, sizeof(path), HAX_DEVFS_VM_FMT, id);
	CHECK_OK(access(path, F_OK));
	CHECK_OK(hax_destroy_vm(fd, id));
	CHECK_ERRNO(access(path, F_OK), ENOENT);
	CHECK_ERRNO(hax_destroy_vm(fd, id), ENOENT);
	CHECK_ERRNO(hax_destroy_vm(fd, 12345), ENOENT);
	close(fd);
	return 0;
}

TEST(unknown_ioctls)
{
	struct vm_ctx c;
	int r = vm_setup(&c, 64 << 10);

	if (!r) {
		if (ioctl(c.sys_fd, _IO(0, 0x3f)) != -1 || errno != ENOTTY)
			r = fail("system fd: unknown ioctl not ENOTTY (%s)", strerror(errno));
		else if (ioctl(c.vm_fd, _IOW(0, 0x9f, uint64_t), 0) != -1 || errno != ENOTTY)
			r = fail("vm fd: unknown ioctl not ENOTTY (%s)", strerror(errno));
		else if (ioctl(c.vcpu_fd, _IO(0, 0xef)) != -1 || errno != ENOTTY)
			r = fail("vcpu fd: unknown ioctl not ENOTTY (%s)", strerror(errno));
		/* An ioctl of another device's type */
		else if (ioctl(c.vcpu_fd, KVM_RUN, 0) != -1 || errno != ENOTTY)
			r = fail("vcpu fd: KVM_RUN not ENOTTY (%s)", strerror(errno));
	}
	vm_teardown(&c);
	return r;
}

TEST(bad_pointers)
{
	struct hax_module_version *v;
	uint8_t *page, *gone;
	int fd;

	CHECK_OK(fd = hax_open_system());
	CHECK_ERRNO(ioctl(fd, HAX_IOCTL_VERSION, NULL), EFAULT);
	CHECK_ERRNO(ioctl(fd, HAX_IOCTL_CAPABILITY, NULL), EFAULT);
	CHECK_ERRNO(ioctl(fd, HAX_IOCTL_CREATE_VM, NULL), EFAULT);
	CHECK_ERRNO(ioctl(fd, HAX_IOCTL_SET_MEMLIMIT, NULL), EFAULT);
	/* Kernel addresses are not user memory. */
	CHECK_ERRNO(ioctl(fd, HAX_IOCTL_VERSION, (void *)0xffffffff81000000ULL), EFAULT);
	page = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK(page != MAP_FAILED);
	gone = page + 4096;
	munmap(gone, 4096);
	CHECK_ERRNO(ioctl(fd, HAX_IOCTL_VERSION, gone), EFAULT);
	/* Straddling into the unmapped page */
	CHECK_ERRNO(ioctl(fd, HAX_IOCTL_CAPABILITY, gone - 8), EFAULT);
	/* Unaligned but valid is fine. */
	v = (struct hax_module_version *)(page + 1);
	CHECK_OK(ioctl(fd, HAX_IOCTL_VERSION, v));
	CHECK_EQ(v->cur_version, 4);
	munmap(page, 4096);
	close(fd);
	return 0;
}

VM_TEST(bad_pointers_vm_and_vcpu, 64 << 10)
{
	CHECK_ERRNO(ioctl(c->vm_fd, HAX_VM_IOCTL_VCPU_CREATE, NULL), EFAULT);
	CHECK_ERRNO(ioctl(c->vm_fd, HAX_VM_IOCTL_SET_RAM, NULL), EFAULT);
	CHECK_ERRNO(ioctl(c->vm_fd, HAX_VM_IOCTL_ADD_RAMBLOCK, (void *)8), EFAULT);
	CHECK_ERRNO(ioctl(c->vcpu_fd, HAX_VCPU_SET_REGS, NULL), EFAULT);
	CHECK_ERRNO(ioctl(c->vcpu_fd, HAX_VCPU_GET_REGS, NULL), EFAULT);
	CHECK_ERRNO(ioctl(c->vcpu_fd, HAX_VCPU_IOCTL_SETUP_TUNNEL, NULL), EFAULT);
	return 0;
}

VM_TEST(ram_validation, 64 << 10)
{
	uint8_t *m =
		mmap(NULL, 1 << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	uintptr_t va = (uintptr_t)m;
	struct hax_set_ram_info ri = { 0 };
	struct hax_ramblock_info rb = { 0 };

	CHECK(m != MAP_FAILED);
	/* ramblocks: aligned, non-empty, not overlapping, reserved zero */
	CHECK_ERRNO(hax_add_ramblock(c->vm_fd, va + 1, 4096), EINVAL);
	CHECK_ERRNO(hax_add_ramblock(c->vm_fd, va, 4095), EINVAL);
	CHECK_ERRNO(hax_add_ramblock(c->vm_fd, va, 0), EINVAL);
	CHECK_ERRNO(hax_add_ramblock(c->vm_fd, ~0xfffULL, 8192), EINVAL);
	CHECK_ERRNO(hax_add_ramblock(c->vm_fd, (uintptr_t)c->ram, 4096), EEXIST);
	CHECK_ERRNO(hax_add_ramblock(c->vm_fd, (uintptr_t)c->ram - 4096, 8192), EEXIST);
	rb.start_va = va;
	rb.size = 4096;
	rb.reserved = 1;
	CHECK_ERRNO(ioctl(c->vm_fd, HAX_VM_IOCTL_ADD_RAMBLOCK, &rb), EINVAL);
	CHECK_OK(hax_add_ramblock(c->vm_fd, va, 1 << 20));
	CHECK_ERRNO(hax_add_ramblock(c->vm_fd, va + 4096, 4096), EEXIST);
	/* SET_RAM: aligned, inside a ramblock, known flags (padding ignored) */
	CHECK_ERRNO(hax_set_ram(c->vm_fd, 0x100001, 4096, va, 0), EINVAL);
	CHECK_ERRNO(hax_set_ram(c->vm_fd, 0x100000, 100, va, 0), EINVAL);
	CHECK_ERRNO(hax_set_ram(c->vm_fd, 0x100000, 0, va, 0), EINVAL);
	CHECK_ERRNO(hax_set_ram(c->vm_fd, 0x100000, 4096, va + 2, 0), EINVAL);
	CHECK_ERRNO(hax_set_ram(c->vm_fd, 0x100000, 2 << 20, va, 0), ENOENT);
	CHECK_ERRNO(hax_set_ram(c->vm_fd, 0x100000, 4096, va - (1 << 20) * 64, 0), ENOENT);
	CHECK_ERRNO(hax_set_ram(c->vm_fd, 0x100000, 4096, va, 0x10), EINVAL);
	CHECK_ERRNO(hax_set_ram(c->vm_fd, 0x100000, 4096, va, HAX_RAM_INFO_INVALID), EINVAL);
	CHECK_ERRNO(hax_set_ram2(c->vm_fd, 1ULL << 52, 4096, va, 0), EINVAL);
	CHECK_ERRNO(hax_set_ram2(c->vm_fd, ~0xfffULL, 8192, va, 0), EINVAL);
	/*
	 * QEMU's hax_set_ram() leaves pad[] uninitialized (stack bytes) and
	 * HAXM never read it: any padding maps (QEMU with a virtio-pci device
	 * had its PAM switches refused with EINVAL and SeaBIOS triple-faulted).
	 */
	ri.pa_start = 0x100000;
	ri.size = 4096;
	ri.va = va;
	ri.pad[0] = 0x5a;
	ri.pad[1] = 1;
	ri.pad[2] = 0xff;
	CHECK_OK(ioctl(c->vm_fd, HAX_VM_IOCTL_SET_RAM, &ri));
	ri.flags = HAX_RAM_INFO_INVALID;
	ri.va = 0;
	CHECK_OK(ioctl(c->vm_fd, HAX_VM_IOCTL_SET_RAM, &ri));
	ri.flags = 0x10;
	ri.va = va;
	CHECK_ERRNO(ioctl(c->vm_fd, HAX_VM_IOCTL_SET_RAM, &ri), EINVAL);
	CHECK_OK(hax_set_ram(c->vm_fd, 0x100000, 1 << 20, va, 0));
	CHECK_OK(hax_set_ram(c->vm_fd, 0x180000, 4096, va, HAX_RAM_INFO_ROM));
	CHECK_OK(hax_set_ram(c->vm_fd, 0x100000, 4096, 0, HAX_RAM_INFO_INVALID));
	CHECK_OK(hax_set_ram2(c->vm_fd, 1ULL << 32, 1 << 20, va, 0));
	munmap(m, 1 << 20);
	return 0;
}

VM_TEST(vcpu_ids, 64 << 10)
{
	CHECK_ERRNO(hax_create_vcpu(c->vm_fd, 0), EEXIST);
	CHECK_ERRNO(hax_create_vcpu(c->vm_fd, HAX_MAX_VCPUS), EINVAL);
	CHECK_ERRNO(hax_create_vcpu(c->vm_fd, 0xffffffff), EINVAL);
	CHECK_OK(hax_create_vcpu(c->vm_fd, HAX_MAX_VCPUS - 1));
	CHECK_ERRNO(hax_destroy_vcpu(c->vm_fd, 0), EBUSY); /* open */
	CHECK_OK(hax_destroy_vcpu(c->vm_fd, HAX_MAX_VCPUS - 1));
	CHECK_ERRNO(hax_destroy_vcpu(c->vm_fd, HAX_MAX_VCPUS - 1), ENOENT);
	CHECK_OK(hax_create_vcpu(c->vm_fd, HAX_MAX_VCPUS - 1));
	return 0;
}

TEST(run_before_setup_tunnel)
{
	uint32_t id;
	int sys, vm, vcpu, r = 0;

	CHECK_OK(sys = hax_open_system());
	CHECK_OK(hax_create_vm(sys, &id));
	CHECK_OK(vm = hax_open_vm(id));
	CHECK_OK(hax_create_vcpu(vm, 0));
	CHECK_OK(vcpu = hax_open_vcpu(id, 0));
	if (hax_run(vcpu) != -1 || errno != ENXIO)
		r = fail("RUN before SETUP_TUNNEL: %s, expected ENXIO", strerror(errno));
	close(vcpu);
	close(vm);
	close(sys);
	return r;
}

VM_TEST(set_regs_validation, 64 << 10)
{
	vcpu_state_t s, bad;

	CHECK_OK(hax_get_regs(c->vcpu_fd, &s));
	/* Reset state: CS.base 0xffff0000, RIP 0xfff0, CR0 0x60000010 */
	CHECK_EQ(s._cs.selector, 0xf000);
	CHECK_EQ(s._cs.base, 0xffff0000);
	CHECK_EQ(s._cr0, 0x60000010);
	bad = s;
	bad._cr0 = 0x80000000; /* paging without protection */
	CHECK_ERRNO(hax_set_regs(c->vcpu_fd, &bad), EINVAL);
	bad = s;
	bad._cr4 = 1 << 13; /* VMXE: not for guests */
	CHECK_ERRNO(hax_set_regs(c->vcpu_fd, &bad), EINVAL);
	bad = s;
	bad._activity_state = 7;
	CHECK_ERRNO(hax_set_regs(c->vcpu_fd, &bad), EINVAL);
	bad = s;
	bad._efer = 1 << 10; /* LMA without paging */
	CHECK_ERRNO(hax_set_regs(c->vcpu_fd, &bad), EINVAL);
	bad = s;
	bad._rflags |= 1ULL << 40;
	CHECK_ERRNO(hax_set_regs(c->vcpu_fd, &bad), EINVAL);
	/* Refused states changed nothing; a round trip is exact. */
	CHECK_OK(hax_get_regs(c->vcpu_fd, &bad));
	CHECK(!memcmp(&bad, &s, sizeof(s)));
	s._regs[HAX_REG_R15] = 0x0123456789abcdefULL;
	s._regs[HAX_REG_RSP] = 0x7ff0;
	s._cr2 = 0xdead000;
	s._dr0 = 0x1234;
	CHECK_OK(hax_set_regs(c->vcpu_fd, &s));
	CHECK_OK(hax_get_regs(c->vcpu_fd, &bad));
	CHECK(!memcmp(&bad, &s, sizeof(s)));
	return 0;
}

/* Another process may not use or open this process' VM. */
VM_TEST(other_process_refused, 64 << 10)
{
	pid_t pid = fork();
	int status;

	CHECK(pid >= 0);
	if (pid == 0) {
		struct hax_module_version v;
		int bad = 0;

		/* Inherited fds do not work in the child... */
		if (hax_run(c->vcpu_fd) != -1 || errno != EPERM)
			bad |= 1;
		if (hax_create_vcpu(c->vm_fd, 5) != -1 || errno != EPERM)
			bad |= 2;
		/* ...nor can it open the nodes. */
		close(c->vm_fd);
		close(c->vcpu_fd);
		if (hax_open_vm(c->vm_id) != -1 || errno != EPERM)
			bad |= 4;
		/* /dev/HAX itself is fine. */
		if (hax_get_version(c->sys_fd, &v))
			bad |= 8;
		_exit(bad);
	}
	CHECK(waitpid(pid, &status, 0) == pid);
	CHECK(WIFEXITED(status));
	CHECK_EQ(WEXITSTATUS(status), 0);
	/* The parent still owns a working VM. */
	CHECK_ERRNO(hax_open_vm(c->vm_id), EBUSY);
	return 0;
}

/* kvm_intel holds VMX while it has a VM: haxm says EBUSY, then recovers. */
TEST(vmx_held_by_kvm)
{
	int kvm, kvm_vm, sys, r = 0;
	uint32_t id;

	kvm = open("/dev/kvm", O_RDWR);
	if (kvm < 0)
		return fail("/dev/kvm: %s (kvm_intel not loaded?)", strerror(errno));
	kvm_vm = ioctl(kvm, KVM_CREATE_VM, 0);
	CHECK_OK(kvm_vm);
	CHECK_OK(sys = hax_open_system());
	if (hax_create_vm(sys, &id) != -1 || errno != EBUSY)
		r = fail("CREATE_VM while KVM runs a VM: %s, expected EBUSY", strerror(errno));
	close(kvm_vm);
	close(kvm);
	if (!r && hax_create_vm(sys, &id))
		r = fail("CREATE_VM after KVM's VM is gone: %s", strerror(errno));
	close(sys);
	return r;
}
