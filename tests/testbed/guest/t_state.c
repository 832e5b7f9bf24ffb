// SPDX-License-Identifier: GPL-2.0
/*
 * The complete vCPU state (HAX_CAP_VCPU_STATE, docs/api.md): a guest in real
 * mode, 32-bit protected mode with PAE paging and 64-bit long mode is stopped
 * partway, its state is got and set into a vCPU of a NEW VM holding a copy
 * of its RAM, and both finish alike (OUTs, registers, RAM, the whole state).
 * The STI shadow, an interrupt caught in delivery and the HLT state carry
 * over too. Every refused field, EBUSY while an IN waits, another process.
 */
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"

#define SNAP_PORT 0xe0
#define PG	  4096ULL

typedef struct hax_vcpu_full_state fstate_t;

static int has_cap(void)
{
	struct hax_capabilityinfo ci;
	int fd = hax_open_system();

	if (fd < 0 || hax_get_capability(fd, &ci))
		return fail("CAPABILITY: %s", strerror(errno));
	close(fd);
	if (!(ci.winfo & HAX_CAP_VCPU_STATE))
		return fail("HAX_CAP_VCPU_STATE not advertised (winfo 0x%x)", ci.winfo);
	return 0;
}

/* @a and @b equal but for the TSC (read at different times); a failure names the first byte. */
static int same_state(const fstate_t *a, const fstate_t *b)
{
	fstate_t x = *a, y = *b;
	const uint8_t *p = (const uint8_t *)&x, *q = (const uint8_t *)&y;
	size_t i;

	x.tsc = y.tsc = 0;
	for (i = 0; i < sizeof(x); i++)
		if (p[i] != q[i])
			return fail("states differ at offset %zu: 0x%02x vs 0x%02x", i, p[i], q[i]);
	return 0;
}

static int same_ram(const struct vm_ctx *a, const struct vm_ctx *b, uint64_t skip, uint64_t len)
{
	uint64_t i;

	for (i = 0; i < a->ram_size; i++)
		if ((i < skip || i >= skip + len) && a->ram[i] != b->ram[i])
			return fail("RAM differs at 0x%llx: 0x%02x vs 0x%02x",
				    (unsigned long long)i, a->ram[i], b->ram[i]);
	return 0;
}

/* A new VM with @a's RAM and vCPU state; 0 or a failure (*@b torn down by the caller). */
static int clone_vm(struct vm_ctx *a, struct vm_ctx *b, const fstate_t *s)
{
	if (vm_setup(b, a->ram_size))
		return 1;
	memcpy(b->ram, a->ram, a->ram_size);
	CHECK_OK(hax_set_state(b->vcpu_fd, s));
	return 0;
}

/*
 * Run @a to its OUT to SNAP_PORT, clone it into a new VM, finish both (to
 * HLT) and compare: OUTs, final states, RAM but [@skip, +@len).
 */
static int snap_compare(struct vm_ctx *a, uint64_t skip, uint64_t len)
{
	fstate_t *s = malloc(sizeof(*s)), *fa = malloc(sizeof(*s)), *fb = malloc(sizeof(*s));
	struct out_trace ta = { 0 }, tb = { 0 };
	struct vm_ctx b;
	int r = 1;

	b.sys_fd = b.vm_fd = b.vcpu_fd = -1;
	b.ram = NULL;
	b.tunnel = NULL;
	if (!s || !fa || !fb) {
		fail("out of memory");
		goto out;
	}
	if (expect_exit(a, HAX_EXIT_IO))
		goto out;
	if (a->tunnel->io._port != SNAP_PORT) {
		fail("OUT to 0x%x before the snapshot point", a->tunnel->io._port);
		goto out;
	}
	if (hax_get_state(a->vcpu_fd, s)) {
		fail("GET_STATE: %s", strerror(errno));
		goto out;
	}
	if (s->size != sizeof(*s) || s->version != HAX_VCPU_STATE_VERSION) {
		fail("GET_STATE header %u/%u", s->size, s->version);
		goto out;
	}
	if (clone_vm(a, &b, s) || vm_out_trace(a, &ta) || vm_out_trace(&b, &tb) ||
	    out_trace_equal(&ta, &tb))
		goto out;
	if (ta.n < 1) {
		fail("the guest made no OUT after the snapshot");
		goto out;
	}
	if (hax_get_state(a->vcpu_fd, fa) || hax_get_state(b.vcpu_fd, fb)) {
		fail("GET_STATE after: %s", strerror(errno));
		goto out;
	}
	r = same_state(fa, fb) || same_ram(a, &b, skip, len);
	/* [skip, +16): a TSC before and after the snapshot point, in both */
	if (!r && len == 16 && !(((uint64_t *)(b.ram + skip))[1] > ((uint64_t *)(b.ram + skip))[0]))
		r = fail("the restored guest's TSC went back");
out:
	vm_teardown(&b);
	free(s);
	free(fa);
	free(fb);
	return r;
}

