// SPDX-License-Identifier: GPL-2.0
/*
 * MSRs: guest RDMSR/WRMSR round trips and #GP for unknown MSRs and invalid
 * values (real mode, a #GP handler in the IVT), SET/GET_MSRS with done,
 * TSC offsetting, TSC_AUX, and the lazily switched syscall MSRs surviving
 * preemption of the vCPU thread.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <unistd.h>

#include "harness.h"

#define MSR_TSC		    0x10
#define MSR_APIC_BASE	    0x1b
#define MSR_FEATURE_CONTROL 0x3a
#define MSR_MTRRCAP	    0xfe
#define MSR_SYSENTER_CS	    0x174
#define MSR_SYSENTER_ESP    0x175
#define MSR_SYSENTER_EIP    0x176
#define MSR_PAT		    0x277
#define MSR_MTRR_DEF_TYPE   0x2ff
#define MSR_EFER	    0xc0000080
#define MSR_STAR	    0xc0000081
#define MSR_LSTAR	    0xc0000082
#define MSR_CSTAR	    0xc0000083
#define MSR_FMASK	    0xc0000084
#define MSR_FS_BASE	    0xc0000100
#define MSR_GS_BASE	    0xc0000101
#define MSR_KERNEL_GS_BASE  0xc0000102
#define MSR_TSC_AUX	    0xc0000103

/* The IVT's #GP vector (13) points at a handler that steps over the 2-byte
 * RDMSR/WRMSR and reports with OUT 0xd to port 0x82 (no error code in real mode). */

GUEST_CODE(g_msr, ".code16\n"
		  /* LSTAR round trip */
		  "mov $0xc0000082, %ecx\n mov $0x12345678, %eax\n mov $0xffff8000, %edx\n wrmsr\n"
		  "xor %eax, %eax\n xor %edx, %edx\n rdmsr\n out %eax, $0x80\n"
		  "mov %edx, %eax\n out %eax, $0x80\n"
		  /* unknown MSR: #GP */
		  "mov $0x12345, %ecx\n rdmsr\n"
		  /* non-canonical LSTAR: #GP */
		  "mov $0xc0000082, %ecx\n mov $0x00008000, %edx\n wrmsr\n"
		  /* PAT with a reserved type: #GP */
		  "mov $0x277, %ecx\n mov $0x02020202, %eax\n xor %edx, %edx\n wrmsr\n"
		  /* MTRR default type with a reserved bit: #GP; then a valid one */
		  "mov $0x2ff, %ecx\n mov $0x1000, %eax\n wrmsr\n"
		  "mov $0xc06, %eax\n wrmsr\n xor %eax, %eax\n rdmsr\n out %eax, $0x80\n"
		  /* LSTAR kept its value across the exits to user space */
		  "mov $0xc0000082, %ecx\n rdmsr\n out %eax, $0x80\n"
		  /* KERNEL_GS_BASE and GS_BASE: no exit (MSR bitmap) */
		  "mov $0xc0000102, %ecx\n mov $0xabcd0000, %eax\n mov $0xffffffff, %edx\n wrmsr\n"
		  "mov $0xc0000101, %ecx\n mov $0x1000, %eax\n xor %edx, %edx\n wrmsr\n"
		  "hlt\n"
		  "g_msr_gp:\n"
		  "push %bp\n mov %sp, %bp\n addw $2, 2(%bp)\n"
		  "mov $0xd, %al\n out %al, $0x82\n pop %bp\n iret\n");
extern const uint8_t g_msr_gp[];

/* Load @start..@end at 0x1000 with the #GP handler at @gp in the IVT. */
static int load_with_gp(struct vm_ctx *c, const uint8_t *start, const uint8_t *end,
			const uint8_t *gp)
{
	uint16_t ivt[2] = { (uint16_t)(0x1000 + (gp - start)), 0 };

	memcpy(c->ram + 13 * 4, ivt, sizeof(ivt));
	return vm_load_real(c, 0x1000, start, end);
}

static int msrs_get1(struct vm_ctx *c, uint32_t msr, uint64_t *val)
{
	struct hax_msr_data d = { .nr_msr = 1 };

	d.entries[0].entry = msr;
	CHECK_OK(hax_get_msrs(c->vcpu_fd, &d));
	if (d.done != 1)
		return fail("GET_MSRS 0x%x: done %u", msr, d.done);
	*val = d.entries[0].value;
	return 0;
}

