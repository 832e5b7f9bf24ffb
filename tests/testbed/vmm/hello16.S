/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A flat real-mode guest for `haxm run --flat hello16.bin@ADDR`: prints a
 * line on COM1 and halts with interrupts off (haxm run: powered off, 0).
 * Position independent: DS = CS, the message found with call/pop.
 */
	.code16
	.globl _start
_start:
	cli
	mov	%cs, %ax
	mov	%ax, %ds
	call	1f
1:	pop	%si
	add	$(msg - 1b), %si
	mov	$0x3f8, %dx
2:	lodsb
	test	%al, %al
	jz	3f
	out	%al, %dx
	jmp	2b
3:	hlt
	jmp	3b
msg:	.asciz	"Hello from a flat real-mode guest on haxm\n"