/* ---- real mode: GPRs, XMM, memory ----------------------------------------- */

#define LOOP16(n)                                                                   \
	"mov $" #n ", %cx\n"                                                        \
	"1: add %ecx, %eax\n imul $3, %ebx, %ebx\n xor %eax, %ebx\n rol $5, %edx\n" \
	"add %ebx, %edx\n paddd %xmm0, %xmm1\n pxor %xmm1, %xmm2\n"                 \
	"mov %eax, (%si)\n add $4, %si\n loop 1b\n"

GUEST_CODE(g_state_real,
	   ".code16\n"
	   "mov %cr4, %eax\n or $0x600, %eax\n mov %eax, %cr4\n"
	   "mov $1, %eax\n mov $2, %ebx\n mov $3, %edx\n mov $0x4000, %si\n"
	   "movd %eax, %xmm0\n pshufd $0, %xmm0, %xmm0\n"
	   "pcmpeqd %xmm1, %xmm1\n pxor %xmm2, %xmm2\n" LOOP16(100) "out %al, $0xe0\n" LOOP16(
		   150) "movdqu %xmm1, 0x5000\n movdqu %xmm2, 0x5010\n"
			"out %al, $0xe1\n mov %edx, %eax\n out %eax, $0xe2\n hlt\n");

VM_TEST(state_real_mode_resumes_in_new_vm, 1 << 20)
{
	if (has_cap() || vm_load_real(c, 0x1000, g_state_real_start, g_state_real_end))
		return 1;
	return snap_compare(c, 0, 0);
}

/* ---- protected mode, PAE paging; the PDPTEs in use, not those in memory ---- */

#define LOOP32(n)                                                                             \
	"mov $" #n ", %ecx\n"                                                                 \
	"1: add %edx, %eax\n imul %eax, %ebx\n rol $3, %edx\n xor %ebx, %edx\n"               \
	"mov %eax, (%edi)\n add $4, %edi\n paddq %xmm0, %xmm1\n pshufd $0x39, %xmm1, %xmm1\n" \
	"loop 1b\n"

GUEST_CODE(g_state_pae,
	   ".code32\n"
	   /* PDPTE 0 now names the other PD, in memory only: MOV CR3 not done */
	   "movl $0x5001, 0x3000\n"
	   "mov $7, %eax\n mov $11, %ebx\n mov $13, %edx\n mov $0x100000, %edi\n"
	   "movd %eax, %xmm0\n pxor %xmm1, %xmm1\n" LOOP32(100) "out %al, $0xe0\n" LOOP32(150)
	   /* VA 2 MiB is PA 2 MiB through the PDPTE in use, PA 0 through memory's */
	   "movl $0x5a5a5a5a, 0x200010\n"
	   "movdqu %xmm1, 0x100f00\n out %al, $0xe1\n hlt\n");

