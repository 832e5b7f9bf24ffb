// SPDX-License-Identifier: GPL-2.0
/*
 * MSR results compared with kvm_intel in the same testbed: one real-mode
 * guest reads MSRs at reset, writes and reads some back and tries invalid
 * values, under KVM and under haxm; every RDMSR result and every #GP agree.
 */
#include <linux/kvm.h>
#include <sys/ioctl.h>

#include "harness.h"

#define MSR_LIST 0x3000 /* u32 indices, 0-terminated */

/*
 * For each MSR of the list: RDMSR, OUT EAX to 0x80 and EDX to 0x81 (a #GP
 * reports 0xd on 0x82 and skips the 2-byte instruction). Then round trips
 * and refused writes, reported the same way.
 */
GUEST_CODE(g_msrcmp, ".code16\n"
		     " mov $0x3000, %si\n"
		     "1: mov (%si), %ecx\n test %ecx, %ecx\n jz 2f\n"
		     " xor %eax, %eax\n xor %edx, %edx\n rdmsr\n"
		     " out %eax, $0x80\n mov %edx, %eax\n out %eax, $0x81\n"
		     " add $4, %si\n jmp 1b\n"
		     /* STAR round trip */
		     "2: mov $0xc0000081, %ecx\n mov $0x11223344, %eax\n mov $0x00230010, %edx\n"
		     " wrmsr\n xor %eax, %eax\n xor %edx, %edx\n rdmsr\n"
		     " out %eax, $0x80\n mov %edx, %eax\n out %eax, $0x81\n"
		     /* SYSENTER_EIP round trip */
		     " mov $0x176, %ecx\n mov $0x89abcdef, %eax\n mov $0xffffffff, %edx\n"
		     " wrmsr\n xor %eax, %eax\n xor %edx, %edx\n rdmsr\n"
		     " out %eax, $0x80\n mov %edx, %eax\n out %eax, $0x81\n"
		     /* MISC_ENABLE round trip: MWAIT enable (18), XD disable (34), ... */
		     " mov $0x1a0, %ecx\n mov $0x00c51809, %eax\n mov $4, %edx\n"
		     " wrmsr\n xor %eax, %eax\n xor %edx, %edx\n rdmsr\n"
		     " out %eax, $0x80\n mov %edx, %eax\n out %eax, $0x81\n"
		     /* refused: non-canonical LSTAR, PAT reserved type, EFER reserved bit,
		      * an unknown MSR written */
		     " mov $0xc0000082, %ecx\n xor %eax, %eax\n mov $0x00008000, %edx\n wrmsr\n"
		     " mov $0x277, %ecx\n mov $0x02020202, %eax\n xor %edx, %edx\n wrmsr\n"
		     " mov $0xc0000080, %ecx\n mov $0x2, %eax\n xor %edx, %edx\n wrmsr\n"
		     " mov $0x12345, %ecx\n wrmsr\n"
		     /* DEBUGCTL: BTF accepted and dropped (no BTF/LBR for guests), bit 2 refused */
		     " mov $0x1d9, %ecx\n mov $2, %eax\n xor %edx, %edx\n wrmsr\n rdmsr\n"
		     " out %eax, $0x80\n mov $4, %eax\n wrmsr\n"
		     " hlt\n"
		     "g_msrcmp_gp:\n"
		     " push %bp\n mov %sp, %bp\n addw $2, 2(%bp)\n"
		     " mov $0xd, %al\n out %al, $0x82\n pop %bp\n iret\n");
extern const uint8_t g_msrcmp_gp[];

/*
 * Read at reset under both: the syscall and SYSENTER MSRs, EFER, PAT,
 * TSC_AUX, an unknown one (#GP), the MTRRs, APIC_BASE, DEBUGCTL. They differ
 * by design in MISC_ENABLE (haxm sets fast strings, bit 0), MCG_CAP (haxm:
 * no banks; KVM: 32),
 * PLATFORM_INFO (haxm: #GP; KVM: CPUID faulting) and the microcode
 * revision (haxm: 0), which are left out.
 */
static const uint32_t msrs[] = {
	0xc0000080, 0xc0000081, 0xc0000082, 0xc0000083, 0xc0000084, 0xc0000102, 0x174,
	0x175,	    0x176,	0x277,	    0xc0000103, 0x12345,    0x2ff,	0xfe,
	0x1b,	    0x200,	0x250,	    0x1d9,	0x3a,	    0,
};

static void load_image(uint8_t *ram)
{
	uint16_t ivt[2] = { (uint16_t)(0x1000 + (g_msrcmp_gp - g_msrcmp_start)), 0 };

	memcpy(ram + 0x1000, g_msrcmp_start, g_msrcmp_end - g_msrcmp_start);
	memcpy(ram + 13 * 4, ivt, sizeof(ivt));
	memcpy(ram + MSR_LIST, msrs, sizeof(msrs));
}

static int kvm_msr_trace(struct out_trace *t)
{
	struct kvm_ctx k;
	int r = kvm_setup_real(&k, 64 << 10, 0x1000);

	if (!r) {
		load_image(k.ram);
		r = kvm_out_trace(&k, t);
	}
	kvm_teardown(&k);
	return r;
}

/* KVM first: it cannot enable VMX while haxm has a VM (docs/design.md). */
TEST(msr_same_as_kvm)
{
	struct out_trace tk = { 0 }, th = { 0 };
	struct vm_ctx ctx;
	int r;

	if (kvm_msr_trace(&tk))
		return 1;
	r = vm_setup(&ctx, 64 << 10);
	if (!r) {
		load_image(ctx.ram);
		r = vm_load_real(&ctx, 0x1000, g_msrcmp_start, g_msrcmp_end) ||
		    vm_out_trace(&ctx, &th);
	}
	vm_teardown(&ctx);
	if (r || out_trace_equal(&th, &tk))
		return 1;
	/* 19 MSRs read (one of them #GP), three round trips, four refused writes, DEBUGCTL */
	CHECK_EQ(th.n, 19 * 2 + 1 + 3 * 2 + 4 + 2);
	return 0;
}
