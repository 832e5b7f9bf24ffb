// SPDX-License-Identifier: GPL-2.0
/*
 * NMIs from the in-kernel LAPIC (ICR delivery mode NMI, SDM 11.6.1):
 * injected whatever RFLAGS.IF, and, with "virtual NMIs", blocked from the
 * delivery of one until the guest's IRET (SDM 6.7.1, 25.3): a second NMI
 * sent from the handler waits for the IRETQ (NMI-window exiting, SDM
 * 25.2), then arrives. Compared with kvm_intel's in-kernel irqchip on the
 * same guest code (lm_compare_kvm(), t_lapic_tpr.c). The NMI IPI between
 * two vCPUs is in t_lapic_mp.c.
 */
#include "harness.h"

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