VM_TEST(msr_guest_rdmsr_wrmsr, 1 << 20)
{
	uint64_t v;
	vcpu_state_t s;
	int i;

	if (load_with_gp(c, g_msr_start, g_msr_end, g_msr_gp))
		return 1;
	if (expect_out(c, 0x80, 4, 0x12345678) || expect_out(c, 0x80, 4, 0xffff8000))
		return 1;
	for (i = 0; i < 4; i++)
		if (expect_out(c, 0x82, 1, 0xd))
			return 1;
	if (expect_out(c, 0x80, 4, 0xc06) || expect_out(c, 0x80, 4, 0x12345678))
		return 1;
	if (expect_exit(c, HAX_EXIT_HLT))
		return 1;
	if (msrs_get1(c, MSR_LSTAR, &v))
		return 1;
	CHECK_EQ(v, 0xffff800012345678ull);
	if (msrs_get1(c, MSR_KERNEL_GS_BASE, &v))
		return 1;
	CHECK_EQ(v, 0xffffffffabcd0000ull);
	if (msrs_get1(c, MSR_PAT, &v))
		return 1;
	CHECK_EQ(v, 0x0007040600070406ull); /* unchanged by the refused write */
	if (msrs_get1(c, MSR_MTRR_DEF_TYPE, &v))
		return 1;
	CHECK_EQ(v, 0xc06);
	if (msrs_get1(c, MSR_GS_BASE, &v))
		return 1;
	CHECK_EQ(v, 0x1000);
	CHECK_OK(hax_get_regs(c->vcpu_fd, &s));
	CHECK_EQ(s._gs.base, 0x1000);
	return 0;
}

/* The ten MSRs QEMU's HAX client syncs, through SET_MSRS and back. */
VM_TEST(msr_ioctl_qemu_set, 64 << 10)
{
	static const uint64_t want[][2] = {
		{ MSR_SYSENTER_CS, 0x10 },
		{ MSR_SYSENTER_ESP, 0xffff800000001000ull },
		{ MSR_SYSENTER_EIP, 0xffff800000002000ull },
		{ MSR_TSC, 1ull << 40 },
		{ MSR_EFER, 0x1 },
		{ MSR_STAR, 0x0023001000000000ull },
		{ MSR_LSTAR, 0xffffffff81000000ull },
		{ MSR_CSTAR, 0xffffffff81000100ull },
		{ MSR_FMASK, 0x47700 },
		{ MSR_KERNEL_GS_BASE, 0x7fff00000000ull },
	};
	struct hax_msr_data d;
	unsigned int i, n = sizeof(want) / sizeof(want[0]);

	memset(&d, 0, sizeof(d));
	d.nr_msr = n;
	for (i = 0; i < n; i++) {
		d.entries[i].entry = want[i][0];
		d.entries[i].value = want[i][1];
	}
	CHECK_OK(hax_set_msrs(c->vcpu_fd, &d));
	CHECK_EQ(d.done, n);
	for (i = 0; i < n; i++)
		d.entries[i].value = 0;
	d.done = 0;
	CHECK_OK(hax_get_msrs(c->vcpu_fd, &d));
	CHECK_EQ(d.done, n);
	for (i = 0; i < n; i++) {
		if (want[i][0] == MSR_TSC) {
			CHECK(d.entries[i].value >= want[i][1]);
			CHECK(d.entries[i].value < want[i][1] + (1ull << 38));
		} else if (d.entries[i].value != want[i][1]) {
			return fail("MSR 0x%llx: 0x%llx, expected 0x%llx",
				    (unsigned long long)want[i][0],
				    (unsigned long long)d.entries[i].value,
				    (unsigned long long)want[i][1]);
		}
	}
	return 0;
}

/* done counts the MSRs processed; the first refused one stops the list. */
static int set_done(struct vm_ctx *c, uint64_t msr, uint64_t val, uint16_t want_done)
{
	struct hax_msr_data d = { .nr_msr = 2 };

	d.entries[0].entry = MSR_STAR;
	d.entries[1].entry = msr;
	d.entries[1].value = val;
	CHECK_OK(hax_set_msrs(c->vcpu_fd, &d));
	if (d.done != want_done)
		return fail("SET_MSRS 0x%llx=0x%llx: done %u, expected %u", (unsigned long long)msr,
			    (unsigned long long)val, d.done, want_done);
	return 0;
}

