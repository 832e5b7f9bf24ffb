// SPDX-License-Identifier: GPL-2.0
/*
 * The instruction emulator in a real guest: instructions touching MMIO
 * (guest-physical 0xf0000, not RAM) go to a device model here as FAST_MMIO
 * exits, logged and checked access by access; string I/O (REP INS/OUTS)
 * arrives as IO exits with counts and the data in the I/O buffer.
 */
#include <linux/kvm.h>
#include <sys/ioctl.h>

#include "harness.h"
#include "mmio_dev.h"

GUEST_CODE(g_mov, ".code16\n"
		  "mov $0xf000, %ax\n mov %ax, %ds\n"
		  "movb $0x11, 0x10\n"
		  "movw $0x2233, 0x20\n"
		  "movl $0x44556677, 0x30\n"
		  "mov 0x40, %al\n"
		  "mov 0x48, %bx\n"
		  "mov 0x50, %ecx\n"
		  "movzbl 0x58, %edx\n"
		  "movswl 0x60, %esi\n"
		  "mov 0x68, %eax\n"
		  "hlt\n");

VM_TEST(mmio_mov, 64 << 10)
{
	struct dev d;
	vcpu_state_t s;

	dev_init(&d);
	if (vm_load_real(c, 0x1000, g_mov_start, g_mov_end) || dev_run(c, &d))
		return 1;
	CHECK_EQ(d.n, 9);
	ACC(0, WRITE, 0x10, 1);
	CHECK_EQ(d.log[0].val & 0xff, 0x11);
	ACC(1, WRITE, 0x20, 2);
	CHECK_EQ(d.log[1].val & 0xffff, 0x2233);
	ACC(2, WRITE, 0x30, 4);
	CHECK_EQ(d.log[2].val & 0xffffffff, 0x44556677);
	ACC(3, READ, 0x40, 1);
	ACC(4, READ, 0x48, 2);
	ACC(5, READ, 0x50, 4);
	ACC(6, READ, 0x58, 1);
	ACC(7, READ, 0x60, 2);
	ACC(8, READ, 0x68, 4);
	CHECK_OK(hax_get_regs(c->vcpu_fd, &s));
	CHECK_EQ(s._regs[HAX_REG_RBX] & 0xffff, dev_val(&d, 0x48, 2));
	CHECK_EQ(s._regs[HAX_REG_RCX] & 0xffffffff, dev_val(&d, 0x50, 4));
	CHECK_EQ(s._regs[HAX_REG_RDX] & 0xffffffff, dev_val(&d, 0x58, 1));
	CHECK_EQ(s._regs[HAX_REG_RSI] & 0xffffffff,
		 (uint32_t)(int32_t)(int16_t)dev_val(&d, 0x60, 2));
	CHECK_EQ(s._regs[HAX_REG_RAX] & 0xffffffff, dev_val(&d, 0x68, 4));
	CHECK_EQ(s._rip, 0x1000 + (g_mov_end - g_mov_start));
	return 0;
}

/* Read-modify-write instructions: a read exit, then a write exit each. */
GUEST_CODE(g_rmw, ".code16\n"
		  "mov $0xf000, %ax\n mov %ax, %ds\n"
		  "mov $0x1234, %bx\n"
		  "addw $5, 0x70\n"
		  "orb $0x80, 0x72\n"
		  "xchg %bx, 0x74\n"
		  "mov $1, %cx\n lock xadd %cx, 0x76\n"
		  "btsl $3, 0x78\n"
		  "incb 0x7c\n"
		  "negw 0x7e\n"
		  "mov 0x70, %ax\n"
		  "cmpw %ax, 0x70\n"
		  "hlt\n");

