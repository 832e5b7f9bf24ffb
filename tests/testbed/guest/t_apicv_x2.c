// SPDX-License-Identifier: GPL-2.0
/*
 * APIC virtualization in x2APIC mode (core/vmx/apicv.c, SDM Vol. 3C 29.5
 * "Virtualizing MSR-Based APIC Accesses"): RDMSR of the registers the
 * virtual-APIC page holds without an exit, the current count, PPR and the
 * write-only and reserved MSRs still emulated (#GP where the SDM says so),
 * with virtual-interrupt delivery SELF IPI and EOI without an exit, a
 * level-triggered IO-APIC vector's EOI still reaching the IO-APIC, and the
 * way back through the disabled state to the virtualized xAPIC page.
 *
 * Each guest runs under haxm, its OUTs checked and the exit counts of the
 * path this boot takes (apicv_mode(): with "vapic_reg" the MSRs are
 * virtualized, as every CPU with APIC-register virtualization also has
 * "virtualize x2APIC mode"), then under kvm_intel, whose OUTs must be the
 * same. The guests run in unreal mode (a 4 GiB FS), as t_lapic.c's.
 */
#include <unistd.h>

#include "harness.h"

/* The guest's OUTs must be @n of @want, {port, value}. */
static int trace_is(const struct out_trace *tr, const uint32_t (*want)[2], int n)
{
	int i;

	if (tr->n != n)
		return fail("%d OUTs, expected %d", tr->n, n);
	for (i = 0; i < n; i++)
		if (tr->port[i] != want[i][0] || tr->val[i] != want[i][1])
			return fail("OUT %d: port 0x%x value 0x%x, expected 0x%x 0x%x", i,
				    tr->port[i], tr->val[i], want[i][0], want[i][1]);
	return 0;
}

/* The exit counts a guest run leaves (exit_count()). */
struct x2_exits {
	long long rdmsr, wrmsr, apic_write, eoi, window, ept, access;
};

/*
 * Run @s..@e at 0x1000 under haxm, the handler [@hs, @he) for vector @vec
 * at 0x3000, to its OUT to port 0x81: its OUTs in @th, which must be @n of
 * @want; its exit counts in @x. The VM is gone after it (kvm_intel cannot
 * run beside it).
 */
static int x2_run(const uint8_t *s, const uint8_t *e, int vec, const uint8_t *hs, const uint8_t *he,
		  const uint32_t (*want)[2], int n, struct out_trace *th, struct x2_exits *x)
{
	struct vm_ctx c;
	int r = lapic_setup(&c, 1 << 20);

	if (!r) {
		lapic_ivt_set(c.ram, vec, 0x3000, hs, he);
		r = load_unreal(c.vcpu_fd, c.ram, 0x1000, s, e, 0x8000) || haxm_trace_81(&c, th) ||
		    trace_is(th, want, n);
	}
	if (!r)
		*x = (struct x2_exits){
			.rdmsr = exit_count(&c, "RDMSR"),
			.wrmsr = exit_count(&c, "WRMSR"),
			.apic_write = exit_count(&c, "APIC_WRITE"),
			.eoi = exit_count(&c, "EOI_INDUCED"),
			.window = exit_count(&c, "INTERRUPT_WINDOW"),
			.ept = exit_count(&c, "EPT_VIOLATION"),
			.access = exit_count(&c, "APIC_ACCESS"),
		};
	vm_teardown(&c);
	return r;
}

#define NOUTS(a) ((int)(sizeof(a) / sizeof((a)[0])))

/* x2APIC mode on (EN|EXTD), then SVR 0x1ff. */
#define X2_ON                                                  \
	" mov $0x1b, %ecx\n rdmsr\n or $0xc00, %eax\n wrmsr\n" \
	" mov $0x80f, %ecx\n mov $0x1ff, %eax\n xor %edx, %edx\n wrmsr\n"

/* RDMSR @msr: EAX added to ESI, EDX or'ed into EDI. */
#define X2_SUM(msr) " mov $" #msr ", %ecx\n rdmsr\n add %eax, %esi\n or %edx, %edi\n"