VM_TEST(msr_ioctl_errors, 64 << 10)
{
	struct hax_msr_data d;
	uint64_t v;

	memset(&d, 0, sizeof(d));
	d.nr_msr = HAX_MAX_MSR_ARRAY + 1;
	CHECK_ERRNO(hax_get_msrs(c->vcpu_fd, &d), E2BIG);
	CHECK_ERRNO(hax_set_msrs(c->vcpu_fd, &d), E2BIG);
	CHECK_ERRNO(hax_set_msrs(c->vcpu_fd, NULL), EFAULT);
	if (set_done(c, 0x12345, 0, 1) ||			/* unknown */
	    set_done(c, MSR_LSTAR, 0x0000800000000000ull, 1) || /* not canonical */
	    set_done(c, MSR_FMASK, 1ull << 32, 1) ||		/* reserved */
	    set_done(c, MSR_MTRRCAP, 0, 1) ||			/* read-only */
	    set_done(c, MSR_FEATURE_CONTROL, 8, 1) ||		/* reserved bit */
	    set_done(c, MSR_EFER, 0x400, 1) ||			/* LMA without paging */
	    set_done(c, MSR_APIC_BASE, 0xfee00c00, 1) ||	/* x2APIC: not offered */
	    set_done(c, 0x200, 0xfee00002, 1) ||		/* MTRR base: type 2 */
	    set_done(c, 0x201, 0x800, 2) ||			/* MTRR mask, valid */
	    set_done(c, (1ull << 32) | MSR_STAR, 0, 1) ||	/* index above 32 bits */
	    set_done(c, MSR_APIC_BASE, 0xfee00900, 2))
		return 1;
	if (msrs_get1(c, MSR_MTRRCAP, &v))
		return 1;
	CHECK_EQ(v, 0x508);
	if (msrs_get1(c, MSR_FEATURE_CONTROL, &v))
		return 1;
	CHECK_EQ(v, 0);
	if (msrs_get1(c, 0x201, &v))
		return 1;
	CHECK_EQ(v, 0x800);
	return 0;
}

/*
 * IA32_FEATURE_CONTROL as SeaBIOS uses it under QEMU -cpu max: the firmware
 * writes 5 (lock, VMXON outside SMX) at reset, with no IDT yet (a #GP would
 * be a triple fault), and again after a reboot QEMU did not tell the module
 * about. Then a change of the locked value is #GP (0xd on port 0x82).
 */
GUEST_CODE(g_featctl, ".code16\n"
		      "mov $0x3a, %ecx\n rdmsr\n out %eax, $0x80\n"
		      "mov $5, %eax\n xor %edx, %edx\n wrmsr\n rdmsr\n out %eax, $0x80\n"
		      "mov $5, %eax\n wrmsr\n"
		      "mov $1, %eax\n wrmsr\n"
		      "mov $0, %eax\n wrmsr\n"
		      "rdmsr\n out %eax, $0x80\n"
		      "hlt\n"
		      "g_featctl_gp:\n"
		      "push %bp\n mov %sp, %bp\n addw $2, 2(%bp)\n"
		      "mov $0xd, %al\n out %al, $0x82\n pop %bp\n iret\n");
extern const uint8_t g_featctl_gp[];

VM_TEST(msr_feature_control_firmware_lock, 64 << 10)
{
	struct hax_msr_data d = { .nr_msr = 1 };
	uint64_t v;

	if (load_with_gp(c, g_featctl_start, g_featctl_end, g_featctl_gp))
		return 1;
	if (expect_out(c, 0x80, 4, 0) || expect_out(c, 0x80, 4, 5))
		return 1;
	/* the same value again: no #GP; 1 and 0 change it: #GP twice */
	if (expect_out(c, 0x82, 1, 0xd) || expect_out(c, 0x82, 1, 0xd) ||
	    expect_out(c, 0x80, 4, 5) || expect_exit(c, HAX_EXIT_HLT))
		return 1;
	/* user space may unlock it (KVM's host writes at reset) */
	d.entries[0].entry = MSR_FEATURE_CONTROL;
	d.entries[0].value = 0;
	CHECK_OK(hax_set_msrs(c->vcpu_fd, &d));
	CHECK_EQ(d.done, 1);
	if (msrs_get1(c, MSR_FEATURE_CONTROL, &v))
		return 1;
	CHECK_EQ(v, 0);
	return 0;
}

/* The guest's TSC is the host's plus an offset: set, then read twice. */
GUEST_CODE(g_tsc, ".code16\n"
		  "rdtsc\n mov %edx, %ebx\n out %eax, $0x80\n mov %ebx, %eax\n out %eax, $0x80\n"
		  "rdtsc\n mov %edx, %ebx\n out %eax, $0x80\n mov %ebx, %eax\n out %eax, $0x80\n"
		  "hlt\n");

