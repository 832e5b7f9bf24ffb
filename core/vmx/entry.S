/* SPDX-License-Identifier: GPL-2.0 */
/*
 * haxm_vmx_enter(u64 regs[16], bool launched): load the guest's general
 * registers and enter the guest with VMLAUNCH or VMRESUME (SDM 30.3). A VM
 * exit lands at haxm_vmx_exit (HOST_RIP) with RSP = HOST_RSP, which this
 * function sets to its own frame, holding the regs pointer at 0(%rsp).
 * Returns 0 after a VM exit, 1 if the entry instruction itself failed
 * (VMfailValid or VMfailInvalid).
 */
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

	.text
	.globl haxm_vmx_enter
	.type haxm_vmx_enter, @function
haxm_vmx_enter:
	push %rbp
	mov %rsp, %rbp
	push %r15
	push %r14
	push %r13
	push %r12
	push %rbx
	push %rdi			/* regs pointer, found again after the exit */
	mov $VMCS_HOST_RSP, %eax
	vmwrite %rsp, %rax
	jna .Lfail
	test %esi, %esi			/* ZF=1: first entry, use VMLAUNCH */
	mov R_RAX(%rdi), %rax		/* MOVs leave the flags alone */
	mov R_RCX(%rdi), %rcx
	mov R_RDX(%rdi), %rdx
	mov R_RBX(%rdi), %rbx
	mov R_RBP(%rdi), %rbp
	mov R_RSI(%rdi), %rsi
	mov R_R8(%rdi), %r8
	mov R_R9(%rdi), %r9
	mov R_R10(%rdi), %r10
	mov R_R11(%rdi), %r11
	mov R_R12(%rdi), %r12
	mov R_R13(%rdi), %r13
	mov R_R14(%rdi), %r14
	mov R_R15(%rdi), %r15
	mov R_RDI(%rdi), %rdi
	jz 1f
	vmresume
	jmp .Lfail
1:	vmlaunch
.Lfail:
	mov $1, %eax
	jmp .Lout

	.globl haxm_vmx_exit
haxm_vmx_exit:
	push %rdi			/* the guest's RDI */
	mov 8(%rsp), %rdi		/* the regs pointer */
	mov %rax, R_RAX(%rdi)
	mov %rcx, R_RCX(%rdi)
	mov %rdx, R_RDX(%rdi)
	mov %rbx, R_RBX(%rdi)
	mov %rbp, R_RBP(%rdi)
	mov %rsi, R_RSI(%rdi)
	mov %r8, R_R8(%rdi)
	mov %r9, R_R9(%rdi)
	mov %r10, R_R10(%rdi)
	mov %r11, R_R11(%rdi)
	mov %r12, R_R12(%rdi)
	mov %r13, R_R13(%rdi)
	mov %r14, R_R14(%rdi)
	mov %r15, R_R15(%rdi)
	popq R_RDI(%rdi)
	xor %eax, %eax
.Lout:
	/* Leave no guest value in a register the host may spill or speculate on. */
	xor %ecx, %ecx
	xor %edx, %edx
	xor %esi, %esi
	xor %edi, %edi
	xor %r8d, %r8d
	xor %r9d, %r9d
	xor %r10d, %r10d
	xor %r11d, %r11d
	add $8, %rsp
	pop %rbx
	pop %r12
	pop %r13
	pop %r14
	pop %r15
	pop %rbp
	ret
	.size haxm_vmx_enter, .-haxm_vmx_enter
	.section .note.GNU-stack,"",@progbits