/* #GP: report 0x0d and skip the 2-byte RDMSR/WRMSR. */
GUEST_CODE(g_x2_gp, ".code16\n push %bp\n mov %sp, %bp\n addw $2, 2(%bp)\n"
		    " push %ax\n mov $0x0d, %al\n out %al, $0x80\n pop %ax\n pop %bp\n iret\n");

#define READ_LOOPS 100

/* READ_LOOPS times: the sum of seven registers the page keeps, their EDX or'ed. */
#define X2_READ_LOOP                                                                             \
	" xor %esi, %esi\n xor %edi, %edi\n mov $100, %ebp\n"                                    \
	"1:" X2_SUM(0x802) X2_SUM(0x803) X2_SUM(0x80d) X2_SUM(0x80f) X2_SUM(0x835) X2_SUM(0x812) \
		X2_SUM(0x822) " dec %ebp\n jnz 1b\n"

/* Its sum: ID 0, version, LDR 1 (cluster 0, bit 0), SVR, LINT0, ISR and IRR 0. */
#define X2_READ_SUM (READ_LOOPS * (0x50014u + 1 + 0x1ff + 0x10045))

/*
 * LINT0 masked with vector 0x45, ICR to APIC 5 (none: no interrupt), then
 * READ_LOOPS times ID, version, LDR, SVR, LINT0, ISR and IRR of vectors
 * 0x40-0x5f: their sum, their EDX or'ed; the 64-bit ICR; the initial count
 * read back and whether two current counts go down; RDMSR of EOI, SELF IPI
 * and 831h, WRMSR of ID and LDR (#GP each); PPR.
 */
GUEST_CODE(g_x2_reads, ".code16\n" X2_ON " mov $0x835, %ecx\n mov $0x10045, %eax\n wrmsr\n"
		       " mov $0x830, %ecx\n mov $0x40, %eax\n mov $5, %edx\n wrmsr\n" X2_READ_LOOP
		       " mov %esi, %eax\n out %eax, $0x84\n mov %edi, %eax\n out %eax, $0x84\n"
		       " mov $0x830, %ecx\n rdmsr\n out %eax, $0x84\n mov %edx, %eax\n"
		       " out %eax, $0x84\n"
		       " mov $0x832, %ecx\n mov $0x10040, %eax\n xor %edx, %edx\n wrmsr\n"
		       " mov $0x83e, %ecx\n mov $0xb, %eax\n wrmsr\n"
		       " mov $0x838, %ecx\n mov $0x7fffffff, %eax\n wrmsr\n rdmsr\n"
		       " out %eax, $0x84\n"
		       " mov $0x839, %ecx\n rdmsr\n mov %eax, %esi\n rdmsr\n xor %ebx, %ebx\n"
		       " cmp %esi, %eax\n jae 2f\n test %eax, %eax\n jz 2f\n mov $1, %ebx\n"
		       "2: mov %ebx, %eax\n out %eax, $0x84\n"
		       " mov $0x80b, %ecx\n rdmsr\n mov $0x83f, %ecx\n rdmsr\n"
		       " mov $0x831, %ecx\n rdmsr\n"
		       " xor %eax, %eax\n xor %edx, %edx\n mov $0x802, %ecx\n wrmsr\n"
		       " mov $0x80d, %ecx\n wrmsr\n"
		       " mov $0x80a, %ecx\n rdmsr\n out %eax, $0x84\n"
		       " out %al, $0x81\n 1: jmp 1b\n");

static const uint32_t x2_reads_out[][2] = {
	{ 0x84, X2_READ_SUM }, /* the loop's sum */
	{ 0x84, 0 },	       /* bits 63:32 of them all */
	{ 0x84, 0x40 },	       /* ICR 31:0 */
	{ 0x84, 5 },	       /* ICR 63:32: the x2APIC destination */
	{ 0x84, 0x7fffffff },  /* the initial count */
	{ 0x84, 1 },	       /* the current count counts down */
	{ 0x80, 0x0d },	       /* RDMSR EOI */
	{ 0x80, 0x0d },	       /* RDMSR SELF IPI */
	{ 0x80, 0x0d },	       /* RDMSR 831h */
	{ 0x80, 0x0d },	       /* WRMSR ID */
	{ 0x80, 0x0d },	       /* WRMSR LDR */
	{ 0x84, 0 },	       /* PPR */
	{ 0x81, 0 },
};