static int read_tsc_pair(struct vm_ctx *c, uint64_t *tsc)
{
	uint32_t half[2];
	int i;

	for (i = 0; i < 2; i++) {
		if (expect_exit(c, HAX_EXIT_IO))
			return 1;
		CHECK_EQ(c->tunnel->io._port, 0x80);
		memcpy(&half[i], c->iobuf, 4);
	}
	*tsc = ((uint64_t)half[1] << 32) | half[0];
	return 0;
}

VM_TEST(msr_tsc_offset, 64 << 10)
{
	struct hax_msr_data d = { .nr_msr = 1 };
	uint64_t t1, t2, base = 1ull << 44;

	d.entries[0].entry = MSR_TSC;
	d.entries[0].value = base;
	CHECK_OK(hax_set_msrs(c->vcpu_fd, &d));
	CHECK_EQ(d.done, 1);
	if (vm_load_real(c, 0x1000, g_tsc_start, g_tsc_end))
		return 1;
	if (read_tsc_pair(c, &t1) || read_tsc_pair(c, &t2))
		return 1;
	CHECK(t1 >= base && t1 < base + (1ull << 40));
	CHECK(t2 > t1);
	return expect_exit(c, HAX_EXIT_HLT);
}

/* RDTSCP in the guest reads the guest's TSC_AUX; the host's comes back. */
GUEST_CODE(g_tscaux, ".code16\n"
		     "mov $0xc0000103, %ecx\n mov $0x55, %eax\n xor %edx, %edx\n wrmsr\n"
		     "xor %ecx, %ecx\n rdtscp\n mov %ecx, %eax\n out %eax, $0x80\n"
		     "hlt\n");

static uint32_t host_tsc_aux(void)
{
	uint32_t lo, hi, aux;

	asm volatile("rdtscp" : "=a"(lo), "=d"(hi), "=c"(aux));
	return aux;
}

static bool guest_has_rdtscp(struct vm_ctx *c)
{
	struct {
		struct hax_cpuid h;
		struct hax_cpuid_entry e[HAX_MAX_CPUID_ENTRIES];
	} t = { .h.total = HAX_MAX_CPUID_ENTRIES };
	uint32_t i;

	if (hax_get_cpuid(c->vcpu_fd, &t.h) < 0)
		return false;
	for (i = 0; i < t.h.total; i++)
		if (t.e[i].function == 0x80000001)
			return t.e[i].edx & (1u << 27);
	return false;
}

VM_TEST(msr_tsc_aux_rdtscp, 64 << 10)
{
	cpu_set_t set;
	uint32_t before;

	if (!guest_has_rdtscp(c))
		return fail("RDTSCP not offered to guests (no \"enable RDTSCP\" control?)");
	CPU_ZERO(&set);
	CPU_SET(0, &set);
	CHECK_OK(sched_setaffinity(0, sizeof(set), &set));
	before = host_tsc_aux();
	if (vm_load_real(c, 0x1000, g_tscaux_start, g_tscaux_end))
		return 1;
	if (expect_out(c, 0x80, 4, 0x55) || expect_exit(c, HAX_EXIT_HLT))
		return 1;
	CHECK_EQ(host_tsc_aux(), before);
	CPU_ZERO(&set);
	CPU_SET(0, &set);
	CPU_SET(1, &set);
	sched_setaffinity(0, sizeof(set), &set);
	return 0;
}

/*
 * The guest's LSTAR points where the host has nothing, and it enables
 * SYSCALL (EFER.SCE), which puts LSTAR into the CPU. A second thread on
 * the same CPU makes system calls while the vCPU thread is inside RUN: it
 * only runs when the vCPU thread is scheduled out, and its syscalls only
 * work if the scheduler hook put the host's LSTAR back.
 */
GUEST_CODE(g_spin_msr,
	   ".code16\n"
	   "mov $0xc0000082, %ecx\n mov $0x00000000, %eax\n mov $0xffff8000, %edx\n wrmsr\n"
	   "mov $0xc0000081, %ecx\n mov $0x11111111, %eax\n mov $0x22222222, %edx\n wrmsr\n"
	   /* EFER.SCE last: SYSCALL becomes possible, its MSRs go into the CPU */
	   "mov $0xc0000080, %ecx\n mov $1, %eax\n xor %edx, %edx\n wrmsr\n"
	   "1: jmp 1b\n");

struct syscaller {
	struct hax_tunnel *tunnel;
	int calls;
};