VM_TEST(mmio_read_modify_write, 64 << 10)
{
	struct dev d, orig;
	vcpu_state_t s;
	int i;

	dev_init(&d);
	orig = d;
	if (vm_load_real(c, 0x1000, g_rmw_start, g_rmw_end) || dev_run(c, &d))
		return 1;
	CHECK_EQ(d.n, 16);
	ACC(0, READ, 0x70, 2);
	ACC(1, WRITE, 0x70, 2);
	ACC(2, READ, 0x72, 1);
	ACC(3, WRITE, 0x72, 1);
	ACC(4, READ, 0x74, 2);
	ACC(5, WRITE, 0x74, 2);
	ACC(6, READ, 0x76, 2);
	ACC(7, WRITE, 0x76, 2);
	ACC(8, READ, 0x78, 4);
	ACC(9, WRITE, 0x78, 4);
	ACC(10, READ, 0x7c, 1);
	ACC(11, WRITE, 0x7c, 1);
	ACC(12, READ, 0x7e, 2);
	ACC(13, WRITE, 0x7e, 2);
	ACC(14, READ, 0x70, 2);
	ACC(15, READ, 0x70, 2);
	CHECK_EQ(dev_val(&d, 0x70, 2), (uint16_t)(dev_val(&orig, 0x70, 2) + 5));
	CHECK_EQ(dev_val(&d, 0x72, 1), dev_val(&orig, 0x72, 1) | 0x80);
	CHECK_EQ(dev_val(&d, 0x74, 2), 0x1234);
	CHECK_EQ(dev_val(&d, 0x76, 2), (uint16_t)(dev_val(&orig, 0x76, 2) + 1));
	CHECK_EQ(dev_val(&d, 0x78, 4), dev_val(&orig, 0x78, 4) | 8);
	CHECK_EQ(dev_val(&d, 0x7c, 1), (uint8_t)(dev_val(&orig, 0x7c, 1) + 1));
	CHECK_EQ(dev_val(&d, 0x7e, 2), (uint16_t)-dev_val(&orig, 0x7e, 2));
	for (i = 0x80; i < 4096; i++)
		CHECK_EQ(d.mem[i], orig.mem[i]);
	CHECK_OK(hax_get_regs(c->vcpu_fd, &s));
	CHECK_EQ(s._regs[HAX_REG_RBX] & 0xffff, dev_val(&orig, 0x74, 2));
	CHECK_EQ(s._regs[HAX_REG_RCX] & 0xffff, dev_val(&orig, 0x76, 2));
	CHECK_EQ(s._regs[HAX_REG_RAX] & 0xffff, dev_val(&d, 0x70, 2));
	CHECK(s._rflags & 0x40); /* ZF from the CMP of equal values */
	return 0;
}

/* REP OUTSB, REP INSW, then REP MOVSB / REP STOSW / LODSL against MMIO. */
GUEST_CODE(g_str, ".code16\n"
		  "xor %ax, %ax\n mov %ax, %ds\n mov %ax, %es\n cld\n"
		  "mov $0x2000, %si\n mov $5, %cx\n mov $0x80, %dx\n rep outsb\n"
		  "mov $0x3000, %di\n mov $3, %cx\n mov $0x71, %dx\n rep insw\n"
		  "mov $0xf000, %ax\n mov %ax, %es\n"
		  "mov $0x2000, %si\n mov $0x100, %di\n mov $4, %cx\n rep movsb\n"
		  "mov $0x200, %di\n mov $0xbeef, %ax\n mov $3, %cx\n rep stosw\n"
		  "mov %es, %ax\n mov %ax, %ds\n mov $0x300, %si\n lodsl\n"
		  "hlt\n");

VM_TEST(mmio_string_and_rep_io, 64 << 10)
{
	struct dev d;
	vcpu_state_t s;
	int i;

	dev_init(&d);
	d.in_fill = 0x40;
	memcpy(c->ram + 0x2000, "ABCDE", 5);
	if (vm_load_real(c, 0x1000, g_str_start, g_str_end) || dev_run(c, &d))
		return 1;
	/* OUTS: one exit of 5 bytes, INS: one exit of 3 words */
	CHECK_EQ(d.io_exits, 2);
	CHECK_EQ(d.out_len, 5);
	CHECK(!memcmp(d.out, "ABCDE", 5));
	CHECK_EQ(d.io_port, 0x71);
	CHECK_EQ(d.io_count, 3);
	CHECK_EQ(d.io_size, 2);
	for (i = 0; i < 6; i++)
		CHECK_EQ(c->ram[0x3000 + i], 0x40 + i);
	CHECK_EQ(d.n, 8);
	for (i = 0; i < 4; i++) {
		ACC(i, WRITE, 0x100 + i, 1);
		CHECK_EQ(d.mem[0x100 + i], "ABCD"[i]);
	}
	for (i = 0; i < 3; i++) {
		ACC(4 + i, WRITE, 0x200 + 2 * i, 2);
		CHECK_EQ(dev_val(&d, 0x200 + 2 * i, 2), 0xbeef);
	}
	ACC(7, READ, 0x300, 4);
	CHECK_OK(hax_get_regs(c->vcpu_fd, &s));
	CHECK_EQ(s._regs[HAX_REG_RAX] & 0xffffffff, dev_val(&d, 0x300, 4));
	CHECK_EQ(s._regs[HAX_REG_RCX] & 0xffff, 0);
	CHECK_EQ(s._regs[HAX_REG_RSI] & 0xffff, 0x304);
	CHECK_EQ(s._regs[HAX_REG_RDI] & 0xffff, 0x206);
	return 0;
}

