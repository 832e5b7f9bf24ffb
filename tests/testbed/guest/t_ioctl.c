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

/*
 * Each of HAXM 7.8's ten feature bits, since each feature works, and haxm's
 * extension bits (docs/api.md, Extensions); no quota.
 */
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
				   HAX_CAP_IMPLICIT_RAMBLOCK | HAX_CAP_CPUID | HAX_CAP_DIRTY_LOG |
				   HAX_CAP_VCPU_STATE | HAX_CAP_LAPIC | HAX_CAP_IOAPIC |
				   HAX_CAP_PIC_PIT | HAX_CAP_MSI);
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

static void seg_set(segment_desc_t *d, uint16_t sel, uint64_t base, uint32_t limit, uint32_t ar)
{
	d->selector = sel;
	d->base = base;
	d->limit = limit;
	d->ar = ar;
}

/*
 * SET_REGS then GET_REGS with every field of vcpu_state_t away from its
 * reset value (a 32-bit protected-mode state, paging off): the same 512
 * bytes back; the SYSENTER fields and EFER are the MSRs GET_MSRS reads.
 */
VM_TEST(ioctl_regs_every_field_round_trip, 64 << 10)
{
	struct hax_msr_data md = { .nr_msr = 4 };
	vcpu_state_t s, back;
	int i;

	CHECK_OK(hax_get_regs(c->vcpu_fd, &s));
	for (i = 0; i < 16; i++)
		s._regs[i] = 0x1111111111111111ULL * (i + 1) ^ i;
	s._rip = 0x1234;
	s._rflags = 0x2c3; /* IF SF ZF CF, reserved bit 1 */
	seg_set(&s._cs, 0x08, 0x10000, 0xfffff, 0x409b);
	seg_set(&s._ss, 0x10, 0x20000, 0xffff, 0x4093);
	seg_set(&s._ds, 0x10, 0x30000, 0xffff, 0x4093);
	seg_set(&s._es, 0x10, 0x40000, 0xfff, 0x93);
	seg_set(&s._fs, 0x10, 0x50000, 0xffffffff, 0xc093);
	seg_set(&s._gs, 0x10, 0x60000, 0xffffffff, 0xc093);
	seg_set(&s._ldt, 0x18, 0x7000, 0x37, 0x82);
	seg_set(&s._tr, 0x20, 0x8000, 0x67, 0x8b);
	seg_set(&s._gdt, 0, 0x800, 0x27, 0);
	seg_set(&s._idt, 0, 0x3000, 0x7ff, 0);
	s._cr0 = 0x33; /* PE MP ET NE */
	s._cr2 = 0xcafe000;
	s._cr3 = 0x9000;
	s._cr4 = 0x208; /* DE OSFXSR */
	s._dr0 = 0x1000;
	s._dr1 = 0x2000;
	s._dr2 = 0x3000;
	s._dr3 = 0x4000;
	s._dr6 = 0xffff0ff1;
	s._dr7 = 0x402;
	s._efer = 1; /* SCE */
	s._sysenter_cs = 0x08;
	s._sysenter_eip = 0x5000;
	s._sysenter_esp = 0x6000;
	s._activity_state = HAX_ACTIVITY_HLT;
	s._interruptibility_state = HAX_INTR_BLOCK_NMI;
	CHECK_OK(hax_set_regs(c->vcpu_fd, &s));
	CHECK_OK(hax_get_regs(c->vcpu_fd, &back));
	for (i = 0; i < (int)sizeof(s); i++)
		if (((uint8_t *)&s)[i] != ((uint8_t *)&back)[i])
			return fail("byte %d of vcpu_state_t: set 0x%02x, got 0x%02x", i,
				    ((uint8_t *)&s)[i], ((uint8_t *)&back)[i]);
	md.entries[0].entry = 0x174;
	md.entries[1].entry = 0x175;
	md.entries[2].entry = 0x176;
	md.entries[3].entry = 0xc0000080;
	CHECK_OK(hax_get_msrs(c->vcpu_fd, &md));
	CHECK_EQ(md.done, 4);
	CHECK_EQ(md.entries[0].value, 0x08);
	CHECK_EQ(md.entries[1].value, 0x6000);
	CHECK_EQ(md.entries[2].value, 0x5000);
	CHECK_EQ(md.entries[3].value, 1);
	return 0;
}
