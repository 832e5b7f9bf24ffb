// SPDX-License-Identifier: GPL-2.0
/*
 * The in-kernel LAPIC with 64-bit guests, compared with kvm_intel's
 * in-kernel irqchip on the same guest code:
 * - CR8 and the TPR under the TPR shadow (SDM Vol. 3C 29.1): MOV to and
 *   from CR8 without a VM exit, CR8 and the xAPIC TPR at 0xfee00080
 *   agreeing both ways, and an interrupt whose priority class is not above
 *   the TPR waiting until the guest lowers CR8 (the TPR threshold, SDM
 *   29.1.2);
 * - NMIs (ICR delivery mode NMI, SDM 11.6.1): injected whatever RFLAGS.IF,
 *   and, with "virtual NMIs", blocked from the delivery of one until the
 *   guest's IRET (SDM 6.7.1, 25.3): a second NMI sent from the handler
 *   waits for the IRETQ (NMI-window exiting, SDM 25.2), then arrives. The
 *   NMI IPI between two vCPUs is in t_lapic_mp.c.
 *
 * CR8 exists in 64-bit mode only: the guest enters long mode from real
 * mode by itself (lm_image()), so that one RAM image starts the same way
 * under haxm (load_unreal()) and under KVM (kvm_setup_real_irqchip()). It
 * reports on port 0x80 (an interrupt handler's vector), 0x84 (a value),
 * 0x86/0x87 (markers) and 0x81 (done); 0x82 and 0x83 bracket a loop of CR8
 * accesses, at which the haxm side reads the vCPU's exit counts.
 */
#include <linux/kvm.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "harness.h"

#define LM_GDT	  0x500
#define LM_GDTR	  0x520
#define LM_IDTR	  0x530
#define LM_BODY	  0x1400
#define LM_IDT	  0x2000
#define LM_TABLES 0x10000 /* PML4, PDPT and 4 PDs: 4 GiB by 2 MiB pages */

/* A handler at @gpa for IDT vector @vec, and one OUT a guest is expected to make. */
struct lm_handler {
	int vec;
	uint32_t gpa;
	const uint8_t *s, *e;
};

struct lm_out {
	uint16_t port;
	uint32_t val;
};

/* Real mode to 64-bit mode in one CR0 write (PE, PG; NE so that it exits under haxm). */
GUEST_CODE(g_lm_entry, ".code16\n cli\n lgdtl 0x520\n lidtl 0x530\n"
		       " mov %cr4, %eax\n or $0x20, %eax\n mov %eax, %cr4\n"
		       " mov $0x10000, %eax\n mov %eax, %cr3\n"
		       " mov $0xc0000080, %ecx\n rdmsr\n or $0x100, %eax\n wrmsr\n"
		       " mov %cr0, %eax\n and $0x9fffffff, %eax\n or $0x80000021, %eax\n"
		       " mov %eax, %cr0\n ljmpl $8, $0x1400\n");

/*
 * The entry code at 0x1000, the GDT, an empty IDT at 0x2000, 4 GiB of
 * identity map at 0x10000 and the 64-bit body [@s, @e) at 0x1400 (it loads
 * DS/ES/SS 0x10 and RSP itself).
 */
static int lm_image(uint8_t *ram, const uint8_t *s, const uint8_t *e)
{
	static const uint64_t gdt[3] = { 0, 0x00af9b000000ffffull, 0x00cf93000000ffffull };
	uint64_t *pml4 = (uint64_t *)(ram + LM_TABLES), *pdpt = pml4 + 512;
	uint16_t lim;
	uint32_t base;
	int i, j;

	CHECK(e - s <= LM_IDT - LM_BODY);
	memcpy(ram + LM_GDT, gdt, sizeof(gdt));
	lim = sizeof(gdt) - 1;
	base = LM_GDT;
	memcpy(ram + LM_GDTR, &lim, 2);
	memcpy(ram + LM_GDTR + 2, &base, 4);
	lim = 0xfff;
	base = LM_IDT;
	memcpy(ram + LM_IDTR, &lim, 2);
	memcpy(ram + LM_IDTR + 2, &base, 4);
	memcpy(ram + 0x1000, g_lm_entry_start, g_lm_entry_end - g_lm_entry_start);
	memcpy(ram + LM_BODY, s, e - s);
	memset(pml4, 0, 6 * 4096);
	pml4[0] = (LM_TABLES + 4096) | 3;
	for (i = 0; i < 4; i++) {
		uint64_t *pd = pml4 + 512 * (2 + i);

		pdpt[i] = (LM_TABLES + (2 + i) * 4096) | 3;
		for (j = 0; j < 512; j++)
			pd[j] = ((uint64_t)i << 30 | (uint64_t)j << 21) | 0x83;
	}
	return 0;
}