/* DIV by an MMIO byte that reads 0: #DE goes to the guest's vector 0. */
GUEST_CODE(g_de, ".code16\n"
		 "xor %ax, %ax\n mov %ax, %ds\n"
		 "movw $(g_de_handler - g_de_start + 0x1000), 0\n movw $0, 2\n"
		 "mov $0xf000, %ax\n mov %ax, %ds\n"
		 "mov $0x1234, %ax\n divb 0x90\n"
		 "hlt\n"
		 "g_de_handler: mov $0xde, %al\n out %al, $0x81\n hlt\n");

VM_TEST(mmio_divide_error_injected, 64 << 10)
{
	struct dev d;

	dev_init(&d);
	d.mem[0x90] = 0;
	if (vm_load_real(c, 0x1000, g_de_start, g_de_end))
		return 1;
	if (expect_exit(c, HAX_EXIT_FAST_MMIO))
		return 1;
	CHECK_EQ(((struct hax_fastmmio *)c->iobuf)->gpa, MMIO_BASE + 0x90);
	((struct hax_fastmmio *)c->iobuf)->value = 0;
	return expect_out(c, 0x81, 1, 0xde);
}

/*
 * The same #DE, raised when the instruction resumes with its MMIO data, while
 * an interrupt queued meanwhile waits: the guest takes the #DE first, then
 * (after its handler's STI) the interrupt, which must not be lost.
 */
GUEST_CODE(g_de_irq, ".code16\n"
		     "xor %ax, %ax\n mov %ax, %ds\n"
		     "movw $(g_de_irq_de - g_de_irq_start + 0x1000), 0\n movw $0, 2\n"
		     "movw $(g_de_irq_int - g_de_irq_start + 0x1000), 0x80\n movw $0, 0x82\n"
		     "mov $0xf000, %ax\n mov %ax, %ds\n sti\n"
		     "mov $0x1234, %ax\n divb 0x90\n"
		     "hlt\n"
		     "g_de_irq_de: mov $0xde, %al\n out %al, $0x81\n sti\n 1: hlt\n jmp 1b\n"
		     "g_de_irq_int: mov $0x20, %al\n out %al, $0x82\n hlt\n");

VM_TEST(mmio_fault_on_resume_keeps_interrupt, 64 << 10)
{
	if (vm_load_real(c, 0x1000, g_de_irq_start, g_de_irq_end))
		return 1;
	if (expect_exit(c, HAX_EXIT_FAST_MMIO))
		return 1;
	CHECK_EQ(((struct hax_fastmmio *)c->iobuf)->gpa, MMIO_BASE + 0x90);
	((struct hax_fastmmio *)c->iobuf)->value = 0;
	CHECK_OK(hax_interrupt(c->vcpu_fd, 0x20));
	if (expect_out(c, 0x81, 1, 0xde))
		return 1;
	return expect_out(c, 0x82, 1, 0x20);
}

/* An instruction the emulator does not handle (x87) stops the vCPU cleanly. */
GUEST_CODE(g_x87, ".code16\n mov $0xf000, %ax\n mov %ax, %ds\n fldl 0x10\n hlt\n");

VM_TEST(mmio_unknown_instruction_stops, 64 << 10)
{
	if (vm_load_real(c, 0x1000, g_x87_start, g_x87_end))
		return 1;
	if (expect_exit(c, HAX_EXIT_STATECHANGE))
		return 1;
	CHECK_EQ(c->tunnel->_exit_reason, 48);
	return expect_exit(c, HAX_EXIT_STATECHANGE);
}

GUEST_CODE(g_pm32, ".code32\n"
		   "movl $0x12345678, 0x400010\n"
		   "mov 0x400020, %ebx\n"
		   "mov $0x400100, %edi\n mov $0xab, %al\n mov $2, %ecx\n rep stosb\n"
		   "hlt\n");