/* The RDMSRs that exit on any boot: IA32_APIC_BASE, two current counts, EOI, SELF IPI, 831h, PPR */
#define X2_READS_RDMSR 7

TEST(apicv_x2_reads)
{
	struct out_trace th = { 0 };
	int on = apicv_mode();
	struct x2_exits x;

	if (on < 0 || x2_run(g_x2_reads_start, g_x2_reads_end, 13, g_x2_gp_start, g_x2_gp_end,
			     x2_reads_out, NOUTS(x2_reads_out), &th, &x))
		return 1;
	printf("apicv_x2_reads: apicv %d: %lld RDMSR exits\n", on, x.rdmsr);
	if (on)
		CHECK_EQ(x.rdmsr, X2_READS_RDMSR);
	else /* each of the loop's, the ICR and the initial count too */
		CHECK_EQ(x.rdmsr, X2_READS_RDMSR + 7 * READ_LOOPS + 2);
	return lapic_kvm_same(&th, g_x2_reads_start, g_x2_reads_end, 13, g_x2_gp_start, g_x2_gp_end,
			      0, NULL, NULL);
}

#define SELF_IPIS 50

/*
 * SELF_IPIS SELF IPIs of vector 0x40, each taken at the NOP after it; the
 * handler counts at 0x600 and writes EOI (80Bh). Then the count, ISR and
 * IRR of 0x40-0x5f.
 */
GUEST_CODE(g_x2_self, ".code16\n" X2_ON " sti\n mov $50, %ebp\n"
		      "1: mov $0x83f, %ecx\n mov $0x40, %eax\n wrmsr\n nop\n dec %ebp\n jnz 1b\n"
		      " mov 0x600, %eax\n out %eax, $0x84\n"
		      " mov $0x812, %ecx\n rdmsr\n out %eax, $0x84\n"
		      " mov $0x822, %ecx\n rdmsr\n out %eax, $0x84\n"
		      " out %al, $0x81\n 1: jmp 1b\n");
GUEST_CODE(g_x2_h40, ".code16\n push %eax\n push %ecx\n push %edx\n addl $1, 0x600\n"
		     " mov $0x80b, %ecx\n xor %eax, %eax\n xor %edx, %edx\n wrmsr\n"
		     " pop %edx\n pop %ecx\n pop %eax\n iret\n");

static const uint32_t x2_self_out[][2] = {
	{ 0x84, SELF_IPIS },
	{ 0x84, 0 },
	{ 0x84, 0 },
	{ 0x81, 0 },
};

TEST(apicv_x2_self_ipi_eoi)
{
	struct out_trace th = { 0 };
	int m = apicv_mode();
	struct x2_exits x;

	if (m < 0 || x2_run(g_x2_self_start, g_x2_self_end, 0x40, g_x2_h40_start, g_x2_h40_end,
			    x2_self_out, NOUTS(x2_self_out), &th, &x))
		return 1;
	printf("apicv_x2_self_ipi_eoi: apicv %d: %lld WRMSR, %lld APIC writes, %lld EOI-induced, "
	       "%lld interrupt windows\n",
	       m, x.wrmsr, x.apic_write, x.eoi, x.window);
	/* IA32_APIC_BASE and SVR; without virtual-interrupt delivery each SELF IPI and EOI */
	CHECK_EQ(x.wrmsr, m == 2 ? 2 : 2 + 2 * SELF_IPIS);
	CHECK_EQ(x.apic_write + x.eoi, 0);
	if (m == 2)
		CHECK_EQ(x.window, 0);
	return lapic_kvm_same(&th, g_x2_self_start, g_x2_self_end, 0x40, g_x2_h40_start,
			      g_x2_h40_end, 0, NULL, NULL);
}

/*
 * A SELF IPI of vector 5: "send illegal vector" in ESR (SDM 11.5.3), no
 * interrupt; with virtual-interrupt delivery an APIC-write exit (SDM
 * 29.5). haxm only: KVM (6.1's lapic.c) sends it as an interrupt.
 */
GUEST_CODE(g_x2_illegal, ".code16\n" X2_ON " sti\n mov $0x83f, %ecx\n mov $5, %eax\n wrmsr\n nop\n"
			 " mov $0x828, %ecx\n xor %eax, %eax\n wrmsr\n rdmsr\n out %eax, $0x84\n"
			 " out %al, $0x81\n 1: jmp 1b\n");