/* Copy a handler to @gpa and point IDT vector @vec at it. */
static void lm_gate(uint8_t *ram, int vec, uint32_t gpa, const uint8_t *s, const uint8_t *e)
{
	uint8_t *g = ram + LM_IDT + vec * 16;

	memcpy(ram + gpa, s, e - s);
	memset(g, 0, 16);
	/* a 64-bit interrupt gate, DPL 0, selector 8 (SDM Vol. 3A 6.14.1) */
	g[0] = gpa & 0xff;
	g[1] = (gpa >> 8) & 0xff;
	g[2] = 8;
	g[5] = 0x8e;
	g[6] = (gpa >> 16) & 0xff;
	g[7] = gpa >> 24;
}

static int lm_twin_trace(struct twin *d, struct out_trace *tr, long long cr_exits[4])
{
	do {
		if (twin_out(d, tr))
			return 1;
		if (d->c && (tr->port[tr->n - 1] & ~1) == 0x82)
			cr_exits[tr->port[tr->n - 1] & 1] = exit_count(d->c, "CR_ACCESS");
		if (d->c && tr->port[tr->n - 1] == 0x81) {
			cr_exits[2] = exit_count(d->c, "TPR_BELOW_THRESHOLD");
			cr_exits[3] = exit_count(d->c, "NMI_WINDOW");
		}
	} while (tr->port[tr->n - 1] != 0x81);
	return 0;
}

/* haxm's trace @th is @want's @n OUTs: 0, or a failure naming the first that differs */
static int lm_expect(const struct out_trace *th, const struct lm_out *want, int n)
{
	int i;

	for (i = 0; i < n && i < th->n; i++)
		if (th->port[i] != want[i].port || th->val[i] != want[i].val)
			return fail("OUT %d: port 0x%x value 0x%x, expected port 0x%x value 0x%x",
				    i, th->port[i], th->val[i], want[i].port, want[i].val);
	if (th->n != n)
		return fail("haxm made %d OUTs, expected %d", th->n, n);
	return 0;
}

/*
 * Run body [@s, @e) with the @nh handlers @h under haxm's in-kernel LAPIC,
 * its OUTs up to port 0x81 required to be the @nwant of @want (CR_ACCESS
 * exit counts at the OUTs to 0x82 and 0x83 in @cr_exits[0], [1],
 * TPR_BELOW_THRESHOLD's and NMI_WINDOW's at 0x81 in [2], [3]), and under
 * kvm_intel's in-kernel irqchip: 0 when the traces are equal, 1 (a
 * failure), or TEST_SKIPPED without /dev/kvm (haxm's trace checked).
 */
static int lm_compare_kvm(const char *name, const uint8_t *s, const uint8_t *e,
			  const struct lm_handler *h, int nh, const struct lm_out *want, int nwant,
			  long long cr_exits[4])
{
	struct out_trace th = { 0 }, tk = { 0 };
	struct vm_ctx c;
	struct kvm_ctx k;
	struct twin d;
	int i, r;

	r = lapic_setup(&c, 1 << 20);
	if (!r)
		r = lm_image(c.ram, s, e);
	for (i = 0; !r && i < nh; i++)
		lm_gate(c.ram, h[i].vec, h[i].gpa, h[i].s, h[i].e);
	if (!r)
		r = load_unreal(c.vcpu_fd, c.ram, 0x1000, g_lm_entry_start, g_lm_entry_end, 0x8000);
	d = (struct twin){ .c = &c };
	if (!r)
		r = lm_twin_trace(&d, &th, cr_exits);
	vm_teardown(&c);
	/* haxm's own trace first: a skip without /dev/kvm still checked it */
	if (r || lm_expect(&th, want, nwant))
		return 1;
	if (access("/dev/kvm", F_OK))
		return skip("/dev/kvm: %s (kvm_intel not loaded)", strerror(errno));
	r = kvm_setup_real_irqchip(&k, 1 << 20, 0x1000);
	if (!r)
		r = lm_image(k.ram, s, e);
	for (i = 0; !r && i < nh; i++)
		lm_gate(k.ram, h[i].vec, h[i].gpa, h[i].s, h[i].e);
	d = (struct twin){ .k = &k };
	if (!r)
		r = lm_twin_trace(&d, &tk, cr_exits);
	kvm_teardown(&k);
	if (r)
		return r;
	printf("%s vs kvm_intel: %d OUTs each\n", name, th.n);
	return out_trace_equal(&th, &tk);
}

