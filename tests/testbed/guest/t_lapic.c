// SPDX-License-Identifier: GPL-2.0
/*
 * The in-kernel local APIC (HAX_CAP_LAPIC): the ABI (LAPIC_ENABLE, GET/SET_
 * LAPIC and their errors), the xAPIC page and the x2APIC MSRs from the
 * guest with no exit to user space, a self IPI and its EOI, TPR priority,
 * the one-shot and periodic timer waking a halted vCPU, an IPI from vCPU 0
 * waking vCPU 1 from HLT (each vCPU on a host thread of its own), and a VM
 * without LAPIC_ENABLE seeing HAXM's behaviour.
 *
 * The guests run in real mode with a 4 GiB FS (unreal mode) so that
 * %fs:(%ebx) reaches the APIC page at 0xfee00000. They report on port 0x80
 * (the vector an interrupt handler ran for), 0x84 (a 32-bit value) and 0x81
 * (done); with the in-kernel APIC a HLT does not exit, so no test ends in one.
 */
#include <fcntl.h>
#include <linux/kvm.h>
#include <pthread.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <signal.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"

#define APIC 0xfee00000u

int lapic_setup_flags(struct vm_ctx *c, uint64_t ram_size, uint32_t flags)
{
	memset(c, 0, sizeof(*c));
	c->sys_fd = c->vm_fd = c->vcpu_fd = -1;
	c->ram_size = ram_size;
	CHECK_OK(c->sys_fd = hax_open_system());
	CHECK_OK(hax_create_vm(c->sys_fd, &c->vm_id));
	CHECK_OK(c->vm_fd = hax_open_vm(c->vm_id));
	CHECK_OK(hax_notify_qemu_version(c->vm_fd, 4, 4));
	CHECK_OK(hax_lapic_enable_flags(c->vm_fd, flags));
	c->ram = mmap(NULL, ram_size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK(c->ram != MAP_FAILED);
	CHECK_OK(hax_add_ramblock(c->vm_fd, (uintptr_t)c->ram, ram_size));
	CHECK_OK(hax_set_ram(c->vm_fd, 0, (uint32_t)ram_size, (uintptr_t)c->ram, 0));
	CHECK_OK(hax_create_vcpu(c->vm_fd, 0));
	CHECK_OK(c->vcpu_fd = hax_open_vcpu(c->vm_id, 0));
	CHECK_OK(hax_setup_tunnel(c->vcpu_fd, &c->tunnel, (void **)&c->iobuf));
	return 0;
}

int lapic_setup(struct vm_ctx *c, uint64_t ram_size)
{
	return lapic_setup_flags(c, ram_size, 0);
}

int load_unreal(int fd, uint8_t *ram, uint64_t gpa, const uint8_t *s, const uint8_t *e, uint64_t sp)
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

LAPIC_HANDLER(g_h30, 0x30);
LAPIC_HANDLER(g_h40, 0x40);
LAPIC_HANDLER(g_h45, 0x45);
LAPIC_HANDLER(g_h50, 0x50);
LAPIC_HANDLER(g_h65, 0x65);

void lapic_ivt_set(uint8_t *ram, int vec, uint32_t gpa, const uint8_t *s, const uint8_t *e)
{
	memcpy(ram + gpa, s, e - s);
	*(uint16_t *)(ram + vec * 4) = gpa & 0xf;
	*(uint16_t *)(ram + vec * 4 + 2) = gpa >> 4;
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
	struct hax_lapic_enable le = { .flags = 2 }; /* 1 is HAX_LAPIC_ENABLE_IOAPIC */
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
	CHECK_EQ(s.pending, 0); /* the BSP runs; an AP waits for a SIPI (t_lapic_mp.c) */
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
	s.pending = HAX_LAPIC_PENDING_SIPI | 0x1000; /* a SIPI outside wait-for-SIPI */
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

/* ---- registers from the guest ---------------------------------------------- */

GUEST_CODE(g_xapic_regs,
	   ".code16\n mov $0xfee00000, %ebx\n"
	   " movl %fs:0x20(%ebx), %eax\n out %eax, $0x84\n"
	   " movl %fs:0x30(%ebx), %eax\n out %eax, $0x84\n"
	   " movl $0x1ff, %fs:0xf0(%ebx)\n movl %fs:0xf0(%ebx), %eax\n out %eax, $0x84\n"
	   " movl $0x55, %fs:0x80(%ebx)\n movl %fs:0x80(%ebx), %eax\n out %eax, $0x84\n"
	   " movl %fs:0xa0(%ebx), %eax\n out %eax, $0x84\n"
	   " movb %fs:0x32(%ebx), %al\n out %al, $0x80\n" /* a narrow read */
	   " out %al, $0x81\n 1: jmp 1b\n");

LAPIC_TEST(lapic_xapic_regs)
{
	struct hax_lapic_state s;

	if (load_unreal(c->vcpu_fd, c->ram, 0x1000, g_xapic_regs_start, g_xapic_regs_end, 0x8000))
		return 1;
	if (expect_out(c, 0x84, 4, 0) || expect_out(c, 0x84, 4, 0x50014) ||
	    expect_out(c, 0x84, 4, 0x1ff) || expect_out(c, 0x84, 4, 0x55) ||
	    expect_out(c, 0x84, 4, 0x55) || expect_out(c, 0x80, 1, 0x05) ||
	    expect_out(c, 0x81, 1, 0x05))
		return 1;
	/* all in the kernel: no FAST_MMIO exit came (expect_out fails on one) */
	CHECK_OK(hax_get_lapic(c->vcpu_fd, &s));
	CHECK_EQ(get_reg(&s, 0xf0), 0x1ff);
	CHECK_EQ(get_reg(&s, 0x80), 0x55);
	return 0;
}

/*
 * CR8 is the in-kernel LAPIC's TPR[7:4] (SDM Vol. 3A 10.8.6.1): a MOV to
 * CR8 shows in the TPR register, a TPR write in CR8; no exit to user space
 * (a FAST_MMIO would fail expect_out()).
 */
GUEST_CODE(g_cr8_tpr, ".code64\n mov $5, %eax\n mov %rax, %cr8\n"
		      " mov $0xfee00080, %ebx\n mov (%rbx), %eax\n out %eax, $0x84\n"
		      " movl $0x7c, (%rbx)\n mov %cr8, %rax\n out %eax, $0x84\n"
		      " mov (%rbx), %eax\n out %eax, $0x84\n out %al, $0x81\n 1: jmp 1b\n");

LAPIC_TEST(lapic_cr8_is_tpr)
{
	static const struct long_mode m = { .tables = 0x10000, .gib = 4 };
	struct hax_lapic_state s;

	if (vm_load_long(c, &m, 0x1000, g_cr8_tpr_start, g_cr8_tpr_end))
		return 1;
	if (expect_out(c, 0x84, 4, 0x50) || expect_out(c, 0x84, 4, 7) ||
	    expect_out(c, 0x84, 4, 0x7c) || expect_out(c, 0x81, 1, 0x7c))
		return 1;
	CHECK_OK(hax_get_lapic(c->vcpu_fd, &s));
	CHECK_EQ(get_reg(&s, 0x80), 0x7c);
	return 0;
}

/* #GP: report 0x0d and skip the 2-byte RDMSR/WRMSR. */
GUEST_CODE(g_gp_skip, ".code16\n push %bp\n mov %sp, %bp\n addw $2, 2(%bp)\n"
		      " push %ax\n mov $0x0d, %al\n out %al, $0x80\n pop %ax\n pop %bp\n iret\n");

GUEST_CODE(g_x2apic,
	   ".code16\n mov $1, %eax\n cpuid\n and $0x200000, %ecx\n mov %ecx, %eax\n"
	   " out %eax, $0x84\n"
	   " mov $0x1b, %ecx\n rdmsr\n out %eax, $0x84\n"
	   " or $0x400, %eax\n wrmsr\n rdmsr\n out %eax, $0x84\n"
	   " mov $0x802, %ecx\n rdmsr\n out %eax, $0x84\n"
	   " mov $0x803, %ecx\n rdmsr\n out %eax, $0x84\n"
	   " mov $0x80f, %ecx\n mov $0x1ff, %eax\n xor %edx, %edx\n wrmsr\n"
	   " rdmsr\n out %eax, $0x84\n"
	   " mov $0x808, %ecx\n mov $0x30, %eax\n wrmsr\n rdmsr\n out %eax, $0x84\n"
	   " mov $0x80d, %ecx\n rdmsr\n out %eax, $0x84\n"
	   " mov $0x809, %ecx\n rdmsr\n" /* no APR in x2APIC mode: #GP */
	   " mov $0x1b, %ecx\n rdmsr\n and $0xfffff7ff, %eax\n wrmsr\n" /* EXTD without EN: #GP */
	   " out %al, $0x81\n 1: jmp 1b\n");

LAPIC_TEST(lapic_x2apic_msrs)
{
	struct hax_lapic_state s;

	lapic_ivt_set(c->ram, 13, 0x3000, g_gp_skip_start, g_gp_skip_end);
	if (load_unreal(c->vcpu_fd, c->ram, 0x1000, g_x2apic_start, g_x2apic_end, 0x8000))
		return 1;
	if (expect_out(c, 0x84, 4, 0x200000) || expect_out(c, 0x84, 4, 0xfee00900) ||
	    expect_out(c, 0x84, 4, 0xfee00d00) || expect_out(c, 0x84, 4, 0) ||
	    expect_out(c, 0x84, 4, 0x50014) || expect_out(c, 0x84, 4, 0x1ff) ||
	    expect_out(c, 0x84, 4, 0x30) || expect_out(c, 0x84, 4, 1) ||
	    expect_out(c, 0x80, 1, 0x0d) || expect_out(c, 0x80, 1, 0x0d) ||
	    expect_out(c, 0x81, 1, 0))
		return 1;
	CHECK_OK(hax_get_lapic(c->vcpu_fd, &s));
	CHECK_EQ(s.apic_base, 0xfee00d00);
	CHECK_EQ(get_reg(&s, 0x80), 0x30);
	return 0;
}

/* ---- delivery ------------------------------------------------------------ */

/* Enable the APIC, self IPI 0x40 through the ICR; then ISR and IRR of 0x40's word. */
GUEST_CODE(g_self_ipi, ".code16\n mov $0xfee00000, %ebx\n movl $0x1ff, %fs:0xf0(%ebx)\n sti\n"
		       " movl $0x40040, %fs:0x300(%ebx)\n nop\n"
		       " movl %fs:0x120(%ebx), %eax\n out %eax, $0x84\n"
		       " movl %fs:0x220(%ebx), %eax\n out %eax, $0x84\n"
		       " out %al, $0x81\n 1: jmp 1b\n");

/* Handler 0x40 that reports its ISR word before the EOI. */
GUEST_CODE(g_h40_isr, ".code16\n push %eax\n push %ebx\n mov $0x40, %al\n out %al, $0x80\n"
		      " mov $0xfee00000, %ebx\n movl %fs:0x120(%ebx), %eax\n out %eax, $0x84\n"
		      " movl $0, %fs:0xb0(%ebx)\n pop %ebx\n pop %eax\n iret\n");

LAPIC_TEST(lapic_self_ipi_eoi)
{
	lapic_ivt_set(c->ram, 0x40, 0x3000, g_h40_isr_start, g_h40_isr_end);
	if (load_unreal(c->vcpu_fd, c->ram, 0x1000, g_self_ipi_start, g_self_ipi_end, 0x8000))
		return 1;
	/* in service in the handler, gone after its EOI */
	if (expect_out(c, 0x80, 1, 0x40) || expect_out(c, 0x84, 4, 1) ||
	    expect_out(c, 0x84, 4, 0) || expect_out(c, 0x84, 4, 0) || expect_out(c, 0x81, 1, 0))
		return 1;
	return 0;
}

/* TPR 0x50: 0x45 (class 4) waits, 0x65 (class 6) is taken; TPR 0 lets 0x45 in. */
GUEST_CODE(g_tpr, ".code16\n mov $0xfee00000, %ebx\n movl $0x1ff, %fs:0xf0(%ebx)\n"
		  " movl $0x50, %fs:0x80(%ebx)\n"
		  " movl $0x40045, %fs:0x300(%ebx)\n movl $0x40065, %fs:0x300(%ebx)\n"
		  " sti\n nop\n nop\n"
		  " movl %fs:0x220(%ebx), %eax\n out %eax, $0x84\n"
		  " movl $0, %fs:0x80(%ebx)\n nop\n"
		  " movl %fs:0x220(%ebx), %eax\n out %eax, $0x84\n"
		  " out %al, $0x81\n 1: jmp 1b\n");

LAPIC_TEST(lapic_tpr_priority)
{
	lapic_ivt_set(c->ram, 0x45, 0x3000, g_h45_start, g_h45_end);
	lapic_ivt_set(c->ram, 0x65, 0x3100, g_h65_start, g_h65_end);
	if (load_unreal(c->vcpu_fd, c->ram, 0x1000, g_tpr_start, g_tpr_end, 0x8000))
		return 1;
	if (expect_out(c, 0x80, 1, 0x65) || expect_out(c, 0x84, 4, 1u << 5) ||
	    expect_out(c, 0x80, 1, 0x45) || expect_out(c, 0x84, 4, 0) || expect_out(c, 0x81, 1, 0))
		return 1;
	return 0;
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

/* One-shot timer, vector 0x30, 20 ms at divide-by-1; HLT until it fires. */
GUEST_CODE(g_timer, ".code16\n mov $0xfee00000, %ebx\n movl $0x1ff, %fs:0xf0(%ebx)\n"
		    " movl $0x30, %fs:0x320(%ebx)\n movl $0xb, %fs:0x3e0(%ebx)\n"
		    " out %al, $0x82\n"
		    " movl $20000000, %fs:0x380(%ebx)\n sti\n hlt\n"
		    " movl %fs:0x390(%ebx), %eax\n out %eax, $0x84\n"
		    " out %al, $0x81\n 1: jmp 1b\n");

LAPIC_TEST(lapic_timer_wakes_hlt)
{
	uint64_t t0, dt;
	long long hlt;

	lapic_ivt_set(c->ram, 0x30, 0x3000, g_h30_start, g_h30_end);
	if (load_unreal(c->vcpu_fd, c->ram, 0x1000, g_timer_start, g_timer_end, 0x8000))
		return 1;
	if (expect_out(c, 0x82, 1, 0))
		return 1;
	t0 = now_ns();
	/* the HLT sleeps in the kernel: the next exit is the handler's OUT */
	if (expect_out(c, 0x80, 1, 0x30))
		return 1;
	dt = now_ns() - t0;
	if (expect_out(c, 0x84, 4, 0) || expect_out(c, 0x81, 1, 0))
		return 1;
	hlt = exit_count(c, "HLT");
	printf("lapic_timer_wakes_hlt: woken after %llu us, %lld HLT exits\n",
	       (unsigned long long)dt / 1000, hlt);
	CHECK(dt >= 19000000);
	CHECK_EQ(hlt, 1);
	return 0;
}

/* Periodic timer, vector 0x30, 5 ms: three ticks counted at 0x600, each ending a HLT. */
GUEST_CODE(g_tick, ".code16\n push %eax\n push %ebx\n incb 0x600\n mov 0x600, %al\n"
		   " out %al, $0x80\n mov $0xfee00000, %ebx\n movl $0, %fs:0xb0(%ebx)\n"
		   " pop %ebx\n pop %eax\n iret\n");
GUEST_CODE(g_periodic, ".code16\n mov $0xfee00000, %ebx\n movl $0x1ff, %fs:0xf0(%ebx)\n"
		       " movl $0x20030, %fs:0x320(%ebx)\n movl $0xb, %fs:0x3e0(%ebx)\n"
		       " out %al, $0x82\n"
		       " movl $5000000, %fs:0x380(%ebx)\n sti\n"
		       "1: hlt\n cmpb $3, 0x600\n jb 1b\n"
		       " movl $0x30030, %fs:0x320(%ebx)\n" /* masked */
		       " movl %fs:0x320(%ebx), %eax\n out %eax, $0x84\n"
		       " out %al, $0x81\n 1: jmp 1b\n");

LAPIC_TEST(lapic_timer_periodic)
{
	uint64_t t0, dt;

	lapic_ivt_set(c->ram, 0x30, 0x3000, g_tick_start, g_tick_end);
	if (load_unreal(c->vcpu_fd, c->ram, 0x1000, g_periodic_start, g_periodic_end, 0x8000))
		return 1;
	if (expect_out(c, 0x82, 1, 0))
		return 1;
	t0 = now_ns();
	if (expect_out(c, 0x80, 1, 1) || expect_out(c, 0x80, 1, 2) || expect_out(c, 0x80, 1, 3))
		return 1;
	dt = now_ns() - t0;
	if (expect_out(c, 0x84, 4, 0x30030) || expect_out(c, 0x81, 1, 0x30))
		return 1;
	printf("lapic_timer_periodic: 3 ticks of 5 ms in %llu us\n", (unsigned long long)dt / 1000);
	CHECK(dt >= 15000000);
	CHECK_EQ(c->ram[0x600], 3);
	return 0;
}

/* ---- an IPI between two vCPUs -------------------------------------------- */

/*
 * vCPU 1: enable, LDR from 0x504 (flat model), flag 0x500 = 1, HLT until
 * vector 0x50, then done.
 */
GUEST_CODE(g_ap_hlt, ".code16\n mov $0xfee00000, %ebx\n movl $0x1ff, %fs:0xf0(%ebx)\n"
		     " movl 0x504, %eax\n movl %eax, %fs:0xd0(%ebx)\n"
		     " movb $1, 0x500\n sti\n hlt\n out %al, $0x81\n 1: jmp 1b\n");
/* vCPU 0: the IPI whose ICR high and low halves are at 0x508 and 0x50c, then done. */
GUEST_CODE(g_bsp_ipi, ".code16\n mov $0xfee00000, %ebx\n movl $0x1ff, %fs:0xf0(%ebx)\n"
		      " movl 0x508, %eax\n movl %eax, %fs:0x310(%ebx)\n"
		      " movl 0x50c, %eax\n movl %eax, %fs:0x300(%ebx)\n"
		      " out %al, $0x81\n 1: jmp 1b\n");

struct ap {
	struct vm_ctx c; /* vCPU 1's fds and tunnel; the VM's are the test's */
	int result, done;
	uint32_t st[3]; /* the exits: 0x80 vector, 0x81 */
};

static void on_usr1(int sig __attribute__((unused)))
{
}

static void *ap_thread(void *arg)
{
	struct ap *a = arg;

	a->result = pin_to(1) || expect_out(&a->c, 0x80, 1, 0x50) || expect_out(&a->c, 0x81, 1, 0);
	__atomic_store_n(&a->done, 1, __ATOMIC_RELEASE);
	return NULL;
}

/* vCPU 0 sends ICR @hi:@lo (vector 0x50); vCPU 1, LDR @ldr, halted, must take it. */
static int ipi_wakes_hlt(struct vm_ctx *c, uint32_t hi, uint32_t lo, uint32_t ldr)
{
	struct sigaction sa = { .sa_handler = on_usr1 };
	struct hax_lapic_state s;
	struct ap a = { 0 };
	pthread_t th;
	int i, r;

	if (sysconf(_SC_NPROCESSORS_ONLN) < 2)
		return skip("needs 2 CPUs");
	sigaction(SIGUSR1, &sa, NULL);
	a.c = *c;
	CHECK_OK(hax_create_vcpu(c->vm_fd, 1));
	CHECK_OK(a.c.vcpu_fd = hax_open_vcpu(c->vm_id, 1));
	CHECK_OK(hax_setup_tunnel(a.c.vcpu_fd, &a.c.tunnel, (void **)&a.c.iobuf));
	/* an AP starts in wait-for-SIPI: the VMM starts it through SET_LAPIC */
	CHECK_OK(hax_get_lapic(a.c.vcpu_fd, &s));
	CHECK_EQ(s.pending, HAX_LAPIC_WAIT_SIPI);
	s.pending = 0;
	CHECK_OK(hax_set_lapic(a.c.vcpu_fd, &s));
	lapic_ivt_set(c->ram, 0x50, 0x3000, g_h50_start, g_h50_end);
	memcpy(c->ram + 0x504, &ldr, 4);
	memcpy(c->ram + 0x508, &hi, 4);
	memcpy(c->ram + 0x50c, &lo, 4);
	if (load_unreal(a.c.vcpu_fd, c->ram, 0x2000, g_ap_hlt_start, g_ap_hlt_end, 0x7000) ||
	    load_unreal(c->vcpu_fd, c->ram, 0x1000, g_bsp_ipi_start, g_bsp_ipi_end, 0x8000))
		return 1;
	CHECK_EQ(pthread_create(&th, NULL, ap_thread, &a), 0);
	/* vCPU 1 on its way to HLT; give it time to be asleep in it */
	for (i = 0; i < 5000 && !__atomic_load_n(&c->ram[0x500], __ATOMIC_ACQUIRE); i++)
		usleep(1000);
	usleep(100000);
	r = pin_to(0) || expect_out(c, 0x81, 1, lo & 0xff);
	for (i = 0; i < 5000 && !__atomic_load_n(&a.done, __ATOMIC_ACQUIRE); i++)
		usleep(1000);
	if (!a.done)
		pthread_kill(th, SIGUSR1); /* RUN ends with INTERRUPT: the test fails */
	pthread_join(th, NULL);
	close(a.c.vcpu_fd);
	munmap(a.c.tunnel, 2 * 4096);
	CHECK_EQ(c->ram[0x500], 1);
	if (r || a.result)
		return 1;
	/* the sender (IF=0) was not a destination: nothing pending for it */
	CHECK_OK(hax_get_lapic(c->vcpu_fd, &s));
	CHECK_EQ(get_reg(&s, 0x220), 0);
	return 0;
}

/* Physical destination: APIC ID 1. */
LAPIC_TEST(lapic_ipi_wakes_hlt)
{
	return ipi_wakes_hlt(c, 0x01000000, 0x50, 0);
}

/* Logical destination, flat model: vCPU 1's LDR has bit 5, the IPI names bits 5 and 6. */
LAPIC_TEST(lapic_ipi_logical_flat)
{
	return ipi_wakes_hlt(c, 0x60000000, 0x850, 1u << 29);
}

/* The all-excluding-self shorthand (the destination field ignored). */
LAPIC_TEST(lapic_ipi_all_but_self)
{
	return ipi_wakes_hlt(c, 0, 0xc0050, 0);
}

GUEST_CODE(g_cli_hlt, ".code16\n cli\n hlt\n mov $1, %al\n out %al, $0x81\n");

/*
 * HLT with interrupts off (a guest powering off): RUN returns HAX_EXIT_HLT
 * once, RIP past the HLT and the vCPU in the HLT activity state; the next
 * RUN sleeps in the kernel (a signal ends it, HAX_EXIT_INTERRUPT), still
 * halted, and never runs on past the HLT.
 */
LAPIC_TEST(lapic_hlt_if0_exits_once)
{
	vcpu_state_t s;

	if (load_unreal(c->vcpu_fd, c->ram, 0x1000, g_cli_hlt_start, g_cli_hlt_end, 0x8000))
		return 1;
	if (expect_exit(c, HAX_EXIT_HLT))
		return 1;
	CHECK_OK(hax_get_regs(c->vcpu_fd, &s));
	CHECK_EQ(s._rip, 0x1002);
	CHECK_EQ(s._activity_state, HAX_ACTIVITY_HLT);
	CHECK_EQ(s._rflags & 0x200, 0);
	if (vm_run_cut(c, 200))
		return 1;
	CHECK_EQ(c->tunnel->_exit_status, HAX_EXIT_INTERRUPT);
	CHECK_OK(hax_get_regs(c->vcpu_fd, &s));
	CHECK_EQ(s._rip, 0x1002);
	CHECK_EQ(s._activity_state, HAX_ACTIVITY_HLT);
	return 0;
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

/* ---- the same guests under kvm_intel's in-kernel irqchip ---------------------- */

int haxm_trace_81(struct vm_ctx *c, struct out_trace *tr)
{
	do {
		if (vm_run(c))
			return 1;
		if (c->tunnel->_exit_status != HAX_EXIT_IO ||
		    c->tunnel->io._direction != HAX_IO_OUT)
			return fail("haxm exit %u after %d OUTs", c->tunnel->_exit_status, tr->n);
		if (out_trace_add(tr, c->tunnel->io._port, c->iobuf, c->tunnel->io._size))
			return 1;
	} while (tr->port[tr->n - 1] != 0x81);
	return 0;
}

int kvm_trace_81(struct kvm_ctx *k, struct out_trace *tr)
{
	for (;;) {
		/* an AP woken from wait-for-SIPI returns EAGAIN: run it again */
		if (ioctl(k->vcpu, KVM_RUN, 0)) {
			if (errno == EAGAIN)
				continue;
			return fail("KVM_RUN: %s", strerror(errno));
		}
		if (k->run->exit_reason != KVM_EXIT_IO || k->run->io.direction != KVM_EXIT_IO_OUT)
			return fail("KVM exit %u after %d OUTs", k->run->exit_reason, tr->n);
		if (out_trace_add(tr, k->run->io.port, (uint8_t *)k->run + k->run->io.data_offset,
				  k->run->io.size))
			return 1;
		if (tr->port[tr->n - 1] == 0x81)
			return 0;
	}
}

int lapic_kvm_same(const struct out_trace *th, const uint8_t *s, const uint8_t *e, int v1,
		   const uint8_t *h1s, const uint8_t *h1e, int v2, const uint8_t *h2s,
		   const uint8_t *h2e)
{
	struct out_trace tk = { 0 };
	struct kvm_ctx k;
	int r;

	if (access("/dev/kvm", F_OK))
		return skip("/dev/kvm: %s (kvm_intel not loaded)", strerror(errno));
	r = kvm_setup_real_irqchip(&k, 1 << 20, 0x1000);
	if (!r) {
		memcpy(k.ram + 0x1000, s, e - s);
		lapic_ivt_set(k.ram, v1, 0x3000, h1s, h1e);
		if (h2s)
			lapic_ivt_set(k.ram, v2, 0x3100, h2s, h2e);
		r = kvm_trace_81(&k, &tk);
	}
	kvm_teardown(&k);
	if (r)
		return r;
	printf("lapic vs kvm_intel: %d OUTs each\n", th->n);
	return out_trace_equal(th, &tk);
}

/* Run @s..@e at 0x1000 with the handlers at 0x3000/0x3100 under both; same OUTs. */
static int compare_kvm(const uint8_t *s, const uint8_t *e, int v1, const uint8_t *h1s,
		       const uint8_t *h1e, int v2, const uint8_t *h2s, const uint8_t *h2e)
{
	struct out_trace th = { 0 };
	struct vm_ctx c;
	int r;

	r = lapic_setup(&c, 1 << 20);
	if (!r) {
		lapic_ivt_set(c.ram, v1, 0x3000, h1s, h1e);
		if (h2s)
			lapic_ivt_set(c.ram, v2, 0x3100, h2s, h2e);
		r = load_unreal(c.vcpu_fd, c.ram, 0x1000, s, e, 0x8000) || haxm_trace_81(&c, &th);
	}
	vm_teardown(&c);
	if (r)
		return r;
	return lapic_kvm_same(&th, s, e, v1, h1s, h1e, v2, h2s, h2e);
}

TEST(lapic_kvm_xapic_regs)
{
	return compare_kvm(g_xapic_regs_start, g_xapic_regs_end, 0x40, g_h40_start, g_h40_end, 0,
			   NULL, NULL);
}

TEST(lapic_kvm_self_ipi_eoi)
{
	return compare_kvm(g_self_ipi_start, g_self_ipi_end, 0x40, g_h40_isr_start, g_h40_isr_end,
			   0, NULL, NULL);
}

TEST(lapic_kvm_tpr_priority)
{
	return compare_kvm(g_tpr_start, g_tpr_end, 0x45, g_h45_start, g_h45_end, 0x65, g_h65_start,
			   g_h65_end);
}

/*
 * TSC-deadline mode (SDM 11.5.4.1): CPUID.1:ECX[24] (port 0x82), the
 * initial count ignored (0x83), IA32_TSC_DEADLINE reading back what was
 * written (0x84: 0 when equal), the interrupt (0x80) not before the TSC
 * reaches the deadline (0x85: 0), the MSR disarmed once it fired (0x86),
 * a deadline already past firing at once (0x80), the MSR reading 0 outside
 * the mode (0x87). The deadline is 2M TSC ticks ahead, saved at 0x610.
 */
GUEST_CODE(g_tsc_deadline,
	   ".code16\n mov $0xfee00000, %ebx\n movl $0x1ff, %fs:0xf0(%ebx)\n"
	   " mov $1, %eax\n cpuid\n mov %ecx, %eax\n shr $24, %eax\n and $1, %eax\n"
	   " out %al, $0x82\n mov $0xfee00000, %ebx\n" /* CPUID wrote EBX */
	   " movl $0x40030, %fs:0x320(%ebx)\n movl $1000, %fs:0x380(%ebx)\n"
	   " movl %fs:0x380(%ebx), %eax\n out %eax, $0x83\n"
	   " rdtsc\n add $2000000, %eax\n adc $0, %edx\n mov %eax, 0x610\n mov %edx, 0x614\n"
	   " mov $0x6e0, %ecx\n wrmsr\n rdmsr\n xor 0x610, %eax\n xor 0x614, %edx\n"
	   " or %edx, %eax\n out %eax, $0x84\n"
	   " sti\n hlt\n"
	   " rdtsc\n sub 0x610, %eax\n sbb 0x614, %edx\n shr $31, %edx\n mov %edx, %eax\n"
	   " out %al, $0x85\n"
	   " mov $0x6e0, %ecx\n rdmsr\n or %edx, %eax\n out %eax, $0x86\n"
	   " mov $1, %eax\n xor %edx, %edx\n wrmsr\n nop\n nop\n"
	   " movl $0x30, %fs:0x320(%ebx)\n rdmsr\n or %edx, %eax\n out %eax, $0x87\n"
	   " out %al, $0x81\n 1: jmp 1b\n");

/* #GP (an MSR refused): end the trace there, with 0xd, not in a loop at 0:0 */
GUEST_CODE(g_gp_end, ".code16\n mov $0xd, %al\n out %al, $0x81\n 1: jmp 1b\n");

LAPIC_TEST(lapic_tsc_deadline)
{
	static const struct {
		uint16_t port;
		uint8_t size;
		uint32_t val;
	} want[] = { { 0x82, 1, 1 },	{ 0x83, 4, 0 }, { 0x84, 4, 0 },
		     { 0x80, 1, 0x30 }, { 0x85, 1, 0 }, { 0x86, 4, 0 },
		     { 0x80, 1, 0x30 }, { 0x87, 4, 0 }, { 0x81, 1, 0 } };
	unsigned int i;

	lapic_ivt_set(c->ram, 0x30, 0x3000, g_h30_start, g_h30_end);
	lapic_ivt_set(c->ram, 13, 0x3100, g_gp_end_start, g_gp_end_end);
	if (load_unreal(c->vcpu_fd, c->ram, 0x1000, g_tsc_deadline_start, g_tsc_deadline_end,
			0x8000))
		return 1;
	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		if (expect_out(c, want[i].port, want[i].size, want[i].val))
			return fail("step %u (port 0x%x)", i, want[i].port);
	/* the HLT slept in the kernel until the deadline */
	CHECK_EQ(exit_count(c, "HLT"), 1);
	return 0;
}

TEST(lapic_kvm_tsc_deadline)
{
	return compare_kvm(g_tsc_deadline_start, g_tsc_deadline_end, 0x30, g_h30_start, g_h30_end,
			   13, g_gp_end_start, g_gp_end_end);
}
