// SPDX-License-Identifier: GPL-2.0
/*
 * The in-kernel local APIC (HAX_CAP_LAPIC): the ABI (LAPIC_ENABLE, GET/SET_
 * LAPIC and their errors, a state round trip), and a VM without it seeing
 * HAXM's behaviour.
 */
#include <pthread.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <signal.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"

#define APIC 0xfee00000u

/* A VM like vm_setup()'s, with in-kernel LAPICs enabled before its vCPU. */
static int lapic_setup(struct vm_ctx *c, uint64_t ram_size)
{
	memset(c, 0, sizeof(*c));
	c->sys_fd = c->vm_fd = c->vcpu_fd = -1;
	c->ram_size = ram_size;
	CHECK_OK(c->sys_fd = hax_open_system());
	CHECK_OK(hax_create_vm(c->sys_fd, &c->vm_id));
	CHECK_OK(c->vm_fd = hax_open_vm(c->vm_id));
	CHECK_OK(hax_notify_qemu_version(c->vm_fd, 4, 4));
	CHECK_OK(hax_lapic_enable(c->vm_fd));
	c->ram = mmap(NULL, ram_size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK(c->ram != MAP_FAILED);
	CHECK_OK(hax_add_ramblock(c->vm_fd, (uintptr_t)c->ram, ram_size));
	CHECK_OK(hax_set_ram(c->vm_fd, 0, (uint32_t)ram_size, (uintptr_t)c->ram, 0));
	CHECK_OK(hax_create_vcpu(c->vm_fd, 0));
	CHECK_OK(c->vcpu_fd = hax_open_vcpu(c->vm_id, 0));
	CHECK_OK(hax_setup_tunnel(c->vcpu_fd, &c->tunnel, (void **)&c->iobuf));
	return 0;
}

#define LAPIC_TEST(name)                            \
	static int name##_body(struct vm_ctx *c);   \
	TEST(name)                                  \
	{                                           \
		struct vm_ctx ctx;                  \
		int r = lapic_setup(&ctx, 1 << 20); \
		if (!r)                             \
			r = name##_body(&ctx);      \
		vm_teardown(&ctx);                  \
		return r;                           \
	}                                           \
	static int name##_body(struct vm_ctx *c)

/* Real mode at @gpa on vCPU @fd, FS a flat 4 GiB segment at 0. */
static int load_unreal(int fd, uint8_t *ram, uint64_t gpa, const uint8_t *s, const uint8_t *e,
		       uint64_t sp)
{
	vcpu_state_t st;

	memcpy(ram + gpa, s, e - s);
	CHECK_OK(hax_get_regs(fd, &st));
	st._cs.selector = 0;
	st._cs.base = 0;
	st._rip = gpa;
	st._ds.selector = st._es.selector = st._ss.selector = 0;
	st._ds.base = st._es.base = st._ss.base = 0;
	st._fs.selector = 0;
	st._fs.base = 0;
	st._fs.limit = 0xffffffff;
	st._fs.granularity = 1;
	st._regs[HAX_REG_RSP] = sp;
	CHECK_OK(hax_set_regs(fd, &st));
	return 0;
}

/* ---- the ABI ------------------------------------------------------------ */

static uint32_t get_reg(const struct hax_lapic_state *s, unsigned int off)
{
	uint32_t v;

	memcpy(&v, s->regs + off, 4);
	return v;
}

static void put_reg(struct hax_lapic_state *s, unsigned int off, uint32_t v)
{
	memcpy(s->regs + off, &v, 4);
}

TEST(lapic_abi)
{
	struct hax_capabilityinfo ci;
	struct hax_lapic_enable le = { .flags = 1 };
	struct vm_ctx plain, c;
	struct hax_lapic_state s;
	int r = 1;

	CHECK_OK(c.sys_fd = hax_open_system());
	CHECK_OK(hax_get_capability(c.sys_fd, &ci));
	close(c.sys_fd);
	CHECK(ci.winfo & HAX_CAP_LAPIC);
	/* a VM that did not ask: no LAPIC ioctls, and too late once a vCPU exists */
	if (vm_setup(&plain, 1 << 16))
		goto out_plain;
	CHECK_ERRNO(hax_get_lapic(plain.vcpu_fd, &s), ENOTTY);
	CHECK_ERRNO(hax_set_lapic(plain.vcpu_fd, &s), ENOTTY);
	CHECK_ERRNO(hax_lapic_enable(plain.vm_fd), EBUSY);
	CHECK_ERRNO(ioctl(plain.vm_fd, HAX_VM_IOCTL_LAPIC_ENABLE, &le), EINVAL);
	le.flags = 0;
	le.reserved = 1;
	CHECK_ERRNO(ioctl(plain.vm_fd, HAX_VM_IOCTL_LAPIC_ENABLE, &le), EINVAL);
	r = 0;
out_plain:
	vm_teardown(&plain);
	if (r)
		return r;
	if (lapic_setup(&c, 1 << 16))
		goto out;
	r = 1;
	CHECK_ERRNO(hax_lapic_enable(c.vm_fd), EEXIST);
	CHECK_OK(hax_get_lapic(c.vcpu_fd, &s));
	/* power-up state (SDM "Local APIC State After Power-Up or Reset") */
	CHECK_EQ(s.apic_base, 0xfee00900);
	CHECK_EQ(get_reg(&s, 0x20), 0);
	CHECK_EQ(get_reg(&s, 0x30), 0x50014);
	CHECK_EQ(get_reg(&s, 0xf0), 0xff);
	CHECK_EQ(get_reg(&s, 0xe0), 0xffffffff);
	CHECK_EQ(get_reg(&s, 0x320), 0x10000);
	CHECK_EQ(get_reg(&s, 0x370), 0x10000);
	/* a state of our own: enabled, TPR 0x20, a pending 0x71, a one-shot count */
	put_reg(&s, 0xf0, 0x1ff);
	put_reg(&s, 0x80, 0x20);
	put_reg(&s, 0x200 + 3 * 16, 1u << (0x71 - 96));
	put_reg(&s, 0x320, 0x31);
	put_reg(&s, 0x3e0, 0xa); /* divide by 128 */
	put_reg(&s, 0x380, 0xf0000000);
	s.timer_current = 0x80000000;
	CHECK_OK(hax_set_lapic(c.vcpu_fd, &s));
	memset(&s, 0xcc, sizeof(s));
	CHECK_OK(hax_get_lapic(c.vcpu_fd, &s));
	CHECK_EQ(get_reg(&s, 0xf0), 0x1ff);
	CHECK_EQ(get_reg(&s, 0x80), 0x20);
	CHECK_EQ(get_reg(&s, 0xa0), 0x20); /* PPR: the TPR, nothing in service */
	CHECK_EQ(get_reg(&s, 0x230), 1u << (0x71 - 96));
	CHECK_EQ(get_reg(&s, 0x320), 0x31);
	CHECK_EQ(get_reg(&s, 0x380), 0xf0000000);
	/* 128 ns a tick: well under 2^28 ticks (34 s) since the SET */
	CHECK(s.timer_current <= 0x80000000 && s.timer_current > 0x70000000);
	CHECK_EQ(get_reg(&s, 0x390), s.timer_current);
	CHECK_EQ(s.reserved[0], 0);
	/* what SET refuses, the state unchanged */
	s.reserved[8] = 1;
	CHECK_ERRNO(hax_set_lapic(c.vcpu_fd, &s), EINVAL);
	s.reserved[8] = 0;
	s.pending = 1u << 6;
	CHECK_ERRNO(hax_set_lapic(c.vcpu_fd, &s), EINVAL);
	s.pending = 0;
	put_reg(&s, 0x200, 1u << 5); /* vector 5 */
	CHECK_ERRNO(hax_set_lapic(c.vcpu_fd, &s), EINVAL);
	put_reg(&s, 0x200, 0);
	put_reg(&s, 0x80, 0x100);
	CHECK_ERRNO(hax_set_lapic(c.vcpu_fd, &s), EINVAL);
	put_reg(&s, 0x80, 0x20);
	s.apic_base = 0xfee00900 | (1ull << 10) | (1ull << 60); /* reserved bit */
	CHECK_ERRNO(hax_set_lapic(c.vcpu_fd, &s), EINVAL);
	memset(&s, 0, sizeof(s));
	CHECK_OK(hax_get_lapic(c.vcpu_fd, &s));
	CHECK_EQ(get_reg(&s, 0x80), 0x20);
	CHECK_EQ(s.apic_base, 0xfee00900);
	r = 0;
out:
	vm_teardown(&c);
	return r;
}

/* ---- without LAPIC_ENABLE: HAXM's behaviour ---------------------------- */

GUEST_CODE(g_plain, ".code16\n mov $0xfee00000, %ebx\n movl %fs:0x30(%ebx), %eax\n hlt\n");

VM_TEST(lapic_off_is_haxm, 1 << 20)
{
	struct hax_fastmmio *m = (struct hax_fastmmio *)c->iobuf;

	if (load_unreal(c->vcpu_fd, c->ram, 0x1000, g_plain_start, g_plain_end, 0x8000))
		return 1;
	if (expect_exit(c, HAX_EXIT_FAST_MMIO))
		return 1;
	CHECK_EQ(m->gpa, APIC + 0x30);
	CHECK_EQ(m->direction, HAX_FASTMMIO_READ);
	m->value = 0x1234;
	if (expect_exit(c, HAX_EXIT_HLT))
		return 1;
	return 0;
}