/* ---- the guest ----------------------------------------------------------- */

/* A 64-bit handler: report @vec on port 0x80, EOI, return. */
#define LM_HANDLER(name, vec)                                                              \
	GUEST_CODE(name, ".code64\n push %rax\n push %rbx\n mov $" #vec ", %al\n"          \
			 " out %al, $0x80\n mov $0xfee00000, %ebx\n movl $0, 0xb0(%rbx)\n" \
			 " pop %rbx\n pop %rax\n iretq\n")

LM_HANDLER(g_lm_h45, 0x45);
LM_HANDLER(g_lm_h65, 0x65);

#define CR8_LOOPS 1000 /* the guest's loop count, written out below */

/*
 * CR8 <-> TPR both ways (0x84: 0x50, 7, 2, 0x20, PPR 0x20); CR8_LOOPS
 * write-read rounds between 0x82 and 0x83 (0x83's value 0: every read
 * matched); then CR8 4: self IPI 0x65 (class 6) taken at once, 0x45
 * (class 4) held in IRR (0x84: bit 5 of IRR word 2) through CR8 5 and 4
 * (0x86), taken when CR8 drops to 3 (before 0x87), IRR clear, CR8 3.
 */
GUEST_CODE(g_lm_tpr,
	   ".code64\n mov $0x10, %eax\n mov %eax, %ds\n mov %eax, %es\n mov %eax, %ss\n"
	   " mov $0x8000, %esp\n mov $0xfee00000, %ebx\n movl $0x1ff, 0xf0(%rbx)\n"
	   " mov $5, %eax\n mov %rax, %cr8\n mov 0x80(%rbx), %eax\n out %eax, $0x84\n"
	   " movl $0x7c, 0x80(%rbx)\n mov %cr8, %rax\n out %eax, $0x84\n"
	   " mov $2, %eax\n mov %rax, %cr8\n mov %cr8, %rax\n out %eax, $0x84\n"
	   " mov 0x80(%rbx), %eax\n out %eax, $0x84\n mov 0xa0(%rbx), %eax\n out %eax, $0x84\n"
	   " out %al, $0x82\n mov $1000, %ecx\n xor %esi, %esi\n"
	   "1: mov %ecx, %eax\n and $15, %eax\n mov %rax, %cr8\n mov %cr8, %rdx\n"
	   " cmp %eax, %edx\n je 2f\n inc %esi\n2: loop 1b\n"
	   " mov %esi, %eax\n out %al, $0x83\n"
	   " mov $4, %eax\n mov %rax, %cr8\n sti\n"
	   " movl $0x40065, 0x300(%rbx)\n nop\n mov $0x66, %al\n out %al, $0x86\n"
	   " movl $0x40045, 0x300(%rbx)\n nop\n nop\n mov 0x220(%rbx), %eax\n out %eax, $0x84\n"
	   " mov $5, %eax\n mov %rax, %cr8\n nop\n mov $4, %eax\n mov %rax, %cr8\n nop\n"
	   " out %al, $0x86\n"
	   " mov $3, %eax\n mov %rax, %cr8\n out %al, $0x87\n"
	   " mov 0x220(%rbx), %eax\n out %eax, $0x84\n mov %cr8, %rax\n out %eax, $0x84\n"
	   " cli\n out %al, $0x81\n3: jmp 3b\n");