VM_TEST(mmio_paged_32bit, 64 << 10)
{
	struct dev d;
	vcpu_state_t s;

	dev_init(&d);
	if (vm_load_paged(c, false, g_pm32_start, g_pm32_end) || dev_run(c, &d))
		return 1;
	CHECK_EQ(d.n, 4);
	ACC(0, WRITE, 0x10, 4);
	CHECK_EQ(d.log[0].val & 0xffffffff, 0x12345678);
	ACC(1, READ, 0x20, 4);
	ACC(2, WRITE, 0x100, 1);
	ACC(3, WRITE, 0x101, 1);
	CHECK_EQ(d.mem[0x101], 0xab);
	CHECK_OK(hax_get_regs(c->vcpu_fd, &s));
	CHECK_EQ(s._regs[HAX_REG_RBX], dev_val(&d, 0x20, 4));
	CHECK_EQ(s._regs[HAX_REG_RDI], 0x400102);
	return 0;
}

GUEST_CODE(g_lm, ".code64\n"
		 "movq $-2, 0x400010\n"
		 "mov 0x400020, %rbx\n"
		 "mov $0x1122334455667788, %rax\n movabs %rax, 0x400030\n"
		 "mov $0x400000, %rsi\n mov $0xff, %edx\n"
		 "lock cmpxchg %rdx, 0x40(%rsi)\n"
		 "hlt\n");

VM_TEST(mmio_paged_64bit, 64 << 10)
{
	struct dev d;
	vcpu_state_t s;
	uint64_t old40;

	dev_init(&d);
	old40 = dev_val(&d, 0x40, 8);
	if (vm_load_paged(c, true, g_lm_start, g_lm_end) || dev_run(c, &d))
		return 1;
	CHECK_EQ(d.n, 5);
	ACC(0, WRITE, 0x10, 8);
	CHECK_EQ(d.log[0].val, 0xfffffffffffffffeULL);
	ACC(1, READ, 0x20, 8);
	ACC(2, WRITE, 0x30, 8);
	CHECK_EQ(d.log[2].val, 0x1122334455667788ULL);
	/* CMPXCHG with RAX != memory: read, write back the old value, RAX loaded */
	ACC(3, READ, 0x40, 8);
	ACC(4, WRITE, 0x40, 8);
	CHECK_EQ(d.log[4].val, old40);
	CHECK_OK(hax_get_regs(c->vcpu_fd, &s));
	CHECK_EQ(s._regs[HAX_REG_RBX], dev_val(&d, 0x20, 8));
	CHECK_EQ(s._regs[HAX_REG_RAX], old40);
	CHECK_EQ(s._rflags & 0x40, 0);
	return 0;
}

/* ---- the same guests under kvm_intel: the same accesses, the same result ---- */

/* Run real-mode @start..@end under KVM with @d as the device, to HLT. */
static int kvm_run_dev(struct dev *d, const uint8_t *start, const uint8_t *end,
		       struct kvm_regs *out)
{
	struct kvm_ctx k;
	struct kvm_run *run;
	int r = 1, i;

	if (kvm_setup_real(&k, 64 << 10, 0x1000))
		goto out;
	memcpy(k.ram + 0x1000, start, end - start);
	run = k.run;
	for (i = 0; i < 200; i++) {
		if (ioctl(k.vcpu, KVM_RUN, 0)) {
			r = fail("KVM_RUN: %s", strerror(errno));
			goto out;
		}
		if (run->exit_reason == KVM_EXIT_HLT) {
			r = ioctl(k.vcpu, KVM_GET_REGS, out) ? fail("KVM_GET_REGS") : 0;
			goto out;
		}
		if (run->exit_reason != KVM_EXIT_MMIO || d->n >= 64 ||
		    run->mmio.phys_addr < MMIO_BASE || run->mmio.len > 8 ||
		    run->mmio.phys_addr + run->mmio.len > MMIO_BASE + 4096) {
			r = fail("KVM exit %u", run->exit_reason);
			goto out;
		}
		if (run->mmio.is_write)
			memcpy(d->mem + (run->mmio.phys_addr - MMIO_BASE), run->mmio.data,
			       run->mmio.len);
		else
			memcpy(run->mmio.data, d->mem + (run->mmio.phys_addr - MMIO_BASE),
			       run->mmio.len);
		d->log[d->n] = (struct access){ run->mmio.phys_addr, 0, run->mmio.len,
						run->mmio.is_write ? HAX_FASTMMIO_WRITE
								   : HAX_FASTMMIO_READ };
		memcpy(&d->log[d->n++].val, run->mmio.data, run->mmio.len);
	}
	r = fail("KVM: the guest did not reach HLT");
out:
	kvm_teardown(&k);
	return r;
}