static int load_pae(struct vm_ctx *c)
{
	uint64_t *pdpt = (uint64_t *)(c->ram + 0x3000), *pd = (uint64_t *)(c->ram + 0x4000);
	uint64_t *pd2 = (uint64_t *)(c->ram + 0x5000);
	vcpu_state_t s;
	int i;

	memcpy(c->ram + 0x1000, g_state_pae_start, g_state_pae_end - g_state_pae_start);
	pdpt[0] = 0x4001;
	for (i = 0; i < 512; i++) {
		pd[i] = ((uint64_t)i << 21) | 0x83;
		pd2[i] = i == 1 ? 0x83 : pd[i]; /* the alias: VA 2 MiB at PA 0 */
	}
	CHECK_OK(hax_get_regs(c->vcpu_fd, &s));
	s._cr0 = 0x80000031; /* PG NE ET PE */
	s._cr3 = 0x3000;
	s._cr4 = 0x620; /* PAE OSFXSR OSXMMEXCPT */
	s._cs = (segment_desc_t){ .selector = 8, .limit = 0xffffffff, .ar = 0xc09b };
	s._ds = (segment_desc_t){ .selector = 16, .limit = 0xffffffff, .ar = 0xc093 };
	s._es = s._ss = s._fs = s._gs = s._ds;
	s._rip = 0x1000;
	s._regs[HAX_REG_RSP] = 0x8000;
	CHECK_OK(hax_set_regs(c->vcpu_fd, &s));
	return 0;
}

VM_TEST(state_pae_resumes_in_new_vm, 4 << 20)
{
	if (load_pae(c) || snap_compare(c, 0, 0))
		return 1;
	CHECK_EQ(*(uint32_t *)(c->ram + 0x200010), 0x5a5a5a5a);
	CHECK_EQ(*(uint32_t *)(c->ram + 0x10), 0);
	return 0;
}

/* ---- long mode: r8-r15, YMM, MSRs the guest set, the TSC ------------------- */

#define WRMSR(msr, hi, lo) "mov $" #msr ", %ecx\n mov $" #hi ", %edx\n mov $" #lo ", %eax\n wrmsr\n"
#define RDMSR(msr, off) \
	"mov $" #msr ", %ecx\n rdmsr\n mov %eax, " #off "(%rbx)\n mov %edx, " #off "+4(%rbx)\n"
#define LOOP64(n)                                                                               \
	"mov $" #n ", %ecx\n"                                                                   \
	"1: add %r9, %r8\n xor %r8, %r10\n rol $7, %r11\n add %r10, %r11\n imul %r11, %r12\n"   \
	"vpaddd %ymm0, %ymm1, %ymm1\n vpxor %ymm1, %ymm2, %ymm2\n vpermq $0x39, %ymm2, %ymm2\n" \
	"loop 1b\n"

GUEST_CODE(g_state_long,
	   ".code64\n"
	   "xor %ecx, %ecx\n xor %edx, %edx\n mov $7, %eax\n xsetbv\n" WRMSR(
		   0xc0000081, 0x00230010, 0) WRMSR(0xc0000082, 0xffffffff,
						    0x81000000) WRMSR(0xc0000084, 0,
								      0x4700) WRMSR(0xc0000102, 0,
										    0x12345000)
		   WRMSR(0x277, 0x00070106, 0x00070106) WRMSR(0x174, 0, 0x10) WRMSR(
			   0x2ff, 0,
			   0xc06) "mov $0x7f00, %rbx\n rdtsc\n mov %eax, (%rbx)\n mov %edx, "
				  "4(%rbx)\n"
				  "mov $1, %r8\n mov $3, %r9\n mov $5, %r10\n mov $7, %r11\n mov "
				  "$9, %r12\n"
				  "mov $0x100, %eax\n vmovd %eax, %xmm0\n vpbroadcastd %xmm0, "
				  "%ymm0\n"
				  "vpcmpeqd %ymm1, %ymm1, %ymm1\n vpxor %ymm2, %ymm2, "
				  "%ymm2\n" LOOP64(100) "out %al, $0xe0\n" LOOP64(
					  150) "mov $0x9000, %rbx\n vmovdqu %ymm1, (%rbx)\n "
					       "vmovdqu %ymm2, 32(%rbx)\n" RDMSR(0xc0000081, 64)
						       RDMSR(0xc0000082,
							     72) RDMSR(0xc0000084,
								       80) RDMSR(0xc0000102,
										 88) RDMSR(0x277,
											   96)
							       RDMSR(0x174, 104) RDMSR(
								       0x2ff,
								       112) "mov $0x7f00, %rbx\n "
									    "rdtsc\n mov %eax, "
									    "8(%rbx)\n mov %edx, "
									    "12(%rbx)\n"
									    "mov %r12, %rax\n out "
									    "%eax, $0xe1\n hlt\n");