TEST(lapic_tpr_shadow)
{
	static const struct lm_handler h[] = {
		{ 0x45, 0x3000, g_lm_h45_start, g_lm_h45_end },
		{ 0x65, 0x3100, g_lm_h65_start, g_lm_h65_end },
	};
	static const struct lm_out want[] = { { 0x84, 0x50 }, { 0x84, 7 },    { 0x84, 2 },
					      { 0x84, 0x20 }, { 0x84, 0x20 }, { 0x82, 0x20 },
					      { 0x83, 0 },    { 0x80, 0x65 }, { 0x86, 0x66 },
					      { 0x84, 0x20 }, { 0x86, 4 },    { 0x80, 0x45 },
					      { 0x87, 3 },    { 0x84, 0 },    { 0x84, 3 },
					      { 0x81, 3 } };
	long long cr[4] = { -1, -1, -1, -1 };
	int r;

	r = lm_compare_kvm("lapic_tpr_shadow", g_lm_tpr_start, g_lm_tpr_end, h, 2, want,
			   sizeof(want) / sizeof(want[0]), cr);
	if (r == 1)
		return r;
	printf("lapic_tpr_shadow: CR_ACCESS exits %lld before and %lld after %d CR8 rounds, "
	       "%lld TPR below threshold\n",
	       cr[0], cr[1], CR8_LOOPS, cr[2]);
	CHECK(cr[0] >= 0);
	CHECK_EQ(cr[1], cr[0]);
	/*
	 * The drop of CR8 to 3 let 0x45 through: the threshold (4) made it
	 * exit; with virtual-interrupt delivery the CPU delivers it itself.
	 */
	if (apicv_mode() != 2)
		CHECK(cr[2] >= 1);
	return r;
}

/* ---- NMIs ------------------------------------------------------------------ */

/*
 * The NMI handler: count at 0x600, the count on port 0x80; the first one
 * sends itself a second self NMI, which must not arrive before the IRETQ
 * (0x87 comes first).
 */
GUEST_CODE(g_lm_nmi, ".code64\n push %rax\n push %rbx\n incb 0x600\n mov 0x600, %al\n"
		     " out %al, $0x80\n cmp $1, %al\n jne 1f\n"
		     " mov $0xfee00000, %ebx\n movl $0x400, 0x300(%rbx)\n nop\n nop\n"
		     " mov $0x88, %al\n out %al, $0x87\n"
		     "1: pop %rbx\n pop %rax\n iretq\n");

/*
 * With interrupts off (the entry code's CLI): an NMI to its own APIC ID 0
 * (ICR 0x400: physical destination 0, no shorthand; the self shorthand is
 * for fixed interrupts only, SDM 11.6.1 table "Valid Combinations for the
 * ... Local xAPIC Interrupt Command Register", and KVM ignores it), taken at
 * once; the count after both on 0x86; an NMI sent with the APIC
 * software-disabled (SVR 0xff) still arrives (SDM 11.4.7.2): the count
 * again on 0x86.
 */
GUEST_CODE(g_lm_nmi_self,
	   ".code64\n mov $0x10, %eax\n mov %eax, %ds\n mov %eax, %es\n mov %eax, %ss\n"
	   " mov $0x8000, %esp\n mov $0xfee00000, %ebx\n movl $0x1ff, 0xf0(%rbx)\n"
	   " movl $0x400, 0x300(%rbx)\n nop\n mov 0x600, %al\n out %al, $0x86\n"
	   " movl $0xff, 0xf0(%rbx)\n movl $0x400, 0x300(%rbx)\n nop\n"
	   " mov 0x600, %al\n out %al, $0x86\n out %al, $0x81\n1: jmp 1b\n");

TEST(lapic_nmi_self)
{
	static const struct lm_handler h[] = { { 2, 0x3000, g_lm_nmi_start, g_lm_nmi_end } };
	static const struct lm_out want[] = { { 0x80, 1 }, { 0x87, 0x88 }, { 0x80, 2 }, { 0x86, 2 },
					      { 0x80, 3 }, { 0x86, 3 },	   { 0x81, 3 } };
	long long ex[4] = { -1, -1, -1, -1 };
	int r;

	r = lm_compare_kvm("lapic_nmi_self", g_lm_nmi_self_start, g_lm_nmi_self_end, h, 1, want,
			   sizeof(want) / sizeof(want[0]), ex);
	if (r == 1)
		return r;
	printf("lapic_nmi_self: %lld NMI-window exits\n", ex[3]);
	/* the second NMI waited for the IRETQ behind NMI-window exiting */
	CHECK(ex[3] >= 1);
	return r;
}