static void *make_syscalls(void *arg)
{
	struct syscaller *s = arg;
	int i;

	usleep(50 * 1000); /* the vCPU thread is in RUN by now */
	for (i = 0; i < 2000; i++) {
		getppid();
		sched_yield();
		s->calls++;
	}
	__atomic_store_n(&s->tunnel->user_event_pending, 1, __ATOMIC_SEQ_CST);
	return NULL;
}

VM_TEST(msr_syscall_msrs_switched_on_preemption, 64 << 10)
{
	struct syscaller s = { c->tunnel, 0 };
	cpu_set_t set;
	pthread_t th;
	uint64_t v;
	int r;

	CPU_ZERO(&set);
	CPU_SET(0, &set);
	CHECK_OK(sched_setaffinity(0, sizeof(set), &set)); /* inherited by the thread */
	if (vm_load_real(c, 0x1000, g_spin_msr_start, g_spin_msr_end))
		return 1;
	CHECK(pthread_create(&th, NULL, make_syscalls, &s) == 0);
	r = expect_exit(c, HAX_EXIT_INTERRUPT);
	pthread_join(th, NULL);
	CPU_SET(1, &set);
	sched_setaffinity(0, sizeof(set), &set);
	if (r)
		return r;
	CHECK_EQ(s.calls, 2000);
	if (msrs_get1(c, MSR_LSTAR, &v))
		return 1;
	CHECK_EQ(v, 0xffff800000000000ull);
	if (msrs_get1(c, MSR_STAR, &v))
		return 1;
	CHECK_EQ(v, 0x2222222211111111ull);
	if (msrs_get1(c, MSR_EFER, &v))
		return 1;
	CHECK_EQ(v, 1);
	return 0;
}

/* ---- SYSCALL and SWAPGS in a 64-bit guest: the guest's MSRs are in the CPU */

/* A 64-bit vCPU with SYSCALL enabled, the first 1 GiB identity-mapped. */
static int load_long_sce(struct vm_ctx *c, uint64_t gpa, const uint8_t *start, const uint8_t *end)
{
	static const struct long_mode m = { .tables = 0x10000, .efer_set = 1 /* SCE */ };

	return vm_load_long(c, &m, gpa, start, end);
}

/*
 * SYSCALL goes to the guest's LSTAR with the return RIP in RCX; the handler
 * reports, then SWAPGS exchanges GS base and KERNEL_GS_BASE, and RDMSR of
 * GS_BASE (no exit) shows the guest's KERNEL_GS_BASE.
 */
GUEST_CODE(g_syscall, ".code64\n"
		      "mov $0x5a, %eax\n syscall\n"
		      "g_syscall_ret:\n hlt\n"
		      "g_syscall_entry:\n"
		      "out %al, $0x80\n mov %rcx, %rax\n out %eax, $0x81\n"
		      "swapgs\n mov $0xc0000101, %ecx\n rdmsr\n out %eax, $0x82\n"
		      "hlt\n");
extern const uint8_t g_syscall_ret[], g_syscall_entry[];

VM_TEST(msr_syscall_swapgs_long_mode, 1 << 20)
{
	struct hax_msr_data d = { .nr_msr = 4 };
	uint64_t v;

	d.entries[0].entry = MSR_STAR;
	d.entries[0].value = 8ull << 32; /* SYSCALL: CS 8, SS 16 */
	d.entries[1].entry = MSR_LSTAR;
	d.entries[1].value = 0x1000 + (g_syscall_entry - g_syscall_start);
	d.entries[2].entry = MSR_FMASK;
	d.entries[2].value = 0x200;
	d.entries[3].entry = MSR_KERNEL_GS_BASE;
	d.entries[3].value = 0x5000;
	if (load_long_sce(c, 0x1000, g_syscall_start, g_syscall_end))
		return 1;
	CHECK_OK(hax_set_msrs(c->vcpu_fd, &d));
	CHECK_EQ(d.done, 4);
	if (expect_out(c, 0x80, 1, 0x5a) ||
	    expect_out(c, 0x81, 4, 0x1000 + (g_syscall_ret - g_syscall_start)) ||
	    expect_out(c, 0x82, 4, 0x5000) || expect_exit(c, HAX_EXIT_HLT))
		return 1;
	/* SWAPGS moved the old GS base (0) into KERNEL_GS_BASE. */
	if (msrs_get1(c, MSR_KERNEL_GS_BASE, &v))
		return 1;
	CHECK_EQ(v, 0);
	if (msrs_get1(c, MSR_GS_BASE, &v))
		return 1;
	CHECK_EQ(v, 0x5000);
	return 0;
}
