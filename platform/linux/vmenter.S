/* SPDX-License-Identifier: GPL-2.0 */
/*
 * os_vmx_enter(u64 regs[16], u32 flags): load the guest's general registers
 * and enter the guest with VMLAUNCH, or VMRESUME when flags has
 * OS_VMX_RESUME (SDM 26.1). A VM exit lands at os_vmx_exit (HOST_RIP,
 * SDM 27.5.3) with RSP = HOST_RSP, which this function sets to its own frame.
 * Returns 0 after a VM exit, 1 if the entry instruction failed (VMfailValid,
 * VMfailInvalid, or a fault: VMX off under us).
 *
 * Between the last host instruction and VMLAUNCH, and between the exit and
 * the first unbalanced RET, run the defences haxm_mit_on selects
 * (mitigate.c): VERW clears the CPU buffers last thing before entry, the
 * RSB is stuffed, the host's IA32_SPEC_CTRL is written again and the branch
 * history cleared before any RET or indirect branch of the host. No guest
 * value survives in a register.
 */
#include <linux/linkage.h>
#include <linux/objtool.h>
#include <asm/asm.h>
#include <asm/msr-index.h>
#include <asm/nospec-branch.h>
#include <asm/percpu.h>
#include "mitigate.h"

#define R_RAX 0
#define R_RCX 8
#define R_RDX 16
#define R_RBX 24
#define R_RBP 40
#define R_RSI 48
#define R_RDI 56
#define R_R8 64
#define R_R9 72
#define R_R10 80
#define R_R11 88
#define R_R12 96
#define R_R13 104
#define R_R14 112
#define R_R15 120
#define VMCS_HOST_RSP 0x6c14
#define OS_VMX_RESUME_BIT 0	/* os.h: OS_VMX_RESUME */

.section .noinstr.text, "ax"

SYM_FUNC_START(os_vmx_enter)
	push %rbp
	mov %rsp, %rbp
	push %r15
	push %r14
	push %r13
	push %r12
	push %rbx
	push %rsi			/* flags, at 8(%rsp) */
	push %rdi			/* regs, at 0(%rsp): found again after the exit */

	mov $VMCS_HOST_RSP, %eax
	vmwrite %rsp, %rax
	jna .Lvmfail

	mov %rdi, %rax
	mov R_RCX(%rax), %rcx
	mov R_RDX(%rax), %rdx
	mov R_RBX(%rax), %rbx
	mov R_RBP(%rax), %rbp
	mov R_RSI(%rax), %rsi
	mov R_RDI(%rax), %rdi
	mov R_R8(%rax), %r8
	mov R_R9(%rax), %r9
	mov R_R10(%rax), %r10
	mov R_R11(%rax), %r11
	mov R_R12(%rax), %r12
	mov R_R13(%rax), %r13
	mov R_R14(%rax), %r14
	mov R_R15(%rax), %r15
	mov R_RAX(%rax), %rax		/* the regs pointer is gone now */

	/*
	 * ZF: whether to clear the CPU buffers; CF: VMRESUME. BT leaves ZF
	 * alone and VERW changes only ZF, so no memory is read after VERW.
	 */
	testl $HAXM_MIT_VERW, haxm_mit_on(%rip)
	btl $OS_VMX_RESUME_BIT, 8(%rsp)
	jz 1f
	verw x86_verw_sel(%rip)
1:	jnc .Lvmlaunch

	/* objtool: the exit comes back below with this frame (HOST_RSP). */
	UNWIND_HINT_SAVE
.Lvmresume:
	vmresume
	jmp .Lvmfail
.Lvmlaunch:
	vmlaunch
	jmp .Lvmfail

	_ASM_EXTABLE(.Lvmresume, .Lvmfail)
	_ASM_EXTABLE(.Lvmlaunch, .Lvmfail)

SYM_INNER_LABEL(os_vmx_exit, SYM_L_GLOBAL)
	UNWIND_HINT_RESTORE
	ENDBR
	push %rax			/* the guest's RAX */
	mov 8(%rsp), %rax		/* the regs pointer */
	popq R_RAX(%rax)
	mov %rcx, R_RCX(%rax)
	mov %rdx, R_RDX(%rax)
	mov %rbx, R_RBX(%rax)
	mov %rbp, R_RBP(%rax)
	mov %rsi, R_RSI(%rax)
	mov %rdi, R_RDI(%rax)
	mov %r8, R_R8(%rax)
	mov %r9, R_R9(%rax)
	mov %r10, R_R10(%rax)
	mov %r11, R_R11(%rax)
	mov %r12, R_R12(%rax)
	mov %r13, R_R13(%rax)
	mov %r14, R_R14(%rax)
	mov %r15, R_R15(%rax)
	xor %ebx, %ebx			/* the result: a VM exit */

.Lclear_regs:
	add $16, %rsp			/* regs, flags */
	/* Leave no guest value to be spilled or speculated on. */
	xor %eax, %eax
	xor %ecx, %ecx
	xor %edx, %edx
	xor %ebp, %ebp
	xor %esi, %esi
	xor %edi, %edi
	xor %r8d, %r8d
	xor %r9d, %r9d
	xor %r10d, %r10d
	xor %r11d, %r11d
	xor %r12d, %r12d
	xor %r13d, %r13d
	xor %r14d, %r14d
	xor %r15d, %r15d

	/*
	 * Before the first unbalanced RET: stuff the RSB, so no return
	 * predicts into guest-trained entries, or (PBRSB, eIBRS parts)
	 * retire one CALL.
	 */
	testl $HAXM_MIT_RSB, haxm_mit_on(%rip)
	jz 2f
	__FILL_RETURN_BUFFER(%rcx, RSB_CLEAR_LOOPS)
	jmp 3f
2:	testl $HAXM_MIT_RSB_LITE, haxm_mit_on(%rip)
	jz 3f
	__FILL_ONE_RETURN
3:
	/*
	 * The guest has no IA32_SPEC_CTRL of its own (the MSR is not
	 * offered), but IBRS must be written again after a switch from a
	 * less privileged predictor mode: the host's value, per CPU.
	 */
	testl $HAXM_MIT_SPEC_CTRL, haxm_mit_on(%rip)
	jz 4f
	mov $MSR_IA32_SPEC_CTRL, %ecx
	mov PER_CPU_VAR(x86_spec_ctrl_current), %rax
	mov %rax, %rdx
	shr $32, %rdx
	wrmsr
	lfence
4:
	/* Branch history the guest wrote must not steer host branches (BHI). */
	testl $HAXM_MIT_BHB, haxm_mit_on(%rip)
	jz 5f
	call clear_bhb_loop
5:
	mov %ebx, %eax
	pop %rbx
	pop %r12
	pop %r13
	pop %r14
	pop %r15
	pop %rbp
	RET

.Lvmfail:
	mov $1, %ebx
	jmp .Lclear_regs
SYM_FUNC_END(os_vmx_enter)