VM_TEST(state_long_mode_resumes_in_new_vm, 4 << 20)
{
	struct long_mode m = { .tables = 0x10000, .cr4_set = (1u << 9) | (1u << 10) | (1u << 18) };
	const uint64_t *msr = (const uint64_t *)(c->ram + 0x9040), *tsc;

	if (vm_load_long(c, &m, 0x1000, g_state_long_start, g_state_long_end) ||
	    snap_compare(c, 0x7f00, 16))
		return 1;
	/* what the guest read back after the snapshot, in the original */
	CHECK_EQ(msr[0], 0x0023001000000000ULL);
	CHECK_EQ(msr[1], 0xffffffff81000000ULL);
	CHECK_EQ(msr[2], 0x4700);
	CHECK_EQ(msr[3], 0x12345000);
	CHECK_EQ(msr[4], 0x0007010600070106ULL);
	CHECK_EQ(msr[5], 0x10);
	CHECK_EQ(msr[6], 0xc06);
	tsc = (const uint64_t *)(c->ram + 0x7f00);
	CHECK(tsc[1] > tsc[0]);
	return 0;
}

/* ---- the STI shadow, an interrupt caught in delivery, HLT ------------------ */

/* Real mode: vector 0x30's IVT entry to label 9 of guest code loaded at 0x1000. */
#define IVT30(name) "movw $9f - " #name "_start + 0x1000, 0xc0\n movw $0, 0xc2\n"

GUEST_CODE(g_state_sti,
	   ".code16\n" IVT30(g_state_sti) "xor %bx, %bx\n mov $5, %ax\n"
					  "sti\n mov %ax, 0x9000\n" /* a write-protected page: exits
								       in the shadow */
					  "hlt\n"
					  "9: mov 0x9000, %bx\n iret\n");

/* RUN with vector 0x30 queued: it must come after the shadowed store (BX 5). */
static int finish_sti(struct vm_ctx *c)
{
	vcpu_state_t r;

	CHECK_OK(hax_interrupt(c->vcpu_fd, 0x30));
	if (expect_exit(c, HAX_EXIT_HLT))
		return 1;
	CHECK_OK(hax_get_regs(c->vcpu_fd, &r));
	CHECK_EQ(r._regs[HAX_REG_RBX] & 0xffff, 5);
	return 0;
}

VM_TEST(state_sti_shadow_carries_over, 1 << 20)
{
	fstate_t s;
	struct vm_ctx b;
	int r;

	if (vm_load_real(c, 0x1000, g_state_sti_start, g_state_sti_end))
		return 1;
	CHECK_OK(hax_protect_ram(c->vm_fd, 0x9000, PG, HAX_RAM_PERM_R | HAX_RAM_PERM_X));
	if (expect_exit(c, HAX_EXIT_PAGEFAULT))
		return 1;
	CHECK_EQ(c->tunnel->pagefault.gpa, 0x9000);
	CHECK_OK(hax_get_state(c->vcpu_fd, &s));
	CHECK_EQ(s.regs._interruptibility_state, HAX_INTR_BLOCK_STI);
	r = clone_vm(c, &b, &s) || finish_sti(&b);
	vm_teardown(&b);
	if (r)
		return 1;
	CHECK_OK(hax_protect_ram(c->vm_fd, 0x9000, PG, HAX_RAM_PERM_RWX));
	return finish_sti(c);
}

GUEST_CODE(g_state_event,
	   ".code16\n" IVT30(g_state_event) "mov $0x7000, %sp\n sti\n"
					    "out %al, $0xe0\n 1: jmp 1b\n"
					    "9: mov $0x77, %bx\n out %al, $0xe1\n hlt\n");