/* KVM first (it holds VMX while its VM lives), then haxm in a fresh VM. */
static int compare_with_kvm(const uint8_t *start, const uint8_t *end)
{
	struct vm_ctx ctx, *c = &ctx;
	struct dev h, k;
	struct kvm_regs kr;
	vcpu_state_t s;
	int i, r;

	dev_init(&h);
	dev_init(&k);
	if (kvm_run_dev(&k, start, end, &kr))
		return 1;
	r = vm_setup(c, 64 << 10);
	if (!r)
		r = vm_load_real(c, 0x1000, start, end);
	if (!r && hax_get_regs(c->vcpu_fd, &s))
		r = fail("GET_REGS: %s", strerror(errno));
	if (!r) { /* the GPRs KVM starts with: 0, RSP 0x8000 */
		memset(s._regs, 0, sizeof(s._regs));
		s._regs[HAX_REG_RSP] = 0x8000;
		if (hax_set_regs(c->vcpu_fd, &s))
			r = fail("SET_REGS: %s", strerror(errno));
	}
	if (!r)
		r = dev_run(c, &h);
	if (!r && hax_get_regs(c->vcpu_fd, &s))
		r = fail("GET_REGS: %s", strerror(errno));
	vm_teardown(c);
	if (r)
		return r;
	CHECK_EQ(h.n, k.n);
	for (i = 0; i < h.n; i++) {
		uint64_t mask = h.log[i].size == 8 ? ~0ULL : (1ULL << (8 * h.log[i].size)) - 1;

		if (h.log[i].gpa != k.log[i].gpa || h.log[i].size != k.log[i].size ||
		    h.log[i].dir != k.log[i].dir || ((h.log[i].val ^ k.log[i].val) & mask))
			return fail(
				"access %d: haxm dir %u gpa 0x%llx size %u val 0x%llx; kvm dir %u "
				"gpa 0x%llx size %u val 0x%llx",
				i, h.log[i].dir, (unsigned long long)h.log[i].gpa, h.log[i].size,
				(unsigned long long)(h.log[i].val & mask), k.log[i].dir,
				(unsigned long long)k.log[i].gpa, k.log[i].size,
				(unsigned long long)(k.log[i].val & mask));
	}
	CHECK(!memcmp(h.mem, k.mem, sizeof(h.mem)));
	CHECK_EQ(s._rip, kr.rip);
	CHECK_EQ(s._rflags & 0x8d5, kr.rflags & 0x8d5);
	CHECK_EQ(s._regs[HAX_REG_RAX], kr.rax);
	CHECK_EQ(s._regs[HAX_REG_RBX], kr.rbx);
	CHECK_EQ(s._regs[HAX_REG_RCX], kr.rcx);
	CHECK_EQ(s._regs[HAX_REG_RDX], kr.rdx);
	CHECK_EQ(s._regs[HAX_REG_RSI], kr.rsi);
	CHECK_EQ(s._regs[HAX_REG_RDI], kr.rdi);
	return 0;
}

/*
 * Real-mode SSE moves (the guest sets CR4.OSFXSR itself) for the comparison;
 * KVM's emulator has no MOVD/MOVQ (and no VEX).
 */
GUEST_CODE(g_sse16, ".code16\n"
		    "mov %cr4, %eax\n or $0x200, %eax\n mov %eax, %cr4\n"
		    "mov $0xf000, %ax\n mov %ax, %ds\n"
		    "movdqu 0x10, %xmm0\n movdqa %xmm0, 0x100\n"
		    "movaps 0x20, %xmm1\n movups %xmm1, 0x113\n"
		    "movntdq %xmm0, 0x140\n movntps %xmm1, 0x150\n"
		    "hlt\n");

TEST(mmio_same_as_kvm)
{
	return compare_with_kvm(g_mov_start, g_mov_end) ||
	       compare_with_kvm(g_rmw_start, g_rmw_end) ||
	       compare_with_kvm(g_sse16_start, g_sse16_end);
}

