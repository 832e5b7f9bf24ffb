/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Entry of the multiboot test kernel. The boot vCPU (EAX = 0x2badb002)
 * calls mb_main(info, ncpus) and writes its result to the debug-exit port;
 * haxm run's application processors (EAX = "HXAP", EBX = index) call
 * mb_ap(index). Each vCPU gets its own 4 KiB stack.
 */
#define MB_FLAGS 0x3 /* page-aligned modules, memory information */

	.section .multiboot, "a"
	.p2align 2
	.long	0x1badb002, MB_FLAGS, -(0x1badb002 + MB_FLAGS)

	.text
	.globl	_start
_start:
	cli
	cmp	$0x2badb002, %eax
	je	bsp
	cmp	$0x50415848, %eax
	jne	halt
	cmp	$16, %ebx
	jae	halt
	lea	1(%ebx), %eax
	shl	$12, %eax
	lea	stacks(%eax), %esp
	push	%ecx
	push	%ebx
	call	mb_ap
	jmp	halt
bsp:
	lea	stacks + 4096, %esp
	push	%ecx
	push	%ebx
	call	mb_main
	mov	$0x501, %dx
	out	%al, %dx
halt:
	cli
	hlt
	jmp	halt

/* IRQ 0 (vector 0x20 after the "timer" test's PIC setup): count, EOI. */
	.globl	irq0_entry
irq0_entry:
	push	%eax
	incl	ticks
	mov	$0x20, %al
	out	%al, $0x20
	pop	%eax
	iret

/* Spurious and unexpected interrupts: ignored. */
	.globl	ignore_entry
ignore_entry:
	iret

/* Exceptions: end haxm run with status 0xee. */
	.globl	fault_entry
fault_entry:
	mov	$0xee, %al
	mov	$0x501, %dx
	out	%al, %dx
	jmp	halt

	.bss
	.p2align 12
stacks:	.skip	16 * 4096
