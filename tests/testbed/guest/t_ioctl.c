// SPDX-License-Identifier: GPL-2.0
/*
 * Ioctls of issue 3 that t_abi.c reaches only through their errnos: every
 * capability bit, SET_MEMLIMIT accepted and ignored, ALLOC_RAM (the 32-bit
 * ramblock) backing a running guest, NOTIFY_QEMU_VERSION's check.
 */
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "harness.h"

/* Each of HAXM 7.8's ten feature bits, since each feature works; no quota. */
TEST(ioctl_capability_every_bit)
{
	struct hax_capabilityinfo ci;
	int fd;

	CHECK_OK(fd = hax_open_system());
	CHECK_OK(hax_get_capability(fd, &ci));
	close(fd);
	CHECK_EQ(ci.wstatus, HAX_CAP_STATUS_WORKING);
	CHECK_EQ(ci.winfo, HAX_CAP_EPT | HAX_CAP_FASTMMIO | HAX_CAP_UG | HAX_CAP_64BIT_RAMBLOCK |
				   HAX_CAP_64BIT_SETRAM | HAX_CAP_TUNNEL_PAGE |
				   HAX_CAP_RAM_PROTECTION | HAX_CAP_DEBUG |
				   HAX_CAP_IMPLICIT_RAMBLOCK | HAX_CAP_CPUID);
	CHECK_EQ(ci.mem_quota, 0);
	return 0;
}

GUEST_CODE(g_ioctl_out, ".code16\n mov $0x77, %al\n out %al, $0x80\n hlt\n");

/* A 1 MiB limit is accepted and ignored: a VM with 2 MiB still runs (HAXM >= 6.2). */
TEST(ioctl_set_memlimit_ignored)
{
	struct vm_ctx ctx;
	int fd, r;

	CHECK_OK(fd = hax_open_system());
	r = hax_set_memlimit(fd, 1, 1);
	close(fd);
	CHECK_EQ(r, 0);
	r = vm_setup(&ctx, 2 << 20);
	if (!r)
		r = vm_load_real(&ctx, 0x1000, g_ioctl_out_start, g_ioctl_out_end) ||
		    expect_out(&ctx, 0x80, 1, 0x77) || expect_exit(&ctx, HAX_EXIT_HLT);
	vm_teardown(&ctx);
	if (r)
		return r;
	CHECK_OK(fd = hax_open_system());
	r = hax_set_memlimit(fd, 0, 0);
	close(fd);
	CHECK_EQ(r, 0);
	return 0;
}

/* ALLOC_RAM registers memory as ADD_RAMBLOCK does; SET_RAM maps it; it runs. */
VM_TEST(ioctl_alloc_ram_backs_guest, 4096)
{
	struct hax_alloc_ram_info ai = { 0 };
	size_t size = 64 << 10;
	uint8_t *m = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	int r;

	CHECK(m != MAP_FAILED);
	CHECK_ERRNO(hax_alloc_ram(c->vm_fd, (uintptr_t)m + 1, size), EINVAL);
	CHECK_ERRNO(hax_alloc_ram(c->vm_fd, (uintptr_t)m, 0), EINVAL);
	ai.va = (uintptr_t)m;
	ai.size = size;
	ai.pad = 1;
	CHECK_ERRNO(ioctl(c->vm_fd, HAX_VM_IOCTL_ALLOC_RAM, &ai), EINVAL);
	CHECK_OK(hax_alloc_ram(c->vm_fd, (uintptr_t)m, size));
	CHECK_ERRNO(hax_alloc_ram(c->vm_fd, (uintptr_t)m + 4096, 4096), EEXIST);
	/* Guest-physical 0 becomes this block, replacing vm_setup()'s 4 KiB. */
	CHECK_OK(hax_set_ram(c->vm_fd, 0, size, (uintptr_t)m, 0));
	{
		struct vm_ctx g = *c; /* the same vCPU, loading into m */

		g.ram = m;
		g.ram_size = size;
		r = vm_load_real(&g, 0x1000, g_ioctl_out_start, g_ioctl_out_end);
	}
	m[0x1001] = 0x66; /* the guest runs from m */
	if (!r)
		r = expect_out(c, 0x80, 1, 0x66) || expect_exit(c, HAX_EXIT_HLT);
	if (!r && hax_set_ram(c->vm_fd, 0, size, 0, HAX_RAM_INFO_INVALID))
		r = fail("unmap: %s", strerror(errno));
	munmap(m, size);
	return r;
}

VM_TEST(ioctl_notify_qemu_version_checked, 4096)
{
	CHECK_ERRNO(hax_notify_qemu_version(c->vm_fd, 1, 2), EINVAL);
	CHECK_OK(hax_notify_qemu_version(c->vm_fd, 2, 1));
	CHECK_OK(hax_notify_qemu_version(c->vm_fd, 4, 4));
	return 0;
}