LAPIC_TEST(apicv_x2_self_ipi_illegal)
{
	int m = apicv_mode();
	long long wr, aw;

	if (m < 0)
		return 1;
	if (load_unreal(c->vcpu_fd, c->ram, 0x1000, g_x2_illegal_start, g_x2_illegal_end, 0x8000) ||
	    expect_out(c, 0x84, 4, 0x20) || expect_out(c, 0x81, 1, 0x20))
		return 1;
	wr = exit_count(c, "WRMSR");
	aw = exit_count(c, "APIC_WRITE");
	printf("apicv_x2_self_ipi_illegal: apicv %d: %lld WRMSR, %lld APIC writes\n", m, wr, aw);
	/* IA32_APIC_BASE, SVR, ESR, and the SELF IPI */
	CHECK_EQ(wr + aw, 4);
	CHECK_EQ(aw, m == 2 ? 1 : 0);
	return 0;
}

/*
 * IO-APIC pin 17 level-triggered, vector 0x61, to APIC 0 (x2APIC
 * destination 0); the handler counts at 0x601, reports and writes EOI
 * (80Bh). The test raises the line at the OUT to 0x82, keeps it high over
 * the first EOI (the IO-APIC sends again) and lowers it at the second
 * handler's report; then the entry's remote IRR must be clear.
 */
GUEST_CODE(g_x2_level, ".code16\n" X2_ON " mov $0xfec00000, %esi\n"
		       " movl $0x33, %fs:(%esi)\n movl $0, %fs:0x10(%esi)\n"
		       " movl $0x32, %fs:(%esi)\n movl $0x8061, %fs:0x10(%esi)\n"
		       " sti\n mov $1, %al\n out %al, $0x82\n"
		       "1: cmpb $2, 0x601\n jb 1b\n"
		       " movl $0x32, %fs:(%esi)\n movl %fs:0x10(%esi), %eax\n out %eax, $0x84\n"
		       " mov 0x601, %al\n out %al, $0x81\n2: jmp 2b\n");
GUEST_CODE(g_x2_h61, ".code16\n push %eax\n push %ecx\n push %edx\n incb 0x601\n"
		     " mov $0x61, %al\n out %al, $0x80\n"
		     " mov $0x80b, %ecx\n xor %eax, %eax\n xor %edx, %edx\n wrmsr\n"
		     " pop %edx\n pop %ecx\n pop %eax\n iret\n");

/* After the OUT {port, value}: line 17 to the level (-1: unchanged). */
static const int x2_level_script[][3] = {
	{ 0x82, 1, 1 },	      { 0x80, 0x61, -1 }, { 0x80, 0x61, 0 },
	{ 0x84, 0x8061, -1 }, { 0x81, 2, -1 },
};

#define X2_LEVEL_STEPS NOUTS(x2_level_script)

static int x2_level_drive(struct twin *d, uint8_t *ram, struct out_trace *tr)
{
	int i;

	memcpy(ram + 0x1000, g_x2_level_start, g_x2_level_end - g_x2_level_start);
	lapic_ivt_set(ram, 0x61, 0x3000, g_x2_h61_start, g_x2_h61_end);
	for (i = 0; i < X2_LEVEL_STEPS; i++) {
		if (twin_out(d, tr))
			return 1;
		if (tr->port[i] != (uint32_t)x2_level_script[i][0] ||
		    tr->val[i] != (uint32_t)x2_level_script[i][1])
			return fail("OUT %d: port 0x%x value 0x%x, expected 0x%x 0x%x", i,
				    tr->port[i], tr->val[i], x2_level_script[i][0],
				    x2_level_script[i][1]);
		if (x2_level_script[i][2] >= 0 && twin_line(d, 17, x2_level_script[i][2]))
			return 1;
	}
	return 0;
}