VM_TEST(state_event_in_delivery_carries_over, 1 << 20)
{
	fstate_t s, fa, fb;
	struct out_trace ta = { 0 };
	struct vm_ctx b;
	int r, i;

	if (vm_load_real(c, 0x1000, g_state_event_start, g_state_event_end) ||
	    expect_out(c, SNAP_PORT, 1, 0))
		return 1;
	/* the interrupt's push faults: the CPU hands the event back, haxm queues it again */
	CHECK_OK(hax_protect_ram(c->vm_fd, 0x6000, PG, HAX_RAM_PERM_R | HAX_RAM_PERM_X));
	CHECK_OK(hax_interrupt(c->vcpu_fd, 0x30));
	if (expect_exit(c, HAX_EXIT_PAGEFAULT))
		return 1;
	CHECK_EQ(c->tunnel->pagefault.gpa, 0x6000);
	CHECK_OK(hax_get_state(c->vcpu_fd, &s));
	CHECK_EQ(s.event_info, 0x80000030); /* valid, external interrupt, vector 0x30 */
	for (i = 0; i < 8; i++)
		CHECK_EQ(s.intr_pending[i], 0);
	CHECK_OK(hax_protect_ram(c->vm_fd, 0x6000, PG, HAX_RAM_PERM_RWX));
	/* without the event the new VM would spin: cut it after 3 s */
	r = clone_vm(c, &b, &s) || vm_run_cut(&b, 3000);
	if (!r && (b.tunnel->_exit_status != HAX_EXIT_IO || b.tunnel->io._port != 0xe1))
		r = fail("the new VM did not run the handler: exit status %u",
			 b.tunnel->_exit_status);
	r = r || expect_exit(&b, HAX_EXIT_HLT) || vm_out_trace(c, &ta);
	if (!r && ta.n != 1)
		r = fail("the handler ran %d times in the old VM", ta.n);
	if (!r && (hax_get_state(c->vcpu_fd, &fa) || hax_get_state(b.vcpu_fd, &fb)))
		r = fail("GET_STATE: %s", strerror(errno));
	if (!r)
		r = same_state(&fa, &fb);
	vm_teardown(&b);
	if (r)
		return 1;
	CHECK_EQ(fa.regs._regs[HAX_REG_RBX] & 0xffff, 0x77);
	return 0;
}

GUEST_CODE(g_state_hlt,
	   ".code16\n" IVT30(g_state_hlt) "sti\n out %al, $0xe0\n"
					  "mov $0x42, %al\n out %al, $0xe2\n hlt\n"
					  "9: mov $0x99, %al\n out %al, $0xe1\n iret\n");

VM_TEST(state_hlt_activity_carries_over, 1 << 20)
{
	fstate_t s, h;
	struct vm_ctx b;
	vcpu_state_t r;
	int bad;

	if (vm_load_real(c, 0x1000, g_state_hlt_start, g_state_hlt_end) ||
	    expect_out(c, SNAP_PORT, 1, 0))
		return 1;
	CHECK_OK(hax_get_state(c->vcpu_fd, &s));
	s.regs._activity_state = HAX_ACTIVITY_HLT; /* as if halted right there */
	bad = clone_vm(c, &b, &s) || expect_exit(&b, HAX_EXIT_HLT);
	if (!bad && (hax_get_regs(b.vcpu_fd, &r) || hax_get_state(b.vcpu_fd, &h)))
		bad = fail("GET: %s", strerror(errno));
	if (!bad && (r._rip != s.regs._rip || h.regs._activity_state != HAX_ACTIVITY_HLT))
		bad = fail("halted vCPU ran: rip 0x%llx (0x%llx), activity %u",
			   (unsigned long long)r._rip, (unsigned long long)s.regs._rip,
			   h.regs._activity_state);
	/* an interrupt wakes it: the handler, then the code after the halt point */
	if (!bad && hax_interrupt(b.vcpu_fd, 0x30))
		bad = fail("INTERRUPT: %s", strerror(errno));
	if (!bad)
		bad = expect_out(&b, 0xe1, 1, 0x99) || expect_out(&b, 0xe2, 1, 0x42);
	vm_teardown(&b);
	return bad;
}

/* ---- refusals ---------------------------------------------------------------- */

/* One field changed from a valid long-mode state; SET_STATE must refuse it. */
struct bad_case {
	const char *what;
	void (*edit)(fstate_t *s);
};

#define BAD_CASE(name, body)                \
	static void bad_##name(fstate_t *s) \
	{                                   \
		body;                       \
	}