/* MOVSB from MMIO into a page PROTECT_RAM made read-only: a PAGEFAULT exit. */
GUEST_CODE(g_movs_prot, ".code16\n"
			"mov $0xf000, %ax\n mov %ax, %ds\n xor %ax, %ax\n mov %ax, %es\n"
			"mov $0x10, %si\n mov $0x3000, %di\n cld\n movsb\n"
			"hlt\n");

VM_TEST(mmio_emulated_write_respects_protect_ram, 64 << 10)
{
	struct hax_fastmmio *m = (struct hax_fastmmio *)c->iobuf;

	c->ram[0x3000] = 0x11;
	if (vm_load_real(c, 0x1000, g_movs_prot_start, g_movs_prot_end))
		return 1;
	CHECK_OK(hax_protect_ram(c->vm_fd, 0x3000, 0x1000, HAX_RAM_PERM_R | HAX_RAM_PERM_X));
	if (expect_exit(c, HAX_EXIT_FAST_MMIO))
		return 1;
	CHECK_EQ(m->gpa, MMIO_BASE + 0x10);
	CHECK_EQ(m->direction, HAX_FASTMMIO_READ);
	m->value = 0x77;
	if (expect_exit(c, HAX_EXIT_PAGEFAULT))
		return 1;
	CHECK_EQ(c->tunnel->pagefault.gpa, 0x3000);
	CHECK_EQ(c->tunnel->pagefault.flags,
		 HAX_PAGEFAULT_ACC_W | HAX_PAGEFAULT_PERM_R | HAX_PAGEFAULT_PERM_X);
	CHECK_EQ(c->ram[0x3000], 0x11);
	/* opened again: the instruction runs again from the start */
	CHECK_OK(hax_protect_ram(c->vm_fd, 0x3000, 0x1000, HAX_RAM_PERM_RWX));
	if (expect_exit(c, HAX_EXIT_FAST_MMIO))
		return 1;
	CHECK_EQ(m->gpa, MMIO_BASE + 0x10);
	m->value = 0x78;
	if (expect_exit(c, HAX_EXIT_HLT))
		return 1;
	CHECK_EQ(c->ram[0x3000], 0x78);
	return 0;
}

/* Several MMIO reads and writes in one instruction: CMPXCHG16B, CMPSQ, MOVSQ. */
GUEST_CODE(g_multi, ".code64\n"
		    "mov $0x400000, %rsi\n"
		    "mov 0x80(%rsi), %rax\n mov 0x88(%rsi), %rdx\n"
		    "mov $0x1111, %ebx\n mov $0x2222, %ecx\n"
		    "lock cmpxchg16b 0x80(%rsi)\n"
		    "mov $0x400100, %rsi\n mov $0x400200, %rdi\n cld\n"
		    "cmpsq\n movsq\n"
		    "hlt\n");

VM_TEST(mmio_several_accesses_per_instruction, 64 << 10)
{
	struct dev d, orig;
	vcpu_state_t s;

	dev_init(&d);
	orig = d;
	if (vm_load_paged(c, true, g_multi_start, g_multi_end) || dev_run(c, &d))
		return 1;
	CHECK_EQ(d.n, 10);
	ACC(0, READ, 0x80, 8);
	ACC(1, READ, 0x88, 8);
	/* CMPXCHG16B: two reads, then two writes */
	ACC(2, READ, 0x80, 8);
	ACC(3, READ, 0x88, 8);
	ACC(4, WRITE, 0x80, 8);
	ACC(5, WRITE, 0x88, 8);
	CHECK_EQ(dev_val(&d, 0x80, 8), 0x1111);
	CHECK_EQ(dev_val(&d, 0x88, 8), 0x2222);
	/* CMPSQ: both operands MMIO; MOVSQ: MMIO to MMIO */
	ACC(6, READ, 0x100, 8);
	ACC(7, READ, 0x200, 8);
	ACC(8, READ, 0x108, 8);
	ACC(9, WRITE, 0x208, 8);
	CHECK_EQ(dev_val(&d, 0x208, 8), dev_val(&orig, 0x108, 8));
	CHECK_OK(hax_get_regs(c->vcpu_fd, &s));
	CHECK_EQ(s._regs[HAX_REG_RSI], 0x400110);
	CHECK_EQ(s._regs[HAX_REG_RDI], 0x400210);
	/* ZF: the CMPSQ operands compared equal or not */
	CHECK_EQ(!!(s._rflags & 0x40), dev_val(&orig, 0x100, 8) == dev_val(&orig, 0x200, 8));
	return 0;
}