TEST(apicv_x2_level_eoi)
{
	struct out_trace th = { 0 }, tk = { 0 };
	int m = apicv_mode(), r;
	struct kvm_ctx k;
	struct vm_ctx c;
	struct twin d = { .c = &c };
	long long eoi = 0, wr = 0;

	if (m < 0)
		return 1;
	r = lapic_setup_flags(&c, 1 << 20, HAX_LAPIC_ENABLE_IOAPIC);
	if (!r)
		r = load_unreal(c.vcpu_fd, c.ram, 0x1000, g_x2_level_start, g_x2_level_end,
				0x8000) ||
		    x2_level_drive(&d, c.ram, &th);
	if (!r) {
		eoi = exit_count(&c, "EOI_INDUCED");
		wr = exit_count(&c, "WRMSR");
	}
	vm_teardown(&c);
	if (r)
		return r;
	printf("apicv_x2_level_eoi: apicv %d: %lld EOI-induced, %lld WRMSR\n", m, eoi, wr);
	/* virtual-interrupt delivery: each EOI of the level vector exits for the IO-APIC */
	CHECK_EQ(eoi, m == 2 ? 2 : 0);
	CHECK_EQ(wr, m == 2 ? 2 : 4);
	if (access("/dev/kvm", F_OK))
		return skip("/dev/kvm: %s (kvm_intel not loaded)", strerror(errno));
	d = (struct twin){ .k = &k };
	r = kvm_setup_real_irqchip(&k, 1 << 20, 0x1000);
	if (!r)
		r = x2_level_drive(&d, k.ram, &tk);
	kvm_teardown(&k);
	return r ? r : out_trace_equal(&th, &tk);
}

/*
 * x2APIC mode, ID read; disabled, then xAPIC mode (SDM 11.12.5.1): RDMSR
 * of the ID is a #GP again, and the xAPIC page's registers read
 * READ_LOOPS times (version, SVR) and the xAPIC ID.
 */
GUEST_CODE(g_x2_back, ".code16\n" X2_ON " mov $0x802, %ecx\n rdmsr\n out %eax, $0x84\n"
		      " mov $0x1b, %ecx\n rdmsr\n and $0xfffff3ff, %eax\n wrmsr\n"
		      " or $0x800, %eax\n wrmsr\n"
		      " mov $0x802, %ecx\n rdmsr\n"
		      " mov $0xfee00000, %ebx\n movl $0x1ff, %fs:0xf0(%ebx)\n"
		      " mov $100, %ebp\n xor %edx, %edx\n"
		      "1: mov %fs:0x30(%ebx), %eax\n add %eax, %edx\n"
		      " mov %fs:0xf0(%ebx), %eax\n add %eax, %edx\n dec %ebp\n jnz 1b\n"
		      " mov %edx, %eax\n out %eax, $0x84\n"
		      " mov %fs:0x20(%ebx), %eax\n out %eax, $0x84\n"
		      " out %al, $0x81\n 1: jmp 1b\n");

/* version and SVR, READ_LOOPS times */
#define X2_BACK_SUM (READ_LOOPS * (0x50014u + 0x1ff))

static const uint32_t x2_back_out[][2] = {
	{ 0x84, 0 }, { 0x80, 0x0d }, { 0x84, X2_BACK_SUM }, { 0x84, 0 }, { 0x81, 0 },
};

TEST(apicv_x2_to_xapic)
{
	struct out_trace th = { 0 };
	int m = apicv_mode();
	struct x2_exits x;

	if (m < 0 || x2_run(g_x2_back_start, g_x2_back_end, 13, g_x2_gp_start, g_x2_gp_end,
			    x2_back_out, NOUTS(x2_back_out), &th, &x))
		return 1;
	printf("apicv_x2_to_xapic: apicv %d: %lld RDMSR, %lld EPT violations, %lld APIC "
	       "accesses\n",
	       m, x.rdmsr, x.ept, x.access);
	if (m) {
		/* IA32_APIC_BASE twice, the ID outside x2APIC mode; the page's mapping */
		CHECK_EQ(x.rdmsr, 3);
		CHECK_EQ(x.access, 0);
		CHECK(x.ept >= 1 && x.ept < 20);
	} else {
		CHECK_EQ(x.rdmsr, 4);
		CHECK(x.ept >= 2 * READ_LOOPS);
	}
	return lapic_kvm_same(&th, g_x2_back_start, g_x2_back_end, 13, g_x2_gp_start, g_x2_gp_end,
			      0, NULL, NULL);
}