BAD_CASE(size, s->size -= 8)
BAD_CASE(version, s->version = 2)
BAD_CASE(flags, s->flags = 1)
BAD_CASE(reserved, s->reserved2 = 1)
BAD_CASE(cr0_reserved, s->regs._cr0 |= 1u << 6)
BAD_CASE(cr0_high, s->regs._cr0 |= 1ULL << 32)
BAD_CASE(cr0_nw_without_cd, s->regs._cr0 = (s->regs._cr0 & ~(1ULL << 30)) | (1ULL << 29))
BAD_CASE(cr4_vmxe, s->regs._cr4 |= 1u << 13)
BAD_CASE(cr4_reserved, s->regs._cr4 |= 1ULL << 31)
BAD_CASE(cr3_above_maxphyaddr, s->regs._cr3 |= 1ULL << 62)
BAD_CASE(cr8, s->cr8 = 16)
BAD_CASE(efer_reserved, s->regs._efer |= 1u << 2)
BAD_CASE(efer_lma_without_lme, s->regs._efer &= ~(1u << 8))
BAD_CASE(paging_off_in_long_mode, s->regs._cr0 &= ~(1ULL << 31))
BAD_CASE(rflags_reserved, s->regs._rflags |= 1u << 3)
BAD_CASE(rflags_vm_in_long_mode, s->regs._rflags |= 1u << 17)
BAD_CASE(rip_noncanonical, s->regs._rip = 0x0000800000000000ULL)
BAD_CASE(fs_base_noncanonical, s->regs._fs.base = 0x8000000000000000ULL >> 1)
BAD_CASE(tr_base_noncanonical, s->regs._tr.base = 0x0000800000001000ULL)
BAD_CASE(gdt_base_noncanonical, s->regs._gdt.base = 0x1234567812345678ULL)
BAD_CASE(gdt_limit, s->regs._gdt.limit = 0x10000)
BAD_CASE(cs_ar_reserved, s->regs._cs.ar |= 1u << 8)
BAD_CASE(cs_data_type, s->regs._cs.ar = (s->regs._cs.ar & ~0xfu) | 3)
BAD_CASE(cs_l_and_db, s->regs._cs.ar |= 1u << 14)
BAD_CASE(ds_not_present, s->regs._ds.ar &= ~0x80u)
BAD_CASE(ss_limit_granularity, s->regs._ss.limit = 0x100000; s->regs._ss.ar &= ~(1u << 15))
BAD_CASE(tr_unusable, s->regs._tr.ar |= 1u << 16)
BAD_CASE(tr_16bit_in_long_mode, s->regs._tr.ar = (s->regs._tr.ar & ~0xfu) | 3)
BAD_CASE(ldt_ti, s->regs._ldt.ar = 0x82; s->regs._ldt.selector = 4)
BAD_CASE(dr7_high, s->regs._dr7 |= 1ULL << 32)
BAD_CASE(dr0_noncanonical, s->regs._dr0 = 0x0000800000000000ULL)
BAD_CASE(sysenter_eip_noncanonical, s->regs._sysenter_eip = 0x0000900000000000ULL)
BAD_CASE(sti_without_if, s->regs._rflags &= ~(1u << 9);
	 s->regs._interruptibility_state = HAX_INTR_BLOCK_STI)
BAD_CASE(sti_and_movss, s->regs._interruptibility_state = HAX_INTR_BLOCK_STI | HAX_INTR_BLOCK_MOVSS)
BAD_CASE(smi_blocking, s->regs._interruptibility_state = HAX_INTR_BLOCK_SMI)
BAD_CASE(activity, s->regs._activity_state = 2)
BAD_CASE(hlt_in_shadow, s->regs._activity_state = HAX_ACTIVITY_HLT;
	 s->regs._interruptibility_state = HAX_INTR_BLOCK_MOVSS)
BAD_CASE(event_nmi_vector, s->event_info = 0x80000203)
BAD_CASE(event_gp_without_code, s->event_info = 0x8000030d)
BAD_CASE(event_ud_with_code, s->event_info = 0x80000b06)
BAD_CASE(event_reserved, s->event_info = 0x80010030)
BAD_CASE(event_soft_int_no_length, s->event_info = 0x80000480)
BAD_CASE(event_error_high, s->event_info = 0x80000b0d; s->event_error = 0x10000)
BAD_CASE(event_ext_with_if_clear, s->event_info = 0x80000030; s->regs._rflags &= ~(1u << 9))
BAD_CASE(event_invalid_with_fields, s->event_error = 1)
BAD_CASE(pdpte_outside_pae, s->pdpte[0] = 0x1001)
BAD_CASE(pending_dbg_reserved, s->pending_dbg = 1u << 4)
BAD_CASE(xcr0_no_x87, s->xcr0 = 2)
BAD_CASE(xcr0_avx_without_sse, s->xcr0 = 5)
BAD_CASE(xcr0_unknown, s->xcr0 = 0x7 | (1ULL << 62))
BAD_CASE(xsave_xcomp_bv, s->xsave[527] = 0x80)
BAD_CASE(xsave_unknown_component, s->xsave[519] = 0x40)
BAD_CASE(xsave_header_reserved, s->xsave[540] = 1)
BAD_CASE(mxcsr_reserved, s->xsave[27] = 0x80)
BAD_CASE(pat_type, s->pat = 0x0007040600070402ULL)
BAD_CASE(apic_base_reserved, s->apic_base |= 1)
BAD_CASE(lstar_noncanonical, s->lstar = 0x0000800000000000ULL)
BAD_CASE(misc_enable_ro, s->misc_enable &= ~0x800ULL)
BAD_CASE(mtrr_def_type, s->mtrr_def_type = 2)
BAD_CASE(mtrr_fixed, s->mtrr_fixed[3] = 0x0303030303030303ULL)
BAD_CASE(feature_control, s->feature_control = 8)
BAD_CASE(regs_pad, s->regs.pad = 1)

#define BAD(name)                 \
	{                         \
#name, bad_##name \
	}
static const struct bad_case bad_cases[] = {
	BAD(size),
	BAD(version),
	BAD(flags),
	BAD(reserved),
	BAD(cr0_reserved),
	BAD(cr0_high),
	BAD(cr0_nw_without_cd),
	BAD(cr4_vmxe),
	BAD(cr4_reserved),
	BAD(cr3_above_maxphyaddr),
	BAD(cr8),
	BAD(efer_reserved),
	BAD(efer_lma_without_lme),
	BAD(paging_off_in_long_mode),
	BAD(rflags_reserved),
	BAD(rflags_vm_in_long_mode),
	BAD(rip_noncanonical),
	BAD(fs_base_noncanonical),
	BAD(tr_base_noncanonical),
	BAD(gdt_base_noncanonical),
	BAD(gdt_limit),
	BAD(cs_ar_reserved),
	BAD(cs_data_type),
	BAD(cs_l_and_db),
	BAD(ds_not_present),
	BAD(ss_limit_granularity),
	BAD(tr_unusable),
	BAD(tr_16bit_in_long_mode),
	BAD(ldt_ti),
	BAD(dr7_high),
	BAD(dr0_noncanonical),
	BAD(sysenter_eip_noncanonical),
	BAD(sti_without_if),
	BAD(sti_and_movss),
	BAD(smi_blocking),
	BAD(activity),
	BAD(hlt_in_shadow),
	BAD(event_nmi_vector),
	BAD(event_gp_without_code),
	BAD(event_ud_with_code),
	BAD(event_reserved),
	BAD(event_soft_int_no_length),
	BAD(event_error_high),
	BAD(event_ext_with_if_clear),
	BAD(event_invalid_with_fields),
	BAD(pdpte_outside_pae),
	BAD(pending_dbg_reserved),
	BAD(xcr0_no_x87),
	BAD(xcr0_avx_without_sse),
	BAD(xcr0_unknown),
	BAD(xsave_xcomp_bv),
	BAD(xsave_unknown_component),
	BAD(xsave_header_reserved),
	BAD(mxcsr_reserved),
	BAD(pat_type),
	BAD(apic_base_reserved),
	BAD(lstar_noncanonical),
	BAD(misc_enable_ro),
	BAD(mtrr_def_type),
	BAD(mtrr_fixed),
	BAD(feature_control),
	BAD(regs_pad),
};

GUEST_CODE(g_state_nop, ".code64\n out %al, $0xe0\n hlt\n");

VM_TEST(state_set_refuses_bad_fields, 4 << 20)
{
	struct long_mode m = { .tables = 0x10000, .cr4_set = (1u << 9) | (1u << 18) };
	fstate_t base, s, after;
	size_t i;

	if (vm_load_long(c, &m, 0x1000, g_state_nop_start, g_state_nop_end) ||
	    expect_out(c, SNAP_PORT, 1, 0))
		return 1;
	CHECK_OK(hax_get_state(c->vcpu_fd, &base));
	CHECK_OK(hax_set_state(c->vcpu_fd, &base)); /* what GET gives, SET takes */
	for (i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
		s = base;
		bad_cases[i].edit(&s);
		errno = 0;
		if (hax_set_state(c->vcpu_fd, &s) != -1 || errno != EINVAL)
			return fail("%s: SET_STATE gave errno %d (%s), expected EINVAL",
				    bad_cases[i].what, errno, strerror(errno));
	}
	/* nothing refused changed anything */
	CHECK_OK(hax_get_state(c->vcpu_fd, &after));
	if (same_state(&base, &after))
		return 1;
	/* the vCPU still runs from there */
	return expect_exit(c, HAX_EXIT_HLT);
}

GUEST_CODE(g_state_in, ".code16\n in $0x20, %al\n out %al, $0xe1\n hlt\n");

VM_TEST(state_get_busy_while_in_waits, 1 << 20)
{
	hax_debug_t dbg = { .control = HAX_DEBUG_ENABLE | HAX_DEBUG_STEP };
	fstate_t s;

	if (vm_load_real(c, 0x1000, g_state_in_start, g_state_in_end) ||
	    expect_exit(c, HAX_EXIT_IO))
		return 1;
	CHECK_EQ(c->tunnel->io._direction, HAX_IO_IN);
	CHECK_ERRNO(hax_get_state(c->vcpu_fd, &s), EBUSY);
	/* RUN with PAUSED completes the IN without entering the guest */
	c->iobuf[0] = 0x42;
	c->tunnel->_exit_reason = HAX_EXIT_PAUSED;
	if (expect_exit(c, HAX_EXIT_PAUSED))
		return 1;
	c->tunnel->_exit_reason = 0;
	CHECK_OK(hax_get_state(c->vcpu_fd, &s));
	CHECK_EQ(s.regs._regs[HAX_REG_RAX] & 0xff, 0x42);
	/* a debugger's TF and DR7 are not the guest's: refused while VCPU_DEBUG is on */
	CHECK_OK(hax_set_debug(c->vcpu_fd, &dbg));
	CHECK_ERRNO(hax_get_state(c->vcpu_fd, &s), EBUSY);
	CHECK_ERRNO(hax_set_state(c->vcpu_fd, &s), EBUSY);
	dbg.control = 0;
	CHECK_OK(hax_set_debug(c->vcpu_fd, &dbg));
	CHECK_OK(hax_set_state(c->vcpu_fd, &s));
	return expect_out(c, 0xe1, 1, 0x42);
}

VM_TEST(state_other_process_and_numbers, 1 << 20)
{
	fstate_t s;
	int status = 0;
	pid_t pid;

	CHECK_OK(hax_get_state(c->vcpu_fd, &s));
	/* a vCPU of a VM another process made: EPERM, for GET and SET */
	pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		int g = ioctl(c->vcpu_fd, HAX_VCPU_IOCTL_GET_STATE, &s) == -1 && errno == EPERM;
		int p = ioctl(c->vcpu_fd, HAX_VCPU_IOCTL_SET_STATE, &s) == -1 && errno == EPERM;

		_exit(g && p ? 0 : 1);
	}
	CHECK_EQ(waitpid(pid, &status, 0), pid);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	/* a number next to them that is no ioctl; an unreadable argument */
	CHECK_ERRNO(ioctl(c->vcpu_fd, _IOW(0, 0xe2, fstate_t), &s), ENOTTY);
	CHECK_ERRNO(ioctl(c->vcpu_fd, HAX_VCPU_IOCTL_SET_STATE, (void *)8), EFAULT);
	CHECK_ERRNO(ioctl(c->vcpu_fd, HAX_VCPU_IOCTL_GET_STATE, (void *)8), EFAULT);
	return 0;
}
